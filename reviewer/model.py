"""Send review requests to Claude through the official SDK; the only module that imports it.

Every request streams, for two reasons: the first request's stream tells us the
moment its response has begun, which is when the cache entry it writes becomes
readable (so the rest fan out then and read it instead of all paying for the
write); and streaming has no ceiling on ``max_tokens``.

Retries have two layers that never overlap. Until a response begins, they are the
SDK's (``max_retries``: 429, 529, 5xx, connection errors, backoff honouring
``retry-after``). Once a stream has begun the SDK can no longer retry it, so
reviewer sends a request again, once, when its stream was cut or ended in an
``error`` event, or when its answer failed validation (malformed, truncated,
off-schema); these re-sends share a run-wide budget (``RetryBudget``) and are
counted in ``Usage.retries``. SDK errors are translated once, below, into
reviewer's own types, keeping the request id.

With repository tools (``reviewer.repository.tools``) a request is a bounded
conversation: while the model ends its turn with ``stop_reason: tool_use`` and the
request's budget (``max_tool_turns``, ``max_tool_result_tokens``) lasts, the tools
run and their results go back, first in the next user message; once the budget is
spent the model is asked for its answer with ``tool_choice: none``. It never loops.
Cache breakpoints (at most four): the rubric (after the tool definitions, which
the prefix order tools → system puts first, so they are cached with it), the run
context, the previous turn's newest message (what this turn reads) and this
turn's newest message (what the next turn reads). The re-sends above apply to
each turn on its own.

The model can be served by the Anthropic API, Amazon Bedrock or Google Vertex AI,
each through the SDK's own client; boto3 and google-auth are imported only when
their provider is chosen.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email.utils
import importlib.util
import math
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from reviewer.catalog import ModelInfo, Provider, priced_usage
from reviewer.errors import AuthError, ServiceError, UsageError
from reviewer.repository.tools import ToolCall
from reviewer.schema import FINDINGS_SCHEMA, ModelAnswer, SchemaViolation, parse_answer
from reviewer.values import Usage

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic, AsyncAnthropicBedrock, AsyncAnthropicVertex
    from anthropic.lib.streaming import AsyncMessageStream, ParsedMessageStreamEvent
    from anthropic.types import Message

    from reviewer.repository.tools import ToolSession

    SdkClient: TypeAlias = AsyncAnthropic | AsyncAnthropicBedrock | AsyncAnthropicVertex

DEFAULT_TIMEOUT_S = 300.0
DEFAULT_MAX_RETRIES = 4
CACHE_CONTROL = {"type": "ephemeral"}
# Reviewer's own re-sends (see the module docstring): the wait before re-sending a broken
# stream when the API named none, the longest wait honoured when it did, and the budget.
RETRY_BACKOFF_S = 0.5
MAX_RETRY_WAIT_S = 60.0
MIN_RETRY_BUDGET = 2
RETRY_BUDGET_SHARE = 0.25
# `error` event types worth sending again: the API's transient ones (its errors page), and
# the transient members of Bedrock's ResponseStream (bedrock-runtime service model), which
# the SDK's Bedrock decoder raises as `error` events of that type.
_TRANSIENT_STREAM_ERRORS = frozenset(
    {
        "overloaded_error",
        "api_error",
        "rate_limit_error",
        "timeout_error",
        "internalServerException",
        "modelStreamErrorException",
        "throttlingException",
        "modelTimeoutException",
        "serviceUnavailableException",
    }
)


@dataclass(frozen=True)
class ModelRequest:
    key: str  # stable id within a run (also a Message Batches custom_id)
    system: str  # the reviewer rubric: byte-identical across every call
    context: str  # the per-run block, shared by all requests of a run
    body: str  # the hunks of this request


Answered = TypeVar("Answered")


@dataclass(frozen=True)
class AnswerFormat(Generic[Answered]):
    """The structured output a request asks for, and how its text becomes a value."""

    schema: Mapping[str, Any]
    parse: Callable[[str], Answered]  # raises SchemaViolation


FINDINGS_FORMAT: AnswerFormat[ModelAnswer] = AnswerFormat(FINDINGS_SCHEMA, parse_answer)

# Each review request gets its own budget of tool turns: a factory, called per request.
ToolSessions: TypeAlias = "Callable[[], ToolSession]"


@dataclass(frozen=True)
class Outcome(Generic[Answered]):
    """What one request (all its turns) came to; ``ModelResult`` for review requests."""

    request: ModelRequest
    answer: Answered | None
    usage: Usage
    failure: str | None = None
    request_id: str | None = None
    seconds: float = 0.0


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
    # anthropic: the API key; bedrock: a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK), used
    # instead of signing with AWS credentials; vertex: unused
    api_key: str | None = None
    # None: the SDK reads ANTHROPIC_BASE_URL, ANTHROPIC_BEDROCK_BASE_URL or
    # ANTHROPIC_VERTEX_BASE_URL (by provider), else the provider's public endpoint
    base_url: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    provider: Provider = "anthropic"
    aws_region: str | None = None  # bedrock: required
    gcp_project: str | None = None  # vertex: required
    gcp_region: str | None = None  # vertex: required
    # vertex: an OAuth access token; None: google-auth's Application Default Credentials
    gcp_access_token: str | None = None
    model_id_override: str | None = None  # sent instead of the catalog's id for the provider


@dataclass(frozen=True)
class ModelClient:
    """An SDK client and what requests through it need: the provider, to pick model ids."""

    sdk: SdkClient
    provider: Provider = "anthropic"
    model_id_override: str | None = None

    def model_id(self, model: ModelInfo) -> str:
        return self.model_id_override or model.id_for(self.provider)


Client: TypeAlias = ModelClient  # what the engine passes around without importing anthropic

# What each provider is called in messages, and where to look when it refuses credentials.
_SERVICE: Mapping[Provider, str] = {
    "anthropic": "the Anthropic API",
    "bedrock": "Amazon Bedrock",
    "vertex": "Google Vertex AI",
}
_CREDENTIALS_HINT: Mapping[Provider, str] = {
    "anthropic": "check ANTHROPIC_API_KEY",
    "bedrock": "check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE "
    "or AWS_BEARER_TOKEN_BEDROCK), and that the model is enabled for the account in aws_region",
    "vertex": "check the Google credentials (GOOGLE_OAUTH_ACCESS_TOKEN, or Application Default "
    "Credentials via GOOGLE_APPLICATION_CREDENTIALS), and that the model is enabled in "
    "gcp_project",
}
# The library each provider's client needs: (module, distribution, the extra that installs it)
_LIBRARY: Mapping[Provider, tuple[str, str, str]] = {
    "bedrock": ("boto3", "boto3", "reviewer[bedrock]"),
    "vertex": ("google.auth", "google-auth", "reviewer[vertex]"),
}


def make_client(settings: ClientSettings) -> ModelClient:
    """The configured provider's SDK client; its credentials library imported only now."""
    if settings.provider == "bedrock":
        sdk: SdkClient = _bedrock_client(settings)
    elif settings.provider == "vertex":
        sdk = _vertex_client(settings)
    else:
        from anthropic import AsyncAnthropic

        sdk = AsyncAnthropic(
            api_key=settings.api_key,
            base_url=settings.base_url,
            timeout=settings.timeout_s,
            max_retries=settings.max_retries,
        )
    return ModelClient(sdk, settings.provider, settings.model_id_override)


def _bedrock_client(settings: ClientSettings) -> AsyncAnthropicBedrock:
    from anthropic import AsyncAnthropicBedrock

    # boto3 signs requests (SigV4) and botocore decodes the response stream, so it is
    # needed even with a Bedrock API key.
    _require_library("bedrock")
    if settings.api_key is None:
        _require_aws_credentials(settings.aws_region)
    return AsyncAnthropicBedrock(
        api_key=settings.api_key,
        aws_region=settings.aws_region,
        base_url=settings.base_url,
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
    )


def _require_aws_credentials(region: str | None) -> None:
    """Resolve AWS credentials now: without any, the SDK fails each request with a bare RuntimeError."""
    boto3: Any = importlib.import_module("boto3")  # untyped, and optional: no static import

    with translated_errors("bedrock"):
        credentials = boto3.Session(region_name=region).get_credentials()
    if credentials is None:
        raise AuthError(
            "no AWS credentials found for Amazon Bedrock",
            hint=_CREDENTIALS_HINT["bedrock"],
        )


def _vertex_client(settings: ClientSettings) -> AsyncAnthropicVertex:
    from anthropic import AsyncAnthropicVertex

    if settings.gcp_access_token is None:
        _require_library("vertex")  # google-auth finds and refreshes the credentials
    if settings.gcp_project is None or settings.gcp_region is None:
        raise UsageError("provider vertex needs gcp_project and gcp_region")
    return AsyncAnthropicVertex(
        project_id=settings.gcp_project,
        region=settings.gcp_region,
        access_token=settings.gcp_access_token,
        base_url=settings.base_url,
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
    )


def _require_library(provider: Provider) -> None:
    """Fail with the install command, rather than at the first request, when it is missing."""
    module, distribution, extra = _LIBRARY[provider]
    try:
        found = importlib.util.find_spec(module) is not None  # finds it without importing it
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        found = False
    if not found:
        raise UsageError(
            f"provider {provider} needs {distribution}, which is not installed",
            hint=f"pip install '{extra}'",
        )


def request_params(
    request: ModelRequest,
    *,
    model: str,
    max_tokens: int,
    schema: Mapping[str, Any] = FINDINGS_SCHEMA,
) -> dict[str, Any]:
    """The Messages API parameters; two cache breakpoints, the hunks after them."""
    return {
        "model": model,
        "max_tokens": max_tokens,
        "system": _system_blocks(request),
        "messages": [{"role": "user", "content": [{"type": "text", "text": request.body}]}],
        "output_config": {"format": {"type": "json_schema", "schema": schema}},
    }


def _system_blocks(request: ModelRequest) -> list[dict[str, Any]]:
    """The rubric and the run context, each a breakpoint; an empty context is left out
    (the API refuses empty text blocks)."""
    texts = [text for text in (request.system, request.context) if text]
    return [{"type": "text", "text": text, "cache_control": CACHE_CONTROL} for text in texts]


Progress = Callable[[ModelResult], None]
Sleep = Callable[[float], Awaitable[None]]


class RetryBudget:
    """How many re-sends reviewer itself may make in one run, shared by its requests.

    Bounded so that a service that cuts every stream, or a model that keeps
    answering off-schema, costs at most a quarter more requests, not twice as many.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    @classmethod
    def for_requests(cls, count: int) -> RetryBudget:
        return cls(max(MIN_RETRY_BUDGET, math.ceil(count * RETRY_BUDGET_SHARE)))

    def take(self) -> bool:
        """Spend one re-send if any is left (the event loop runs one task at a time)."""
        if self.spent >= self.limit:
            return False
        self.spent += 1
        return True


async def run_requests(
    client: ModelClient,
    requests: Sequence[ModelRequest],
    *,
    model: ModelInfo,
    max_tokens: int,
    concurrency: int,
    on_result: Progress | None = None,
    retry_budget: RetryBudget | None = None,
    sleep: Sleep = asyncio.sleep,
    tools: ToolSessions | None = None,
) -> list[ModelResult]:
    """Run every request; failures become results with a reason, except auth errors.

    The first request goes alone until its response begins; the rest then run
    with at most ``concurrency`` in flight. ``retry_budget`` defaults to
    ``RetryBudget.for_requests(len(requests))``. With ``tools``, each request
    may read the repository (see the module docstring).
    """

    def report(outcome: Outcome[ModelAnswer]) -> None:
        if on_result is not None:
            on_result(_as_result(outcome))

    outcomes = await run_structured(
        client,
        requests,
        FINDINGS_FORMAT,
        model=model,
        max_tokens=max_tokens,
        concurrency=concurrency,
        on_outcome=report,
        retry_budget=retry_budget,
        sleep=sleep,
        tools=tools,
    )
    return [_as_result(outcome) for outcome in outcomes]


def _as_result(outcome: Outcome[ModelAnswer]) -> ModelResult:
    return ModelResult(
        outcome.request,
        outcome.answer,
        outcome.usage,
        failure=outcome.failure,
        request_id=outcome.request_id,
        seconds=outcome.seconds,
    )


async def run_structured(
    client: ModelClient,
    requests: Sequence[ModelRequest],
    answer_format: AnswerFormat[Answered],
    *,
    model: ModelInfo,
    max_tokens: int,
    concurrency: int,
    on_outcome: Callable[[Outcome[Answered]], None] | None = None,
    retry_budget: RetryBudget | None = None,
    sleep: Sleep = asyncio.sleep,
    tools: ToolSessions | None = None,
) -> list[Outcome[Answered]]:
    """``run_requests`` for any structured answer (the verification pass uses it)."""
    if not requests:
        return []
    first_began = asyncio.Event()
    slots = asyncio.Semaphore(concurrency)
    retries = _Retries(retry_budget or RetryBudget.for_requests(len(requests)), sleep)

    async def run(request: ModelRequest, *, is_first: bool) -> Outcome[Answered]:
        if not is_first:
            await first_began.wait()
        async with slots:
            began = first_began if is_first else None
            session = tools() if tools is not None else None
            conversation = _Conversation(request, answer_format, session)
            sending = _Sending(client, model, max_tokens, retries)
            result = await _run_one(sending, conversation, began)
        first_began.set()  # a first request that failed before beginning must not block the rest
        if on_outcome is not None:
            on_outcome(result)
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


@dataclass(frozen=True)
class _Retries:
    budget: RetryBudget
    sleep: Sleep


@dataclass(frozen=True)
class _Sending:
    """What every turn of every request is sent with."""

    client: ModelClient
    model: ModelInfo
    max_tokens: int
    retries: _Retries


@dataclass(frozen=True)
class _Attempt(Generic[Answered]):
    """One sending of a turn: the answer, the tools asked for, or why neither; and its cost."""

    answer: Answered | None
    failure: str | None
    usage: Usage
    request_id: str | None
    retry_after: float | None = None  # set when worth sending again: seconds to wait first
    tool_calls: tuple[ToolCall, ...] = ()  # the turn ended with stop_reason tool_use
    content: tuple[dict[str, Any], ...] = ()  # the assistant's blocks, to send back


class _Conversation(Generic[Answered]):
    """The messages of one request so far, and its tool budget (None: no tools)."""

    def __init__(
        self,
        request: ModelRequest,
        answer_format: AnswerFormat[Answered],
        tools: ToolSession | None,
    ) -> None:
        self.request = request
        self.format = answer_format
        self.tools = tools
        self.messages: list[dict[str, Any]] = [
            {"role": "user", "content": [{"type": "text", "text": request.body}]}
        ]
        self.final = False  # tools offered no more: the next turn must answer

    def params(self, model: str, max_tokens: int) -> dict[str, Any]:
        if self.tools is None:
            return request_params(
                self.request, model=model, max_tokens=max_tokens, schema=self.format.schema
            )
        system = _system_blocks(self.request)
        system.append({"type": "text", "text": self.tools.note})
        params: dict[str, Any] = {
            "model": model,
            "max_tokens": max_tokens,
            "tools": list(self.tools.definitions),
            "system": system,
            "messages": self._marked_messages(),
            "output_config": {"format": {"type": "json_schema", "schema": self.format.schema}},
        }
        if self.final:
            params["tool_choice"] = {"type": "none"}
        return params

    def _marked_messages(self) -> list[dict[str, Any]]:
        """Copies of the messages with breakpoints on the newest one and on the one that
        was newest in the previous turn (two with the rubric and the context: four)."""
        marked = list(self.messages)
        for index in {len(marked) - 1, len(marked) - 3} - {-2}:
            message = marked[index]
            blocks = list(message["content"])
            blocks[-1] = {**blocks[-1], "cache_control": CACHE_CONTROL}
            marked[index] = {**message, "content": blocks}
        return marked

    async def answer_tools(self, attempt: _Attempt[Answered]) -> None:
        """Run the turn's tool calls and add both messages; spend the budget."""
        assert self.tools is not None
        outputs = await asyncio.to_thread(self.tools.run_turn, attempt.tool_calls)
        results: list[dict[str, Any]] = [
            {
                "type": "tool_result",
                "tool_use_id": output.call_id,
                "content": output.text,
                "is_error": output.is_error,
            }
            for output in outputs
        ]
        if self.tools.spent:
            self.final = True
            results.append({"type": "text", "text": TOOLS_SPENT_NOTE})
        self.messages.append({"role": "assistant", "content": list(attempt.content)})
        self.messages.append({"role": "user", "content": results})


TOOLS_SPENT_NOTE = (
    "The tool budget of this request is spent. Give your final answer now, "
    "from what you have read, in the response schema."
)


async def _run_one(
    sending: _Sending, conversation: _Conversation[Answered], began: asyncio.Event | None
) -> Outcome[Answered]:
    """Send turns until the model answers, a turn fails, or (with tools) the budget ends."""
    started = time.monotonic()
    usage = Usage()
    while True:
        attempt, spent = await _send_turn(sending, conversation, began)
        usage += spent
        if not attempt.tool_calls or conversation.tools is None:
            break
        if conversation.final:
            attempt = _Attempt(
                None,
                "the model asked for tools after its tool budget was spent",
                Usage(),
                attempt.request_id,
            )
            break
        usage += Usage(tool_turns=1)
        await conversation.answer_tools(attempt)
    return Outcome(
        conversation.request,
        attempt.answer,
        usage,
        failure=attempt.failure,
        request_id=attempt.request_id,
        seconds=time.monotonic() - started,
    )


async def _send_turn(
    sending: _Sending, conversation: _Conversation[Answered], began: asyncio.Event | None
) -> tuple[_Attempt[Answered], Usage]:
    """One turn, sent again once (from the run's budget) when that is worth it."""
    attempt = await _attempt(sending, conversation, began)
    usage, failure = attempt.usage, attempt.failure
    retries = sending.retries
    if attempt.retry_after is not None:
        if retries.budget.take():
            await retries.sleep(attempt.retry_after)
            first, attempt = attempt, await _attempt(sending, conversation, began)
            usage += attempt.usage + Usage(retries=1)
            failure = _after_retry(first.failure, attempt.failure)
        else:
            limit = retries.budget.limit
            failure = f"{failure} (not retried: the run's retry budget of {limit} is spent)"
    return dataclasses.replace(attempt, failure=failure), usage


def _after_retry(first: str | None, second: str | None) -> str | None:
    if second is None:
        return None
    if second == first:
        return f"{second} (again when retried)"
    return f"{second} (when retried, after: {first})"


async def _attempt(
    sending: _Sending, conversation: _Conversation[Answered], began: asyncio.Event | None
) -> _Attempt[Answered]:
    client, model, max_tokens = sending.client, sending.model, sending.max_tokens
    params = conversation.params(client.model_id(model), max_tokens)
    watch = _StreamWatch(began)
    try:
        with translated_errors(client.provider):
            message = await _stream(client, params, watch)
    except ServiceError as exc:
        if isinstance(exc, AuthError):
            raise
        billed = _usage(watch.started, model) if watch.started is not None else Usage()
        request_id = exc.request_id or watch.request_id
        return _Attempt(None, exc.message, billed, request_id, retry_after=watch.retry_after)
    usage = _usage(message, model)
    if message.stop_reason == "tool_use" and conversation.tools is not None:
        calls, content = _tool_turn(message)
        return _Attempt(None, None, usage, watch.request_id, tool_calls=calls, content=content)
    reading = _interpret(message, max_tokens, conversation.format.parse)
    # An answer that failed validation is asked again at once: the service is fine.
    retry_after = 0.0 if reading.invalid else None
    return _Attempt(reading.answer, reading.failure, usage, watch.request_id, retry_after)


def _tool_turn(message: Message) -> tuple[tuple[ToolCall, ...], tuple[dict[str, Any], ...]]:
    """The tool calls of a ``tool_use`` turn, and its blocks as they must be sent back."""
    calls: list[ToolCall] = []
    content: list[dict[str, Any]] = []
    for block in message.content:
        if block.type == "tool_use":
            given = block.input if isinstance(block.input, dict) else {}
            calls.append(ToolCall(block.id, block.name, given))
            content.append(
                {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
            )
        elif block.type == "text" and block.text:
            content.append({"type": "text", "text": block.text})
    return tuple(calls), tuple(content)


class _StreamWatch:
    """What a stream showed before it ended: enough to bill and retry one that broke."""

    def __init__(self, began: asyncio.Event | None) -> None:
        self._began = began  # set at the first event: the cache entry is readable from then
        self.request_id: str | None = None
        self.started: Message | None = None  # message_start's message: the usage billed so far
        self.retry_after: float | None = None  # set when the broken stream is worth re-sending

    def saw(self, event: ParsedMessageStreamEvent[Any]) -> None:
        if self._began is not None:
            self._began.set()
            self._began = None
        if event.type == "message_start":
            self.started = event.message

    def broke(self, error: Exception) -> None:
        self.retry_after = _stream_retry_wait(error)


async def _stream(client: ModelClient, params: dict[str, Any], watch: _StreamWatch) -> Message:
    stream: AsyncMessageStream[Any]
    # Entering sends the request, with the SDK's retries; errors there are not ours to retry.
    async with client.sdk.messages.stream(**params) as stream:
        watch.request_id = stream.request_id
        try:
            async for event in stream:
                watch.saw(event)
        except Exception as error:
            watch.broke(error)  # the response had begun: the SDK will not retry this
            raise
        return await stream.get_final_message()


def _stream_retry_wait(error: Exception) -> float | None:
    """Seconds to wait before re-sending a request whose stream broke, or None: do not."""
    import anthropic
    import httpx2

    if isinstance(error, httpx2.TransportError):  # the connection was cut mid-response
        return RETRY_BACKOFF_S
    if isinstance(error, anthropic.APIStatusError) and error.type in _TRANSIENT_STREAM_ERRORS:
        asked = _retry_after(error.response.headers)
        return RETRY_BACKOFF_S if asked is None else min(asked, MAX_RETRY_WAIT_S)
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait the API asked for: ``retry-after-ms``, else ``retry-after`` (seconds or a date)."""
    with contextlib.suppress(TypeError, ValueError):
        return max(0.0, float(headers.get("retry-after-ms", "")) / 1000)
    value = headers.get("retry-after", "")
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    when = email.utils.parsedate_tz(value)
    if when is None:
        return None
    return max(0.0, email.utils.mktime_tz(when) - time.time())


@contextlib.contextmanager
def translated_errors(provider: Provider = "anthropic") -> Iterator[None]:
    """The one place SDK, transport and credential errors become reviewer's, keeping the request id."""
    import anthropic
    import httpx2

    service = _SERVICE[provider]
    try:
        yield
    except (anthropic.AuthenticationError, anthropic.PermissionDeniedError) as exc:
        raise AuthError(
            f"{service} refused the credentials ({exc.status_code}): {_api_message(exc)}",
            request_id=exc.request_id,
            status=exc.status_code,
            hint=_CREDENTIALS_HINT[provider],
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
        raise ServiceError(f"could not reach {service}: {exc.message}") from None
    except httpx2.TransportError as exc:
        # A stream cut mid-message surfaces as the transport's own error (not retried by the SDK).
        raise ServiceError(f"connection lost mid-response: {exc}") from None
    except anthropic.AnthropicError as exc:
        raise ServiceError(f"Anthropic SDK error: {exc}") from None
    except _credential_errors() as exc:
        # Raised while signing (botocore) or fetching a token (google-auth), before sending.
        raise AuthError(
            f"could not get credentials for {service}: {type(exc).__name__}: {exc}",
            hint=_CREDENTIALS_HINT[provider],
        ) from None


def _credential_errors() -> tuple[type[BaseException], ...]:
    """The credential libraries' base errors, of those imported: one never imported raised none."""
    bases = (
        ("botocore.exceptions", "BotoCoreError"),
        ("google.auth.exceptions", "GoogleAuthError"),
    )
    found: list[type[BaseException]] = []
    for module_name, class_name in bases:
        module = sys.modules.get(module_name)
        if module is not None:
            found.append(getattr(module, class_name))
    return tuple(found)


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


@dataclass(frozen=True)
class _Reading(Generic[Answered]):
    """What the model's message amounts to."""

    answer: Answered | None
    failure: str | None = None  # why there is no answer
    invalid: bool = False  # the answer failed validation, so asking again may help


def _interpret(
    message: Message, max_tokens: int, parse: Callable[[str], Answered]
) -> _Reading[Answered]:
    """The answer, or why there is none; never raises on what the model said."""
    reason = message.stop_reason
    if reason == "refusal":
        return _Reading(None, "the model declined to review this part (stop_reason: refusal)")
    if reason == "model_context_window_exceeded":
        return _Reading(None, "the request exceeded the model's context window")
    text = "".join(block.text for block in message.content if block.type == "text")
    try:
        return _Reading(parse(text))
    except SchemaViolation as exc:
        if reason == "max_tokens":
            failure = (
                f"the answer was cut off at max_tokens={max_tokens}; "
                "raise max_output_tokens or lower request_token_budget"
            )
        else:
            failure = f"the model's answer did not match the findings schema: {exc}"
        return _Reading(None, failure, invalid=True)


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


def require_batches(client: ModelClient) -> None:
    """Message Batches are the Anthropic API's: the SDK refuses them for Bedrock and Vertex."""
    if client.provider != "anthropic":
        raise UsageError(
            f"Message Batches (--batch) are not available with provider {client.provider}: "
            "only the Anthropic API offers them",
            hint="run without --batch, or set provider: anthropic",
        )


async def submit_batch(
    client: ModelClient, requests: Sequence[ModelRequest], *, model: ModelInfo, max_tokens: int
) -> BatchProgress:
    """Submit every request as one Message Batch (half price; results within 24 hours)."""
    require_batches(client)
    model_id = client.model_id(model)
    items: list[Any] = [
        {"custom_id": r.key, "params": request_params(r, model=model_id, max_tokens=max_tokens)}
        for r in requests
    ]
    with translated_errors(client.provider):
        batch = await client.sdk.messages.batches.create(requests=items)
    return _progress(batch)


async def batch_progress(client: ModelClient, batch_id: str) -> BatchProgress:
    require_batches(client)
    with translated_errors(client.provider):
        return _progress(await client.sdk.messages.batches.retrieve(batch_id))


async def wait_for_batch(
    client: ModelClient,
    batch_id: str,
    *,
    poll_seconds: float,
    on_progress: Callable[[BatchProgress], None] | None = None,
    sleep: Sleep = asyncio.sleep,
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
    client: ModelClient,
    batch_id: str,
    requests: Sequence[ModelRequest],
    *,
    model: ModelInfo,
    max_tokens: int,
) -> list[ModelResult]:
    """Results mapped back to the requests by custom_id; every request gets one."""
    by_key: dict[str, ModelResult] = {}
    wanted = {request.key: request for request in requests}
    require_batches(client)
    with translated_errors(client.provider):
        async for item in await client.sdk.messages.batches.results(batch_id):
            request = wanted.get(item.custom_id)
            if request is not None:
                by_key[item.custom_id] = _batch_result(request, item.result, model, max_tokens)
    missing = "the batch returned no result for this request"
    return [by_key.get(r.key) or ModelResult(r, None, Usage(), failure=missing) for r in requests]


def _batch_result(
    request: ModelRequest, result: Any, model: ModelInfo, max_tokens: int
) -> ModelResult:
    if result.type == "succeeded":
        reading = _interpret(result.message, max_tokens, parse_answer)
        usage = _usage(result.message, model, batch=True)
        return ModelResult(request, reading.answer, usage, failure=reading.failure)
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


# --------------------------------------------------------------------------- answers in a thread


async def answer(
    client: ModelClient,
    system: str,
    context: str,
    question: str,
    *,
    model: ModelInfo,
    max_tokens: int,
) -> tuple[str, Usage]:
    """Claude's plain-text answer to ``question``, streamed, and what it cost.

    ``system`` is the review rubric (cached, the same bytes as a review's first
    breakpoint); ``context`` the conversation's fenced data (cached too, so a
    follow-up in the same thread reads it back). Errors are translated as above.
    """
    params: dict[str, Any] = {
        "model": client.model_id(model),
        "max_tokens": max_tokens,
        "system": [
            {"type": "text", "text": system, "cache_control": CACHE_CONTROL},
            {"type": "text", "text": context, "cache_control": CACHE_CONTROL},
        ],
        "messages": [{"role": "user", "content": [{"type": "text", "text": question}]}],
    }
    with translated_errors(client.provider):
        async with client.sdk.messages.stream(**params) as stream:
            message = await stream.get_final_message()
    if message.stop_reason == "refusal":
        raise ServiceError("the model declined to answer (stop_reason: refusal)")
    text = "".join(block.text for block in message.content if block.type == "text").strip()
    return text, _usage(message, model)
