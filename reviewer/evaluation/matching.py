"""Which finding found which expected issue: deterministic, location-only rules.

* A finding and an expected issue are *eligible* when their paths are equal and
  either both are file-level (no line), or both have lines and the finding's
  range (``start_line``..``line``, or ``line``) overlaps the expected range
  widened by ``WIDEN_LINES`` on each side. A line-level finding never matches a
  file-level issue, nor the other way round.
* A finding on the old side (``LEFT``, a removed line) is placed where the
  removal happened on the new side: the new-side number of the first line after
  it in its hunk. Expected ranges are new-side numbers, so this is where a
  comment on a deleted line points in them.
* Their *distance* is the number of lines between the finding's range and the
  (unwidened) expected range, 0 when they overlap or are both file-level.
* Eligible pairs are taken nearest first; each finding and each expected issue
  is matched at most once. Ties go to the earlier expected issue (in
  ``expected.yml`` order), then to the earlier finding (in the review's order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reviewer.diff import Diff, LineKind
from reviewer.evaluation.labels import ExpectedIssue
from reviewer.values import Finding, Side

WIDEN_LINES = 3


@dataclass(frozen=True)
class Match:
    finding: int  # index into the findings
    expected: int  # index into the expected issues
    distance: int


@dataclass(frozen=True)
class Matching:
    matches: tuple[Match, ...]  # in the order they were taken: nearest first
    unmatched_findings: tuple[int, ...]
    unmatched_expected: tuple[int, ...]

    def for_finding(self, index: int) -> Match | None:
        return next((m for m in self.matches if m.finding == index), None)

    def for_expected(self, index: int) -> Match | None:
        return next((m for m in self.matches if m.expected == index), None)


def match(
    findings: Sequence[Finding],
    expected: Sequence[ExpectedIssue],
    *,
    diff: Diff | None = None,
    widen: int = WIDEN_LINES,
) -> Matching:
    """Pair ``findings`` with ``expected`` issues; ``diff`` places old-side findings."""
    spans = [new_side_span(finding, diff) for finding in findings]
    candidates = sorted(
        (gap, e, f)
        for f, finding in enumerate(findings)
        for e, issue in enumerate(expected)
        if finding.path == issue.path
        and (gap := distance(spans[f], issue.lines, widen=widen)) is not None
    )
    taken: list[Match] = []
    used_findings: set[int] = set()
    used_expected: set[int] = set()
    for gap, e, f in candidates:
        if f not in used_findings and e not in used_expected:
            taken.append(Match(finding=f, expected=e, distance=gap))
            used_findings.add(f)
            used_expected.add(e)
    return Matching(
        matches=tuple(taken),
        unmatched_findings=tuple(i for i in range(len(findings)) if i not in used_findings),
        unmatched_expected=tuple(i for i in range(len(expected)) if i not in used_expected),
    )


def distance(
    span: tuple[int, int] | None, lines: tuple[int, int] | None, *, widen: int = WIDEN_LINES
) -> int | None:
    """Lines between a finding's span and an expected range; None when not eligible."""
    if span is None or lines is None:
        return 0 if span is None and lines is None else None
    gap = max(0, lines[0] - span[1], span[0] - lines[1])
    return gap if gap <= widen else None


def finding_span(finding: Finding) -> tuple[int, int] | None:
    """The finding's lines as it states them (its own side); None when file-level."""
    if finding.line is None:
        return None
    start = finding.start_line if finding.start_line is not None else finding.line
    return min(start, finding.line), max(start, finding.line)


def new_side_span(finding: Finding, diff: Diff | None) -> tuple[int, int] | None:
    """The finding's lines in new-side numbers (see the module docstring)."""
    span = finding_span(finding)
    if span is None or finding.side is Side.RIGHT or diff is None:
        return span
    first = removal_position(diff, finding.path, span[0])
    last = removal_position(diff, finding.path, span[1])
    if first is None or last is None:
        return span
    return first, last


def removal_position(diff: Diff, path: str, old_line: int) -> int | None:
    """The new-side line at which old line ``old_line`` of ``path`` was removed or kept."""
    file = diff.file(path)
    if file is None:
        return None
    for hunk in file.hunks:
        next_new = hunk.new_start
        for line in hunk.lines:
            if line.old_no == old_line and line.kind is not LineKind.ADDED:
                return line.new_no if line.new_no is not None else max(1, next_new)
            if line.new_no is not None:
                next_new = line.new_no + 1
    return None
