"""Whether a finding is one the bot raised before: by the code it sits on and what it says.

A real model words the same finding differently from run to run, picks another
category, and the line moves when lines are added above it or the branch is
rebased. So a finding's identity is not its line number or its title but:

* **Its code.** The text of the lines it is anchored to (``start_line..line``),
  with all whitespace removed, hashed line by line. Found again wherever those
  lines now are, in the pull request's new diff: an edit above, a force-push or
  a re-indent does not change it. Lines too short to say anything (``}``,
  ``return``, ``else:``) do not count on their own; a finding anchored only on
  such lines is compared by the hash of the lines around it.
* **What it says.** The words of its title and body, lower-cased, stemmed
  crudely, without stop words, numbers or the file's own name, compared by
  their overlap (shared words over the smaller set). The category is left out:
  the model re-files the same problem under another one.

Two findings of one file are the same when they sit on the same code — a
distinctive line in common, or the line edited in place (different text, the
same surroundings) — and what they say overlaps by at least ``SAME_CODE_MEANING``; a finding with no line (a
file-level one) is the same as an earlier file-level finding saying nearly the
same (``FILE_LEVEL_MEANING``). Findings on different code are never the same,
however alike their words: the same mistake twice in a file is two findings.

Why not ask the model which earlier findings it is re-raising? It would cost
tokens on every request, make the answer depend on the model's bookkeeping, and
need a second prompt format; this check is deterministic, free, and testable on
its own. The key is stored in each posted comment's hidden marker, so a later
run needs nothing but the pull request itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from reviewer.diff import Diff, FileDiff, LineKind
from reviewer.values import Finding, Side

SAME_CODE_MEANING = 0.25
FILE_LEVEL_MEANING = 0.6
CONTEXT_LINES = 2  # distinctive lines on each side that make up a finding's surroundings
MIN_DISTINCTIVE = 6  # characters (whitespace removed) a line needs to identify code alone
MAX_WORDS = 32
MAX_LINES = 12

_WORD = re.compile(r"[a-z_][a-z0-9_]*")
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "does",
        "for",
        "from",
        "has",
        "have",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "might",
        "more",
        "not",
        "of",
        "on",
        "or",
        "should",
        "so",
        "than",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "those",
        "to",
        "was",
        "were",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "would",
        "you",
        "your",
        "line",
        "lines",
        "file",
        "code",
        "here",
        "also",
        "only",
        "just",
    ]
)
_HASH = re.compile(r"[0-9a-f]{12}")
_NO_CONTEXT = hashlib.sha256(b"").hexdigest()[:12]  # no distinctive line around


@dataclass(frozen=True)
class FindingKey:
    """What identifies a posted finding on a later run."""

    path: str
    # Hashes of the anchored lines (whitespace removed), in order: the distinctive ones, or
    # all of them when none is (``weak``: then the surroundings must match too).
    lines: tuple[str, ...]
    context: str  # hash of the distinctive lines around them; "" when unknown
    words: tuple[str, ...]  # what it says, sorted
    weak: bool = False

    @property
    def has_code(self) -> bool:
        return bool(self.lines)


@dataclass(frozen=True)
class SourceLine:
    number: int
    text: str
    hunk: int  # index of the hunk showing it


@dataclass(frozen=True)
class Located:
    """Where a key's code is in a diff now."""

    line: int
    context: str
    hunk: int


# ---------------------------------------------------------------------- making keys


def key_for(finding: Finding, diff: Diff) -> FindingKey:
    """The key of ``finding``, its code read from ``diff`` (the pull request's diff)."""
    words = meaning_words(f"{finding.title}\n{finding.body}", finding.path)
    file = diff.file(finding.path)
    if finding.line is None or file is None:
        return FindingKey(finding.path, (), "", words)
    source = side_lines(file, finding.side)
    first = finding.line if finding.start_line is None else finding.start_line
    anchored = [s for s in source if first <= s.number <= finding.line]
    if not anchored:
        return FindingKey(finding.path, (), "", words)
    strong = [s for s in anchored if distinctive(s.text)]
    chosen = strong or [s for s in anchored if normalised(s.text)]
    lines = tuple(line_hash(s.text) for s in chosen)[-MAX_LINES:]
    start = source.index(anchored[0])
    end = source.index(anchored[-1])
    context = _context(source, start, end)
    return FindingKey(finding.path, lines, context, words, weak=not strong)


def side_lines(file: FileDiff, side: Side) -> list[SourceLine]:
    """The lines a diff shows of one side of a file, in order (numbers on that side)."""
    skipped = LineKind.REMOVED if side is Side.RIGHT else LineKind.ADDED
    found = []
    for index, hunk in enumerate(file.hunks):
        for line in hunk.lines:
            number = line.number(side)
            if line.kind is not skipped and number is not None:
                found.append(SourceLine(number, line.text, index))
    return found


def normalised(text: str) -> str:
    return "".join(text.split())


def line_hash(text: str) -> str:
    return hashlib.sha256(normalised(text).encode()).hexdigest()[:12]


def distinctive(text: str) -> bool:
    code = normalised(text)
    return len(code) >= MIN_DISTINCTIVE and any(c.isalnum() for c in code)


def _context(source: Sequence[SourceLine], start: int, end: int) -> str:
    """A hash of up to CONTEXT_LINES distinctive lines before ``start`` and after ``end``,
    within the same hunk (what lies beyond a hunk's edge is not known)."""
    hunk = source[start].hunk
    before = [s for s in source[:start] if s.hunk == hunk and distinctive(s.text)]
    after = [s for s in source[end + 1 :] if s.hunk == source[end].hunk and distinctive(s.text)]
    around = [normalised(s.text) for s in before[-CONTEXT_LINES:] + after[:CONTEXT_LINES]]
    return hashlib.sha256("\n".join(around).encode()).hexdigest()[:12]


def meaning_words(text: str, path: str = "") -> tuple[str, ...]:
    """The words that carry what a finding says, sorted, at most MAX_WORDS."""
    own_name = set(_WORD.findall(path.lower()))
    words = {
        _stem(word)
        for word in _WORD.findall(text.lower())
        if word not in _STOP_WORDS and word not in own_name and len(word) > 2
    }
    return tuple(sorted(words))[:MAX_WORDS]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


# ---------------------------------------------------------------------- comparing


def meaning_overlap(one: Sequence[str], other: Sequence[str]) -> float:
    """Shared words over the smaller set's size: 1.0 when one says all the other says."""
    a, b = set(one), set(other)
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def code_overlaps(one: FindingKey, other: FindingKey) -> bool:
    """Whether two keys sit on the same code: a distinctive line in common, or, for
    lines too short to tell, the same lines with the same surroundings."""
    if one.path != other.path or not one.has_code or not other.has_code:
        return False
    if one.weak or other.weak:
        return one.lines == other.lines and one.context == other.context
    return bool(set(one.lines) & set(other.lines))


def edited_in_place(one: FindingKey, other: FindingKey) -> bool:
    """Whether two keys have the same known surroundings: the line itself was edited."""
    return one.context == other.context and one.context not in ("", _NO_CONTEXT)


def same_finding(old: FindingKey, new: FindingKey) -> bool:
    if old.path != new.path:
        return False
    meaning = meaning_overlap(old.words, new.words)
    if old.has_code and new.has_code:
        same_place = code_overlaps(old, new) or edited_in_place(old, new)
        return same_place and meaning >= SAME_CODE_MEANING
    if not old.has_code and not new.has_code:
        return meaning >= FILE_LEVEL_MEANING
    return False


def match(
    old: Sequence[FindingKey], new: Sequence[FindingKey], *, in_place: Sequence[bool] = ()
) -> dict[int, int]:
    """Pairs of (index in ``new`` → index in ``old``) for the same findings, each used once.

    ``in_place[i]``: the code of ``old[i]`` is still where it was (``locate`` finds it
    in the same surroundings); then only a finding in those surroundings can be it,
    so the same mistake made again elsewhere in the file is a new finding.

    Best-first: the pair in the same surroundings and saying the most alike wins when
    several could match (two TODOs reading the same pair with their own places).
    """
    candidates = sorted(
        (
            (o.context != n.context, -meaning_overlap(o.words, n.words), ni, oi)
            for ni, n in enumerate(new)
            for oi, o in enumerate(old)
            if same_finding(o, n)
            and not (oi < len(in_place) and in_place[oi] and o.context != n.context)
        ),
    )
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for _, _, ni, oi in candidates:
        if ni not in pairs and oi not in used:
            pairs[ni] = oi
            used.add(oi)
    return pairs


def locate(key: FindingKey, diff: Diff) -> Located | None:
    """Where ``key``'s code is shown on the new side of ``diff`` now; None when it is not."""
    file = diff.file(key.path)
    if file is None or not key.has_code:
        return None
    source = side_lines(file, Side.RIGHT)
    hashes = [line_hash(s.text) if normalised(s.text) else "" for s in source]
    found: list[Located] = []
    for start, line in enumerate(hashes):
        if line != key.lines[0]:
            continue
        end = _rest_in_order(hashes, start, key.lines[1:])
        if end is not None:
            found.append(
                Located(source[end].number, _context(source, start, end), source[end].hunk)
            )
    # The same code may be there twice: the copy in the same surroundings is this one.
    same_place = [f for f in found if f.context == key.context]
    if same_place or key.weak:
        return same_place[0] if same_place else None
    return found[0] if found else None


def _rest_in_order(hashes: Sequence[str], start: int, rest: Sequence[str]) -> int | None:
    """The index of the last of ``rest`` found in order after ``start``, close together."""
    at = start
    for wanted in rest:
        window = hashes[at + 1 : at + 1 + 2 * MAX_LINES]
        if wanted not in window:
            return None
        at += 1 + window.index(wanted)
    return at


# ---------------------------------------------------------------------- storing


def key_json(key: FindingKey) -> dict[str, object]:
    data: dict[str, object] = {"lines": list(key.lines), "ctx": key.context}
    if key.weak:
        data["weak"] = True
    data["words"] = list(key.words)
    return data


def key_from_json(path: str, data: object) -> FindingKey | None:
    """The key stored in a marker, or None when it is not one (markers are untrusted text)."""
    if not isinstance(data, dict):
        return None
    lines, context, words = data.get("lines"), data.get("ctx"), data.get("words")
    weak = data.get("weak", False)
    if not (
        isinstance(lines, list)
        and len(lines) <= MAX_LINES
        and all(isinstance(h, str) and _HASH.fullmatch(h) for h in lines)
        and isinstance(context, str)
        and (context == "" or _HASH.fullmatch(context))
        and isinstance(words, list)
        and len(words) <= MAX_WORDS
        and all(isinstance(w, str) and _WORD.fullmatch(w) for w in words)
        and isinstance(weak, bool)
    ):
        return None
    return FindingKey(path, tuple(lines), context, tuple(words), weak)


def dumps(data: object) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True)
