"""JavaScript source with comments, strings and regular expressions blanked out.

The JavaScript operators match patterns line by line; matching the masked text
keeps a ``===`` inside a string or a comment from being taken for code. The
mask has the same length as the source, so a match's columns are the source's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from benchmarks.eval_corpus.patch import split_lines

_REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^")
_REGEX_KEYWORD = re.compile(r"(?:^|[^\w$])(?:return|typeof|case|in|of|delete|void|throw)$")


@dataclass(frozen=True)
class Masked:
    lines: tuple[str, ...]  # the source's lines, without newlines
    masked: tuple[str, ...]  # the same, with comments as spaces and literal contents as '_'

    def code(self, number: int) -> str:
        """Masked line ``number`` (1-based)."""
        return self.masked[number - 1]

    def line(self, number: int) -> str:
        return self.lines[number - 1]

    def indent(self, number: int) -> str:
        row = self.lines[number - 1]
        return row[: len(row) - len(row.lstrip(" \t"))]

    def previous_code(self, number: int) -> str:
        """The last masked line before ``number`` that holds code ('' at the top)."""
        for index in range(number - 2, -1, -1):
            if self.masked[index].strip():
                return self.masked[index].rstrip()
        return ""


def mask(text: str) -> Masked:
    out: list[str] = []
    i, n = 0, len(text)
    last_significant = ""
    while i < n:
        char = text[i]
        pair = text[i : i + 2]
        if pair == "//":
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif pair == "/*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("".join("\n" if c == "\n" else " " for c in text[i:end]))
            i = end
        elif char in "'\"`":
            end = _string_end(text, i)
            out.append(char + _fill(text[i + 1 : end - 1]) + (text[end - 1] if end - 1 > i else ""))
            i = end
            last_significant = "a"
        elif char == "/" and _regex_allowed(last_significant, out):
            end = _regex_end(text, i)
            out.append("/" + _fill(text[i + 1 : end - 1]) + "/")
            i = end
            last_significant = "a"
        else:
            out.append(char)
            if not char.isspace():
                last_significant = char
            i += 1
    masked = "".join(out)
    lines = tuple(line.rstrip("\n") for line in split_lines(text))
    return Masked(lines, tuple(line.rstrip("\n") for line in split_lines(masked)))


def _fill(body: str) -> str:
    return "".join("\n" if c == "\n" else "_" for c in body)


def _string_end(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == quote:
            return i + 1
        if char == "\n" and quote != "`":
            return i  # an unterminated string ends with its line
        i += 1
    return len(text)


def _regex_allowed(last: str, out: list[str]) -> bool:
    if last == "" or last in _REGEX_AFTER:
        return True
    tail = "".join(out[-12:]).rstrip()
    return _REGEX_KEYWORD.search(tail) is not None


def _regex_end(text: str, start: int) -> int:
    i, in_class = start + 1, False
    while i < len(text) and text[i] != "\n":
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "/" and not in_class:
            i += 1
            while i < len(text) and (text[i].isalpha()):
                i += 1  # flags
            return i
        i += 1
    return i
