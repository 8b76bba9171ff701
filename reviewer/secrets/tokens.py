"""Our layer for tokens found by their shape alone: prefixed formats and dense strings.

One regex pass finds the runs of token characters long enough to be a token (20 or
more). Each run is then

* tried against the formats of our catalogue (`reviewer.secrets.catalog`) whose
  literal prefix it starts with or whose literal infix it holds, so that a provider
  token is redacted wherever it stands, even where the rule engine reports it only
  next to a partner (kingfisher's AWS key ID rule wants the secret key nearby) or
  is not installed;
* if it is a quoted string of base64 or token characters with the entropy of a key
  (4.5 bits per character: a random 40-character key scores about 4.8, identifiers
  4.0-4.3), redacted without a finding. Without a name, a dense string may be a test
  fixture, a digest or an encoded image, so it is not reported; hex strings are
  left alone, because git SHAs and checksums are hex and worth reading.

One alternation of ~70 formats, or a ``str.find`` per format, would cost Python
about a second on a large diff; the runs and dictionary lookups cost a tenth of it.
"""

from __future__ import annotations

import re
from functools import cache

from reviewer.secrets.catalog import FORMATS, Format
from reviewer.secrets.hits import ENTROPY_RANK, HIGH_ENTROPY, PROVIDER_RANK, Hit, widen
from reviewer.secrets.values import is_placeholder, shannon_entropy

# ":" and "=" split runs (``token=ghp_…``, ``Authorization:ghp_…``); "=" may end one.
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-.~+/]{20,}={0,3}")
_MARGIN = 12  # a token may start this far before its run (``1234567890:AA…``, ``https://``)


def find_tokens(text: str) -> list[Hit]:
    index = _index()
    found: list[Hit] = []
    for run in _TOKEN_RUN.finditer(text):
        value = run.group()
        for format_, pattern in index.candidates(value):
            match = pattern.search(text, max(0, run.start() - _MARGIN), run.end() + _MARGIN)
            if match is not None and match.end() > run.start():
                end = widen(text, match.end())
                token = text[match.start() : end]
                finding = not is_placeholder(token)
                found.append(Hit(format_.kind, token, match.start(), end, PROVIDER_RANK, finding))
        if _is_dense_quoted(text, run.start(), run.end(), value):
            found.append(Hit(HIGH_ENTROPY, value, run.start(), run.end(), ENTROPY_RANK, False))
    return found


_QUOTES = frozenset("\"'`")
_ENTROPY_LIMIT = 4.5
_DENSE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/_-=")
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
# Base64 of a file that starts with an image or PDF signature: a test fixture, not a key.
_MEDIA_PREFIXES = ("iVBORw0KGg", "/9j/", "R0lGOD", "UklGR", "JVBERi0", "PHN2Zy", "PD94bWw")
_DIGEST = re.compile(r"sha(?:1|256|384|512)-")


def _is_dense_quoted(text: str, start: int, end: int, value: str) -> bool:
    if start == 0 or end >= len(text) or text[start - 1] not in _QUOTES:
        return False
    if text[end] != text[start - 1]:
        return False
    chars = set(value)
    if not chars <= _DENSE_CHARS or chars <= _HEX_CHARS or value.startswith(_MEDIA_PREFIXES):
        return False
    if _DIGEST.match(value):
        return False  # subresource integrity and npm digests of public content
    return shannon_entropy(value) >= _ENTROPY_LIMIT and not is_placeholder(value)


_Entry = tuple[tuple[str, ...], Format, re.Pattern[str]]


class _FormatIndex:
    """The catalogue's formats by the first two characters of their prefixes, and infixes."""

    def __init__(self, formats: tuple[Format, ...]) -> None:
        self._by_two: dict[str, list[_Entry]] = {}
        self._by_one: dict[str, list[_Entry]] = {}
        infixed: list[_Entry] = []
        for format_ in formats:
            pattern = re.compile(format_.pattern)
            for head in sorted({prefix[:2] for prefix in format_.prefixes}):
                table = self._by_two if len(head) == 2 else self._by_one
                table.setdefault(head, []).append((format_.prefixes, format_, pattern))
            if format_.infixes:
                infixed.append((format_.infixes, format_, pattern))
        self._infixed = infixed
        infixes = (infix for entry in infixed for infix in entry[0])
        self._any_infix = re.compile("|".join(re.escape(infix) for infix in infixes))

    def candidates(self, run: str) -> list[tuple[Format, re.Pattern[str]]]:
        entries = [*self._by_two.get(run[:2], ()), *self._by_one.get(run[0], ())]
        found = [(f, pattern) for prefixes, f, pattern in entries if run.startswith(prefixes)]
        if self._any_infix.search(run) is not None:
            found.extend(
                (f, pattern)
                for infixes, f, pattern in self._infixed
                if any(infix in run for infix in infixes)
            )
        return found


@cache
def _index() -> _FormatIndex:
    return _FormatIndex(FORMATS)
