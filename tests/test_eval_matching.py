"""The matching rules of `reviewer eval` and the figures they give, on hand-made cases."""

from __future__ import annotations

import pytest

from reviewer.diff import parse_diff
from reviewer.evaluation.labels import ExpectedIssue
from reviewer.evaluation.matching import Match, match, new_side_span
from reviewer.evaluation.scoring import Counts, count, total
from reviewer.values import Finding, Severity, Side


def finding(
    line: int | None,
    *,
    path: str = "app.py",
    start: int | None = None,
    side: Side = Side.RIGHT,
    title: str = "t",
) -> Finding:
    return Finding(
        path=path,
        line=line,
        side=side,
        severity=Severity.MAJOR,
        category="correctness",
        title=title,
        body="b",
        start_line=start,
    )


def issue(lines: tuple[int, int] | None, *, path: str = "app.py") -> ExpectedIssue:
    return ExpectedIssue(path=path, lines=lines)


@pytest.mark.parametrize(
    ("line", "matched"),
    [(6, False), (7, True), (10, True), (12, True), (15, True), (16, False)],
)
def test_a_finding_matches_the_expected_range_widened_by_three(line: int, matched: bool) -> None:
    result = match([finding(line)], [issue((10, 12))])
    assert bool(result.matches) is matched


def test_a_finding_range_counts_from_start_line_to_line() -> None:
    # 20..25 is three lines short of 28..30: within reach; 20..24 is four short.
    assert match([finding(25, start=20)], [issue((28, 30))]).matches == (Match(0, 0, 3),)
    assert match([finding(24, start=20)], [issue((28, 30))]).matches == ()


def test_paths_must_be_equal() -> None:
    assert match([finding(10, path="other.py")], [issue((10, 10))]).matches == ()


def test_nearest_pairs_are_taken_first_and_each_side_once() -> None:
    # f0 is 1 line from B and 3 from A; f1 is on A. Nearest first gives both a match,
    # where taking findings in order (f0 to the first issue it reaches, A) would not.
    findings = [finding(13), finding(10), finding(11)]
    expected = [issue((10, 10)), issue((14, 14))]
    result = match(findings, expected)
    assert result.matches == (Match(finding=1, expected=0, distance=0), Match(0, 1, 1))
    assert result.unmatched_findings == (2,)  # a second finding on A matches nothing
    assert result.unmatched_expected == ()
    counts = count(result, findings=3, expected=2)
    assert (counts.precision, counts.recall, counts.f1) == (2 / 3, 1.0, 0.8)


def test_ties_go_to_the_earlier_issue_then_the_earlier_finding() -> None:
    # Line 12 is 2 lines from both issues: the first issue in expected.yml order wins.
    assert match([finding(12)], [issue((10, 10)), issue((14, 14))]).matches == (Match(0, 0, 2),)
    # Two findings equally near one issue: the first in the review's order wins.
    result = match([finding(9, title="a"), finding(11, title="b")], [issue((10, 10))])
    assert result.matches == (Match(0, 0, 1),)
    assert result.unmatched_findings == (1,)


def test_file_level_findings_match_only_file_level_issues() -> None:
    assert match([finding(None)], [issue(None)]).matches == (Match(0, 0, 0),)
    assert match([finding(None)], [issue((1, 1))]).matches == ()
    assert match([finding(1)], [issue(None)]).matches == ()
    # A line-level and a file-level issue on one file: each goes to its own kind.
    result = match([finding(1), finding(None)], [issue(None), issue((1, 2))])
    assert sorted((m.finding, m.expected) for m in result.matches) == [(0, 1), (1, 0)]


DELETION = parse_diff(
    """\
diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -20,5 +20,3 @@ def load(path):
     data = read(path)
-    if data is None:
-        return {}
     value = data.get("x")
     return value
"""
)


def test_a_finding_on_a_removed_line_counts_where_the_removal_happened() -> None:
    # Old lines 21-22 were removed; the next new-side line is 21 (value = ...).
    left = finding(22, start=21, side=Side.LEFT)
    assert new_side_span(left, DELETION) == (21, 21)
    assert match([left], [issue((21, 21))], diff=DELETION).matches == (Match(0, 0, 0),)
    # Old line 22 is 4 lines from a label on 18 in old numbers, 3 in new ones.
    old_side = finding(22, side=Side.LEFT)
    assert match([old_side], [issue((18, 18))], diff=DELETION).matches == (Match(0, 0, 3),)
    assert match([old_side], [issue((18, 18))]).matches == ()  # no diff: its own numbers


def test_clean_cases_count_every_finding_as_a_false_positive() -> None:
    clean = count(match([finding(3), finding(None)], []), findings=2, expected=0)
    assert clean == Counts(findings=2, expected=0, matched=0, clean_false_positives=2)
    assert (clean.precision, clean.recall, clean.f1) == (0.0, None, 0.0)
    silent_clean = count(match([], []), findings=0, expected=0)
    assert (silent_clean.precision, silent_clean.recall, silent_clean.f1) == (None, None, None)


def test_totals_add_cases_before_dividing() -> None:
    seeded = count(match([finding(10), finding(30)], [issue((11, 11))]), findings=2, expected=1)
    missed = count(match([], [issue((5, 5)), issue((50, 50))]), findings=0, expected=2)
    clean = count(match([finding(1)], []), findings=1, expected=0)
    overall = total([seeded, missed, clean])
    assert overall == Counts(findings=3, expected=3, matched=1, clean_false_positives=1)
    assert (overall.precision, overall.recall, overall.f1) == (1 / 3, 1 / 3, 1 / 3)
    assert (overall.false_positives, overall.missed) == (2, 2)
    assert (missed.precision, missed.recall, missed.f1) == (None, 0.0, 0.0)
