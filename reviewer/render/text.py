"""The terminal report, and a progress bar for long runs, drawn with rich.

rich decides whether to colour: a console that is not a terminal (a pipe, a
file, CI logs) gets plain text; ``NO_COLOR`` and ``FORCE_COLOR`` are honoured.
Everything model-written is printed as ``rich.text.Text``, never as console
markup (``[red]`` in a finding stays literal), and control characters are made
visible so a finding cannot send escape sequences to the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from reviewer.diff import Diff, DiffLine, LineKind
from reviewer.render.markdown import below_threshold_text, location_label, location_qualifier
from reviewer.values import DryRun, Finding, PathReason, Review, Severity, Side, Timing, Usage

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from rich.text import Text

CONTEXT_LINES = 2  # shown before the first and after the last line a finding is about

SEVERITY_STYLES: dict[Severity, str] = {
    Severity.CRITICAL: "bold white on red",
    Severity.MAJOR: "bold red",
    Severity.MINOR: "yellow",
    Severity.NIT: "cyan",
}

_LINE_STYLES: dict[LineKind, str] = {
    LineKind.ADDED: "green",
    LineKind.REMOVED: "red",
    LineKind.CONTEXT: "",
}

_PATHS_SHOWN_PER_REQUEST = 3
_INDENT = 2


def render_text(review: Review, diff: Diff, console: Console) -> None:
    """Print the review: summary, each finding with its code, file lists and usage."""
    from rich.text import Text

    if review.service_failure is not None:
        incomplete = f"The review is incomplete: {printable(review.service_failure.reason)}"
        console.print(Text(incomplete, style="bold red"))
        console.print()
    if review.summary.strip():
        console.print(Text(printable(review.summary.strip())))
        console.print()
    if not review.findings:
        console.print(Text("No findings.", style="green"))
        console.print()
    for finding in review.findings:
        _print_finding(console, finding, diff)
    if review.below_min_severity:
        console.print(Text(below_threshold_text(review.below_min_severity), style="dim"))
        console.print()
    _print_paths(console, "Not reviewed", review.not_reviewed)
    _print_paths(console, "Skipped", review.skipped)
    _print_lines(
        console, _usage_line(review.model, review.usage, review.timing), wrap=True, indent=0
    )


def render_dry_run_text(dry: DryRun, console: Console) -> None:
    """Print what a run would send: one row per request, the totals and the skipped files."""
    from rich.table import Table
    from rich.text import Text

    total_tokens = sum(r.estimated_input_tokens for r in dry.requests)
    console.print(
        Text.assemble(
            ("Dry run", "bold"),
            f" with {dry.model}: {_plural(len(dry.requests), 'request')}, "
            f"about {total_tokens:,} input tokens, estimated cost ",
            (f"${dry.estimated_cost_usd:.4f}", "bold"),
        )
    )
    if dry.requests:
        table = Table(box=None, pad_edge=False)
        table.add_column("#", justify="right")
        table.add_column("files")
        table.add_column("hunks", justify="right")
        table.add_column("est. input tokens", justify="right")
        for number, request in enumerate(dry.requests, 1):
            table.add_row(
                str(number),
                Text(printable(_some_paths(request.paths))),
                str(request.hunks),
                f"{request.estimated_input_tokens:,}",
            )
        console.print(table)
    if dry.cached_hunks:
        console.print(
            Text(
                f"{_plural(dry.cached_hunks, 'hunk')} reviewed before: "
                "served from the local cache, not sent.",
                style="dim",
            )
        )
    console.print()
    _print_paths(console, "Skipped", dry.skipped)


class ProgressReporter(Protocol):
    """What ``progress_reporter`` yields; the engine's side of the protocol.

    ``advance(done, total)`` is called after each request completes, whether it
    succeeded or failed: ``done`` is the number of requests completed so far and
    ``total`` the number planned. They are absolute counts, not increments, so a
    missed call costs nothing and ``total`` may change between calls. Call it
    from the one thread that collects results, in completion order.
    """

    def advance(self, done: int, total: int) -> None: ...


@contextmanager
def progress_reporter(
    console: Console, *, description: str = "Reviewing"
) -> Iterator[ProgressReporter]:
    """A progress bar on ``console`` (the stderr console) while the block runs.

    When the console is not an interactive terminal (a pipe, a file, CI logs)
    nothing is drawn and ``advance`` does nothing. The bar is removed when the
    block exits, so the report printed afterwards starts on a clean screen.
    """
    if not console.is_terminal or console.is_dumb_terminal:
        yield _NoProgress()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        yield _ProgressBar(progress, progress.add_task(description, total=None))


class _NoProgress:
    """The reporter when there is nowhere to draw a bar."""

    def advance(self, done: int, total: int) -> None:
        pass


@dataclass(frozen=True)
class _ProgressBar:
    progress: Progress
    task: TaskID

    def advance(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=total)


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters (ESC above all) shown as ``\\xNN`` instead of obeyed."""
    return _CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match[0]):02x}", text)


# ---------------------------------------------------------------- findings


def _print_finding(console: Console, finding: Finding, diff: Diff) -> None:
    from rich.text import Text

    console.print(_finding_header(finding))
    if finding.body.strip():
        _print_lines(console, Text(printable(finding.body.strip())), wrap=True)
    context = _code_context(finding, diff)
    if context:
        _print_lines(console, _context_text(finding, context), wrap=False)
    if finding.suggestion is not None:
        _print_lines(console, _suggestion_text(finding.suggestion), wrap=False)
    console.print()


def _print_lines(console: Console, text: Text, *, wrap: bool, indent: int = _INDENT) -> None:
    """``text`` indented under its header; code is cropped rather than wrapped.

    Done line by line, without trailing spaces: rich's Padding pads every line
    to the width of the widest and its wrapping leaves a space at each break.
    """
    from rich.text import Text

    width = max(console.width - indent, 20)
    lines = text.wrap(console, width) if wrap else text.split("\n", allow_blank=True)
    for line in lines:
        line.rstrip()
        indented = Text(" " * indent).append_text(line) if line.plain else line
        console.print(indented, no_wrap=True, overflow="ellipsis")


def _finding_header(finding: Finding) -> Text:
    from rich.text import Text

    header = Text(printable(location_label(finding)), style="bold")
    qualifier = location_qualifier(finding)
    if qualifier:
        header.append(f" ({qualifier})", style="dim")
    header.append(" ")
    header.append(finding.severity.value, style=SEVERITY_STYLES[finding.severity])
    header.append(" ")
    header.append(printable(finding.category), style="magenta")
    header.append(" ")
    header.append(printable(" ".join(finding.title.split())), style="bold")
    return header


def _code_context(finding: Finding, diff: Diff) -> Sequence[DiffLine]:
    """The finding's lines from the diff with CONTEXT_LINES either side; empty if not in it."""
    if finding.line is None:
        return ()
    file_diff = diff.file(finding.path)
    hunk = file_diff.hunk_for(finding.line, finding.side) if file_diff else None
    if hunk is None:
        return ()
    first, last = _span(finding)
    targets = [
        i for i, line in enumerate(hunk.lines) if _is_target(line, finding.side, first, last)
    ]
    if not targets:
        return ()
    start = max(targets[0] - CONTEXT_LINES, 0)
    return hunk.lines[start : targets[-1] + CONTEXT_LINES + 1]


def _span(finding: Finding) -> tuple[int, int]:
    assert finding.line is not None
    start = finding.line if finding.start_line is None else finding.start_line
    return min(start, finding.line), max(start, finding.line)


def _is_target(line: DiffLine, side: Side, first: int, last: int) -> bool:
    number = line.number(side)
    return number is not None and first <= number <= last


def _context_text(finding: Finding, lines: Sequence[DiffLine]) -> Text:
    """Numbered diff lines; ``>`` and bold mark the finding's own lines, colour the +/- kind."""
    from rich.text import Text

    first, last = _span(finding)
    numbers = [line.number(finding.side) for line in lines]
    width = max((len(str(n)) for n in numbers if n is not None), default=1)
    rows: list[Text] = []
    for line, number in zip(lines, numbers, strict=True):
        is_target = _is_target(line, finding.side, first, last)
        gutter = f"{'>' if is_target else ' '} {number or '':>{width}} {line.kind.value} "
        style = _LINE_STYLES[line.kind]
        rows.append(
            Text.assemble(
                (gutter, "bold" if is_target else "dim"),
                (printable(line.text), f"{style} bold" if is_target else style),
            )
        )
    return Text("\n").join(rows)


def _suggestion_text(suggestion: str) -> Text:
    from rich.text import Text

    text = Text("Suggested change:", style="bold")
    if not suggestion.strip():
        text.append(" delete these lines.")
        return text
    for line in suggestion.removesuffix("\n").split("\n"):
        text.append(f"\n  {printable(line)}", style="green")
    return text


# ---------------------------------------------------------------- lists and usage


def _print_paths(console: Console, title: str, entries: Sequence[PathReason]) -> None:
    from rich.text import Text

    if not entries:
        return
    console.print(Text(f"{title} ({len(entries)}):", style="bold"))
    for entry in entries:
        console.print(
            Text.assemble("  ", printable(entry.path), (f" — {printable(entry.reason)}", "dim"))
        )
    console.print()


def _usage_line(model: str, usage: Usage, timing: Timing | None = None) -> Text:
    from rich.text import Text

    elapsed = ""
    if timing is not None and timing.wall_seconds > 0:
        elapsed = (
            f" · {timing.wall_seconds:.1f} s wall "
            f"(requests add up to {timing.request_seconds:.1f} s)"
        )
    return Text(
        f"{model} · {_plural(usage.requests, 'request')} · tokens: "
        f"{usage.input_tokens:,} in / {usage.output_tokens:,} out / "
        f"{usage.cache_creation_input_tokens:,} cache write / "
        f"{usage.cache_read_input_tokens:,} cache read "
        f"(cache reads {usage.cache_hit_share:.0%} of prompt) · "
        f"cost ${usage.cost_usd:.4f}{_from_cache(usage.cached_hunks)}{elapsed}",
        style="dim",
    )


def _from_cache(hunks: int) -> str:
    return f" · {_plural(hunks, 'hunk')} from the local cache" if hunks else ""


def _some_paths(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:_PATHS_SHOWN_PER_REQUEST])
    hidden = len(paths) - _PATHS_SHOWN_PER_REQUEST
    return f"{shown} +{hidden} more" if hidden > 0 else shown


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
