"""Review comments, their threads, replies, reactions, and the GraphQL endpoint of the fake GitHub.

``GitHubAPI`` (``tests/fakes/github_api.py``) owns the lock, the tokens and the
routes; this module holds the conversation on each pull request and answers
for it. Shapes and rules, with GitHub's documentation page for each:

* **Review comments** ("REST API endpoints for pull request review comments",
  docs.github.com/en/rest/pulls/comments): each inline comment of a created review
  is a ``pull-request-review-comment`` with an ``id``, ``in_reply_to_id`` for a
  reply, ``author_association`` and ``user``. "Create a reply for a review
  comment" (``POST /repos/{o}/{r}/pulls/{n}/comments/{comment_id}/replies``) is
  201; a reply to a reply is refused (GitHub: replies to replies are not
  supported), and a comment of another pull request is 404.
* **Reactions** ("REST API endpoints for reactions",
  docs.github.com/en/rest/reactions/reactions): ``POST
  /repos/{o}/{r}/pulls/comments/{id}/reactions`` with ``content`` one of ``+1 -1
  laugh confused heart hooray rocket eyes`` is 201 (200 when that user already
  reacted so); ``GET`` lists them with their ``user``.
* **Issue comments** ("REST API endpoints for issue comments",
  docs.github.com/en/rest/issues/comments): ``GET``/``POST
  /repos/{o}/{r}/issues/{n}/comments`` on a pull request's number (201 on create).
* **Permissions** ("Get repository permissions for a user",
  docs.github.com/en/rest/collaborators/collaborators): ``GET
  /repos/{o}/{r}/collaborators/{username}/permission`` → ``{"permission":
  "admin"|"write"|"read"|"none", "role_name", "user"}``.
* **GraphQL** ("Forming calls with GraphQL",
  docs.github.com/en/graphql/guides/forming-calls-with-graphql): ``POST`` JSON
  ``{"query", "variables"}`` to ``/graphql`` (``/api/graphql`` on GitHub Enterprise
  Server, beside ``/api/v3``). Errors come with HTTP 200 and ``errors[]`` of
  ``{"type", "path", "locations", "message"}``; a bad token is 401. The fake knows
  three operations, recognised by their root field (it does not parse GraphQL;
  it answers every field our queries may ask for): ``repository.pullRequest.
  reviewThreads`` (objects ``PullRequestReviewThread`` and
  ``PullRequestReviewComment``, docs.github.com/en/graphql/reference/objects),
  paginated by ``first`` (at most 100) and an opaque ``after`` cursor with
  ``pageInfo {hasNextPage endCursor}``; and the mutations ``resolveReviewThread``,
  ``unresolveReviewThread`` and ``addPullRequestReviewThreadReply``
  (docs.github.com/en/graphql/reference/mutations). As reported for the Actions
  token and App installation tokens (see the project's API notes), resolving
  needs ``contents: write``: without it the mutation answers FORBIDDEN "Resource
  not accessible by integration", and ``viewerCanResolve`` is false.
* **Outdated threads**: GitHub marks a thread outdated when the diff moved under
  it; here, when the commented line's text at the comment's commit differs from
  the text at that line number in the head commit (``line`` is then null, as
  GitHub sends it for outdated threads). GitHub also moves a thread's ``line``
  when lines are inserted above it; the fake does not (the bot must not rely on
  ``line``: it re-finds its comments by their code).
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

REACTIONS: Final = {
    "+1": "THUMBS_UP",
    "-1": "THUMBS_DOWN",
    "laugh": "LAUGH",
    "confused": "CONFUSED",
    "heart": "HEART",
    "hooray": "HOORAY",
    "rocket": "ROCKET",
    "eyes": "EYES",
}
FORBIDDEN_MESSAGE: Final = "Resource not accessible by integration"
MAX_FIRST: Final = 100


@dataclass(frozen=True)
class Author:
    login: str
    user_type: str  # "Bot" or "User"
    association: str
    can_write: bool = True
    contents_write: bool = True


@dataclass
class Comment:
    comment_id: int
    number: int
    author: Author
    path: str
    line: int | None
    side: str
    start_line: int | None
    body: str
    commit_id: str
    in_reply_to: int | None = None
    review_id: int | None = None
    reactions: list[tuple[str, str]] = field(default_factory=list)  # (REST content, login)


@dataclass
class Thread:
    thread_id: str
    number: int
    comment_ids: list[int]
    resolved_by: str | None = None


@dataclass
class IssueComment:
    comment_id: int
    number: int
    author: Author
    body: str


class GraphQLError(Exception):
    """An ``errors[]`` entry, sent with HTTP 200."""

    def __init__(self, kind: str | None, message: str, path: list[str] | None = None) -> None:
        super().__init__(message)
        self.entry: dict[str, Any] = {"message": message, "locations": [{"line": 1, "column": 1}]}
        if kind is not None:
            self.entry["type"] = kind
        if path is not None:
            self.entry["path"] = path


class Conversations:
    """Every pull request's review comments, threads and issue comments (caller holds the lock)."""

    def __init__(
        self,
        *,
        line_text: Callable[[str, str, int], str | None],
        head_sha: Callable[[int], str],
        base_url: Callable[[], str],
        full_name: str,
    ) -> None:
        self._line_text = line_text  # (commit, path, line) → the line's text, or None
        self._head_sha = head_sha
        self._base_url = base_url
        self.full_name = full_name
        self.comments: dict[int, Comment] = {}
        self.threads: dict[str, Thread] = {}
        self.issue_comments: dict[int, IssueComment] = {}
        self._ids = itertools.count(2001)
        self._thread_ids = itertools.count(1)
        self.max_page = MAX_FIRST  # a test may lower it to exercise pagination

    # ---- writes

    def add_review_comment(
        self,
        number: int,
        author: Author,
        *,
        path: str,
        line: int,
        side: str,
        start_line: int | None,
        body: str,
        commit_id: str,
        review_id: int | None,
    ) -> Comment:
        comment = Comment(
            next(self._ids), number, author, path, line, side, start_line, body, commit_id
        )
        comment.review_id = review_id
        self.comments[comment.comment_id] = comment
        thread = Thread(f"PRRT_kwDO{next(self._thread_ids):06d}", number, [comment.comment_id])
        self.threads[thread.thread_id] = thread
        return comment

    def reply(self, number: int, to: int, author: Author, body: str) -> Comment:
        parent = self.comments.get(to)
        if parent is None or parent.number != number:
            raise LookupError("Not Found")
        if parent.in_reply_to is not None:
            raise ValueError("replies to replies are not supported")
        thread = self.thread_of(to)
        comment = Comment(
            next(self._ids),
            number,
            author,
            parent.path,
            parent.line,
            parent.side,
            parent.start_line,
            body,
            self._head_sha(number),
            in_reply_to=to,
        )
        self.comments[comment.comment_id] = comment
        thread.comment_ids.append(comment.comment_id)
        return comment

    def react(self, comment_id: int, author: Author, content: str) -> tuple[bool, int]:
        """Add a reaction; (created, its index). Raises LookupError for an unknown comment."""
        comment = self.comments.get(comment_id)
        if comment is None:
            raise LookupError("Not Found")
        entry = (content, author.login)
        if entry in comment.reactions:
            return False, comment.reactions.index(entry)
        comment.reactions.append(entry)
        return True, len(comment.reactions) - 1

    def add_issue_comment(self, number: int, author: Author, body: str) -> IssueComment:
        comment = IssueComment(next(self._ids), number, author, body)
        self.issue_comments[comment.comment_id] = comment
        return comment

    def thread_of(self, comment_id: int) -> Thread:
        for thread in self.threads.values():
            if comment_id in thread.comment_ids:
                return thread
        raise LookupError("Not Found")

    def is_outdated(self, thread: Thread) -> bool:
        root = self.comments[thread.comment_ids[0]]
        if root.line is None or root.side != "RIGHT":
            return False
        then = self._line_text(root.commit_id, root.path, root.line)
        now = self._line_text(self._head_sha(root.number), root.path, root.line)
        return then != now

    # ---- REST shapes

    def comment_json(self, comment: Comment, user: Callable[[Author], Any]) -> dict[str, Any]:
        """pull-request-review-comment"""
        base = self._base_url()
        url = f"{base}/repos/{self.full_name}/pulls/comments/{comment.comment_id}"
        html = (
            f"https://github.com/{self.full_name}/pull/{comment.number}"
            f"#discussion_r{comment.comment_id}"
        )
        data: dict[str, Any] = {
            "url": url,
            "id": comment.comment_id,
            "node_id": f"PRRC_{comment.comment_id}",
            "pull_request_review_id": comment.review_id,
            "path": comment.path,
            "commit_id": comment.commit_id,
            "original_commit_id": comment.commit_id,
            "user": user(comment.author),
            "body": comment.body,
            "html_url": html,
            "pull_request_url": f"{base}/repos/{self.full_name}/pulls/{comment.number}",
            "author_association": comment.author.association,
            "line": comment.line,
            "original_line": comment.line,
            "side": comment.side,
            "start_line": comment.start_line,
            "diff_hunk": "",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "_links": {"self": {"href": url}, "html": {"href": html}},
        }
        if comment.in_reply_to is not None:
            data["in_reply_to_id"] = comment.in_reply_to
        return data

    def issue_comment_json(
        self, comment: IssueComment, user: Callable[[Author], Any]
    ) -> dict[str, Any]:
        """issue-comment"""
        base = self._base_url()
        url = f"{base}/repos/{self.full_name}/issues/comments/{comment.comment_id}"
        return {
            "url": url,
            "id": comment.comment_id,
            "node_id": f"IC_{comment.comment_id}",
            "html_url": f"https://github.com/{self.full_name}/pull/{comment.number}"
            f"#issuecomment-{comment.comment_id}",
            "issue_url": f"{base}/repos/{self.full_name}/issues/{comment.number}",
            "body": comment.body,
            "user": user(comment.author),
            "author_association": comment.author.association,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }

    # ---- GraphQL

    def graphql(
        self, query: str, variables: Mapping[str, Any], viewer: Author, numbers: set[int]
    ) -> dict[str, Any]:
        """The answer body (HTTP 200) for one GraphQL document."""
        try:
            if "resolveReviewThread" in query or "unresolveReviewThread" in query:
                resolve = "unresolveReviewThread" not in query
                return {"data": self._resolve(variables, viewer, resolve=resolve)}
            if "addPullRequestReviewThreadReply" in query:
                return {"data": self._thread_reply(variables, viewer)}
            if "reviewThreads" in query:
                return {"data": self._review_threads(query, variables, viewer, numbers)}
        except GraphQLError as error:
            return {"data": None, "errors": [error.entry]}
        return {
            "errors": [
                {
                    "message": "the fake GitHub answers reviewThreads, resolveReviewThread, "
                    "unresolveReviewThread and addPullRequestReviewThreadReply only",
                    "locations": [{"line": 1, "column": 1}],
                }
            ]
        }

    def _review_threads(
        self, query: str, variables: Mapping[str, Any], viewer: Author, numbers: set[int]
    ) -> dict[str, Any]:
        owner, name = variables.get("owner"), variables.get("name")
        if f"{owner}/{name}" != self.full_name:
            raise GraphQLError(
                "NOT_FOUND",
                f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                ["repository"],
            )
        number = variables.get("number")
        if not isinstance(number, int) or number not in numbers:
            raise GraphQLError(
                "NOT_FOUND",
                f"Could not resolve to a PullRequest with the number of {number}.",
                ["repository", "pullRequest"],
            )
        first = _first(query, "reviewThreads", variables)
        threads = [t for t in self.threads.values() if t.number == number]
        start = _cursor_index(variables.get("after"))
        page = threads[start : start + min(first, self.max_page)]
        end = start + len(page)
        return {
            "repository": {
                "pullRequest": {
                    "reviewThreads": {
                        "nodes": [self._thread_node(t, viewer) for t in page],
                        "pageInfo": {
                            "hasNextPage": end < len(threads),
                            "endCursor": _cursor(end) if page else None,
                        },
                    }
                }
            }
        }

    def _thread_node(self, thread: Thread, viewer: Author) -> dict[str, Any]:
        """PullRequestReviewThread"""
        root = self.comments[thread.comment_ids[0]]
        outdated = self.is_outdated(thread)
        comments = [self.comments[i] for i in thread.comment_ids]
        return {
            "id": thread.thread_id,
            "isResolved": thread.resolved_by is not None,
            "isOutdated": outdated,
            "path": root.path,
            "line": None if outdated else root.line,
            "originalLine": root.line,
            "diffSide": root.side,
            "viewerCanResolve": viewer.can_write and viewer.contents_write,
            "resolvedBy": None if thread.resolved_by is None else {"login": thread.resolved_by},
            "comments": {
                "nodes": [self._comment_node(c) for c in comments[:MAX_FIRST]],
                "pageInfo": {
                    "hasNextPage": len(comments) > MAX_FIRST,
                    "endCursor": _cursor(min(len(comments), MAX_FIRST)),
                },
            },
        }

    def _comment_node(self, comment: Comment) -> dict[str, Any]:
        """PullRequestReviewComment"""
        return {
            "id": f"PRRC_{comment.comment_id}",
            "databaseId": comment.comment_id,
            "body": comment.body,
            "author": {
                "__typename": "Bot" if comment.author.user_type == "Bot" else "User",
                "login": comment.author.login.removesuffix("[bot]")
                if comment.author.user_type == "Bot"
                else comment.author.login,
            },
            "authorAssociation": comment.author.association,
            "replyTo": None if comment.in_reply_to is None else {"databaseId": comment.in_reply_to},
            "reactions": {
                "nodes": [
                    {"content": REACTIONS[content], "user": {"login": login}}
                    for content, login in comment.reactions
                ],
                "totalCount": len(comment.reactions),
            },
        }

    def _thread_for_mutation(self, variables: Mapping[str, Any], field_name: str) -> Thread:
        given = variables.get("threadId")
        thread = self.threads.get(given) if isinstance(given, str) else None
        if thread is None:
            raise GraphQLError(
                "NOT_FOUND",
                f"Could not resolve to a node with the global id of '{given}'",
                [field_name],
            )
        return thread

    def _resolve(
        self, variables: Mapping[str, Any], viewer: Author, *, resolve: bool
    ) -> dict[str, Any]:
        name = "resolveReviewThread" if resolve else "unresolveReviewThread"
        thread = self._thread_for_mutation(variables, name)
        if not (viewer.can_write and viewer.contents_write):
            raise GraphQLError("FORBIDDEN", FORBIDDEN_MESSAGE, [name])
        thread.resolved_by = viewer.login if resolve else None
        return {name: {"thread": {"id": thread.thread_id, "isResolved": resolve}}}

    def _thread_reply(self, variables: Mapping[str, Any], viewer: Author) -> dict[str, Any]:
        name = "addPullRequestReviewThreadReply"
        thread = self._thread_for_mutation(
            {"threadId": variables.get("threadId") or variables.get("pullRequestReviewThreadId")},
            name,
        )
        body = variables.get("body")
        if not isinstance(body, str) or not body:
            raise GraphQLError(None, "Argument 'body' on InputObject has an invalid value", [name])
        if not viewer.can_write:
            raise GraphQLError("FORBIDDEN", FORBIDDEN_MESSAGE, [name])
        reply = self.reply(thread.number, thread.comment_ids[0], viewer, body)
        return {
            name: {"comment": {"id": f"PRRC_{reply.comment_id}", "databaseId": reply.comment_id}}
        }


def _first(query: str, connection: str, variables: Mapping[str, Any]) -> int:
    match = re.search(re.escape(connection) + r"\(\s*first:\s*(\$?\w+)", query)
    if match is None:
        raise GraphQLError(
            None,
            f"You must provide a `first` or `last` value to properly paginate the `{connection}` connection.",
        )
    raw = match.group(1)
    value = variables.get(raw[1:]) if raw.startswith("$") else int(raw)
    if not isinstance(value, int) or value > MAX_FIRST:
        raise GraphQLError(
            None,
            f"Requesting {value} records on the `{connection}` connection exceeds the `first` "
            f"limit of {MAX_FIRST} records.",
        )
    return value


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _cursor_index(cursor: object) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.b64decode(str(cursor)).decode()
        return int(text.rsplit(":", 1)[1])
    except (ValueError, IndexError):
        raise GraphQLError(None, f"`{cursor}` does not appear to be a valid cursor.") from None
