"""The one table of models: ids, prices and caching limits.

Prices are list prices in USD per million tokens, from ../shared/API-NOTES.md
(the public pricing page as of anthropic 2.10). Cache writes with the default
5-minute TTL cost 1.25x the input price and cache reads 0.1x.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewer.errors import ConfigError
from reviewer.values import Usage

CACHE_WRITE_MULTIPLIER = 1.25
CACHE_READ_MULTIPLIER = 0.1
BATCH_DISCOUNT = 0.5


@dataclass(frozen=True)
class ModelInfo:
    id: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    # Not documented for the 5.5 family; API-NOTES says to plan for the largest
    # minimum seen (4,096 tokens), so the system prompt is sized above it.
    min_cacheable_tokens: int = 4096
    max_output_tokens: int = 128_000


MODELS: dict[str, ModelInfo] = {
    info.id: info
    for info in (
        ModelInfo("claude-sonnet-5-5", 2.0, 10.0),
        ModelInfo("claude-haiku-5-5", 0.10, 0.50),
        ModelInfo("claude-opus-5-5", 4.0, 20.0),
        ModelInfo("claude-fable-5-2", 8.0, 40.0),
    )
}

DEFAULT_MODEL = "claude-sonnet-5-5"


def model_info(model_id: str, *, source: str = "config") -> ModelInfo:
    try:
        return MODELS[model_id]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ConfigError(
            f"unknown model {model_id!r}; known models: {known}", source=source, key="model"
        ) from None


def cost_usd(
    info: ModelInfo,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_creation_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
) -> float:
    per_input = info.input_usd_per_mtok / 1_000_000
    per_output = info.output_usd_per_mtok / 1_000_000
    return (
        input_tokens * per_input
        + cache_creation_input_tokens * per_input * CACHE_WRITE_MULTIPLIER
        + cache_read_input_tokens * per_input * CACHE_READ_MULTIPLIER
        + output_tokens * per_output
    )


def priced_usage(
    info: ModelInfo,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_creation_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
    batch: bool = False,
) -> Usage:
    """One request's usage and cost; Message Batches are billed at half price."""
    multiplier = BATCH_DISCOUNT if batch else 1.0
    return Usage(
        requests=1,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_creation_input_tokens=cache_creation_input_tokens,
        cache_read_input_tokens=cache_read_input_tokens,
        cost_usd=multiplier
        * cost_usd(
            info,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_creation_input_tokens=cache_creation_input_tokens,
            cache_read_input_tokens=cache_read_input_tokens,
        ),
    )
