"""A Review as a GitHub pull-request review: inline comments, the body, and its marker.

Every inline comment is checked against the diff GitHub shows before anything is
sent (GitHub's rule: a RIGHT comment on an added or context line by its new
number, a LEFT one on a removed or context line by its old number, a range's
``start_line`` before ``line`` in the same hunk). A finding that fails the check
is not dropped: it is listed in the review body, as are file-level findings and
those beyond ``max_comments``.

The body and the step summary open with what the review covered: an incomplete
review says so in their heading, counting the pull request's files it did not
review (``render.coverage``).

Each finding's identity (``identity.FindingKey``), when given, goes with it: in a
hidden marker at the end of its inline comment, or, for a finding listed in the
body, in the review's state marker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from reviewer.diff import Diff
from reviewer.github.identity import FindingKey
from reviewer.github.marker import ReviewState, render_state
from reviewer.github.output import Annotation
from reviewer.github.threads import finding_marker
from reviewer.render.markdown import (
    GITHUB_COMMENT_LIMIT,
    location_label,
    render_comment,
    render_markdown,
)
from reviewer.render.wording import plural
from reviewer.values import Finding, Review, Severity, Side

COMMENT = "COMMENT"
REQUEST_CHANGES = "REQUEST_CHANGES"


@dataclass(frozen=True)
class ReviewComment:
    """An inline comment, in the fields of GitHub's create-review ``comments[]``."""

    finding: Finding
    line: int
    side: Side
    start_line: int | None
    body: str

    @property
    def path(self) -> str:
        return self.finding.path


@dataclass(frozen=True)
class ReviewDraft:
    """One review, ready to post; ``body(moved)`` re-renders it when comments must move."""

    commit_sha: str
    event: str  # COMMENT or REQUEST_CHANGES; never APPROVE
    comments: tuple[ReviewComment, ...]
    review: Review
    notes: tuple[str, ...]
    state: ReviewState
    diff: Diff | None = None  # the pull request's diff, as GitHub shows it
    keys: tuple[tuple[Finding, FindingKey], ...] = ()  # each finding's identity, when known

    def body(self, moved: Sequence[ReviewComment] = ()) -> str:
        """The review body, listing every finding not carried by an inline comment.

        ``moved``: comments GitHub would not take inline; they are listed too.
        """
        moved_set = set(moved)
        inline = tuple(c.finding for c in self.comments if c not in moved_set)
        notes = list(self.notes)
        if moved:
            verb = "is" if len(moved) == 1 else "are"
            notes.append(
                f"{plural(len(moved), 'comment')} GitHub would not place on the diff {verb} "
                "listed below."
            )
        shown = dataclasses.replace(self.review, inline=inline)
        listed = set(self.review.findings) - set(inline)
        body_keys = tuple(key for finding, key in self.keys if finding in listed)
        marker = render_state(dataclasses.replace(self.state, keys=body_keys))
        budget = GITHUB_COMMENT_LIMIT - len(marker) - 1
        body = render_markdown(
            shown, max_chars=budget, inline_posted=True, notes=notes, diff=self.diff
        )
        return body + marker + "\n"

    def report(self, *, max_chars: int, lead: str | None = None) -> str:
        """The review with every finding written out, inline or not (for the step summary).

        ``lead`` (say, where the review was posted) comes first after the heading
        and, for an incomplete review, the warning, which stay the first lines.
        """
        notes = (lead, *self.notes) if lead else self.notes
        return render_markdown(self.review, max_chars=max_chars, notes=notes, diff=self.diff)


def draft_review(
    review: Review,
    *,
    diff: Diff,
    state: ReviewState,
    notes: Sequence[str] = (),
    request_changes_at: Severity | None = None,
    keys: Sequence[tuple[Finding, FindingKey]] = (),
) -> ReviewDraft:
    """The review to post on ``state.head_sha``; ``diff`` is the diff GitHub shows for it.

    ``request_changes_at``: request changes when a finding is at least this
    severe; None (the default) always comments. ``keys``: the findings' identities.
    """
    key_of = dict(keys)
    placed = (place(f, diff, key=key_of.get(f)) for f in review.inline)
    comments = tuple(c for c in placed if c is not None)
    asks_changes = review.reaches(request_changes_at)
    return ReviewDraft(
        commit_sha=state.head_sha,
        event=REQUEST_CHANGES if asks_changes else COMMENT,
        comments=comments,
        review=review,
        notes=tuple(notes),
        state=state,
        diff=diff,
        keys=tuple(keys),
    )


def place(finding: Finding, diff: Diff, *, key: FindingKey | None = None) -> ReviewComment | None:
    """The inline comment for ``finding``, or None when GitHub would not take it inline.

    ``key``: the finding's identity, kept in a hidden marker at the end of the comment.
    """
    if finding.line is None:
        return None
    file = diff.file(finding.path)
    hunk = file.hunk_for(finding.line, finding.side) if file is not None else None
    if hunk is None:
        return None
    start = finding.start_line
    if start is not None and not (start < finding.line and start in hunk.commentable(finding.side)):
        start = None  # the range is not valid; the comment keeps to its last line
    # A suggestion replaces exactly the commented lines: only then can it be committed.
    committable = finding.side is Side.RIGHT and start == finding.start_line
    body = render_comment(finding, committable=committable)
    if key is not None:
        body = f"{body.rstrip()}\n\n{finding_marker(key)}\n"
    if len(body) > GITHUB_COMMENT_LIMIT:
        return None  # listed in the body instead, where the report is fitted to the limit
    return ReviewComment(finding, finding.line, finding.side, start, body)


def without_posted(review: Review, posted: frozenset[str], *, max_comments: int) -> Review:
    """``review`` without the findings earlier reviews already posted."""
    findings = tuple(f for f in review.findings if f.fingerprint() not in posted)
    if len(findings) == len(review.findings):
        return review
    inline = tuple(f for f in findings if f.line is not None)[:max_comments]
    return dataclasses.replace(review, findings=findings, inline=inline)


def finding_annotations(review: Review) -> Iterator[Annotation]:
    """Workflow annotations for the findings, for runs that cannot post a review."""
    for finding in review.findings:
        title = f"{finding.severity.value}: {finding.title}"
        message = finding.body.strip() or finding.title
        if finding.line is None:
            yield Annotation("warning", message, file=finding.path, title=title)
        elif finding.side is Side.LEFT:
            # Annotations point into the new file; a removed line has no number there.
            where = f"(on removed lines {location_label(finding)})"
            yield Annotation("warning", f"{where} {message}", file=finding.path, title=title)
        else:
            first = finding.line if finding.start_line is None else finding.start_line
            yield Annotation(
                "warning",
                message,
                file=finding.path,
                line=first,
                end_line=finding.line if first != finding.line else None,
                title=title,
            )
