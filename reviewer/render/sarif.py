"""SARIF 2.1.0 output, in the subset GitHub code scanning accepts.

Choices a reader of the output should know about:

- Every result has a region, because GitHub requires ``region.startLine``. A
  file-level finding points at line 1 and carries ``"file-level": true`` in
  its properties.
- A LEFT-side finding is about lines of the previous version of the file, which
  code scanning cannot show. Given the diff, it is moved to the line of the new
  version that now stands where the old code was (the first surviving line after
  it in the hunk, else the last one before it); without the diff, or when the
  line is not in it, to line 1. Either way the message says which old lines it
  was about, and ``properties.side`` is ``"LEFT"``.
- ``security-severity`` (what GitHub ranks security alerts by) is a string
  holding a score from 0.0 to 10.0, as GitHub and CodeQL write it. The
  ``security`` rule carries a fixed score, which is where GitHub reads it; each
  security result also carries the score of its own severity.
- The rules are the categories of this run's findings, each described by the
  fixed table in ``sarif_rules`` (``fullDescription``, ``help``, level and
  score): the same rule looks the same in every upload.
- Paths are relative to ``%SRCROOT%``, the repository root, which
  ``originalUriBaseIds`` declares without a ``uri``: the consumer knows where
  it checked the repository out.
- ``invocations[0].executionSuccessful`` is false when the review is incomplete,
  and ``toolExecutionNotifications`` name the files not reviewed and why, one
  notification per reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from reviewer.diff import Diff, Hunk
from reviewer.render.coverage import Coverage, ReasonGroup, coverage_of, examples, group_by_reason
from reviewer.render.sarif_rules import SECURITY_CATEGORY, rule_for
from reviewer.render.wording import plural
from reviewer.values import Finding, Review, Severity, Side

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "reviewer"
# Placeholder until the project has a public home; SARIF wants an absolute URI here.
INFORMATION_URI = "https://pypi.org/project/reviewer/"
FINGERPRINT_KEY = "reviewerFinding/v1"
SOURCE_ROOT = "%SRCROOT%"

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.MAJOR: "error",
    Severity.MINOR: "warning",
    Severity.NIT: "note",
}

SECURITY_SEVERITY_SCORES: dict[Severity, float] = {
    Severity.CRITICAL: 9.0,
    Severity.MAJOR: 7.0,
    Severity.MINOR: 4.0,
    Severity.NIT: 1.0,
}

_Json = dict[str, Any]


def render_sarif(
    review: Review,
    *,
    tool_version: str,
    diff: Diff | None = None,
    information_uri: str = INFORMATION_URI,
) -> str:
    """The review as a SARIF 2.1.0 log with one run.

    ``diff`` is the diff that was reviewed: it places LEFT-side findings in the
    new version of the file (see the module docstring) and counts the files
    reviewed; pass it whenever you have it.
    """
    rule_ids = sorted({f.category for f in review.findings})
    rule_index = {rule_id: index for index, rule_id in enumerate(rule_ids)}
    log = {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": tool_version,
                        "informationUri": information_uri,
                        "rules": [_rule(rule_id) for rule_id in rule_ids],
                    }
                },
                "invocations": [_invocation(review, coverage_of(review, diff))],
                "originalUriBaseIds": {
                    SOURCE_ROOT: {"description": {"text": "The root of the repository."}}
                },
                "results": [_result(f, rule_index[f.category], diff) for f in review.findings],
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


def is_security(finding: Finding) -> bool:
    return finding.category == SECURITY_CATEGORY or finding.origin == "secrets"


def artifact_uri(path: str) -> str:
    """``path`` as a URI reference relative to the repository root.

    Git writes paths with ``/`` separators, so a backslash is part of a file
    name and is percent-encoded like every other character a URI cannot hold
    (spaces, non-ASCII, ``%``, ``#``, ``?``, ``:``).
    """
    return quote(path.removeprefix("./").lstrip("/"), safe="/")


def _rule(category: str) -> _Json:
    rule = rule_for(category)
    properties: _Json = {"tags": [category]}
    if rule.security_severity is not None:
        properties["security-severity"] = rule.security_severity
    return {
        "id": category,
        "name": rule.name,
        "shortDescription": {"text": rule.short_description},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.help_text, "markdown": rule.help_markdown},
        "defaultConfiguration": {"level": rule.level},
        "properties": properties,
    }


def _invocation(review: Review, coverage: Coverage) -> _Json:
    """Whether the review covered the change and, when not, which files it left out and why."""
    notifications = [_not_reviewed(group) for group in group_by_reason(review.not_reviewed)]
    if coverage.shortfall is not None and not notifications:
        text = f"Review incomplete: {coverage.shortfall}"
        notifications.append({"level": "error", "message": {"text": text}})
    invocation: _Json = {"executionSuccessful": coverage.complete}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    files = {"notReviewed": coverage.not_reviewed, "skipped": coverage.skipped}
    if coverage.reviewed is not None:
        files = {"reviewed": coverage.reviewed, **files}
    invocation["properties"] = {"files": files}
    return invocation


def _not_reviewed(group: ReasonGroup) -> _Json:
    shown, more = examples(group.paths)
    names = ", ".join(shown) + (f" and {more:,} more" if more else "")
    count = plural(len(group.paths), "file")
    return {
        "level": "error",
        "message": {"text": f"Not reviewed ({count}): {group.reason}. Files: {names}."},
        "locations": [
            {"physicalLocation": {"artifactLocation": _artifact(path)}} for path in group.paths
        ],
    }


def _artifact(path: str) -> _Json:
    return {"uri": artifact_uri(path), "uriBaseId": SOURCE_ROOT}


def _score(severity: Severity) -> str:
    return f"{SECURITY_SEVERITY_SCORES[severity]:.1f}"


@dataclass(frozen=True)
class _Anchor:
    """Where a result is shown, and what the message must add when that is not the finding's line."""

    start_line: int
    end_line: int
    note: str | None = None


def _result(finding: Finding, rule_index: int, diff: Diff | None) -> _Json:
    anchor = _anchor(finding, diff)
    region: _Json = {"startLine": anchor.start_line}
    if anchor.end_line > anchor.start_line:
        region["endLine"] = anchor.end_line
    return {
        "ruleId": finding.category,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": _message(finding, anchor.note)},
        "locations": [
            {"physicalLocation": {"artifactLocation": _artifact(finding.path), "region": region}}
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint()},
        "properties": _result_properties(finding),
    }


def _message(finding: Finding, note: str | None) -> str:
    parts = [finding.title, finding.body]
    if finding.suggestion is not None:
        parts.append(_suggestion_text(finding.suggestion))
    if note is not None:
        parts.append(note)
    return "\n\n".join(part for part in parts if part)


def _suggestion_text(suggestion: str) -> str:
    if not suggestion.strip():
        return "Suggested change: delete these lines."
    return f"Suggested change:\n{suggestion.rstrip(chr(10))}"


def _result_properties(finding: Finding) -> _Json:
    properties: _Json = {
        "severity": finding.severity.value,
        "category": finding.category,
        "side": finding.side.value,
    }
    if finding.line is None:
        properties["file-level"] = True
    if is_security(finding):
        properties["security-severity"] = _score(finding.severity)
    return properties


def _anchor(finding: Finding, diff: Diff | None) -> _Anchor:
    if finding.line is None:
        return _Anchor(1, 1)
    first, last = _span(finding.start_line, finding.line)
    if finding.side is Side.RIGHT:
        return _Anchor(first, last)
    return _anchor_in_new_version(finding.path, first, last, diff)


def _span(start_line: int | None, line: int) -> tuple[int, int]:
    start = line if start_line is None else start_line
    return min(start, line), max(start, line)


def _anchor_in_new_version(path: str, first: int, last: int, diff: Diff | None) -> _Anchor:
    old_lines = f"line {first}" if first == last else f"lines {first}-{last}"
    about = f"This finding is about {old_lines} of the previous version of the file"
    file_diff = diff.file(path) if diff is not None else None
    hunk = file_diff.hunk_for(last, Side.LEFT) if file_diff is not None else None
    if hunk is None:
        return _Anchor(1, 1, f"{about}; it is shown at the top of the file.")
    start, end = _new_line_near(hunk, first), _new_line_near(hunk, last)
    return _Anchor(start, max(start, end), f"{about}; it is shown where that code was.")


def _new_line_near(hunk: Hunk, old_no: int) -> int:
    """The new-file line standing where old line ``old_no`` was, within ``hunk``."""
    index = next((i for i, line in enumerate(hunk.lines) if line.old_no == old_no), None)
    if index is not None:
        after = (line.new_no for line in hunk.lines[index:] if line.new_no is not None)
        before = (line.new_no for line in reversed(hunk.lines[:index]) if line.new_no is not None)
        found = next(after, None) or next(before, None)
        if found is not None:
            return found
    # A hunk that only removes lines (a deleted file) has no new lines at all.
    return max(hunk.new_start, 1)
