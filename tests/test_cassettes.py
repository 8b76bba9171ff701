"""Recorded exchanges, replayed and matched on the request body.

The cassettes double as snapshots of exactly what is sent: a change to a prompt
template, the request parameters or the schema changes a request body, the
replay finds no match, and the test fails until the cassette is re-recorded
(against the local Messages API server) and its diff reviewed:

    REVIEWER_RECORD_CASSETTES=1 python -m pytest tests/test_cassettes.py
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import vcr
from vcr.errors import CannotOverwriteExistingCassetteException

from reviewer import engine
from reviewer.config import Config
from reviewer.diff import parse_diff
from reviewer.model import ClientSettings, make_client
from reviewer.values import Review
from tests.fakes.messages_api import FAKE_API_KEY, MessagesAPI, markers_responder
from tests.fakes.request_format import added_lines_in_request

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = Path(__file__).resolve().parent / "cassettes"
RECORDING = os.environ.get("REVIEWER_RECORD_CASSETTES") == "1"
# Nothing listens here; on replay vcrpy answers before any connection is made.
REPLAY_URL = "http://127.0.0.1:9"


def recorder() -> vcr.VCR:
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if RECORDING else "none",
        match_on=["method", "path", "body"],
        filter_headers=["authorization", "x-api-key"],
        decode_compressed_response=True,
    )


@contextlib.contextmanager
def base_url() -> Iterator[str]:
    if not RECORDING:
        yield REPLAY_URL
        return
    with MessagesAPI(markers_responder(extract=added_lines_in_request)) as api:
        yield api.base_url


def review_sample(config: Config, url: str) -> Review:
    diff = parse_diff((ROOT / "examples" / "sample.diff").read_text(encoding="utf-8"))
    prepared = engine.prepare(diff, config, engine.PullRequestText("Add user search", None))
    client = make_client(ClientSettings(api_key=FAKE_API_KEY, base_url=url, max_retries=0))
    return asyncio.run(engine.review(prepared, config, client))


@pytest.mark.parametrize(
    ("cassette", "config"),
    [
        ("review_sample.yaml", Config()),
        ("review_sample_split.yaml", Config(request_token_budget=500, concurrency=2)),
    ],
)
def test_recorded_review_replays_byte_for_byte(cassette: str, config: Config) -> None:
    if RECORDING:  # vcrpy appends to an existing cassette; a re-recording starts afresh
        (CASSETTES / cassette).unlink(missing_ok=True)
    with base_url() as url, recorder().use_cassette(cassette) as tape:
        try:
            review = review_sample(config, url)
        except CannotOverwriteExistingCassetteException:  # pragma: no cover - the failure path
            pytest.fail(
                f"a request differs from {cassette}: a prompt or request changed. Re-record with "
                "REVIEWER_RECORD_CASSETTES=1 and review the cassette diff."
            )
    assert tape.play_count == len(tape) or RECORDING
    assert review.not_reviewed == ()
    assert [(f.path, f.line, f.severity.value, f.title) for f in review.findings] == [
        ("app/settings.py", 17, "critical", "eval() runs arbitrary code"),
        ("app/users.py", 16, "minor", "Unresolved TODO"),
    ]
    assert review.usage.requests == len(tape)


def test_cassettes_hold_the_whole_prompt_and_no_credentials() -> None:
    text = (CASSETTES / "review_sample.yaml").read_text(encoding="utf-8")
    assert FAKE_API_KEY not in text
    import yaml

    interactions = yaml.safe_load(text)["interactions"]
    body = json.loads(interactions[0]["request"]["body"])
    assert body["model"] == "claude-sonnet-5-5"
    assert len(body["system"]) == 2
    assert "Add user search" in body["system"][1]["text"]
    assert "=== FILE app/cache.py (modified) ===" in body["messages"][0]["content"][0]["text"]
