"""What a step tells the Actions runner: workflow commands, the step summary, outputs.

Workflow commands are lines on stdout (GitHub docs, "Workflow commands for
GitHub Actions"): ``::notice::``, ``::warning file=F,line=L,endLine=E,title=T::``.
Their data escapes ``%``, CR and LF; property values also ``:`` and ``,``.
The step summary and the outputs are files named by ``GITHUB_STEP_SUMMARY``
(Markdown, appended; at most 1 MiB per step) and ``GITHUB_OUTPUT``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from reviewer.errors import InputError

STEP_SUMMARY_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class Annotation:
    level: str  # "notice", "warning" or "error"
    message: str
    file: str | None = None
    line: int | None = None
    end_line: int | None = None
    title: str | None = None


def command(annotation: Annotation) -> str:
    properties = [
        f"{name}={_escape_property(str(value))}"
        for name, value in (
            ("file", annotation.file),
            ("line", annotation.line),
            ("endLine", annotation.end_line),
            ("title", annotation.title),
        )
        if value is not None
    ]
    joined = " " + ",".join(properties) if properties else ""
    return f"::{annotation.level}{joined}::{_escape_data(annotation.message)}"


def emit(annotation: Annotation, stream: TextIO) -> None:
    stream.write(command(annotation) + "\n")
    stream.flush()


def notice(message: str, stream: TextIO) -> None:
    emit(Annotation("notice", message), stream)


def append_step_summary(path: Path | None, markdown: str) -> None:
    """Append to the step summary, if the runner gave one; kept under GitHub's 1 MiB."""
    if path is None:
        return
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    encoded = text.encode("utf-8")
    if len(encoded) > STEP_SUMMARY_LIMIT:
        note = "\n\n_(cut at the step summary's 1 MiB limit)_\n"
        room = STEP_SUMMARY_LIMIT - len(note.encode())
        text = encoded[:room].decode("utf-8", errors="ignore") + note
    _append(path, text)


def write_outputs(path: Path | None, outputs: Mapping[str, str]) -> None:
    """Set step outputs; a value is written with a heredoc delimiter it cannot contain."""
    if path is None:
        return
    lines = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
        lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    _append(path, "".join(lines))


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
