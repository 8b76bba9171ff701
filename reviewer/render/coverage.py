"""How much of the change a review covered, and the headline saying so when it did not.

A review is incomplete when files that should have been reviewed were not
(``Review.not_reviewed``: a request failed, nothing could be sent) or when the
service failed outright. Every report leads with the same headline then, so a
reader cannot take a partial review for a clean one.

Files are counted once each: a file whose hunks went out in several requests
has one entry per failed request, and a file with any hunk not reviewed counts
as not reviewed. Without the diff the number of files reviewed is not known,
and the headline leaves out the "of N".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewer.render.wording import plural
from reviewer.values import PathReason, Review

if TYPE_CHECKING:
    from reviewer.diff import Diff

REASONS_IN_HEADLINE = 3
GROUP_FROM = 4  # files sharing a reason before a listing shows them as one line
EXAMPLES = 3  # paths a grouped line names
# The engine adds the request id to each failed request's reason: one id per request,
# so without this every request would be a reason of its own in the headline. The
# headline already says "not reviewed", so a reason need not say it again.
_REQUEST_ID = re.compile(r"\s*\(request id [^)]*\)")
_NOT_REVIEWED = re.compile(r"^not reviewed: ", re.IGNORECASE)


@dataclass(frozen=True)
class ReasonGroup:
    """The files left out for one reason, in the order the review lists them."""

    reason: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Coverage:
    reviewed: int | None  # None: not known (no diff given)
    not_reviewed: int
    skipped: int
    # Grouped for the headline: request ids left out, largest group first.
    reasons: tuple[ReasonGroup, ...]
    service_failure: str | None

    @property
    def complete(self) -> bool:
        return not self.not_reviewed and self.service_failure is None

    @property
    def shortfall(self) -> str | None:
        """``26 of 32 files not reviewed`` (or why the service failed); None when complete."""
        if self.complete:
            return None
        if not self.not_reviewed:
            return str(self.service_failure)
        if self.reviewed is None:
            return f"{plural(self.not_reviewed, 'file')} not reviewed"
        total = plural(self.reviewed + self.not_reviewed, "file")
        return f"{self.not_reviewed:,} of {total} not reviewed"

    @property
    def reasons_text(self) -> str | None:
        """Why files were not reviewed, grouped: ``API error 500 (24 files); …``."""
        return _reasons_phrase(self.reasons) if self.reasons else None

    @property
    def headline(self) -> str | None:
        """``Review incomplete: 26 of 32 files not reviewed — <reasons>``; None when complete."""
        if self.shortfall is None:
            return None
        why = "" if self.reasons_text is None else f" — {self.reasons_text}"
        return f"Review incomplete: {self.shortfall}{why}"


def coverage_of(review: Review, diff: Diff | None = None) -> Coverage:
    """What ``review`` covered; ``diff`` is the diff it was asked to review, when known."""
    not_reviewed = _unique(entry.path for entry in review.not_reviewed)
    skipped = _unique(e.path for e in review.skipped if e.path not in not_reviewed)
    reviewed = None
    if diff is not None:
        left_out = set(not_reviewed) | set(skipped)
        reviewed = len(_unique(f.path for f in diff.files if f.path not in left_out))
    headline_groups = group_by_reason(
        PathReason(entry.path, _headline_reason(entry.reason)) for entry in review.not_reviewed
    )
    failure = review.service_failure
    return Coverage(
        reviewed=reviewed,
        not_reviewed=len(not_reviewed),
        skipped=len(skipped),
        reasons=tuple(sorted(headline_groups, key=lambda group: -len(group.paths))),
        service_failure=None if failure is None else failure.reason,
    )


def group_by_reason(entries: Iterable[PathReason]) -> tuple[ReasonGroup, ...]:
    """One group per distinct reason, in order of first appearance; each path once per group."""
    groups: dict[str, dict[str, None]] = {}
    for entry in entries:
        groups.setdefault(entry.reason, {})[entry.path] = None
    return tuple(ReasonGroup(reason, tuple(paths)) for reason, paths in groups.items())


def listing(entries: Sequence[PathReason]) -> tuple[ReasonGroup, ...]:
    """What a report lists, in the review's order: a reason shared by ``GROUP_FROM`` files
    or more is one row (a diff of 500 renamed files gets one line, not 500); any other
    file is a row of its own."""
    groups = {group.reason: group for group in group_by_reason(entries)}
    rows: list[ReasonGroup] = []
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        group = groups[entry.reason]
        if len(group.paths) >= GROUP_FROM:
            key = (group.reason, "")
            row = group
        else:
            key = (group.reason, entry.path)
            row = ReasonGroup(entry.reason, (entry.path,))
        if key not in seen:
            seen.add(key)
            rows.append(row)
    return tuple(rows)


def examples(paths: Sequence[str], shown: int = EXAMPLES) -> tuple[tuple[str, ...], int]:
    """The first ``shown`` paths, and how many more there are."""
    return tuple(paths[:shown]), max(len(paths) - shown, 0)


def _headline_reason(reason: str) -> str:
    return _NOT_REVIEWED.sub("", _REQUEST_ID.sub("", reason))


def _reasons_phrase(groups: Sequence[ReasonGroup]) -> str:
    if len(groups) == 1:
        return groups[0].reason
    shown = [f"{g.reason} ({plural(len(g.paths), 'file')})" for g in groups[:REASONS_IN_HEADLINE]]
    rest = groups[REASONS_IN_HEADLINE:]
    if rest:
        files = sum(len(group.paths) for group in rest)
        shown.append(f"{plural(len(rest), 'other reason')} ({plural(files, 'file')})")
    return "; ".join(shown)


def _unique(paths: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(paths))
