"""Faults of the Messages API, and bad input, through the real CLI and SDK.

Every case runs ``python -m reviewer review --diff ... --format json`` against
the local Messages API (through runpy in this process; the run through every
kind of fault in a fresh interpreter) and checks the same four things: the
run completes with a report, the findings of the requests the fault did not
touch are exactly those of a clean run (none lost, none duplicated), whatever
could not be reviewed is named with its reason, and the exit code is the
documented one (0 when every file was reviewed; 3 when some were not, under the
default ``on_incomplete: fail``, or when the service failed for every request;
2 for bad input).

Two layers of retries are exercised: the SDK's (429, 529, 5xx and connection
errors before a response begins) and reviewer's own, once per request within a
run-wide budget (a stream broken after it began; an answer that failed
validation), which the JSON report counts in ``usage.retries``.

The diff has five files sized so that each is one request. Queued faults meet
the first request's attempts, because the engine sends it alone until its
response begins (so that the others read its cache entry); ``Delay(0)`` is a
fault that changes nothing and moves the next fault to a later request.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

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
    is_verification,
    markers_responder,
    review_requests,
    verification_requests,
)
from tests.fakes.request_format import added_lines_in_request

PATHS = ("app/alpha.py", "app/bravo.py", "app/charlie.py", "app/delta.py", "app/echo.py")
BUDGET = 500  # the smallest budget allowed; two of these files do not fit in one request
RETRY_BUDGET = 2  # reviewer's own re-sends for five requests: max(2, a quarter of them)
# A run that left files unreviewed fails by default (on_incomplete: fail), as does one in
# which the service failed for every request.
EXIT_INCOMPLETE = EXIT_SERVICE_FAILED = 3

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
    report: dict[str, Any]  # the JSON report; empty when the run printed none
    stderr: str

    @property
    def not_reviewed(self) -> dict[str, str]:
        return {entry["path"]: entry["reason"] for entry in self.report["not_reviewed"]}

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.report["findings"])

    @property
    def usage(self) -> dict[str, Any]:
        return dict(self.report["usage"])


Responder = Callable[[MessagesRequest], Reply]
MARKERS = markers_responder(extract=added_lines_in_request)


def write_config(directory: Path, **values: int) -> Path:
    path = directory / "reviewer.yml"
    settings = {"request_token_budget": BUDGET, "max_retries": 1, **values}
    path.write_text("".join(f"{k}: {v}\n" for k, v in settings.items()), encoding="utf-8")
    return path


def run_cli(server: MessagesAPI, workdir: Path, *arguments: str, isolated: bool = False) -> Outcome:
    """``python -m reviewer ARGUMENTS`` in ``workdir``, pointed at ``server``.

    In this process by default (runpy, as ``-m`` runs it: importing the SDK takes longer
    than most of these runs), or in a fresh interpreter with ``isolated``.
    """
    env = {
        "ANTHROPIC_API_KEY": FAKE_API_KEY,
        "ANTHROPIC_BASE_URL": server.base_url,
        # an empty review cache: a hunk reviewed by an earlier run must be sent again
        "REVIEWER_CACHE_DIR": str(workdir / "cache"),
    }
    if isolated:
        completed = subprocess.run(
            [sys.executable, "-m", "reviewer", *arguments],
            cwd=workdir,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        code, stdout, stderr = completed.returncode, completed.stdout, completed.stderr
    else:
        code, stdout, stderr = _run_module(workdir, env, arguments)
    report = json.loads(stdout) if stdout.strip() else {}
    return Outcome(code, report, stderr)


def _run_module(
    workdir: Path, env: dict[str, str], arguments: tuple[str, ...]
) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr(sys, "argv", ["reviewer", *arguments])
        patch.chdir(workdir)
        with (
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
            pytest.raises(SystemExit) as exited,
        ):
            runpy.run_module("reviewer", run_name="__main__", alter_sys=True)
    code = exited.value.code
    assert isinstance(code, int), f"exit status {code!r}"
    return code, stdout.getvalue(), stderr.getvalue()


def review_json(
    server: MessagesAPI, workdir: Path, diff: Path, config: Path, *, isolated: bool = False
) -> Outcome:
    arguments = ("review", "--diff", str(diff), "--format", "json", "--config", str(config))
    return run_cli(server, workdir, *arguments, isolated=isolated)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """The review without faults: the reference for what must not be lost."""
    workdir = tmp_path_factory.mktemp("clean")
    diff = workdir / "change.diff"
    diff.write_text(DIFF, encoding="utf-8")
    with MessagesAPI(MARKERS) as server:
        outcome = review_json(server, workdir, diff, write_config(workdir))
        sent = [r.body["messages"][0]["content"][0]["text"] for r in messages(server)]
    assert outcome.code == 0, outcome.stderr
    assert outcome.not_reviewed == {}
    # the premise of these tests: one file per request, three findings in each
    assert [text.count("=== FILE") for text in sent] == [1] * len(PATHS)
    assert {f["path"] for f in outcome.findings} == set(PATHS)
    assert len(outcome.findings) == 3 * len(PATHS)
    # the verification pass (on by default) checks each of them once, after the review
    assert len(verification_requests(server.requests)) == len(outcome.findings)
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
def serve() -> Iterator[Callable[[Responder], MessagesAPI]]:
    """Start a local Messages API with a responder; closed after the test."""
    servers: list[MessagesAPI] = []

    def start(responder: Responder = MARKERS) -> MessagesAPI:
        server = MessagesAPI(responder)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


class RunReview(Protocol):
    def __call__(
        self, server: MessagesAPI, diff: Path, config: Path, *, isolated: bool = False
    ) -> Outcome: ...


@pytest.fixture
def review(tmp_path: Path) -> RunReview:
    def run(server: MessagesAPI, diff: Path, config: Path, *, isolated: bool = False) -> Outcome:
        return review_json(server, tmp_path, diff, config, isolated=isolated)

    return run


def messages(server: MessagesAPI) -> list[RecordedRequest]:
    """The review's messages requests; the verification pass's are counted by ``verified``."""
    return review_requests(r for r in server.requests if r.path == "/v1/messages")


def verified(server: MessagesAPI) -> int:
    """How many verification requests were sent: one per finding the model raised."""
    return len(verification_requests(server.requests))


def assert_nothing_lost_or_duplicated(outcome: Outcome, clean: Outcome) -> None:
    """The findings are the clean run's, less those of the files that were not reviewed."""
    fingerprints = [f["fingerprint"] for f in outcome.findings]
    assert len(fingerprints) == len(set(fingerprints)), "a finding was duplicated"
    unaffected = [f for f in clean.findings if f["path"] not in outcome.not_reviewed]
    assert sorted(outcome.findings, key=_key) == sorted(unaffected, key=_key)


def _key(finding: dict[str, Any]) -> tuple[str, int, str]:
    return (finding["path"], finding["line"] or 0, finding["title"])


def retry_gap(server: MessagesAPI, failed: RecordedRequest) -> float:
    """Seconds between ``failed`` and the next request with the same body, which succeeded."""
    retry = next(r for r in messages(server) if r.index > failed.index and r.body == failed.body)
    assert retry.status == 200
    assert retry.fault is None
    return retry.arrived_at - failed.arrived_at


def answer_for(path: str, reply: RawReply, *, times: int | None = None) -> Responder:
    """The markers responder, except ``reply`` for the request that shows ``path``.

    With ``times``, only the first ``times`` such requests get ``reply``.
    """
    lock = threading.Lock()
    asked = [0]

    def respond(request: MessagesRequest) -> Reply:
        if is_verification(request) or f"=== FILE {path} (" not in request.user_text:
            return MARKERS(request)
        with lock:
            asked[0] += 1
            spoil = times is None or asked[0] <= times
        return reply if spoil else MARKERS(request)

    return respond


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
    outcome = review(server, diff_file, config())
    assert outcome.code == 0
    assert outcome.not_reviewed == {}
    assert_nothing_lost_or_duplicated(outcome, clean)
    [failed] = [r for r in messages(server) if r.status == fault.status]
    assert min_gap <= retry_gap(server, failed) < min_gap + 5.0
    # the failed attempt is not billed: only the answered requests count; and the retry
    # was the SDK's, not one of reviewer's own
    assert outcome.usage["requests"] == len(PATHS) + verified(server)
    assert outcome.usage["retries"] == 0


def test_a_connection_reset_is_retried_and_loses_nothing(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
) -> None:
    server = serve(MARKERS)
    server.inject(ResetConnection())
    outcome = review(server, diff_file, config())
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
    outcome = review(server, diff_file, config(max_retries=1))
    assert outcome.code == EXIT_INCOMPLETE
    assert list(outcome.not_reviewed) == [PATHS[0]]
    assert reason in outcome.not_reviewed[PATHS[0]]
    if isinstance(fault, StatusFault):  # the API's request id, for a support ticket
        failed = [r for r in messages(server) if r.status == fault.status]
        assert f"(request id {failed[-1].request_id})" in outcome.not_reviewed[PATHS[0]]
    assert_nothing_lost_or_duplicated(outcome, clean)
    # the SDK's retries are not wrapped in a second loop: two attempts, no more
    assert len(messages(server)) == 2 + len(PATHS) - 1
    assert outcome.usage["requests"] == len(PATHS) - 1 + verified(server)


# --------------------------------------------------------------------------- broken streams


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(CutStream(after_events=4), id="cut-fin"),
        pytest.param(CutStream(after_events=5, reset=True), id="cut-rst"),
        pytest.param(CutStream(after_events=0), id="cut-before-events"),
        pytest.param(StreamError(after_events=4), id="sse-error"),
        pytest.param(
            StreamError("api_error", "Internal server error", after_events=1),
            id="sse-error-early",
        ),
    ],
)
def test_a_stream_broken_mid_message_is_sent_again_and_loses_nothing(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
    fault: Fault,
) -> None:
    server = serve(MARKERS)
    # Two faults that change nothing first: the break hits a request of the fan-out,
    # while other requests are in flight.
    server.inject(Delay(0), Delay(0), fault)
    outcome = review(server, diff_file, config())
    assert outcome.code == 0, outcome.stderr
    assert outcome.not_reviewed == {}
    assert_nothing_lost_or_duplicated(outcome, clean)
    # The SDK cannot retry a stream that has begun; reviewer sent that request again, once.
    [broken] = [r for r in messages(server) if r.fault == fault]
    assert retry_gap(server, broken) >= 0.5
    assert len(messages(server)) == len(PATHS) + 1
    assert outcome.usage["retries"] == 1


def test_a_stream_error_event_is_sent_again_after_the_wait_it_asked_for(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
) -> None:
    server = serve(MARKERS)
    fault = StreamError(after_events=4, retry_after_ms=1200)
    server.inject(fault)
    outcome = review(server, diff_file, config())
    assert outcome.code == 0
    assert outcome.not_reviewed == {}
    assert_nothing_lost_or_duplicated(outcome, clean)
    [broken] = [r for r in messages(server) if r.fault == fault]
    assert 1.2 <= retry_gap(server, broken) < 1.2 + 5.0


def test_a_stream_cut_twice_leaves_that_request_not_reviewed_with_the_reason(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
) -> None:
    server = serve(MARKERS)
    # Cut before the first event: the rest wait, so the re-send meets the second cut.
    server.inject(CutStream(after_events=0), CutStream(after_events=0))
    outcome = review(server, diff_file, config())
    assert outcome.code == EXIT_INCOMPLETE
    assert list(outcome.not_reviewed) == [PATHS[0]]
    reason = outcome.not_reviewed[PATHS[0]]
    assert reason.startswith("connection lost mid-response")
    assert "(again when retried)" in reason
    assert f"(request id {messages(server)[1].request_id})" in reason
    assert_nothing_lost_or_duplicated(outcome, clean)
    assert len(messages(server)) == len(PATHS) + 1  # sent again once, not twice
    assert outcome.usage["retries"] == 1


# --------------------------------------------------------------------------- unusable answers


INVALID = [
    pytest.param(
        RawReply('{"summary": "Fine.", "findings": [{"path": "app/charlie.py"}]}'),
        "did not match the findings schema",
        id="schema-invalid",
    ),
    pytest.param(RawReply("Looks good to me!"), "did not match the findings schema", id="not-json"),
    pytest.param(
        RawReply('{"summary": "The change adds', stop_reason="max_tokens", output_tokens=8192),
        "cut off at max_tokens=8192",
        id="max-tokens",
    ),
]


@pytest.mark.parametrize(("reply", "reason"), INVALID)
def test_an_invalid_answer_is_asked_again_and_loses_nothing(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
    reply: RawReply,
    reason: str,
) -> None:
    server = serve(answer_for(PATHS[2], reply, times=1))
    outcome = review(server, diff_file, config())
    assert outcome.code == 0
    assert outcome.not_reviewed == {}
    assert_nothing_lost_or_duplicated(outcome, clean)
    assert len(messages(server)) == len(PATHS) + 1
    # both answers were billed, and the re-send is counted
    assert outcome.usage["requests"] == len(PATHS) + 1 + verified(server)
    assert outcome.usage["retries"] == 1


@pytest.mark.parametrize(("reply", "reason"), INVALID)
def test_an_answer_invalid_twice_is_reported_and_the_rest_complete(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
    reply: RawReply,
    reason: str,
) -> None:
    server = serve(answer_for(PATHS[2], reply))
    outcome = review(server, diff_file, config())
    assert outcome.code == EXIT_INCOMPLETE
    assert list(outcome.not_reviewed) == [PATHS[2]]
    assert reason in outcome.not_reviewed[PATHS[2]]
    assert "(again when retried)" in outcome.not_reviewed[PATHS[2]]
    assert "(request id req_" in outcome.not_reviewed[PATHS[2]]
    assert_nothing_lost_or_duplicated(outcome, clean)
    assert len(messages(server)) == len(PATHS) + 1
    assert outcome.usage["requests"] == len(PATHS) + 1 + verified(server)


def test_a_refusal_is_reported_and_not_asked_again(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
) -> None:
    server = serve(answer_for(PATHS[2], RawReply("", stop_reason="refusal")))
    outcome = review(server, diff_file, config())
    assert outcome.code == EXIT_INCOMPLETE
    assert list(outcome.not_reviewed) == [PATHS[2]]
    assert "declined" in outcome.not_reviewed[PATHS[2]]
    assert_nothing_lost_or_duplicated(outcome, clean)
    # the model answered, so the request was billed and is counted; a refusal is final
    assert len(messages(server)) == len(PATHS)
    assert outcome.usage["requests"] == len(PATHS) + verified(server)
    assert outcome.usage["retries"] == 0


def test_when_every_answer_is_a_refusal_the_run_exits_3_naming_every_file(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
) -> None:
    server = serve(lambda _request: RawReply("", stop_reason="refusal"))
    outcome = review(server, diff_file, config())
    # Nothing was reviewed: a CI gate must not pass on that, whatever the cause.
    assert outcome.code == EXIT_SERVICE_FAILED
    assert set(outcome.not_reviewed) == set(PATHS)
    assert outcome.findings == []
    assert outcome.report["summary"] == "The model review did not complete."


# --------------------------------------------------------------------------- reviewer's budget


def test_once_the_retry_budget_is_spent_later_failures_are_not_retried(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
) -> None:
    spoiled = PATHS[1:4]
    bad = RawReply("Looks good to me!")

    def respond(request: MessagesRequest) -> Reply:
        if is_verification(request):
            return MARKERS(request)
        if any(f"=== FILE {path} (" in request.user_text for path in spoiled):
            return bad
        return MARKERS(request)

    server = serve(respond)
    outcome = review(server, diff_file, config())
    assert outcome.code == EXIT_INCOMPLETE
    assert set(outcome.not_reviewed) == set(spoiled)
    reasons = list(outcome.not_reviewed.values())
    assert sum("(again when retried)" in reason for reason in reasons) == RETRY_BUDGET
    spent = f"(not retried: the run's retry budget of {RETRY_BUDGET} is spent)"
    assert sum(spent in reason for reason in reasons) == len(spoiled) - RETRY_BUDGET
    assert_nothing_lost_or_duplicated(outcome, clean)
    assert len(messages(server)) == len(PATHS) + RETRY_BUDGET
    assert outcome.usage["retries"] == RETRY_BUDGET


# --------------------------------------------------------------------------- a bad day


def test_a_run_through_every_kind_of_fault_still_gives_the_full_review(
    serve: Callable[[Responder], MessagesAPI],
    review: RunReview,
    diff_file: Path,
    config: Callable[..., Path],
    clean: Outcome,
) -> None:
    """A 429, a 529, a 500, a cut stream and an invalid answer, across two requests."""
    server = serve(answer_for(PATHS[1], RawReply("Looks good to me!"), times=1))
    # The first request, alone until its response begins: three statuses the SDK retries,
    # then a stream cut after message_start, which reviewer sends again.
    server.inject(
        StatusFault(429, retry_after_ms=20),
        StatusFault(529, retry_after_ms=20),
        StatusFault(500, retry_after_ms=20),
        CutStream(after_events=4),
    )
    # a fresh interpreter: the entry point a CI job runs, end to end
    outcome = review(server, diff_file, config(max_retries=3), isolated=True)
    assert outcome.code == 0, outcome.stderr
    assert outcome.not_reviewed == {}
    assert sorted(outcome.findings, key=_key) == sorted(clean.findings, key=_key)
    assert outcome.report["summary"] == clean.report["summary"]
    assert [r.status for r in messages(server)][:4] == [429, 529, 500, 200]
    assert server.pending_faults == ()
    # Reviewer re-sent two requests (the cut one, the invalid answer); both failed
    # attempts were billed. The SDK's three retries are its own, not counted here.
    assert outcome.usage["retries"] == 2
    assert outcome.usage["requests"] == len(PATHS) + 2 + verified(server)
    assert len(messages(server)) == len(PATHS) + 2 + 3


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
    # enough for every request and every re-send reviewer's budget allows
    server.inject(*[fault] * (len(PATHS) + RETRY_BUDGET))
    outcome = review(server, diff_file, config(max_retries=0))
    assert outcome.code == EXIT_SERVICE_FAILED
    assert set(outcome.not_reviewed) == set(PATHS)
    assert all(reason in why for why in outcome.not_reviewed.values())
    assert outcome.findings == []
    assert "reviewer: error: " in outcome.stderr
    assert reason in outcome.stderr
    # Statuses and resets come before a response begins: only a broken stream is re-sent.
    resent = RETRY_BUDGET if isinstance(fault, CutStream) else 0
    assert len(messages(server)) == len(PATHS) + resent
    assert outcome.usage["retries"] == resent


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
    outcome = review(server, leak, config(max_retries=0))
    assert outcome.code == EXIT_SERVICE_FAILED
    assert [(f["path"], f["line"], f["severity"]) for f in outcome.findings] == [
        ("deploy.py", 1, "critical")
    ]
    assert key not in json.dumps(outcome.report)
    assert key not in json.dumps([r.body for r in server.requests])


# --------------------------------------------------------------------------- bad input: exit 2


def test_a_truncated_diff_exits_2_naming_the_line_and_sends_nothing(
    serve: Callable[[Responder], MessagesAPI],
    tmp_path: Path,
    config: Callable[..., Path],
) -> None:
    server = serve(MARKERS)
    cut = tmp_path / "cut.diff"
    cut.write_text(DIFF[: len(DIFF) // 2].rsplit("\n", 3)[0] + "\n", encoding="utf-8")
    outcome = run_cli(server, tmp_path, "review", "--diff", str(cut), "--config", str(config()))
    assert outcome.code == 2
    assert f"{cut}:" in outcome.stderr
    assert "is cut short" in outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert server.requests == ()


def test_binary_garbage_exits_2_and_sends_nothing(
    serve: Callable[[Responder], MessagesAPI], tmp_path: Path
) -> None:
    server = serve(MARKERS)
    garbage = tmp_path / "garbage.diff"
    garbage.write_bytes(bytes(range(256)) * 40)
    outcome = run_cli(server, tmp_path, "review", "--diff", str(garbage))
    assert outcome.code == 2
    assert "reviewer: error:" in outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert server.requests == ()


def test_a_timeout_below_the_minimum_is_a_configuration_error(
    serve: Callable[[Responder], MessagesAPI],
    tmp_path: Path,
    diff_file: Path,
    config: Callable[..., Path],
) -> None:
    server = serve(MARKERS)
    too_short = config(timeout_seconds=1)
    outcome = run_cli(
        server, tmp_path, "review", "--diff", str(diff_file), "--config", str(too_short)
    )
    assert outcome.code == 2
    assert "timeout_seconds: must be between 10 and 3600" in outcome.stderr
    assert server.requests == ()
