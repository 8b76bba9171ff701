"""The review engine: diff in, Review out. The CLI, the Action and the hook call this.

Order matters for safety: secrets are found and redacted before any prompt is
built, so nothing that leaves the machine contains them.

With a local review cache (`reviewer.cache`), each hunk is looked up before
anything else: a hunk found there is neither scanned nor sent, its findings are
re-based onto where the hunk is now. Only the rest is scanned and planned, so a
run where everything is cached imports neither detect-secrets nor jinja2 nor
the SDK. After the model answers, each request's findings go to the hunk they
are anchored in; a finding on no hunk of its request (a file-level one, or one
the model put on a file it was not shown) goes to the first hunk of its file in
that request, else to the request's first hunk, so it comes back whenever that
hunk is served. A hunk is stored only once every request that showed part of it
succeeded; a failed request stores nothing.
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
from reviewer.diff import Diff, DiffLine, FileDiff, Hunk
from reviewer.findings import anchor, select
from reviewer.plan import Plan, RequestPlan, ignore_matcher, make_plan, skip_reason
from reviewer.secrets import SecretScan, redact_text, scan_diff
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
    from reviewer.cache import CacheEntry, HunkKeys, ReviewCache
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
class PendingHunk:
    """A hunk sent this run, remembered in the cache once its requests have answered."""

    key: str
    path: str
    hunk: Hunk  # as scanned (redacted); its line numbers are the diff's
    secret_findings: tuple[Finding, ...]


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
    pending: tuple[PendingHunk, ...] = ()  # hunks to store once the model has answered


def prepare(
    diff: Diff,
    config: Config,
    pr: PullRequestText | None = None,
    *,
    cache: ReviewCache | None = None,
) -> Prepared:
    """Scan, plan and build the requests; with ``cache``, only for hunks it cannot serve.

    Scan-only results (the hunks of files that are never sent) are stored in
    ``cache`` here, since they need no answer from the model.
    """
    info = model_info(config.model)
    split = _split(diff, config, pr, cache)
    scan = _scan(split.residual)
    pending = _sort_secrets(split, scan, cache)
    reviewable = Diff(
        files=tuple(f for f, sent in zip(scan.diff.files, split.reviewable, strict=True) if sent)
    )
    plan = make_plan(
        reviewable, config, render=prompt.request_block, estimate=prompt.estimate_tokens
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


@dataclass(frozen=True)
class _Split:
    """The diff divided between what the cache served and what is left to scan and send."""

    residual: Diff  # every file with hunks the cache did not serve, or with no hunks at all
    reviewable: tuple[bool, ...]  # per residual file: sent to the model, or only scanned
    keys: tuple[tuple[str, ...], ...]  # per residual file, per hunk; empty without a cache
    skipped: tuple[PathReason, ...]  # files nobody reviews, whatever the cache holds
    cached_findings: tuple[Finding, ...] = ()
    cached_secret_findings: tuple[Finding, ...] = ()
    cached_summaries: tuple[str, ...] = ()
    cached_hunks: int = 0


def _split(
    diff: Diff, config: Config, pr: PullRequestText | None, cache: ReviewCache | None
) -> _Split:
    is_ignored = ignore_matcher(config.ignore)
    reasons = [skip_reason(file, is_ignored) for file in diff.files]
    skipped = tuple(
        PathReason(file.path, reason)
        for file, reason in zip(diff.files, reasons, strict=True)
        if reason is not None
    )
    reviewable = [reason is None for reason in reasons]
    if cache is None:
        return _Split(diff, tuple(reviewable), tuple(() for _ in diff.files), skipped)
    return _look_up(diff, reviewable, skipped, _hunk_keys(config, pr), cache)


def _hunk_keys(config: Config, pr: PullRequestText | None) -> HunkKeys:
    from reviewer.cache import HunkKeys

    pr = pr or PullRequestText()
    return HunkKeys(config, pr_title=pr.title, pr_description=pr.description)


def _look_up(
    diff: Diff,
    reviewable: Sequence[bool],
    skipped: tuple[PathReason, ...],
    hunk_keys: HunkKeys,
    cache: ReviewCache,
) -> _Split:
    keys = [
        tuple((hunk_keys.review if sent else hunk_keys.secrets)(file, h) for h in file.hunks)
        for file, sent in zip(diff.files, reviewable, strict=True)
    ]
    records = iter(cache.get_many([key for file_keys in keys for key in file_keys]))
    files: list[FileDiff] = []
    kept_reviewable: list[bool] = []
    kept_keys: list[tuple[str, ...]] = []
    served: list[Finding] = []
    summaries: list[str] = []
    hits = 0
    for file, sent, file_keys in zip(diff.files, reviewable, keys, strict=True):
        missed: list[tuple[Hunk, str]] = []
        for hunk, key in zip(file.hunks, file_keys, strict=True):
            record = next(records)
            if record is None:
                missed.append((hunk, key))
                continue
            served.extend(record.placed(file.path, hunk))
            summaries.append(record.summary)
            if sent:
                hits += 1
        if missed or not file.hunks:
            files.append(dataclasses.replace(file, hunks=tuple(h for h, _ in missed)))
            kept_reviewable.append(sent)
            kept_keys.append(tuple(key for _, key in missed))
    return _Split(
        residual=Diff(files=tuple(files)),
        reviewable=tuple(kept_reviewable),
        keys=tuple(kept_keys),
        skipped=skipped,
        cached_findings=tuple(f for f in served if f.origin != "secrets"),
        cached_secret_findings=tuple(f for f in served if f.origin == "secrets"),
        cached_summaries=tuple(s for s in summaries if s),
        cached_hunks=hits,
    )


def _scan(diff: Diff) -> SecretScan:
    if not any(file.hunks for file in diff.files):
        return SecretScan(diff, ())  # nothing to scan: detect-secrets stays unloaded
    return scan_diff(diff)


def _sort_secrets(
    split: _Split, scan: SecretScan, cache: ReviewCache | None
) -> tuple[PendingHunk, ...]:
    """Store the scan-only hunks' secrets now; the others wait for the model's answer."""
    if cache is None:
        return ()
    by_path: dict[str, list[Finding]] = {}
    for finding in scan.findings:
        by_path.setdefault(finding.path, []).append(finding)
    scan_only: list[CacheEntry] = []
    pending: list[PendingHunk] = []
    files = zip(split.residual.files, scan.diff.files, split.reviewable, split.keys, strict=True)
    for raw, scanned, sent, keys in files:
        per_hunk = _secrets_per_hunk(raw, scanned, by_path.get(scanned.path, ()))
        for hunk, key, found in zip(scanned.hunks, keys, per_hunk, strict=True):
            if sent:
                pending.append(PendingHunk(key, scanned.path, hunk, found))
            else:
                scan_only.append(_entry(key, found, hunk))
    cache.put_many(scan_only)
    return tuple(pending)


def _secrets_per_hunk(
    raw: FileDiff, scanned: FileDiff, findings: Sequence[Finding]
) -> list[tuple[Finding, ...]]:
    """Each hunk's secret findings, by line.

    A secret in a hunk header is reported once per file, without a line: it goes
    with every hunk whose header the scan redacted.
    """
    per_hunk: list[list[Finding]] = [[] for _ in scanned.hunks]
    headers = [
        index
        for index, (before, after) in enumerate(zip(raw.hunks, scanned.hunks, strict=True))
        if before.section != after.section
    ] or [0]
    for finding in findings:
        if finding.line is None:
            for index in headers:
                per_hunk[index].append(finding)
            continue
        line = finding.line
        index = next(
            (i for i, h in enumerate(scanned.hunks) if line in h.commentable(finding.side)), 0
        )
        per_hunk[index].append(finding)
    return [tuple(found) for found in per_hunk]


def _entry(key: str, findings: Sequence[Finding], hunk: Hunk, summary: str = "") -> CacheEntry:
    from reviewer.cache import CacheEntry, HunkRecord

    return CacheEntry(key, HunkRecord.of(findings, hunk, summary))


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
        cached_hunks=prepared.cached_hunks,
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
) -> Review:
    """Send the requests; with ``cache``, store what each hunk was found to hold."""
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
    return dataclasses.replace(finish(prepared, config, results, cache=cache), timing=timing)


def finish(
    prepared: Prepared,
    config: Config,
    results: Sequence[ModelResult],
    *,
    cache: ReviewCache | None = None,
) -> Review:
    """Remember what each answered hunk held (with ``cache``), then assemble the review."""
    if cache is not None:
        cache.put_many(_answered_hunks(prepared, results))
    return assemble(prepared, config, results)


def assemble(prepared: Prepared, config: Config, results: Sequence[ModelResult]) -> Review:
    """Anchor what the model said, merge local findings, and account for every file."""
    findings: list[Finding] = [*prepared.secret_findings, *prepared.cached_findings]
    not_reviewed: list[PathReason] = []
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
        findings.extend(_anchored(plan, result))
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


def _nothing_reviewed(results: Sequence[ModelResult]) -> str | None:
    """Why no request produced a review, when none did: a gate must not pass on that."""
    if not results or any(r.answer is not None for r in results):
        return None
    first = results[0].failure or "not reviewed"
    if all(r.usage.requests == 0 for r in results):
        return first  # the service never answered
    return f"no request produced a usable review ({first})"


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


def _anchored(plan: RequestPlan, result: ModelResult) -> list[Finding]:
    """Anchor against what this request showed, not the whole diff.

    A finding on a file or hunk the model never saw (a skipped lockfile, a hunk
    sent in another request) cannot be about code it read: it becomes file-level
    (or re-anchors to a line it did see) instead of landing on that line.
    """
    if result.answer is None:
        return []
    shown = Diff(files=plan.files)
    return [anchor(p, shown) for p in result.answer.findings]


class _HunkOutcome:
    """What the answered requests that showed (part of) one pending hunk found in it."""

    def __init__(self) -> None:
        self.lines_answered = 0
        self.findings: list[Finding] = []
        self.summaries: list[str] = []


@dataclass(frozen=True)
class _Shown:
    """A hunk, or a piece of one cut by the plan, as a request showed it."""

    path: str
    pending: int  # index into Prepared.pending
    lines: int


def _answered_hunks(prepared: Prepared, results: Sequence[ModelResult]) -> list[CacheEntry]:
    """A cache entry for each pending hunk whose every line was in an answered request."""
    owner = {
        _line_id(pending.path, line): index
        for index, pending in enumerate(prepared.pending)
        for line in pending.hunk.lines
    }
    outcomes = [_HunkOutcome() for _ in prepared.pending]
    for plan, result in zip(prepared.plan.requests, results, strict=True):
        shown = [
            _Shown(file.path, owner[_line_id(file.path, piece.lines[0])], len(piece.lines))
            for file in plan.files
            for piece in file.hunks
            if piece.lines and _line_id(file.path, piece.lines[0]) in owner
        ]
        if result.answer is None or not shown:
            continue
        for piece in shown:
            outcomes[piece.pending].lines_answered += piece.lines
        for index in dict.fromkeys(piece.pending for piece in shown):
            outcomes[index].summaries.append(result.answer.summary.strip())
        for finding in _anchored(plan, result):
            outcomes[_owning_hunk(finding, shown, prepared.pending)].findings.append(finding)
    return [
        _entry(
            pending.key,
            [*pending.secret_findings, *outcome.findings],
            pending.hunk,
            "\n\n".join(dict.fromkeys(s for s in outcome.summaries if s)),
        )
        for pending, outcome in zip(prepared.pending, outcomes, strict=True)
        if outcome.lines_answered == len(pending.hunk.lines)
    ]


def _line_id(path: str, line: DiffLine) -> tuple[str, str, int | None, int | None]:
    """A line's identity within a diff: a piece cut from a hunk keeps its lines' numbers."""
    return path, line.kind.value, line.old_no, line.new_no


def _owning_hunk(finding: Finding, shown: Sequence[_Shown], pending: Sequence[PendingHunk]) -> int:
    """The pending hunk ``finding`` is stored with: see the module docstring."""
    same_file = [piece.pending for piece in shown if piece.path == finding.path]
    if finding.line is not None:
        for index in same_file:
            if finding.line in pending[index].hunk.commentable(finding.side):
                return index
    return same_file[0] if same_file else shown[0].pending
