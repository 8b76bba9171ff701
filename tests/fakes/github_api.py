"""A local stand-in for the GitHub REST endpoints `reviewer action` uses, for tests.

PyGithub talks to it through ``base_url`` (``GITHUB_API_URL``); it serves under a
path prefix, ``/api/v3`` by default, the way GitHub Enterprise Server does, so a
client that ignored the base URL's path would fail. The repository is a real git
repository on disk: a pull request is a base branch and a head branch, and a
commit to the head branch is a push (a reset and commit, a force-push). Diffs are
git's, parsed with ``reviewer.diff`` to know which lines GitHub would take
comments on.

The rules it enforces, with where each comes from in GitHub's REST docs
(docs.github.com/rest, API version 2022-11-28) or, where the docs are silent,
where the behaviour was observed:

* **Authentication** ("Authenticating to the REST API"): ``Authorization: token
  T`` or ``Bearer T``; an unknown token is 401 ``{"message": "Bad credentials"}``.
  A read-only token (a fork's pull request under ``pull_request``, "Automatic
  token authentication") gets 403 ``Resource not accessible by integration`` on
  every write.
* **Not found**: an unknown repository, pull request or review is 404
  ``{"message": "Not Found"}``.
* **The diff** ("Get a pull request", media type ``application/vnd.github.diff``):
  the three-dot diff of the pull request; refused with 406 and
  ``{"errors": [{"resource": "PullRequest", "field": "diff", "code": "too_large"}]}``
  beyond ``max_diff_files`` (300) files or ``max_diff_lines`` (20,000) lines.
* **Files** ("List pull requests files"): paginated (``per_page`` ≤ 100, 30 by
  default, ``Link`` header), at most 3,000 files; ``patch`` is left out for
  binary files and for files whose patch has more than ``max_patch_lines`` lines.
* **Compare** ("Compare two commits", ``BASE...HEAD``): ``status`` is
  ``identical``, ``ahead``, ``behind`` or ``diverged``, ``files`` are those of the
  three-dot diff (at most 300); an unknown commit is 404.
* **Create a review** ("Create a review for a pull request"): answered 200 with the
  review. ``event`` APPROVE, REQUEST_CHANGES or COMMENT, or none for a PENDING
  review; ``body`` required with REQUEST_CHANGES and COMMENT; ``comments[]`` with
  ``path``, ``line``, ``side`` and optionally ``start_line``/``start_side``. Every
  comment is checked against the diff of ``commit_id``: RIGHT on an added or
  context line by its new number, LEFT on a removed or context line by its old
  number, a range's start before its line in the same hunk. Any comment failing
  fails the whole review with 422, and the answer does not say which comment
  (wordings observed: "Line could not be resolved", "Path could not be
  resolved", "pull_request_review_thread.start_line must precede the end line").
  Bodies over 65,536 characters are 422. A user has at most one PENDING review
  per pull request (422 "User can only have one pending review per pull
  request"); pending reviews are listed only to their author.
* **Delete a pending review**: 200 with the review; a submitted one is 422.
* **Update a review** (``PUT …/reviews/{id}`` with ``body``): 200 with the
  review; only its author may (403 otherwise), and the body is required.
* **Rate limits** ("Rate limits for the REST API"): every answer carries
  ``x-ratelimit-limit/remaining/used/reset/resource``. A spent primary limit is
  403 ``API rate limit exceeded ...`` with ``x-ratelimit-remaining: 0`` until
  ``x-ratelimit-reset``; a secondary limit is 403 (or 429) ``You have exceeded a
  secondary rate limit ...`` with ``retry-after``, and every request before it has
  passed gets the same. More than ``writes_per_minute`` (80) content-creating
  requests in a minute trip a secondary limit of 60 seconds.
* **Server errors** are injected (``ServerError``), optionally after the write
  was done ("the answer was lost"), which is what makes blind retries post twice.
  ``BeforeAnswer`` runs code (a push) just before a request is answered, for races.

* **Conversations** (review comments and their threads, replies, reactions,
  issue comments, permissions, and GraphQL at ``/graphql``, or ``/api/graphql``
  beside ``/api/v3``): see ``tests/fakes/github_threads.py`` for the rules and
  their documentation pages. Each inline comment of a submitted review opens a
  thread.

Every JSON object carries the ``url`` GitHub would send, under the prefix:
PyGithub follows those URLs (and the ``Link`` header) keeping their path.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import subprocess
import threading
import time
import urllib.parse
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Final, TypeAlias

from reviewer.diff import Diff, FileDiff, FileStatus, Hunk, LineKind, parse_diff
from reviewer.values import Side
from tests.fakes.github_threads import (
    REACTIONS,
    Author,
    Comment,
    Conversations,
)

WRITE_TOKEN: Final = "ghs_fake_write_token"
READ_ONLY_TOKEN: Final = "ghs_fake_read_only_token"
MAINTAINER_TOKEN: Final = "ghp_fake_maintainer_token"
# The Actions token with `pull-requests: write` but without `contents: write`: it may
# reply in a thread but not resolve one (see the API notes on resolveReviewThread).
NO_CONTENTS_TOKEN: Final = "ghs_fake_no_contents_token"
AUTHOR_TOKEN: Final = "ghp_fake_author_token"  # the pull request's author, from a fork
OUTSIDER_TOKEN: Final = "ghp_fake_outsider_token"
BODY_LIMIT: Final = 65_536
FILES_LIMIT: Final = 3_000
COMPARE_FILES_LIMIT: Final = 300
DEFAULT_PER_PAGE: Final = 30
MAX_PER_PAGE: Final = 100
DOCS: Final = "https://docs.github.com/rest"
PRIMARY_LIMIT_MESSAGE: Final = "API rate limit exceeded for installation ID 4242."
SECONDARY_LIMIT_MESSAGE: Final = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
WRITE_METHODS: Final = frozenset({"POST", "PATCH", "PUT", "DELETE"})
REVIEW_EVENTS: Final = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}


@dataclass(frozen=True)
class Identity:
    """Who a token acts as, and what it may do."""

    login: str
    user_type: str  # "Bot" or "User"
    can_write: bool
    association: str  # author_association on the repository
    contents_write: bool = True  # may resolve review threads

    def author(self) -> Author:
        return Author(
            self.login, self.user_type, self.association, self.can_write, self.contents_write
        )


DEFAULT_TOKENS: Final[Mapping[str, Identity]] = MappingProxyType(
    {
        WRITE_TOKEN: Identity("github-actions[bot]", "Bot", True, "NONE"),
        READ_ONLY_TOKEN: Identity("github-actions[bot]", "Bot", False, "NONE"),
        MAINTAINER_TOKEN: Identity("maintainer", "User", True, "MEMBER"),
        OUTSIDER_TOKEN: Identity("mallory", "User", True, "NONE"),
        NO_CONTENTS_TOKEN: Identity("github-actions[bot]", "Bot", True, "NONE", False),
        AUTHOR_TOKEN: Identity("octocat", "User", True, "CONTRIBUTOR", False),
    }
)


@dataclass(frozen=True)
class PullSpec:
    """A pull request: ``head_ref`` into ``base_ref`` of the served repository."""

    number: int
    head_ref: str
    base_ref: str = "main"
    title: str = "A change"
    body: str | None = "What this change does."
    draft: bool = False
    author: str = "octocat"
    author_type: str = "User"
    head_repo: str | None = None  # full name of a fork; None: the served repository


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class ServerError:
    """Answer the next matching request with ``status``; ``after_write``: do it first."""

    status: int = 502
    method: str | None = None
    path: str | None = None  # a regular expression matched against the path after the prefix
    after_write: bool = False


@dataclass(frozen=True)
class SecondaryRateLimit:
    """From the next matching request on, ``retry_after`` seconds of secondary limit."""

    retry_after: float | None = 1.0  # None: no retry-after header, as GitHub sometimes does
    status: int = 403
    method: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class PrimaryRateLimit:
    """From the next matching request on, the primary limit is spent for ``reset_in`` seconds."""

    reset_in: float = 1.0
    status: int = 403
    method: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class BeforeAnswer:
    """Run ``action`` just before the next matching request is answered.

    For races: a push (a commit to the head branch) between two reads of one run.
    """

    action: Callable[[], None]
    method: str | None = None
    path: str | None = None


Fault: TypeAlias = ServerError | SecondaryRateLimit | PrimaryRateLimit | BeforeAnswer


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RecordedRequest:
    index: int
    method: str
    path: str  # after the prefix, without the query
    query: Mapping[str, str]
    headers: Mapping[str, str]  # names lower-cased
    body: Any  # parsed JSON, or None
    arrived_at: float  # by the server's clock
    status: int
    login: str | None  # who the token acts as; None for a bad token


@dataclass(frozen=True)
class CommentRecord:
    path: str
    line: int
    side: str
    start_line: int | None
    start_side: str | None
    body: str


@dataclass(frozen=True)
class ReviewRecord:
    review_id: int
    number: int
    login: str
    state: str
    event: str | None
    body: str
    commit_id: str
    comments: tuple[CommentRecord, ...]


class _Reject(Exception):
    """Answer with an error status and GitHub's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: Sequence[Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "documentation_url": DOCS}
        if errors is not None:
            self.body["errors"] = list(errors)
        self.body["status"] = str(status)
        self.headers = dict(headers or {})


def _unprocessable(*errors: Any) -> _Reject:
    return _Reject(422, "Unprocessable Entity", errors)


# --------------------------------------------------------------------------- git


class _Git:
    """Reads the repository with git; results are cached by commit id."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._diffs: dict[tuple[str, str], bytes] = {}

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["git", "-C", str(self.path), "-c", "core.quotePath=true", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
        if result.returncode not in ok:
            raise AssertionError(f"git {' '.join(args)}: {result.stderr}")
        return result

    def resolve(self, revision: str) -> str | None:
        result = self.run(
            "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", ok=(0, 1, 128)
        )
        return result.stdout.strip() if result.returncode == 0 else None

    def merge_base(self, one: str, two: str) -> str | None:
        result = self.run("merge-base", one, two, ok=(0, 1))
        return result.stdout.strip() if result.returncode == 0 else None

    def count(self, revisions: str) -> int:
        return int(self.run("rev-list", "--count", revisions).stdout.strip())

    def diff(self, old: str, new: str) -> str:
        """The diff as text (undecodable bytes replaced), as the JSON endpoints show it."""
        return self.diff_bytes(old, new).decode("utf-8", errors="replace")

    def diff_bytes(self, old: str, new: str) -> bytes:
        """The diff as git wrote it: a file's bytes are not necessarily UTF-8."""
        key = (old, new)
        if key not in self._diffs:
            settings = ("core.quotePath=true", "diff.noprefix=false", "diff.mnemonicPrefix=false")
            options = [word for setting in settings for word in ("-c", setting)]
            command = ["git", "-C", str(self.path), *options, "diff", "--no-color", "-M", old, new]
            self._diffs[key] = subprocess.run(command, capture_output=True, check=True).stdout
        return self._diffs[key]


@dataclass(frozen=True)
class _DiffEntry:
    """One file of a diff, as the files and compare endpoints describe it."""

    file: FileDiff
    text: str  # the file's part of the diff, header included
    patch: str | None  # the hunks only, as GitHub's ``patch``; None for binary files

    @property
    def line_count(self) -> int:
        return self.text.count("\n")


def _entries(diff_text: str) -> list[_DiffEntry]:
    """Split git's diff into files, in order, each with its parse and its patch."""
    chunks = re.split(r"(?m)^(?=diff --git )", diff_text)
    entries = []
    for chunk in (c for c in chunks if c):
        parsed = parse_diff(chunk, source="fake github diff").files[0]
        at = chunk.find("\n@@ ")
        patch = None if parsed.is_binary or at < 0 else chunk[at + 1 :].removesuffix("\n")
        entries.append(_DiffEntry(parsed, chunk, patch))
    return entries


_GITHUB_STATUS = {
    FileStatus.ADDED: "added",
    FileStatus.DELETED: "removed",
    FileStatus.RENAMED: "renamed",
    FileStatus.COPIED: "copied",
    FileStatus.MODIFIED: "modified",
}


# --------------------------------------------------------------------------- the server


class GitHubAPI:
    """The fake API: serves from a background thread as soon as it is constructed.

    Args:
        repo: a git repository holding the branches the pull requests name.
        full_name: the served repository, OWNER/NAME.
        prefix: the API's path, as on GitHub Enterprise Server ("" for api.github.com).
        tokens: token → identity; anything else is a bad token.
        clock: epoch seconds, for rate-limit windows and ``arrived_at``.
        rate_limit: primary requests per hour per token.
        writes_per_minute: content-creating requests per minute before a secondary limit.
        max_diff_files, max_diff_lines: beyond these, the whole diff is refused (406).
        max_patch_lines: a file's patch longer than this is left out of the files listing.
    """

    def __init__(
        self,
        repo: Path,
        *,
        full_name: str = "octo/app",
        prefix: str = "/api/v3",
        tokens: Mapping[str, Identity] = DEFAULT_TOKENS,
        clock: Callable[[], float] = time.time,
        rate_limit: int = 1000,
        writes_per_minute: int = 80,
        max_diff_files: int = 300,
        max_diff_lines: int = 20_000,
        max_patch_lines: int = 5_000,
        host: str = "127.0.0.1",
    ) -> None:
        self.full_name = full_name
        self.prefix = prefix.rstrip("/")
        self._git = _Git(repo)
        self._tokens = dict(tokens)
        self._clock = clock
        self._rate_limit = rate_limit
        self._writes_per_minute = writes_per_minute
        self._max_diff_files = max_diff_files
        self._max_diff_lines = max_diff_lines
        self._max_patch_lines = max_patch_lines
        self._lock = threading.Lock()
        self._pulls: dict[int, PullSpec] = {}
        self._reviews: dict[int, list[_Review]] = {}
        self._review_ids = itertools.count(1001)
        self._faults: deque[Fault] = deque()
        self._log: list[RecordedRequest] = []
        self._used: dict[str, int] = {}
        self._window_start = clock()
        self._primary_until: dict[str, tuple[float, int]] = {}  # token → (reset, status)
        self._secondary_until: dict[str, tuple[float, int, bool]] = {}  # → (end, status, header)
        self._writes: dict[str, deque[float]] = {}
        self._server = _Server((host, 0), self._dispatch)
        self._host, self._port = self._server.socket.getsockname()[:2]
        self.conversations = Conversations(
            line_text=self._line_text,
            head_sha=self.head_sha,
            base_url=lambda: self.base_url,
            full_name=full_name,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-github-api",
            daemon=True,
        )
        self._thread.start()

    # ---- public surface

    @property
    def origin(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """What GITHUB_API_URL is set to."""
        return self.origin + self.prefix

    @property
    def graphql_path(self) -> str:
        """``/graphql``; on GitHub Enterprise Server ``/api/graphql``, beside ``/api/v3``."""
        return self.prefix.removesuffix("/v3") + "/graphql"

    @property
    def graphql_url(self) -> str:
        """What GITHUB_GRAPHQL_URL is set to."""
        return self.origin + self.graphql_path

    def threads(self, number: int) -> tuple[ThreadRecord, ...]:
        """The pull request's review threads, oldest first, with their comments."""
        with self._lock:
            conversations = self.conversations
            return tuple(
                ThreadRecord(
                    thread.thread_id,
                    tuple(_comment_record(conversations.comments[i]) for i in thread.comment_ids),
                    thread.resolved_by,
                    conversations.is_outdated(thread),
                )
                for thread in conversations.threads.values()
                if thread.number == number
            )

    def issue_comments(self, number: int) -> tuple[IssueCommentRecord, ...]:
        with self._lock:
            return tuple(
                IssueCommentRecord(c.comment_id, c.author.login, c.body)
                for c in self.conversations.issue_comments.values()
                if c.number == number
            )

    def review_comment_payload(self, comment_id: int, action: str = "created") -> dict[str, Any]:
        """The ``pull_request_review_comment`` webhook payload for a comment."""
        with self._lock:
            comment = self.conversations.comments[comment_id]
            pull = self._pull_json(self._pulls[comment.number])
            data = self.conversations.comment_json(comment, self._author_json)
        return {
            "action": action,
            "comment": data,
            "pull_request": pull,
            "repository": self._repo_json(self.full_name),
            "sender": data["user"],
        }

    def issue_comment_payload(self, comment_id: int, action: str = "created") -> dict[str, Any]:
        """The ``issue_comment`` webhook payload for a comment on a pull request."""
        with self._lock:
            comment = self.conversations.issue_comments[comment_id]
            pull = self._pull_json(self._pulls[comment.number])
            data = self.conversations.issue_comment_json(comment, self._author_json)
        issue = {
            "url": f"{self.base_url}/repos/{self.full_name}/issues/{comment.number}",
            "number": comment.number,
            "title": pull["title"],
            "user": pull["user"],
            "state": "open",
            "body": pull["body"],
            "pull_request": {"url": pull["url"], "html_url": pull["html_url"]},
        }
        return {
            "action": action,
            "comment": data,
            "issue": issue,
            "repository": self._repo_json(self.full_name),
            "sender": data["user"],
        }

    def add_pull(self, spec: PullSpec) -> None:
        with self._lock:
            self._pulls[spec.number] = spec
            self._reviews.setdefault(spec.number, [])

    def remove_pull(self, number: int) -> None:
        with self._lock:
            del self._pulls[number]

    def update_pull(self, number: int, **changes: Any) -> None:
        with self._lock:
            self._pulls[number] = replace(self._pulls[number], **changes)

    def head_sha(self, number: int) -> str:
        sha = self._git.resolve(f"refs/heads/{self._pulls[number].head_ref}")
        assert sha is not None
        return sha

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    @property
    def pending_faults(self) -> tuple[Fault, ...]:
        with self._lock:
            return tuple(self._faults)

    @property
    def requests(self) -> tuple[RecordedRequest, ...]:
        with self._lock:
            return tuple(self._log)

    def reviews(self, number: int) -> tuple[ReviewRecord, ...]:
        """Every review on the pull request, pending ones included, oldest first."""
        with self._lock:
            return tuple(review.record() for review in self._reviews.get(number, []))

    def payload(self, number: int, action: str = "opened") -> dict[str, Any]:
        """The ``pull_request`` webhook payload GitHub would write to GITHUB_EVENT_PATH."""
        with self._lock:
            pull = self._pull_json(self._pulls[number])
        return {
            "action": action,
            "number": number,
            "pull_request": pull,
            "repository": self._repo_json(self.full_name),
            "sender": pull["user"],
        }

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> GitHubAPI:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ---- dispatch

    def _dispatch(self, exchange: _Exchange) -> None:
        arrived = self._clock()
        path = exchange.path
        if path == self.graphql_path:
            route = "graphql"
        elif path.startswith(self.prefix + "/"):
            route = path[len(self.prefix) :]
        else:
            exchange.send(404, {"message": "Not Found", "documentation_url": DOCS}, {})
            return
        token = exchange.token()
        identity = self._tokens.get(token) if token else None
        body = _json_or_none(exchange.raw_body)
        with self._lock:
            status, payload, headers = self._answer(exchange, route, token, identity, body, arrived)
            self._log.append(
                RecordedRequest(
                    index=len(self._log),
                    method=exchange.method,
                    path=route,
                    query=MappingProxyType(exchange.query),
                    headers=exchange.headers,
                    body=body,
                    arrived_at=arrived,
                    status=status,
                    login=identity.login if identity else None,
                )
            )
        exchange.send(status, payload, headers)

    def _answer(
        self,
        exchange: _Exchange,
        route: str,
        token: str | None,
        identity: Identity | None,
        body: Any,
        now: float,
    ) -> tuple[int, Any, dict[str, str]]:
        headers = {"x-github-request-id": uuid.uuid4().hex[:20].upper()}
        if identity is None or token is None:
            return (
                401,
                {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"},
                headers,
            )
        headers.update(self._rate_headers(token, now))
        try:
            self._check_limits(exchange.method, route, token, now)
            fault = self._take_fault(exchange.method, route, token, now)
            headers.update(self._rate_headers(token, now))
            self._count_request(exchange.method, token, now)
            if isinstance(fault, ServerError) and not fault.after_write:
                raise _Reject(fault.status, "Server Error")
            status, payload, extra = self._route(exchange, route, identity, body)
            if isinstance(fault, ServerError):
                raise _Reject(fault.status, "Server Error")
        except _Reject as rejected:
            headers.update(rejected.headers)
            return rejected.status, rejected.body, headers
        headers.update(extra)
        return status, payload, headers

    # ---- rate limits

    def _rate_headers(self, token: str, now: float) -> dict[str, str]:
        if now >= self._window_start + 3600:
            self._window_start, self._used = now, {}
        reset = self._window_start + 3600
        remaining = self._rate_limit - self._used.get(token, 0)
        primary = self._primary_until.get(token)
        if primary is not None and now < primary[0]:
            reset, remaining = primary[0], 0
        return {
            "x-ratelimit-limit": str(self._rate_limit),
            "x-ratelimit-remaining": str(max(0, remaining)),
            "x-ratelimit-used": str(self._used.get(token, 0)),
            "x-ratelimit-reset": str(math.ceil(reset)),
            "x-ratelimit-resource": "core",
        }

    def _check_limits(self, method: str, route: str, token: str, now: float) -> None:
        primary = self._primary_until.get(token)
        if primary is not None and now < primary[0]:
            raise _Reject(primary[1], PRIMARY_LIMIT_MESSAGE)
        if self._used.get(token, 0) >= self._rate_limit:
            self._primary_until[token] = (self._window_start + 3600, 403)
            raise _Reject(403, PRIMARY_LIMIT_MESSAGE)
        secondary = self._secondary_until.get(token)
        if secondary is not None and now < secondary[0]:
            end, status, with_header = secondary
            headers = {"retry-after": str(math.ceil(end - now))} if with_header else {}
            raise _Reject(status, SECONDARY_LIMIT_MESSAGE, headers=headers)
        if method in WRITE_METHODS:
            recent = self._writes.setdefault(token, deque())
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= self._writes_per_minute:
                self._secondary_until[token] = (now + 60, 403, True)
                raise _Reject(403, SECONDARY_LIMIT_MESSAGE, headers={"retry-after": "60"})

    def _take_fault(self, method: str, route: str, token: str, now: float) -> Fault | None:
        for fault in self._faults:
            if (fault.method is None or fault.method == method) and (
                fault.path is None or re.fullmatch(fault.path, route)
            ):
                self._faults.remove(fault)
                break
        else:
            return None
        if isinstance(fault, PrimaryRateLimit):
            self._primary_until[token] = (math.ceil(now + fault.reset_in), fault.status)
            raise _Reject(
                fault.status, PRIMARY_LIMIT_MESSAGE, headers=self._rate_headers(token, now)
            )
        if isinstance(fault, SecondaryRateLimit):
            end = now + (fault.retry_after if fault.retry_after is not None else 60.0)
            with_header = fault.retry_after is not None
            self._secondary_until[token] = (end, fault.status, with_header)
            headers = {"retry-after": f"{fault.retry_after:g}"} if with_header else {}
            raise _Reject(fault.status, SECONDARY_LIMIT_MESSAGE, headers=headers)
        if isinstance(fault, BeforeAnswer):
            fault.action()
            return None
        return fault

    def _count_request(self, method: str, token: str, now: float) -> None:
        self._used[token] = self._used.get(token, 0) + 1
        if method in WRITE_METHODS:
            self._writes.setdefault(token, deque()).append(now)

    # ---- routes

    def _route(
        self, exchange: _Exchange, route: str, identity: Identity, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if route == "graphql":
            if exchange.method != "POST" or not isinstance(body, dict):
                raise _Reject(400, "Problems parsing JSON")
            variables = body.get("variables") or {}
            numbers = set(self._pulls)
            answer = self.conversations.graphql(
                str(body.get("query") or ""), variables, identity.author(), numbers
            )
            return 200, answer, {}
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", route)
        if match is None or match.group(1) != self.full_name:
            raise _Reject(404, "Not Found")
        rest = match.group(2) or ""
        method = exchange.method
        if method in WRITE_METHODS and not identity.can_write:
            raise _Reject(403, "Resource not accessible by integration")
        if rest == "" and method == "GET":
            return 200, self._repo_json(self.full_name), {}
        conversation = self._conversation_route(exchange, rest, identity, body)
        if conversation is not None:
            return conversation
        compare = re.fullmatch(r"/compare/(.+)\.\.\.(.+)", rest)
        if compare and method == "GET":
            return 200, self._compare_json(compare.group(1), compare.group(2)), {}
        pull_match = re.fullmatch(r"/pulls/(\d+)(/.*)?", rest)
        if pull_match is None:
            raise _Reject(404, "Not Found")
        pull = self._pulls.get(int(pull_match.group(1)))
        if pull is None:
            raise _Reject(404, "Not Found")
        return self._pull_route(exchange, pull, pull_match.group(2) or "", identity, body)

    def _pull_route(
        self, exchange: _Exchange, pull: PullSpec, rest: str, identity: Identity, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        method = exchange.method
        if rest == "" and method == "GET":
            accept = exchange.headers.get("accept", "")
            if "diff" in accept:
                return self._diff_answer(pull)
            return 200, self._pull_json(pull), {}
        if rest == "/files" and method == "GET":
            files = [self._file_json(e) for e in self._pull_entries(pull)][:FILES_LIMIT]
            return self._page(exchange, f"/repos/{self.full_name}/pulls/{pull.number}/files", files)
        if rest == "/reviews" and method == "GET":
            visible = [
                self._review_json(r)
                for r in self._reviews[pull.number]
                if r.state != "PENDING" or r.identity.login == identity.login
            ]
            return self._page(
                exchange, f"/repos/{self.full_name}/pulls/{pull.number}/reviews", visible
            )
        if rest == "/reviews" and method == "POST":
            return 200, self._review_json(self._create_review(pull, identity, body)), {}
        if rest == "/comments" and method == "GET":
            listed = [
                self.conversations.comment_json(c, self._author_json)
                for c in self.conversations.comments.values()
                if c.number == pull.number
            ]
            return self._page(
                exchange, f"/repos/{self.full_name}/pulls/{pull.number}/comments", listed
            )
        reply_match = re.fullmatch(r"/comments/(\d+)/replies", rest)
        if reply_match and method == "POST":
            text = body.get("body") if isinstance(body, dict) else None
            if not isinstance(text, str) or not text:
                raise _unprocessable("Body can't be blank")
            if len(text) > BODY_LIMIT:
                raise _Reject(422, "Validation Failed", [_too_long("PullRequestReviewComment")])
            try:
                reply = self.conversations.reply(
                    pull.number, int(reply_match.group(1)), identity.author(), text
                )
            except LookupError:
                raise _Reject(404, "Not Found") from None
            except ValueError as exc:
                raise _unprocessable(str(exc)) from None
            return 201, self.conversations.comment_json(reply, self._author_json), {}
        review_match = re.fullmatch(r"/reviews/(\d+)", rest)
        if review_match:
            review = self._find_review(pull, int(review_match.group(1)), identity)
            if method == "GET":
                return 200, self._review_json(review), {}
            if method == "PUT":
                text = body.get("body") if isinstance(body, dict) else None
                if not isinstance(text, str) or not text:
                    raise _unprocessable("Body can't be blank")
                if len(text) > BODY_LIMIT:
                    raise _Reject(422, "Validation Failed", [_too_long("PullRequestReview")])
                if review.identity.login != identity.login:
                    raise _Reject(403, "You can only update your own reviews.")
                review.body = text
                return 200, self._review_json(review), {}
            if method == "DELETE":
                if review.state != "PENDING":
                    raise _unprocessable("Can not delete a non-pending pull request review")
                self._reviews[pull.number].remove(review)
                return 200, self._review_json(review), {}
        raise _Reject(404, "Not Found")

    def _diff_answer(self, pull: PullSpec) -> tuple[int, Any, dict[str, str]]:
        old, new = self._three_dot(f"refs/heads/{pull.base_ref}", f"refs/heads/{pull.head_ref}")
        entries = _entries(self._git.diff(old, new))
        lines = sum(entry.line_count for entry in entries)
        for limit, count, what in (
            (self._max_diff_files, len(entries), "files"),
            (self._max_diff_lines, lines, "lines"),
        ):
            if count > limit:
                raise _Reject(
                    406,
                    f"Sorry, the diff exceeded the maximum number of {what} ({limit}). Consider "
                    "using 'List pull requests files' API or locally cloning the repository instead.",
                    [{"resource": "PullRequest", "field": "diff", "code": "too_large"}],
                )
        # The bytes as they are, labelled UTF-8 whatever a file's encoding.
        media_type = "application/vnd.github.diff; charset=utf-8"
        return 200, _Raw(self._git.diff_bytes(old, new), media_type), {}

    def _page(
        self, exchange: _Exchange, path: str, items: list[Any]
    ) -> tuple[int, Any, dict[str, str]]:
        per_page = min(MAX_PER_PAGE, int(exchange.query.get("per_page", DEFAULT_PER_PAGE)))
        page = max(1, int(exchange.query.get("page", 1)))
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []

        def link(number: int, rel: str) -> str:
            query = urllib.parse.urlencode({"per_page": per_page, "page": number})
            return f'<{self.base_url}{path}?{query}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        return 200, chunk, {"link": ", ".join(links)} if links else {}

    # ---- reviews

    def _create_review(self, pull: PullSpec, identity: Identity, body: Any) -> _Review:
        if not isinstance(body, dict):
            raise _Reject(400, "Problems parsing JSON")
        event = body.get("event")
        if event is not None and event not in REVIEW_EVENTS:
            raise _unprocessable(f"Unknown event {event!r}")
        text = body.get("body") or ""
        if event in ("REQUEST_CHANGES", "COMMENT") and not text:
            raise _unprocessable("Body is required for this event")
        if len(text) > BODY_LIMIT:
            raise _Reject(422, "Validation Failed", [_too_long("PullRequestReview")])
        if any(
            r.state == "PENDING" and r.identity.login == identity.login
            for r in self._reviews[pull.number]
        ):
            raise _unprocessable("User can only have one pending review per pull request")
        commit_id = body.get("commit_id") or self.head_sha(pull.number)
        if not self._in_pull(pull, commit_id):
            raise _unprocessable(f"No commit found for SHA: {commit_id}")
        diff = parse_diff(self._three_dot_diff(pull.base_ref, commit_id), source="fake github")
        comments = tuple(_checked_comment(raw, diff) for raw in body.get("comments") or [])
        review = _Review(
            review_id=next(self._review_ids),
            number=pull.number,
            identity=identity,
            state=REVIEW_EVENTS[event] if event else "PENDING",
            event=event,
            body=text,
            commit_id=commit_id,
            comments=comments,
        )
        self._reviews[pull.number].append(review)
        if review.state != "PENDING":
            for comment in comments:
                self.conversations.add_review_comment(
                    pull.number,
                    identity.author(),
                    path=comment.path,
                    line=comment.line,
                    side=comment.side,
                    start_line=comment.start_line,
                    body=comment.body,
                    commit_id=commit_id,
                    review_id=review.review_id,
                )
        return review

    def _find_review(self, pull: PullSpec, review_id: int, identity: Identity) -> _Review:
        for review in self._reviews[pull.number]:
            if review.review_id == review_id and (
                review.state != "PENDING" or review.identity.login == identity.login
            ):
                return review
        raise _Reject(404, "Not Found")

    def _in_pull(self, pull: PullSpec, sha: str) -> bool:
        """Whether ``sha`` is one of the pull request's commits (its head or before it)."""
        resolved = self._git.resolve(sha)
        head = self._git.resolve(f"refs/heads/{pull.head_ref}")
        if resolved is None or head is None:
            return False
        is_ancestor = self._git.run("merge-base", "--is-ancestor", resolved, head, ok=(0, 1))
        return is_ancestor.returncode == 0

    # ---- diffs

    def _three_dot(self, base: str, head: str) -> tuple[str, str]:
        """The commits a three-dot diff BASE...HEAD compares: the merge base, and HEAD."""
        base_sha = self._git.resolve(base)
        head_sha = self._git.resolve(head)
        if base_sha is None or head_sha is None:
            raise _Reject(404, "Not Found")
        merge_base = self._git.merge_base(base_sha, head_sha)
        if merge_base is None:
            raise _Reject(404, f"No common ancestor between {base} and {head}.")
        return merge_base, head_sha

    def _three_dot_diff(self, base: str, head: str) -> str:
        return self._git.diff(*self._three_dot(base, head))

    def _pull_entries(self, pull: PullSpec) -> list[_DiffEntry]:
        return _entries(
            self._three_dot_diff(f"refs/heads/{pull.base_ref}", f"refs/heads/{pull.head_ref}")
        )

    def _compare_json(self, base: str, head: str) -> dict[str, Any]:
        merge_base, head_sha = self._three_dot(base, head)
        base_sha = self._git.resolve(base)
        assert base_sha is not None
        ahead = self._git.count(f"{base_sha}..{head_sha}")
        behind = self._git.count(f"{head_sha}..{base_sha}")
        status = (
            "identical"
            if not ahead and not behind
            else "ahead"
            if not behind
            else "behind"
            if not ahead
            else "diverged"
        )
        entries = _entries(self._git.diff(merge_base, head_sha))
        url = f"{self.base_url}/repos/{self.full_name}/compare/{base}...{head}"
        return {
            "url": url,
            "html_url": f"https://github.com/{self.full_name}/compare/{base}...{head}",
            "permalink_url": url,
            "diff_url": f"https://github.com/{self.full_name}/compare/{base}...{head}.diff",
            "patch_url": f"https://github.com/{self.full_name}/compare/{base}...{head}.patch",
            "base_commit": self._commit_json(base_sha),
            "merge_base_commit": self._commit_json(merge_base),
            "status": status,
            "ahead_by": ahead,
            "behind_by": behind,
            "total_commits": ahead,
            "commits": [],
            "files": [self._file_json(entry) for entry in entries][:COMPARE_FILES_LIMIT],
        }

    # ---- JSON shapes (the schemas named in each docstring are GitHub's OpenAPI names)

    def _user_json(self, login: str, user_type: str) -> dict[str, Any]:
        """simple-user"""
        return {
            "login": login,
            "id": abs(hash(login)) % 10_000_000,
            "node_id": f"U_{login}",
            "url": f"{self.base_url}/users/{urllib.parse.quote(login)}",
            "html_url": f"https://github.com/{login}",
            "type": user_type,
            "site_admin": False,
        }

    def _repo_json(self, full_name: str) -> dict[str, Any]:
        """full-repository (the fields PyGithub and the action read)"""
        owner, name = full_name.split("/")
        return {
            "id": abs(hash(full_name)) % 10_000_000,
            "node_id": f"R_{full_name}",
            "name": name,
            "full_name": full_name,
            "private": False,
            "fork": full_name != self.full_name,
            "owner": self._user_json(owner, "Organization"),
            "url": f"{self.base_url}/repos/{full_name}",
            "html_url": f"https://github.com/{full_name}",
            "default_branch": "main",
        }

    def _commit_json(self, sha: str) -> dict[str, Any]:
        """commit (as nested in commit-comparison)"""
        return {
            "sha": sha,
            "node_id": f"C_{sha}",
            "url": f"{self.base_url}/repos/{self.full_name}/commits/{sha}",
            "html_url": f"https://github.com/{self.full_name}/commit/{sha}",
            "commit": {
                "message": "",
                "url": f"{self.base_url}/repos/{self.full_name}/git/commits/{sha}",
            },
            "parents": [],
        }

    def _pull_json(self, pull: PullSpec) -> dict[str, Any]:
        """pull-request"""
        head_sha = self.head_sha(pull.number)
        base_sha = self._git.resolve(f"refs/heads/{pull.base_ref}")
        url = f"{self.base_url}/repos/{self.full_name}/pulls/{pull.number}"
        html = f"https://github.com/{self.full_name}/pull/{pull.number}"
        head_repo = pull.head_repo or self.full_name
        return {
            "url": url,
            "id": 500_000 + pull.number,
            "node_id": f"PR_{pull.number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": f"{self.base_url}/repos/{self.full_name}/issues/{pull.number}",
            "comments_url": f"{self.base_url}/repos/{self.full_name}/issues/{pull.number}/comments",
            "review_comments_url": f"{url}/comments",
            "number": pull.number,
            "state": "open",
            "locked": False,
            "title": pull.title,
            "user": self._user_json(pull.author, pull.author_type),
            "body": pull.body,
            "draft": pull.draft,
            "merged": False,
            "author_association": "CONTRIBUTOR",
            "head": {
                "label": f"{head_repo.split('/')[0]}:{pull.head_ref}",
                "ref": pull.head_ref,
                "sha": head_sha,
                "repo": self._repo_json(head_repo),
                "user": self._user_json(head_repo.split("/")[0], "User"),
            },
            "base": {
                "label": f"{self.full_name.split('/')[0]}:{pull.base_ref}",
                "ref": pull.base_ref,
                "sha": base_sha,
                "repo": self._repo_json(self.full_name),
                "user": self._user_json(self.full_name.split("/")[0], "Organization"),
            },
            "_links": {"self": {"href": url}, "html": {"href": html}},
        }

    def _file_json(self, entry: _DiffEntry) -> dict[str, Any]:
        """diff-entry"""
        file = entry.file
        patch = entry.patch
        if patch is not None and patch.count("\n") + 1 > self._max_patch_lines:
            patch = None  # GitHub leaves out the patch of a very large file diff
        data: dict[str, Any] = {
            "sha": uuid.uuid5(uuid.NAMESPACE_URL, file.path).hex + "00000000",
            "filename": file.path,
            "status": _GITHUB_STATUS[file.status],
            "additions": file.added,
            "deletions": file.removed,
            "changes": file.added + file.removed,
            "blob_url": f"https://github.com/{self.full_name}/blob/HEAD/{file.path}",
            "raw_url": f"https://github.com/{self.full_name}/raw/HEAD/{file.path}",
            "contents_url": f"{self.base_url}/repos/{self.full_name}/contents/{file.path}",
        }
        if patch is not None:
            data["patch"] = patch
        if file.old_path is not None:
            data["previous_filename"] = file.old_path
        return data

    def _author_json(self, author: Author) -> dict[str, Any]:
        return self._user_json(author.login, author.user_type)

    def _line_text(self, commit: str, path: str, line: int) -> str | None:
        shown = self._git.run("show", f"{commit}:{path}", ok=(0, 128))
        if shown.returncode != 0:
            return None
        lines = shown.stdout.split("\n")
        return lines[line - 1] if 0 < line <= len(lines) else None

    def _conversation_route(
        self, exchange: _Exchange, rest: str, identity: Identity, body: Any
    ) -> tuple[int, Any, dict[str, str]] | None:
        """Reactions, permissions and issue comments; None for other routes."""
        method = exchange.method
        reactions = re.fullmatch(r"/pulls/comments/(\d+)/reactions", rest)
        if reactions:
            return self._reactions(exchange, int(reactions.group(1)), identity, body)
        permission = re.fullmatch(r"/collaborators/([^/]+)/permission", rest)
        if permission and method == "GET":
            return 200, self._permission_json(permission.group(1)), {}
        issue = re.fullmatch(r"/issues/(\d+)/comments", rest)
        if issue is None:
            return None
        number = int(issue.group(1))
        if number not in self._pulls:
            raise _Reject(404, "Not Found")
        if method == "POST":
            text = body.get("body") if isinstance(body, dict) else None
            if not isinstance(text, str) or not text:
                raise _unprocessable("Body can't be blank")
            if len(text) > BODY_LIMIT:
                raise _Reject(422, "Validation Failed", [_too_long("IssueComment")])
            created = self.conversations.add_issue_comment(number, identity.author(), text)
            return 201, self.conversations.issue_comment_json(created, self._author_json), {}
        listed = [
            self.conversations.issue_comment_json(c, self._author_json)
            for c in self.conversations.issue_comments.values()
            if c.number == number
        ]
        return self._page(exchange, f"/repos/{self.full_name}/issues/{number}/comments", listed)

    def _reactions(
        self, exchange: _Exchange, comment_id: int, identity: Identity, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        comment = self.conversations.comments.get(comment_id)
        if comment is None:
            raise _Reject(404, "Not Found")
        if exchange.method == "POST":
            content = body.get("content") if isinstance(body, dict) else None
            if content not in REACTIONS:
                raise _unprocessable(f"content {content!r} is not a valid reaction")
            created, index = self.conversations.react(comment_id, identity.author(), content)
            return (201 if created else 200), self._reaction_json(comment, index), {}
        listed = [self._reaction_json(comment, i) for i in range(len(comment.reactions))]
        path = f"/repos/{self.full_name}/pulls/comments/{comment_id}/reactions"
        return self._page(exchange, path, listed)

    def _reaction_json(self, comment: Comment, index: int) -> dict[str, Any]:
        """reaction"""
        content, login = comment.reactions[index]
        user_type = next((i.user_type for i in self._tokens.values() if i.login == login), "User")
        return {
            "id": comment.comment_id * 100 + index,
            "node_id": f"REA_{comment.comment_id}_{index}",
            "user": self._user_json(login, user_type),
            "content": content,
            "created_at": "2026-01-01T00:00:00Z",
        }

    def _permission_json(self, login: str) -> dict[str, Any]:
        """repository-collaborator-permission"""
        known = [i for i in self._tokens.values() if i.login == login]
        if not known:
            raise _Reject(404, "Not Found")
        identity = known[0]
        if identity.association == "OWNER":
            permission = "admin"
        elif identity.association in ("MEMBER", "COLLABORATOR") and identity.can_write:
            permission = "write"
        else:
            permission = "read"
        return {
            "permission": permission,
            "role_name": permission,
            "user": self._user_json(identity.login, identity.user_type),
        }

    def _review_json(self, review: _Review) -> dict[str, Any]:
        """pull-request-review"""
        pull_url = f"{self.base_url}/repos/{self.full_name}/pulls/{review.number}"
        html = f"https://github.com/{self.full_name}/pull/{review.number}#pullrequestreview-{review.review_id}"
        data: dict[str, Any] = {
            "id": review.review_id,
            "node_id": f"PRR_{review.review_id}",
            "user": self._user_json(review.identity.login, review.identity.user_type),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": pull_url,
            "author_association": review.identity.association,
            "commit_id": review.commit_id,
            "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
        }
        if review.state != "PENDING":
            data["submitted_at"] = "2026-01-01T00:00:00Z"
        return data


@dataclass
class _Review:
    review_id: int
    number: int
    identity: Identity
    state: str
    event: str | None
    body: str
    commit_id: str
    comments: tuple[CommentRecord, ...]

    def record(self) -> ReviewRecord:
        return ReviewRecord(
            review_id=self.review_id,
            number=self.number,
            login=self.identity.login,
            state=self.state,
            event=self.event,
            body=self.body,
            commit_id=self.commit_id,
            comments=self.comments,
        )


def _too_long(resource: str) -> dict[str, str]:
    return {
        "resource": resource,
        "code": "custom",
        "field": "body",
        "message": f"body is too long (maximum is {BODY_LIMIT} characters)",
    }


def _checked_comment(raw: Any, diff: Diff) -> CommentRecord:
    """A draft comment GitHub would accept, or the 422 that sinks the whole review."""
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
        raise _unprocessable("Path could not be resolved")
    body = raw.get("body")
    if not isinstance(body, str) or not body:
        raise _unprocessable("Body can't be blank")
    if len(body) > BODY_LIMIT:
        raise _Reject(422, "Validation Failed", [_too_long("PullRequestReviewComment")])
    file = diff.file(raw["path"])
    if file is None:
        raise _unprocessable("Path could not be resolved")
    side = _side(raw.get("side", "RIGHT"))
    line = raw.get("line")
    if not isinstance(line, int) or file.hunk_for(line, side) is None:
        raise _unprocessable("Line could not be resolved")
    start_line = raw.get("start_line")
    start_side = raw.get("start_side")
    if start_line is not None:
        start = _side(start_side or side)
        hunk = file.hunk_for(line, side)
        assert hunk is not None
        if not isinstance(start_line, int) or start_line not in hunk.commentable(start):
            raise _unprocessable(
                "pull_request_review_thread.start_line must be part of the same hunk as the line."
            )
        if _position(hunk, start_line, start) >= _position(hunk, line, side):
            raise _unprocessable("pull_request_review_thread.start_line must precede the end line.")
    return CommentRecord(raw["path"], line, side.value, start_line, start_side, body)


def _side(raw: object) -> Side:
    try:
        return Side(str(raw))
    except ValueError:
        raise _unprocessable(f"Side must be LEFT or RIGHT, got {raw!r}") from None


def _position(hunk: Hunk, number: int, side: Side) -> int:
    for index, line in enumerate(hunk.lines):
        if line.number(side) == number and not (
            (side is Side.RIGHT and line.kind is LineKind.REMOVED)
            or (side is Side.LEFT and line.kind is LineKind.ADDED)
        ):
            return index
    raise AssertionError("a commentable line is in its hunk")


def _json_or_none(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


# --------------------------------------------------------------------------- HTTP plumbing


@dataclass(frozen=True)
class _Raw:
    """A body sent as it is (the diff), not as JSON."""

    data: bytes
    content_type: str


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], dispatch: Callable[[_Exchange], None]) -> None:
        super().__init__(address, _Handler)
        self.dispatch = dispatch


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as PyGithub's requests session expects
    server: _Server

    def do_GET(self) -> None:
        self.server.dispatch(_Exchange(self))

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Exchange:
    def __init__(self, handler: _Handler) -> None:
        self._handler = handler
        self.method = handler.command
        parsed = urllib.parse.urlsplit(handler.path)
        self.path = urllib.parse.unquote(parsed.path)
        self.query = dict(urllib.parse.parse_qsl(parsed.query))
        self.headers = MappingProxyType({k.lower(): v for k, v in handler.headers.items()})
        self.raw_body = handler.rfile.read(int(handler.headers.get("content-length") or 0))

    def token(self) -> str | None:
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        return value.strip() if scheme.lower() in ("token", "bearer") and value.strip() else None

    def send(self, status: int, payload: Any, headers: Mapping[str, str]) -> None:
        if isinstance(payload, _Raw):
            data, content_type = payload.data, payload.content_type
        else:
            data, content_type = json.dumps(payload).encode(), "application/json; charset=utf-8"
        handler = self._handler
        try:
            handler.send_response(status)
            handler.send_header("content-type", content_type)
            handler.send_header("content-length", str(len(data)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True


@dataclass(frozen=True)
class ThreadCommentRecord:
    comment_id: int
    login: str
    body: str
    in_reply_to: int | None
    reactions: tuple[tuple[str, str], ...]  # (content, login)


@dataclass(frozen=True)
class ThreadRecord:
    thread_id: str
    comments: tuple[ThreadCommentRecord, ...]
    resolved_by: str | None
    outdated: bool

    @property
    def root(self) -> ThreadCommentRecord:
        return self.comments[0]

    @property
    def replies(self) -> tuple[ThreadCommentRecord, ...]:
        return self.comments[1:]


@dataclass(frozen=True)
class IssueCommentRecord:
    comment_id: int
    login: str
    body: str


def _comment_record(comment: Comment) -> ThreadCommentRecord:
    return ThreadCommentRecord(
        comment.comment_id,
        comment.author.login,
        comment.body,
        comment.in_reply_to,
        tuple(comment.reactions),
    )


def iter_comments(reviews: Sequence[ReviewRecord]) -> Iterator[CommentRecord]:
    """Every comment of ``reviews``, in order."""
    for review in reviews:
        yield from review.comments
