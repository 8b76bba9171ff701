"""Reports that agree with themselves: counts from the findings listed, time and retries named.

Issue 11, "Reports that agree with themselves": after a cache hit the summary
said "Found 3 issue(s)." over one finding; with only secret findings the text
said "No issues found." and then listed 3 critical findings; with every file
ignored it said "Nothing to review…" and then listed findings. The usage line
left the local scan out of the time. Piped text wrapped at 80 columns.
"""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from reviewer.diff import Diff, parse_diff
from reviewer.github.draft import draft_review, without_posted
from reviewer.github.marker import ReviewState
from reviewer.render.claims import consistent_summary
from reviewer.render.jsonout import render_json
from reviewer.render.markdown import render_markdown
from reviewer.render.tally import tally_of
from reviewer.render.text import render_text
from reviewer.render.wording import plural, requests_phrase, timing_phrase
from reviewer.values import Finding, Review, Severity, Side, Timing, Usage

DIFF = parse_diff(
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,3 @@\n"
    " import os\n+password = 'hunter2'\n x = 1\n"
)


def found(severity: Severity, line: int = 2, category: str = "correctness") -> Finding:
    return Finding("app.py", line, Side.RIGHT, severity, category, f"{severity} {line}", "Why.")


SECRETS = tuple(found(Severity.CRITICAL, n, "security") for n in (1, 2, 3))


def review(
    summary: str, *findings: Finding, usage: Usage | None = None, timing: Timing | None = None
) -> Review:
    return Review(
        model="claude-sonnet-5-5",
        findings=findings,
        inline=findings,
        summary=summary,
        usage=usage or Usage(),
        timing=timing or Timing(),
    )


def text_of(shown: Review, console: Console | None = None, diff: Diff = DIFF) -> str:
    console = console or Console(file=io.StringIO(), force_terminal=False, width=100)
    render_text(shown, diff, console)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


# ---------------------------------------------------------------- what the summary may claim


ONE_MAJOR = (found(Severity.MAJOR),)


@pytest.mark.parametrize(
    ("sentence", "listed"),
    [
        ("Found 3 issue(s).", ONE_MAJOR),
        ("No issues found.", SECRETS),
        ("Nothing to review: the diff has no reviewable changes.", SECRETS),
        ("There are two critical problems.", SECRETS),
        ("3 findings: see below.", ()),
        ("No major issues were found.", ONE_MAJOR),
        ("`a.py`, `b.py`: Found 2 issues.", ONE_MAJOR),  # one request's summary of several
    ],
)
def test_a_sentence_the_findings_contradict_is_left_out(
    sentence: str, listed: tuple[Finding, ...]
) -> None:
    summary = consistent_summary(f"Adds a login form. {sentence} Tests pass.", listed)

    assert summary == "Adds a login form. Tests pass."


@pytest.mark.parametrize(
    "sentence",
    [
        "Found 1 issue.",
        "No security issues.",  # the finding is about correctness
        "Found 1 major issue and no critical issues.",
        "Fixes two bugs in the parser.",  # about the change, not the review
        "Closes issue 12.",
        "Two other issues are worth a look.",  # relative to something unseen: not checkable
        "A few issues remain.",
        "Nothing to review: the diff has no reviewable changes.",  # true without findings
    ],
)
def test_a_sentence_that_agrees_or_cannot_be_checked_is_kept(sentence: str) -> None:
    listed = [] if sentence.startswith("Nothing") else [found(Severity.MAJOR)]

    assert consistent_summary(sentence, listed) == sentence


def test_code_in_the_summary_is_never_touched() -> None:
    summary = "Changes the query.\n```python\n# Found 3 issues.\n```\nFound 3 issues."

    assert (
        consistent_summary(summary, []) == "Changes the query.\n```python\n# Found 3 issues.\n```"
    )


# ---------------------------------------------------------------- the cases the issue reproduced


def test_a_cached_summary_counting_more_than_is_listed_is_not_repeated() -> None:
    one = review("Found 3 issue(s).", found(Severity.MINOR))

    out = text_of(one)
    markdown = render_markdown(one)
    document = json.loads(render_json(one))

    assert out.startswith("1 finding in 1 file: 1 minor.\n")
    for report in (out, markdown, document["summary"]):
        assert "Found 3" not in report
    assert "**1 finding** in 1 file" in markdown
    assert document["severity_counts"] == {"critical": 0, "major": 0, "minor": 1, "nit": 0}
    assert document["headline"] == "1 finding in 1 file: 1 minor."


def test_only_secret_findings_never_read_no_issues_found() -> None:
    secrets = review("No issues found.", *SECRETS)

    out = text_of(secrets)

    assert out.startswith("3 findings in 1 file: 3 critical.\n")
    assert "No issues found" not in out
    assert "No issues found" not in render_markdown(secrets)
    assert "No issues found" not in json.loads(render_json(secrets))["summary"]


def test_nothing_to_review_is_not_said_over_findings() -> None:
    ignored = review("Nothing to review: the diff has no reviewable changes.", *SECRETS)

    assert "Nothing to review" not in text_of(ignored)
    assert "Nothing to review" not in render_markdown(ignored)
    assert "Nothing to review" in text_of(review(ignored.summary))  # true without findings


def test_the_review_body_counts_what_earlier_reviews_did_not_post() -> None:
    old, new = found(Severity.MAJOR, 1), found(Severity.MINOR, 2)
    kept = without_posted(
        review("Found 2 issues.", old, new), frozenset({old.fingerprint()}), max_comments=5
    )

    body = draft_review(kept, diff=DIFF, state=ReviewState("a" * 40, True, "r", ())).body()

    assert "Found 2 issues" not in body
    assert "**1 finding** in 1 file" in body


def test_the_text_report_ends_with_the_tally_by_severity() -> None:
    shown = review("", *SECRETS, found(Severity.NIT))

    last = text_of(shown).splitlines()[-1]

    assert last == "Tally: 4 findings — 3 critical · 0 major · 0 minor · 1 nit"
    assert text_of(review("")).splitlines()[-1] == (
        "Tally: 0 findings — 0 critical · 0 major · 0 minor · 0 nit"
    )


def test_the_tally_counts_each_severity_and_file() -> None:
    tally = tally_of(
        [
            *SECRETS,
            found(Severity.NIT),
            Finding("b.py", None, Side.RIGHT, Severity.NIT, "style", "t", "b"),
        ]
    )

    assert (tally.total, tally.files, tally.count(Severity.NIT)) == (5, 2, 2)
    assert tally.headline == "5 findings in 2 files: 3 critical, 2 nit."
    assert tally_of([]).headline == "No findings."


# ---------------------------------------------------------------- usage, time and retries

USAGE = Usage(requests=1, input_tokens=1_000, output_tokens=100, cost_usd=0.01, retries=2)
TIMING = Timing(wall_seconds=4.8, request_seconds=9.1, local_seconds=16.2)


def test_plurals_and_the_phrases_every_report_shares() -> None:
    assert (plural(1, "request"), plural(2, "request"), plural(1_000, "file")) == (
        "1 request",
        "2 requests",
        "1,000 files",
    )
    assert plural(1, "retry", "retries") == "1 retry"
    assert requests_phrase(USAGE) == "1 request · 2 retries"
    assert requests_phrase(Usage(requests=3)) == "3 requests"
    assert timing_phrase(TIMING) == "local 16.2 s · model 4.8 s wall (requests add up to 9.1 s)"
    assert timing_phrase(Timing(local_seconds=0.25)) == "local 0.2 s"  # nothing was sent
    assert timing_phrase(Timing()) == ""


def test_every_format_reports_local_and_model_time_and_the_retries() -> None:
    timed = review("", usage=USAGE, timing=TIMING)

    out = text_of(timed)
    footer = render_markdown(timed).rsplit("---\n", 1)[1]
    document = json.loads(render_json(timed))

    expected = "local 16.2 s · model 4.8 s wall (requests add up to 9.1 s)"
    assert "claude-sonnet-5-5 · 1 request · 2 retries · tokens:" in out
    assert out.rstrip().splitlines()[-2].endswith(expected)
    assert "· 1 request · 2 retries · tokens:" in footer
    assert footer.endswith(f"· {expected}</sub>\n")
    assert document["timing"] == {
        "wall_seconds": 4.8,
        "request_seconds": 9.1,
        "local_seconds": 16.2,
    }
    assert document["usage"]["retries"] == 2
    assert "requests" not in text_of(review("", usage=Usage(requests=1)))
    assert "retr" not in text_of(review("", usage=Usage(requests=1)))


# ---------------------------------------------------------------- wrapping


LONG_BODY = "This explanation goes on " + "and on " * 40 + "until it ends."
LONG_CODE = "    result = compute(" + ", ".join(f"argument_{i}" for i in range(20)) + ")"
WIDE_DIFF = parse_diff(
    f"diff --git a/wide.py b/wide.py\n--- a/wide.py\n+++ b/wide.py\n@@ -1 +1 @@\n-x\n+{LONG_CODE}\n"
)
WIDE = Review(
    model="m",
    findings=(
        Finding(
            "wide.py", 1, Side.RIGHT, Severity.MAJOR, "correctness", "Too many arguments", LONG_BODY
        ),
    ),
    inline=(),
    summary="",
)


@pytest.mark.parametrize(
    "console",
    [
        Console(file=io.StringIO(), force_terminal=False, width=80),  # a pipe, or --output
        Console(
            file=io.StringIO(), force_terminal=True, width=80, soft_wrap=True, color_system=None
        ),
    ],
    ids=["not-a-terminal", "soft-wrap"],
)
def test_piped_text_keeps_every_line_whole(console: Console) -> None:
    lines = text_of(WIDE, console, WIDE_DIFF).splitlines()

    assert f"  {LONG_BODY}" in lines  # prose on one line, not wrapped at 80 columns
    assert any(line.endswith(LONG_CODE.strip()) for line in lines)  # code not cropped
    assert not any("…" in line for line in lines)
    assert not [line for line in lines if line != line.rstrip()]


def test_a_terminal_still_gets_wrapped_prose_and_cropped_code() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=80, color_system=None)

    lines = text_of(WIDE, console, WIDE_DIFF).splitlines()

    assert all(len(line) <= 80 for line in lines)
    assert any(line.endswith("…") for line in lines)
    assert LONG_BODY in " ".join(line.strip() for line in lines)  # wrapped, all of it
