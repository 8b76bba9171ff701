"""Send review requests to Claude through the official SDK; the only module that imports it.

Every request streams, for two reasons: the first request's stream tells us the
moment its response has begun, which is when the cache entry it writes becomes
readable (so the rest fan out then and read it instead of all paying for the
write); and streaming has no ceiling on ``max_tokens``.

Retries are the SDK's (``max_retries``, backoff honouring ``retry-after``); there
is no second retry loop here. SDK errors are translated once, below, into
reviewer's own types, keeping the request id.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reviewer.catalog import ModelInfo, priced_usage
from reviewer.errors import AuthError, ServiceError
from reviewer.schema import FINDINGS_SCHEMA, ModelAnswer, SchemaViolation, parse_answer
from reviewer.values import Usage

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from anthropic.types import Message

    Client = AsyncAnthropic  # what the engine passes around without importing anthropic

DEFAULT_TIMEOUT_S = 300.0
DEFAULT_MAX_RETRIES = 4
CACHE_CONTROL = {"type": "ephemeral"}


@dataclass(frozen=True)
class ModelRequest:
    key: str  # stable id within a run (also a Message Batches custom_id)
    system: str  # the reviewer rubric: byte-identical across every call
    context: str  # the per-run block, shared by all requests of a run
    body: str  # the hunks of this request


@dataclass(frozen=True)
class ModelResult:
    request: ModelRequest
    answer: ModelAnswer | None  # None when the request was not reviewed
    usage: Usage
    failure: str | None = None  # why the request was not reviewed
    request_id: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class ClientSettings:
    api_key: str
    base_url: str | None = None  # None: the SDK reads ANTHROPIC_BASE_URL, else the public API
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES


def make_client(settings: ClientSettings) -> AsyncAnthropic:
    from anthropic import AsyncAnthropic

    return AsyncAnthropic(
        api_key=settings.api_key,
        base_url=settings.base_url,
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
    )


def request_params(request: ModelRequest, *, model: str, max_tokens: int) -> dict[str, Any]:
    """The Messages API parameters; two cache breakpoints, the hunks after them."""
    return {
        "model": model,
        "max_tokens": max_tokens,
        "system": [
            {"type": "text", "text": request.system, "cache_control": CACHE_CONTROL},
            {"type": "text", "text": request.context, "cache_control": CACHE_CONTROL},
        ],
        "messages": [{"role": "user", "content": [{"type": "text", "text": request.body}]}],
        "output_config": {"format": {"type": "json_schema", "schema": FINDINGS_SCHEMA}},
    }


Progress = Callable[[ModelResult], None]


async def run_requests(
    client: AsyncAnthropic,
    requests: Sequence[ModelRequest],
    *,
    model: ModelInfo,
    max_tokens: int,
    concurrency: int,
    on_result: Progress | None = None,
) -> list[ModelResult]:
    """Run every request; failures become results with a reason, except auth errors.

    The first request goes alone until its response begins; the rest then run
    with at most ``concurrency`` in flight.
    """
    if not requests:
        return []
    first_began = asyncio.Event()
    slots = asyncio.Semaphore(concurrency)

    async def run(request: ModelRequest, *, is_first: bool) -> ModelResult:
        if not is_first:
            await first_began.wait()
        async with slots:
            began = first_began if is_first else None
            result = await _run_one(client, request, model, max_tokens, began)
        first_began.set()  # a first request that failed before beginning must not block the rest
        if on_result is not None:
            on_result(result)
        return result

    tasks = [
        asyncio.create_task(run(request, is_first=index == 0))
        for index, request in enumerate(requests)
    ]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()


async def _run_one(
    client: AsyncAnthropic,
    request: ModelRequest,
    model: ModelInfo,
    max_tokens: int,
    began: asyncio.Event | None,
) -> ModelResult:
    started = time.monotonic()
    try:
        message, request_id = await _stream(client, request, model.id, max_tokens, began)
    except ServiceError as exc:
        if isinstance(exc, AuthError):
            raise
        return ModelResult(
            request,
            None,
            Usage(),
            failure=exc.message,
            request_id=exc.request_id,
            seconds=time.monotonic() - started,
        )
    usage = _usage(message, model)
    answer, failure = _interpret(message, max_tokens)
    return ModelResult(
        request,
        answer,
        usage,
        failure=failure,
        request_id=request_id,
        seconds=time.monotonic() - started,
    )


async def _stream(
    client: AsyncAnthropic,
    request: ModelRequest,
    model: str,
    max_tokens: int,
    began: asyncio.Event | None,
) -> tuple[Message, str | None]:
    params = request_params(request, model=model, max_tokens=max_tokens)
    with translated_errors():
        async with client.messages.stream(**params) as stream:
            async for _event in stream:
                if began is not None:
                    began.set()
                    began = None
            return await stream.get_final_message(), stream.request_id


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """The one place SDK and transport errors become reviewer's, keeping the request id."""
    import anthropic
    import httpx2

    try:
        yield
    except (anthropic.AuthenticationError, anthropic.PermissionDeniedError) as exc:
        raise AuthError(
            f"the Anthropic API refused the credentials ({exc.status_code}): {_api_message(exc)}",
            request_id=exc.request_id,
            status=exc.status_code,
            hint="check ANTHROPIC_API_KEY",
        ) from None
    except anthropic.APIStatusError as exc:
        # An SSE `error` event mid-stream arrives as APIStatusError with status 200,
        # which "API error 200" would misreport as a success.
        where = "stream error event" if exc.status_code == 200 else f"API error {exc.status_code}"
        raise ServiceError(
            f"{where} {exc.type or ''}: {_api_message(exc)}".replace("  ", " "),
            request_id=exc.request_id,
            status=exc.status_code,
        ) from None
    except anthropic.APIConnectionError as exc:
        raise ServiceError(f"could not reach the Anthropic API: {exc.message}") from None
    except httpx2.TransportError as exc:
        # A stream cut mid-message surfaces as the transport's own error (not retried by the SDK).
        raise ServiceError(f"connection lost mid-response: {exc}") from None
    except anthropic.AnthropicError as exc:
        raise ServiceError(f"Anthropic SDK error: {exc}") from None


def _api_message(exc: Any) -> str:
    return str(getattr(exc, "api_message", None) or exc.message)


def _usage(message: Message, model: ModelInfo, *, batch: bool = False) -> Usage:
    usage = message.usage
    return priced_usage(
        model,
        batch=batch,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_creation_input_tokens=usage.cache_creation_input_tokens or 0,
        cache_read_input_tokens=usage.cache_read_input_tokens or 0,
    )


def _interpret(message: Message, max_tokens: int) -> tuple[ModelAnswer | None, str | None]:
    """The answer, or why there is none; never raises on what the model said."""
    reason = message.stop_reason
    if reason == "refusal":
        return None, "the model declined to review this part (stop_reason: refusal)"
    if reason == "model_context_window_exceeded":
        return None, "the request exceeded the model's context window"
    text = "".join(block.text for block in message.content if block.type == "text")
    try:
        return parse_answer(text), None
    except SchemaViolation as exc:
        if reason == "max_tokens":
            return None, (
                f"the answer was cut off at max_tokens={max_tokens}; "
                "raise max_output_tokens or lower request_token_budget"
            )
        return None, f"the model's answer did not match the findings schema: {exc}"


# --------------------------------------------------------------------------- Message Batches


@dataclass(frozen=True)
class BatchProgress:
    """A batch's state as the API reports it (request counts by outcome)."""

    batch_id: str
    status: str  # in_progress | canceling | ended
    processing: int
    succeeded: int
    errored: int
    canceled: int
    expired: int

    @property
    def ended(self) -> bool:
        return self.status == "ended"

    @property
    def total(self) -> int:
        return self.processing + self.succeeded + self.errored + self.canceled + self.expired


async def submit_batch(
    client: AsyncAnthropic, requests: Sequence[ModelRequest], *, model: ModelInfo, max_tokens: int
) -> BatchProgress:
    """Submit every request as one Message Batch (half price; results within 24 hours)."""
    items: list[Any] = [
        {"custom_id": r.key, "params": request_params(r, model=model.id, max_tokens=max_tokens)}
        for r in requests
    ]
    with translated_errors():
        batch = await client.messages.batches.create(requests=items)
    return _progress(batch)


async def batch_progress(client: AsyncAnthropic, batch_id: str) -> BatchProgress:
    with translated_errors():
        return _progress(await client.messages.batches.retrieve(batch_id))


async def wait_for_batch(
    client: AsyncAnthropic,
    batch_id: str,
    *,
    poll_seconds: float,
    on_progress: Callable[[BatchProgress], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> BatchProgress:
    """Poll until the batch has ended; an interruption leaves it running for resume."""
    while True:
        progress = await batch_progress(client, batch_id)
        if on_progress is not None:
            on_progress(progress)
        if progress.ended:
            return progress
        await sleep(poll_seconds)


async def batch_results(
    client: AsyncAnthropic,
    batch_id: str,
    requests: Sequence[ModelRequest],
    *,
    model: ModelInfo,
    max_tokens: int,
) -> list[ModelResult]:
    """Results mapped back to the requests by custom_id; every request gets one."""
    by_key: dict[str, ModelResult] = {}
    wanted = {request.key: request for request in requests}
    with translated_errors():
        async for item in await client.messages.batches.results(batch_id):
            request = wanted.get(item.custom_id)
            if request is not None:
                by_key[item.custom_id] = _batch_result(request, item.result, model, max_tokens)
    missing = "the batch returned no result for this request"
    return [by_key.get(r.key) or ModelResult(r, None, Usage(), failure=missing) for r in requests]


def _batch_result(
    request: ModelRequest, result: Any, model: ModelInfo, max_tokens: int
) -> ModelResult:
    if result.type == "succeeded":
        answer, failure = _interpret(result.message, max_tokens)
        usage = _usage(result.message, model, batch=True)
        return ModelResult(request, answer, usage, failure=failure)
    if result.type == "errored":
        error = result.error
        detail = f"{error.error.type}: {error.error.message}"
        return ModelResult(
            request,
            None,
            Usage(),
            failure=f"batch item errored ({detail})",
            request_id=error.request_id,
        )
    reasons = {
        "canceled": "the batch was canceled before this request ran",
        "expired": "the batch expired (24 hours) before this request ran",
    }
    return ModelResult(request, None, Usage(), failure=reasons.get(result.type, result.type))


def _progress(batch: Any) -> BatchProgress:
    counts = batch.request_counts
    return BatchProgress(
        batch_id=batch.id,
        status=batch.processing_status,
        processing=counts.processing,
        succeeded=counts.succeeded,
        errored=counts.errored,
        canceled=counts.canceled,
        expired=counts.expired,
    )
