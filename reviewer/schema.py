"""The shape the model must answer in, and its translation into typed values.

The JSON schema is sent as ``output_config.format`` (structured outputs), so the
API constrains decoding to it; we still validate, because a truncated answer
(``stop_reason: max_tokens``) or a misbehaving proxy can hand back anything.
Structured outputs want ``additionalProperties: false`` and every property
listed in ``required`` (optional values are expressed as ``null``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from reviewer.values import SEVERITIES, Severity, Side

CATEGORIES: tuple[str, ...] = (
    "correctness",
    "security",
    "performance",
    "concurrency",
    "error-handling",
    "resource-leak",
    "api-design",
    "maintainability",
    "testing",
    "documentation",
    "style",
)

_FINDING_PROPERTIES: dict[str, Any] = {
    "path": {"type": "string"},
    "side": {"type": "string", "enum": [side.value for side in Side]},
    "line": {"type": "integer"},
    "start_line": {"type": ["integer", "null"]},
    "code": {"type": "string"},
    "severity": {"type": "string", "enum": [s.value for s in SEVERITIES]},
    "category": {"type": "string", "enum": list(CATEGORIES)},
    "title": {"type": "string"},
    "body": {"type": "string"},
    "suggestion": {"type": ["string", "null"]},
}

FINDINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": _FINDING_PROPERTIES,
                "required": list(_FINDING_PROPERTIES),
                "additionalProperties": False,
            },
        },
    },
    "required": ["summary", "findings"],
    "additionalProperties": False,
}


T = TypeVar("T")
E = TypeVar("E", Severity, Side)


class SchemaViolation(ValueError):
    """The model's answer does not match FINDINGS_SCHEMA."""


@dataclass(frozen=True)
class ProposedFinding:
    """A finding as the model proposed it, before it is anchored to the diff."""

    path: str
    side: Side
    line: int
    start_line: int | None
    code: str  # the text of the cited line, used to re-anchor a misplaced finding
    severity: Severity
    category: str
    title: str
    body: str
    suggestion: str | None


@dataclass(frozen=True)
class ModelAnswer:
    summary: str
    findings: tuple[ProposedFinding, ...]


def parse_answer(text: str) -> ModelAnswer:
    """Parse the model's JSON text; raise SchemaViolation saying what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaViolation(f"answer is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SchemaViolation("answer is not a JSON object")
    summary = _field(data, "summary", str, "answer")
    items = _field(data, "findings", list, "answer")
    findings = tuple(_parse_finding(item, index) for index, item in enumerate(items))
    return ModelAnswer(summary=summary, findings=findings)


def _parse_finding(item: object, index: int) -> ProposedFinding:
    where = f"findings[{index}]"
    if not isinstance(item, dict):
        raise SchemaViolation(f"{where} is not an object")
    severity = _enum(item, "severity", Severity, where)
    side = _enum(item, "side", Side, where)
    category = _field(item, "category", str, where)
    if category not in CATEGORIES:
        raise SchemaViolation(f"{where}.category {category!r} is not one of {CATEGORIES}")
    line = _field(item, "line", int, where)
    start_line = _optional(item, "start_line", int, where)
    if line < 1 or (start_line is not None and start_line < 1):
        raise SchemaViolation(f"{where}: line numbers start at 1")
    return ProposedFinding(
        path=_field(item, "path", str, where),
        side=side,
        line=line,
        start_line=start_line,
        code=_field(item, "code", str, where),
        severity=severity,
        category=category,
        title=_field(item, "title", str, where).strip(),
        body=_field(item, "body", str, where).strip(),
        suggestion=_optional(item, "suggestion", str, where),
    )


def _field(data: dict[str, Any], key: str, kind: type[T], where: str) -> T:
    if key not in data:
        raise SchemaViolation(f"{where} lacks {key!r}")
    value = data[key]
    # bool is an int subclass; a JSON true is not a line number
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SchemaViolation(f"{where}.{key} should be {kind.__name__}, got {value!r:.80}")
    return value


def _optional(data: dict[str, Any], key: str, kind: type[T], where: str) -> T | None:
    if data.get(key) is None:
        return None
    return _field(data, key, kind, where)


def _enum(data: dict[str, Any], key: str, kind: type[E], where: str) -> E:
    raw = _field(data, key, str, where)
    try:
        return kind(raw)
    except ValueError:
        raise SchemaViolation(
            f"{where}.{key} {raw!r} is not one of {[k.value for k in kind]}"
        ) from None
