"""The review engine: diff in, Review out. The CLI, the Action and the hook call this.

Order matters for safety: secrets are found and redacted before any prompt is
built, so nothing that leaves the machine contains them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewer import prompt
from reviewer.catalog import (
    CACHE_READ_MULTIPLIER,
    CACHE_WRITE_MULTIPLIER,
    ModelInfo,
    model_info,
)
from reviewer.config import Config
from reviewer.diff import Diff
from reviewer.findings import anchor, select
from reviewer.plan import Plan, make_plan
from reviewer.secrets import redact_text, scan_diff
from reviewer.values import (
    DryRun,
    Finding,
    PathReason,
    PlannedRequest,
    Review,
    Timing,
    Usage,
)

if TYPE_CHECKING:
    from reviewer.model import Client, ModelRequest, ModelResult

# Dry-run cost estimates assume this many output tokens per request: a review
# answer with a handful of findings. Real runs report what was actually billed.
EXPECTED_OUTPUT_TOKENS = 1_500


@dataclass(frozen=True)
class PullRequestText:
    """What the author wrote about the change; untrusted, redacted before use."""

    title: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Prepared:
    """Everything decided locally, before any request is sent."""

    plan: Plan
    secret_findings: tuple[Finding, ...]
    requests: tuple[ModelRequest, ...]
    model: ModelInfo
    redacted_diff: Diff


def prepare(diff: Diff, config: Config, pr: PullRequestText | None = None) -> Prepared:
    from reviewer.model import ModelRequest

    info = model_info(config.model)
    scan = scan_diff(diff)
    plan = make_plan(
        scan.diff, config, render=prompt.request_block, estimate=prompt.estimate_tokens
    )
    context = prompt.context_block(_run_context(plan, config, pr))
    system = prompt.system_prompt()
    requests = tuple(
        ModelRequest(
            key=f"r{index:03d}",
            system=system,
            context=context,
            body=prompt.request_block(request.files),
        )
        for index, request in enumerate(plan.requests, 1)
    )
    return Prepared(plan, scan.findings, requests, info, scan.diff)


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


def dry_run(prepared: Prepared) -> DryRun:
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
    return DryRun(
        model=prepared.model.id,
        requests=planned,
        skipped=prepared.plan.skipped,
        estimated_cost_usd=estimated_cost(prepared),
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
) -> Review:
    from reviewer.model import run_requests

    started = time.monotonic()
    results = await run_requests(
        client,
        prepared.requests,
        model=prepared.model,
        max_tokens=config.max_output_tokens,
        concurrency=config.concurrency,
        on_result=on_result,
    )
    timing = Timing(
        wall_seconds=time.monotonic() - started,
        request_seconds=sum(result.seconds for result in results),
    )
    return dataclasses.replace(assemble(prepared, config, results), timing=timing)


def assemble(prepared: Prepared, config: Config, results: Sequence[ModelResult]) -> Review:
    """Anchor what the model said, merge local findings, and account for every file."""
    findings: list[Finding] = list(prepared.secret_findings)
    not_reviewed: list[PathReason] = []
    summaries: list[str] = []
    usage = Usage()
    for plan, result in zip(prepared.plan.requests, results, strict=True):
        usage += result.usage
        if result.answer is None:
            reason = result.failure or "not reviewed"
            if result.request_id:
                reason += f" (request id {result.request_id})"
            not_reviewed.extend(PathReason(path, reason) for path in plan.paths)
            continue
        summaries.append(result.answer.summary.strip())
        findings.extend(anchor(p, prepared.redacted_diff) for p in result.answer.findings)
    selection = select(findings, max_comments=config.max_comments, min_severity=config.min_severity)
    failed_all = bool(results) and all(r.answer is None and r.usage.requests == 0 for r in results)
    return Review(
        model=prepared.model.id,
        findings=selection.findings,
        inline=selection.inline,
        summary=_summary(summaries, prepared, selection.findings),
        not_reviewed=tuple(not_reviewed),
        skipped=prepared.plan.skipped,
        usage=usage,
        below_min_severity=selection.below_min_severity,
        service_failure=results[0].failure if failed_all else None,
    )


def _summary(summaries: Sequence[str], prepared: Prepared, findings: Sequence[Finding]) -> str:
    distinct = list(dict.fromkeys(s for s in summaries if s))
    if distinct:
        return "\n\n".join(distinct)
    if not prepared.requests:
        return "Nothing to review: the diff has no reviewable changes."
    if findings:
        return "Only local checks produced findings; the model review did not complete."
    return "The model review did not complete."
