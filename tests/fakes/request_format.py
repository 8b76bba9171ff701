"""Reads reviewer's own request format back, so the fake model can cite real lines.

A request shows each file as ``=== FILE path (status...) ===`` followed by hunks
whose rows are ``old new marker text`` (reviewer/prompt.py ``_row``). The fake
responder uses this to place its findings exactly where a careful model would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tests.fakes.messages_api import LineRef

_FILE = re.compile(r"^=== FILE (?P<path>.+?) \((?P<rest>.*)\) ===$")
_ROW = re.compile(r"^\s*(?P<old>\d*)\s+(?P<new>\d*) (?P<marker>[+ -]) ?(?P<text>.*)$")


def added_lines_in_request(text: str) -> Iterator[LineRef]:
    """Every added line of every file in a reviewer request, by new-file number."""
    path: str | None = None
    for line in text.split("\n"):
        header = _FILE.match(line)
        if header:
            path = header["path"]
            continue
        row = _ROW.match(line)
        if path is None or row is None or row["marker"] != "+" or not row["new"]:
            continue
        yield LineRef(path=path, line=int(row["new"]), side="RIGHT", code=row["text"])
