"""Configuration: where it comes from, what keys it has, and their validation.

Looked up in order: ``--config PATH``, ``.github/reviewer.yml`` in the repository,
``[tool.reviewer]`` in ``pyproject.toml``; the first found wins (they are not
merged, so what a run uses is always one file a user can read). Unknown keys and
wrong types are errors naming the file, the line where known, and the key.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.catalog import DEFAULT_MODEL, PROVIDERS, Provider, model_info
from reviewer.errors import ConfigError
from reviewer.values import Severity

YAML_LOCATION = Path(".github/reviewer.yml")
PYPROJECT_LOCATION = Path("pyproject.toml")


@dataclass(frozen=True)
class Config:
    model: str = DEFAULT_MODEL
    max_comments: int = 25
    min_severity: Severity = Severity.NIT
    fail_on: Severity | None = None  # None: never fail on findings
    ignore: tuple[str, ...] = ()
    instructions: str = ""
    path_instructions: tuple[tuple[str, str], ...] = ()
    max_requests: int = 20
    request_token_budget: int = 12_000
    concurrency: int = 4
    language: str = "English"
    max_output_tokens: int = 8_192
    max_retries: int = 4  # the SDK's own retries (429, 5xx, connection errors)
    timeout_seconds: int = 300
    # `reviewer hook` only: its own threshold, so a CI's fail_on does not block commits
    hook_fail_on: Severity | None = Severity.MAJOR
    hook_require_key: bool = False  # True: no ANTHROPIC_API_KEY fails the hook instead of passing
    provider: Provider = "anthropic"  # who serves the model: the Anthropic API, Bedrock, Vertex AI
    aws_region: str | None = None  # bedrock; None: AWS_REGION, else AWS_DEFAULT_REGION
    gcp_project: str | None = None  # vertex; None: ANTHROPIC_VERTEX_PROJECT_ID
    gcp_region: str | None = None  # vertex; None: CLOUD_ML_REGION
    provider_model_id: str | None = None  # sent instead of the catalog's id for the provider
    source: str = "defaults"  # where the values came from, for messages

    def with_overrides(self, **changes: Any) -> Config:
        present = {key: value for key, value in changes.items() if value is not None}
        return dataclasses.replace(self, **present)


def parse_fail_on(raw: str, *, source: str, key: str = "fail_on") -> Severity | None:
    if raw == "never":
        return None
    return _severity(raw, source=source, key=key)


def _severity(raw: object, *, source: str, key: str) -> Severity:
    try:
        return Severity(str(raw))
    except ValueError:
        choices = ", ".join(s.value for s in Severity)
        raise ConfigError(
            f"must be one of {choices}, got {raw!r}", source=source, key=key
        ) from None


@dataclass(frozen=True)
class ProviderTarget:
    """Where requests go: the provider and its location, with environment fallbacks applied."""

    provider: Provider
    aws_region: str | None = None  # set for bedrock
    gcp_project: str | None = None  # set for vertex
    gcp_region: str | None = None  # set for vertex


# The SDK's own variables (anthropic/lib/bedrock/_client.py, lib/vertex/_client.py), so a
# machine already set up for the SDK needs no configuration beyond `provider`.
_ENV_FALLBACKS: Mapping[str, tuple[str, ...]] = {
    "aws_region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
    "gcp_project": ("ANTHROPIC_VERTEX_PROJECT_ID",),
    "gcp_region": ("CLOUD_ML_REGION",),
}


def provider_target(config: Config, env: Mapping[str, str]) -> ProviderTarget:
    """The configured provider's location; a ConfigError naming the key when one is missing."""
    if config.provider == "bedrock":
        return ProviderTarget("bedrock", aws_region=_located(config, env, "aws_region"))
    if config.provider == "vertex":
        return ProviderTarget(
            "vertex",
            gcp_project=_located(config, env, "gcp_project"),
            gcp_region=_located(config, env, "gcp_region"),
        )
    return ProviderTarget("anthropic")


def _located(config: Config, env: Mapping[str, str], key: str) -> str:
    configured: str | None = getattr(config, key)
    if configured is not None:
        return configured
    variables = _ENV_FALLBACKS[key]
    for name in variables:
        value = env.get(name, "").strip()
        if value:
            checked: str = _PARSERS[key](value, f"environment variable {name}", key)
            return checked
    raise ConfigError(
        f"provider {config.provider} needs this key: set it in the configuration, "
        f"or set {' or '.join(variables)}",
        source=config.source,
        key=key,
    )


def load_config(explicit: Path | None, repo_root: Path | None) -> Config:
    """Load the first configuration found; defaults when there is none."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError("file not found", source=str(explicit))
        return _load_file(explicit)
    if repo_root is not None:
        for candidate in (repo_root / YAML_LOCATION, repo_root / PYPROJECT_LOCATION):
            if candidate.is_file():
                return _load_file(candidate)
    return Config()


def _load_file(path: Path) -> Config:
    if path.suffix == ".toml":
        return _load_pyproject(path)
    return _load_yaml(path)


def _load_pyproject(path: Path) -> Config:
    import tomllib

    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=source) from None
    section = data.get("tool", {}).get("reviewer")
    if section is None:
        return Config()
    if not isinstance(section, dict):
        raise ConfigError("must be a table", source=source, key="tool.reviewer")
    return config_from_mapping(section, source=source)


def _load_yaml(path: Path) -> Config:
    import yaml

    source = str(path)
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', exc)}", source=where) from None
    if data is None:
        return Config(source=source)
    if not isinstance(data, dict):
        raise ConfigError("must be a mapping of keys to values", source=source)
    lines = _key_lines(root)
    return config_from_mapping(data, source=source, key_lines=lines)


def _key_lines(root: Any) -> dict[str, int]:
    """Line numbers of the top-level keys, so errors can point at them."""
    import yaml

    if not isinstance(root, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in root.value}


def config_from_mapping(
    data: Mapping[str, Any], *, source: str, key_lines: Mapping[str, int] | None = None
) -> Config:
    lines = key_lines or {}
    values: dict[str, Any] = {}
    for key, raw in data.items():
        where = f"{source}:{lines[key]}" if key in lines else source
        parser = _PARSERS.get(str(key))
        if parser is None:
            known = ", ".join(sorted(_PARSERS))
            raise ConfigError(f"unknown key (known keys: {known})", source=where, key=str(key))
        values[str(key)] = parser(raw, where, str(key))
    return Config(source=source, **values)


def _int_in(low: int, high: int) -> Callable[[object, str, str], int]:
    def parse(raw: object, source: str, key: str) -> int:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ConfigError(f"must be an integer, got {raw!r}", source=source, key=key)
        if not low <= raw <= high:
            raise ConfigError(
                f"must be between {low} and {high}, got {raw}", source=source, key=key
            )
        return raw

    return parse


def _text(raw: object, source: str, key: str) -> str:
    if not isinstance(raw, str):
        raise ConfigError(f"must be a string, got {raw!r}", source=source, key=key)
    return raw


def _model(raw: object, source: str, key: str) -> str:
    model = _text(raw, source, key)
    model_info(model, source=source)
    return model


def _globs(raw: object, source: str, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ConfigError(f"must be a list of glob strings, got {raw!r}", source=source, key=key)
    return tuple(raw)


def _path_instructions(raw: object, source: str, key: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise ConfigError("must be a mapping of glob to text", source=source, key=key)
    pairs = []
    for glob, text in raw.items():
        if not isinstance(glob, str) or not isinstance(text, str):
            raise ConfigError(
                f"entry {glob!r} must map a glob string to a text", source=source, key=key
            )
        pairs.append((glob, text))
    return tuple(pairs)


def _min_severity(raw: object, source: str, key: str) -> Severity:
    return _severity(raw, source=source, key=key)


def _fail_on(raw: object, source: str, key: str) -> Severity | None:
    return parse_fail_on(str(raw), source=source, key=key)


def _flag(raw: object, source: str, key: str) -> bool:
    if not isinstance(raw, bool):
        raise ConfigError(f"must be true or false, got {raw!r}", source=source, key=key)
    return raw


def _provider(raw: object, source: str, key: str) -> Provider:
    for provider in PROVIDERS:
        if raw == provider:
            return provider
    choices = ", ".join(PROVIDERS)
    raise ConfigError(f"must be one of {choices}, got {raw!r}", source=source, key=key)


# Each value goes into a URL (a host name or a path segment), so only the characters
# the providers use are accepted: AWS regions like us-east-1, Vertex regions like
# us-east5 or global, project ids (optionally domain-scoped, example.com:my-project).
_AWS_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
_GCP_REGION = re.compile(r"[a-z][a-z0-9-]*[a-z0-9]")
_GCP_PROJECT = re.compile(r"([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]")
_PROVIDER_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/-]*")


def _optional_matching(pattern: re.Pattern[str], what: str) -> Callable[[object, str, str], Any]:
    def parse(raw: object, source: str, key: str) -> str | None:
        if raw is None:  # YAML null, and the unset value in a saved batch state
            return None
        if not isinstance(raw, str) or not pattern.fullmatch(raw):
            raise ConfigError(f"must be {what}, got {raw!r}", source=source, key=key)
        return raw

    return parse


_PARSERS: dict[str, Callable[[object, str, str], Any]] = {
    "model": _model,
    "max_comments": _int_in(0, 1000),
    "min_severity": _min_severity,
    "fail_on": _fail_on,
    "ignore": _globs,
    "instructions": _text,
    "path_instructions": _path_instructions,
    "max_requests": _int_in(1, 1000),
    "request_token_budget": _int_in(500, 200_000),
    "concurrency": _int_in(1, 64),
    "language": _text,
    "max_output_tokens": _int_in(256, 64_000),
    "max_retries": _int_in(0, 10),
    "timeout_seconds": _int_in(10, 3600),
    "hook_fail_on": _fail_on,
    "hook_require_key": _flag,
    "provider": _provider,
    "aws_region": _optional_matching(_AWS_REGION, "an AWS region such as us-east-1"),
    "gcp_project": _optional_matching(_GCP_PROJECT, "a Google Cloud project id"),
    "gcp_region": _optional_matching(_GCP_REGION, "a Vertex AI region such as us-east5"),
    "provider_model_id": _optional_matching(
        _PROVIDER_MODEL_ID, "a model id such as anthropic.claude-sonnet-5-5-v1:0"
    ),
}

assert set(_PARSERS) | {"source"} == {f.name for f in dataclasses.fields(Config)}, "keep in sync"
