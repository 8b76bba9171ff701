"""The JSON output: a contract other tools parse, so its shape only ever grows.

Keys come out in a fixed order (the order they are built in, never the order
of some set), text is kept as UTF-8 rather than ``\\u`` escapes, and costs are
rounded to 6 decimals so float noise (0.1 + 0.2) does not leak into the file.

The first keys say whether the review covered the change (``complete``, the
``headline`` the text report opens with, and ``files`` counted reviewed, not
reviewed and skipped); ``not_reviewed`` and ``skipped`` keep every file, one
entry each, however many share a reason. Counts come from the findings listed,
and the summary keeps no sentence that contradicts them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from reviewer.render.claims import consistent_summary
from reviewer.render.coverage import Coverage, coverage_of
from reviewer.render.tally import Tally, tally_of
from reviewer.values import (
    DryRun,
    FilteredFinding,
    Finding,
    PathReason,
    PlannedRequest,
    Review,
    Timing,
    Usage,
)

if TYPE_CHECKING:
    from reviewer.diff import Diff

COST_DECIMALS = 6

# JSON-ready values only live inside this module: every public function returns text.
_Json = dict[str, Any]


def render_json(review: Review, *, diff: Diff | None = None) -> str:
    """The review as the documented JSON object.

    ``diff`` is the diff that was reviewed: without it ``files.reviewed`` is null.
    """
    inline = frozenset(review.inline)
    coverage = coverage_of(review, diff)
    tally = tally_of(review.findings)
    return _dump(
        {
            "complete": coverage.complete,
            "headline": coverage.headline or tally.headline,
            "files": _files(coverage),
            "model": review.model,
            "summary": consistent_summary(review.summary, review.findings),
            "severity_counts": _severity_counts(tally),
            "findings": [_finding(f, inline=f in inline) for f in review.findings],
            "not_reviewed": [_path_reason(p) for p in review.not_reviewed],
            "skipped": [_path_reason(p) for p in review.skipped],
            "filtered": [_filtered(f) for f in review.filtered],
            "usage": _usage(review.usage),
            "timing": _timing(review.timing),
        }
    )


def render_dry_run_json(dry: DryRun) -> str:
    """What a run would send, as the documented JSON object."""
    return _dump(
        {
            "dry_run": True,
            "model": dry.model,
            "requests": [_planned_request(r) for r in dry.requests],
            "skipped": [_path_reason(p) for p in dry.skipped],
            "estimated_cost_usd": round_cost(dry.estimated_cost_usd),
            "estimated_tool_turns": dry.estimated_tool_turns,
            "estimated_verifications": dry.estimated_verifications,
        }
    )


def round_cost(cost_usd: float) -> float:
    return round(cost_usd, COST_DECIMALS)


def _dump(document: _Json) -> str:
    # allow_nan=False: NaN is not JSON, and a consumer's parser would reject the file
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _finding(finding: Finding, *, inline: bool) -> _Json:
    return {
        "path": finding.path,
        "line": finding.line,
        "start_line": finding.start_line,
        "side": finding.side.value,
        "severity": finding.severity.value,
        "category": finding.category,
        "title": finding.title,
        "body": finding.body,
        "suggestion": finding.suggestion,
        "inline": inline,
        "fingerprint": finding.fingerprint(),
    }


def _files(coverage: Coverage) -> _Json:
    return {
        "reviewed": coverage.reviewed,
        "not_reviewed": coverage.not_reviewed,
        "skipped": coverage.skipped,
    }


def _severity_counts(tally: Tally) -> _Json:
    return {severity.value: count for severity, count in tally.by_severity}


def _timing(timing: Timing) -> _Json:
    return {
        "wall_seconds": round(timing.wall_seconds, 3),  # the model stage
        "request_seconds": round(timing.request_seconds, 3),
        "local_seconds": round(timing.local_seconds, 3),
    }


def _path_reason(entry: PathReason) -> _Json:
    return {"path": entry.path, "reason": entry.reason}


def _usage(usage: Usage) -> _Json:
    return {
        "requests": usage.requests,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cost_usd": round_cost(usage.cost_usd),
        "cached_hunks": usage.cached_hunks,
        "retries": usage.retries,
        "tool_turns": usage.tool_turns,
    }


def _filtered(item: FilteredFinding) -> _Json:
    """A finding the verification pass dropped: the finding as it would have been, and why."""
    return {
        **_finding(item.finding, inline=False),
        "reason": item.reason,
        "confidence": round(item.confidence, 3),
    }


def _planned_request(request: PlannedRequest) -> _Json:
    return {
        "paths": list(request.paths),
        "hunks": request.hunks,
        "estimated_input_tokens": request.estimated_input_tokens,
    }
