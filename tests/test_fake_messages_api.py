"""The fake Messages API, exercised through the real anthropic SDK over real HTTP."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Literal

import anthropic
import httpx2
import pytest
from anthropic.types import (
    CacheControlEphemeralParam,
    Message,
    MessageParam,
    OutputConfigParam,
    TextBlockParam,
)

from reviewer.schema import FINDINGS_SCHEMA, parse_answer
from tests.fakes.messages_api import (
    FAKE_API_KEY,
    CutStream,
    Delay,
    Fault,
    LatencyProfile,
    LatencySampler,
    LineRef,
    ManualClock,
    MessagesAPI,
    MessagesRequest,
    RawReply,
    Reply,
    ResetConnection,
    ResponderFailed,
    StatusFault,
    StreamError,
    canonical_json,
    estimate_tokens,
    markers_responder,
    no_findings,
    parse_fault,
)

MODEL = "claude-sonnet-5-5"
REPO_ROOT = Path(__file__).resolve().parents[1]
QUESTION: list[MessageParam] = [{"role": "user", "content": "Review this change."}]
DEFAULT_ANSWER = {"summary": "No issues found.", "findings": []}
# About 4,700 tokens by the fake's estimate: above the default 4,096 minimum.
LONG_SYSTEM_TEXT = "You review code diffs and report concrete defects only. " * 330


def cached_system(
    text: str = LONG_SYSTEM_TEXT, ttl: Literal["5m", "1h"] = "5m"
) -> list[TextBlockParam]:
    return [{"type": "text", "text": text, "cache_control": {"type": "ephemeral", "ttl": ttl}}]


def block_tokens(text: str) -> int:
    """The fake's documented estimate for one text block."""
    return estimate_tokens(canonical_json({"type": "text", "text": text}))


SYSTEM_TOKENS = block_tokens(LONG_SYSTEM_TEXT)
QUESTION_TOKENS = block_tokens("Review this change.")


@pytest.fixture
def api() -> Iterator[MessagesAPI]:
    with MessagesAPI() as server:
        yield server


def sdk_client(server: MessagesAPI, *, max_retries: int = 2) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key=FAKE_API_KEY, base_url=server.base_url, max_retries=max_retries
    )


@pytest.fixture
def client(api: MessagesAPI) -> Iterator[anthropic.Anthropic]:
    with sdk_client(api) as sdk:
        yield sdk


def ask(
    client: anthropic.Anthropic,
    *,
    messages: list[MessageParam] = QUESTION,
    max_tokens: int = 1024,
    system: str | list[TextBlockParam] | anthropic.Omit = anthropic.omit,
    output_config: OutputConfigParam | anthropic.Omit = anthropic.omit,
    cache_control: CacheControlEphemeralParam | anthropic.Omit = anthropic.omit,
    extra_body: dict[str, object] | None = None,
) -> Message:
    """A non-streaming create with this file's defaults."""
    return client.messages.create(
        model=MODEL,
        max_tokens=max_tokens,
        messages=messages,
        system=system,
        output_config=output_config,
        cache_control=cache_control,
        extra_body=extra_body,
    )


def statuses(server: MessagesAPI) -> list[int | None]:
    return [request.status for request in server.requests]


# --------------------------------------------------------------------------- replies


def test_json_reply_parses_into_sdk_message(api: MessagesAPI, client: anthropic.Anthropic) -> None:
    message = ask(client)

    assert isinstance(message, Message)
    assert message.id.startswith("msg_")
    assert message.model == MODEL
    assert message.stop_reason == "end_turn"
    assert message.content[0].type == "text"
    assert json.loads(message.content[0].text) == DEFAULT_ANSWER
    assert message.usage.input_tokens == QUESTION_TOKENS
    assert message.usage.output_tokens == estimate_tokens(json.dumps(DEFAULT_ANSWER))
    assert message.usage.cache_creation_input_tokens == 0
    assert message.usage.cache_read_input_tokens == 0


def test_request_is_logged_with_headers_body_and_accounting(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    ask(client)

    (request,) = api.requests
    assert (request.method, request.path, request.status) == ("POST", "/v1/messages", 200)
    assert request.headers["authorization"] == f"Bearer {FAKE_API_KEY}"
    assert request.headers["anthropic-version"]
    assert request.body["model"] == MODEL
    assert request.request_id.startswith("req_")
    assert request.cache is not None
    assert request.cache.input_tokens == QUESTION_TOKENS


def test_stream_events_arrive_in_messages_streaming_order(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=1024, messages=QUESTION, stream=True)
    with stream:
        kinds = [event.type for event in stream]
        content_type = stream.response.headers["content-type"]

    assert content_type.startswith("text/event-stream")
    deltas = kinds.count("content_block_delta")
    assert deltas >= 2  # the text is split into several deltas
    assert kinds == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * deltas,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


def test_message_stream_helper_assembles_the_same_message(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    with client.messages.stream(model=MODEL, max_tokens=1024, messages=QUESTION) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()

    assert json.loads(text) == DEFAULT_ANSWER
    assert final.stop_reason == "end_turn"
    assert final.model == MODEL
    assert final.usage.input_tokens == QUESTION_TOKENS
    assert final.usage.output_tokens == estimate_tokens(json.dumps(DEFAULT_ANSWER))
    assert final.usage.cache_read_input_tokens == 0


def test_sse_wire_format_has_event_and_data_lines_and_a_ping(api: MessagesAPI) -> None:
    body = {"model": MODEL, "max_tokens": 64, "messages": QUESTION, "stream": True}
    headers = {"authorization": f"Bearer {FAKE_API_KEY}", "anthropic-version": "2026-10-21"}
    with httpx2.stream(
        "POST", f"{api.base_url}/v1/messages", json=body, headers=headers
    ) as response:
        raw = response.read().decode()
        request_id = response.headers["request-id"]

    events = [chunk for chunk in raw.split("\n\n") if chunk]
    names = [event.split("\n")[0] for event in events]
    assert names[:3] == ["event: message_start", "event: content_block_start", "event: ping"]
    assert names[-1] == "event: message_stop"
    assert all(event.split("\n")[1].startswith("data: {") for event in events)
    start = json.loads(events[0].split("\n")[1].removeprefix("data: "))
    assert start["message"]["usage"]["cache_read_input_tokens"] == 0
    assert request_id.startswith("req_")


def test_async_client_creates_and_streams(api: MessagesAPI) -> None:
    async def both() -> tuple[Message, Message]:
        async with anthropic.AsyncAnthropic(api_key=FAKE_API_KEY, base_url=api.base_url) as sdk:
            created = await sdk.messages.create(model=MODEL, max_tokens=1024, messages=QUESTION)
            async with sdk.messages.stream(model=MODEL, max_tokens=1024, messages=QUESTION) as s:
                streamed = await s.get_final_message()
        return created, streamed

    created, streamed = asyncio.run(both())

    assert created.content[0].type == "text"
    assert streamed.content[0].type == "text"
    assert json.loads(created.content[0].text) == json.loads(streamed.content[0].text)
    assert created.usage.input_tokens == streamed.usage.input_tokens == QUESTION_TOKENS
    assert [r.stream for r in api.requests] == [False, True]


def test_count_tokens_equals_the_prompt_tokens_a_message_bills(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    counted = client.messages.count_tokens(model=MODEL, messages=QUESTION, system=cached_system())
    first = ask(client, system=cached_system()).usage
    again = client.messages.count_tokens(model=MODEL, messages=QUESTION, system=cached_system())

    assert counted.input_tokens == again.input_tokens == SYSTEM_TOKENS + QUESTION_TOKENS
    billed = first.input_tokens + (first.cache_creation_input_tokens or 0)
    assert billed == counted.input_tokens
    assert [r.path for r in api.requests] == [
        "/v1/messages/count_tokens",
        "/v1/messages",
        "/v1/messages/count_tokens",
    ]


def test_raw_reply_sets_stop_reason_and_output_tokens() -> None:
    def refuse(request: MessagesRequest) -> Reply:
        return RawReply("I can't help with that.", stop_reason="refusal", output_tokens=7)

    with MessagesAPI(refuse) as server, sdk_client(server) as sdk:
        message = ask(sdk)
        with sdk.messages.stream(model=MODEL, max_tokens=1024, messages=QUESTION) as stream:
            streamed = stream.get_final_message()

    for reply in (message, streamed):
        assert reply.stop_reason == "refusal"
        assert reply.stop_details is not None
        assert reply.usage.output_tokens == 7
        assert reply.content[0].type == "text"
        assert reply.content[0].text == "I can't help with that."


def test_json_answer_longer_than_max_tokens_is_cut(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    message = ask(client, max_tokens=3)

    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 3
    assert message.content[0].type == "text"
    assert message.content[0].text == json.dumps(DEFAULT_ANSWER)[:12]


def test_responder_sees_the_parsed_request() -> None:
    seen: list[MessagesRequest] = []

    def record(request: MessagesRequest) -> Reply:
        seen.append(request)
        return no_findings(request)

    with MessagesAPI(record) as server, sdk_client(server) as sdk:
        ask(
            sdk,
            system="Be brief.",
            output_config={"format": {"type": "json_schema", "schema": FINDINGS_SCHEMA}},
        )

    (request,) = seen
    assert request.model == MODEL
    assert request.max_tokens == 1024
    assert request.system == "Be brief."
    assert request.user_text == "Review this change."
    assert request.output_schema == FINDINGS_SCHEMA
    assert not request.stream


def test_failing_responder_answers_500_once_and_fails_the_test_on_close() -> None:
    def broken(request: MessagesRequest) -> Reply:
        raise KeyError("oops")

    server = MessagesAPI(broken)
    with sdk_client(server) as sdk, pytest.raises(anthropic.InternalServerError):
        ask(sdk)

    assert len(server.requests) == 1  # x-should-retry: false stopped the SDK's retries
    assert isinstance(server.responder_errors[0], KeyError)
    with pytest.raises(ResponderFailed), server:
        pass  # leaving the context re-raises the responder's error


# --------------------------------------------------------------------------- markers responder

DIFF = """\
diff --git a/app/auth.py b/app/auth.py
--- a/app/auth.py
+++ b/app/auth.py
@@ -10,4 +10,6 @@ def login(user):
     check(user)
--- old comment
+    PASSWORD = "hunter2"
+    # TODO: rate limit
     return token(user)
+    result = eval(user.expr)

"""  # the last line: a blank context line whose leading space an editor stripped


def test_markers_responder_flags_added_lines_with_markers() -> None:
    with MessagesAPI(markers_responder()) as server, sdk_client(server) as sdk:
        message = ask(sdk, messages=[{"role": "user", "content": f"Review:\n{DIFF}"}])

    assert message.content[0].type == "text"
    answer = parse_answer(message.content[0].text)  # it fits reviewer's own schema
    found = {(f.path, f.line, f.side.value, f.severity.value) for f in answer.findings}
    assert found == {
        ("app/auth.py", 11, "RIGHT", "major"),
        ("app/auth.py", 12, "RIGHT", "minor"),
        ("app/auth.py", 14, "RIGHT", "critical"),
    }
    assert {f.code for f in answer.findings} == {
        '    PASSWORD = "hunter2"',
        "    # TODO: rate limit",
        "    result = eval(user.expr)",
    }


def test_markers_responder_takes_any_prompt_layout_through_an_extractor() -> None:
    def numbered_lines(text: str) -> Iterator[LineRef]:
        for row in text.splitlines():
            path, line, code = row.split("|", 2)
            yield LineRef(path, int(line), "RIGHT", code)

    prompt = "src/a.py|3|x = 1\nsrc/a.py|4|# TODO later"
    with MessagesAPI(markers_responder(numbered_lines)) as server, sdk_client(server) as sdk:
        message = ask(sdk, messages=[{"role": "user", "content": prompt}])

    assert message.content[0].type == "text"
    answer = parse_answer(message.content[0].text)
    assert [(f.path, f.line) for f in answer.findings] == [("src/a.py", 4)]


# --------------------------------------------------------------------------- prompt caching


def test_second_request_with_identical_prefix_reads_the_cache(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    first = ask(client, system=cached_system()).usage
    second = ask(client, system=cached_system()).usage

    assert (first.cache_creation_input_tokens, first.cache_read_input_tokens) == (SYSTEM_TOKENS, 0)
    assert first.cache_creation is not None
    assert first.cache_creation.ephemeral_5m_input_tokens == SYSTEM_TOKENS
    assert (second.cache_creation_input_tokens, second.cache_read_input_tokens) == (
        0,
        SYSTEM_TOKENS,
    )
    assert first.input_tokens == second.input_tokens == QUESTION_TOKENS
    assert [r.cache for r in api.requests] == [
        api.requests[0].cache,
        api.requests[1].cache,
    ]
    assert api.requests[1].cache is not None
    assert api.requests[1].cache.cache_read_input_tokens == SYSTEM_TOKENS


def test_changed_system_prompt_misses_the_cache(client: anthropic.Anthropic) -> None:
    ask(client, system=cached_system())
    changed = ask(client, system=cached_system(LONG_SYSTEM_TEXT + "Also check tests.")).usage

    assert changed.cache_read_input_tokens == 0
    assert changed.cache_creation_input_tokens == block_tokens(
        LONG_SYSTEM_TEXT + "Also check tests."
    )


def test_prefix_below_minimum_is_not_cached(client: anthropic.Anthropic) -> None:
    short = cached_system("Review code.")
    first = ask(client, system=short).usage
    second = ask(client, system=short).usage

    for usage in (first, second):
        assert usage.cache_creation_input_tokens == 0
        assert usage.cache_read_input_tokens == 0
        assert usage.input_tokens == block_tokens("Review code.") + QUESTION_TOKENS


def test_minimum_cacheable_length_is_configurable() -> None:
    with MessagesAPI(min_cacheable_tokens=1) as server, sdk_client(server) as sdk:
        ask(sdk, system=cached_system("Review code."))
        second = ask(sdk, system=cached_system("Review code.")).usage

    assert second.cache_read_input_tokens == block_tokens("Review code.")


def test_requests_arriving_before_the_writer_began_all_write() -> None:
    both_arrived = threading.Barrier(2, timeout=5)
    calls = itertools.count()

    def hold_first_two(request: MessagesRequest) -> Reply:
        # Neither response may begin until both requests have been looked up.
        if next(calls) < 2:
            both_arrived.wait()
        return no_findings(request)

    with MessagesAPI(hold_first_two) as server, sdk_client(server) as sdk:
        with ThreadPoolExecutor(max_workers=2) as pool:
            usages = list(pool.map(lambda _: ask(sdk, system=cached_system()).usage, range(2)))
        third = ask(sdk, system=cached_system()).usage

    assert [u.cache_creation_input_tokens for u in usages] == [SYSTEM_TOKENS, SYSTEM_TOKENS]
    assert [u.cache_read_input_tokens for u in usages] == [0, 0]
    assert (third.cache_read_input_tokens, third.cache_creation_input_tokens) == (SYSTEM_TOKENS, 0)


def test_request_after_the_writer_began_streaming_reads_while_it_is_still_streaming() -> None:
    # message_start goes out at once; the rest of each response takes 400 ms.
    latency = LatencyProfile(total_ms=400, first_byte_fraction=0.0)
    with MessagesAPI(latency=latency) as server, sdk_client(server) as sdk:
        with sdk.messages.stream(
            model=MODEL, max_tokens=1024, messages=QUESTION, system=cached_system()
        ) as writer:
            assert next(iter(writer)).type == "message_start"
            reader = ask(sdk, system=cached_system()).usage
            writer.until_done()
        first, second = server.requests

    assert reader.cache_read_input_tokens == SYSTEM_TOKENS
    assert reader.cache_creation_input_tokens == 0
    assert second.arrived_at - first.arrived_at < 0.3  # well before the writer's message_stop


def test_cache_entries_expire_after_their_ttl() -> None:
    clock = ManualClock()
    with MessagesAPI(clock=clock) as server, sdk_client(server) as sdk:
        ask(sdk, system=cached_system(ttl="5m"))
        clock.advance(299)
        within = ask(sdk, system=cached_system(ttl="5m")).usage  # and refreshes the entry
        clock.advance(299)
        refreshed = ask(sdk, system=cached_system(ttl="5m")).usage
        clock.advance(301)
        expired = ask(sdk, system=cached_system(ttl="5m")).usage

    assert within.cache_read_input_tokens == SYSTEM_TOKENS
    assert refreshed.cache_read_input_tokens == SYSTEM_TOKENS
    assert expired.cache_read_input_tokens == 0
    assert expired.cache_creation_input_tokens == SYSTEM_TOKENS


def test_one_hour_ttl_outlives_five_minutes() -> None:
    clock = ManualClock()
    with MessagesAPI(clock=clock) as server, sdk_client(server) as sdk:
        first = ask(sdk, system=cached_system(ttl="1h")).usage
        clock.advance(3000)
        later = ask(sdk, system=cached_system(ttl="1h")).usage
        clock.advance(3601)
        expired = ask(sdk, system=cached_system(ttl="1h")).usage

    assert first.cache_creation is not None
    assert first.cache_creation.ephemeral_1h_input_tokens == SYSTEM_TOKENS
    assert later.cache_read_input_tokens == SYSTEM_TOKENS
    assert expired.cache_read_input_tokens == 0


def test_longest_cached_breakpoint_is_read_and_the_rest_written(
    client: anthropic.Anthropic,
) -> None:
    def conversation(question: str) -> list[MessageParam]:
        block: TextBlockParam = {
            "type": "text",
            "text": question,
            "cache_control": {"type": "ephemeral"},
        }
        return [{"role": "user", "content": [block]}]

    ask(client, system=cached_system(), messages=conversation("First file."))
    other = ask(client, system=cached_system(), messages=conversation("Second file.")).usage
    same = ask(client, system=cached_system(), messages=conversation("Second file.")).usage

    assert other.cache_read_input_tokens == SYSTEM_TOKENS  # the system breakpoint's prefix
    assert other.cache_creation_input_tokens == block_tokens("Second file.")
    assert other.input_tokens == 0
    assert same.cache_read_input_tokens == SYSTEM_TOKENS + block_tokens("Second file.")
    assert same.cache_creation_input_tokens == 0


def test_top_level_cache_control_marks_the_last_block(client: anthropic.Anthropic) -> None:
    system: list[TextBlockParam] = [{"type": "text", "text": LONG_SYSTEM_TEXT}]
    first = ask(client, system=system, cache_control={"type": "ephemeral"}).usage
    second = ask(client, system=system, cache_control={"type": "ephemeral"}).usage

    assert first.cache_creation_input_tokens == SYSTEM_TOKENS + QUESTION_TOKENS
    assert second.cache_read_input_tokens == SYSTEM_TOKENS + QUESTION_TOKENS


def test_more_than_four_breakpoints_is_rejected(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    with pytest.raises(anthropic.BadRequestError) as raised:
        ask(client, system=cached_system("x") * 5)

    assert raised.value.type == "invalid_request_error"
    assert raised.value.api_message == (
        "A maximum of 4 blocks with cache_control may be provided. Found 5."
    )
    assert statuses(api) == [400]


# --------------------------------------------------------------------------- validation


def test_temperature_is_rejected_with_400(api: MessagesAPI, client: anthropic.Anthropic) -> None:
    # The SDK has no temperature parameter; extra_body is the only way to send one.
    with pytest.raises(anthropic.BadRequestError) as raised:
        ask(client, extra_body={"temperature": 0.2})

    assert raised.value.type == "invalid_request_error"
    assert "temperature" in (raised.value.api_message or "")
    assert raised.value.request_id == api.requests[0].request_id


@pytest.mark.parametrize("parameter", ["top_p", "top_k"])
def test_other_sampling_parameters_are_rejected(
    client: anthropic.Anthropic, parameter: str
) -> None:
    with pytest.raises(anthropic.BadRequestError):
        ask(client, extra_body={parameter: 1})


def test_schema_object_without_additional_properties_false_is_rejected(
    client: anthropic.Anthropic,
) -> None:
    nested_open = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {}}}},
        "required": ["items"],
        "additionalProperties": False,
    }
    with pytest.raises(anthropic.BadRequestError) as raised:
        ask(client, output_config={"format": {"type": "json_schema", "schema": nested_open}})
    accepted = ask(
        client, output_config={"format": {"type": "json_schema", "schema": FINDINGS_SCHEMA}}
    )

    assert "additionalProperties" in (raised.value.api_message or "")
    assert "properties.items.items" in (raised.value.api_message or "")
    assert accepted.stop_reason == "end_turn"


def test_wrong_key_raises_authentication_error_with_request_id(api: MessagesAPI) -> None:
    with (
        anthropic.Anthropic(api_key="sk-wrong", base_url=api.base_url) as sdk,
        pytest.raises(anthropic.AuthenticationError) as raised,
    ):
        ask(sdk)

    assert raised.value.status_code == 401
    assert raised.value.type == "authentication_error"
    assert raised.value.request_id == api.requests[0].request_id
    assert raised.value.body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
        "request_id": api.requests[0].request_id,
    }
    assert statuses(api) == [401]  # not retried


def raw_post(server: MessagesAPI, path: str, headers: dict[str, str]) -> httpx2.Response:
    body = {"model": MODEL, "max_tokens": 16, "messages": QUESTION}
    return httpx2.post(f"{server.base_url}{path}", json=body, headers=headers)


def test_missing_key_and_missing_version_are_rejected(api: MessagesAPI) -> None:
    no_key = raw_post(api, "/v1/messages", {"anthropic-version": "2026-10-21"})
    no_version = raw_post(api, "/v1/messages", {"x-api-key": FAKE_API_KEY})

    assert no_key.status_code == 401
    assert no_key.json()["error"]["type"] == "authentication_error"
    assert no_version.status_code == 400
    assert no_version.json()["error"]["message"] == "anthropic-version: header is required"


def test_unknown_path_is_404_with_the_error_body(api: MessagesAPI) -> None:
    headers = {"x-api-key": FAKE_API_KEY, "anthropic-version": "2026-10-21"}
    response = raw_post(api, "/v1/complete", headers)

    assert response.status_code == 404
    request_id = response.headers["request-id"]
    assert request_id.startswith("req_")
    assert response.json() == {
        "type": "error",
        "error": {"type": "not_found_error", "message": "Not found"},
        "request_id": request_id,
    }


# --------------------------------------------------------------------------- faults


def test_429_is_retried_after_retry_after_ms(api: MessagesAPI, client: anthropic.Anthropic) -> None:
    # retry-after-ms wins over retry-after; without it the SDK would wait 0.375-0.5 s.
    api.inject(StatusFault(429, retry_after=1, retry_after_ms=150))

    message = ask(client)

    assert message.stop_reason == "end_turn"
    first, second = api.requests
    assert (first.status, second.status) == (429, 200)
    assert first.fault == StatusFault(429, retry_after=1, retry_after_ms=150)
    assert 0.15 <= second.arrived_at - first.arrived_at < 0.35


def test_faults_meet_sdk_retries_in_order(api: MessagesAPI, client: anthropic.Anthropic) -> None:
    api.inject(StatusFault(529, retry_after_ms=1), StatusFault(500, retry_after_ms=1))

    ask(client)

    assert statuses(api) == [529, 500, 200]
    assert [r.headers["x-stainless-retry-count"] for r in api.requests] == ["0", "1", "2"]
    assert api.pending_faults == ()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, anthropic.RateLimitError),
        (529, anthropic.OverloadedError),
        (500, anthropic.InternalServerError),
    ],
)
def test_persistent_status_fault_raises_its_sdk_error_after_retries(
    api: MessagesAPI,
    client: anthropic.Anthropic,
    status: int,
    error: type[anthropic.APIStatusError],
) -> None:
    api.inject(*[StatusFault(status, retry_after_ms=1)] * 3)

    with pytest.raises(error) as raised:
        ask(client)

    assert raised.value.status_code == status
    assert raised.value.request_id == api.requests[-1].request_id
    assert statuses(api) == [status] * 3


def test_x_should_retry_false_stops_the_sdk_retrying_a_500(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.inject(StatusFault(500, should_retry=False))

    with pytest.raises(anthropic.InternalServerError):
        ask(client)

    assert statuses(api) == [500]


def test_x_should_retry_true_makes_the_sdk_retry_a_400(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.inject(StatusFault(400, should_retry=True, retry_after_ms=1))

    ask(client)

    assert statuses(api) == [400, 200]


def test_injected_401_raises_authentication_error(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.inject(StatusFault(401))

    with pytest.raises(anthropic.AuthenticationError) as raised:
        ask(client)

    assert raised.value.request_id == api.requests[0].request_id


def test_stream_cut_mid_message_raises_raw_remote_protocol_error(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.inject(CutStream(after_events=4))
    seen: list[str] = []

    # The SDK neither wraps nor retries it: the trap API-NOTES describes.
    with (
        pytest.raises(httpx2.RemoteProtocolError),
        client.messages.stream(model=MODEL, max_tokens=1024, messages=QUESTION) as stream,
    ):
        seen.extend(event.type for event in stream)

    assert seen[0] == "message_start"
    assert "message_stop" not in seen
    assert len(api.requests) == 1


def test_stream_cut_with_reset_raises_raw_read_error(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.inject(CutStream(reset=True))

    with (
        pytest.raises(httpx2.ReadError),
        client.messages.stream(model=MODEL, max_tokens=1024, messages=QUESTION) as stream,
    ):
        stream.until_done()

    assert len(api.requests) == 1


def test_async_stream_cut_raises_raw_remote_protocol_error(api: MessagesAPI) -> None:
    api.inject(CutStream())

    async def consume() -> None:
        async with (
            anthropic.AsyncAnthropic(api_key=FAKE_API_KEY, base_url=api.base_url) as sdk,
            sdk.messages.stream(model=MODEL, max_tokens=1024, messages=QUESTION) as stream,
        ):
            await stream.until_done()

    with pytest.raises(httpx2.RemoteProtocolError):
        asyncio.run(consume())


def test_cut_stream_still_wrote_the_cache(api: MessagesAPI, client: anthropic.Anthropic) -> None:
    api.inject(CutStream())
    with (
        pytest.raises(httpx2.RemoteProtocolError),
        client.messages.stream(
            model=MODEL, max_tokens=1024, messages=QUESTION, system=cached_system()
        ) as stream,
    ):
        stream.until_done()

    assert ask(client, system=cached_system()).usage.cache_read_input_tokens == SYSTEM_TOKENS


def test_sse_error_event_raises_api_status_error_with_status_200(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.inject(StreamError("overloaded_error", "Overloaded"))

    with (
        pytest.raises(anthropic.APIStatusError) as raised,
        client.messages.stream(model=MODEL, max_tokens=1024, messages=QUESTION) as stream,
    ):
        stream.until_done()

    assert type(raised.value) is anthropic.APIStatusError  # no subclass matches status 200
    assert raised.value.status_code == 200
    assert raised.value.type == "overloaded_error"
    assert raised.value.request_id == api.requests[0].request_id
    assert len(api.requests) == 1  # not retried


def test_sse_error_event_keeps_the_streams_retry_headers(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.inject(StreamError(retry_after=2, retry_after_ms=1500))

    with (
        pytest.raises(anthropic.APIStatusError) as raised,
        client.messages.stream(model=MODEL, max_tokens=1024, messages=QUESTION) as stream,
    ):
        stream.until_done()

    # The wait travels on the 200 response the SDK keeps on the error.
    assert raised.value.response.headers["retry-after-ms"] == "1500"
    assert raised.value.response.headers["retry-after"] == "2"


def test_stream_cut_before_its_first_event_raises_raw_remote_protocol_error(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.inject(CutStream(after_events=0))
    seen: list[str] = []

    with (
        pytest.raises(httpx2.RemoteProtocolError),
        client.messages.stream(model=MODEL, max_tokens=1024, messages=QUESTION) as stream,
    ):
        seen.extend(event.type for event in stream)

    # The 200 had begun, so the SDK's retries were over: one request, no events.
    assert seen == []
    assert statuses(api) == [200]


def test_sse_error_fault_on_a_non_streaming_request_is_a_529(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.inject(StreamError("overloaded_error"))

    with sdk_client(api, max_retries=0) as sdk, pytest.raises(anthropic.OverloadedError):
        ask(sdk)

    assert statuses(api) == [529]


def test_connection_reset_before_response_is_retried(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.inject(ResetConnection())

    ask(client)

    assert statuses(api) == [None, 200]


def test_persistent_connection_reset_raises_api_connection_error(api: MessagesAPI) -> None:
    api.inject(ResetConnection())

    with (
        sdk_client(api, max_retries=0) as sdk,
        pytest.raises(anthropic.APIConnectionError) as raised,
    ):
        ask(sdk)

    assert isinstance(raised.value.__cause__, httpx2.ReadError)
    assert statuses(api) == [None]


def test_cut_json_body_is_retried_as_a_connection_error(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.inject(CutStream())

    message = ask(client)

    assert message.content[0].type == "text"
    assert json.loads(message.content[0].text) == DEFAULT_ANSWER
    assert len(api.requests) == 2


def test_delay_holds_back_the_first_byte(api: MessagesAPI, client: anthropic.Anthropic) -> None:
    api.inject(Delay(0.2))

    started = time.monotonic()
    ask(client)
    delayed = time.monotonic() - started
    started = time.monotonic()
    ask(client)
    undelayed = time.monotonic() - started

    assert delayed >= 0.2
    assert undelayed < 0.2


def test_latency_splits_between_first_byte_and_the_rest() -> None:
    latency = LatencyProfile(total_ms=400, first_byte_fraction=0.5)
    with MessagesAPI(latency=latency) as server, sdk_client(server) as sdk:
        started = time.monotonic()
        with sdk.messages.stream(model=MODEL, max_tokens=1024, messages=QUESTION) as stream:
            next(iter(stream))
            first_event = time.monotonic() - started
            stream.until_done()
        whole = time.monotonic() - started

    assert 0.2 <= first_event < 0.4  # message_start after half of it...
    assert 0.4 <= whole < 1.2  # ...message_stop after all of it


def test_latency_can_be_changed_between_requests(
    api: MessagesAPI, client: anthropic.Anthropic
) -> None:
    api.set_latency(LatencyProfile(total_ms=150))
    started = time.monotonic()
    ask(client)
    slow = time.monotonic() - started
    api.set_latency(None)
    started = time.monotonic()
    ask(client)
    fast = time.monotonic() - started

    assert slow >= 0.15
    assert fast < 0.15


def test_latency_samples_are_seeded() -> None:
    profile = LatencyProfile(total_ms=100, jitter_ms=50, seed=7)
    first, same_seed, other_seed = (
        LatencySampler(profile),
        LatencySampler(profile),
        LatencySampler(replace(profile, seed=8)),
    )
    first_run = [first.sample() for _ in range(5)]
    second_run = [same_seed.sample() for _ in range(5)]
    other_run = [other_seed.sample() for _ in range(5)]

    assert first_run == second_run
    assert other_run != first_run
    assert len(set(first_run)) == 5  # the jitter varies from request to request
    for timing in first_run:
        total = timing.first_byte_s + timing.rest_s
        assert 0.05 <= total <= 0.15
        assert timing.first_byte_s == pytest.approx(0.3 * total)


# --------------------------------------------------------------------------- as a process


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("529", StatusFault(529, retry_after_ms=5)),
        ("reset", ResetConnection()),
        ("cut", CutStream()),
        ("sse-error", StreamError()),
        ("delay=0.5", Delay(0.5)),
    ],
)
def test_fault_specs_parse(spec: str, fault: Fault) -> None:
    assert parse_fault(spec, retry_after_ms=5) == fault


def test_unknown_fault_spec_is_refused() -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_fault("meltdown")


def wait_for_port(path: Path, process: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 10
    while not path.exists():
        assert process.poll() is None, "the fake exited before listening"
        assert time.monotonic() < deadline, "the fake did not write its port file"
        time.sleep(0.02)
    return int(path.read_text())


def test_runs_as_a_process_serves_and_logs_requests(tmp_path: Path) -> None:
    port_file, log = tmp_path / "port", tmp_path / "requests.jsonl"
    command = [
        sys.executable, "-m", "tests.fakes.messages_api", "--port", "0",
        "--responder", "markers", "--latency-ms", "5", "--min-cacheable-tokens", "1",
        "--fault", "529", "--retry-after-ms", "1",
        "--port-file", str(port_file), "--log", str(log),
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        port = wait_for_port(port_file, process)
        with anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=f"http://127.0.0.1:{port}") as sdk:
            prompt: list[MessageParam] = [{"role": "user", "content": f"Review:\n{DIFF}"}]
            ask(sdk, messages=prompt, system=cached_system("Review code."))
            second = ask(sdk, messages=prompt, system=cached_system("Review code."))
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=10)

    assert process.returncode == 0
    assert stdout.splitlines()[0] == f"READY http://127.0.0.1:{port}"
    assert second.content[0].type == "text"
    assert len(parse_answer(second.content[0].text).findings) == 3
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["status"] for line in lines] == [529, 200, 200]
    assert lines[0]["fault"]["kind"] == "StatusFault"
    assert lines[1]["cache"]["cache_creation_input_tokens"] == block_tokens("Review code.")
    assert lines[2]["cache"]["cache_read_input_tokens"] == block_tokens("Review code.")
    assert lines[2]["headers"]["authorization"] == "<redacted>"
    assert lines[2]["body"]["model"] == MODEL
