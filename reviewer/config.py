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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

from reviewer.catalog import DEFAULT_MODEL, PROVIDERS, Provider, model_info
from reviewer.errors import ConfigError
from reviewer.globs import glob_problem
from reviewer.values import Severity

YAML_LOCATION = Path(".github/reviewer.yml")
PYPROJECT_LOCATION = Path("pyproject.toml")

# What a run that did not review every file it should have exits with: "fail"
# (the service-failure code), or "pass" (the code its findings give).
OnIncomplete: TypeAlias = Literal["fail", "pass"]
ON_INCOMPLETE: tuple[OnIncomplete, ...] = ("fail", "pass")
# Whether the model may read the repository through tools (where a tree is available).
ContextMode: TypeAlias = Literal["tools", "off"]
CONTEXT_MODES: tuple[ContextMode, ...] = ("tools", "off")


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
    on_incomplete: OnIncomplete = "fail"
    context: ContextMode = "tools"  # repository tools, when the command has a tree to offer
    max_tool_turns: int = 6  # per review request; then the model answers without tools
    max_tool_result_tokens: int = 20_000  # tool results per review request
    verify: bool = True  # a second, cheaper look at each finding; dropped ones are listed
    verify_model: str = "claude-haiku-5-5"
    verify_min_severity: Severity = Severity.MINOR  # findings below are not verified
    source: str = "defaults"  # where the values came from, for messages

    def with_overrides(self, **changes: Any) -> Config:
        present = {key: value for key, value in changes.items() if value is not None}
        return dataclasses.replace(self, **present)


def parse_fail_on(raw: str, *, source: str, key: str = "fail_on") -> Severity | None:
    if raw == "never":
        return None
    return _severity(raw, source=source, key=key, also=("never",))


def _severity(raw: object, *, source: str, key: str, also: tuple[str, ...] = ()) -> Severity:
    try:
        return Severity(str(raw))
    except ValueError:
        choices = ", ".join((*(s.value for s in Severity), *also))
        raise ConfigError(
            f"must be one of {choices}, got {raw!r}", source=source, key=key
        ) from None


# What every request holds besides the diff and the instructions: the reviewer's
# rubric and the run context (the PR text, the file list). An estimate on the high side.
PROMPT_RESERVE_TOKENS = 16_000


def instruction_tokens(config: Config, estimate: Callable[[str], int]) -> int:
    """The estimated size of ``instructions`` and every ``path_instructions`` entry."""
    texts = [config.instructions, *(part for pair in config.path_instructions for part in pair)]
    return sum(estimate(text) for text in texts)


def diff_room(config: Config, prefix_tokens: int) -> int:
    """Tokens left for one request's diff: the context window less the answer and the prefix."""
    window = model_info(config.model).context_window_tokens
    return window - config.max_output_tokens - prefix_tokens


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


@dataclass(frozen=True)
class _KeyLines:
    """Where a file sets each key, and each entry of a list or mapping value, 1-based."""

    keys: Mapping[str, int] = field(default_factory=dict)
    # (key, index in a list) or (key, key in a mapping) -> line
    entries: Mapping[tuple[str, int | str], int] = field(default_factory=dict)


def _load_file(path: Path) -> Config:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes().count(b"\n", 0, exc.start) + 1
        raise ConfigError("not UTF-8 text", source=f"{source}:{line}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", source=source) from None
    if path.suffix == ".toml":
        return _load_pyproject(text, source)
    return _load_yaml(text, source)


_TOML_ERROR_PLACE = re.compile(r" \(at line (\d+), column \d+\)$")


def _load_pyproject(text: str, source: str) -> Config:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        place = _TOML_ERROR_PLACE.search(message)
        where = f"{source}:{place[1]}" if place else source
        problem = message[: place.start()] if place else message
        raise ConfigError(f"not valid TOML: {problem}", source=where) from None
    section = data.get("tool", {}).get("reviewer")
    if section is None:
        return Config()
    lines = _toml_lines(text)
    if not isinstance(section, dict):
        where = _at(source, lines.keys.get(""))
        raise ConfigError("must be a table", source=where, key="tool.reviewer")
    return config_from_mapping(
        section, source=source, key_lines=lines.keys, entry_lines=lines.entries
    )


def _load_yaml(text: str, source: str) -> Config:
    import yaml

    # libyaml's loader when PyYAML has it: the pure-Python one takes seconds on
    # a few megabytes of instructions. One pass gives the nodes (for line numbers)
    # and the values.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', exc)}", source=where) from None
    finally:
        loader.dispose()
    if data is None:
        return Config(source=source)
    if not isinstance(data, dict):
        raise ConfigError("must be a mapping of keys to values", source=source)
    lines = _yaml_lines(root, source)
    return config_from_mapping(data, source=source, key_lines=lines.keys, entry_lines=lines.entries)


def _yaml_lines(root: Any, source: str) -> _KeyLines:
    """Lines of the top-level keys and their entries; a duplicate key is an error.

    PyYAML keeps the last of two equal keys without a word, so a setting
    written twice would silently lose its first value.
    """
    import yaml

    if not isinstance(root, yaml.MappingNode):
        return _KeyLines()
    keys: dict[str, int] = {}
    entries: dict[tuple[str, int | str], int] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 1
        _reject_duplicate(keys, key, line, source=source, key=key, what="key")
        if isinstance(value_node, yaml.SequenceNode):
            for index, item in enumerate(value_node.value):
                entries[(key, index)] = item.start_mark.line + 1
        elif isinstance(value_node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for entry_node, _ in value_node.value:
                entry = str(entry_node.value)
                line = entry_node.start_mark.line + 1
                _reject_duplicate(
                    seen, entry, line, source=source, key=key, what=f"entry {entry!r}"
                )
                entries[(key, entry)] = line
    return _KeyLines(keys, entries)


def _reject_duplicate(
    seen: dict[str, int], name: str, line: int, *, source: str, key: str, what: str
) -> None:
    """Remember that ``name`` is set on ``line``; a second time is an error naming both."""
    if name in seen:
        raise ConfigError(
            f"duplicate {what}: set on line {seen[name]} and again on line {line}",
            source=f"{source}:{line}",
            key=key,
        )
    seen[name] = line


# TOML, as far as finding where [tool.reviewer]'s keys are written takes: table
# headers, dotted keys (bare or quoted), and the strings of an array value.
_TOML_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_TOML_TABLE = re.compile(rf"\s*\[\s*({_TOML_KEY_PART}(?:\s*\.\s*{_TOML_KEY_PART})*)\s*\]")
_TOML_KEY = re.compile(rf"\s*({_TOML_KEY_PART}(?:\s*\.\s*{_TOML_KEY_PART})*)\s*=")
_TOML_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'[^']*'""")
_SECTION = ("tool", "reviewer")


def _toml_lines(text: str) -> _KeyLines:
    """Lines of [tool.reviewer]'s keys and entries in a valid TOML document.

    tomllib gives values without positions; error messages need the line.
    The line of the section itself is stored under the key "".
    """
    keys: dict[str, int] = {}
    entries: dict[tuple[str, int | str], int] = {}
    lines = text.split("\n")
    table: tuple[str, ...] = ()
    in_multiline = False
    for number, line in enumerate(lines, 1):
        # inside a multi-line string, "key = 1" is text, not a key
        opens_or_closes = (line.count('"""') + line.count("'''")) % 2 == 1
        if in_multiline:
            in_multiline = not opens_or_closes
            continue
        in_multiline = opens_or_closes
        header = _TOML_TABLE.match(line)
        if header and not line.lstrip().startswith("[["):
            table = _toml_key_parts(header[1])
            _note_toml_key(table, number, keys, entries)
            continue
        assignment = _TOML_KEY.match(line)
        if assignment is None:
            continue
        parts = (*table, *_toml_key_parts(assignment[1]))
        _note_toml_key(parts, number, keys, entries)
        if len(parts) == len(_SECTION) + 1 and line[assignment.end() :].lstrip().startswith("["):
            for index, item_line in enumerate(_array_item_lines(lines, number, assignment.end())):
                entries[(parts[-1], index)] = item_line
    return _KeyLines(keys, entries)


def _toml_key_parts(dotted: str) -> tuple[str, ...]:
    parts = re.findall(_TOML_KEY_PART, dotted)
    return tuple(part[1:-1] if part[:1] in ('"', "'") else part for part in parts)


def _note_toml_key(
    parts: tuple[str, ...],
    number: int,
    keys: dict[str, int],
    entries: dict[tuple[str, int | str], int],
) -> None:
    if parts[: len(_SECTION)] != _SECTION:
        return
    rest = parts[len(_SECTION) :]
    keys.setdefault(rest[0] if rest else "", number)
    if len(rest) >= 2:
        entries.setdefault((rest[0], rest[1]), number)


def _array_item_lines(lines: list[str], number: int, column: int) -> list[int]:
    """The line of each string in the array that starts at ``lines[number - 1][column:]``."""
    found: list[int] = []
    depth = 0
    for offset, line in enumerate(lines[number - 1 :]):
        text = line[column:] if offset == 0 else line
        position = 0
        while position < len(text):
            char = text[position]
            string = _TOML_STRING.match(text, position)
            if string is not None:
                found.append(number + offset)
                position = string.end()
                continue
            if char == "#":
                break
            depth += (char == "[") - (char == "]")
            if depth == 0 and char == "]":
                return found
            position += 1
    return found


def _at(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line is not None else source


class _EntryError(Exception):
    """A value's entry is wrong: config_from_mapping adds the entry's line."""

    def __init__(self, entry: int | str, message: str) -> None:
        super().__init__(message)
        self.entry = entry
        self.message = message


def config_from_mapping(
    data: Mapping[str, Any],
    *,
    source: str,
    key_lines: Mapping[str, int] | None = None,
    entry_lines: Mapping[tuple[str, int | str], int] | None = None,
) -> Config:
    """Check every key of ``data``; errors name ``source``, the line where known, and the key."""
    lines = key_lines or {}
    entries = entry_lines or {}
    values: dict[str, Any] = {}
    for raw_key, raw in data.items():
        key = str(raw_key)
        where = _at(source, lines.get(key))
        parser = _PARSERS.get(key)
        if parser is None:
            raise ConfigError(_unknown_key(key), source=where, key=key)
        # A command-line option such as --fail-on names the setting itself: an
        # error says "--fail-on: must be ...", not "--fail-on: fail_on: must be ...".
        shown_key = "" if source.startswith("--") else key
        try:
            values[key] = parser(raw, where, shown_key)
        except _EntryError as exc:
            entry_where = _at(source, entries.get((key, exc.entry), lines.get(key)))
            raise ConfigError(exc.message, source=entry_where, key=key) from None
    config = Config(source=source, **values)
    _check_sizes(config, lambda key: _at(source, lines.get(key)))
    return config


def _unknown_key(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, _PARSERS, n=1)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return "unknown key (the Configuration section of the README lists the keys)"


def _check_sizes(config: Config, where: Callable[[str], str]) -> None:
    """Instructions must leave room in every request for a diff and the answer."""
    if not config.instructions and not config.path_instructions:
        return
    from reviewer.prompt import estimate_tokens  # the estimate the plan packs requests by

    own = estimate_tokens(config.instructions)
    total = instruction_tokens(config, estimate_tokens)
    room = diff_room(config, PROMPT_RESERVE_TOKENS) - config.request_token_budget
    if total <= room:
        return
    key = "instructions" if own * 2 >= total else "path_instructions"
    size = sum(len(text.encode()) for text in (config.instructions, *_pair_texts(config)))
    window = model_info(config.model).context_window_tokens
    raise ConfigError(
        f"instructions and path_instructions are about {total:,} tokens ({_megabytes(size)}), "
        f"more than the {room:,} that {config.model}'s context window of {window:,} tokens "
        f"leaves after one request's diff (request_token_budget {config.request_token_budget:,}),"
        f" the answer (max_output_tokens {config.max_output_tokens:,}) and reviewer's own "
        f"prompt (about {PROMPT_RESERVE_TOKENS:,}); shorten them",
        source=where(key),
        key=key,
    )


def _pair_texts(config: Config) -> list[str]:
    return [part for pair in config.path_instructions for part in pair]


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


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


def _language(raw: object, source: str, key: str) -> str:
    language = _text(raw, source, key)
    if not language.strip():
        raise ConfigError(
            "must name a language, such as English, got an empty text", source=source, key=key
        )
    return language


def _globs(raw: object, source: str, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"must be a list of glob strings, got {raw!r}", source=source, key=key)
    for index, item in enumerate(raw):
        if not isinstance(item, str):
            raise _EntryError(index, f"must be a list of glob strings, got {item!r} in it")
        _check_glob(index, item)
    return tuple(raw)


def _check_glob(entry: int | str, glob: str) -> None:
    problem = glob_problem(glob)
    if problem is not None:
        raise _EntryError(entry, f"invalid glob {glob!r}: {problem}")


def _path_instructions(raw: object, source: str, key: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise ConfigError("must be a mapping of glob to text", source=source, key=key)
    pairs = []
    for glob, text in raw.items():
        if not isinstance(glob, str) or not isinstance(text, str):
            raise _EntryError(str(glob), f"entry {glob!r} must map a glob string to a text")
        _check_glob(glob, glob)
        pairs.append((glob, text))
    return tuple(pairs)


def _min_severity(raw: object, source: str, key: str) -> Severity:
    return _severity(raw, source=source, key=key)


def _fail_on(raw: object, source: str, key: str) -> Severity | None:
    return parse_fail_on(str(raw), source=source, key=key)


def _on_incomplete(raw: object, source: str, key: str) -> OnIncomplete:
    for choice in ON_INCOMPLETE:
        if raw == choice:
            return choice
    choices = ", ".join(ON_INCOMPLETE)
    raise ConfigError(f"must be one of {choices}, got {raw!r}", source=source, key=key)


def _context(raw: object, source: str, key: str) -> ContextMode:
    if raw is False:  # YAML 1.1 reads a bare `off` as false
        return "off"
    for choice in CONTEXT_MODES:
        if raw == choice:
            return choice
    choices = ", ".join(CONTEXT_MODES)
    raise ConfigError(f"must be one of {choices}, got {raw!r}", source=source, key=key)


def _on_off(raw: object, source: str, key: str) -> bool:
    """``on``/``off`` (YAML 1.1 reads a bare on/off as true/false: both are accepted)."""
    if raw in ("on", True):
        return True
    if raw in ("off", False):
        return False
    raise ConfigError(f"must be on or off, got {raw!r}", source=source, key=key)


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
    "language": _language,
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
    "on_incomplete": _on_incomplete,
    "context": _context,
    "max_tool_turns": _int_in(1, 50),
    "max_tool_result_tokens": _int_in(1_000, 500_000),
    "verify": _on_off,
    "verify_model": _model,
    "verify_min_severity": _min_severity,
}

assert set(_PARSERS) | {"source"} == {f.name for f in dataclasses.fields(Config)}, "keep in sync"
