"""`reviewer eval` end to end: real SDK, the local Messages API, a scripted model.

The model is the markers responder: it raises "eval() runs arbitrary code"
(critical), "Possible hard-coded password" (major) and "Unresolved TODO" (minor)
on every added line that contains the marker, so the findings, and with them
the figures the matching rules give, are known in advance.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewer.cli import main
from tests.fakes.messages_api import (
    FAKE_API_KEY,
    MessagesAPI,
    MessagesRequest,
    Reply,
    markers_responder,
)
from tests.fakes.request_format import added_lines_in_request


def new_file(path: str, lines: list[str]) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def write_case(root: Path, name: str, diff: str, expected: str) -> None:
    case = root / name
    case.mkdir(parents=True)
    (case / "change.diff").write_text(diff, encoding="utf-8")
    (case / "expected.yml").write_text(expected, encoding="utf-8")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three cases whose scores under the markers model are worked out by hand.

    a: eval() on line 4 is labelled (match), the TODO on line 2 is not (false positive).
    b: the password finding on line 10 matches the issue at 12-13 (within 3 lines);
       the issue at line 30 has no finding (missed).
    c: a clean change whose TODO is a false positive on a clean case.
    """
    root = tmp_path / "corpus"
    write_case(
        root,
        "a",
        new_file(
            "a.py",
            ["import sys", "# TODO: handle errors", "def run(text):", "    return eval(text)"],
        ),
        "- path: a.py\n  lines: [4, 4]\n  severity: critical\n",
    )
    b_lines = [f"x{i} = {i}" for i in range(1, 41)]
    b_lines[9] = "ok = check_password(user)"
    write_case(
        root,
        "b",
        new_file("b.py", b_lines),
        "- path: b.py\n  lines: [12, 13]\n- path: b.py\n  lines: [30, 30]\n",
    )
    write_case(root, "c", new_file("c.py", ["# TODO: rename later", "value = 1"]), "[]\n")
    return root


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesAPI]:
    with MessagesAPI(markers_responder(extract=added_lines_in_request)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        yield server


def run_eval(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["eval", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_eval_scores_a_configuration_exactly_as_the_matching_rules_say(
    api: MessagesAPI, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_eval(capsys, str(corpus))
    assert code == 0
    (config,) = report["configurations"]
    totals = config["totals"]
    assert (totals["findings"], totals["expected"], totals["matched"]) == (4, 3, 2)
    assert totals["precision"] == pytest.approx(2 / 4, abs=1e-4)
    assert totals["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert totals["f1"] == pytest.approx(2 * 2 / (4 + 3), abs=1e-4)
    assert totals["clean_false_positives"] == 1
    assert totals["missed"] == 1
    # one review per case, nothing cached between them, and a verification request per finding
    assert config["usage"]["requests"] == 3 + 4
    assert len(api.requests) == 3 + 4


def test_several_configurations_are_scored_side_by_side(
    api: MessagesAPI, corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = tmp_path / "strict.yml"
    strict.write_text("min_severity: major\n", encoding="utf-8")  # the TODOs are not reported
    loose = tmp_path / "loose.yml"
    loose.write_text("max_comments: 25\n", encoding="utf-8")
    code, report = run_eval(capsys, str(corpus), "--config", str(loose), "--config", str(strict))
    assert code == 0
    by_name = {c["name"]: c["totals"] for c in report["configurations"]}
    assert by_name["loose"]["f1"] == pytest.approx(4 / 7, abs=1e-4)
    assert by_name["strict"]["precision"] == pytest.approx(1.0)
    assert by_name["strict"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert by_name["strict"]["f1"] == pytest.approx(2 * 2 / (2 + 3), abs=1e-4)
    assert by_name["strict"]["clean_false_positives"] == 0

    assert main(["eval", str(corpus), "--config", str(loose), "--config", str(strict)]) == 0
    table = capsys.readouterr().out
    assert "loose" in table
    assert "strict" in table
    assert "0.571" in table
    assert "0.800" in table


def test_a_gate_fails_the_run_below_its_threshold(
    api: MessagesAPI, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(corpus), "--min-f1", "0.5"]) == 0
    capsys.readouterr()
    assert main(["eval", str(corpus), "--min-precision", "0.9"]) == 1
    assert "precision 0.500 is below 0.900" in capsys.readouterr().err


def test_a_dry_run_prices_every_case_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["eval", str(corpus), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 cases" in out
    assert "nothing was sent" in out
    assert "$" in out


def test_a_bad_label_names_the_case_file_and_line(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus / "b" / "expected.yml").write_text(
        "- path: b.py\n  lines: [12, 13]\n- path: b.py\n  lines: [30, oops]\n", encoding="utf-8"
    )
    assert main(["eval", str(corpus), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "b/expected.yml:3: lines:" in err  # the entry's line, and the key
    assert "Traceback" not in err


def test_a_judge_model_can_reject_a_location_match_and_the_judged_figures_follow(
    monkeypatch: pytest.MonkeyPatch, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markers = markers_responder(extract=added_lines_in_request)
    judged: list[str] = []

    def model(request: MessagesRequest) -> Reply:
        schema = request.output_schema or {}
        if "describes" in schema.get("properties", {}):  # a judge's question
            judged.append(request.model)
            describes = "password" not in request.user_text  # b's match is rejected
            return {"describes": describes, "reason": "compared with the label"}
        return markers(request)

    with MessagesAPI(model) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        code, report = run_eval(capsys, str(corpus), "--judge", "claude-haiku-5-5")
    assert code == 0
    assert judged == ["claude-haiku-5-5", "claude-haiku-5-5"]  # one question per match
    (config,) = report["configurations"]
    assert config["totals"]["matched"] == 2  # location only, as before
    assert config["judged"]["matched"] == 1
    assert config["judged"]["precision"] == pytest.approx(1 / 4, abs=1e-4)
    assert config["judged"]["recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert config["judged"]["f1"] == pytest.approx(2 * 1 / (4 + 3), abs=1e-4)
    assert config["judge_usage"]["requests"] == 2
