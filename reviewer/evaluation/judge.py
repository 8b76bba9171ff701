"""The optional judge: does a location-matched finding describe the expected issue?

Location matching (``reviewer.evaluation.matching``) counts a finding that sits
on the labelled lines but talks about something else. With ``--judge MODEL``
every location-matched pair is put to a model as a ``JudgeQuestion``; pairs it
answers "no" to are unmatched again (the finding becomes a false positive, the
issue a miss) and the judged figures are reported beside the location-only
ones. Pairs are not re-matched after a "no": the judge only ever removes
matches, so judged figures never exceed location-only ones.

The model call is injected (``Judge``); this module builds the question, the
prompt and the answer's schema, and reads the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewer.diff import Diff, Hunk
from reviewer.evaluation.labels import ExpectedIssue
from reviewer.evaluation.matching import WIDEN_LINES, Match, Matching
from reviewer.values import Finding, Usage


@dataclass(frozen=True)
class JudgeQuestion:
    case: str
    expected: ExpectedIssue
    finding: Finding
    excerpt: str  # the hunks of the issue's file near its lines, as diff text


@dataclass(frozen=True)
class Verdict:
    describes: bool
    reason: str = ""
    usage: Usage = field(default_factory=Usage)


Judge = Callable[[JudgeQuestion], Verdict]


@dataclass(frozen=True)
class JudgedMatch:
    match: Match
    verdict: Verdict


@dataclass(frozen=True)
class Judgement:
    matching: Matching  # the location matching less the pairs the judge rejected
    judged: tuple[JudgedMatch, ...]  # every location match with its verdict

    @property
    def usage(self) -> Usage:
        return sum((j.verdict.usage for j in self.judged), Usage())


def judge_matching(
    case: str,
    diff: Diff,
    findings: Sequence[Finding],
    expected: Sequence[ExpectedIssue],
    matching: Matching,
    judge: Judge,
) -> Judgement:
    judged = tuple(
        JudgedMatch(m, judge(question(case, diff, findings[m.finding], expected[m.expected])))
        for m in matching.matches
    )
    rejected = [j.match for j in judged if not j.verdict.describes]
    kept = tuple(j.match for j in judged if j.verdict.describes)
    return Judgement(
        matching=Matching(
            matches=kept,
            unmatched_findings=tuple(
                sorted((*matching.unmatched_findings, *(m.finding for m in rejected)))
            ),
            unmatched_expected=tuple(
                sorted((*matching.unmatched_expected, *(m.expected for m in rejected)))
            ),
        ),
        judged=judged,
    )


def question(case: str, diff: Diff, finding: Finding, issue: ExpectedIssue) -> JudgeQuestion:
    return JudgeQuestion(case, issue, finding, excerpt(diff, issue.path, issue.lines))


def excerpt(diff: Diff, path: str, lines: tuple[int, int] | None) -> str:
    """The hunks of ``path`` within reach of ``lines`` (all of its hunks for file-level)."""
    file = diff.file(path)
    if file is None:
        return ""
    near = [h for h in file.hunks if lines is None or _reaches(h, lines)]
    return "\n".join(_render(hunk) for hunk in near or file.hunks)


def _reaches(hunk: Hunk, lines: tuple[int, int]) -> bool:
    end = hunk.new_start + max(hunk.new_count, 1) - 1
    return hunk.new_start - WIDEN_LINES <= lines[1] and lines[0] <= end + WIDEN_LINES


def _render(hunk: Hunk) -> str:
    rows = [hunk.header]
    rows += [f"{line.kind.value}{line.text}" for line in hunk.lines]  # the value is the marker
    return "\n".join(rows)


VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"describes": {"type": "boolean"}, "reason": {"type": "string"}},
    "required": ["describes", "reason"],
    "additionalProperties": False,
}


def judge_prompt(q: JudgeQuestion) -> str:
    """The user message that asks the question; the answer follows VERDICT_SCHEMA."""
    where = f"lines {q.expected.lines[0]}-{q.expected.lines[1]}" if q.expected.lines else "file"
    anchor = q.finding.line if q.finding.line is not None else "file"
    labelled = q.expected.description or "(no description)"
    return (
        "A code reviewer commented on a change that is known to contain the labelled "
        "defect below, and the comment sits where that defect is. Decide whether the "
        "comment describes the labelled defect (the same problem, in any words), rather "
        "than something else at the same place.\n\n"
        f"Labelled defect in {q.expected.path} ({where}"
        f"{', ' + q.expected.severity.value if q.expected.severity else ''}):\n{labelled}\n\n"
        f"Review comment on {q.finding.path} line {anchor} ({q.finding.severity.value}):\n"
        f"{q.finding.title}\n{q.finding.body}\n\n"
        f"The change near the defect:\n```diff\n{q.excerpt}\n```\n\n"
        'Answer with JSON: {"describes": true or false, "reason": "one sentence"}.'
    )


_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def parse_verdict(text: str, *, usage: Usage | None = None) -> Verdict | None:
    """The verdict in a model's answer; None when the answer holds none."""
    found = _JSON_OBJECT.search(text)
    if found is not None:
        try:
            data = json.loads(found.group(0))
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("describes"), bool):
            reason = data.get("reason")
            return Verdict(
                data["describes"], reason if isinstance(reason, str) else "", usage or Usage()
            )
    first = text.strip().split(maxsplit=1)[0].strip(".,:!").lower() if text.strip() else ""
    if first in ("yes", "no"):
        return Verdict(first == "yes", text.strip(), usage or Usage())
    return None
