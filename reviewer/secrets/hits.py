"""What a secret detector found on a text, and how hits become the redacted text.

A `Hit` is a span of one line (or of a whole text, before it is split into lines)
to replace by its kind's marker. Hits of different detectors may overlap: the
spans are merged, and the most specific detector (lowest rank) names the marker
and the finding.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Kind:
    slug: str  # goes into the redaction marker
    label: str  # goes into the finding title
    shown_prefix: int = 0  # leading characters that are a public format prefix, safe to show
    heuristic: bool = False  # a guess: the finding says how to mark a false positive

    @property
    def marker(self) -> str:
        return f"[REDACTED:{self.slug}]"


# Lower wins when hits overlap: the more specific detector names the secret.
KEY_BODY_RANK = -1
PROVIDER_RANK = 0
NAMED_RANK = 1
ENTROPY_RANK = 2
COMPONENT_RANK = 3  # a rule engine's part of a composite rule: redacted, named by others


@dataclass(frozen=True)
class Hit:
    kind: Kind
    value: str
    start: int
    end: int
    rank: int
    finding: bool = True  # False: redacted only (a placeholder, a maybe, a key body line)

    def overlaps(self, other: Hit) -> bool:
        return self.start < other.end and other.start < self.end

    def shifted(self, offset: int) -> Hit:
        return replace(self, start=self.start - offset, end=self.end - offset)


PRIVATE_KEY = Kind("private-key", "private key")
CREDENTIAL = Kind("credential", "hard-coded credential", heuristic=True)
URL_PASSWORD = Kind("url-password", "password in a URL", heuristic=True)
HIGH_ENTROPY = Kind("high-entropy-string", "high-entropy string", heuristic=True)

# Characters a token is made of. A detector that reports only the start of a token
# (a rule that stops at a ``.``, like GitLab's routable tokens before their suffix) is
# extended over them: growing a span can only hide more, never less.
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "_-+/=~")
_INNER_CHARS = frozenset(".:")  # inside a token only when a token character follows


def widen(text: str, end: int) -> int:
    """The end of the token that a hit ending at ``end`` is part of."""
    size = len(text)
    while end < size:
        char = text[end]
        if char in _TOKEN_CHARS:
            end += 1
        elif char in _INNER_CHARS and end + 1 < size and text[end + 1] in _TOKEN_CHARS:
            end += 2
        else:
            break
    return end


def reported(hits: list[Hit]) -> list[Hit]:
    """One hit per secret: the most specific detector's, and the first of repeated values.

    A span whose most specific hit is redaction-only is not reported, even if a less
    specific detector would have reported it: a provider rule that knows the value is
    a documented example outranks a generic guess.
    """
    kept: list[Hit] = []
    # Equal ranks: the shorter span is the more specific match (a token inside a header).
    for hit in sorted(hits, key=lambda h: (h.rank, h.end - h.start, h.start)):
        if any(hit.overlaps(other) for other in kept):
            continue
        if any(hit.value == other.value and hit.kind == other.kind for other in kept):
            continue
        kept.append(hit)
    return sorted((hit for hit in kept if hit.finding and hit.value), key=lambda h: h.start)


def redacted_count(hits: list[Hit]) -> int:
    """How many separate secrets ``hits`` hide; private key body lines are part of their key."""
    return len(_merged([hit for hit in hits if hit.rank != KEY_BODY_RANK]))


def apply(text: str, hits: list[Hit]) -> str:
    """Replace every hit's span, overlapping spans merged under the most specific kind."""
    out: list[str] = []
    cursor = 0
    for start, end, kind in _merged(hits):
        out.append(text[cursor:start])
        out.append(kind.marker)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _merged(hits: list[Hit]) -> list[tuple[int, int, Kind]]:
    spans: list[tuple[int, int, Hit]] = []
    for hit in sorted(hits, key=lambda h: h.start):
        if spans and hit.start < spans[-1][1]:
            start, end, best = spans[-1]
            spans[-1] = (start, max(end, hit.end), min(best, hit, key=lambda h: h.rank))
        else:
            spans.append((hit.start, hit.end, hit))
    return [(start, end, hit.kind) for start, end, hit in spans]
