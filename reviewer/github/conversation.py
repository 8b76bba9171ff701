"""What people did with the bot's comments, and what a new run does about it.

Pure decisions over the review threads (``threads``) and finding keys
(``identity``); ``commands/action_review.py`` and ``commands/action_comment.py`` read and write through ``api``.

* **Raised**: each of the bot's earlier findings — an inline thread whose first
  comment carries the bot's finding marker (believed only from a bot account or
  a trusted author), or a finding listed in an earlier review's body.
* **Dismissed**: a person allowed to dismiss (``may_dismiss``: write access)
  resolved the thread without the bot having said it was fixed, gave its first
  comment a 👎, or replied with ``/reviewer ignore`` or a dismissal ("won't
  fix", "false positive", "intended", "by design", ...; a reply ending in a
  question mark is a question, not a dismissal). Replies count only from the
  trusted author associations (OWNER, MEMBER, COLLABORATOR by default).
* **The plan of a run** (``converge``): a new finding that is an earlier one
  (``identity.match``) is not posted again, whether it is open or dismissed; an
  open thread whose code changed (its lines are gone, or what surrounds them
  changed, in a part of the diff reviewed in this run) and whose finding was
  not raised again is fixed: it gets "Fixed in `sha`." and is resolved. An
  outdated thread whose finding is raised again is left to people.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from reviewer.diff import Diff
from reviewer.github.identity import FindingKey, locate, match
from reviewer.github.threads import (
    ReviewThread,
    ThreadComment,
    read_finding_marker,
    read_reply_marker,
)
from reviewer.values import Side

DEFAULT_TRUSTED = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
COMMAND = re.compile(r"^\s*/reviewer\b[ \t]*(?P<rest>.*)", re.IGNORECASE | re.DOTALL)
_DISMISSAL = re.compile(
    r"\b(won'?t fix|wontfix|will not fix|false positive|intended|intentional(ly)?|by design|"
    r"as designed|not a bug|not an issue|not a problem|works as expected|ignore (this|it))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Raised:
    """A finding the bot posted on this pull request before."""

    key: FindingKey
    thread: ReviewThread | None  # None for a finding listed in a review's body
    dismissed: str | None = None  # why, for the summary; None while it stands
    fixed: bool = False  # the bot replied that it was fixed

    @property
    def open(self) -> bool:
        thread = self.thread
        return (
            thread is not None
            and not thread.is_resolved
            and self.dismissed is None
            and not self.fixed
        )


@dataclass(frozen=True)
class Command:
    """What a ``/reviewer …`` comment asks: ``review``, ``ignore`` or a question."""

    verb: str  # "review", "ignore" or "ask"
    text: str  # the question, for "ask"


def read_command(body: str) -> Command | None:
    match_ = COMMAND.match(body)
    if match_ is None:
        return None
    rest = match_.group("rest").strip()
    word = rest.split(maxsplit=1)[0].lower() if rest else ""
    if word in ("review", "ignore"):
        return Command(word, "")
    return Command("ask", rest) if rest else None


def is_dismissal(body: str) -> bool:
    command = read_command(body)
    if command is not None:
        return command.verb == "ignore"
    text = body.strip()
    return not text.endswith("?") and _DISMISSAL.search(text) is not None


def is_own(comment: ThreadComment, trusted: Collection[str]) -> bool:
    """Whether a comment's marker is believed: from a bot account or a trusted author."""
    return comment.author_is_bot or comment.association in trusted


def bot_root(thread: ReviewThread, trusted: Collection[str]) -> FindingKey | None:
    """The finding key of a thread the bot opened; None for anyone else's thread."""
    if not thread.comments or not is_own(thread.root, trusted):
        return None
    return read_finding_marker(thread.root.body, thread.path)


def bot_replies(thread: ReviewThread, trusted: Collection[str]) -> list[tuple[int, str]]:
    """(comment answered, kind) of each reply the bot posted in ``thread``."""
    found = []
    for comment in thread.comments[1:]:
        marker = read_reply_marker(comment.body)
        if marker is not None and is_own(comment, trusted):
            found.append((marker.to, marker.kind))
    return found


def read_raised(
    threads: Sequence[ReviewThread],
    body_keys: Sequence[FindingKey],
    *,
    trusted: Collection[str],
    may_dismiss: Callable[[str], bool],
) -> tuple[Raised, ...]:
    """The bot's earlier findings, each with what people did with it."""
    raised = []
    for thread in threads:
        key = bot_root(thread, trusted)
        if key is None:
            continue
        fixed = any(kind == "fixed" for _, kind in bot_replies(thread, trusted))
        raised.append(Raised(key, thread, _dismissal(thread, trusted, may_dismiss, fixed), fixed))
    raised.extend(Raised(key, None) for key in body_keys)
    return tuple(raised)


def _dismissal(
    thread: ReviewThread,
    trusted: Collection[str],
    may_dismiss: Callable[[str], bool],
    fixed: bool,
) -> str | None:
    bot = thread.root.author
    for reply in thread.comments[1:]:
        if reply.author == bot or reply.author_is_bot or reply.association not in trusted:
            continue
        if read_reply_marker(reply.body) is None and is_dismissal(reply.body):
            return f"@{reply.author} replied that it stays"
    for reaction in thread.root.reactions:
        if (
            reaction.content == "THUMBS_DOWN"
            and reaction.login != bot
            and may_dismiss(reaction.login)
        ):
            return f"@{reaction.login} gave it a 👎"
    resolver = thread.resolved_by
    resolved_by_person = thread.is_resolved and not fixed and resolver and resolver != bot
    if resolved_by_person and resolver is not None and may_dismiss(resolver):
        return f"@{resolver} resolved it"
    return None


@dataclass(frozen=True)
class Convergence:
    """What a review run posts, given what was raised before."""

    post: tuple[int, ...]  # indices of the new findings to post
    repeated_open: int  # new findings that are an earlier finding still standing
    repeated_dismissed: int  # new findings that were dismissed earlier
    fixed: tuple[Raised, ...]  # open threads to answer "Fixed in …" and resolve
    left_to_people: int  # outdated threads whose finding was raised again


def converge(
    raised: Sequence[Raised],
    new: Sequence[FindingKey],
    *,
    pr_diff: Diff,
    reviewed: Diff,
    not_reviewed: Collection[str],
) -> Convergence:
    """The plan of a review run.

    ``pr_diff``: the pull request's whole diff at the new head; ``reviewed``: the
    part of it sent to the model in this run; ``not_reviewed``: paths the run
    could not review (a failed request), whose threads are left alone.
    """
    in_place = [_in_place(r.key, pr_diff) for r in raised]
    pairs = match([r.key for r in raised], new, in_place=in_place)
    post = tuple(i for i in range(len(new)) if i not in pairs)
    matched = {pairs[i] for i in pairs}
    dismissed = sum(1 for i in pairs if raised[pairs[i]].dismissed is not None)
    fixed: list[Raised] = []
    left = 0
    for index, item in enumerate(raised):
        if not item.open:
            continue
        if index in matched:
            left += bool(item.thread is not None and item.thread.is_outdated)
            continue
        if item.key.path in not_reviewed:
            continue
        if _code_changed(item.key, pr_diff, reviewed):
            fixed.append(item)
    return Convergence(post, len(pairs) - dismissed, dismissed, tuple(fixed), left)


def _in_place(key: FindingKey, pr_diff: Diff) -> bool:
    where = locate(key, pr_diff)
    return where is not None and where.context == key.context


def _code_changed(key: FindingKey, pr_diff: Diff, reviewed: Diff) -> bool:
    """Whether the code under an earlier finding changed in a part reviewed in this run."""
    if pr_diff.file(key.path) is None:
        return True  # the pull request no longer changes the file: the code is gone
    reviewed_file = reviewed.file(key.path)
    if reviewed_file is None:
        return False  # not looked at in this run: nothing can be said
    where = locate(key, pr_diff)
    if where is None:
        return True  # its lines are gone from the diff
    if reviewed_file.hunk_for(where.line, Side.RIGHT) is None:
        return False
    return key.context != "" and where.context != key.context
