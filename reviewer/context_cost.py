"""What the dry run adds for repository tools and the verification pass: turns, findings, cost.

Neither can be known before the model answers, so the estimate rests on stated
assumptions (real runs report what was billed, tool turns included):

- **Tools.** Each review request uses half its turn budget (``ceil(max_tool_turns / 2)``,
  3 by default); each turn asks in about ``TOOL_CALL_OUTPUT_TOKENS`` output tokens and
  brings back an even share of the result budget (``max_tool_result_tokens /
  max_tool_turns``). Every turn reads the conversation so far from the cache (0.1x) and
  writes what is new (1.25x); the request's hunks become a cache write too. The tool
  definitions and the tools note join the cached prefix.
- **Verification.** ``EXPECTED_FINDINGS_PER_REQUEST`` findings per request reach
  ``verify_min_severity``; each is one request to ``verify_model`` of the verification
  prompt (which carries the rubric, so it is above the cache minimum), the tool
  definitions and ``VERIFY_BODY_TOKENS`` of finding and code, answering in
  ``VERIFY_OUTPUT_TOKENS``, with no tool turn. The first writes the prefix to the cache
  (1.25x), the others read it (0.1x).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from reviewer import prompt
from reviewer.catalog import CACHE_READ_MULTIPLIER, CACHE_WRITE_MULTIPLIER, ModelInfo, model_info
from reviewer.config import Config

TOOL_CALL_OUTPUT_TOKENS = 150
EXPECTED_FINDINGS_PER_REQUEST = 2
VERIFY_BODY_TOKENS = 1_200
VERIFY_OUTPUT_TOKENS = 120


@dataclass(frozen=True)
class ContextEstimate:
    tool_turns: int = 0
    verifications: int = 0
    cost_usd: float = 0.0


def estimate(
    request_bodies: list[str], prefix_tokens: int, config: Config, *, tools: bool
) -> ContextEstimate:
    """The extra turns, verifications and dollars a run of these requests would add."""
    model = model_info(config.model)
    turns = 0
    cost = 0.0
    if tools:
        per_request = math.ceil(config.max_tool_turns / 2)
        turns = per_request * len(request_bodies)
        for body in request_bodies:
            cost += _tool_turns_cost(model, prefix_tokens, body, per_request, config)
    verifications = EXPECTED_FINDINGS_PER_REQUEST * len(request_bodies) if config.verify else 0
    if verifications:
        cost += _verification_cost(config, verifications)
    return ContextEstimate(turns, verifications, cost)


def tool_definition_tokens() -> int:
    from reviewer.repository.tools import TOOL_DEFINITIONS

    return prompt.estimate_tokens(json.dumps(TOOL_DEFINITIONS))


def _tool_turns_cost(
    model: ModelInfo, prefix_tokens: int, body: str, turns: int, config: Config
) -> float:
    per_input = model.input_usd_per_mtok / 1_000_000
    per_output = model.output_usd_per_mtok / 1_000_000
    body_tokens = prompt.estimate_tokens(body)
    result_tokens = config.max_tool_result_tokens / config.max_tool_turns
    # The hunks are a breakpoint now: written at 1.25x instead of sent at 1x.
    cost = body_tokens * per_input * (CACHE_WRITE_MULTIPLIER - 1.0)
    conversation: float = prefix_tokens + tool_definition_tokens() + body_tokens
    for _ in range(turns):
        new = TOOL_CALL_OUTPUT_TOKENS + result_tokens
        cost += conversation * per_input * CACHE_READ_MULTIPLIER
        cost += new * per_input * CACHE_WRITE_MULTIPLIER
        cost += TOOL_CALL_OUTPUT_TOKENS * per_output
        conversation += new
    return cost


def _verification_cost(config: Config, verifications: int) -> float:
    from reviewer.verify import system_prompt

    verifier = model_info(config.verify_model)
    prefix = prompt.estimate_tokens(system_prompt()) + tool_definition_tokens()
    cached = prefix >= verifier.min_cacheable_tokens
    first = CACHE_WRITE_MULTIPLIER if cached else 1.0
    rest = CACHE_READ_MULTIPLIER if cached else 1.0
    prefix_tokens = prefix * (first + rest * (verifications - 1))
    per_request = VERIFY_BODY_TOKENS * verifier.input_usd_per_mtok
    per_request += VERIFY_OUTPUT_TOKENS * verifier.output_usd_per_mtok
    return (prefix_tokens * verifier.input_usd_per_mtok + verifications * per_request) / 1e6
