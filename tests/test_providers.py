"""Amazon Bedrock and Google Vertex AI: configuration, and reviews through the SDK's own clients.

The local Messages API serves both providers' paths (see tests/fakes/messages_api.py):
Bedrock's SigV4-signed ``/model/{id}/invoke-with-response-stream`` with AWS's binary
event stream, Vertex AI's ``...:streamRawPredict`` with SSE and a Bearer token. The
SDK's clients are pointed at it with their own variables (ANTHROPIC_BEDROCK_BASE_URL,
ANTHROPIC_VERTEX_BASE_URL), so the code under test builds them exactly as in production.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewer.batch import config_to_mapping
from reviewer.catalog import MODELS, PROVIDERS
from reviewer.cli import main
from reviewer.config import Config, config_from_mapping, load_config, provider_target
from reviewer.errors import ConfigError
from reviewer.model import ClientSettings, ModelRequest, make_client, run_requests
from reviewer.prompt import system_prompt
from tests.conftest import GitRepo
from tests.fakes.messages_api import (
    EVENTSTREAM_CONTENT_TYPE,
    FAKE_VERTEX_ACCESS_TOKEN,
    MessagesAPI,
    RecordedRequest,
    StreamError,
    eventstream_message,
    is_verification,
    markers_responder,
    review_requests,
    verification_requests,
)
from tests.fakes.request_format import added_lines_in_request
from tests.test_action_e2e import FIRST_PUSH, Harness, harness  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.diff"
AWS_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documentation example key
AWS_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BEDROCK_SONNET = "anthropic.claude-sonnet-5-5-v1:0"
BEDROCK_STREAM_PATH = f"/model/{BEDROCK_SONNET}/invoke-with-response-stream"
VERTEX_STREAM_PATH = (
    "/v1/projects/review-bot-42/locations/us-east5/publishers/anthropic/models/"
    "claude-sonnet-5-5:streamRawPredict"
)
# The verification pass (on by default) asks verify_model, the small model, at the same provider.
BEDROCK_VERIFY_PATH = "/model/anthropic.claude-haiku-5-5-v1:0/invoke-with-response-stream"
VERTEX_VERIFY_PATH = VERTEX_STREAM_PATH.replace("claude-sonnet-5-5", "claude-haiku-5-5")
# Everything that would point boto3 or google-auth at this machine's real credentials.
CLOUD_VARIABLES = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "ANTHROPIC_BEDROCK_BASE_URL",
    "ANTHROPIC_VERTEX_BASE_URL",
    "ANTHROPIC_VERTEX_PROJECT_ID",
    "CLOUD_ML_REGION",
    "GOOGLE_OAUTH_ACCESS_TOKEN",
    "GOOGLE_APPLICATION_CREDENTIALS",
)


@pytest.fixture
def cloud_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real cloud credentials, files or metadata endpoints: only what a test sets."""
    for name in CLOUD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def api(cloud_env: None) -> Iterator[MessagesAPI]:
    with MessagesAPI(markers_responder(extract=added_lines_in_request)) as server:
        yield server


@pytest.fixture
def bedrock(api: MessagesAPI, monkeypatch: pytest.MonkeyPatch) -> MessagesAPI:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET_KEY)
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", api.base_url)
    return api


@pytest.fixture
def vertex(api: MessagesAPI, monkeypatch: pytest.MonkeyPatch) -> MessagesAPI:
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", FAKE_VERTEX_ACCESS_TOKEN)
    monkeypatch.setenv("ANTHROPIC_VERTEX_BASE_URL", f"{api.base_url}/v1")
    return api


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reviewer.yml"
    path.write_text(text, encoding="utf-8")
    return path


def review_json(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, dict[str, Any]]:
    code = main(["review", "--diff", str(SAMPLE), "--format", "json", "--config", str(config)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return code, json.loads(captured.out)


def assert_reviewed_with_usage(report: dict[str, Any], served: list[RecordedRequest]) -> None:
    """The sample's TODO anchored where it is, and usage summed from what the fake billed."""
    todo = [f for f in report["findings"] if f["title"] == "Unresolved TODO"]
    assert [(f["path"], f["line"], f["side"], f["inline"]) for f in todo] == [
        ("app/users.py", 16, "RIGHT", True)
    ]
    assert report["not_reviewed"] == []
    usage = report["usage"]
    assert usage["requests"] == len(served) >= 1
    assert served[0].cache is not None
    assert served[0].cache.cache_creation_input_tokens > 0
    for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        assert usage[name] == sum(getattr(r.cache, name) for r in served if r.cache), name
    assert usage["cost_usd"] > 0


# ---------------------------------------------------------------- configuration


def test_provider_keys_are_validated_naming_file_line_and_key(tmp_path: Path) -> None:
    config = write_config(tmp_path, "model: claude-haiku-5-5\nprovider: azure\n")
    with pytest.raises(ConfigError, match=r"reviewer\.yml:2: provider: must be one of anthropic"):
        load_config(config, None)
    config = write_config(tmp_path, "provider: bedrock\naws_region: 'us east'\n")
    with pytest.raises(ConfigError, match=r"reviewer\.yml:2: aws_region: must be an AWS region"):
        load_config(config, None)
    config = write_config(tmp_path, "provider: vertex\ngcp_project: a/b\n")
    with pytest.raises(ConfigError, match=r"reviewer\.yml:2: gcp_project: must be a Google"):
        load_config(config, None)
    with pytest.raises(ConfigError, match="gcp_region: must be a Vertex AI region"):
        config_from_mapping({"gcp_region": "us-east5/../x"}, source="test")


def test_a_provider_without_its_location_is_an_error_naming_the_key(tmp_path: Path) -> None:
    bedrock = load_config(write_config(tmp_path, "provider: bedrock\n"), None)
    with pytest.raises(ConfigError, match=r"reviewer\.yml: aws_region: provider bedrock needs"):
        provider_target(bedrock, {})
    vertex = config_from_mapping({"provider": "vertex", "gcp_region": "us-east5"}, source="f")
    with pytest.raises(ConfigError, match=r"gcp_project:.*ANTHROPIC_VERTEX_PROJECT_ID"):
        provider_target(vertex, {})
    vertex = config_from_mapping({"provider": "vertex", "gcp_project": "proj-123"}, source="f")
    with pytest.raises(ConfigError, match=r"gcp_region:.*CLOUD_ML_REGION"):
        provider_target(vertex, {})


def test_a_provider_location_falls_back_to_the_sdks_variables() -> None:
    bedrock = config_from_mapping({"provider": "bedrock"}, source="f")
    assert provider_target(bedrock, {"AWS_DEFAULT_REGION": "eu-west-1"}).aws_region == "eu-west-1"
    both = {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-west-1"}
    assert provider_target(bedrock, both).aws_region == "us-west-2"
    configured = config_from_mapping(
        {"provider": "bedrock", "aws_region": "ap-south-1"}, source="f"
    )
    assert provider_target(configured, both).aws_region == "ap-south-1"
    with pytest.raises(ConfigError, match="environment variable AWS_REGION: aws_region"):
        provider_target(bedrock, {"AWS_REGION": "not a region"})
    vertex = config_from_mapping({"provider": "vertex"}, source="f")
    env = {"ANTHROPIC_VERTEX_PROJECT_ID": "proj-123", "CLOUD_ML_REGION": "global"}
    target = provider_target(vertex, env)
    assert (target.provider, target.gcp_project, target.gcp_region) == (
        "vertex",
        "proj-123",
        "global",
    )


def test_provider_settings_survive_a_saved_batch_state_round_trip() -> None:
    config = config_from_mapping(
        {
            "provider": "vertex",
            "gcp_project": "example.com:proj-123",
            "gcp_region": "europe-west1",
            "provider_model_id": "claude-sonnet-5-5@20990101",
        },
        source="f",
    )
    again = config_from_mapping(json.loads(json.dumps(config_to_mapping(config))), source="f")
    assert again == config
    assert config_from_mapping(config_to_mapping(Config()), source="defaults") == Config()


def test_every_model_has_an_id_at_every_provider() -> None:
    for info in MODELS.values():
        ids = {provider: info.id_for(provider) for provider in PROVIDERS}
        assert ids["anthropic"] == info.id
        assert ids["bedrock"] == f"anthropic.{info.id}-v1:0"
        assert ids["vertex"] == info.id


# ---------------------------------------------------------------- Amazon Bedrock


def test_review_through_bedrock_signs_streams_and_moves_the_model_into_the_path(
    bedrock: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(
        tmp_path, "provider: bedrock\naws_region: us-west-2\nrequest_token_budget: 500\n"
    )
    _, report = review_json(capsys, config)
    served = list(bedrock.requests)
    assert len(review_requests(served)) >= 2  # the small budget spreads the diff out
    assert verification_requests(served)
    for request in served:
        path = BEDROCK_VERIFY_PATH if is_verification(request) else BEDROCK_STREAM_PATH
        assert (request.provider, request.path, request.status) == ("bedrock", path, 200)
        authorization = request.headers["authorization"]
        assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={AWS_ACCESS_KEY}/")
        assert "/us-west-2/bedrock/aws4_request" in authorization
        assert "model" not in request.body
        assert "stream" not in request.body  # Bedrock takes streaming from the path
        assert request.body["anthropic_version"]
    assert_reviewed_with_usage(report, served)
    assert report["model"] == "claude-sonnet-5-5"  # prices stay the model's


def test_provider_model_id_overrides_the_catalogs_id(
    bedrock: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    custom = "us.anthropic.claude-sonnet-5-5-v1:0"  # e.g. a cross-region inference profile
    config = write_config(
        tmp_path, f"provider: bedrock\naws_region: us-east-1\nprovider_model_id: {custom}\n"
    )
    review_json(capsys, config)
    paths = {r.path for r in review_requests(bedrock.requests)}
    assert paths == {f"/model/{custom}/invoke-with-response-stream"}
    # provider_model_id names the review model only: verify_model keeps its catalog id
    assert {r.path for r in verification_requests(bedrock.requests)} == {BEDROCK_VERIFY_PATH}


def test_a_bedrock_stream_exception_is_sent_again_then_reported(
    bedrock: MessagesAPI,
) -> None:
    # Bedrock's internalServerException is transient: reviewer sends the request once more.
    fault = StreamError(after_events=3, error_type="overloaded_error", message="busy")
    bedrock.inject(fault, fault)
    client = make_client(
        ClientSettings(
            provider="bedrock", aws_region="us-east-1", base_url=bedrock.base_url, max_retries=0
        )
    )
    request = ModelRequest(key="r1", system=system_prompt(), context="Run.", body="hunks")
    [result] = asyncio.run(
        run_requests(
            client, [request], model=MODELS["claude-sonnet-5-5"], max_tokens=512, concurrency=1
        )
    )
    assert result.answer is None
    assert result.failure is not None
    assert "stream error event" in result.failure
    assert "internalServerException" in result.failure
    assert result.failure.endswith("(again when retried)")
    assert result.usage.retries == 1
    assert len(bedrock.requests) == 2


def test_bedrock_without_credentials_fails_before_sending(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, "provider: bedrock\naws_region: us-east-1\n")
    code = main(["review", "--diff", str(SAMPLE), "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 3
    assert "no AWS credentials found for Amazon Bedrock" in err
    assert "AWS_ACCESS_KEY_ID" in err  # the hint says where credentials come from
    assert api.requests == ()


def test_bedrock_without_a_region_is_a_usage_error_naming_the_key(
    bedrock: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, "provider: bedrock\n")
    code = main(["review", "--diff", str(SAMPLE), "--config", str(config)])
    assert code == 2
    assert "aws_region: provider bedrock needs this key" in capsys.readouterr().err
    assert bedrock.requests == ()


def test_batch_with_bedrock_is_a_usage_error(
    bedrock: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, "provider: bedrock\naws_region: us-east-1\n")
    code = main(["review", "--diff", str(SAMPLE), "--config", str(config), "--batch"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Message Batches (--batch) are not available with provider bedrock" in err
    assert bedrock.requests == ()


# ---------------------------------------------------------------- Google Vertex AI


def test_review_through_vertex_sends_the_token_and_the_model_in_the_path(
    vertex: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(
        tmp_path, "provider: vertex\ngcp_project: review-bot-42\ngcp_region: us-east5\n"
    )
    _, report = review_json(capsys, config)
    served = list(vertex.requests)
    assert verification_requests(served)
    for request in served:
        path = VERTEX_VERIFY_PATH if is_verification(request) else VERTEX_STREAM_PATH
        assert (request.provider, request.path, request.status) == ("vertex", path, 200)
        assert request.headers["authorization"] == f"Bearer {FAKE_VERTEX_ACCESS_TOKEN}"
        assert "model" not in request.body
        assert request.body["stream"] is True
        assert request.body["anthropic_version"]
    assert_reviewed_with_usage(report, served)


def test_vertex_location_from_the_sdks_variables(
    vertex: MessagesAPI,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_VERTEX_PROJECT_ID", "review-bot-42")
    monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
    review_json(capsys, write_config(tmp_path, "provider: vertex\n"))
    assert {r.path for r in review_requests(vertex.requests)} == {VERTEX_STREAM_PATH}
    assert {r.path for r in verification_requests(vertex.requests)} == {VERTEX_VERIFY_PATH}


def test_a_refused_vertex_token_is_an_auth_failure(
    vertex: MessagesAPI,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.expired")
    config = write_config(
        tmp_path, "provider: vertex\ngcp_project: review-bot-42\ngcp_region: us-east5\n"
    )
    code = main(["review", "--diff", str(SAMPLE), "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 3
    assert "Google Vertex AI refused the credentials (401)" in err
    assert "GOOGLE_OAUTH_ACCESS_TOKEN" in err
    assert [r.status for r in vertex.requests] == [401]  # refused once, not retried


def test_the_action_needs_no_anthropic_key_with_vertex(harness: Harness) -> None:  # noqa: F811
    harness.push(FIRST_PUSH)
    settings = harness.tmp / "workspace" / ".github" / "reviewer.yml"
    settings.parent.mkdir(parents=True)
    settings.write_text(
        "provider: vertex\ngcp_project: review-bot-42\ngcp_region: us-east5\n", encoding="utf-8"
    )
    run = harness.run(
        key=None,
        environment={
            "GOOGLE_OAUTH_ACCESS_TOKEN": FAKE_VERTEX_ACCESS_TOKEN,
            "ANTHROPIC_VERTEX_BASE_URL": f"{harness.model.base_url}/v1",
        },
    )
    assert run.code == 0, run.stderr
    assert {r.path for r in review_requests(harness.model.requests)} == {VERTEX_STREAM_PATH}
    assert {r.path for r in verification_requests(harness.model.requests)} == {VERTEX_VERIFY_PATH}
    [review] = harness.reviews()
    assert any("eval" in comment.body for comment in review.comments)


# ---------------------------------------------------------------- the fake's framing, imports


def test_the_fakes_event_stream_framing_is_what_botocore_decodes() -> None:
    eventstream: Any = importlib.import_module("botocore.eventstream")  # no type stubs

    headers = {":event-type": "chunk", ":message-type": "event"}
    frame = eventstream_message(headers, b'{"bytes": "e30="}')
    buffer = eventstream.EventStreamBuffer()
    buffer.add_data(frame[:7])  # split mid-prelude, as a network read may
    buffer.add_data(frame[7:] + frame)
    messages = list(buffer)
    assert [m.headers for m in messages] == [headers, headers]
    assert [m.payload for m in messages] == [b'{"bytes": "e30="}'] * 2
    corrupted = bytearray(frame)
    corrupted[-5] ^= 0xFF  # the payload's last byte: the message CRC no longer matches
    buffer = eventstream.EventStreamBuffer()
    buffer.add_data(bytes(corrupted))
    with pytest.raises(eventstream.ChecksumMismatch):
        list(buffer)
    assert EVENTSTREAM_CONTENT_TYPE == "application/vnd.amazon.eventstream"


PROBE = """
import json, os, sys
from reviewer.cli import main
code = main(sys.argv[1:])
with open(os.environ["REVIEWER_PROBE_REPORT"], "w", encoding="utf-8") as report:
    json.dump({"code": code, "modules": sorted(sys.modules)}, report)
"""
CLOUD_LIBRARIES = ("boto3", "botocore", "google.auth")


def loaded_cloud_libraries(tmp_path: Path, env: dict[str, str], config: Path) -> list[str]:
    report = tmp_path / "probe.json"
    argv = [
        "review",
        "--diff",
        str(SAMPLE),
        "--format",
        "json",
        "--no-cache",
        "--config",
        str(config),
    ]
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        env={**os.environ, **env, "REVIEWER_PROBE_REPORT": str(report)},
        capture_output=True,
        text=True,
        check=False,
    )
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["code"] == 0, completed.stderr
    return [name for name in CLOUD_LIBRARIES if name in data["modules"]]


def test_the_anthropic_provider_imports_no_cloud_library(api: MessagesAPI, tmp_path: Path) -> None:
    env = {"ANTHROPIC_API_KEY": "sk-ant-fake-key", "ANTHROPIC_BASE_URL": api.base_url}
    config = write_config(tmp_path, "provider: anthropic\n")
    assert loaded_cloud_libraries(tmp_path, env, config) == []
    assert api.requests  # the review did go out
    # The probe can see these libraries: with Bedrock, boto3 and botocore are loaded.
    bedrock_env = {
        "AWS_ACCESS_KEY_ID": AWS_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET_KEY,
        "ANTHROPIC_BEDROCK_BASE_URL": api.base_url,
    }
    bedrock = write_config(tmp_path, "provider: bedrock\naws_region: us-east-1\n")
    assert loaded_cloud_libraries(tmp_path, bedrock_env, bedrock) == ["boto3", "botocore"]


def test_hook_reviews_through_vertex_without_an_anthropic_key(
    vertex: MessagesAPI,
    capsys: pytest.CaptureFixture[str],
    git_repo: GitRepo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    git_repo.write(
        ".github/reviewer.yml",
        "provider: vertex\ngcp_project: review-bot-42\ngcp_region: us-east5\nhook_fail_on: minor\n",
    )
    git_repo.commit("config")
    git_repo.write("app.py", "# TODO: remove\n")
    git_repo.stage()
    code = main(["hook", "--repo", str(git_repo.path), "--no-cache"])
    out = capsys.readouterr()
    assert code == 1  # the TODO (minor) reaches hook_fail_on: the model was asked
    assert "Unresolved TODO" in out.out
    assert "ANTHROPIC_API_KEY is not set" not in out.err
    # the review, then the verification of its one finding
    assert [(r.provider, is_verification(r)) for r in vertex.requests] == [
        ("vertex", False),
        ("vertex", True),
    ]
