"""The verification pass: a second, cheaper look at each finding, which filters the unlikely.

After the review requests have answered, each finding the model proposed at or
above ``verify_min_severity`` is sent on its own to ``verify_model`` with the code
around it (its hunk, as the review request showed it) and, where the run has a
tree, the same repository tools on a smaller budget. The answer is structured:
keep or drop, a confidence and a one-line reason. Dropped findings leave the
review's answers before anything is anchored, cached or posted, and come back as
``Review.filtered`` (listed, collapsed, by every report): nothing is lost.

Findings of the local secret scan never come here (they never reach the API),
nor do findings served from the local review cache (they were verified when
first found). A verification request that fails keeps its finding: a doubt
about the checker is not a reason to hide a finding.

Each request is the verification system prompt (``prompts/verify.md.j2``, the
same bytes on every call, a cache breakpoint, after the tool definitions) and
the finding; its usage is added to the run's.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from reviewer import hunk_cache, prompt
from reviewer.catalog import model_info
from reviewer.config import Config
from reviewer.diff import FileDiff
from reviewer.model import (
    AnswerFormat,
    Client,
    ModelRequest,
    ModelResult,
    Outcome,
    ToolSessions,
    run_structured,
)
from reviewer.schema import ModelAnswer, ProposedFinding, SchemaViolation
from reviewer.values import FilteredFinding, Usage

if TYPE_CHECKING:
    from reviewer.plan import RequestPlan

VERIFY_TEMPLATE = "verify.md.j2"
MAX_OUTPUT_TOKENS = 1_024  # keep/drop, a confidence and one sentence
# The verifier's own tool budget, out of the review's: enough to look up a definition.
VERIFY_TOOL_TURNS = 2
VERIFY_RESULT_SHARE = 4  # a quarter of max_tool_result_tokens

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "decision": {"type": "string", "enum": ["keep", "drop"]},
        "confidence": {"type": "number"},
        "reason": {"type": "string"},
    },
    "required": ["decision", "confidence", "reason"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Verdict:
    keep: bool
    confidence: float
    reason: str


def parse_verdict(text: str) -> Verdict:
    """The verifier's JSON answer; SchemaViolation saying what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaViolation(f"answer is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("decision") not in ("keep", "drop"):
        raise SchemaViolation("answer lacks decision keep or drop")
    confidence = data.get("confidence")
    reason = data.get("reason")
    if not isinstance(confidence, int | float) or isinstance(confidence, bool):
        raise SchemaViolation("confidence should be a number")
    if not isinstance(reason, str):
        raise SchemaViolation("reason should be a string")
    one_line = " ".join(reason.split())
    return Verdict(data["decision"] == "keep", min(1.0, max(0.0, float(confidence))), one_line)


@dataclass(frozen=True)
class Verification:
    """The review's results with the dropped findings taken out, and what was dropped."""

    results: tuple[ModelResult, ...]
    filtered: tuple[FilteredFinding, ...]
    usage: Usage


@dataclass(frozen=True)
class _Candidate:
    result_index: int
    proposed: ProposedFinding


@cache
def system_prompt() -> str:
    """The verification instructions, then the reviewer's own rubric for reference.

    The rubric defines the severities and categories the findings use, and it makes the
    prefix long enough to be cached (the minimum we plan for is 4,096 tokens): every
    verification request after the first of a run reads it instead of paying for it.
    """
    return (
        f"{prompt.render_template(VERIFY_TEMPLATE).rstrip()}\n\n"
        "# For reference: the rubric the reviewer worked to\n\n"
        "Everything below is the reviewer's brief, not your task: it defines the severities "
        "and categories a finding uses, and what the reviewer was asked to look for.\n\n"
        f"{prompt.system_prompt()}"
    )


def candidates(results: Sequence[ModelResult], config: Config) -> list[_Candidate]:
    """The model's findings worth a second look, in answer order."""
    return [
        _Candidate(index, proposed)
        for index, result in enumerate(results)
        if result.answer is not None
        for proposed in result.answer.findings
        if proposed.severity.at_least(config.verify_min_severity)
    ]


async def verify_results(
    client: Client,
    plans: Sequence[RequestPlan],
    results: Sequence[ModelResult],
    config: Config,
    *,
    tools: ToolSessions | None = None,
) -> Verification:
    """Verify every candidate finding; drop those the verifier drops."""
    chosen = candidates(results, config)
    if not chosen:
        return Verification(tuple(results), (), Usage())
    requests = [
        _request(index, candidate, plans[candidate.result_index])
        for index, candidate in enumerate(chosen, 1)
    ]
    # provider_model_id names the review model's id at the provider, not the verifier's.
    outcomes = await run_structured(
        dataclasses.replace(client, model_id_override=None),
        requests,
        AnswerFormat(VERDICT_SCHEMA, parse_verdict),
        model=model_info(config.verify_model),
        max_tokens=MAX_OUTPUT_TOKENS,
        concurrency=config.concurrency,
        tools=tools,
    )
    return _apply(plans, results, chosen, outcomes)


def _request(number: int, candidate: _Candidate, plan: RequestPlan) -> ModelRequest:
    return ModelRequest(
        key=f"v{number:03d}",
        system=system_prompt(),
        context="",
        body=_body(candidate.proposed, plan),
    )


def _body(proposed: ProposedFinding, plan: RequestPlan) -> str:
    finding = {
        "path": proposed.path,
        "side": proposed.side.value,
        "line": proposed.line,
        "start_line": proposed.start_line,
        "severity": proposed.severity.value,
        "category": proposed.category,
        "title": proposed.title,
        "body": proposed.body,
        "suggestion": proposed.suggestion,
    }
    shown = json.dumps(finding, ensure_ascii=False, indent=2)
    code = _code_around(proposed, plan.files)
    where = prompt.request_block(code) if code else "(the finding's file is not in the diff)"
    return (
        "Check this finding:\n"
        + prompt.fenced("FINDING", shown)
        + "\n\nThe code it is about, as the review showed it:\n"
        + where
    )


def _code_around(proposed: ProposedFinding, files: Sequence[FileDiff]) -> list[FileDiff]:
    """The hunk of the finding's file that holds its line (all of them if none does)."""
    for file in files:
        if prompt.display_path(file.path) != proposed.path and file.path != proposed.path:
            continue
        holding = tuple(
            hunk
            for hunk in file.hunks
            if any(proposed.line in (line.new_no, line.old_no) for line in hunk.lines)
        )
        return [dataclasses.replace(file, hunks=holding or file.hunks)]
    return []


def _apply(
    plans: Sequence[RequestPlan],
    results: Sequence[ModelResult],
    chosen: Sequence[_Candidate],
    outcomes: Sequence[Outcome[Verdict]],
) -> Verification:
    usage = Usage()
    dropped: dict[int, list[tuple[ProposedFinding, Verdict]]] = {}
    for candidate, outcome in zip(chosen, outcomes, strict=True):
        usage += outcome.usage
        verdict = outcome.answer
        if verdict is not None and not verdict.keep:
            dropped.setdefault(candidate.result_index, []).append((candidate.proposed, verdict))
    kept_results = []
    filtered: list[FilteredFinding] = []
    for index, result in enumerate(results):
        gone = dropped.get(index)
        if not gone or result.answer is None:
            kept_results.append(result)
            continue
        removed = {id(proposed) for proposed, _ in gone}
        kept = tuple(p for p in result.answer.findings if id(p) not in removed)
        kept_results.append(
            dataclasses.replace(result, answer=dataclasses.replace(result.answer, findings=kept))
        )
        filtered += _anchored(plans[index], result, gone)
    filtered.sort(key=lambda item: item.finding.severity.rank)
    return Verification(tuple(kept_results), tuple(filtered), usage)


def _anchored(
    plan: RequestPlan, result: ModelResult, gone: Sequence[tuple[ProposedFinding, Verdict]]
) -> list[FilteredFinding]:
    """Dropped findings anchored as they would have been, with the verifier's reason."""
    filtered = []
    for proposed, verdict in gone:
        alone = dataclasses.replace(result, answer=ModelAnswer("", (proposed,)))
        for finding in hunk_cache.anchored(plan, alone):
            filtered.append(FilteredFinding(finding, verdict.reason, verdict.confidence))
    return filtered
