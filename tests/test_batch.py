"""Message Batches against the local Messages API: submit, poll, map results, resume state."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest

from reviewer.batch import BatchState, load_state, save_state
from reviewer.catalog import MODELS
from reviewer.config import Config
from reviewer.errors import InputError
from reviewer.model import (
    BatchProgress,
    ClientSettings,
    ModelRequest,
    ModelResult,
    batch_results,
    make_client,
    run_requests,
    submit_batch,
    wait_for_batch,
)
from reviewer.prompt import system_prompt
from reviewer.values import Severity
from tests.fakes.messages_api import FAKE_API_KEY, MessagesAPI, markers_responder

SONNET = MODELS["claude-sonnet-5-5"]


def requests(count: int) -> list[ModelRequest]:
    system = system_prompt()
    return [
        ModelRequest(
            key=f"r{i:03d}",
            system=system,
            context="Run context.",
            body=f"=== FILE f{i}.py (added) ===\n@@ -0,0 +1 @@\n       1 + x = eval(input())  # {i}",
        )
        for i in range(1, count + 1)
    ]


def fake_with_markers() -> MessagesAPI:
    from tests.fakes.request_format import added_lines_in_request

    return MessagesAPI(markers_responder(extract=added_lines_in_request))


def run_batch(
    api: MessagesAPI, batch: list[ModelRequest]
) -> tuple[list[ModelResult], list[BatchProgress], list[float]]:
    client = make_client(ClientSettings(api_key=FAKE_API_KEY, base_url=api.base_url, max_retries=0))
    seen: list[BatchProgress] = []
    sleeps: list[float] = []

    async def no_wait(seconds: float) -> None:
        sleeps.append(seconds)

    async def go() -> list[ModelResult]:
        submitted = await submit_batch(client, batch, model=SONNET, max_tokens=1024)
        assert submitted.status == "in_progress"
        await wait_for_batch(
            client, submitted.batch_id, poll_seconds=30, on_progress=seen.append, sleep=no_wait
        )
        return await batch_results(client, submitted.batch_id, batch, model=SONNET, max_tokens=1024)

    return asyncio.run(go()), seen, sleeps


def test_batch_results_map_back_by_custom_id_at_half_price() -> None:
    batch = requests(4)
    with fake_with_markers() as api:
        api.set_batch_polls(3)
        results, progress, sleeps = run_batch(api, batch)
        created = [r for r in api.requests if r.method == "POST"]
    assert len(created) == 1  # one submission for every request
    assert [item["custom_id"] for item in created[0].body["requests"]] == [r.key for r in batch]
    assert all("stream" not in item["params"] for item in created[0].body["requests"])
    assert [p.status for p in progress] == ["in_progress", "in_progress", "ended"]
    assert sleeps == [30, 30]
    assert progress[-1].succeeded == 4
    # the fake returns results in reverse order; they come back in request order
    assert [r.request.key for r in results] == [r.key for r in batch]
    for result in results:
        assert result.answer is not None
        assert [(f.path, f.line, f.severity) for f in result.answer.findings] == [
            (f"f{result.request.key[1:].lstrip('0')}.py", 1, Severity.CRITICAL)
        ]
    with fake_with_markers() as api:
        client = make_client(ClientSettings(api_key=FAKE_API_KEY, base_url=api.base_url))
        streamed = asyncio.run(
            run_requests(client, batch, model=SONNET, max_tokens=1024, concurrency=1)
        )
    batch_cost = sum(r.usage.cost_usd for r in results)
    streamed_cost = sum(r.usage.cost_usd for r in streamed)
    assert batch_cost == pytest.approx(streamed_cost / 2)


def test_errored_canceled_and_expired_items_are_not_reviewed() -> None:
    batch = requests(4)
    with fake_with_markers() as api:
        api.batch_outcomes.update({"r002": "errored", "r003": "canceled", "r004": "expired"})
        results, progress, _ = run_batch(api, batch)
    assert (progress[-1].succeeded, progress[-1].errored) == (1, 1)
    assert (progress[-1].canceled, progress[-1].expired) == (1, 1)
    failures = [r.failure for r in results]
    assert failures[0] is None
    assert failures[1] is not None
    assert "errored (api_error" in failures[1]
    assert results[1].request_id is not None
    assert failures[2] == "the batch was canceled before this request ran"
    assert failures[3] == "the batch expired (24 hours) before this request ran"


def test_state_round_trips_and_validates(tmp_path: Path) -> None:
    config = Config(
        model="claude-haiku-5-5",
        min_severity=Severity.MINOR,
        fail_on=Severity.MAJOR,
        ignore=("docs/**",),
        path_instructions=(("a/**", "be careful"),),
    )
    state = BatchState(
        batch_id="msgbatch_123",
        diff_text="--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
        diff_source="change.diff",
        config=config,
        title="Title",
        description=None,
        request_digests=(("r001", "ab" * 32),),
    )
    path = save_state(tmp_path, state)
    loaded = load_state(tmp_path, "msgbatch_123")
    assert dataclasses.replace(loaded, config=state.config) == state
    # the configuration survives exactly; only its recorded source is the state file
    assert dataclasses.replace(loaded.config, source=config.source) == config
    assert loaded.config.source == str(path)
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1
    with pytest.raises(InputError, match="no saved state for batch msgbatch_999"):
        load_state(tmp_path, "msgbatch_999")
    with pytest.raises(InputError, match="not a batch id"):
        load_state(tmp_path, "../etc/passwd")
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="unreadable batch state"):
        load_state(tmp_path, "msgbatch_123")


def test_review_batch_then_resume_report_the_same_review(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from reviewer.cli import main

    sample = Path(__file__).resolve().parent.parent / "examples" / "sample.diff"
    config = tmp_path / "reviewer.yml"
    # on_incomplete: pass, so the exit code speaks of the findings despite the expired request
    config.write_text(
        "request_token_budget: 500\nfail_on: critical\non_incomplete: pass\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)  # not a repository: state goes to REVIEWER_CACHE_DIR
    with fake_with_markers() as api:
        api.set_batch_polls(2)
        api.batch_outcomes["r003"] = "expired"  # app/users.py; r002 holds the eval() finding
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        args = ["--diff", str(sample), "--config", str(config), "--format", "json"]
        code = main(["review", "--batch", "--poll-seconds", "0.01", *args])
        first = capsys.readouterr()
        batch_id = first.err.split("submitted batch ")[1].split(" ")[0]
        # --no-cache: rebuild exactly the submitted requests (the first run cached its answers)
        resumed_code = main(
            [
                "batch",
                "resume",
                batch_id,
                "--no-cache",
                "--poll-seconds",
                "0.01",
                "--format",
                "json",
            ]
        )
        resumed = capsys.readouterr()
        assert main(["batch", "status", batch_id]) == 0
        status = capsys.readouterr().out
        posts = [r for r in api.requests if r.method == "POST"]
    assert len(posts) == 1  # one submission; resume only reads
    assert (code, resumed_code) == (1, 1)  # the eval() finding is critical
    report = json.loads(first.out)
    assert json.loads(resumed.out)["findings"] == report["findings"]
    assert {f["title"] for f in report["findings"]} >= {"eval() runs arbitrary code"}
    assert [entry["reason"] for entry in report["not_reviewed"]] == [
        "the batch expired (24 hours) before this request ran"
    ]
    assert report["usage"]["requests"] == 2
    assert "in_progress, 0/3 done" in first.err
    assert "ended, 3/3 done (2 succeeded, 1 expired)" in first.err
    assert status.strip().endswith("ended, 3/3 done (2 succeeded, 1 expired)")


def test_resume_without_state_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from reviewer.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
    assert main(["batch", "resume", "msgbatch_nope"]) == 2
    assert "no saved state for batch msgbatch_nope" in capsys.readouterr().err
