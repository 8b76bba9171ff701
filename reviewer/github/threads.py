"""Review threads as GraphQL describes them, and the hidden markers of the bot's own comments.

Thread state (resolved, by whom, outdated) exists only in GitHub's GraphQL API
(objects ``PullRequestReviewThread`` and ``PullRequestReviewComment``). The
queries are here, with the parsing of their answers into frozen values; ``api``
sends them. Answers are read defensively: a field missing or of the wrong type
is an InputError naming it, never a traceback.

The bot recognises its own comments by a marker, never by author name alone:

    <!-- reviewer:finding {"v":1,"lines":[…],"ctx":"…","words":[…]} -->   on each inline finding
    <!-- reviewer:reply {"v":1,"to":123,"kind":"fixed"} -->             on each reply it posts

A marker is believed only on a comment by a bot account or by someone with
write access (anyone can type one); ``kind`` is ``fixed`` or ``answer``, and
``to`` the comment it answers, so each comment is answered once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reviewer.errors import InputError
from reviewer.github.identity import FindingKey, dumps, key_from_json, key_json

FINDING_PREFIX = "<!-- reviewer:finding "
REPLY_PREFIX = "<!-- reviewer:reply "
MARKER_SUFFIX = " -->"
_VERSION = 1
_FINDING = re.compile(re.escape(FINDING_PREFIX) + r"(\{[^\n]*?\})" + re.escape(MARKER_SUFFIX))
_REPLY = re.compile(re.escape(REPLY_PREFIX) + r"(\{[^\n]*?\})" + re.escape(MARKER_SUFFIX))
ANY_MARKER = "<!-- reviewer:"
REPLY_KINDS = frozenset({"fixed", "answer"})

# GraphQL documents (docs.github.com/en/graphql/reference/objects#pullrequestreviewthread).
REVIEW_THREADS_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $after) {
        nodes {
          id isResolved isOutdated path line diffSide viewerCanResolve
          resolvedBy { login }
          comments(first: 100) {
            nodes {
              databaseId body authorAssociation
              author { __typename login }
              replyTo { databaseId }
              reactions(first: 100) { nodes { content user { login } } }
            }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
""".strip()

RESOLVE_MUTATION = """
mutation($threadId: ID!) {
  resolveReviewThread(input: {threadId: $threadId}) { thread { id isResolved } }
}
""".strip()


@dataclass(frozen=True)
class Reaction:
    content: str  # GraphQL's ReactionContent: THUMBS_UP, THUMBS_DOWN, ...
    login: str


@dataclass(frozen=True)
class ThreadComment:
    database_id: int
    body: str
    author: str  # login ("" for a deleted account); a bot's without "[bot]"
    author_is_bot: bool
    association: str  # OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, ...
    reactions: tuple[Reaction, ...] = ()


@dataclass(frozen=True)
class ReviewThread:
    thread_id: str
    path: str
    line: int | None  # None once outdated
    is_resolved: bool
    is_outdated: bool
    resolved_by: str | None
    viewer_can_resolve: bool
    comments: tuple[ThreadComment, ...]

    @property
    def root(self) -> ThreadComment:
        return self.comments[0]


@dataclass(frozen=True)
class ThreadPage:
    threads: tuple[ReviewThread, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class ReplyMarker:
    to: int
    kind: str


# ---------------------------------------------------------------------- markers


def finding_marker(key: FindingKey) -> str:
    return FINDING_PREFIX + dumps({"v": _VERSION, **key_json(key)}) + MARKER_SUFFIX


def reply_marker(to: int, kind: str) -> str:
    return REPLY_PREFIX + dumps({"v": _VERSION, "to": to, "kind": kind}) + MARKER_SUFFIX


def read_finding_marker(body: str, path: str) -> FindingKey | None:
    for match in reversed(list(_FINDING.finditer(body))):
        data = _json(match.group(1))
        if isinstance(data, dict) and data.get("v") == _VERSION:
            key = key_from_json(path, data)
            if key is not None:
                return key
    return None


def read_reply_marker(body: str) -> ReplyMarker | None:
    for match in reversed(list(_REPLY.finditer(body))):
        data = _json(match.group(1))
        if not isinstance(data, dict) or data.get("v") != _VERSION:
            continue
        to, kind = data.get("to"), data.get("kind")
        if isinstance(to, int) and not isinstance(to, bool) and kind in REPLY_KINDS:
            return ReplyMarker(to, str(kind))
    return None


def visible_text(body: str) -> str:
    """A comment's text without the bot's hidden markers."""
    return "\n".join(
        line for line in body.splitlines() if not line.lstrip().startswith(ANY_MARKER)
    ).strip()


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


# ---------------------------------------------------------------------- GraphQL answers


def graphql_errors(answer: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The ``(type, message)`` of each entry of ``errors[]`` (sent with HTTP 200)."""
    found = []
    for error in answer.get("errors") or ():
        if isinstance(error, dict):
            found.append((str(error.get("type") or ""), str(error.get("message") or error)))
        else:
            found.append(("", str(error)))
    return tuple(found)


def parse_thread_page(answer: Mapping[str, Any]) -> ThreadPage:
    connection = _Reader(answer, "the reviewThreads answer").at(
        "data", "repository", "pullRequest", "reviewThreads"
    )
    nodes = connection.list("nodes")
    page_info = connection.at("pageInfo")
    more = page_info.value("hasNextPage", bool)
    cursor = page_info.value("endCursor", str, required=False)
    return ThreadPage(tuple(_thread(node) for node in nodes), cursor if more else None)


def _thread(node: _Reader) -> ReviewThread:
    resolved_by = node.optional("resolvedBy")
    return ReviewThread(
        thread_id=node.value("id", str),
        path=node.value("path", str),
        line=node.value("line", int, required=False),
        is_resolved=node.value("isResolved", bool),
        is_outdated=node.value("isOutdated", bool),
        resolved_by=None if resolved_by is None else resolved_by.value("login", str),
        viewer_can_resolve=node.value("viewerCanResolve", bool),
        comments=tuple(_comment(c) for c in node.at("comments").list("nodes")),
    )


def _comment(node: _Reader) -> ThreadComment:
    author = node.optional("author")  # null for a deleted account ("ghost")
    reactions = node.optional("reactions")
    return ThreadComment(
        database_id=node.value("databaseId", int),
        body=node.value("body", str),
        author="" if author is None else author.value("login", str),
        author_is_bot=author is not None and author.value("__typename", str) == "Bot",
        association=node.value("authorAssociation", str),
        reactions=tuple(_reactions(reactions)) if reactions is not None else (),
    )


def _reactions(connection: _Reader) -> Iterator[Reaction]:
    for node in connection.list("nodes"):
        user = node.optional("user")
        if user is not None:
            yield Reaction(node.value("content", str), user.value("login", str))


class _Reader:
    """Typed reads from a GraphQL answer, naming the field when it is missing or wrong."""

    def __init__(self, data: object, where: str) -> None:
        self._data = data
        self._where = where

    def _get(self, key: str) -> object:
        return self._data.get(key) if isinstance(self._data, dict) else None

    def at(self, *keys: str) -> _Reader:
        reader = self
        for key in keys:
            found = reader.optional(key)
            if found is None:
                raise InputError(f"GitHub's GraphQL answer has no {reader._where}.{key}")
            reader = found
        return reader

    def optional(self, key: str) -> _Reader | None:
        value = self._get(key)
        return None if value is None else _Reader(value, f"{self._where}.{key}")

    def list(self, key: str) -> list[_Reader]:
        value = self._get(key)
        if not isinstance(value, list):
            raise InputError(f"GitHub's GraphQL answer has no list {self._where}.{key}")
        return [_Reader(item, f"{self._where}.{key}[{i}]") for i, item in enumerate(value)]

    def value(self, key: str, kind: type[Any], *, required: bool = True) -> Any:
        value = self._get(key)
        if value is None and not required:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InputError(
                f"GitHub's GraphQL answer has no valid {self._where}.{key} "
                f"(expected {kind.__name__}, got {type(value).__name__})"
            )
        return value
