"""The model stage against the local Messages API: fan-out, concurrency, retries, errors.

The waits before reviewer's own re-sends go through an injected ``sleep`` that
records them instead of sleeping (the clock is the one thing tests may mock).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from reviewer.catalog import MODELS
from reviewer.errors import AuthError
from reviewer.model import (
    MAX_RETRY_WAIT_S,
    RETRY_BACKOFF_S,
    ClientSettings,
    ModelRequest,
    ModelResult,
    RetryBudget,
    make_client,
    request_params,
    run_requests,
)
from reviewer.prompt import system_prompt
from tests.fakes.messages_api import (
    FAKE_API_KEY,
    CutStream,
    Delay,
    LatencyProfile,
    MessagesAPI,
    MessagesRequest,
    RawReply,
    Reply,
    ResetConnection,
    Responder,
    StatusFault,
    StreamError,
    no_findings,
)

SONNET = MODELS["claude-sonnet-5-5"]


def requests(count: int) -> list[ModelRequest]:
    system = system_prompt()
    return [
        ModelRequest(
            key=f"r{i}", system=system, context="Run context.", body=f"hunks of request {i}"
        )
        for i in range(count)
    ]


class Waits:
    """A ``sleep`` that records how long it was asked to wait, and returns at once."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def run(
    api: MessagesAPI,
    batch: Sequence[ModelRequest],
    *,
    concurrency: int = 4,
    retries: int = 0,
    waits: Waits | None = None,
    budget: RetryBudget | None = None,
    timeout_s: float = 30.0,
) -> list[ModelResult]:
    client = make_client(
        ClientSettings(
            api_key=FAKE_API_KEY, base_url=api.base_url, max_retries=retries, timeout_s=timeout_s
        )
    )
    return asyncio.run(
        run_requests(
            client,
            batch,
            model=SONNET,
            max_tokens=1024,
            concurrency=concurrency,
            retry_budget=budget,
            sleep=waits or Waits(),
        )
    )


def first_answers_for(body: str, reply: Reply, *, times: int = 1) -> Responder:
    """``reply`` the first ``times`` the request with ``body`` is asked, then a clean review."""
    lock = threading.Lock()
    asked = [0]

    def respond(request: MessagesRequest) -> Reply:
        if request.user_text != body:
            return no_findings(request)
        with lock:
            asked[0] += 1
            return reply if asked[0] <= times else no_findings(request)

    return respond


def bodies(api: MessagesAPI) -> list[str]:
    return [r.body["messages"][0]["content"][0]["text"] for r in api.requests]


def test_request_params_cache_the_stable_prefix_and_vary_only_the_hunks() -> None:
    first, second = (request_params(r, model=SONNET.id, max_tokens=100) for r in requests(2))
    assert first["system"] == second["system"]
    assert first["messages"] != second["messages"]
    assert all(block["cache_control"] == {"type": "ephemeral"} for block in first["system"])
    assert "cache_control" not in first["messages"][0]["content"][0]
    assert not {"temperature", "top_p", "top_k"} & set(first)


def test_first_request_writes_the_cache_and_all_others_read_it() -> None:
    latency = LatencyProfile(total_ms=300, first_byte_fraction=0.5, seed=3)
    with MessagesAPI(latency=latency) as api:
        results = run(api, requests(6), concurrency=6)
        log = list(api.requests)
    assert [r.failure for r in results] == [None] * 6
    assert log[0].cache is not None
    assert log[0].cache.cache_creation_input_tokens > 0
    assert all(r.cache is not None and r.cache.cache_read_input_tokens > 0 for r in log[1:])
    assert all(r.cache is not None and r.cache.cache_creation_input_tokens == 0 for r in log[1:])
    # the rest fanned out together while the first was still streaming
    assert api.max_in_flight == 6


@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_at_most_concurrency_requests_are_in_flight(concurrency: int) -> None:
    with MessagesAPI(latency=LatencyProfile(total_ms=120, seed=concurrency)) as api:
        results = run(api, requests(7), concurrency=concurrency)
        assert api.max_in_flight == concurrency
    assert len(results) == 7


def test_results_keep_request_order_and_price_usage() -> None:
    with MessagesAPI(latency=LatencyProfile(total_ms=60, jitter_ms=50, seed=9)) as api:
        results = run(api, requests(5), concurrency=5)
    assert [r.request.key for r in results] == ["r0", "r1", "r2", "r3", "r4"]
    assert all(r.usage.requests == 1 and r.usage.cost_usd > 0 for r in results)
    assert all(r.request_id and r.request_id.startswith("req_") for r in results)


def test_a_first_request_that_fails_does_not_block_the_others() -> None:
    with MessagesAPI() as api:
        api.inject(StatusFault(500, should_retry=False))
        results = run(api, requests(3))
    assert results[0].failure is not None
    assert "500" in results[0].failure
    assert results[0].request_id is not None
    assert [r.failure for r in results[1:]] == [None, None]


def test_connection_reset_is_retried_by_the_sdk_only() -> None:
    with MessagesAPI() as api:
        api.inject(ResetConnection())
        results = run(api, requests(1), retries=1)
        assert [type(r.fault).__name__ for r in api.requests] == ["ResetConnection", "NoneType"]
    assert results[0].failure is None


def test_authentication_failure_aborts_the_run() -> None:
    with MessagesAPI(api_key="sk-ant-other") as api, pytest.raises(AuthError) as caught:
        run(api, requests(3))
    assert caught.value.status == 401
    assert caught.value.request_id is not None
    assert caught.value.exit_code == 3


def test_a_timeout_before_the_response_is_the_sdks_to_retry() -> None:
    with MessagesAPI() as api:
        api.inject(Delay(1.0))  # one timeout: the SDK's retry succeeds
        [retried] = run(api, requests(1), retries=1, timeout_s=0.3)
        assert len(api.requests) == 2
    assert retried.failure is None
    assert retried.usage.retries == 0
    with MessagesAPI() as api:
        api.inject(Delay(1.0), Delay(1.0))  # both of the SDK's attempts time out
        [timed_out] = run(api, requests(1), retries=1, timeout_s=0.3)
        assert len(api.requests) == 2  # and reviewer adds none: it did not begin
    assert timed_out.failure is not None
    assert "could not reach the Anthropic API: Request timed out" in timed_out.failure


# --------------------------------------------------------------------------- reviewer's re-sends


def test_a_stream_cut_after_it_began_is_sent_again_once() -> None:
    waits = Waits()
    with MessagesAPI() as api:
        api.inject(CutStream(after_events=4))
        results = run(api, requests(3), waits=waits)
        log = list(api.requests)
    assert [r.failure for r in results] == [None, None, None]
    assert bodies(api).count("hunks of request 0") == 2
    assert waits.seconds == [RETRY_BACKOFF_S]
    first = results[0].usage
    assert (first.retries, first.requests) == (1, 2)  # the cut attempt was billed too
    assert first.input_tokens + first.cache_creation_input_tokens > 0
    assert [r.usage.retries for r in results[1:]] == [0, 0]
    # The cut came after message_start, so the others fanned out then and read the
    # entry the first request wrote; its re-send read it too.
    assert log[0].cache is not None
    assert log[0].cache.cache_creation_input_tokens > 0
    assert all(r.cache is not None and r.cache.cache_read_input_tokens > 0 for r in log[1:])


def test_a_stream_cut_twice_leaves_the_request_not_reviewed_with_the_reason() -> None:
    with MessagesAPI() as api:
        # Cut before any event: the others wait for the first request's re-send.
        api.inject(CutStream(after_events=0), CutStream(after_events=0))
        results = run(api, requests(2))
        assert bodies(api) == ["hunks of request 0"] * 2 + ["hunks of request 1"]
    failure = results[0].failure
    assert failure is not None
    assert failure.startswith("connection lost mid-response")
    assert failure.endswith("(again when retried)")
    assert results[0].request_id == api.requests[1].request_id
    assert (results[0].usage.retries, results[0].usage.requests) == (1, 0)
    assert results[1].failure is None


@pytest.mark.parametrize(
    ("fault", "wait"),
    [
        pytest.param(StreamError(retry_after_ms=700), 0.7, id="retry-after-ms"),
        pytest.param(StreamError(retry_after=3, retry_after_ms=250), 0.25, id="ms-first"),
        pytest.param(StreamError(retry_after=3), 3.0, id="retry-after"),
        pytest.param(StreamError(retry_after=86400), MAX_RETRY_WAIT_S, id="capped"),
        pytest.param(StreamError(), RETRY_BACKOFF_S, id="no-header"),
        pytest.param(StreamError("api_error", "Internal server error"), RETRY_BACKOFF_S, id="api"),
    ],
)
def test_a_transient_stream_error_event_is_sent_again_after_the_wait_asked(
    fault: StreamError, wait: float
) -> None:
    waits = Waits()
    with MessagesAPI() as api:
        api.inject(fault)
        [result] = run(api, requests(1), waits=waits)
        assert len(api.requests) == 2
    assert result.failure is None
    assert waits.seconds == [wait]
    assert result.usage.retries == 1


def test_a_stream_error_that_is_not_transient_is_not_sent_again() -> None:
    with MessagesAPI() as api:
        api.inject(StreamError("invalid_request_error", "prompt is too long"))
        [result] = run(api, requests(1))
        assert len(api.requests) == 1
    assert result.failure is not None
    assert "stream error event invalid_request_error: prompt is too long" in result.failure
    assert result.usage.retries == 0


INVALID = [
    pytest.param(RawReply("Looks good to me!"), "did not match the findings schema", id="not-json"),
    pytest.param(
        RawReply('{"summary": "Fine.", "findings": [{"path": "a.py"}]}'),
        "did not match the findings schema",
        id="schema-invalid",
    ),
    pytest.param(
        RawReply('{"summary": "The change', stop_reason="max_tokens", output_tokens=1024),
        "cut off at max_tokens=1024",
        id="max-tokens",
    ),
]


@pytest.mark.parametrize(("reply", "reason"), INVALID)
def test_an_answer_that_fails_validation_is_asked_again_at_once(
    reply: RawReply, reason: str
) -> None:
    waits = Waits()
    body = "hunks of request 1"
    with MessagesAPI(first_answers_for(body, reply)) as api:
        results = run(api, requests(3), waits=waits)
        assert bodies(api).count(body) == 2
    assert [r.failure for r in results] == [None, None, None]
    assert waits.seconds == [0.0]
    # both answers were billed
    assert (results[1].usage.requests, results[1].usage.retries) == (2, 1)


@pytest.mark.parametrize(("reply", "reason"), INVALID)
def test_an_answer_invalid_twice_is_reported_with_its_reason(reply: RawReply, reason: str) -> None:
    body = "hunks of request 0"
    with MessagesAPI(first_answers_for(body, reply, times=2)) as api:
        [result] = run(api, requests(1))
        assert len(api.requests) == 2
    assert result.answer is None
    assert result.failure is not None
    assert reason in result.failure
    assert result.failure.endswith("(again when retried)")


def test_a_cut_stream_then_an_invalid_answer_reports_both() -> None:
    body = "hunks of request 0"
    with MessagesAPI(first_answers_for(body, RawReply("no JSON"), times=2)) as api:
        api.inject(CutStream(after_events=0))
        [result] = run(api, requests(1))
        assert len(api.requests) == 2  # one re-send per request, whatever went wrong
    assert result.failure is not None
    assert result.failure.startswith("the model's answer did not match the findings schema")
    assert "(when retried, after: connection lost mid-response" in result.failure


def test_a_refusal_is_not_asked_again() -> None:
    refusal = RawReply("", stop_reason="refusal")
    with MessagesAPI(first_answers_for("hunks of request 0", refusal, times=9)) as api:
        [result] = run(api, requests(1))
        assert len(api.requests) == 1
    assert result.failure is not None
    assert "declined" in result.failure
    assert result.usage.retries == 0


def test_the_run_wide_budget_bounds_the_re_sends() -> None:
    with MessagesAPI(lambda _request: RawReply("no JSON")) as api:
        results = run(api, requests(4), budget=RetryBudget(1), concurrency=1)
        assert len(api.requests) == 5  # four requests, one re-send
    assert sum(r.usage.retries for r in results) == 1
    failures = [r.failure or "" for r in results]
    assert sum(f.endswith("(again when retried)") for f in failures) == 1
    assert (
        sum(f.endswith("(not retried: the run's retry budget of 1 is spent)") for f in failures)
        == 3
    )


@pytest.mark.parametrize(("count", "limit"), [(1, 2), (8, 2), (9, 3), (20, 5), (101, 26)])
def test_the_default_budget_is_a_quarter_of_the_requests_and_at_least_two(
    count: int, limit: int
) -> None:
    assert RetryBudget.for_requests(count).limit == limit


def test_a_status_error_after_the_sdks_retries_is_not_sent_again() -> None:
    with MessagesAPI() as api:
        api.inject(StatusFault(529, retry_after_ms=1), StatusFault(529, retry_after_ms=1))
        [result] = run(api, requests(1), retries=1)
        assert [r.status for r in api.requests] == [529, 529]
    assert result.failure is not None
    assert "API error 529" in result.failure
    assert result.usage.retries == 0
