"""The summary a report shows, without the sentences its own findings contradict.

The summary is prose from the model (or the local cache, or the engine), written
before the findings were anchored, deduplicated, capped and filtered; a cached
request's summary may speak of files this run did not send. So "Found 3
issue(s)." can stand over one finding, and "No issues found." over three secrets.
Reports compute their counts from the findings they list; a sentence of the
summary that states a different count (of all findings, of one severity or of
one category) is left out. A count that cannot be checked ("two more issues")
and everything else the summary says is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reviewer.schema import CATEGORIES
from reviewer.values import SEVERITIES, Finding

_NUMBER_WORDS = {
    "no": 0,
    "zero": 0,
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_NUMBER = r"(?P<number>\d+|" + "|".join(_NUMBER_WORDS) + r")"
_QUALIFIERS = r"(?P<qualifiers>(?:[\w-]+\s+){0,2}?)"
_NOUN = r"(?:issue|finding|problem)(?:s\b|\(s\)|\b)"
_VERB = r"(?:found|identified|flagged|detected|spotted|raised|reported)"
_CLAIMS = (
    # "Found 3 issue(s).", "There are two critical problems."
    re.compile(
        rf"\b(?:{_VERB}|finds|there\s+(?:is|are|was|were))\s+{_NUMBER}\s+{_QUALIFIERS}{_NOUN}",
        re.IGNORECASE,
    ),
    # "2 security issues were found", "No issues found."
    re.compile(rf"\b{_NUMBER}\s+{_QUALIFIERS}{_NOUN}\s+(?:(?:was|were)\s+)?{_VERB}", re.IGNORECASE),
    # "No major issues.", "no problems with the new parser"
    re.compile(rf"\b(?P<number>no)\s+{_QUALIFIERS}{_NOUN}", re.IGNORECASE),
    # "3 findings: …", "Two issues stand out."
    re.compile(rf"^\W*(?P<number>\d+|[a-z]+)\s+{_QUALIFIERS}{_NOUN}", re.IGNORECASE),
)
# The engine's own "Nothing to review: …" and the like claim that nothing was found.
_NOTHING = re.compile(r"\bnothing\s+(?:to\s+(?:review|report)|(?:was\s+)?found)\b", re.IGNORECASE)
# "Two other issues", "a few problems": relative or vague, nothing the report can check.
_UNCHECKABLE = frozenset(
    {"other", "more", "remaining", "further", "additional", "similar"}
    | {"few", "several", "many", "some", "couple", "number", "handful", "lot"}
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def consistent_summary(summary: str, findings: Sequence[Finding]) -> str:
    """``summary`` without its sentences whose count of findings ``findings`` contradicts."""
    lines: list[str] = []
    in_code = False
    for line in summary.strip().split("\n"):
        if _FENCE.match(line):
            in_code = not in_code
        if in_code or _FENCE.match(line):
            lines.append(line)
            continue
        sentences = _SENTENCE_BREAK.split(line)
        kept = [s for s in sentences if not _contradicted(s, findings)]
        if len(kept) == len(sentences):
            lines.append(line)
        elif kept:
            lines.append(" ".join(kept))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _contradicted(sentence: str, findings: Sequence[Finding]) -> bool:
    if _NOTHING.search(sentence) and findings:
        return True
    for pattern in _CLAIMS:
        for match in pattern.finditer(sentence):
            claimed = _claimed_number(match["number"])
            actual = _actual_count(match["qualifiers"].split(), findings)
            if claimed is not None and actual is not None and claimed != actual:
                return True
    return False


def _claimed_number(word: str) -> int | None:
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word.lower())


def _actual_count(qualifiers: Sequence[str], findings: Sequence[Finding]) -> int | None:
    """How many findings the qualified noun speaks of; None when that cannot be checked."""
    words = {word.lower() for word in qualifiers}
    if words & _UNCHECKABLE:
        return None
    severities = {s for s in SEVERITIES if s.value in words}
    if severities:
        return sum(1 for f in findings if f.severity in severities)
    categories = words & ({f.category for f in findings} | set(CATEGORIES))
    if categories:
        return sum(1 for f in findings if f.category in categories)
    return len(findings)
