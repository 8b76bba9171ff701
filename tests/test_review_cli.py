"""The `reviewer review` command end to end: real SDK, local Messages API server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewer.cli import main
from tests.conftest import GitRepo
from tests.fakes.messages_api import (
    FAKE_API_KEY,
    CutStream,
    LatencyProfile,
    MessagesAPI,
    MessagesRequest,
    RawReply,
    Reply,
    StatusFault,
    StreamError,
    markers_responder,
    review_requests,
    verification_requests,
)
from tests.fakes.request_format import added_lines_in_request

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.diff"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesAPI]:
    with MessagesAPI(markers_responder(extract=added_lines_in_request)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        yield server


@pytest.fixture
def small_budget(tmp_path: Path) -> Path:
    """A config that spreads the sample diff over several requests."""
    path = tmp_path / "reviewer.yml"
    path.write_text("request_token_budget: 500\nmax_retries: 1\n", encoding="utf-8")
    return path


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["review", "--format", "json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_review_of_example_diff_finds_anchored_findings(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], small_budget: Path
) -> None:
    code, report = run_json(capsys, "--diff", str(SAMPLE), "--config", str(small_budget))
    assert code == 0
    todo = [f for f in report["findings"] if f["title"] == "Unresolved TODO"]
    assert todo == [
        {
            "path": "app/users.py",
            "line": 16,
            "start_line": None,
            "side": "RIGHT",
            "severity": "minor",
            "category": "maintainability",
            "title": "Unresolved TODO",
            "body": todo[0]["body"],
            "suggestion": None,
            "inline": True,
            "fingerprint": todo[0]["fingerprint"],
        }
    ]
    assert report["not_reviewed"] == []
    assert report["model"] == "claude-sonnet-5-5"


def test_every_request_after_the_first_reads_the_cache(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], small_budget: Path
) -> None:
    # With latency, requests fired together would all miss; the engine must wait
    # for the first response to begin before fanning out.
    api.set_latency(LatencyProfile(total_ms=300, first_byte_fraction=0.5, seed=1))
    # Without repository tools: with them, each request also caches its own hunks, so
    # what the first writes is more than the shared prefix the others read.
    no_tools = small_budget.with_name("no-tools.yml")
    no_tools.write_text(small_budget.read_text() + "context: off\n", encoding="utf-8")
    _, report = run_json(capsys, "--diff", str(SAMPLE), "--config", str(no_tools))
    every = [r for r in api.requests if r.path == "/v1/messages"]
    # the review's requests share its prefix; the verification pass's have their own
    served = review_requests(every)
    assert len(served) >= 3
    assert served[0].cache is not None
    assert served[0].cache.cache_creation_input_tokens > 4096
    for request in served[1:]:
        assert request.cache is not None
        assert request.cache.cache_read_input_tokens >= served[0].cache.cache_creation_input_tokens
    usage = report["usage"]
    assert verification_requests(every)
    assert usage["requests"] == len(every)
    assert usage["cache_read_input_tokens"] == sum(
        r.cache.cache_read_input_tokens for r in every if r.cache
    )
    assert usage["cache_creation_input_tokens"] == sum(
        r.cache.cache_creation_input_tokens for r in every if r.cache
    )
    assert usage["cost_usd"] > 0


def test_request_shape_caches_system_and_context_and_sends_no_temperature(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(capsys, "--diff", str(SAMPLE))  # in this repository: the tools read it
    body = api.requests[0].body
    assert "temperature" not in body
    assert [block.get("cache_control") for block in body["system"]] == [
        {"type": "ephemeral"},  # the rubric
        {"type": "ephemeral"},  # the run context
        None,  # how to use the tools: in the prefix, cached by the breakpoint after it
    ]
    assert [tool["name"] for tool in body["tools"]] == ["read_file", "search", "list_files"]
    assert body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["output_config"]["format"]["type"] == "json_schema"
    assert body["stream"] is True
    user = body["messages"][0]["content"][0]["text"]
    assert "=== FILE app/users.py (modified) ===" in user
    assert "You are" not in user  # the rubric is in the cached system block, not per request


def test_failed_request_is_reported_while_others_complete(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], small_budget: Path
) -> None:
    api.inject(StatusFault(500, should_retry=False))
    code, report = run_json(capsys, "--diff", str(SAMPLE), "--config", str(small_budget))
    assert code == 3  # incomplete, and on_incomplete defaults to fail: a gate must not pass
    assert report["not_reviewed"], "the failed request's files must be named"
    reason = report["not_reviewed"][0]["reason"]
    assert "500" in reason
    assert "request id req_" in reason
    assert report["usage"]["requests"] >= 2  # the other requests completed


def test_overloaded_then_success_is_retried_by_the_sdk(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    api.inject(StatusFault(529, retry_after_ms=5), StatusFault(429, retry_after_ms=5))
    code, report = run_json(capsys, "--diff", str(SAMPLE))
    assert code == 0
    assert [r.status for r in review_requests(api.requests)] == [529, 429, 200]
    # then one verification request per finding the model raised in the sample
    assert [r.status for r in verification_requests(api.requests)] == [200] * 2
    assert report["not_reviewed"] == []


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (CutStream(after_events=3), "connection lost mid-response"),
        (StreamError(after_events=3), "overloaded_error"),
    ],
)
def test_broken_streams_become_not_reviewed(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], fault: object, reason: str
) -> None:
    api.inject(fault, fault)  # type: ignore[arg-type]  # broken again when sent again
    code, report = run_json(capsys, "--diff", str(SAMPLE))
    assert code == 3  # the only request failed: the service failed
    assert {entry["path"] for entry in report["not_reviewed"]} == {
        "app/cache.py",
        "app/settings.py",
        "app/users.py",
    }
    assert reason in report["not_reviewed"][0]["reason"]


def scripted(reply: Reply) -> MessagesAPI:
    return MessagesAPI(lambda _request: reply)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (RawReply("", stop_reason="refusal"), "declined"),
        (RawReply('{"summary": "x", "findings": [{"pa', stop_reason="max_tokens"), "cut off"),
        (RawReply('{"summary": "x"}'), "did not match the findings schema"),
        (RawReply("I found no issues."), "did not match the findings schema"),
    ],
)
def test_unusable_answers_are_reported_not_crashed_on(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    reply: RawReply,
    reason: str,
) -> None:
    with scripted(reply) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        code, report = run_json(capsys, "--diff", str(SAMPLE))
    assert code == 3  # nothing was reviewed: the run must not pass as if it had been
    assert reason in report["not_reviewed"][0]["reason"]
    asked = 1 if reply.stop_reason == "refusal" else 2  # an invalid answer is asked again once
    assert report["usage"]["requests"] == asked  # every answer was billed, and is counted
    assert report["usage"]["retries"] == asked - 1


def test_one_unusable_answer_among_several_keeps_the_others_and_the_policy_decides(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], small_budget: Path
) -> None:
    markers = markers_responder(extract=added_lines_in_request)

    def refuse_settings(request: MessagesRequest) -> Reply:
        if "=== FILE app/settings.py" in request.user_text:
            return RawReply("", stop_reason="refusal")
        return markers(request)

    with MessagesAPI(refuse_settings) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        code, report = run_json(capsys, "--diff", str(SAMPLE), "--config", str(small_budget))
        assert code == 3  # on_incomplete: fail, the default
        lenient = small_budget.with_name("lenient.yml")
        lenient.write_text(small_budget.read_text() + "on_incomplete: pass\n", encoding="utf-8")
        passed, _ = run_json(capsys, "--diff", str(SAMPLE), "--config", str(lenient), "--no-cache")
        assert passed == 0  # the same review, judged on its findings alone
    assert [e["path"] for e in report["not_reviewed"]] == ["app/settings.py"]
    assert [f["title"] for f in report["findings"]] == ["Unresolved TODO"]


def test_findings_on_files_the_request_did_not_show_are_not_placed_on_their_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], small_budget: Path
) -> None:
    def cite_other_files(request: MessagesRequest) -> Reply:
        # Every request claims a problem on app/users.py:16, which only one request shows.
        finding: dict[str, Any] = {
            "path": "app/users.py",
            "side": "RIGHT",
            "line": 16,
            "start_line": None,
            "code": "    # TODO: paginate",
            "severity": "minor",
            "category": "maintainability",
            "title": f"Claim {len(request.user_text)}",
            "body": "b",
            "suggestion": None,
        }
        return {"summary": "s", "findings": [finding]}

    with MessagesAPI(cite_other_files) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        _, report = run_json(capsys, "--diff", str(SAMPLE), "--config", str(small_budget))
    placed = [(f["path"], f["line"]) for f in report["findings"]]
    assert placed.count(("app/users.py", 16)) == 1  # from the request that showed it
    assert placed.count(("app/users.py", None)) == 2  # the others: file-level, not on the line


def test_bad_credentials_exit_3_with_a_clear_message(
    api: MessagesAPI, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong")
    code = main(["review", "--diff", str(SAMPLE), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 3
    assert "refused the credentials (401)" in err
    assert "request id req_" in err


def test_unreachable_service_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], small_budget: Path
) -> None:
    with MessagesAPI() as server:
        base_url = server.base_url  # closed when the block ends: nothing listens there
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", base_url)
    code, report = run_json(capsys, "--diff", str(SAMPLE), "--config", str(small_budget))
    assert code == 3
    assert "could not reach the Anthropic API" in report["not_reviewed"][0]["reason"]


@pytest.mark.parametrize(
    ("fail_on", "expected"), [("nit", 1), ("minor", 1), ("major", 0), ("never", 0)]
)
def test_fail_on_sets_the_exit_code(
    api: MessagesAPI,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fail_on: str,
    expected: int,
) -> None:
    only_todo = tmp_path / "todo.diff"
    only_todo.write_text(
        "--- a/x.py\n+++ b/x.py\n@@ -1 +1,2 @@\n a = 1\n+# TODO: remove\n", encoding="utf-8"
    )
    code, report = run_json(capsys, "--diff", str(only_todo), "--fail-on", fail_on)
    assert [f["severity"] for f in report["findings"]] == ["minor"]
    assert code == expected


def test_dry_run_sends_nothing_and_prints_the_plan(
    api: MessagesAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    small_budget: Path,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    code, plan = run_json(capsys, "--diff", str(SAMPLE), "--dry-run", "--config", str(small_budget))
    assert code == 0
    assert api.requests == ()
    assert plan["dry_run"] is True
    assert set(plan) == {
        "dry_run",
        "model",
        "requests",
        "skipped",
        "estimated_cost_usd",
        "estimated_tool_turns",
        "estimated_verifications",
    }
    assert len(plan["requests"]) >= 2
    assert {p for r in plan["requests"] for p in r["paths"]} == {
        "app/cache.py",
        "app/settings.py",
        "app/users.py",
    }
    assert all(r["estimated_input_tokens"] > 4096 for r in plan["requests"])
    assert plan["estimated_cost_usd"] > 0


def test_missing_key_is_a_usage_error_with_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["review", "--diff", str(SAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "ANTHROPIC_API_KEY is not set" in err
    assert "--dry-run" in err


def test_secrets_are_reported_locally_and_never_sent(
    api: MessagesAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "AKIA" + "Q3EGRJ7HB4NXK2LA"
    diff = tmp_path / "leak.diff"
    diff.write_text(
        "diff --git a/settings.py b/settings.py\n--- a/settings.py\n+++ b/settings.py\n"
        f'@@ -1,1 +1,2 @@\n DEBUG = False\n+AWS_ACCESS_KEY_ID = "{key}"\n',
        encoding="utf-8",
    )
    code, report = run_json(capsys, "--diff", str(diff), "--fail-on", "critical")
    assert code == 1
    secret = [f for f in report["findings"] if f["severity"] == "critical"]
    assert [(f["path"], f["line"], f["side"]) for f in secret] == [("settings.py", 2, "RIGHT")]
    assert key not in json.dumps(report)
    sent = json.dumps([r.body for r in api.requests])
    assert key not in sent
    assert "[REDACTED:" in sent


def test_output_file_and_formats(
    api: MessagesAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("text", "markdown", "sarif", "json"):
        target = tmp_path / f"report.{fmt}"
        assert (
            main(["review", "--diff", str(SAMPLE), "--format", fmt, "--output", str(target)]) == 0
        )
        content = target.read_text(encoding="utf-8")
        assert "Unresolved TODO" in content
        assert "\x1b[" not in content  # no colour codes in files
    assert capsys.readouterr().out == ""
    sarif = json.loads((tmp_path / "report.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"


def test_malformed_diff_exits_2_naming_the_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.diff"
    bad.write_text("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "reviewer", "review", "--diff", str(bad), "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert f"{bad}:" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reviewer", "review", "--staged", "--base", "main"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


def test_version_and_help() -> None:
    version = subprocess.run(
        [sys.executable, "-m", "reviewer", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("reviewer ")
    helped = subprocess.run(
        [sys.executable, "-m", "reviewer", "review", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for flag in ("--diff", "--staged", "--base", "--format", "--dry-run", "--fail-on"):
        assert flag in helped.stdout


def reviewed_paths(capsys: pytest.CaptureFixture[str], *args: str) -> set[str]:
    code, plan = run_json(capsys, "--dry-run", *args)
    assert code == 0
    return {p for request in plan["requests"] for p in request["paths"]}


def test_git_inputs_review_what_they_name(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write("base.py", "a = 1\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("committed.py", "b = 2\n")
    git_repo.commit("feature work")
    git_repo.write("staged.py", "c = 3\n")
    git_repo.stage("staged.py")
    git_repo.write("base.py", "a = 10\n")  # unstaged
    monkeypatch.chdir(git_repo.path)
    assert reviewed_paths(capsys, "--staged") == {"staged.py"}
    assert reviewed_paths(capsys) == {"staged.py", "base.py"}
    assert reviewed_paths(capsys, "--base", "main") == {"committed.py"}
    repo_flag = ("--repo", str(git_repo.path))
    monkeypatch.chdir(git_repo.path.parent)
    assert reviewed_paths(capsys, "--staged", *repo_flag) == {"staged.py"}


def test_unknown_base_and_no_repository_exit_2(
    git_repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    git_repo.write("a.py", "a = 1\n")
    git_repo.commit()
    monkeypatch.chdir(git_repo.path)
    assert main(["review", "--dry-run", "--base", "no-such-branch"]) == 2
    assert "no-such-branch" in capsys.readouterr().err
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["review", "--dry-run"]) == 2
    assert "not inside a git repository" in capsys.readouterr().err


def test_repository_config_is_found_from_the_repo_root(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write(".github/reviewer.yml", "ignore: ['docs/**']\nmodel: claude-haiku-5-5\n")
    git_repo.commit("config")
    git_repo.write("docs/guide.md", "hello\n")
    git_repo.write("src/app.py", "x = 1\n")
    git_repo.stage()
    monkeypatch.chdir(git_repo.path / "src")
    code, plan = run_json(capsys, "--dry-run", "--staged")
    assert code == 0
    assert plan["model"] == "claude-haiku-5-5"
    assert plan["skipped"] == [
        {"path": "docs/guide.md", "reason": "matches an ignore glob in the configuration"}
    ]


def test_bad_config_exits_2_naming_key(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write(".github/reviewer.yml", "max_comments: lots\n")
    monkeypatch.chdir(git_repo.path)
    assert main(["review", "--dry-run", "--diff", str(SAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "reviewer.yml:1: max_comments: must be an integer" in err


def test_diff_file_review_works_without_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    code, plan = run_json(capsys, "--dry-run", "--diff", str(SAMPLE))
    assert code == 0
    assert len(plan["requests"]) == 1
