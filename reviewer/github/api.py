"""Read a pull request from GitHub and post one review on it, through PyGithub.

The only module that imports ``github`` (lazily, so ``reviewer --version`` stays
fast). Every call goes through ``_Session.call``: PyGithub's own retry is turned
off (``retry=None``) because it sleeps where tests cannot reach and re-sends a
POST blindly; here the waits follow ``reviewer.github.limits`` through an
injectable clock, and a write is re-sent only after checking that its first
attempt did not land (each review carries its run's id in its marker). GitHub
errors become reviewer.errors types in one place, ``_translate``.

When GitHub rejects a review with 422 (it does not say which comment it
refused, and one bad comment sinks them all), the refused comments are found
by bisection with *pending* reviews: a pending review is visible only to its
author and is deleted straight away, so nothing is posted twice and nobody is
notified. The refused comments are then listed in the review body. The number
of probes is capped; comments not cleared within the cap are listed in the body
too, so nothing is lost either way.

The conversation (review threads, who resolved them, reactions) is read over
GraphQL, through PyGithub's requester and its ``graphql_url``: beside the REST
base, so ``https://HOST/api/v3`` gives ``https://HOST/api/graphql`` on GitHub
Enterprise Server. GraphQL reports errors with HTTP 200 and ``errors[]``; those
become reviewer errors here too, except a refused ``resolveReviewThread``, which
the caller is told about (the token lacks ``contents: write``) and works around.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from reviewer import __version__
from reviewer.diff import Diff, FileDiff, FileStatus, parse_diff
from reviewer.errors import AuthError, DiffError, InputError, ReviewerError, ServiceError
from reviewer.github.draft import ReviewComment, ReviewDraft
from reviewer.github.incremental import ChangedSince
from reviewer.github.limits import (
    Clock,
    FailedAttempt,
    GiveUp,
    RetryPolicy,
    SystemClock,
    next_step,
)
from reviewer.github.marker import PROBE_MARKER, PastReview, read_history
from reviewer.github.threads import (
    RESOLVE_MUTATION,
    REVIEW_THREADS_QUERY,
    ReplyMarker,
    ReviewThread,
    graphql_errors,
    parse_thread_page,
    read_reply_marker,
)
from reviewer.values import PathReason

if TYPE_CHECKING:
    from github.File import File
    from github.PullRequest import PullRequest as PyGithubPullRequest
    from github.Repository import Repository
    from github.Requester import Requester

T = TypeVar("T")

DIFF_MEDIA_TYPE = "application/vnd.github.diff"
# GitHub's compare endpoint lists at most 300 files; beyond that a full review is safer.
COMPARE_FILE_LIMIT = 300
NO_PATCH_REASON = "GitHub sent no patch for this file (binary, or too large to show)"

_STATUS_BY_GITHUB = {
    "added": FileStatus.ADDED,
    "removed": FileStatus.DELETED,
    "renamed": FileStatus.RENAMED,
    "copied": FileStatus.COPIED,
}


@dataclass(frozen=True)
class GitHubSettings:
    api_url: str  # https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server
    token: str
    timeout_s: float = 30.0
    # PyGithub's throttles. Reads are made one after another, never in parallel, which
    # is what GitHub asks; writes keep GitHub's advised second between them.
    seconds_between_requests: float = 0.0
    seconds_between_writes: float = 1.0
    retry: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)
    max_probes: int = 24  # pending reviews spent finding comments GitHub refuses


@dataclass(frozen=True)
class PullRequestInfo:
    repository: str
    number: int
    head_sha: str
    base_sha: str
    title: str | None
    body: str | None
    html_url: str


@dataclass(frozen=True)
class FetchedDiff:
    diff: Diff
    skipped: tuple[PathReason, ...]  # files GitHub listed without a patch
    via_files: bool  # True when the whole diff was refused (406) and files were listed


@dataclass(frozen=True)
class PostedReview:
    review_id: int
    html_url: str
    inline: tuple[ReviewComment, ...]
    moved: tuple[ReviewComment, ...]  # refused inline by GitHub, listed in the body
    probes: int  # pending reviews used to find the refused comments


@dataclass(frozen=True)
class IssueComment:
    """A comment in the pull request's conversation tab."""

    comment_id: int
    body: str
    author_is_bot: bool
    association: str


# The permissions GitHub's "Get repository permissions for a user" reports for write access.
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
# The most pages of 100 threads read: a pull request beyond 5,000 threads is not reviewed whole.
MAX_THREAD_PAGES = 50


@dataclass(frozen=True)
class WriteRefused:
    """The token may read but not write (a fork's pull request under ``pull_request``)."""

    message: str


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class GitHub:
    """A connection to one GitHub (or GitHub Enterprise Server) API."""

    def __init__(
        self,
        settings: GitHubSettings,
        *,
        clock: Clock | None = None,
        log: Callable[[str], None] = _stderr,
    ) -> None:
        try:
            from github import Auth, Github
        except ModuleNotFoundError:
            raise InputError(
                "`reviewer action` needs PyGithub, which this installation lacks",
                hint="install reviewer with its GitHub extra: pip install 'reviewer[github]'",
            ) from None

        self._client = Github(
            auth=Auth.Token(settings.token),
            base_url=settings.api_url,
            timeout=int(settings.timeout_s),
            retry=None,
            user_agent=f"reviewer/{__version__}",
            per_page=100,
            seconds_between_requests=settings.seconds_between_requests,
            seconds_between_writes=settings.seconds_between_writes,
        )
        self._session = _Session(settings, clock or SystemClock(), log)

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def pull_request(self, repository: str, number: int) -> PullRequest:
        api_url = self._session.settings.api_url
        repo = self._session.run(
            f"reading repository {repository}",
            lambda: self._client.get_repo(repository),
            not_found=f"repository {repository} not found at {api_url} (or the token cannot see it)",
        )
        pull = self._session.run(
            f"reading pull request #{number}",
            lambda: repo.get_pull(number),
            not_found=f"pull request #{number} not found in {repository}",
        )
        return PullRequest(self._session, self._client.requester, repo, pull)


class PullRequest:
    """One pull request: its reviews, its diff, and posting a review on it."""

    def __init__(
        self,
        session: _Session,
        requester: Requester,
        repo: Repository,
        pull: PyGithubPullRequest,
    ) -> None:
        self._session = session
        self._requester = requester
        self._repo = repo
        self._pull = pull
        self._permissions: dict[str, bool] = {}
        self.info = PullRequestInfo(
            repository=repo.full_name,
            number=pull.number,
            head_sha=pull.head.sha,
            base_sha=pull.base.sha,
            title=pull.title,
            body=pull.body,
            html_url=pull.html_url,
        )

    # ------------------------------------------------------------------ reading

    def reviews(self) -> tuple[PastReview, ...]:
        return self._session.run("listing the reviews", self._list_reviews)

    def _list_reviews(self) -> tuple[PastReview, ...]:
        return tuple(
            PastReview(
                review_id=review.id,
                state=review.state,
                body=review.body or "",
                html_url=review.html_url,
                author_type=review.user.type if review.user is not None else "",
                author_association=review.author_association or "",
            )
            for review in self._pull.get_reviews()
        )

    def diff(self) -> FetchedDiff:
        """The diff GitHub shows; file by file when the whole diff is refused as too large."""
        try:
            text = self._session.call("reading the diff", self._diff_text)
        except _FinalFailure as failure:
            if failure.status != 406:
                raise _translate(failure, "reading the diff") from None
            return self._diff_from_files()
        source = f"{self.info.repository}#{self.info.number}"
        return FetchedDiff(parse_diff(text, source=source), (), via_files=False)

    def _diff_text(self) -> str:
        _, data = self._requester.requestJsonAndCheck(
            "GET", self._pull.url, headers={"Accept": DIFF_MEDIA_TYPE}
        )
        # PyGithub hands a body that is not JSON back as {"data": text}, decoded by the
        # response's charset (UTF-8, bytes that are not become U+FFFD: lines stay lines).
        return str(data.get("data", "")) if isinstance(data, dict) else ""

    def _diff_from_files(self) -> FetchedDiff:
        files = self._session.run(
            "listing the changed files", lambda: _patches(self._pull.get_files())
        )
        diff, skipped = _diff_of(files)
        return FetchedDiff(diff, skipped, via_files=True)

    def changed_since(self, base_sha: str) -> ChangedSince | None:
        """What changed from ``base_sha`` to the head; None when the head does not descend from it."""
        head = self.info.head_sha
        try:
            status, files = self._session.call(
                "comparing with the last reviewed commit", lambda: self._compare(base_sha, head)
            )
        except _FinalFailure as failure:
            if failure.status in (404, 422):
                return None  # the old head is gone: history was rewritten
            raise _translate(failure, "comparing commits") from None
        if status not in ("ahead", "identical") or len(files) >= COMPARE_FILE_LIMIT:
            return None
        diff, skipped = _diff_of(files)
        return ChangedSince(base_sha, diff, frozenset(entry.path for entry in skipped))

    def _compare(self, base: str, head: str) -> tuple[str, tuple[_Patch, ...]]:
        comparison = self._repo.compare(base, head)
        return comparison.status, _patches(comparison.files)

    # ------------------------------------------------------------------ the conversation

    def threads(self) -> tuple[ReviewThread, ...]:
        """Every review thread of the pull request, oldest first (GraphQL ``reviewThreads``)."""
        owner, name = self.info.repository.split("/", 1)
        found: list[ReviewThread] = []
        cursor: str | None = None
        for _ in range(MAX_THREAD_PAGES):
            variables = {"owner": owner, "name": name, "number": self.info.number, "after": cursor}
            page = parse_thread_page(
                self._graphql("reading the review threads", REVIEW_THREADS_QUERY, variables)
            )
            found.extend(page.threads)
            cursor = page.next_cursor
            if cursor is None:
                break
        return tuple(found)

    def resolve(self, thread_id: str) -> str | None:
        """Resolve a review thread; None when done, else GitHub's reason for refusing."""
        answer = self._session.run(
            "resolving a review thread",
            lambda: self._graphql_answer(RESOLVE_MUTATION, {"threadId": thread_id}),
        )
        errors = graphql_errors(answer)
        if not errors:
            return None
        kinds = {kind for kind, _ in errors}
        if kinds <= {"FORBIDDEN", "NOT_FOUND"}:
            return "; ".join(message for _, message in errors)
        raise _graphql_failure("resolving a review thread", errors)

    def may_write(self, login: str) -> bool:
        """Whether ``login`` has write access to the repository (cached per run)."""
        if login not in self._permissions:
            self._permissions[login] = self._permission(login) in WRITE_PERMISSIONS

        return self._permissions[login]

    def _permission(self, login: str) -> str:
        url = f"{self._repo.url}/collaborators/{login}/permission"

        def read() -> str:
            _, data = self._requester.requestJsonAndCheck("GET", url)
            return str(data.get("permission", "")) if isinstance(data, dict) else ""

        try:
            return self._session.call(f"reading {login}'s permission", read)
        except _FinalFailure as failure:
            if failure.status == 404:
                return "none"  # not a user GitHub knows: no access
            raise _translate(failure, f"reading {login}'s permission") from None

    def reply(self, comment_id: int, body: str) -> int:
        """Reply in the thread of review comment ``comment_id``; the reply's id.

        ``body`` carries a reply marker: a retry first looks for the reply it may
        have posted already, so an answer lost in transit is not posted twice.
        """
        url = f"{self._pull.url}/comments/{comment_id}/replies"
        marker = read_reply_marker(body)

        def create() -> int:
            _, data = self._requester.requestJsonAndCheck("POST", url, input={"body": body})
            return int(data["id"])

        def landed_already() -> int | None:
            return None if marker is None else self._posted_reply(marker)

        try:
            return self._session.call("replying in a thread", create, before_retry=landed_already)
        except _FinalFailure as failure:
            raise _translate(failure, "replying in a thread") from None

    def _posted_reply(self, marker: ReplyMarker) -> int | None:
        for thread in self.threads():
            for comment in thread.comments[1:]:
                if read_reply_marker(comment.body) == marker:
                    return comment.database_id
        return None

    def issue_comments(self) -> tuple[IssueComment, ...]:
        """The comments of the pull request's conversation tab."""
        return self._session.run(
            "listing the pull request's comments",
            lambda: tuple(
                IssueComment(
                    comment.id,
                    comment.body or "",
                    comment.user is not None and comment.user.type == "Bot",
                    comment.author_association or "",
                )
                for comment in self._pull.get_issue_comments()
            ),
        )

    def comment(self, body: str) -> int:
        """Post a comment in the pull request's conversation tab; its id."""
        marker = read_reply_marker(body)

        def landed_already() -> int | None:
            for comment in self.issue_comments() if marker is not None else ():
                if read_reply_marker(comment.body) == marker:
                    return comment.comment_id
            return None

        def create() -> int:
            return int(self._pull.create_issue_comment(body).id)

        try:
            return self._session.call("commenting", create, before_retry=landed_already)
        except _FinalFailure as failure:
            raise _translate(failure, "commenting on the pull request") from None

    def _graphql(self, what: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = self._session.run(what, lambda: self._graphql_answer(query, variables))
        errors = graphql_errors(answer)
        if errors:
            raise _graphql_failure(what, errors)
        return answer

    def _graphql_answer(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        # Not Requester.graphql_query: it turns every error into one exception, losing
        # which were FORBIDDEN; the answer is read here instead.
        _, data = self._requester.requestJsonAndCheck(
            "POST", self._requester.graphql_url, input={"query": query, "variables": variables}
        )
        return dict(data) if isinstance(data, dict) else {}

    # ------------------------------------------------------------------ posting

    def update_review_body(self, review_id: int, body: str) -> None:
        """Replace a review's body (an edit: it notifies nobody). Idempotent."""
        url = f"{self._pull.url}/reviews/{review_id}"

        def update() -> None:
            self._requester.requestJsonAndCheck("PUT", url, input={"body": body})

        self._session.run("updating the last review's state", update)

    def post(self, draft: ReviewDraft) -> PostedReview | WriteRefused:
        """Post ``draft`` as one review; refused comments move into its body."""
        comments = draft.comments
        try:
            review_id, url = self._create(draft, draft.body(), comments)
            return PostedReview(review_id, url, comments, (), probes=0)
        except _FinalFailure as failure:
            if failure.status == 403:
                return WriteRefused(failure.attempt.message)
            if failure.status != 422 or not comments:
                raise _translate(failure, "posting the review") from None
        refused, probes = self._find_refused(draft, comments)
        accepted = tuple(c for c in comments if c not in refused)
        try:
            review_id, url = self._create(draft, draft.body(refused), accepted)
            return PostedReview(review_id, url, accepted, refused, probes)
        except _FinalFailure as failure:
            if failure.status != 422 or not accepted:
                raise _translate(failure, "posting the review") from None
        try:
            review_id, url = self._create(draft, draft.body(comments), ())
        except _FinalFailure as failure:
            raise _translate(failure, "posting the review") from None
        return PostedReview(review_id, url, (), comments, probes)

    def _create(
        self, draft: ReviewDraft, body: str, comments: Sequence[ReviewComment]
    ) -> tuple[int, str]:
        payload = {
            "commit_id": draft.commit_sha,
            "body": body,
            "event": draft.event,
            "comments": [_comment_json(c) for c in comments],
        }

        def create() -> tuple[int, str]:
            data = self._post_review(payload)
            return int(data["id"]), str(data["html_url"])

        def landed_already() -> tuple[int, str] | None:
            # The failed attempt may have been written before the answer was lost.
            mine = read_history(self._list_reviews()).review_by_run(draft.state.run_id)
            return None if mine is None else (mine.review_id, mine.html_url)

        return self._session.call("posting the review", create, before_retry=landed_already)

    def _post_review(self, payload: dict[str, Any]) -> dict[str, Any]:
        _, data = self._requester.requestJsonAndCheck(
            "POST", f"{self._pull.url}/reviews", input=payload
        )
        return dict(data)

    def _find_refused(
        self, draft: ReviewDraft, comments: tuple[ReviewComment, ...]
    ) -> tuple[tuple[ReviewComment, ...], int]:
        """The comments GitHub refuses, by bisection with pending reviews; and the probes used."""
        prober = _Prober(self, draft.commit_sha, self._session.settings.max_probes)
        # A pending review left by a crashed run blocks new ones (one per user per pull
        # request) and may itself be why the review was refused: clear it, then recheck all.
        known_bad = self._delete_stale_probes() == 0
        prober.search(comments, known_bad=known_bad)
        return tuple(c for c in comments if c in prober.refused), prober.used

    def _delete_stale_probes(self) -> int:
        stale = [r for r in self.reviews() if r.state == "PENDING" and PROBE_MARKER in r.body]
        for review in stale:
            self._delete_pending(review.review_id)
        return len(stale)

    def _probe(self, commit_sha: str, comments: Sequence[ReviewComment]) -> bool:
        """Whether GitHub takes ``comments`` in one review; the pending review is deleted."""
        payload = {
            "commit_id": commit_sha,
            "body": PROBE_MARKER,
            "comments": [_comment_json(c) for c in comments],
        }
        try:
            data = self._session.call("checking comments", lambda: self._post_review(payload))
        except _FinalFailure as failure:
            if failure.status == 422:
                return False
            raise _translate(failure, "checking comments") from None
        self._delete_pending(int(data["id"]))
        return True

    def _delete_pending(self, review_id: int) -> None:
        url = f"{self._pull.url}/reviews/{review_id}"

        def delete() -> None:
            self._requester.requestJsonAndCheck("DELETE", url)

        try:
            self._session.call("deleting a pending review", delete)
        except _FinalFailure as failure:
            if failure.status != 404:  # already gone: a retried delete that had landed
                raise _translate(failure, "deleting a pending review") from None


class _Prober:
    """Bisection over comments, knowing that a group fails if any one of it does."""

    def __init__(self, pull: PullRequest, commit_sha: str, budget: int) -> None:
        self._pull = pull
        self._commit_sha = commit_sha
        self._budget = budget
        self.used = 0
        self.refused: set[ReviewComment] = set()

    def search(self, group: Sequence[ReviewComment], *, known_bad: bool) -> None:
        if not known_bad and self._accepted(group):
            return
        if len(group) == 1:
            self.refused.add(group[0])
            return
        middle = len(group) // 2
        before = len(self.refused)
        self.search(group[:middle], known_bad=False)
        # When the first half passed, the fault is in the second half.
        self.search(group[middle:], known_bad=len(self.refused) == before)

    def _accepted(self, group: Sequence[ReviewComment]) -> bool:
        if self.used >= self._budget:
            return False  # out of probes: the rest is listed in the body, not lost
        self.used += 1
        return self._pull._probe(self._commit_sha, group)


def _graphql_failure(what: str, errors: Sequence[tuple[str, str]]) -> ReviewerError:
    detail = "; ".join(f"{kind or 'error'}: {message}" for kind, message in errors)
    if any(kind == "FORBIDDEN" for kind, _ in errors):
        return AuthError(
            f"GitHub denied {what} (GraphQL): {detail}",
            hint="the workflow needs `permissions: pull-requests: write`",
        )
    return ServiceError(f"GitHub failed while {what} (GraphQL): {detail}")


def _comment_json(comment: ReviewComment) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": comment.path,
        "body": comment.body,
        "line": comment.line,
        "side": comment.side.value,
    }
    if comment.start_line is not None:
        entry["start_line"] = comment.start_line
        entry["start_side"] = comment.side.value
    return entry


# ---------------------------------------------------------------------- files to a diff


@dataclass(frozen=True)
class _Patch:
    """A file entry of the files or compare listing."""

    path: str
    previous_path: str | None
    status: str
    patch: str | None
    changes: int


def _patches(files: Iterable[File]) -> tuple[_Patch, ...]:
    return tuple(
        _Patch(f.filename, f.previous_filename, f.status, f.patch, f.changes) for f in files
    )


def _diff_of(files: Sequence[_Patch]) -> tuple[Diff, tuple[PathReason, ...]]:
    """A Diff of the files with a patch; the others, with the reason they are left out."""
    parsed: list[FileDiff] = []
    skipped: list[PathReason] = []
    for entry in files:
        try:
            file = _file_diff(entry)
        except DiffError as exc:
            skipped.append(PathReason(entry.path, f"GitHub's patch could not be read: {exc}"))
            continue
        if file is None:
            skipped.append(PathReason(entry.path, NO_PATCH_REASON))
        else:
            parsed.append(file)
    return Diff(files=tuple(parsed)), tuple(skipped)


def _file_diff(entry: _Patch) -> FileDiff | None:
    status = _STATUS_BY_GITHUB.get(entry.status, FileStatus.MODIFIED)
    moved = status in (FileStatus.RENAMED, FileStatus.COPIED)
    old_path = entry.previous_path if moved else None
    if entry.patch is None:
        if moved and entry.changes == 0:
            return FileDiff(path=entry.path, old_path=old_path, status=status)
        return None
    # A neutral header: the real names are set below, so no name needs quoting here.
    text = f"--- a/file\n+++ b/file\n{entry.patch}\n"
    files = parse_diff(text, source=f"GitHub's patch of {entry.path}").files
    if not files:
        return FileDiff(path=entry.path, old_path=old_path, status=status)
    return dataclasses.replace(files[0], path=entry.path, old_path=old_path, status=status)


# ---------------------------------------------------------------------- calls and errors


class _FinalFailure(Exception):
    """A request that failed for good: refused, or retried until the policy gave up."""

    def __init__(self, attempt: FailedAttempt, gave_up: str | None = None) -> None:
        super().__init__(gave_up or attempt.message)
        self.attempt = attempt
        self.gave_up = gave_up  # why retrying stopped; None when GitHub's answer was final

    @property
    def status(self) -> int | None:
        """GitHub's final answer; None when retries ran out, whatever the last status."""
        return self.attempt.status if self.gave_up is None else None


class _Session:
    def __init__(self, settings: GitHubSettings, clock: Clock, log: Callable[[str], None]) -> None:
        self.settings = settings
        self.clock = clock
        self.log = log

    def run(self, what: str, request: Callable[[], T], *, not_found: str | None = None) -> T:
        """``call``, with any failure translated."""
        try:
            return self.call(what, request)
        except _FinalFailure as failure:
            raise _translate(failure, what, not_found=not_found) from None

    def call(
        self,
        what: str,
        request: Callable[[], T],
        *,
        before_retry: Callable[[], T | None] | None = None,
    ) -> T:
        """``request()``, retried on rate limits and server errors as GitHub advises.

        ``before_retry`` (for writes) may return what the failed attempt produced
        after all, which ends the call. Raises ``_FinalFailure``.
        """
        earlier: list[FailedAttempt] = []
        while True:
            attempt = _attempt(request)
            if not isinstance(attempt, FailedAttempt):
                return attempt.value
            step = next_step(attempt, earlier, self.settings.retry, self.clock.time())
            if step is None:
                raise _FinalFailure(attempt)
            if isinstance(step, GiveUp):
                raise _FinalFailure(attempt, gave_up=step.reason)
            self.log(f"reviewer: GitHub {what}: {step.reason}; waiting {step.seconds:g} s")
            self.clock.sleep(step.seconds)
            earlier.append(attempt)
            if before_retry is not None:
                landed = before_retry()
                if landed is not None:
                    return landed


@dataclass(frozen=True)
class _Value(Generic[T]):
    value: T


def _attempt(request: Callable[[], T]) -> _Value[T] | FailedAttempt:
    import requests
    from github import GithubException

    try:
        return _Value(request())
    except GithubException as exc:
        headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
        return FailedAttempt(exc.status, _message(exc.data), headers)
    except requests.RequestException as exc:
        return FailedAttempt(None, f"{type(exc).__name__}: {exc}")


def _message(data: object) -> str:
    """GitHub's error message with its ``errors`` details, from an error body."""
    if not isinstance(data, dict):
        return str(data or "no message")
    message = str(data.get("message") or "no message")
    details = []
    for error in data.get("errors") or ():
        if isinstance(error, dict):
            details.append(str(error.get("message") or error.get("code") or error))
        else:
            details.append(str(error))
    return f"{message} ({'; '.join(details)})" if details else message


def _translate(failure: _FinalFailure, what: str, *, not_found: str | None = None) -> ReviewerError:
    """The one place where a GitHub failure becomes a reviewer error."""
    attempt = failure.attempt
    request_id = attempt.headers.get("x-github-request-id")
    if failure.gave_up is not None:
        return ServiceError(
            f"GitHub: {what} failed: {failure.gave_up}",
            status=attempt.status,
            request_id=request_id,
        )
    if attempt.status == 404 and not_found is not None:
        return InputError(not_found)
    if attempt.status == 401:
        return AuthError(
            f"GitHub refused the token while {what} (401): {attempt.message}",
            status=401,
            request_id=request_id,
            hint="check the github_token input (default: the workflow's GITHUB_TOKEN)",
        )
    if attempt.status == 403:
        return AuthError(
            f"GitHub denied {what} (403): {attempt.message}",
            status=403,
            request_id=request_id,
            hint="the workflow needs `permissions: contents: read, pull-requests: write`",
        )
    status = "no response" if attempt.status is None else f"HTTP {attempt.status}"
    return ServiceError(
        f"GitHub failed while {what} ({status}): {attempt.message}",
        status=attempt.status,
        request_id=request_id,
    )
