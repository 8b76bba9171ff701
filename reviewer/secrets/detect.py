"""Every detector over a batch of lines at once, and the hits sorted back to their lines.

Scanning line by line would cost a Python call per detector per line; a diff of
150,000 lines makes that seconds. Instead the lines are joined with newlines into
one text, each detector runs over it once (the rule engine in native code, our
layers as a few C-speed regex passes plus Python work per candidate only), and
each hit is mapped back to its line by the offset where it starts.
"""

from __future__ import annotations

import re

from reviewer.secrets.engines import ProviderEngine
from reviewer.secrets.hits import PRIVATE_KEY, PROVIDER_RANK, Hit
from reviewer.secrets.named import find_named, find_url_passwords
from reviewer.secrets.tokens import find_tokens


def hits_by_line(
    lines: list[str], engine: ProviderEngine, *, literal: bool = False
) -> dict[int, list[Hit]]:
    """The hits on each line of ``lines`` that has any, with offsets within that line.

    ``literal``: prose or configuration rather than code (see `find_named`).
    """
    text = "\n".join(lines)
    by_line: dict[int, list[Hit]] = {}
    # Hits are few: count the newlines before each instead of indexing every line start.
    line, line_start, counted = 0, 0, 0
    for hit in sorted(detect(text, engine, literal=literal), key=lambda h: h.start):
        line += text.count("\n", counted, hit.start)
        counted = hit.start
        line_start = text.rfind("\n", 0, hit.start) + 1
        for index, piece in _pieces(hit, line, line_start, text):
            by_line.setdefault(index, []).append(piece)
    return by_line


def detect(text: str, engine: ProviderEngine, *, literal: bool = False) -> list[Hit]:
    """Every hit of every detector in ``text``, offsets in ``text``."""
    # Ours first: the engine may still be compiling its rules in another thread.
    hits = list(find_named(text, _lowered(text), literal=literal))
    hits.extend(find_url_passwords(text))
    hits.extend(find_tokens(text))
    hits.extend(find_private_keys(text))
    hits.extend(engine.hits(text))
    return hits


def _pieces(hit: Hit, line: int, line_start: int, text: str) -> list[tuple[int, Hit]]:
    """``hit`` cut at line ends; only the first piece carries its value and finding."""
    pieces: list[tuple[int, Hit]] = []
    start = hit.start
    while True:
        line_end = text.find("\n", start, hit.end)
        end = hit.end if line_end < 0 else line_end
        if end > start:
            first = not pieces
            value, finding = (hit.value, hit.finding) if first else ("", False)
            piece = Hit(hit.kind, value, start - line_start, end - line_start, hit.rank, finding)
            pieces.append((line, piece))
        if line_end < 0:
            return pieces
        line, line_start, start = line + 1, line_end + 1, line_end + 1


def _lowered(text: str) -> str:
    """A lower-case copy with the same offsets.

    ``str.lower`` keeps every character's length but one: U+0130 (capital I with dot)
    becomes two characters, so it is lowered as a plain I.
    """
    return text.replace("\u0130", "I").lower()


# --- private keys --------------------------------------------------------------------------

_KEY_BEGIN = re.compile(
    r"-{2,} ?BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)? ?-{2,}"
    r"|BEGIN SSH2 ENCRYPTED PRIVATE KEY|PuTTY-User-Key-File-\d+:"
)
KEY_END = re.compile(r"-+ ?END [A-Z0-9 _-]*PRIVATE KEY(?: BLOCK)? ?-+|Private-MAC:")


def find_private_keys(text: str) -> list[Hit]:
    """The BEGIN line of each private key, through its END marker when that is on the line.

    The key's body on the following lines is the caller's: it is tracked per side of
    a hunk, which joined text cannot tell.
    """
    if "PRIVATE KEY" not in text and "PuTTY-User-Key-File" not in text:
        return []
    hits: list[Hit] = []
    for begin in _KEY_BEGIN.finditer(text):
        line_end = text.find("\n", begin.end())
        line_end = len(text) if line_end < 0 else line_end
        closing = KEY_END.search(text, begin.end(), line_end)
        end = closing.end() if closing else line_end
        hits.append(Hit(PRIVATE_KEY, begin.group(), begin.start(), end, PROVIDER_RANK))
    return hits
