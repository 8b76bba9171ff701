"""The verification pass is on by default (issue 12): one request per finding worth it.

A run of the CLI against the local Messages API: the model raises a critical, a
minor and a nit finding; each at or above ``verify_min_severity`` (default minor)
is sent once more, on its own, to ``verify_model``; ``verify: off`` sends none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer.cli import main
from reviewer.config import Config
from reviewer.values import Severity
from tests.fakes.messages_api import (
    DEFAULT_MARKERS,
    FAKE_API_KEY,
    Marker,
    MessagesAPI,
    markers_responder,
    review_requests,
    verification_requests,
)
from tests.fakes.request_format import added_lines_in_request

NIT = Marker("FIXME", "nit", "style", "Leftover FIXME")
DIFF = """\
diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -1,2 +1,5 @@
 import os
+# TODO: read this from the settings
+value = eval(os.environ["EXPR"])
+name = "x"  # FIXME
 print(value)
"""


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, private_review_cache: Path) -> Iterator[MessagesAPI]:
    markers = markers_responder(extract=added_lines_in_request, markers=(*DEFAULT_MARKERS, NIT))
    with MessagesAPI(markers) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        yield server


def test_the_default_config_verifies_from_minor_with_the_small_model() -> None:
    config = Config()
    assert config.verify is True
    assert config.verify_min_severity == Severity.MINOR
    assert config.verify_model == "claude-haiku-5-5"


@pytest.mark.parametrize(
    ("settings", "verified"),
    [
        pytest.param("", ["Unresolved TODO", "eval() runs arbitrary code"], id="default"),
        pytest.param("verify_min_severity: critical\n", ["eval() runs arbitrary code"], id="crit"),
        pytest.param("verify: off\n", [], id="off"),
    ],
)
def test_one_verification_request_per_model_finding_at_or_above_the_severity(
    api: MessagesAPI,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    settings: str,
    verified: list[str],
) -> None:
    diff = tmp_path / "change.diff"
    diff.write_text(DIFF, encoding="utf-8")
    config = tmp_path / "reviewer.yml"
    config.write_text("min_severity: nit\n" + settings, encoding="utf-8")
    code = main(["review", "--diff", str(diff), "--format", "json", "--config", str(config)])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    every = ["Leftover FIXME", "Unresolved TODO", "eval() runs arbitrary code"]
    assert sorted(f["title"] for f in report["findings"]) == every  # all kept
    assert len(review_requests(api.requests)) == 1
    checks = [
        r.body["messages"][0]["content"][0]["text"] for r in verification_requests(api.requests)
    ]
    assert len(checks) == len(verified)  # the nit is never sent again
    shown = sorted(title for title in every for text in checks if f'"title": "{title}"' in text)
    assert shown == sorted(verified)  # each check carries its own finding
    assert {r.body["model"] for r in verification_requests(api.requests)} <= {"claude-haiku-5-5"}
    assert report["usage"]["requests"] == 1 + len(verified)
    assert report["filtered"] == []  # the fake's verifier keeps every finding


def test_verification_requests_after_the_first_read_their_prefix_from_the_cache(
    api: MessagesAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    diff = tmp_path / "change.diff"
    diff.write_text(DIFF, encoding="utf-8")
    config = tmp_path / "reviewer.yml"
    config.write_text("concurrency: 1\n", encoding="utf-8")  # one after another: no race
    assert main(["review", "--diff", str(diff), "--format", "json", "--config", str(config)]) == 0
    capsys.readouterr()
    checks = [r for r in verification_requests(api.requests) if r.cache is not None]
    assert len(checks) == 2
    first, second = (r.cache for r in checks)
    assert first is not None
    assert second is not None
    # The verification prompt carries the rubric: above the 4,096-token cache minimum.
    assert first.cache_creation_input_tokens > 4096
    # The second reads the shared prefix the first wrote; it writes only its own finding
    # (each request's newest message is a breakpoint, for the tool turns).
    assert second.cache_read_input_tokens > 4096
    shared = first.cache_creation_input_tokens - second.cache_creation_input_tokens
    assert second.cache_read_input_tokens >= shared - 64  # the bodies differ in length a little
    assert second.cache_creation_input_tokens < 1_000
