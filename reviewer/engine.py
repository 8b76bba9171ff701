"""The review engine: diff in, Review out. Every command runs a review through ``run``.

The pipeline, in order: files nobody reviews are set aside (``plan``), hunks
reviewed before come from the local cache (``hunk_cache``), the rest is scanned
for secrets and redacted (``secrets``) before any prompt is built, so nothing
that leaves the machine contains them; it is cut into requests (``plan``,
``prompt``), sent (``model``: streamed, or as one Message Batch, ``batch``),
and what comes back is anchored to the diff and merged with the local findings
(``findings``). A run where everything is cached imports neither
the secret rule engine nor jinja2 nor the SDK.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from reviewer import context_cost, hunk_cache, prompt
from reviewer.cache import HunkKeys, ReviewCache
from reviewer.catalog import (
    BATCH_DISCOUNT,
    CACHE_READ_MULTIPLIER,
    CACHE_WRITE_MULTIPLIER,
    ModelInfo,
    model_info,
)
from reviewer.config import Config
from reviewer.diff import Diff
from reviewer.errors import UsageError
from reviewer.findings import select
from reviewer.plan import Plan, RequestPlan, ignore_matcher, make_plan, skip_reason
from reviewer.secrets import SecretScan, redact_text, scan_diff
from reviewer.values import (
    DryRun,
    FilteredFinding,
    Finding,
    NotSent,
    PathReason,
    PlannedRequest,
    Review,
    ServiceFailure,
    Timing,
    Usage,
)

if TYPE_CHECKING:
    from reviewer.batch import BatchWait
    from reviewer.model import Client, ModelRequest, ModelResult, ToolSessions
    from reviewer.repository.tools import ToolBudget
    from reviewer.repository.tree import GitTree

# Dry-run cost estimates assume this many output tokens per request: a review
# answer with a handful of findings. Real runs report what was actually billed.
EXPECTED_OUTPUT_TOKENS = 1_500


@dataclass(frozen=True)
class PullRequestText:
    """What the author wrote about the change; untrusted, redacted before use."""

    title: str | None = None
    description: str | None = None


# Called only once there is something to send, so a run with nothing to send
# needs no credentials and imports no SDK.
ClientFactory: TypeAlias = "Callable[[], Client | NotSent]"


@dataclass(frozen=True)
class Stream:
    """Send every request now, streamed; ``on_progress(done, total)`` after each answer."""

    on_progress: Callable[[int, int], None] | None = None


@dataclass(frozen=True)
class Batch:
    """Send every request as one Message Batch, save what resume needs, and wait."""

    wait: BatchWait
    source: str  # names the diff in the saved state, e.g. a path or ``octo/app#7``
    diff: Diff  # the diff as read, rewritten into the state when ``diff_text`` is None
    diff_text: str | None = None


@dataclass(frozen=True)
class Resume:
    """Collect a batch submitted earlier from the same diff and configuration."""

    batch_id: str
    request_digests: tuple[tuple[str, str], ...]  # (custom_id, sha256 of the request body)
    wait: BatchWait


Mode: TypeAlias = Stream | Batch | Resume


def run(
    diff: Diff,
    config: Config,
    *,
    client_factory: ClientFactory,
    pr: PullRequestText | None = None,
    cache: ReviewCache | None = None,
    mode: Mode | None = None,
    generated: Set[str] = frozenset(),
    tree: GitTree | None = None,
) -> Review:
    """Review ``diff``: prepare locally, send what is left, and assemble the Review.

    ``generated``: paths the repository marks generated (``linguist-generated``), skipped.
    ``tree``: the tree the diff's new side describes; with ``context: tools`` the model
    may read it (streamed runs only: a Message Batch cannot hold a conversation).
    """
    if isinstance(mode, Batch | Resume) and config.provider != "anthropic":
        raise UsageError(
            f"Message Batches (--batch) are not available with provider {config.provider}: "
            "only the Anthropic API offers them",
            hint="run without --batch, or set provider: anthropic",
        )
    started = time.monotonic()
    prepared = prepare(diff, config, pr, cache=cache, generated=generated)
    local = Timing(local_seconds=time.monotonic() - started)
    if not prepared.requests:
        return dataclasses.replace(assemble(prepared, config, []), timing=local)
    client = client_factory()
    if isinstance(client, NotSent):
        return dataclasses.replace(_not_sent(prepared, config, client.reason), timing=local)
    mode = mode or Stream()
    # Deferred: a run with nothing to send (a fully cached hook run) never starts a loop.
    import asyncio

    # Ctrl-C cancels the wait (a batch keeps running); the CLI then exits 130.
    review = asyncio.run(_send(prepared, config, client, mode, pr, cache, tree))
    return dataclasses.replace(
        review, timing=dataclasses.replace(review.timing, local_seconds=local.local_seconds)
    )


async def _send(
    prepared: Prepared,
    config: Config,
    client: Client,
    mode: Mode,
    pr: PullRequestText | None,
    cache: ReviewCache | None,
    tree: GitTree | None = None,
) -> Review:
    # One event loop for the client's whole life: its pooled connections belong to it.
    if isinstance(mode, Stream):
        return await review(
            prepared, config, client, on_result=_counter(mode, prepared), cache=cache, tree=tree
        )
    if isinstance(mode, Batch):
        results = await _send_as_batch(prepared, config, client, mode, pr)
    else:
        results = await _collect_batch(prepared, config, client, mode)
    return finish(prepared, config, results, cache=cache)


def _counter(mode: Stream, prepared: Prepared) -> Callable[[ModelResult], None] | None:
    report = mode.on_progress
    if report is None:
        return None
    total = len(prepared.requests)
    done = 0

    def advance(_result: ModelResult) -> None:
        nonlocal done
        done += 1
        report(done, total)

    return advance


def _not_sent(prepared: Prepared, config: Config, reason: str) -> Review:
    """The local findings only: every request is reported as not reviewed, for ``reason``."""
    from reviewer.model import ModelResult

    results = [ModelResult(request, None, Usage(), failure=reason) for request in prepared.requests]
    # Nothing failed on the service's side: the run is incomplete by configuration.
    return dataclasses.replace(assemble(prepared, config, results), service_failure=None)


@dataclass(frozen=True)
class Prepared:
    """Everything decided locally, before any request is sent."""

    plan: Plan
    secret_findings: tuple[Finding, ...]  # found now, and served from the cache
    requests: tuple[ModelRequest, ...]
    model: ModelInfo
    redacted_diff: Diff  # what was scanned: everything the cache did not serve
    cached_findings: tuple[Finding, ...] = ()  # the model's, served from the cache and re-based
    cached_summaries: tuple[str, ...] = ()
    cached_hunks: int = 0  # reviewable hunks served from the cache, so not sent
    pending: tuple[hunk_cache.PendingHunk, ...] = ()  # stored once the model has answered


def prepare(
    diff: Diff,
    config: Config,
    pr: PullRequestText | None = None,
    *,
    cache: ReviewCache | None = None,
    generated: Set[str] = frozenset(),
) -> Prepared:
    """Scan, plan and build the requests; with ``cache``, only for hunks it cannot serve.

    Scan-only results (the hunks of files that are never sent) are stored in
    ``cache`` here, since they need no answer from the model.
    """
    info = model_info(config.model)
    split = _split(diff, config, pr, cache, generated)
    scan = _scan(split.residual)
    pending = hunk_cache.sort_secrets(split, scan, cache) if cache is not None else ()
    reviewable = Diff(
        files=tuple(f for f, sent in zip(scan.diff.files, split.reviewable, strict=True) if sent)
    )
    plan = make_plan(
        reviewable,
        config,
        render=prompt.request_block,
        estimate=prompt.estimate_tokens,
        generated=generated,
    )
    plan = dataclasses.replace(plan, skipped=split.skipped + plan.skipped)
    return Prepared(
        plan=plan,
        secret_findings=scan.findings + split.cached_secret_findings,
        requests=_requests(plan, config, pr),
        model=info,
        redacted_diff=scan.diff,
        cached_findings=split.cached_findings,
        cached_summaries=split.cached_summaries,
        cached_hunks=split.cached_hunks,
        pending=pending,
    )


def _split(
    diff: Diff,
    config: Config,
    pr: PullRequestText | None,
    cache: ReviewCache | None,
    generated: Set[str],
) -> hunk_cache.Split:
    is_ignored = ignore_matcher(config.ignore)
    reasons = [skip_reason(file, is_ignored, generated) for file in diff.files]
    skipped = tuple(
        PathReason(file.path, reason)
        for file, reason in zip(diff.files, reasons, strict=True)
        if reason is not None
    )
    reviewable = [reason is None for reason in reasons]
    if cache is None:
        return hunk_cache.uncached(diff, reviewable, skipped)
    return hunk_cache.look_up(diff, reviewable, skipped, _hunk_keys(config, pr), cache)


def _hunk_keys(config: Config, pr: PullRequestText | None) -> HunkKeys:
    pr = pr or PullRequestText()
    return HunkKeys(config, pr_title=pr.title, pr_description=pr.description)


def _scan(diff: Diff) -> SecretScan:
    if not any(file.hunks for file in diff.files):
        return SecretScan(diff, ())  # nothing to scan: the rule engine stays unloaded
    return scan_diff(diff)


def _requests(plan: Plan, config: Config, pr: PullRequestText | None) -> tuple[ModelRequest, ...]:
    if not plan.requests:
        return ()  # and the templates, jinja2 included, stay unloaded
    from reviewer.model import ModelRequest

    context = prompt.context_block(_run_context(plan, config, pr))
    system = prompt.system_prompt()
    return tuple(
        ModelRequest(
            key=f"r{index:03d}",
            system=system,
            context=context,
            body=prompt.request_block(request.files),
        )
        for index, request in enumerate(plan.requests, 1)
    )


def _run_context(plan: Plan, config: Config, pr: PullRequestText | None) -> prompt.RunContext:
    pr = pr or PullRequestText()
    return prompt.RunContext(
        title=_redacted(pr.title),
        description=_redacted(pr.description),
        files=tuple(prompt.FileSummary.of(f) for f in plan.reviewed_files),
        instructions=_redacted(config.instructions) or "",
        path_instructions=config.path_instructions,
        language=config.language,
    )


def _redacted(text: str | None) -> str | None:
    return None if text is None else redact_text(text)[0]


def dry_run(
    prepared: Prepared, *, batch: bool = False, config: Config | None = None, tools: bool = False
) -> DryRun:
    """What a run would send and cost; ``batch``: priced as one Message Batch.

    With ``config``, tool turns (``tools``: the run has a tree and ``context: tools``;
    never in a batch) and the verification pass are estimated too (``context_cost``).
    """
    planned = tuple(
        PlannedRequest(
            paths=plan.paths,
            hunks=plan.hunks,
            estimated_input_tokens=prompt.estimate_tokens(
                request.system + request.context + request.body
            ),
        )
        for plan, request in zip(prepared.plan.requests, prepared.requests, strict=True)
    )
    extra = context_cost.ContextEstimate()
    if config is not None and prepared.requests and not batch:
        first = prepared.requests[0]
        extra = context_cost.estimate(
            [request.body for request in prepared.requests],
            prompt.estimate_tokens(first.system + first.context),
            config,
            tools=tools and config.context == "tools",
        )
    return DryRun(
        model=prepared.model.id,
        requests=planned,
        skipped=prepared.plan.skipped + prepared.plan.left_out,
        estimated_cost_usd=estimated_cost(prepared) * (BATCH_DISCOUNT if batch else 1.0)
        + extra.cost_usd,
        cached_hunks=prepared.cached_hunks,
        batch=batch,
        estimated_tool_turns=extra.tool_turns,
        estimated_verifications=extra.verifications,
    )


def estimated_cost(prepared: Prepared) -> float:
    """Cost if the shared prefix is written once and read by every later request."""
    if not prepared.requests:
        return 0.0
    first = prepared.requests[0]
    prefix = prompt.estimate_tokens(first.system + first.context)
    cached = prefix >= prepared.model.min_cacheable_tokens
    per_input = prepared.model.input_usd_per_mtok / 1_000_000
    per_output = prepared.model.output_usd_per_mtok / 1_000_000
    total = 0.0
    for index, request in enumerate(prepared.requests):
        multiplier = 1.0
        if cached:
            multiplier = CACHE_WRITE_MULTIPLIER if index == 0 else CACHE_READ_MULTIPLIER
        total += prefix * per_input * multiplier
        total += prompt.estimate_tokens(request.body) * per_input
        total += EXPECTED_OUTPUT_TOKENS * per_output
    return total


async def review(
    prepared: Prepared,
    config: Config,
    client: Client,
    *,
    on_result: Callable[[ModelResult], None] | None = None,
    cache: ReviewCache | None = None,
    tree: GitTree | None = None,
) -> Review:
    """Stream the requests (with the repository tools over ``tree`` when configured), verify
    the findings (``verify``), and with ``cache`` store what each hunk was found to hold."""
    from reviewer.model import run_requests

    started = time.monotonic()
    results: Sequence[ModelResult] = await run_requests(
        client,
        prepared.requests,
        model=prepared.model,
        max_tokens=config.max_output_tokens,
        concurrency=config.concurrency,
        on_result=on_result,
        tools=_tool_sessions(config, tree),
    )
    request_seconds = sum(result.seconds for result in results)
    filtered: tuple[FilteredFinding, ...] = ()
    extra = Usage()
    if config.verify:
        from reviewer import verify

        checked = await verify.verify_results(
            client,
            prepared.plan.requests,
            results,
            config,
            tools=_tool_sessions(config, tree, verifying=True),
        )
        results, filtered, extra = checked.results, checked.filtered, checked.usage
    timing = Timing(wall_seconds=time.monotonic() - started, request_seconds=request_seconds)
    done = finish(prepared, config, results, cache=cache)
    return dataclasses.replace(done, timing=timing, filtered=filtered, usage=done.usage + extra)


def _tool_sessions(
    config: Config, tree: GitTree | None, *, verifying: bool = False
) -> ToolSessions | None:
    """A fresh tool budget per request over ``tree``; None when there is no tree or tools are off."""
    if tree is None or config.context != "tools":
        return None
    from reviewer.repository.tools import RepositoryTools

    tools = RepositoryTools(tree, redact=redact_text, estimate=prompt.estimate_tokens)
    budget = tool_budget(config, verifying=verifying)
    return lambda: tools.session(budget)


def tool_budget(config: Config, *, verifying: bool = False) -> ToolBudget:
    """A review request's tool budget, or a verification request's smaller one."""
    from reviewer.repository.tools import ToolBudget
    from reviewer.verify import VERIFY_RESULT_SHARE, VERIFY_TOOL_TURNS

    if not verifying:
        return ToolBudget(config.max_tool_turns, config.max_tool_result_tokens)
    return ToolBudget(
        min(VERIFY_TOOL_TURNS, config.max_tool_turns),
        config.max_tool_result_tokens // VERIFY_RESULT_SHARE,
    )


async def _send_as_batch(
    prepared: Prepared, config: Config, client: Client, mode: Batch, pr: PullRequestText | None
) -> list[ModelResult]:
    from reviewer import batch

    pr = pr or PullRequestText()
    submitted = batch.SubmittedRun(
        diff_text=mode.diff_text if mode.diff_text is not None else batch.diff_text(mode.diff),
        diff_source=mode.source,
        config=config,
        title=pr.title,
        description=pr.description,
    )
    return await batch.send_as_batch(
        client,
        prepared.requests,
        model=prepared.model,
        max_tokens=config.max_output_tokens,
        run=submitted,
        wait=mode.wait,
    )


async def _collect_batch(
    prepared: Prepared, config: Config, client: Client, mode: Resume
) -> list[ModelResult]:
    from reviewer import batch

    # Match rebuilt requests to submitted ones by content, not position: a request
    # the batch does not hold is reported as not reviewed rather than mis-mapped.
    submitted = {sha: key for key, sha in mode.request_digests}
    requests = [
        dataclasses.replace(r, key=submitted.get(batch.digest(r.body), f"not-in-batch-{r.key}"))
        for r in prepared.requests
    ]
    return await batch.collect(
        client,
        requests,
        mode.batch_id,
        model=prepared.model,
        max_tokens=config.max_output_tokens,
        wait=mode.wait,
    )


def finish(
    prepared: Prepared,
    config: Config,
    results: Sequence[ModelResult],
    *,
    cache: ReviewCache | None = None,
) -> Review:
    """Remember what each answered hunk held (with ``cache``), then assemble the review."""
    if cache is not None:
        cache.put_many(hunk_cache.answered_hunks(prepared.pending, prepared.plan.requests, results))
    return assemble(prepared, config, results)


def assemble(prepared: Prepared, config: Config, results: Sequence[ModelResult]) -> Review:
    """Anchor what the model said, merge local findings, and account for every file."""
    findings: list[Finding] = [*prepared.secret_findings, *prepared.cached_findings]
    not_reviewed: list[PathReason] = list(prepared.plan.left_out)
    summaries: list[str] = list(prepared.cached_summaries)
    usage = Usage(cached_hunks=prepared.cached_hunks)
    for plan, result in zip(prepared.plan.requests, results, strict=True):
        usage += result.usage
        if result.answer is None:
            reason = result.failure or "not reviewed"
            if result.request_id:
                reason += f" (request id {result.request_id})"
            not_reviewed.extend(PathReason(path, reason) for path in plan.paths)
            continue
        summaries.append(_labelled(result.answer.summary.strip(), plan, prepared))
        findings.extend(hunk_cache.anchored(plan, result))
    selection = select(findings, max_comments=config.max_comments, min_severity=config.min_severity)
    return Review(
        model=prepared.model.id,
        findings=selection.findings,
        inline=selection.inline,
        summary=_summary(summaries, prepared, selection.findings),
        not_reviewed=tuple(not_reviewed),
        skipped=prepared.plan.skipped,
        usage=usage,
        below_min_severity=selection.below_min_severity,
        service_failure=_nothing_reviewed(results),
    )


def _nothing_reviewed(results: Sequence[ModelResult]) -> ServiceFailure | None:
    """Why no request produced a review, when none did: a gate must not pass on that."""
    if not results or any(r.answer is not None for r in results):
        return None
    first = results[0].failure or "not reviewed"
    if all(r.usage.requests == 0 for r in results):
        return ServiceFailure(first)  # the service never answered
    return ServiceFailure(f"no request produced a usable review ({first})", answered=True)


def _labelled(summary: str, plan: RequestPlan, prepared: Prepared) -> str:
    """With several requests, each summary speaks of its own files: say which."""
    if len(prepared.plan.requests) < 2 or not summary:
        return summary
    paths = ", ".join(f"`{path}`" for path in plan.paths[:3])
    more = f" and {len(plan.paths) - 3} more" if len(plan.paths) > 3 else ""
    return f"{paths}{more}: {summary}"


def _summary(summaries: Sequence[str], prepared: Prepared, findings: Sequence[Finding]) -> str:
    distinct = list(dict.fromkeys(s for s in summaries if s))
    if distinct:
        return "\n\n".join(distinct)
    if not prepared.requests and prepared.cached_hunks:
        return "Every hunk was reviewed before: the findings come from the local cache."
    if not prepared.requests:
        return "Nothing to review: the diff has no reviewable changes."
    if findings:
        return "Only local checks produced findings; the model review did not complete."
    return "The model review did not complete."
