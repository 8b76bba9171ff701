"""`reviewer eval` without the engine: scripted reviews in, exact figures, tables and gates out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reviewer.config import Config
from reviewer.errors import EXIT_FINDINGS, EXIT_OK, EXIT_SERVICE, ServiceError, UsageError
from reviewer.evaluation.corpus import Case, Corpus, load_corpus
from reviewer.evaluation.gate import Gate, check_gate, exit_code, parse_threshold
from reviewer.evaluation.judge import JudgeQuestion, Verdict, judge_prompt, parse_verdict
from reviewer.evaluation.labels import ExpectedIssue
from reviewer.evaluation.report import (
    render_dry_run_json,
    render_dry_run_text,
    render_json,
    render_text,
)
from reviewer.evaluation.runner import NamedConfig, config_names, estimate, evaluate
from reviewer.values import (
    DryRun,
    Finding,
    PlannedRequest,
    Review,
    ServiceFailure,
    Severity,
    Side,
    Timing,
    Usage,
)

DIFF = """\
diff --git a/lib/{name}.py b/lib/{name}.py
--- a/lib/{name}.py
+++ b/lib/{name}.py
@@ -10,4 +10,4 @@ def f(items):
     total = 0
-    for i in range(len(items)):
+    for i in range(len(items) + 1):
         total += items[i]
     return total
"""


def write_case(root: Path, name: str, expected: str, operator: str = "") -> None:
    case = root / name
    case.mkdir()
    (case / "change.diff").write_text(DIFF.format(name=name), encoding="utf-8")
    (case / "expected.yml").write_text(expected, encoding="utf-8")
    if operator:
        (case / "case.yml").write_text(f"operator: {operator}\n", encoding="utf-8")


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    write_case(
        tmp_path,
        "a",
        "- {path: lib/a.py, lines: [11, 11], description: range runs past the end}\n",
        "off_by_one",
    )
    write_case(tmp_path, "b", "- {path: lib/b.py, lines: [11, 11]}\n- {path: lib/b.py}\n", "x")
    write_case(tmp_path, "c", "[]\n", "rename")
    return load_corpus(tmp_path)


def finding(path: str, line: int | None, title: str = "t") -> Finding:
    return Finding(path, line, Side.RIGHT, Severity.MAJOR, "correctness", title, "body")


# What each configuration "finds" in each case.
SCRIPT: dict[tuple[str, str], tuple[Finding, ...]] = {
    ("haiku", "a"): (finding("lib/a.py", 12, "index past the end"), finding("lib/a.py", 20)),
    ("haiku", "b"): (),
    ("haiku", "c"): (finding("lib/c.py", 11),),
    ("sonnet", "a"): (finding("lib/a.py", 11, "index past the end"),),
    ("sonnet", "b"): (finding("lib/b.py", 9), finding("lib/b.py", None)),
    ("sonnet", "c"): (),
}
CONFIGS = (
    NamedConfig("haiku", Config(model="claude-haiku-5-5", source="haiku.yml")),
    NamedConfig("sonnet", Config(source="sonnet.yml")),
)


def scripted(case: Case, config: Config) -> Review:
    name = "haiku" if config.source == "haiku.yml" else "sonnet"
    findings = SCRIPT[(name, case.name)]
    return Review(
        model=config.model,
        findings=findings,
        inline=findings,
        summary="",
        usage=Usage(requests=1, input_tokens=1000, output_tokens=100, cost_usd=0.01),
        timing=Timing(wall_seconds=2.0),
    )


def test_each_configuration_is_scored_per_case_and_in_total(corpus: Corpus) -> None:
    seen: list[tuple[str, str]] = []
    report = evaluate(
        corpus, CONFIGS, scripted, progress=lambda n, r: seen.append((n.name, r.case.name))
    )
    haiku, sonnet = report.configs
    # haiku: a matched (12 is 1 from 11), 20 unmatched; b missed twice; c one false positive.
    assert (haiku.counts.findings, haiku.counts.expected, haiku.counts.matched) == (3, 3, 1)
    assert haiku.counts.clean_false_positives == 1
    assert (haiku.counts.precision, haiku.counts.recall, haiku.counts.f1) == (1 / 3, 1 / 3, 1 / 3)
    # sonnet: everything found, nothing extra.
    assert (sonnet.counts.precision, sonnet.counts.recall, sonnet.counts.f1) == (1.0, 1.0, 1.0)
    assert [c.counts.matched for c in sonnet.cases] == [1, 2, 0]
    assert haiku.usage == Usage(requests=3, input_tokens=3000, output_tokens=300, cost_usd=0.03)
    assert haiku.wall_seconds == 6.0
    assert seen == [(c, n) for c in ("haiku", "sonnet") for n in ("a", "b", "c")]
    assert not report.failed


def test_the_text_report_puts_configurations_side_by_side(corpus: Corpus) -> None:
    text = render_text(evaluate(corpus, CONFIGS, scripted))
    lines = text.splitlines()
    assert lines[0] == f"reviewer eval: 3 cases in {corpus.root} (2 with expected issues, 1 clean)"
    cells = [re.split(r"\s{2,}", line.strip()) for line in lines[2:] if line.strip()]
    rows = {row[0]: row[1:] for row in cells}
    assert rows["haiku"] == ["sonnet"]  # the heading: the label cell is blank
    assert rows["precision"] == ["0.333", "1.000"]
    assert rows["recall"] == ["0.333", "1.000"]
    assert rows["F1"] == ["0.333", "1.000"]
    assert rows["findings"] == ["3", "3"]
    assert rows["expected"] == ["3", "3"]
    assert rows["matched"] == ["1", "3"]
    assert rows["false positives on clean cases"] == ["1", "0"]
    assert rows["tokens (prompt / output)"] == ["3,000 / 300", "3,000 / 300"]
    assert rows["cost"] == ["$0.0300", "$0.0300"]
    assert rows["wall (model stage)"] == ["6.0 s", "6.0 s"]
    assert rows["off_by_one"] == ["1/1", "1/1"]
    assert rows["x"] == ["0/2", "2/2"]
    assert "rename" not in rows  # a clean case has no recall


def test_the_json_report_has_the_per_case_details(corpus: Corpus) -> None:
    document = json.loads(render_json(evaluate(corpus, CONFIGS, scripted)))
    haiku = document["configurations"][0]
    assert haiku["totals"] == {
        "precision": 0.3333,
        "recall": 0.3333,
        "f1": 0.3333,
        "findings": 3,
        "expected": 3,
        "matched": 1,
        "false_positives": 2,
        "missed": 2,
        "clean_false_positives": 1,
    }
    case_a = haiku["cases"][0]
    assert (case_a["name"], case_a["operator"], case_a["clean"]) == ("a", "off_by_one", False)
    assert [(f["line"], f["matched_expected"], f["distance"]) for f in case_a["findings"]] == [
        (12, 0, 1),
        (20, None, None),
    ]
    assert case_a["expected"] == [
        {
            "path": "lib/a.py",
            "lines": [11, 11],
            "severity": None,
            "description": "range runs past the end",
            "matched_finding": 0,
        }
    ]
    assert haiku["cases"][2]["clean_false_positives"] == 1
    assert haiku["cases"][2]["precision"] == 0.0
    assert haiku["cases"][1]["precision"] is None  # no findings: undefined, not 0
    assert document["failed"] is False


def test_a_failed_review_is_listed_and_not_scored(corpus: Corpus) -> None:
    def failing(case: Case, config: Config) -> Review:
        if case.name == "a":
            raise ServiceError("the API is unreachable", request_id="req_1")
        if case.name == "b":
            review = scripted(case, config)
            return Review(review.model, (), (), "", service_failure=ServiceFailure("overloaded"))
        return scripted(case, config)

    report = evaluate(corpus, CONFIGS[:1], failing)
    (haiku,) = report.configs
    assert [c.failure for c in haiku.failed] == [
        "the API is unreachable (request id req_1)",
        "overloaded",
    ]
    assert haiku.counts.expected == 0  # only c, the clean case, was scored
    assert haiku.counts.clean_false_positives == 1
    assert report.failed
    assert exit_code(report, check_gate(report, Gate())) == EXIT_SERVICE
    assert "haiku: a: review failed: the API is unreachable" in render_text(report)


def test_the_gate_holds_every_configuration_to_the_thresholds(corpus: Corpus) -> None:
    report = evaluate(corpus, CONFIGS, scripted)
    assert check_gate(report, Gate()).passed
    assert check_gate(report, Gate(min_f1=1 / 3, min_precision=1 / 3)).passed
    result = check_gate(report, Gate(min_f1=0.5, min_precision=0.3))
    assert result.failures == ("haiku: F1 0.333 is below 0.500",)
    assert exit_code(report, result) == EXIT_FINDINGS
    assert exit_code(report, check_gate(report, Gate(min_precision=0.3))) == EXIT_OK
    sonnet_only = evaluate(corpus, CONFIGS[1:], scripted)
    assert check_gate(sonnet_only, Gate(min_f1=1.0, min_precision=1.0)).passed


def test_undefined_figures_pass_the_gate(tmp_path: Path) -> None:
    write_case(tmp_path, "c", "[]\n")
    corpus = load_corpus(tmp_path)
    silent = evaluate(corpus, CONFIGS[1:], scripted)  # sonnet finds nothing in c
    assert silent.configs[0].counts.precision is None
    assert check_gate(silent, Gate(min_f1=0.9, min_precision=0.9)).passed


@pytest.mark.parametrize("raw", ["1.5", "-0.1", "high", "nan"])
def test_thresholds_are_numbers_from_zero_to_one(raw: str) -> None:
    with pytest.raises(UsageError, match=f"--min-f1: expected a number from 0 to 1, got '{raw}'"):
        parse_threshold(raw, option="--min-f1")
    assert parse_threshold("0.75", option="--min-f1") == 0.75


def test_the_judge_can_only_remove_location_matches(corpus: Corpus) -> None:
    asked: list[JudgeQuestion] = []

    def judge(question: JudgeQuestion) -> Verdict:
        asked.append(question)
        describes = question.finding.title == "index past the end"
        return Verdict(describes, "same defect" if describes else "other", Usage(cost_usd=0.001))

    report = evaluate(corpus, CONFIGS, judge=judge, review_case=scripted)
    haiku, sonnet = report.configs
    # Only location matches are put to the judge: haiku a (1), sonnet a and b (3).
    assert [(q.case, q.finding.line) for q in asked] == [
        ("a", 12),
        ("a", 11),
        ("b", None),  # nearest first: the file-level pair is 0 lines apart
        ("b", 9),
    ]
    assert "+    for i in range(len(items) + 1):" in asked[0].excerpt
    assert haiku.judged_counts == haiku.counts  # its one match was judged to describe it
    judged = sonnet.judged_counts
    assert judged is not None
    assert (judged.matched, judged.precision, judged.recall) == (1, 1 / 3, 1 / 3)
    assert sonnet.counts.matched == 3  # location-only figures stay beside
    assert sonnet.judge_usage.cost_usd == pytest.approx(0.003)
    # The gate holds the judged figures when there are some.
    assert check_gate(report, Gate(min_f1=0.5)).failures == (
        "haiku: F1 0.333 is below 0.500",
        "sonnet: F1 0.333 is below 0.500",
    )
    text = render_text(report)
    assert "judged precision" in text
    assert "judge cost" in text
    document = json.loads(render_json(report))
    sonnet_b = document["configurations"][1]["cases"][1]
    assert sonnet_b["judged"]["matched"] == 0
    assert sonnet_b["findings"][0]["judged"] == {"describes": False, "reason": "other"}


def test_the_judge_prompt_and_answers() -> None:
    question = JudgeQuestion(
        case="a",
        expected=load_issue(),
        finding=finding("lib/a.py", 12, "index past the end"),
        excerpt="@@ -1 +1 @@\n-x\n+y",
    )
    prompt = judge_prompt(question)
    assert "lib/a.py (lines 11-11, critical):\nrange runs past the end" in prompt
    assert "index past the end\nbody" in prompt
    assert "```diff\n@@ -1 +1 @@\n-x\n+y\n```" in prompt
    assert parse_verdict('{"describes": true, "reason": "same"}') == Verdict(True, "same")
    assert parse_verdict('Sure: {"describes": false, "reason": 3}') == Verdict(False, "")
    assert parse_verdict("No. It is about naming.") == Verdict(False, "No. It is about naming.")
    assert parse_verdict("maybe") is None
    assert parse_verdict("") is None


def load_issue() -> ExpectedIssue:
    return ExpectedIssue("lib/a.py", (11, 11), Severity.CRITICAL, "range runs past the end")


def test_the_dry_run_adds_up_the_estimates(corpus: Corpus) -> None:
    def estimate_case(case: Case, config: Config) -> DryRun:
        request = PlannedRequest(
            paths=(f"lib/{case.name}.py",), hunks=1, estimated_input_tokens=500
        )
        return DryRun(config.model, (request, request), (), estimated_cost_usd=0.25)

    report = estimate(corpus, CONFIGS, estimate_case)
    assert report.estimated_cost_usd == 1.5
    text = render_dry_run_text(report)
    assert "3 cases" in text
    assert "nothing was sent" in text
    assert text.splitlines()[-1].split() == ["total", "$1.5000"]
    assert text.splitlines()[3].split() == ["haiku", "claude-haiku-5-5", "6", "3,000", "$0.7500"]
    document = json.loads(render_dry_run_json(report))
    assert document["dry_run"] is True
    assert document["estimated_cost_usd"] == 1.5
    assert document["configurations"][1]["cases"][0] == {
        "name": "a",
        "requests": 2,
        "estimated_input_tokens": 1000,
        "estimated_cost_usd": 0.25,
        "skipped": 0,
    }


def test_configuration_names_are_stems_unless_they_repeat() -> None:
    assert config_names([]) == ("defaults",)
    assert config_names([Path("x/haiku.yml"), Path("sonnet.toml")]) == ("haiku", "sonnet")
    assert config_names([Path("a/reviewer.yml"), Path("b/reviewer.yml")]) == (
        "a/reviewer.yml",
        "b/reviewer.yml",
    )
