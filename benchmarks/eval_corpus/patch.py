"""Unified diffs of one file, written by our own code so the bytes never depend on a tool.

The format is git's: ``diff --git`` header, ``---``/``+++`` names with ``a/``
and ``b/`` prefixes, hunks with three lines of context, and the ``\\ No newline
at end of file`` marker when a side does not end in a newline.
"""

from __future__ import annotations

import difflib

NO_NEWLINE = "\\ No newline at end of file\n"


def file_diff(path: str, before: str, after: str, *, context: int = 3) -> str:
    """``git diff``-style text that turns ``before`` into ``after`` at ``path``."""
    old, new = split_lines(before), split_lines(after)
    header = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
    body: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        body.append(_hunk_header(group))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                body += [_row(" ", line) for line in old[i1:i2]]
                continue
            body += [_row("-", line) for line in old[i1:i2]]
            body += [_row("+", line) for line in new[j1:j2]]
    return header + "".join(body) if body else ""


def split_lines(text: str) -> list[str]:
    """Lines with their ``\n``, split on ``\n`` alone (form feeds and U+2028 are content)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _row(marker: str, line: str) -> str:
    if line.endswith("\n"):
        return marker + line
    return marker + line + "\n" + NO_NEWLINE


def _hunk_header(group: list[tuple[str, int, int, int, int]]) -> str:
    first, last = group[0], group[-1]
    old = _range(first[1], last[2])
    new = _range(first[3], last[4])
    return f"@@ -{old} +{new} @@\n"


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 0:
        return f"{start},0"  # an empty side names the line before it
    return f"{start + 1},{length}"
