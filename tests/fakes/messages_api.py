"""A local stand-in for the Anthropic Messages API, for tests and benchmarks.

The real ``anthropic`` SDK talks to it through ``base_url``: the wire formats
(JSON message, SSE stream, error bodies, headers) follow what the SDK parses
(checked against 2.10 and 2.16), and each shape below names the SDK file it was taken from.

    with MessagesAPI(markers_responder()) as api:
        client = anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=api.base_url)
        api.inject(StatusFault(529, retry_after_ms=1))  # the first attempt fails...
        message = client.messages.create(model=..., max_tokens=..., messages=[...])
        assert [r.status for r in api.requests] == [529, 200]  # ...the SDK's retry succeeds

What it models, and how:

* **Endpoints.** ``POST /v1/messages`` (JSON, or SSE when ``stream`` is true) and
  ``POST /v1/messages/count_tokens``. Anything else is a 404 with the API's
  error body.
* **Providers.** The same messages, as the SDK's Bedrock and Vertex clients send
  them (``anthropic/lib/bedrock/_client.py`` and ``lib/vertex/_client.py``,
  ``_prepare_options``): the model moves from the body into the path and
  ``anthropic_version`` into the body. Amazon Bedrock: ``POST /model/{model}/invoke``
  (JSON) and ``/model/{model}/invoke-with-response-stream``, which streams each
  Messages event as a ``chunk`` message of AWS's binary event stream
  (``application/vnd.amazon.eventstream``, see ``eventstream_message``), its JSON
  payload ``{"bytes": base64 of the event's JSON}``, which is what the SDK's
  ``AWSEventStreamDecoder`` (``lib/bedrock/_stream_decoder.py``, via botocore's
  ``EventStreamJSONParser`` and the bedrock-runtime service model) decodes; an
  SSE ``error`` event becomes an ``internalServerException`` message. The request
  must carry a SigV4 ``Authorization: AWS4-HMAC-SHA256 Credential=...`` header
  (its signature is not checked). Google Vertex AI: ``POST [/v1]/projects/{project}
  /locations/{region}/publishers/anthropic/models/{model}:rawPredict`` (JSON) and
  ``:streamRawPredict`` (SSE, ``stream`` stays in the body), with
  ``Authorization: Bearer <vertex_access_token>``. Provider-specific error bodies
  are modelled only for authentication; other errors use the Anthropic shape. The key must arrive as ``Authorization: Bearer <key>`` (what SDK
  2.10 to 2.16 send, ``_client.py`` ``_api_key_auth``) or ``x-api-key``;
  ``anthropic-version`` must be present. ``temperature``/``top_p``/``top_k`` and
  a structured-output schema with an object lacking ``additionalProperties:
  false`` are 400s, as on the real 2.x API.
* **Tokens.** ``estimate_tokens``: ceil(UTF-8 bytes / 4) of each prompt block's
  canonical JSON (sorted keys, no spaces, ``cache_control`` left out), summed.
  Deterministic, so the same request always costs the same.
* **Prompt caching** (``PromptCache``). The prompt is the sequence tools →
  system → messages; each block carrying ``cache_control`` (or the last block,
  for a top-level ``cache_control``) is a breakpoint, at most four. On each
  request the longest breakpoint prefix that is cached, available and unexpired
  is read; the last breakpoint prefix, if longer than that and at least
  ``min_cacheable_tokens``, is written (billed as its tokens minus those read);
  the rest is ``input_tokens``. A written entry becomes available only when the
  response that wrote it begins (``message_start`` sent, or the JSON response
  starts), so requests arriving before then miss and write again. Entries live
  5 minutes (or an hour for ``ttl: "1h"``) by the injectable clock, refreshed
  by each read. Not modelled: the API's 20-block lookback before a breakpoint,
  cache invalidation by changed ``tool_choice``/``thinking``/output format, and
  the rule that 1-hour breakpoints precede 5-minute ones.
* **Replies.** A *responder* turns the typed ``MessagesRequest`` into the
  answer: any JSON value (sent as the text block, ``stop_reason: end_turn``) or
  a ``RawReply`` (text, stop reason, output tokens). A JSON answer longer than
  ``max_tokens`` is cut and stops with ``max_tokens``, as the model would.
* **Tool use.** A responder may answer with a ``ToolUseReply``: ``tool_use``
  content blocks (``{id, name, input}``), ``stop_reason: tool_use``, and when
  streamed each input arrives as ``input_json_delta.partial_json`` pieces
  (docs.claude.com/en/docs/build-with-claude/streaming, "Input JSON delta").
  Such a reply to a request without ``tools``, or with ``tool_choice: none``, is
  a responder error. A request whose previous assistant turn asked for tools must
  start its next user message with one ``tool_result`` per ``tool_use`` id,
  before any text; otherwise it is a 400, as on the API
  (docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use,
  "Handling results from client tools"). ``MessagesRequest.tool_results`` gives
  responders what came back.
* **Faults** (``inject``): ``StatusFault``, ``CutStream``, ``StreamError``,
  ``Delay``, ``ResetConnection``; queued, each consumed by the next
  ``POST /v1/messages`` that passed authentication and validation, in order, so
  SDK retries meet them one by one. count_tokens never consumes one.
* **Latency** (``LatencyProfile``): a seeded, jittered per-request latency,
  split between time to the first byte and the rest of the stream.
* **Log** (``requests``): a ``RecordedRequest`` per request, in arrival order,
  with the status, fault and ``CacheAccounting`` decided on arrival.

Run as a process (for tests of other processes and benchmarks)::

    python -m tests.fakes.messages_api --port 0 --responder markers \\
        --latency-ms 50 --port-file PORT --log requests.jsonl

It writes its port to ``--port-file``, prints ``READY <base_url>``, appends one
JSON line per request to ``--log``, and serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib
import json
import math
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, MappingProxyType, TracebackType
from typing import IO, Any, Final, Literal, TypeAlias

# --------------------------------------------------------------------------- constants

FAKE_API_KEY: Final = "sk-ant-fake-key"
FAKE_VERTEX_ACCESS_TOKEN: Final = "ya29.fake-vertex-access-token"
SIGV4_ALGORITHM: Final = "AWS4-HMAC-SHA256"
EVENTSTREAM_CONTENT_TYPE: Final = "application/vnd.amazon.eventstream"
SSE_CONTENT_TYPE: Final = "text/event-stream; charset=utf-8"
DEFAULT_MIN_CACHEABLE_TOKENS: Final = 4096  # API-NOTES: undocumented for the 5.5 family
MAX_CACHE_BREAKPOINTS: Final = 4
CACHE_TTL_SECONDS: Final[Mapping[str, float]] = MappingProxyType({"5m": 300.0, "1h": 3600.0})
REJECTED_SAMPLING_PARAMETERS: Final = ("temperature", "top_p", "top_k")
MESSAGES_PATH: Final = "/v1/messages"
COUNT_TOKENS_PATH: Final = "/v1/messages/count_tokens"
BATCHES_PATH: Final = "/v1/messages/batches"

StopReason: TypeAlias = Literal[
    # anthropic/types/stop_reason.py
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
]

# anthropic/types/shared/error_type.py names the types; the status each goes with is the
# API's errors page (400, 401, 402, 403, 404, 429, 500, 504, 529).
_ERROR_TYPE_BY_STATUS: Final[Mapping[int, str]] = MappingProxyType(
    {
        400: "invalid_request_error",
        401: "authentication_error",
        402: "billing_error",
        403: "permission_error",
        404: "not_found_error",
        408: "timeout_error",
        409: "conflict_error",
        429: "rate_limit_error",
        500: "api_error",
        504: "timeout_error",
        529: "overloaded_error",
    }
)
_STATUS_BY_ERROR_TYPE: Final[Mapping[str, int]] = MappingProxyType(
    {"overloaded_error": 529, "api_error": 500, "rate_limit_error": 429, "timeout_error": 504}
)

JSONValue: TypeAlias = (
    "bool | int | float | str | Sequence[JSONValue] | Mapping[str, JSONValue] | None"
)


def error_type_for(status: int) -> str:
    """The ``error.type`` the API sends with an HTTP status."""
    known = _ERROR_TYPE_BY_STATUS.get(status)
    if known is not None:
        return known
    return "api_error" if status >= 500 else "invalid_request_error"


def error_body(error_type: str, message: str, request_id: str | None) -> dict[str, Any]:
    """The API's error body (anthropic/types/shared/error_response.py)."""
    body: dict[str, Any] = {"type": "error", "error": {"type": error_type, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return body


# --------------------------------------------------------------------------- tokens


def canonical_json(value: object) -> str:
    """The byte-stable spelling used for token counts and cache keys."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def estimate_tokens(text: str) -> int:
    """About four UTF-8 bytes per token: an approximation, but a deterministic one."""
    return math.ceil(len(text.encode("utf-8")) / 4)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class CacheAccounting:
    """How a request's prompt tokens were billed: the three parts sum to the prompt."""

    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    ephemeral_5m_input_tokens: int = 0  # the split of cache_creation_input_tokens by TTL
    ephemeral_1h_input_tokens: int = 0

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens


@dataclass(frozen=True)
class Turn:
    """One message of the conversation, its text blocks joined by newlines."""

    role: str
    text: str


@dataclass(frozen=True)
class MessagesRequest:
    """What a responder is given: the request body, parsed."""

    model: str
    max_tokens: int
    stream: bool
    system: str  # the system prompt's text blocks joined by newlines
    turns: tuple[Turn, ...]
    output_schema: Mapping[str, Any] | None  # output_config.format.schema, if any
    body: Mapping[str, Any] = field(repr=False, compare=False)  # the raw JSON, for the rest

    @property
    def user_text(self) -> str:
        """Every user turn's text, in order: where the diff to review is."""
        return "\n".join(turn.text for turn in self.turns if turn.role == "user")

    @property
    def tool_turns(self) -> int:
        """How many assistant turns of the conversation so far asked for tools."""
        return sum(
            1
            for message in self.body["messages"]
            if message["role"] == "assistant" and _tool_use_ids(message["content"])
        )

    @property
    def tool_results(self) -> tuple[ToolResultSeen, ...]:
        """The ``tool_result`` blocks of the newest user message, in order."""
        blocks = _content_blocks(self.body["messages"][-1]["content"])
        return tuple(
            ToolResultSeen(
                str(block["tool_use_id"]),
                _text_of(block.get("content")),
                block.get("is_error") is True,
            )
            for block in blocks
            if isinstance(block, dict) and block.get("type") == "tool_result"
        )

    @property
    def offers_tools(self) -> bool:
        """Tools are defined and ``tool_choice`` does not rule them out."""
        choice = self.body.get("tool_choice") or {}
        return bool(self.body.get("tools")) and choice.get("type") != "none"


@dataclass(frozen=True)
class RawReply:
    """A reply given verbatim; ``output_tokens`` defaults to the estimate of ``text``."""

    text: str
    stop_reason: StopReason = "end_turn"
    output_tokens: int | None = None
    stop_sequence: str | None = None


@dataclass(frozen=True)
class ToolCallSpec:
    """One tool call a scripted model makes: its ``tool_use`` block's name and input."""

    name: str
    input: Mapping[str, Any]


@dataclass(frozen=True)
class ToolUseReply:
    """A turn that asks for tools: optional text, then one ``tool_use`` block per call."""

    calls: tuple[ToolCallSpec, ...]
    text: str = ""
    output_tokens: int | None = None


@dataclass(frozen=True)
class ToolResultSeen:
    """A ``tool_result`` block of the request's newest user message."""

    tool_use_id: str
    content: str  # the text, its blocks joined
    is_error: bool


Reply: TypeAlias = "RawReply | ToolUseReply | JSONValue"
Responder: TypeAlias = Callable[[MessagesRequest], Reply]


def no_findings(request: MessagesRequest) -> Reply:
    """The default responder: a clean review in the shape of reviewer.schema
    (and keep for a verification request)."""
    if is_verification(request):
        return keep_verdict()
    return {"summary": "No issues found.", "findings": []}


def is_verification(request: MessagesRequest | RecordedRequest) -> bool:
    """A request of the verification pass (see ``asks_for_a_verdict``)."""
    return asks_for_a_verdict(request.body)


def asks_for_a_verdict(body: object) -> bool:
    """The body's answer schema is reviewer.verify's VERDICT_SCHEMA (a ``decision``),
    not the review's findings; ``body`` is a request's JSON, as logged too."""
    if not isinstance(body, Mapping):
        return False
    output_config = body.get("output_config")
    output_format = output_config.get("format") if isinstance(output_config, Mapping) else None
    schema = output_format.get("schema") if isinstance(output_format, Mapping) else None
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    return isinstance(properties, Mapping) and "decision" in properties


def keep_verdict(reason: str = "The problem is real.") -> Reply:
    """A verification answer that keeps the finding (reviewer.verify.VERDICT_SCHEMA)."""
    return {"decision": "keep", "confidence": 0.9, "reason": reason}


def review_requests(requests: Iterable[RecordedRequest]) -> list[RecordedRequest]:
    """The requests of the review itself: everything but the verification pass's."""
    return [request for request in requests if not is_verification(request)]


def verification_requests(requests: Iterable[RecordedRequest]) -> list[RecordedRequest]:
    return [request for request in requests if is_verification(request)]


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class StatusFault:
    """Answer with an HTTP error status and the API's error body.

    ``retry_after`` (seconds) and ``retry_after_ms`` become the ``retry-after`` and
    ``retry-after-ms`` headers; ``should_retry`` the ``x-should-retry`` header, which
    the SDK obeys over its status rules (anthropic/_base_client.py ``_should_retry``).
    SDK 2.10 to 2.16 retry 408/409/429/5xx and raises the status's APIStatusError subclass
    (RateLimitError, OverloadedError, InternalServerError, AuthenticationError, ...).
    """

    status: int
    error_type: str | None = None  # defaults to the type the API sends with the status
    message: str = "Injected fault"
    retry_after: float | None = None
    retry_after_ms: float | None = None
    should_retry: bool | None = None

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["retry-after"] = f"{self.retry_after:g}"
        if self.retry_after_ms is not None:
            headers["retry-after-ms"] = f"{self.retry_after_ms:g}"
        if self.should_retry is not None:
            headers["x-should-retry"] = "true" if self.should_retry else "false"
        return headers

    @property
    def type(self) -> str:
        return self.error_type or error_type_for(self.status)


@dataclass(frozen=True)
class CutStream:
    """Send the first ``after_events`` SSE events, then drop the connection.

    The cut always comes before ``message_stop``. With ``reset`` the socket is
    reset (RST) rather than closed (FIN). A non-streaming request gets half its
    JSON body before the cut.

    SDK 2.10 to 2.16 raise a raw ``httpx2.RemoteProtocolError`` (``httpx2.ReadError`` with
    ``reset``) from the stream, unwrapped and not retried; a cut JSON body fails
    inside the request, so it is an ``APIConnectionError`` and is retried.
    """

    after_events: int = 4  # message_start, content_block_start, ping, one text delta
    reset: bool = False


@dataclass(frozen=True)
class StreamError:
    """Send the first ``after_events`` SSE events, then an ``error`` event, then end.

    A non-streaming request gets the same error as an HTTP status instead
    (overloaded_error → 529), which is what the API does.

    SDK 2.10 to 2.16 raise a bare ``APIStatusError`` with ``status_code`` 200 (no subclass
    matches 200) and ``type`` from the event; it is not retried.
    """

    error_type: str = "overloaded_error"
    message: str = "Overloaded"
    after_events: int = 4
    # Sent as ``retry-after`` / ``retry-after-ms`` on the stream's response: the error
    # event comes after the 200's headers, so a server that knows it is overloaded can
    # only say how long to wait there (the SDK keeps the response on the exception).
    retry_after: float | None = None
    retry_after_ms: float | None = None

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["retry-after"] = f"{self.retry_after:g}"
        if self.retry_after_ms is not None:
            headers["retry-after-ms"] = f"{self.retry_after_ms:g}"
        return headers


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` before the response starts (time to first byte), then answer."""

    seconds: float


@dataclass(frozen=True)
class ResetConnection:
    """Reset the connection (RST) once the request is read, before any response.

    SDK 2.10 to 2.16: ``APIConnectionError`` (its ``__cause__`` an ``httpx2.ReadError``), retried.
    """


Fault: TypeAlias = StatusFault | CutStream | StreamError | Delay | ResetConnection


# --------------------------------------------------------------------------- latency


@dataclass(frozen=True)
class Timing:
    """When one response's bytes go out, after the request arrived."""

    first_byte_s: float  # until the response begins (message_start, or the JSON)
    rest_s: float  # from message_start to message_stop; a JSON reply waits for it too


NO_LATENCY: Final = Timing(first_byte_s=0.0, rest_s=0.0)


@dataclass(frozen=True)
class LatencyProfile:
    """Per-request latency: ``total_ms`` ± uniform ``jitter_ms``, seeded.

    ``first_byte_fraction`` of it passes before the response begins, the rest is
    spread over the stream's events. A JSON reply is sent after the whole of it.
    """

    total_ms: float
    jitter_ms: float = 0.0
    first_byte_fraction: float = 0.3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.total_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency and jitter must not be negative")
        if not 0.0 <= self.first_byte_fraction <= 1.0:
            raise ValueError("first_byte_fraction must be within [0, 1]")


class LatencySampler:
    """Draws timings in arrival order from one seeded generator: same seed, same run."""

    def __init__(self, profile: LatencyProfile | None) -> None:
        self._profile = profile
        self._random = random.Random(profile.seed if profile else 0)

    def sample(self) -> Timing:
        profile = self._profile
        if profile is None:
            return NO_LATENCY
        jitter = self._random.uniform(-profile.jitter_ms, profile.jitter_ms)
        total_s = max(0.0, profile.total_ms + jitter) / 1000
        first_byte_s = total_s * profile.first_byte_fraction
        return Timing(first_byte_s=first_byte_s, rest_s=total_s - first_byte_s)


# --------------------------------------------------------------------------- clock


class ManualClock:
    """A clock that moves only when told to, for cache TTL tests."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


# --------------------------------------------------------------------------- request log


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received, and what the fake decided when it arrived."""

    index: int
    method: str
    path: str
    headers: Mapping[str, str]  # names lower-cased
    body: Any  # the parsed JSON, or None when the body was not JSON
    arrived_at: float  # by the server's clock
    request_id: str
    status: int | None  # the status decided on arrival; None when the connection was reset
    fault: Fault | None = None
    cache: CacheAccounting | None = None  # None unless the request was answered with a message
    provider: str = "anthropic"  # "bedrock" or "vertex" when it came by that provider's path
    model: str | None = None  # for a provider's path: the model id taken from the path

    @property
    def stream(self) -> bool:
        if self.provider == "bedrock":
            return self.path.endswith("/invoke-with-response-stream")
        return isinstance(self.body, dict) and self.body.get("stream") is True

    def to_json(self) -> dict[str, Any]:
        """The request log line (``--log``); credentials are redacted."""
        return {
            "index": self.index,
            "method": self.method,
            "path": self.path,
            "provider": self.provider,
            "model": self.model,
            "request_id": self.request_id,
            "arrived_at": self.arrived_at,
            "status": self.status,
            "stream": self.stream,
            "fault": _fault_json(self.fault),
            "cache": asdict(self.cache) if self.cache else None,
            "headers": {name: _redact(name, value) for name, value in self.headers.items()},
            "body": self.body,
        }


def _fault_json(fault: Fault | None) -> dict[str, Any] | None:
    if fault is None:
        return None
    return {"kind": type(fault).__name__, **asdict(fault)}


def _redact(name: str, value: str) -> str:
    return "<redacted>" if name in ("authorization", "x-api-key") else value


# --------------------------------------------------------------------------- prompt


@dataclass(frozen=True)
class Breakpoint:
    """A cacheable prefix: everything up to and including a block with cache_control."""

    prefix_hash: str
    tokens: int  # of the whole prefix
    ttl: str  # "5m" or "1h"


@dataclass(frozen=True)
class Prompt:
    """A request's prompt as the cache sees it."""

    total_tokens: int
    breakpoints: tuple[Breakpoint, ...]  # in prompt order, so by growing length


@dataclass(frozen=True)
class _Block:
    key: str  # canonical JSON of where the block is and what it holds
    tokens: int
    ttl: str | None  # None: not a breakpoint


class InvalidRequest(ValueError):
    """The body breaks one of the API's rules; the message is the API's wording or near it."""


def read_prompt(body: Mapping[str, Any]) -> Prompt:
    """Token count and cache breakpoints of a request body; InvalidRequest if malformed."""
    blocks = _prompt_blocks(body)
    blocks = _apply_top_level_cache_control(blocks, body.get("cache_control"))
    marked = sum(1 for block in blocks if block.ttl is not None)
    if marked > MAX_CACHE_BREAKPOINTS:
        # Wording seen from the API (tghamm/Anthropic.SDK#50).
        raise InvalidRequest(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {marked}."
        )
    # The model is part of the key: caches are not shared between models.
    digest = hashlib.sha256(canonical_json({"model": body["model"]}).encode())
    tokens = 0
    breakpoints: list[Breakpoint] = []
    for block in blocks:
        digest.update(block.key.encode())
        tokens += block.tokens
        if block.ttl is not None:
            breakpoints.append(Breakpoint(digest.copy().hexdigest(), tokens, block.ttl))
    return Prompt(total_tokens=tokens, breakpoints=tuple(breakpoints))


def _prompt_blocks(body: Mapping[str, Any]) -> list[_Block]:
    blocks = [_block(["tools"], tool) for tool in _list(body, "tools")]
    blocks += [_block(["system"], block) for block in _content_blocks(body.get("system"))]
    for index, message in enumerate(body["messages"]):
        where = ["messages", index, message["role"]]
        blocks += [_block(where, block) for block in _content_blocks(message["content"])]
    return blocks


def _block(where: list[Any], block: object) -> _Block:
    if not isinstance(block, dict):
        raise InvalidRequest(f"{where[0]}: each block must be an object")
    content = {key: value for key, value in block.items() if key != "cache_control"}
    ttl = _ttl(block["cache_control"]) if block.get("cache_control") is not None else None
    return _Block(canonical_json([*where, content]), estimate_tokens(canonical_json(content)), ttl)


def _ttl(cache_control: object) -> str:
    # anthropic/types/cache_control_ephemeral_param.py: type "ephemeral", ttl "5m" | "1h"
    if not isinstance(cache_control, dict) or cache_control.get("type") != "ephemeral":
        raise InvalidRequest("cache_control.type: Input should be 'ephemeral'")
    ttl = cache_control.get("ttl", "5m")
    if ttl not in CACHE_TTL_SECONDS:
        raise InvalidRequest("cache_control.ttl: Input should be '5m' or '1h'")
    return str(ttl)


def _apply_top_level_cache_control(blocks: list[_Block], cache_control: object) -> list[_Block]:
    """A top-level cache_control marks the last block (anthropic messages.create docs)."""
    if cache_control is None or not blocks or blocks[-1].ttl is not None:
        return blocks
    last = blocks[-1]
    return [*blocks[:-1], _Block(last.key, last.tokens, _ttl(cache_control))]


def _content_blocks(content: object) -> list[object]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return list(content)
    raise InvalidRequest("content must be a string or a list of content blocks")


def _list(body: Mapping[str, Any], key: str) -> list[Any]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidRequest(f"{key}: Input should be a valid list")
    return value


# --------------------------------------------------------------------------- validation


def validate_body(body: object, *, counting: bool) -> Mapping[str, Any]:
    """Check a Messages (or count_tokens) body the way the API does; return it."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body is not valid JSON.")
    for name in REJECTED_SAMPLING_PARAMETERS:
        if name in body:
            raise InvalidRequest(f"`{name}` is not supported for this model.")
    if not isinstance(body.get("model"), str):
        raise InvalidRequest("model: Field required")
    if not counting:
        max_tokens = body.get("max_tokens")
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise InvalidRequest("max_tokens: Field required, an integer of at least 1")
        if not isinstance(body.get("stream", False), bool):
            raise InvalidRequest("stream: Input should be a valid boolean")
    _validate_messages(body.get("messages"))
    schema = _output_schema(body)
    if schema is not None:
        _require_closed_objects(schema, "output_config.format.schema")
    return body


def _validate_messages(messages: object) -> None:
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages: at least one message is required")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise InvalidRequest(f"messages.{index}.role: Input should be 'user' or 'assistant'")
        if not isinstance(message.get("content"), str | list):
            raise InvalidRequest(f"messages.{index}.content: Field required")
        if index and messages[index - 1]["role"] == "assistant":
            _require_tool_results(index, _tool_use_ids(messages[index - 1]["content"]), message)


def _tool_use_ids(content: object) -> list[str]:
    return [
        str(block.get("id"))
        for block in _content_blocks(content)
        if isinstance(block, dict) and block.get("type") == "tool_use"
    ]


def _require_tool_results(index: int, wanted: list[str], message: Mapping[str, Any]) -> None:
    """The message after a tool_use turn starts with a tool_result for each id (the API's
    wording, implement-tool-use docs)."""
    if not wanted:
        return
    blocks = _content_blocks(message["content"])
    leading: list[str] = []
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") != "tool_result":
            break
        leading.append(str(block.get("tool_use_id")))
    later = [
        b for b in blocks[len(leading) :] if isinstance(b, dict) and b.get("type") == "tool_result"
    ]
    if message["role"] != "user" or sorted(leading) != sorted(wanted) or later:
        raise InvalidRequest(
            f"messages.{index}: `tool_use` ids were found without `tool_result` blocks "
            f"immediately after: {', '.join(wanted)}. Each `tool_use` block must have a "
            "corresponding `tool_result` block in the next message, before any other content."
        )


def _output_schema(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    output_config = body.get("output_config")
    if not isinstance(output_config, dict):
        return None
    output_format = output_config.get("format")
    if not isinstance(output_format, dict):
        return None
    schema = output_format.get("schema")
    if not isinstance(schema, dict):
        raise InvalidRequest("output_config.format.schema: Field required")
    return schema


def _require_closed_objects(schema: object, where: str) -> None:
    """Structured outputs want ``additionalProperties: false`` on every object schema."""
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    is_object = kind == "object" or (isinstance(kind, list) and "object" in kind)
    if (is_object or "properties" in schema) and schema.get("additionalProperties") is not False:
        # Wording seen from the API (ax-llm/ax#458, veryfront/veryfront-code#3921).
        raise InvalidRequest(
            f"{where}: For 'object' type, 'additionalProperties' must be explicitly set to false"
        )
    for path, subschema in _subschemas(schema, where):
        _require_closed_objects(subschema, path)


def _subschemas(schema: Mapping[str, Any], where: str) -> Iterator[tuple[str, object]]:
    """The schemas nested in a schema, by the keywords that hold them (not by guessing)."""
    for keyword in ("properties", "$defs", "definitions"):
        for name, subschema in (schema.get(keyword) or {}).items():
            yield f"{where}.{keyword}.{name}", subschema
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for index, subschema in enumerate(schema.get(keyword) or []):
            yield f"{where}.{keyword}.{index}", subschema
    for keyword in ("items", "not"):
        if keyword in schema:
            yield f"{where}.{keyword}", schema[keyword]


def parse_request(body: Mapping[str, Any]) -> MessagesRequest:
    """The typed view of a validated Messages body that responders receive."""
    return MessagesRequest(
        model=body["model"],
        max_tokens=body["max_tokens"],
        stream=body.get("stream") is True,
        system=_text_of(body.get("system")),
        turns=tuple(Turn(m["role"], _text_of(m["content"])) for m in body["messages"]),
        output_schema=_output_schema(body),
        body=MappingProxyType(dict(body)),
    )


def _text_of(content: object) -> str:
    texts = (
        block["text"]
        for block in _content_blocks(content)
        if isinstance(block, dict) and block.get("type") == "text"
    )
    return "\n".join(str(text) for text in texts)


# --------------------------------------------------------------------------- cache


@dataclass(frozen=True)
class _Entry:
    expires_at: float
    ttl: str


@dataclass(frozen=True)
class CachePlan:
    """A request's cache outcome, decided on arrival; ``writes`` land when it begins."""

    accounting: CacheAccounting
    writes: tuple[Breakpoint, ...]


class PromptCache:
    """The prompt cache, billed the way the API bills (see the module docstring).

    Not thread-safe: MessagesAPI calls it under its lock.
    """

    def __init__(self, clock: Callable[[], float], min_cacheable_tokens: int) -> None:
        self._clock = clock
        self._min_tokens = min_cacheable_tokens
        self._entries: dict[str, _Entry] = {}

    def plan(self, prompt: Prompt) -> CachePlan:
        """Look the prompt up now: read the longest live prefix, plan the write."""
        now = self._clock()
        self._drop_expired(now)
        read = self._read(prompt.breakpoints, now)
        writes = self._writes(prompt.breakpoints, read)
        by_ttl = _creation_by_ttl(prompt.breakpoints, read) if writes else {}
        creation = sum(by_ttl.values())
        return CachePlan(
            accounting=CacheAccounting(
                input_tokens=prompt.total_tokens - read - creation,
                cache_creation_input_tokens=creation,
                cache_read_input_tokens=read,
                ephemeral_5m_input_tokens=by_ttl.get("5m", 0),
                ephemeral_1h_input_tokens=by_ttl.get("1h", 0),
            ),
            writes=writes,
        )

    def commit(self, plan: CachePlan) -> None:
        """Make the plan's writes available: called as its response begins."""
        now = self._clock()
        for breakpoint in plan.writes:
            self._entries[breakpoint.prefix_hash] = _Entry(
                now + CACHE_TTL_SECONDS[breakpoint.ttl], breakpoint.ttl
            )

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        now = self._clock()
        return sum(1 for entry in self._entries.values() if entry.expires_at > now)

    def _drop_expired(self, now: float) -> None:
        for key in [key for key, entry in self._entries.items() if entry.expires_at <= now]:
            del self._entries[key]

    def _read(self, breakpoints: Sequence[Breakpoint], now: float) -> int:
        for breakpoint in reversed(breakpoints):
            entry = self._entries.get(breakpoint.prefix_hash)
            if entry is not None:
                # A hit refreshes the entry's lifetime at no cost (prompt caching docs).
                self._entries[breakpoint.prefix_hash] = _Entry(
                    now + CACHE_TTL_SECONDS[entry.ttl], entry.ttl
                )
                return breakpoint.tokens
        return 0

    def _writes(self, breakpoints: Sequence[Breakpoint], read: int) -> tuple[Breakpoint, ...]:
        if not breakpoints:
            return ()
        last = breakpoints[-1]
        if last.tokens <= read or last.tokens < self._min_tokens:
            return ()
        # Writing the last prefix stores each breakpoint's prefix inside it, so a later
        # request sharing only an earlier breakpoint (say the system prompt) hits that.
        return tuple(b for b in breakpoints if b.tokens > read and b.tokens >= self._min_tokens)


def _creation_by_ttl(breakpoints: Sequence[Breakpoint], read: int) -> dict[str, int]:
    """Split the written tokens by TTL: each stretch goes with the breakpoint closing it."""
    by_ttl: dict[str, int] = {}
    lower = read
    for breakpoint in breakpoints:
        if breakpoint.tokens <= read:
            continue
        by_ttl[breakpoint.ttl] = by_ttl.get(breakpoint.ttl, 0) + breakpoint.tokens - lower
        lower = breakpoint.tokens
    return by_ttl


# --------------------------------------------------------------------------- wire shapes


@dataclass(frozen=True)
class _Answer:
    text: str
    stop_reason: StopReason
    stop_sequence: str | None
    output_tokens: int
    tool_uses: tuple[dict[str, Any], ...] = ()  # {"type": "tool_use", "id", "name", "input"}

    def content(self) -> list[dict[str, Any]]:
        """The message's content blocks (anthropic/types/text_block.py, tool_use_block.py)."""
        text = [{"type": "text", "text": self.text}] if self.text or not self.tool_uses else []
        return [*text, *self.tool_uses]


def answer_for(reply: Reply, max_tokens: int) -> _Answer:
    """Turn a responder's reply into what is sent, cutting a JSON answer at max_tokens."""
    if isinstance(reply, ToolUseReply):
        uses = tuple(
            {"type": "tool_use", "id": new_id("toolu_"), "name": c.name, "input": dict(c.input)}
            for c in reply.calls
        )
        spent = reply.output_tokens or max(1, estimate_tokens(reply.text + canonical_json(uses)))
        return _Answer(reply.text, "tool_use", None, spent, uses)
    if isinstance(reply, RawReply):
        tokens = reply.output_tokens
        if tokens is None:
            tokens = max(1, estimate_tokens(reply.text))
        return _Answer(reply.text, reply.stop_reason, reply.stop_sequence, tokens)
    text = json.dumps(reply, ensure_ascii=False)
    tokens = max(1, estimate_tokens(text))
    if tokens <= max_tokens:
        return _Answer(text, "end_turn", None, tokens)
    cut = text.encode("utf-8")[: max_tokens * 4].decode("utf-8", errors="ignore")
    return _Answer(cut, "max_tokens", None, max_tokens)


def _usage(accounting: CacheAccounting, output_tokens: int) -> dict[str, Any]:
    # anthropic/types/usage.py and cache_creation.py
    return {
        "input_tokens": accounting.input_tokens,
        "cache_creation_input_tokens": accounting.cache_creation_input_tokens,
        "cache_read_input_tokens": accounting.cache_read_input_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": accounting.ephemeral_5m_input_tokens,
            "ephemeral_1h_input_tokens": accounting.ephemeral_1h_input_tokens,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _stop_details(stop_reason: StopReason) -> dict[str, Any] | None:
    # anthropic/types/refusal_stop_details.py: only a refusal carries details
    if stop_reason != "refusal":
        return None
    return {"type": "refusal", "category": None, "explanation": None}


def message_json(
    message_id: str, model: str, answer: _Answer, accounting: CacheAccounting
) -> dict[str, Any]:
    """A complete Message (anthropic/types/message.py)."""
    message: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": answer.content(),
        "stop_reason": answer.stop_reason,
        "stop_sequence": answer.stop_sequence,
        "usage": _usage(accounting, answer.output_tokens),
    }
    details = _stop_details(answer.stop_reason)
    if details is not None:
        message["stop_details"] = details
    return message


SSEEvent: TypeAlias = tuple[str, dict[str, Any]]


def stream_events(
    message_id: str,
    model: str,
    answer: _Answer,
    accounting: CacheAccounting,
    chunk_chars: int,
) -> list[SSEEvent]:
    """The SSE events of one message, in the Messages streaming order.

    Shapes from anthropic/types/raw_message_start_event.py, raw_content_block_*_event.py,
    raw_message_delta_event.py (message_delta usage is cumulative, message_delta_usage.py)
    and raw_message_stop_event.py; the ping's place is the streaming docs' example.
    """
    start: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage(accounting, 1),
    }
    final_usage = _usage(accounting, answer.output_tokens)
    del final_usage["cache_creation"], final_usage["service_tier"]
    delta: dict[str, Any] = {
        "stop_reason": answer.stop_reason,
        "stop_sequence": answer.stop_sequence,
    }
    details = _stop_details(answer.stop_reason)
    if details is not None:
        delta["stop_details"] = details
    blocks = _block_events(answer, chunk_chars)
    return [
        ("message_start", {"type": "message_start", "message": start}),
        blocks[0],
        ("ping", {"type": "ping"}),
        *blocks[1:],
        ("message_delta", {"type": "message_delta", "delta": delta, "usage": final_usage}),
        ("message_stop", {"type": "message_stop"}),
    ]


def _block_events(answer: _Answer, chunk_chars: int) -> list[SSEEvent]:
    """start, deltas, stop for each content block: text as ``text_delta`` pieces, a tool's
    input as ``input_json_delta`` pieces of its JSON (the streaming docs' shapes)."""
    events: list[SSEEvent] = []
    for index, block in enumerate(answer.content()):
        if block["type"] == "text":
            opened: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [
                {"type": "text_delta", "text": p} for p in _pieces(block["text"], chunk_chars)
            ]
        else:
            opened = {**block, "input": {}}
            json_text = json.dumps(block["input"], ensure_ascii=False)
            deltas = [
                {"type": "input_json_delta", "partial_json": p}
                for p in _pieces(json_text, chunk_chars)
            ]
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": opened},
            )
        )
        events += [
            ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
            for d in deltas
        ]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def _pieces(text: str, size: int) -> Iterator[str]:
    for start in range(0, len(text), size):
        yield text[start : start + size]


def sse_bytes(name: str, data: Mapping[str, Any]) -> bytes:
    """One event as the SDK's SSEDecoder reads it (anthropic/_streaming.py)."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def eventstream_message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One message of AWS's binary event stream encoding.

    The layout is the AWS spec's ("Event stream encoding", in the Amazon Transcribe
    and S3 Select developer guides; botocore/eventstream.py decodes it): a prelude of
    total length and headers length (big-endian uint32), the CRC32 of those 8 bytes,
    the headers, the payload, then the CRC32 of everything before it. Each header is
    its name's length (uint8), the name, the value type (7: string), the value's
    length (uint16) and the value.
    """
    encoded_headers = b"".join(
        struct.pack("!B", len(name.encode()))
        + name.encode()
        + struct.pack("!BH", 7, len(value.encode()))
        + value.encode()
        for name, value in headers.items()
    )
    total_length = 12 + len(encoded_headers) + len(payload) + 4
    prelude = struct.pack("!II", total_length, len(encoded_headers))
    message = prelude + struct.pack("!I", zlib.crc32(prelude)) + encoded_headers + payload
    return message + struct.pack("!I", zlib.crc32(message))


def bedrock_event_bytes(name: str, data: Mapping[str, Any]) -> bytes:
    """A Messages stream event as Bedrock streams it: a ``chunk`` event, or an exception.

    Header and member names are the bedrock-runtime service model's ``ResponseStream``
    (botocore/data/bedrock-runtime/2023-09-30/service-2.json).
    """
    if name == "error":
        error = data.get("error", {})
        headers = {
            ":message-type": "exception",
            ":exception-type": "internalServerException",
            ":content-type": "application/json",
        }
        return eventstream_message(headers, json.dumps({"message": error.get("message")}).encode())
    event = json.dumps(data, ensure_ascii=False).encode()
    payload = json.dumps({"bytes": base64.b64encode(event).decode("ascii")}).encode()
    headers = {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return eventstream_message(headers, payload)


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


# --------------------------------------------------------------------------- HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Each test binds a fresh port 0; reuse only matters for fixed ports after a crash.
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], dispatch: Callable[[_Exchange], None]) -> None:
        super().__init__(address, _Handler)
        self.dispatch = dispatch


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so that SSE goes out chunked: a cut stream is then an incomplete body the
    # client notices, not an ordinary end of a close-delimited one.
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        self.server.dispatch(_Exchange(self))

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        return  # the request log is the record; stderr access lines only add noise


class _Exchange:
    """One request and the ways of answering it, including the broken ones."""

    def __init__(self, handler: _Handler) -> None:
        self._handler = handler
        self.method = handler.command
        self.path = handler.path.split("?", 1)[0]
        self.headers = MappingProxyType({k.lower(): v for k, v in handler.headers.items()})
        self.raw_body = handler.rfile.read(int(handler.headers.get("content-length") or 0))
        # How stream events go out: SSE, or Bedrock's event stream (``use_eventstream``).
        self.encode_event: Callable[[str, Mapping[str, Any]], bytes] = sse_bytes
        self.stream_content_type = SSE_CONTENT_TYPE

    def use_eventstream(self) -> None:
        self.encode_event = bedrock_event_bytes
        self.stream_content_type = EVENTSTREAM_CONTENT_TYPE

    def send_json(
        self,
        status: int,
        payload: object,
        request_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self._start(status, request_id, "application/json", {"content-length": str(len(data))})
        if self._write_headers(headers or {}):
            self._write(data)

    def send_body(self, data: bytes, request_id: str, content_type: str) -> None:
        self._start(200, request_id, content_type, {"content-length": str(len(data))})
        if self._write_headers({}):
            self._write(data)

    def send_truncated_json(self, payload: object, request_id: str) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self._start(200, request_id, "application/json", {"content-length": str(len(data))})
        if self._write_headers({}):
            self._write(data[: len(data) // 2])

    def start_events(self, request_id: str, headers: Mapping[str, str] | None = None) -> bool:
        self._start(
            200,
            request_id,
            self.stream_content_type,
            {"transfer-encoding": "chunked", "cache-control": "no-cache"},
        )
        return self._write_headers(headers or {})

    def send_event(self, name: str, data: Mapping[str, Any]) -> bool:
        payload = self.encode_event(name, data)
        return self._write(b"%x\r\n%s\r\n" % (len(payload), payload))

    def end_events(self) -> None:
        self._write(b"0\r\n\r\n")

    def drop(self, *, reset: bool) -> None:
        """Close the connection mid-exchange: FIN, or RST when ``reset``."""
        connection = self._handler.connection
        self._handler.close_connection = True
        if reset:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()
        else:
            connection.shutdown(socket.SHUT_RDWR)

    def _start(
        self, status: int, request_id: str, content_type: str, extra: Mapping[str, str]
    ) -> None:
        handler = self._handler
        handler.send_response(status)
        handler.send_header("content-type", content_type)
        handler.send_header("request-id", request_id)
        for name, value in extra.items():
            handler.send_header(name, value)

    def _write_headers(self, headers: Mapping[str, str]) -> bool:
        for name, value in headers.items():
            self._handler.send_header(name, value)
        try:
            self._handler.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            self._handler.close_connection = True
            return False
        return True

    def _write(self, data: bytes) -> bool:
        """Write to the client; False when it has gone (a timeout, a closed stream)."""
        try:
            self._handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self._handler.close_connection = True
            return False
        return True


# --------------------------------------------------------------------------- the server


class ResponderFailed(AssertionError):
    """A responder raised; the fake answered 500 and re-raises this when closed."""


@dataclass(frozen=True)
class _Incoming:
    method: str
    path: str
    headers: Mapping[str, str]
    body: Any
    arrived_at: float
    request_id: str
    provider: ProviderPath | None = None  # set when the path is Bedrock's or Vertex's

    @property
    def route(self) -> str | None:
        if self.provider is not None:
            return MESSAGES_PATH
        if self.path.startswith(BATCHES_PATH):
            return BATCHES_PATH
        if self.method != "POST" or self.path not in (MESSAGES_PATH, COUNT_TOKENS_PATH):
            return None
        return self.path


_BEDROCK_PATH: Final = re.compile(
    r"/model/(?P<model>[^/]+)/(?P<action>invoke|invoke-with-response-stream)"
)
_VERTEX_PATH: Final = re.compile(
    r"(?:/v1)?/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)"
    r"/publishers/anthropic/models/(?P<model>[^/:]+):(?P<action>rawPredict|streamRawPredict)"
)


@dataclass(frozen=True)
class ProviderPath:
    """A Messages request by a provider's path: who, which model, and whether it streams."""

    provider: Literal["bedrock", "vertex"]
    model: str
    stream: bool | None  # Bedrock: the path says; Vertex: None, the body's `stream` says


def provider_path(method: str, path: str) -> ProviderPath | None:
    if method != "POST":
        return None
    bedrock = _BEDROCK_PATH.fullmatch(path)
    if bedrock is not None:
        stream = bedrock["action"] == "invoke-with-response-stream"
        return ProviderPath("bedrock", urllib.parse.unquote(bedrock["model"]), stream)
    vertex = _VERTEX_PATH.fullmatch(path)
    if vertex is not None:
        return ProviderPath("vertex", urllib.parse.unquote(vertex["model"]), None)
    return None


def provider_body(route: ProviderPath, body: object) -> dict[str, Any]:
    """The Messages body the provider's request stands for; raises InvalidRequest."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body is not valid JSON.")
    if not isinstance(body.get("anthropic_version"), str):
        raise InvalidRequest("anthropic_version: Field required")
    if "model" in body:  # the model is the path's; Bedrock rejects the extra key
        raise InvalidRequest("model: Extra inputs are not permitted")
    if route.provider == "bedrock" and "stream" in body:
        raise InvalidRequest("stream: Extra inputs are not permitted")
    messages = {key: value for key, value in body.items() if key != "anthropic_version"}
    messages["model"] = route.model
    if route.stream is not None:
        messages["stream"] = route.stream
    return messages


def _provider_credentials_problem(
    route: ProviderPath, headers: Mapping[str, str], vertex_access_token: str
) -> str | None:
    """Why the provider would refuse the request's credentials, or None."""
    authorization = headers.get("authorization", "")
    if route.provider == "bedrock":
        # SigV4 (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-request.html):
        # "AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/bedrock/aws4_request, SignedHeaders=...,
        # Signature=..."; the signature itself is not verified here.
        if not authorization.startswith(f"{SIGV4_ALGORITHM} Credential="):
            return "Missing Authentication Token"
        if "/bedrock/aws4_request" not in authorization or "x-amz-date" not in headers:
            return "The request signature we calculated does not match the signature you provided."
        return None
    if authorization != f"Bearer {vertex_access_token}":
        return "Request had invalid authentication credentials."
    return None


class _Rejected(Exception):
    """The request is answered with an error before it reaches the model."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class _Decision:
    """What the fake decided for a message request when it arrived."""

    fault: Fault | None
    status_fault: StatusFault | None  # answer with this error status
    plan: CachePlan | None  # None when no message is sent
    timing: Timing


class MessagesAPI:
    """The fake API: serves from a background thread as soon as it is constructed.

    Args:
        responder: makes each message's content (default: ``no_findings``).
        api_key: the only key accepted; anything else is a 401.
        host, port: where to listen; port 0 picks a free one (see ``base_url``).
        min_cacheable_tokens: prefixes shorter than this are never cached.
        latency: per-request latency; None answers at once.
        clock: the time source for cache TTLs and ``arrived_at`` (not for latency sleeps).
        chunk_chars: characters per ``text_delta`` event.
        on_request: called with each RecordedRequest, in arrival order, under the lock.
        vertex_access_token: the only Bearer token accepted on Vertex AI paths.
    """

    def __init__(
        self,
        responder: Responder = no_findings,
        *,
        api_key: str = FAKE_API_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        min_cacheable_tokens: int = DEFAULT_MIN_CACHEABLE_TOKENS,
        latency: LatencyProfile | None = None,
        clock: Callable[[], float] = time.monotonic,
        chunk_chars: int = 24,
        on_request: Callable[[RecordedRequest], None] | None = None,
        vertex_access_token: str = FAKE_VERTEX_ACCESS_TOKEN,
    ) -> None:
        if chunk_chars < 1:
            raise ValueError("chunk_chars must be at least 1")
        self._responder = responder
        self._api_key = api_key
        self._vertex_access_token = vertex_access_token
        self._clock = clock
        self._chunk_chars = chunk_chars
        self._on_request = on_request
        self._lock = threading.Lock()
        self._in_flight = 0
        self._max_in_flight = 0
        self._batches = _Batches(self)
        self._cache = PromptCache(clock, min_cacheable_tokens)
        self._latency = LatencySampler(latency)
        self._faults: deque[Fault] = deque()
        self._log: list[RecordedRequest] = []
        self._responder_errors: list[BaseException] = []
        self._server = _Server((host, port), self._dispatch)
        self._host, self._port = self._server.socket.getsockname()[:2]
        # A short poll so that close() (which waits for the loop to notice) takes
        # milliseconds, not serve_forever's default half second, in every test.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-messages-api",
            daemon=True,
        )
        self._thread.start()

    # ---- public surface

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def port(self) -> int:
        return int(self._port)

    @property
    def requests(self) -> tuple[RecordedRequest, ...]:
        with self._lock:
            return tuple(self._log)

    @property
    def pending_faults(self) -> tuple[Fault, ...]:
        with self._lock:
            return tuple(self._faults)

    @property
    def responder_errors(self) -> tuple[BaseException, ...]:
        with self._lock:
            return tuple(self._responder_errors)

    @property
    def cached_prefixes(self) -> int:
        """How many prefixes are cached and unexpired right now."""
        with self._lock:
            return len(self._cache)

    def inject(self, *faults: Fault) -> None:
        """Queue faults; each is consumed by the next accepted POST /v1/messages, in order."""
        with self._lock:
            self._faults.extend(faults)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def set_latency(self, latency: LatencyProfile | None) -> None:
        """Change the latency of the requests that arrive from now on (reseeded)."""
        with self._lock:
            self._latency = LatencySampler(latency)

    def close(self) -> None:
        """Stop serving; requests still in flight finish on their daemon threads."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> MessagesAPI:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
        errors = self.responder_errors
        if exc is None and errors:
            raise ResponderFailed(f"the responder raised: {errors[0]!r}") from errors[0]

    # ---- one request

    def _dispatch(self, exchange: _Exchange) -> None:
        incoming = _Incoming(
            method=exchange.method,
            path=exchange.path,
            headers=exchange.headers,
            body=_json_or_none(exchange.raw_body),
            arrived_at=self._clock(),
            request_id=new_id("req_"),
            provider=provider_path(exchange.method, exchange.path),
        )
        if incoming.provider is not None and incoming.provider.provider == "bedrock":
            exchange.use_eventstream()
        if incoming.route == BATCHES_PATH:
            self._batches.dispatch(exchange, incoming)
            return
        try:
            body, prompt = self._admit(incoming)
        except _Rejected as rejected:
            self._record(incoming, status=rejected.status)
            body = error_body(
                error_type_for(rejected.status), rejected.message, incoming.request_id
            )
            exchange.send_json(rejected.status, body, incoming.request_id)
            return
        if incoming.route == COUNT_TOKENS_PATH:
            self._record(incoming, status=200)
            # anthropic/types/message_tokens_count.py
            exchange.send_json(200, {"input_tokens": prompt.total_tokens}, incoming.request_id)
            return
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            self._answer_message(exchange, incoming, body, prompt)
        finally:
            with self._lock:
                self._in_flight -= 1

    @property
    def batch_outcomes(self) -> dict[str, str]:
        """custom_id → "errored" | "canceled" | "expired", for the items of later batches."""
        return self._batches.outcomes

    def set_batch_polls(self, polls: int) -> None:
        """How many retrieves a batch stays ``in_progress`` before it ends (default 1)."""
        self._batches.polls_to_end = polls

    @property
    def max_in_flight(self) -> int:
        """The most message requests that were being answered at the same time."""
        with self._lock:
            return self._max_in_flight

    def _admit(self, incoming: _Incoming) -> tuple[Mapping[str, Any], Prompt]:
        """Route, authenticate and validate, in the API's order; raise _Rejected."""
        if incoming.route is None:
            raise _Rejected(404, "Not found")
        if incoming.provider is not None:
            return self._admit_provider(incoming, incoming.provider)
        key = _presented_key(incoming.headers)
        if key is None:
            raise _Rejected(401, "x-api-key header is required")
        if key != self._api_key:
            raise _Rejected(401, "invalid x-api-key")
        if not incoming.headers.get("anthropic-version"):
            raise _Rejected(400, "anthropic-version: header is required")
        try:
            body = validate_body(incoming.body, counting=incoming.route == COUNT_TOKENS_PATH)
            return body, read_prompt(body)
        except InvalidRequest as invalid:
            raise _Rejected(400, str(invalid)) from None

    def _admit_provider(
        self, incoming: _Incoming, route: ProviderPath
    ) -> tuple[Mapping[str, Any], Prompt]:
        problem = _provider_credentials_problem(route, incoming.headers, self._vertex_access_token)
        if problem is not None:
            # Bedrock answers 403 to a missing or bad signature, Vertex AI 401 to a bad token.
            raise _Rejected(403 if route.provider == "bedrock" else 401, problem)
        try:
            body = validate_body(provider_body(route, incoming.body), counting=False)
            return body, read_prompt(body)
        except InvalidRequest as invalid:
            raise _Rejected(400, str(invalid)) from None

    def _answer_message(
        self, exchange: _Exchange, incoming: _Incoming, body: Mapping[str, Any], prompt: Prompt
    ) -> None:
        stream = body.get("stream") is True
        decision = self._decide(incoming, prompt, stream=stream)
        if decision.status_fault is not None:
            fault = decision.status_fault
            error = error_body(fault.type, fault.message, incoming.request_id)
            exchange.send_json(fault.status, error, incoming.request_id, fault.headers())
            return
        if decision.plan is None:
            exchange.drop(reset=True)
            return
        answer = self._call_responder(parse_request(body))
        if answer is None:
            self._send_responder_failure(exchange, incoming.request_id)
            return
        reply = _Reply(
            new_id("msg_"), body["model"], answer, decision.plan, decision.timing, decision.fault
        )
        if stream:
            self._send_stream(exchange, incoming.request_id, reply)
        else:
            self._send_message(exchange, incoming.request_id, reply)

    def _decide(self, incoming: _Incoming, prompt: Prompt, *, stream: bool) -> _Decision:
        """Consume a fault, look the cache up and log the request, all in one step.

        One critical section, so the log's order is the order in which faults were
        consumed and the cache was looked up.
        """
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
            status_fault = _as_status_fault(fault, stream=stream)
            if status_fault is not None or isinstance(fault, ResetConnection):
                status = status_fault.status if status_fault else None
                self._record_locked(incoming, status=status, fault=fault)
                return _Decision(fault, status_fault, None, NO_LATENCY)
            plan = self._cache.plan(prompt)
            timing = self._latency.sample()
            self._record_locked(incoming, status=200, fault=fault, cache=plan.accounting)
        if isinstance(fault, Delay):
            timing = Timing(timing.first_byte_s + fault.seconds, timing.rest_s)
        return _Decision(fault, None, plan, timing)

    def _send_message(self, exchange: _Exchange, request_id: str, reply: _Reply) -> None:
        time.sleep(reply.timing.first_byte_s + reply.timing.rest_s)
        self._commit(reply.plan)
        payload = message_json(reply.message_id, reply.model, reply.answer, reply.plan.accounting)
        if isinstance(reply.fault, CutStream):
            exchange.send_truncated_json(payload, request_id)
            exchange.drop(reset=reply.fault.reset)
            return
        exchange.send_json(200, payload, request_id)

    def _send_stream(self, exchange: _Exchange, request_id: str, reply: _Reply) -> None:
        events = stream_events(
            reply.message_id, reply.model, reply.answer, reply.plan.accounting, self._chunk_chars
        )
        fault = reply.fault
        cut_at = len(events)
        if isinstance(fault, CutStream | StreamError):
            cut_at = max(0, min(fault.after_events, len(events) - 1))  # never past message_stop
        gap = reply.timing.rest_s / max(1, len(events) - 1)
        time.sleep(reply.timing.first_byte_s)
        headers = fault.headers() if isinstance(fault, StreamError) else None
        if not exchange.start_events(request_id, headers):
            return
        for index, (name, data) in enumerate(events[:cut_at]):
            if index == 0:
                self._commit(reply.plan)  # the write is available once message_start is out
            else:
                time.sleep(gap)
            if not exchange.send_event(name, data):
                return
        if isinstance(fault, CutStream):
            exchange.drop(reset=fault.reset)
            return
        if isinstance(fault, StreamError):
            # The streaming docs' error event: no request_id in the data.
            exchange.send_event("error", error_body(fault.error_type, fault.message, None))
        exchange.end_events()

    def _call_responder(self, request: MessagesRequest) -> _Answer | None:
        try:
            reply = self._responder(request)
            if isinstance(reply, ToolUseReply) and not request.offers_tools:
                raise AssertionError("a tool_use reply to a request that offers no tools")
        except Exception as error:  # noqa: BLE001 - surfaced as a 500 and re-raised on close
            with self._lock:
                self._responder_errors.append(error)
            return None
        return answer_for(reply, request.max_tokens)

    def _send_responder_failure(self, exchange: _Exchange, request_id: str) -> None:
        # x-should-retry: false, so a broken responder fails the test once, not three times.
        exchange.send_json(
            500,
            error_body("api_error", "the fake's responder raised", request_id),
            request_id,
            {"x-should-retry": "false"},
        )

    def _commit(self, plan: CachePlan) -> None:
        with self._lock:
            self._cache.commit(plan)

    def _record(self, incoming: _Incoming, *, status: int | None) -> None:
        with self._lock:
            self._record_locked(incoming, status=status)

    def _record_locked(
        self,
        incoming: _Incoming,
        *,
        status: int | None,
        fault: Fault | None = None,
        cache: CacheAccounting | None = None,
    ) -> None:
        route = incoming.provider
        record = RecordedRequest(
            index=len(self._log),
            method=incoming.method,
            path=incoming.path,
            headers=incoming.headers,
            body=incoming.body,
            arrived_at=incoming.arrived_at,
            request_id=incoming.request_id,
            status=status,
            fault=fault,
            cache=cache,
            provider=route.provider if route is not None else "anthropic",
            model=route.model if route is not None else None,
        )
        self._log.append(record)
        if self._on_request is not None:
            self._on_request(record)


@dataclass(frozen=True)
class _Reply:
    message_id: str
    model: str
    answer: _Answer
    plan: CachePlan
    timing: Timing
    fault: Fault | None


def _as_status_fault(fault: Fault | None, *, stream: bool) -> StatusFault | None:
    """The HTTP error a fault answers with, if it is one (an SSE error without SSE is)."""
    if isinstance(fault, StatusFault):
        return fault
    if isinstance(fault, StreamError) and not stream:
        status = _STATUS_BY_ERROR_TYPE.get(fault.error_type, 500)
        return StatusFault(status, fault.error_type, fault.message)
    return None


def _presented_key(headers: Mapping[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[len("bearer ") :].strip()
    return headers.get("x-api-key")


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


# --------------------------------------------------------------------------- message batches


@dataclass
class _Batch:
    id: str
    created_at: str
    requests: list[tuple[str, Mapping[str, Any]]]  # (custom_id, params)
    polls: int = 0
    results: list[dict[str, Any]] | None = None  # set once processing ended


class _Batches:
    """Message Batches: create, retrieve (ends after ``polls_to_end`` retrieves), results.

    Shapes: anthropic/types/messages/message_batch.py, message_batch_request_counts.py,
    message_batch_individual_response.py and the four message_batch_*_result.py files;
    results are JSON lines in no particular order (the SDK's ``results`` docstring), so
    this fake returns them reversed. Items run through the same cache and responder as
    ordinary messages, in request order, when the batch ends.
    """

    def __init__(self, api: MessagesAPI) -> None:
        self._api = api
        self._batches: dict[str, _Batch] = {}
        self.outcomes: dict[str, str] = {}
        self.polls_to_end = 1

    def dispatch(self, exchange: _Exchange, incoming: _Incoming) -> None:
        api = self._api
        key = _presented_key(incoming.headers)
        if key != api._api_key:
            api._record(incoming, status=401)
            body = error_body("authentication_error", "invalid x-api-key", incoming.request_id)
            exchange.send_json(401, body, incoming.request_id)
            return
        parts = incoming.path[len(BATCHES_PATH) :].strip("/").split("/")
        try:
            if incoming.method == "POST" and parts == [""]:
                payload: object = self._create(incoming.body)
            elif incoming.method == "GET" and len(parts) == 1:
                payload = self._retrieve(parts[0])
            elif incoming.method == "GET" and len(parts) == 2 and parts[1] == "results":
                api._record(incoming, status=200)
                lines = self._results(parts[0])
                data = "".join(json.dumps(line) + "\n" for line in lines).encode()
                exchange.send_body(data, incoming.request_id, "application/binary")
                return
            else:
                raise _Rejected(404, "Not found")
        except _Rejected as rejected:
            api._record(incoming, status=rejected.status)
            body = error_body(
                error_type_for(rejected.status), rejected.message, incoming.request_id
            )
            exchange.send_json(rejected.status, body, incoming.request_id)
            return
        api._record(incoming, status=200)
        exchange.send_json(200, payload, incoming.request_id)

    def _create(self, body: object) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
            raise _Rejected(400, "requests: Field required")
        requests = []
        for index, item in enumerate(body["requests"]):
            if not isinstance(item, dict) or "custom_id" not in item or "params" not in item:
                raise _Rejected(400, f"requests.{index}: custom_id and params are required")
            try:
                params = validate_body(item["params"], counting=False)
            except InvalidRequest as invalid:
                raise _Rejected(400, f"requests.{index}.params: {invalid}") from None
            if params.get("stream"):
                raise _Rejected(400, f"requests.{index}.params.stream: not supported in batches")
            requests.append((str(item["custom_id"]), params))
        if len({custom_id for custom_id, _ in requests}) != len(requests):
            raise _Rejected(400, "custom_id values must be unique within a batch")
        batch = _Batch(new_id("msgbatch_"), _now_rfc3339(), requests)
        with self._api._lock:
            self._batches[batch.id] = batch
        return self._json(batch)

    def _retrieve(self, batch_id: str) -> dict[str, Any]:
        batch = self._find(batch_id)
        batch.polls += 1
        if batch.results is None and batch.polls >= self.polls_to_end:
            batch.results = [self._process(batch.id, cid, params) for cid, params in batch.requests]
        return self._json(batch)

    def _results(self, batch_id: str) -> list[dict[str, Any]]:
        batch = self._find(batch_id)
        if batch.results is None:
            raise _Rejected(400, "results are not available until processing ends")
        return list(reversed(batch.results))

    def _find(self, batch_id: str) -> _Batch:
        batch = self._batches.get(batch_id)
        if batch is None:
            raise _Rejected(404, f"batch {batch_id} not found")
        return batch

    def _process(self, batch_id: str, custom_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        outcome = self.outcomes.get(custom_id, "succeeded")
        if outcome in ("canceled", "expired"):
            return {"custom_id": custom_id, "result": {"type": outcome}}
        if outcome == "errored":
            error = error_body("api_error", "Internal server error", new_id("req_"))
            return {"custom_id": custom_id, "result": {"type": "errored", "error": error}}
        api = self._api
        with api._lock:
            plan = api._cache.plan(read_prompt(params))
        api._commit(plan)
        answer = api._call_responder(parse_request(params))
        if answer is None:
            error = error_body("api_error", "responder failed", new_id("req_"))
            return {"custom_id": custom_id, "result": {"type": "errored", "error": error}}
        message = message_json(new_id("msg_"), params["model"], answer, plan.accounting)
        return {"custom_id": custom_id, "result": {"type": "succeeded", "message": message}}

    def _json(self, batch: _Batch) -> dict[str, Any]:
        ended = batch.results is not None
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if batch.results is None:
            counts["processing"] = len(batch.requests)
        else:
            for result in batch.results:
                counts[result["result"]["type"]] += 1
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "created_at": batch.created_at,
            "expires_at": batch.created_at,
            "ended_at": _now_rfc3339() if ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": (
                f"{self._api.base_url}{BATCHES_PATH}/{batch.id}/results" if ended else None
            ),
        }


def _now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --------------------------------------------------------------------------- markers responder


@dataclass(frozen=True)
class LineRef:
    """A diff line a finding may target, as an extractor found it in the prompt."""

    path: str
    line: int
    side: str  # "RIGHT" (new file) or "LEFT" (old file), GitHub's sides
    code: str  # the line's text without the diff marker


LineExtractor: TypeAlias = Callable[[str], Iterable[LineRef]]


@dataclass(frozen=True)
class Marker:
    """A substring that earns a finding, and the finding it earns."""

    needle: str
    severity: str
    category: str
    title: str
    ignore_case: bool = False

    def found_in(self, code: str) -> bool:
        if self.ignore_case:
            return self.needle.lower() in code.lower()
        return self.needle in code


DEFAULT_MARKERS: Final = (
    Marker("TODO", "minor", "maintainability", "Unresolved TODO"),
    Marker("eval(", "critical", "security", "eval() runs arbitrary code"),
    Marker("password", "major", "security", "Possible hard-coded password", ignore_case=True),
)

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def added_lines_in_unified_diff(text: str) -> Iterator[LineRef]:
    """The added lines of every unified diff found in ``text``, by new-file number.

    Hunk line counts decide where a hunk ends, so a removed line reading ``-- x``
    is not mistaken for a file header. Lines are split on ``\\n`` only.
    """
    path: str | None = None
    old_left = new_left = 0
    new_number = 0
    for raw in text.split("\n"):
        if old_left > 0 or new_left > 0:
            marker, code = raw[:1], raw[1:].removesuffix("\r")
            if marker == "+":
                if path is not None:
                    yield LineRef(path, new_number, "RIGHT", code)
                new_number, new_left = new_number + 1, new_left - 1
                continue
            if marker == "-":
                old_left -= 1
                continue
            if marker in (" ", ""):  # "": a context line whose space was stripped
                new_number, new_left, old_left = new_number + 1, new_left - 1, old_left - 1
                continue
            if marker == "\\":  # "\ No newline at end of file"
                continue
            old_left = new_left = 0  # the hunk ended early: read this line as a header
        if raw.startswith("+++ "):
            path = _diff_path(raw[4:])
        elif header := _HUNK_HEADER.match(raw):
            old_left = int(header.group(2) or 1)
            new_number = int(header.group(3))
            new_left = int(header.group(4) or 1)


def _diff_path(name: str) -> str | None:
    name = name.split("\t", 1)[0].strip()
    if name == "/dev/null":
        return None
    return name[2:] if name.startswith(("a/", "b/")) else name


class MarkersResponder:
    """Raises a finding on each extracted line that contains a marker.

    ``extract`` reads the user turns' text and says which lines are candidates
    (default: the added lines of any unified diff in it), so the fake does not
    depend on how the prompt lays the diff out. The answer has the shape of
    reviewer.schema.FINDINGS_SCHEMA. A verification request is answered keep.
    """

    def __init__(
        self,
        extract: LineExtractor = added_lines_in_unified_diff,
        markers: Sequence[Marker] = DEFAULT_MARKERS,
    ) -> None:
        self._extract = extract
        self._markers = tuple(markers)

    def __call__(self, request: MessagesRequest) -> Reply:
        if is_verification(request):
            return keep_verdict()
        findings: list[JSONValue] = []
        seen: set[tuple[str, int, str, str]] = set()
        for ref in self._extract(request.user_text):
            for marker in self._markers:
                key = (ref.path, ref.line, ref.side, marker.needle)
                if key in seen or not marker.found_in(ref.code):
                    continue
                seen.add(key)
                findings.append(_finding(ref, marker))
        summary = f"Found {len(findings)} issue(s)." if findings else "No issues found."
        return {"summary": summary, "findings": findings}


def _finding(ref: LineRef, marker: Marker) -> JSONValue:
    return {
        "path": ref.path,
        "side": ref.side,
        "line": ref.line,
        "start_line": None,
        "code": ref.code,
        "severity": marker.severity,
        "category": marker.category,
        "title": marker.title,
        "body": f"Line {ref.line} of {ref.path} contains `{marker.needle}`.",
        "suggestion": None,
    }


def markers_responder(
    extract: LineExtractor = added_lines_in_unified_diff,
    markers: Sequence[Marker] = DEFAULT_MARKERS,
) -> MarkersResponder:
    return MarkersResponder(extract, markers)


# --------------------------------------------------------------------------- command line


def parse_fault(spec: str, *, retry_after_ms: float | None = None) -> Fault:
    """A fault from its command-line spelling.

    ``429``/``500``/``529``/any status, ``reset``, ``cut``, ``sse-error`` or
    ``delay=SECONDS``. ``retry_after_ms`` goes on status faults.
    """
    if spec.isdigit():
        return StatusFault(int(spec), retry_after_ms=retry_after_ms)
    if spec == "reset":
        return ResetConnection()
    if spec == "cut":
        return CutStream()
    if spec == "sse-error":
        return StreamError()
    if spec.startswith("delay="):
        return Delay(float(spec.removeprefix("delay=")))
    raise argparse.ArgumentTypeError(f"unknown fault {spec!r}")


def _load_extractor(spec: str) -> LineExtractor:
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise argparse.ArgumentTypeError("--extractor wants MODULE:FUNCTION")
    extractor: LineExtractor = getattr(importlib.import_module(module_name), attribute)
    return extractor


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.messages_api",
        description="A local stand-in for the Anthropic Messages API.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (the default) picks a free port")
    parser.add_argument("--api-key", default=FAKE_API_KEY, help="the only key accepted")
    parser.add_argument(
        "--responder",
        choices=("default", "markers"),
        default="default",
        help="default: no findings; markers: a finding per added line with a marker",
    )
    parser.add_argument("--extractor", help="MODULE:FUNCTION giving the markers' LineRefs")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="per-request latency")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="± uniform jitter")
    parser.add_argument(
        "--first-byte-fraction",
        type=float,
        default=0.3,
        help="share of the latency before the response begins",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the jitter")
    parser.add_argument("--min-cacheable-tokens", type=int, default=DEFAULT_MIN_CACHEABLE_TOKENS)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        help="queue a fault: a status (529), reset, cut, sse-error or delay=SECONDS; repeatable",
    )
    parser.add_argument("--retry-after-ms", type=float, help="retry-after-ms on status faults")
    parser.add_argument("--port-file", type=Path, help="write the port here once listening")
    parser.add_argument("--log", type=Path, help="append one JSON line per request here")
    return parser.parse_args(argv)


def _responder(args: argparse.Namespace) -> Responder:
    if args.responder == "default":
        return no_findings
    if args.extractor:
        return MarkersResponder(_load_extractor(args.extractor))
    return MarkersResponder()


def _latency(args: argparse.Namespace) -> LatencyProfile | None:
    if args.latency_ms <= 0 and args.jitter_ms <= 0:
        return None
    return LatencyProfile(args.latency_ms, args.jitter_ms, args.first_byte_fraction, args.seed)


def _line_writer(stream: IO[str]) -> Callable[[RecordedRequest], None]:
    def write(record: RecordedRequest) -> None:
        stream.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
        stream.flush()  # a parent process reads the log while we run

    return write


def _write_port_file(path: Path, port: int) -> None:
    # Written whole then renamed, so a parent polling for the file never reads half of it.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{port}\n", encoding="utf-8")
    os.replace(partial, path)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    faults = [parse_fault(spec, retry_after_ms=args.retry_after_ms) for spec in args.fault]
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with ExitStack() as stack:
        log = stack.enter_context(args.log.open("a", encoding="utf-8")) if args.log else None
        api = MessagesAPI(
            _responder(args),
            api_key=args.api_key,
            host=args.host,
            port=args.port,
            min_cacheable_tokens=args.min_cacheable_tokens,
            latency=_latency(args),
            on_request=_line_writer(log) if log else None,
        )
        stack.callback(api.close)
        api.inject(*faults)
        if args.port_file:
            _write_port_file(args.port_file, api.port)
        print(f"READY {api.base_url}", flush=True)
        while not stop.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
