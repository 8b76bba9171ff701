from __future__ import annotations

import dataclasses

import pytest

from reviewer.diff import parse_diff
from reviewer.findings import anchor, select
from reviewer.schema import ProposedFinding
from reviewer.values import Finding, Severity, Side

DIFF = parse_diff(
    """\
diff --git a/app/cache.py b/app/cache.py
--- a/app/cache.py
+++ b/app/cache.py
@@ -10,6 +10,7 @@ def get(key):
     value, expires = entry
     if expires < time.time():
-        del _CACHE[key]
+        _CACHE.pop(key, None)
+        log("expired", key)
         return None
     return value
 
@@ -40,2 +41,3 @@ def put(key, value):
 def put(key, value, ttl=60):
-    _CACHE[key] = (value, time.time() + ttl)
+    with _LOCK:
+        _CACHE[key] = (value, time.time() + ttl)
diff --git a/new.py b/renamed.py
similarity index 90%
rename from new.py
rename to renamed.py
--- a/new.py
+++ b/renamed.py
@@ -1,2 +1,2 @@
-x = 1
+x = 2
 y = 3
"""
)


def proposed(**changes: object) -> ProposedFinding:
    base = ProposedFinding(
        path="app/cache.py",
        side=Side.RIGHT,
        line=12,
        start_line=None,
        code="_CACHE.pop(key, None)",
        severity=Severity.MAJOR,
        category="correctness",
        title="Swallowed miss",
        body="body",
        suggestion=None,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_valid_anchor_is_kept() -> None:
    finding = anchor(proposed(), DIFF)
    assert (finding.path, finding.line, finding.side) == ("app/cache.py", 12, Side.RIGHT)


def test_context_line_is_commentable_on_both_sides() -> None:
    right = anchor(proposed(line=10, code="value, expires = entry"), DIFF)
    left = anchor(proposed(line=10, side=Side.LEFT, code="value, expires = entry"), DIFF)
    assert (right.line, right.side) == (10, Side.RIGHT)
    assert (left.line, left.side) == (10, Side.LEFT)


def test_removed_line_on_left_side() -> None:
    finding = anchor(proposed(line=12, side=Side.LEFT, code="del _CACHE[key]"), DIFF)
    assert (finding.line, finding.side) == (12, Side.LEFT)


def test_off_by_one_moves_to_the_line_whose_code_is_cited() -> None:
    finding = anchor(proposed(line=12, code='log("expired", key)'), DIFF)
    assert (finding.line, finding.side) == (13, Side.RIGHT)


def test_outside_hunk_moves_to_cited_code_when_close() -> None:
    # line 20 is in no hunk; "return value" is new line 15, five lines up
    finding = anchor(proposed(line=20, code="return value"), DIFF)
    assert (finding.line, finding.side) == (15, Side.RIGHT)


def test_wrong_side_is_corrected_by_cited_code() -> None:
    # the model cited the old line number of a removed line but said RIGHT
    finding = anchor(
        proposed(line=41, side=Side.RIGHT, code="_CACHE[key] = (value, time.time() + ttl)"), DIFF
    )
    assert finding.line is not None
    assert (finding.line, finding.side) == (41, Side.LEFT)


def test_far_or_unmatched_line_becomes_file_level_and_is_not_dropped() -> None:
    finding = anchor(proposed(line=200, code="nothing like this"), DIFF)
    assert finding.line is None
    assert finding.path == "app/cache.py"
    assert finding.title == "Swallowed miss"


def test_cited_code_too_far_away_is_not_followed() -> None:
    finding = anchor(proposed(line=30, code="_CACHE.pop(key, None)"), DIFF)
    assert finding.line is None


def test_unknown_path_is_file_level() -> None:
    finding = anchor(proposed(path="nope.py"), DIFF)
    assert (finding.path, finding.line) == ("nope.py", None)


def test_old_path_of_rename_maps_to_new_path() -> None:
    finding = anchor(proposed(path="new.py", line=1, code="x = 2"), DIFF)
    assert (finding.path, finding.line) == ("renamed.py", 1)


def test_start_line_kept_only_inside_same_hunk_and_before_line() -> None:
    ranged = anchor(proposed(line=13, start_line=12, code='log("expired", key)'), DIFF)
    assert (ranged.start_line, ranged.line) == (12, 13)
    across = anchor(
        proposed(line=43, start_line=12, code="_CACHE[key] = (value, time.time() + ttl)"), DIFF
    )
    assert across.line == 43
    assert across.start_line is None
    backwards = anchor(proposed(line=12, start_line=13), DIFF)
    assert backwards.start_line is None


def test_every_anchored_line_is_commentable() -> None:
    lines = range(1, 60)
    for side in Side:
        for number in lines:
            finding = anchor(proposed(line=number, side=side, code=""), DIFF)
            if finding.line is not None:
                file = DIFF.file(finding.path)
                assert file is not None
                assert finding.line in file.commentable(finding.side)


def test_multi_line_suggestion_dropped_when_moved() -> None:
    moved = anchor(
        proposed(line=20, start_line=19, code="return value", suggestion="return value or None"),
        DIFF,
    )
    assert moved.line == 15
    assert moved.suggestion is None
    kept = anchor(proposed(suggestion="_CACHE.pop(key)"), DIFF)
    assert kept.suggestion == "_CACHE.pop(key)"


def make(severity: Severity, line: int | None, title: str = "t", path: str = "a.py") -> Finding:
    return Finding(
        path=path,
        line=line,
        side=Side.RIGHT,
        severity=severity,
        category="correctness",
        title=title,
        body="b",
    )


def test_select_dedupes_orders_and_caps() -> None:
    findings = [
        make(Severity.NIT, 3, "a"),
        make(Severity.CRITICAL, 9, "b"),
        make(Severity.MAJOR, 1, "c"),
        make(Severity.MINOR, 1, "c"),  # same fingerprint as the major one: dropped
        make(Severity.MAJOR, None, "d"),
    ]
    selection = select(findings, max_comments=2, min_severity=Severity.NIT)
    # within a severity, file-level findings (no line) come first
    assert [f.title for f in selection.findings] == ["b", "d", "c", "a"]
    assert selection.findings[1].severity is Severity.MAJOR
    assert [f.title for f in selection.inline] == ["b", "c"]


def test_select_min_severity_counts_what_it_hides() -> None:
    findings = [make(Severity.NIT, 3, "a"), make(Severity.MAJOR, 1, "b")]
    selection = select(findings, max_comments=10, min_severity=Severity.MINOR)
    assert [f.title for f in selection.findings] == ["b"]
    assert selection.below_min_severity == 1


@pytest.mark.parametrize("max_comments", [0, 1, 5])
def test_overflow_is_kept_in_findings(max_comments: int) -> None:
    findings = [make(Severity.MAJOR, n, f"t{n}") for n in range(1, 5)]
    selection = select(findings, max_comments=max_comments, min_severity=Severity.NIT)
    assert len(selection.findings) == 4
    assert len(selection.inline) == min(max_comments, 4)
