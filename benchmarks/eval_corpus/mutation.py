"""What an operator makes of a source file, and the text surgery operators share."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from benchmarks.eval_corpus.patch import split_lines


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the release's root, as the diff names it
    text: str
    language: str  # "python" or "javascript"


@dataclass(frozen=True)
class Mutation:
    """One edit of one file. ``lines`` is the label (new side); None for a clean refactoring."""

    operator: str
    path: str
    before: str
    after: str
    lines: tuple[int, int] | None
    severity: str  # of the seeded bug; "" for a clean refactoring
    description: str


Operator = Callable[[SourceFile], Iterator[Mutation]]


@dataclass(frozen=True)
class Edit:
    start: int  # character offsets into the text
    end: int
    replacement: str


class Text:
    """A file's text, addressable by line and column as ``ast`` reports them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = split_lines(text)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, col_bytes: int) -> int:
        """The character offset of 1-based ``line`` at UTF-8 byte column ``col_bytes``."""
        row = self.lines[line - 1]
        return self.starts[line - 1] + len(row.encode("utf-8")[:col_bytes].decode("utf-8"))

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def line(self, number: int) -> str:
        """Line ``number`` without its newline."""
        return self.lines[number - 1].rstrip("\n")

    def indent(self, number: int) -> str:
        row = self.line(number)
        return row[: len(row) - len(row.lstrip(" \t"))]

    def apply(self, edits: Sequence[Edit]) -> str:
        """The text with non-overlapping ``edits`` made."""
        text = self.text
        for edit in sorted(edits, key=lambda e: e.start, reverse=True):
            text = text[: edit.start] + edit.replacement + text[edit.end :]
        return text

    def replace(self, start: int, end: int, replacement: str) -> tuple[str, tuple[int, int]]:
        """The text with ``start:end`` replaced, and the new-side lines the replacement spans."""
        first = self.line_of(start)
        return self.apply([Edit(start, end, replacement)]), (
            first,
            first + replacement.count("\n"),
        )

    def replace_lines(
        self, first: int, last: int, rows: Sequence[str]
    ) -> tuple[str, tuple[int, int]]:
        """Lines ``first``..``last`` replaced by ``rows`` (without newlines), and their label.

        With no rows (a deletion) the label is the line that now stands where
        the removed ones were.
        """
        start, end = self.starts[first - 1], self.starts[last]
        replacement = "".join(row + "\n" for row in rows)
        text = self.text[:start] + replacement + self.text[end:]
        if rows:
            return text, (first, first + len(rows) - 1)
        remaining = max(1, len(split_lines(text)))
        return text, (min(first, remaining), min(first, remaining))


def mutation_or_none(
    operator: str,
    source: SourceFile,
    after: str,
    lines: tuple[int, int] | None,
    *,
    severity: str,
    description: str,
) -> Iterator[Mutation]:
    """Yield the mutation unless it changes nothing."""
    if after != source.text:
        yield Mutation(operator, source.path, source.text, after, lines, severity, description)
