"""An incomplete review says so first, in every format; long file lists stay readable.

Issue 11, "Incomplete must be loud" and the large-diff rough edges: with 3 of 4
requests failing, every report (text, Markdown, JSON, SARIF, the pull-request
review body and the step summary) must lead with "Review incomplete: 26 of 32
files not reviewed — …"; hundreds of files left out for one reason are one line.
"""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest
from rich.console import Console

from reviewer.diff import Diff, parse_diff
from reviewer.github.draft import draft_review
from reviewer.github.marker import ReviewState
from reviewer.render.coverage import coverage_of, group_by_reason, listing
from reviewer.render.jsonout import render_json
from reviewer.render.markdown import render_markdown
from reviewer.render.sarif import render_sarif
from reviewer.render.text import render_text
from reviewer.values import Finding, PathReason, Review, ServiceFailure, Severity, Side

FAILED_500 = "API error 500 (Internal Server Error)"
TIMED_OUT = "request timed out"


def diff_of(paths: list[str]) -> Diff:
    return parse_diff(
        "".join(
            f"diff --git a/{p} b/{p}\n--- a/{p}\n+++ b/{p}\n@@ -1 +1 @@\n-old\n+new\n"
            for p in paths
        )
    )


PATHS = [f"pkg/module_{i:02}.py" for i in range(32)]
DIFF = diff_of(PATHS)
TODO = Finding("pkg/module_00.py", 1, Side.RIGHT, Severity.MINOR, "maintainability", "TODO", "b")


def failed(paths: list[str], reason: str, request_id: str) -> tuple[PathReason, ...]:
    return tuple(PathReason(p, f"{reason} (request id {request_id})") for p in paths)


# 4 requests of 8 files: the first answered, two failed with a 500, one timed out.
INCOMPLETE = Review(
    model="claude-sonnet-5-5",
    findings=(TODO,),
    inline=(TODO,),
    summary="One TODO left in.",
    not_reviewed=(
        failed(PATHS[8:16], FAILED_500, "req_1")
        + failed(PATHS[16:24], FAILED_500, "req_2")
        + failed(PATHS[24:26], TIMED_OUT, "req_3")
        + failed(PATHS[26:32], TIMED_OUT, "req_3")
        + failed(PATHS[26:28], TIMED_OUT, "req_4")  # files split over two failed requests
    ),
)
HEADLINE = (
    f"Review incomplete: 24 of 32 files not reviewed — {FAILED_500} (16 files); "
    f"{TIMED_OUT} (8 files)"
)
COMPLETE = dataclasses.replace(INCOMPLETE, not_reviewed=())


def text_of(review: Review, diff: Diff = DIFF, console: Console | None = None) -> str:
    console = console or Console(file=io.StringIO(), force_terminal=False, width=100)
    render_text(review, diff, console)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def sarif_invocation(review: Review, diff: Diff | None = DIFF) -> dict[str, Any]:
    log = json.loads(render_sarif(review, tool_version="1", diff=diff))
    invocation: dict[str, Any] = log["runs"][0]["invocations"][0]
    return invocation


def state() -> ReviewState:
    return ReviewState("a" * 40, False, "run1", ())


# ---------------------------------------------------------------- the headline


def test_files_are_counted_once_and_reasons_grouped_without_request_ids() -> None:
    coverage = coverage_of(INCOMPLETE, DIFF)

    assert (coverage.reviewed, coverage.not_reviewed, coverage.skipped) == (8, 24, 0)
    assert not coverage.complete
    assert coverage.headline == HEADLINE
    assert coverage.shortfall == "24 of 32 files not reviewed"


def test_without_the_diff_the_headline_counts_what_it_knows() -> None:
    coverage = coverage_of(INCOMPLETE)

    assert coverage.reviewed is None
    assert coverage.shortfall == "24 files not reviewed"


def test_a_file_partly_skipped_and_partly_failed_counts_as_not_reviewed() -> None:
    review = dataclasses.replace(
        COMPLETE,
        not_reviewed=(PathReason("pkg/module_01.py", "API error 500"),),
        skipped=(
            PathReason("pkg/module_01.py", "partly reviewed: later hunks exceed max_requests=1"),
            PathReason("pkg/module_02.py", "matches an ignore glob in the configuration"),
        ),
    )
    coverage = coverage_of(review, DIFF)

    assert (coverage.reviewed, coverage.not_reviewed, coverage.skipped) == (30, 1, 1)
    assert coverage.headline == "Review incomplete: 1 of 31 files not reviewed — API error 500"


def test_more_reasons_than_the_headline_holds_are_counted() -> None:
    review = dataclasses.replace(
        COMPLETE,
        not_reviewed=tuple(PathReason(p, f"reason {i % 5}") for i, p in enumerate(PATHS[:10])),
    )

    headline = coverage_of(review, DIFF).headline

    assert headline is not None
    assert headline.endswith("; 2 other reasons (4 files)")
    assert headline.count("reason ") == 3


def test_the_headline_does_not_say_not_reviewed_twice() -> None:
    review = dataclasses.replace(
        COMPLETE,
        not_reviewed=tuple(
            PathReason(p, "not reviewed: run exceeds max_requests=20") for p in PATHS[20:]
        ),
    )

    assert coverage_of(review, DIFF).headline == (
        "Review incomplete: 12 of 32 files not reviewed — run exceeds max_requests=20"
    )


def test_a_service_failure_alone_is_incomplete_too() -> None:
    review = dataclasses.replace(COMPLETE, service_failure=ServiceFailure("API error 529"))

    assert coverage_of(review, DIFF).headline == "Review incomplete: API error 529"


def test_a_complete_review_has_no_incomplete_headline() -> None:
    coverage = coverage_of(COMPLETE, DIFF)

    assert coverage.complete
    assert (coverage.headline, coverage.shortfall) == (None, None)


# ---------------------------------------------------------------- every format leads with it


def test_text_opens_and_ends_with_the_shortfall() -> None:
    lines = text_of(INCOMPLETE).splitlines()

    assert lines[0] == HEADLINE
    assert lines[1] == "1 finding in 1 file: 1 minor."
    assert lines[-1].endswith("· review incomplete: 24 of 32 files not reviewed")
    assert text_of(COMPLETE).splitlines()[0] == "1 finding in 1 file: 1 minor."
    assert "incomplete" not in text_of(COMPLETE)


def test_markdown_says_it_in_its_heading_and_a_warning_under_it() -> None:
    lines = render_markdown(INCOMPLETE, diff=DIFF).splitlines()

    assert lines[0] == "## Code review — incomplete"
    assert lines[2:4] == [
        "> [!WARNING]",
        f"> **Review incomplete: 24 of 32 files not reviewed** — {FAILED_500} (16 files); "
        f"{TIMED_OUT} (8 files)",
    ]
    complete = render_markdown(COMPLETE, diff=DIFF)
    assert complete.startswith("## Code review\n\nOne TODO left in.\n")
    assert "WARNING" not in complete


def test_json_leads_with_complete_and_the_file_counts() -> None:
    text = render_json(INCOMPLETE, diff=DIFF)
    document = json.loads(text)

    assert text.splitlines()[1] == '  "complete": false,'
    assert document["headline"] == HEADLINE
    assert document["files"] == {"reviewed": 8, "not_reviewed": 24, "skipped": 0}
    assert len(document["not_reviewed"]) == len(INCOMPLETE.not_reviewed)  # the full list
    assert json.loads(render_json(COMPLETE, diff=DIFF))["complete"] is True


def test_sarif_marks_the_run_unsuccessful_and_names_every_file_and_reason() -> None:
    invocation = sarif_invocation(INCOMPLETE)

    assert invocation["executionSuccessful"] is False
    notifications = invocation["toolExecutionNotifications"]
    # one per reason as the review gives it: the request id tells support which request failed
    assert [n["message"]["text"].split(": ", 1)[1].split(". Files:")[0] for n in notifications] == [
        f"{FAILED_500} (request id req_1)",
        f"{FAILED_500} (request id req_2)",
        f"{TIMED_OUT} (request id req_3)",
        f"{TIMED_OUT} (request id req_4)",
    ]
    assert notifications[0]["message"]["text"].startswith("Not reviewed (8 files): ")
    assert {n["level"] for n in notifications} == {"error"}
    named = {
        location["physicalLocation"]["artifactLocation"]["uri"]
        for notification in notifications
        for location in notification["locations"]
    }
    assert named == set(PATHS[8:])
    assert invocation["properties"]["files"] == {"reviewed": 8, "notReviewed": 24, "skipped": 0}


def test_sarif_of_a_complete_review_is_a_successful_run_without_notifications() -> None:
    invocation = sarif_invocation(COMPLETE, diff=None)

    assert invocation == {
        "executionSuccessful": True,
        "properties": {"files": {"notReviewed": 0, "skipped": 0}},
    }


def test_sarif_of_a_service_failure_says_why() -> None:
    review = dataclasses.replace(COMPLETE, service_failure=ServiceFailure("API error 529"))

    [notification] = sarif_invocation(review)["toolExecutionNotifications"]

    assert notification == {
        "level": "error",
        "message": {"text": "Review incomplete: API error 529"},
    }


def test_the_review_body_and_the_step_summary_lead_with_it() -> None:
    draft = draft_review(INCOMPLETE, diff=DIFF, state=state(), notes=["Incremental review."])

    body = draft.body().splitlines()
    assert body[0] == "## Code review — incomplete"
    assert body[3].startswith("> **Review incomplete: 24 of 32 files not reviewed** — ")
    assert body[5] == "_Incremental review._"

    report = draft.report(max_chars=100_000, lead="Posted as [a review](https://x/1).")
    assert report.splitlines()[:6] == [*body[:4], "", "_Posted as [a review](https://x/1)._"]
    assert "_Incremental review._" in report

    complete = draft_review(COMPLETE, diff=DIFF, state=state()).report(max_chars=100_000)
    assert complete.startswith("## Code review\n\nOne TODO left in.")


# ---------------------------------------------------------------- long lists


RENAMED = "renamed without content changes"
OVER_CAP = "not reviewed: run exceeds max_requests=20"
MANY = Review(
    model="m",
    findings=(),
    inline=(),
    summary="",
    skipped=(
        PathReason("package-lock.json", "lockfile (generated by a package manager)"),
        *(PathReason(f"src/moved_{i:03}.py", RENAMED) for i in range(300)),
        *(PathReason(f"lib/late_{i:03}.py", OVER_CAP) for i in range(200)),
        PathReason("logo.png", "binary file"),
    ),
)


def test_a_reason_many_files_share_is_one_row_in_the_order_of_the_review() -> None:
    rows = listing(MANY.skipped)

    assert [(row.reason, len(row.paths)) for row in rows] == [
        ("lockfile (generated by a package manager)", 1),
        (RENAMED, 300),
        (OVER_CAP, 200),
        ("binary file", 1),
    ]
    few = (PathReason("a.py", "x"), PathReason("b.py", "y"), PathReason("c.py", "x"))
    assert [row.paths for row in listing(few)] == [("a.py",), ("b.py",), ("c.py",)]
    assert [group.paths for group in group_by_reason(few)] == [("a.py", "c.py"), ("b.py",)]


def test_text_groups_hundreds_of_files_into_a_line_per_reason() -> None:
    out = text_of(MANY)

    assert "Skipped (502):\n" in out
    assert (
        "  300 files: src/moved_000.py, src/moved_001.py, src/moved_002.py and 297 more"
        f" — {RENAMED}\n"
    ) in out
    assert (
        f"  200 files: lib/late_000.py, lib/late_001.py, lib/late_002.py and 197 more — {OVER_CAP}\n"
    ) in out
    assert "  package-lock.json — lockfile (generated by a package manager)\n" in out
    assert out.count(RENAMED) == 1
    assert out.count(OVER_CAP) == 1
    assert len(out.splitlines()) < 15


def test_markdown_groups_them_into_a_row_per_reason_and_json_keeps_every_file() -> None:
    text = render_markdown(MANY)

    assert "### Skipped (502)\n" in text
    assert (
        "| 300 files: `src/moved_000.py`, `src/moved_001.py`, `src/moved_002.py` and 297 more"
        f" | {RENAMED} |\n"
    ) in text
    assert text.count(OVER_CAP.replace("_", "\\_")) == 1
    skipped = json.loads(render_json(MANY))["skipped"]
    assert len(skipped) == 502
    assert skipped[1] == {"path": "src/moved_000.py", "reason": RENAMED}


def test_markdown_says_how_many_files_a_cut_list_left_out() -> None:
    many_reasons = dataclasses.replace(
        MANY,
        skipped=tuple(
            PathReason(f"d{r}/f{i}.py", f"reason number {r} " + "x" * 40)
            for r in range(40)
            for i in range(5)
        ),
    )

    text = render_markdown(many_reasons, max_chars=2_000)

    assert len(text) <= 2_000
    rows = text.count(" files: `d")
    assert 0 < rows < 40
    assert f"_…and {(40 - rows) * 5} more files._" in text


@pytest.mark.parametrize("width", [80, 200])
def test_text_lines_of_grouped_paths_are_whole_in_a_pipe(width: int) -> None:
    console = Console(file=io.StringIO(), force_terminal=False, width=width)

    lines = text_of(MANY, console=console).splitlines()

    assert any(line.endswith(f"and 197 more — {OVER_CAP}") for line in lines)
