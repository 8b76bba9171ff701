"""Faults of the Messages API, and bad input, through the real CLI and SDK.

Every case checks the same four things: the run completes with a report, the
findings of the requests the fault did not touch are exactly those of a clean
run (none lost, none duplicated), whatever could not be reviewed is named with
its reason, and the exit code is the documented one (0 when some requests were
answered, 3 when the service failed for all of them, 2 for bad input).

The diff has five files sized so that each is one request. Queued faults meet
the first request's attempts, because the engine sends it alone until its
response begins (so that the others read its cache entry); ``Delay(0)`` is a
fault that changes nothing and moves the next fault to a later request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reviewer import engine
from reviewer.config import Config
from reviewer.diff import parse_diff
from reviewer.model import ClientSettings, make_client
from reviewer.values import Review
from tests.fakes.messages_api import (
    FAKE_API_KEY,
    CutStream,
    Delay,
    Fault,
    MessagesAPI,
    MessagesRequest,
    RawReply,
    RecordedRequest,
    Reply,
    ResetConnection,
    StatusFault,
    StreamError,
    markers_responder,
)
from tests.fakes.request_format import added_lines_in_request

PATHS = ("app/alpha.py", "app/bravo.py", "app/charlie.py", "app/delta.py", "app/echo.py")
BUDGET = 500  # the smallest budget allowed; two of these files do not fit in one request

# The SDK's first backoff without a retry-after header: 0.5 s x (0.75..1], so at least this.
SDK_FIRST_BACKOFF_S = 0.375


def module_source(name: str) -> list[str]:
    """A new module with three lines the fake model flags: a TODO, eval( and a password."""
    lines = [f'"""The {name} step of the pipeline."""', "", "import json", ""]
    for step in range(6):
        lines += [f"def {name}_step_{step}(value, limit={step + 10}):"]
        if step == 1:
            lines += ["    # TODO: handle an empty value"]
        if step == 3:
            lines += [f"    value = eval(value)  # {name} reads a literal"]
        if step == 4:
            lines += ["    check_password(value)"]
        lines += [f"    return json.dumps([value, limit, {step}])", ""]
    return lines


def new_file_diff(path: str, lines: list[str]) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


DIFF = "".join(new_file_diff(path, module_source(Path(path).stem)) for path in PATHS)


@dataclass(frozen=True)
class Outcome:
    code: int
    report: dict[str, Any]
    stderr: str

    @property
    def not_reviewed(self) -> dict[str, str]:
        return {entry["path"]: entry["reason"] for entry in self.report["not_reviewed"]}

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.report["findings"])


Responder = Callable[[MessagesRequest], Reply]
MARKERS = markers_responder(extract=added_lines_in_request)


def write_config(directory: Path, **values: int) -> Path:
    path = directory / "reviewer.yml"
    settings = {"request_token_budget": BUDGET, "max_retries": 1, **values}
    path.write_text("".join(f"{k}: {v}\n" for k, v in settings.items()), encoding="utf-8")
    return path


def point_cli_at(env: pytest.MonkeyPatch, server: MessagesAPI, cache_dir: Path) -> None:
    env.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
    env.setenv("ANTHROPIC_BASE_URL", server.base_url)
    # an empty review cache: a hunk reviewed by an earlier run must be sent again
    env.setenv("REVIEWER_CACHE_DIR", str(cache_dir))


def run_cli(diff: Path, config: Path, report: Path) -> tuple[int, dict[str, Any]]:
    """``reviewer review --format json``; the report is read from ``--output``."""
    from reviewer.cli import main

    arguments = ["--format", "json", "--diff", str(diff), "--config", str(config)]
    code = main(["review", *arguments, "--output", str(report)])
    return code, json.loads(report.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """The review without faults: the reference for what must not be lost."""
    workdir = tmp_path_factory.mktemp("clean")
    diff = workdir / "change.diff"
    diff.write_text(DIFF, encoding="utf-8")
    with MessagesAPI(MARKERS) as server, pytest.MonkeyPatch.context() as env:
        point_cli_at(env, server, workdir / "cache")
        code, report = run_cli(diff, write_config(workdir), workdir / "report.json")
        sent = [r.body["messages"][0]["content"][0]["text"] for r in messages(server)]
    outcome = Outcome(code, report, "")
    assert outcome.code == 0
    assert outcome.not_reviewed == {}
    # the premise of these tests: one file per request, three findings in each
    assert [text.count("=== FILE") for text in sent] == [1] * len(PATHS)
    assert {f["path"] for f in outcome.findings} == set(PATHS)
    assert len(outcome.findings) == 3 * len(PATHS)
    return outcome


@pytest.fixture
def diff_file(tmp_path: Path) -> Path:
    path = tmp_path / "change.diff"
    path.write_text(DIFF, encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Callable[..., Path]:
    return lambda **values: write_config(tmp_path, **values)


@pytest.fixture
def serve(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[[Responder], MessagesAPI]]:
    """Start a local Messages API with a responder and point the CLI's environment at it."""
    servers: list[MessagesAPI] = []

    def start(responder: Responder = MARKERS) -> MessagesAPI:
        server = MessagesAPI(responder)
        servers.append(server)
        point_cli_at(monkeypatch, server, tmp_path / "cache")
        return server

    yield start
    for server in servers:
        server.close()


RunReview = Callable[[Path, Path], Outcome]


@pytest.fixture
def review(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> RunReview:
    def run(diff: Path, config: Path) -> Outcome:
        code, report = run_cli(diff, config, tmp_path / "report.json")
        return Outcome(code, report, capsys.readouterr().err)

    return run


def messages(server: MessagesAPI) -> list[RecordedRequest]:
    return [r for r in server.requests if r.path == "/v1/messages"]


def assert_nothing_lost_or_duplicated(outcome: Outcome, clean: Outcome) -> None:
    """The findings are the clean run's, less those of the files that were not reviewed."""
    fingerprints = [f["fingerprint"] for f in outcome.findings]
    assert len(fingerprints) == len(set(fingerprints)), "a finding was duplicated"
    unaffected = [f for f in clean.findings if f["path"] not in outcome.not_reviewed]
    assert sorted(outcome.findings, key=_key) == sorted(unaffected, key=_key)


def _key(finding: dict[str, Any]) -> tuple[str, int, str]:
    return (finding["path"], finding["line"] or 0, finding["title"])


def retry_gap(server: MessagesAPI, status: int) -> float:
    """Seconds between the request answered with ``status`` and its retry (same body)."""
    log = messages(server)
    failed = next(r for r in log if r.status == status)
    retry = next(r for r in log if r.index > failed.index and r.body == failed.body)
    assert retry.status == 200
    return retry.arrived_at - failed.arrived_at


# --------------------------------------------------------------------------- retried by the SDK


@pytest.mark.parametrize(
    ("fault", "min_gap"),
    [
        # The waits asked for are longer than the SDK's own first backoff, so a gap at
        # least that long shows the header was honoured (a busy machine only adds to it).
        pytest.param(StatusFault(429, retry_after=1), 1.0, id="429-retry-after"),
        pytest.param(StatusFault(429, retry_after_ms=700), 0.7, id="429-retry-after-ms"),
        pytest.param(StatusFault(529, retry_after_ms=600), 0.6, id="529-retry-after-ms"),
        # no header: the SDK's exponential backoff
        pytest.param(StatusFault(500), SDK_FIRST_BACKOFF_S, id="500-backoff"),
    ],
)
def test_a_transient_status_is_retried_and_loses_nothing(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
    fault: StatusFault,
    min_gap: float,
) -> None:
    server = serve(MARKERS)
    server.inject(fault)
    outcome = review(diff_file, config())
    assert outcome.code == 0
    assert outcome.not_reviewed == {}
    assert_nothing_lost_or_duplicated(outcome, clean)
    assert [r.status for r in messages(server)].count(fault.status) == 1
    assert min_gap <= retry_gap(server, fault.status) < min_gap + 5.0
    # the failed attempt is not billed: only the answered requests count
    assert outcome.report["usage"]["requests"] == len(PATHS)


def test_a_connection_reset_is_retried_and_loses_nothing(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
) -> None:
    server = serve(MARKERS)
    server.inject(ResetConnection())
    outcome = review(diff_file, config())
    assert outcome.code == 0
    assert outcome.not_reviewed == {}
    assert_nothing_lost_or_duplicated(outcome, clean)
    assert [r.status for r in messages(server)] == [None] + [200] * len(PATHS)


# --------------------------------------------------------------------------- retries exhausted


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        pytest.param(
            StatusFault(429, retry_after_ms=5), "API error 429 rate_limit_error", id="429"
        ),
        pytest.param(
            StatusFault(529, retry_after_ms=5), "API error 529 overloaded_error", id="529"
        ),
        pytest.param(StatusFault(500, retry_after_ms=5), "API error 500 api_error", id="500"),
        pytest.param(ResetConnection(), "could not reach the Anthropic API", id="reset"),
    ],
)
def test_a_request_that_keeps_failing_is_reported_and_the_rest_complete(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
    fault: Fault,
    reason: str,
) -> None:
    server = serve(MARKERS)
    server.inject(fault, fault)  # max_retries 1: both attempts of the first request fail
    outcome = review(diff_file, config(max_retries=1))
    assert outcome.code == 0
    assert list(outcome.not_reviewed) == [PATHS[0]]
    assert reason in outcome.not_reviewed[PATHS[0]]
    if isinstance(fault, StatusFault):  # the API's request id, for a support ticket
        failed = [r for r in messages(server) if r.status == fault.status]
        assert f"(request id {failed[-1].request_id})" in outcome.not_reviewed[PATHS[0]]
    assert_nothing_lost_or_duplicated(outcome, clean)
    assert outcome.report["usage"]["requests"] == len(PATHS) - 1


# --------------------------------------------------------------------------- broken streams


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        pytest.param(CutStream(after_events=4), "connection lost mid-response", id="cut-fin"),
        pytest.param(
            CutStream(after_events=5, reset=True), "connection lost mid-response", id="cut-rst"
        ),
        pytest.param(
            StreamError(after_events=4),
            "stream error event overloaded_error: Overloaded",
            id="sse-error",
        ),
        pytest.param(
            StreamError("api_error", "Internal server error", after_events=1),
            "stream error event api_error: Internal server error",
            id="sse-error-early",
        ),
    ],
)
def test_a_stream_broken_mid_message_is_reported_and_the_rest_complete(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
    fault: Fault,
    reason: str,
) -> None:
    server = serve(MARKERS)
    # Two faults that change nothing first: the break hits a request of the fan-out,
    # while other requests are in flight.
    server.inject(Delay(0), Delay(0), fault)
    outcome = review(diff_file, config())
    assert outcome.code == 0
    assert len(outcome.not_reviewed) == 1
    (path, why), *_ = outcome.not_reviewed.items()
    assert path != PATHS[0]
    assert reason in why
    assert_nothing_lost_or_duplicated(outcome, clean)
    # not retried: neither the SDK nor the engine retries a stream once it has begun
    assert len(messages(server)) == len(PATHS)


# --------------------------------------------------------------------------- unusable answers


def answer_for(path: str, reply: RawReply) -> Responder:
    """The markers responder, except for the request that shows ``path``."""

    def respond(request: MessagesRequest) -> Reply:
        if f"=== FILE {path} (" in request.user_text:
            return reply
        return MARKERS(request)

    return respond


UNUSABLE = [
    pytest.param(
        RawReply('{"summary": "Fine.", "findings": [{"path": "app/charlie.py"}]}'),
        "did not match the findings schema",
        id="schema-invalid",
    ),
    pytest.param(RawReply("Looks good to me!"), "did not match the findings schema", id="not-json"),
    pytest.param(RawReply("", stop_reason="refusal"), "declined", id="refusal"),
    pytest.param(
        RawReply('{"summary": "The change adds', stop_reason="max_tokens", output_tokens=8192),
        "cut off at max_tokens=8192",
        id="max-tokens",
    ),
]


@pytest.mark.parametrize(("reply", "reason"), UNUSABLE)
def test_an_unusable_answer_is_reported_and_the_rest_complete(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
    reply: RawReply,
    reason: str,
) -> None:
    serve(answer_for(PATHS[2], reply))
    outcome = review(diff_file, config())
    assert outcome.code == 0
    assert list(outcome.not_reviewed) == [PATHS[2]]
    assert reason in outcome.not_reviewed[PATHS[2]]
    assert "(request id req_" in outcome.not_reviewed[PATHS[2]]
    assert_nothing_lost_or_duplicated(outcome, clean)
    # the model answered, so the request was billed and is counted
    assert outcome.report["usage"]["requests"] == len(PATHS)


def test_when_every_answer_is_a_refusal_the_run_exits_3_naming_every_file(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
) -> None:
    serve(lambda _request: RawReply("", stop_reason="refusal"))
    outcome = review(diff_file, config())
    # Nothing was reviewed: a CI gate must not pass on that, whatever the cause.
    assert outcome.code == 3
    assert set(outcome.not_reviewed) == set(PATHS)
    assert outcome.findings == []
    assert outcome.report["summary"] == "The model review did not complete."


# --------------------------------------------------------------------------- the service down


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        pytest.param(StatusFault(529), "API error 529 overloaded_error", id="529"),
        pytest.param(ResetConnection(), "could not reach the Anthropic API", id="reset"),
        pytest.param(CutStream(), "connection lost mid-response", id="cut"),
    ],
)
def test_when_every_request_fails_the_run_reports_it_and_exits_3(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    fault: Fault,
    reason: str,
) -> None:
    server = serve(MARKERS)
    server.inject(*[fault] * len(PATHS))
    outcome = review(diff_file, config(max_retries=0))
    assert outcome.code == 3
    assert set(outcome.not_reviewed) == set(PATHS)
    assert all(reason in why for why in outcome.not_reviewed.values())
    assert outcome.findings == []
    assert f"reviewer: error: {reason}" in outcome.stderr
    assert server.pending_faults == ()


def test_local_secret_findings_survive_a_service_failure(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    tmp_path: Path,
    config: Callable[..., Path],
) -> None:
    key = "ghp_" + "x7Kq2mN9pL4vR8sT1wY6zA3bC5dE0fG2hJ4k"
    leak = tmp_path / "leak.diff"
    leak.write_text(new_file_diff("deploy.py", [f'TOKEN = "{key}"']), encoding="utf-8")
    server = serve(MARKERS)
    server.inject(StatusFault(529))
    outcome = review(leak, config(max_retries=0))
    assert outcome.code == 3
    assert [(f["path"], f["line"], f["severity"]) for f in outcome.findings] == [
        ("deploy.py", 1, "critical")
    ]
    assert key not in json.dumps(outcome.report)
    assert key not in json.dumps([r.body for r in server.requests])


# --------------------------------------------------------------------------- timeouts


def engine_review(server: MessagesAPI, *, timeout_s: float, max_retries: int) -> Review:
    """Review DIFF through the engine with a client timeout below the configurable minimum."""
    config = Config(request_token_budget=BUDGET, max_retries=max_retries)
    prepared = engine.prepare(parse_diff(DIFF), config)
    client = make_client(
        ClientSettings(
            api_key=FAKE_API_KEY,
            base_url=server.base_url,
            timeout_s=timeout_s,
            max_retries=max_retries,
        )
    )
    return asyncio.run(engine.review(prepared, config, client))


def test_a_timeout_is_retried_then_reported_and_the_rest_complete(clean: Outcome) -> None:
    expected = sorted((f["path"], f["line"], f["title"]) for f in clean.findings)
    with MessagesAPI(MARKERS) as server:
        server.inject(Delay(1.0))  # one timeout: the SDK's retry succeeds
        retried = engine_review(server, timeout_s=0.3, max_retries=1)
    assert retried.not_reviewed == ()
    assert sorted((f.path, f.line, f.title) for f in retried.findings) == expected
    with MessagesAPI(MARKERS) as server:
        server.inject(Delay(1.0), Delay(1.0))  # both attempts time out
        timed_out = engine_review(server, timeout_s=0.3, max_retries=1)
    assert [entry.path for entry in timed_out.not_reviewed] == [PATHS[0]]
    reason = timed_out.not_reviewed[0].reason
    assert "could not reach the Anthropic API: Request timed out" in reason
    assert timed_out.service_failure is None
    assert sorted((f.path, f.line, f.title) for f in timed_out.findings) == [
        key for key in expected if key[0] != PATHS[0]
    ]


# --------------------------------------------------------------------------- bad input: exit 2


def test_a_truncated_diff_exits_2_naming_the_line_and_sends_nothing(
    serve: Callable[[Responder], MessagesAPI],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    config: Callable[..., Path],
) -> None:
    from reviewer.cli import main

    server = serve(MARKERS)
    cut = tmp_path / "cut.diff"
    cut.write_text(DIFF[: len(DIFF) // 2].rsplit("\n", 3)[0] + "\n", encoding="utf-8")
    code = main(["review", "--diff", str(cut), "--config", str(config())])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{cut}:" in err
    assert "is cut short" in err
    assert server.requests == ()


def test_binary_garbage_exits_2_and_sends_nothing(
    serve: Callable[[Responder], MessagesAPI],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from reviewer.cli import main

    server = serve(MARKERS)
    garbage = tmp_path / "garbage.diff"
    garbage.write_bytes(bytes(range(256)) * 40)
    code = main(["review", "--diff", str(garbage)])
    assert code == 2
    assert "reviewer: error:" in capsys.readouterr().err
    assert server.requests == ()


def test_a_timeout_below_the_minimum_is_a_configuration_error(
    serve: Callable[[Responder], MessagesAPI],
    capsys: pytest.CaptureFixture[str],
    diff_file: Path,
    config: Callable[..., Path],
) -> None:
    from reviewer.cli import main

    server = serve(MARKERS)
    too_short = config(timeout_seconds=1)
    assert main(["review", "--diff", str(diff_file), "--config", str(too_short)]) == 2
    assert "timeout_seconds: must be between 10 and 3600" in capsys.readouterr().err
    assert server.requests == ()
