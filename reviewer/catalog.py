"""The one table of models: ids, prices and caching limits.

Prices are list prices in USD per million tokens, from Anthropic's public pricing
page (as of anthropic 2.10). Cache writes with the default
5-minute TTL cost 1.25x the input price and cache reads 0.1x. A model keeps its
prices whichever provider serves it; each provider has its own id for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from reviewer.errors import ConfigError
from reviewer.values import Usage

Provider: TypeAlias = Literal["anthropic", "bedrock", "vertex"]
PROVIDERS: tuple[Provider, ...] = ("anthropic", "bedrock", "vertex")

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
    # Prompt and answer together, per request (API-NOTES: 1M context for the 5.5 family).
    context_window_tokens: int = 1_000_000
    bedrock_id: str = field(kw_only=True)  # the model's id on Amazon Bedrock
    vertex_id: str = field(kw_only=True)  # the model's id on Google Vertex AI

    def id_for(self, provider: Provider) -> str:
        """The id this model goes by at ``provider`` (config's provider_model_id overrides it)."""
        if provider == "bedrock":
            return self.bedrock_id
        if provider == "vertex":
            return self.vertex_id
        return self.id


# Provider ids are UNVERIFIED for these models: neither the SDK nor any source we can
# check names them. They follow the providers' patterns for earlier models, as the
# SDK's own table lists them (anthropic/_constants.py: "anthropic.claude-opus-4-1-
# 20250805-v1:0" on Bedrock, "claude-opus-4-1@20250805" on Vertex) with the date
# dropped, as the 5.5 family's Anthropic ids have none: Bedrock
# "anthropic.<id>-v1:0", Vertex the bare id. When a provider names a model
# otherwise, `provider_model_id` in the configuration sends that id instead.
MODELS: dict[str, ModelInfo] = {
    info.id: info
    for info in (
        ModelInfo(
            "claude-sonnet-5-5",
            2.0,
            10.0,
            bedrock_id="anthropic.claude-sonnet-5-5-v1:0",
            vertex_id="claude-sonnet-5-5",
        ),
        ModelInfo(
            "claude-haiku-5-5",
            0.10,
            0.50,
            bedrock_id="anthropic.claude-haiku-5-5-v1:0",
            vertex_id="claude-haiku-5-5",
        ),
        ModelInfo(
            "claude-opus-5-5",
            4.0,
            20.0,
            bedrock_id="anthropic.claude-opus-5-5-v1:0",
            vertex_id="claude-opus-5-5",
        ),
        ModelInfo(
            "claude-fable-5-2",
            8.0,
            40.0,
            bedrock_id="anthropic.claude-fable-5-2-v1:0",
            vertex_id="claude-fable-5-2",
        ),
    )
}

DEFAULT_MODEL = "claude-sonnet-5-5"


def model_info(model_id: str, *, source: str = "config") -> ModelInfo:
    """The catalog's entry for ``model_id``; a ConfigError naming ``source`` when unknown.

    ``source`` is a place in a file (the message adds the key ``model``) or a
    command-line option such as ``--model``, which names the setting itself.
    """
    try:
        return MODELS[model_id]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        key = None if source.startswith("--") else "model"
        raise ConfigError(
            f"unknown model {model_id!r}; known models: {known}", source=source, key=key
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
