"""What a case expects: the issues listed in its ``expected.yml``.

The file is a YAML list; each item has ``path`` and optionally ``lines``
(``[start, end]`` on the new side, or one number), ``severity`` and
``description``. An issue without ``lines`` is file-level. ``[]`` marks a clean
change. Errors name the file, the line of the offending item and the key.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from reviewer.errors import ConfigError
from reviewer.evaluation.yamlfile import read_yaml
from reviewer.values import Severity

_KEYS = ("path", "lines", "severity", "description")


@dataclass(frozen=True)
class ExpectedIssue:
    """One labelled issue. ``lines`` is None for a file-level issue."""

    path: str
    lines: tuple[int, int] | None  # new-side line numbers, both ends included
    severity: Severity | None = None
    description: str = ""


def parse_expected(
    text: str, *, source: str, changed: Collection[str] | None = None
) -> tuple[ExpectedIssue, ...]:
    """The issues listed in ``text`` (the contents of ``source``).

    With ``changed`` (the paths the case's diff changes), an issue on any other
    path is an error: no finding could ever be anchored there.
    """
    document = read_yaml(text, source=source)
    data = document.data
    if data is None:
        raise ConfigError("is empty: write [] for a clean change", source=source)
    if not isinstance(data, list):
        raise ConfigError(
            "must be a list of expected issues ([] for a clean change)", source=source
        )
    return tuple(
        _issue(item, source=f"{source}:{line}", changed=changed)
        for item, line in zip(data, document.item_lines, strict=True)
    )


def _issue(item: object, *, source: str, changed: Collection[str] | None) -> ExpectedIssue:
    if not isinstance(item, Mapping):
        raise ConfigError("each expected issue must be a mapping with a 'path'", source=source)
    unknown = sorted(str(key) for key in item if key not in _KEYS)
    if unknown:
        known = ", ".join(_KEYS)
        raise ConfigError(f"unknown key (known keys: {known})", source=source, key=unknown[0])
    if "path" not in item:
        raise ConfigError("missing", source=source, key="path")
    return ExpectedIssue(
        path=_path(item["path"], source, changed),
        lines=_lines(item.get("lines"), source),
        severity=_severity(item.get("severity"), source),
        description=_description(item.get("description"), source),
    )


def _path(raw: object, source: str, changed: Collection[str] | None) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError("must be a non-empty string", source=source, key="path")
    if changed is not None and raw not in changed:
        listed = ", ".join(sorted(changed))
        raise ConfigError(
            f"{raw!r} is not a file the diff changes ({listed})", source=source, key="path"
        )
    return raw


def _lines(raw: Any, source: str) -> tuple[int, int] | None:
    if raw is None:
        return None
    bounds = [raw] if _is_int(raw) else raw
    if not isinstance(bounds, list) or len(bounds) not in (1, 2) or not all(map(_is_int, bounds)):
        raise ConfigError(
            f"must be [start, end] or one line number, got {raw!r}", source=source, key="lines"
        )
    start, end = bounds[0], bounds[-1]
    if not 1 <= start <= end:
        raise ConfigError(
            f"must satisfy 1 <= start <= end, got [{start}, {end}]", source=source, key="lines"
        )
    return start, end


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _severity(raw: object, source: str) -> Severity | None:
    if raw is None:
        return None
    try:
        return Severity(str(raw))
    except ValueError:
        choices = ", ".join(s.value for s in Severity)
        raise ConfigError(
            f"must be one of {choices}, got {raw!r}", source=source, key="severity"
        ) from None


def _description(raw: object, source: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ConfigError("must be a string", source=source, key="description")
    return raw
