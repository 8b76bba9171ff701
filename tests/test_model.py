"""The model stage against the local Messages API: fan-out, concurrency, error translation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from reviewer.catalog import MODELS
from reviewer.errors import AuthError
from reviewer.model import (
    ClientSettings,
    ModelRequest,
    ModelResult,
    make_client,
    request_params,
    run_requests,
)
from reviewer.prompt import system_prompt
from tests.fakes.messages_api import (
    FAKE_API_KEY,
    LatencyProfile,
    MessagesAPI,
    ResetConnection,
    StatusFault,
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


def run(
    api: MessagesAPI, batch: Sequence[ModelRequest], *, concurrency: int = 4, retries: int = 0
) -> list[ModelResult]:
    client = make_client(
        ClientSettings(api_key=FAKE_API_KEY, base_url=api.base_url, max_retries=retries)
    )
    return asyncio.run(
        run_requests(client, batch, model=SONNET, max_tokens=1024, concurrency=concurrency)
    )


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
