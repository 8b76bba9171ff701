"""The terminal report, and a progress bar for long runs, drawn with rich.

rich decides whether to colour: a console that is not a terminal (a pipe, a
file, CI logs) gets plain text; ``NO_COLOR`` and ``FORCE_COLOR`` are honoured.
Everything model-written is printed as ``rich.text.Text``, never as console
markup (``[red]`` in a finding stays literal), and control characters are made
visible so a finding cannot send escape sequences to the terminal.

The report opens with its headline (loud when the review is incomplete) and
ends with the tally by severity, both computed from the findings it lists. On
a terminal prose is wrapped to its width and code lines are cropped; anywhere
else (a pipe, a file, or a console made with ``soft_wrap=True``) every line is
written whole, since whatever reads it wraps, or greps, for itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from reviewer.diff import Diff, DiffLine, LineKind
from reviewer.render.claims import consistent_summary
from reviewer.render.coverage import Coverage, ReasonGroup, coverage_of, examples, listing
from reviewer.render.markdown import below_threshold_text, location_label, location_qualifier
from reviewer.render.tally import Tally, tally_of
from reviewer.render.wording import filtered_text, plural, requests_phrase, timing_phrase
from reviewer.values import (
    DryRun,
    FilteredFinding,
    Finding,
    PathReason,
    Review,
    Severity,
    Side,
    Timing,
    Usage,
)

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
    """Print the review: headline, summary, each finding with its code, file lists, usage, tally.

    ``diff`` is the diff that was reviewed: it gives the findings their code and
    the headline its count of files.
    """
    from rich.text import Text

    coverage = coverage_of(review, diff)
    tally = tally_of(review.findings)
    if coverage.headline is not None:
        _say(console, Text(printable(coverage.headline), style="bold red"))
    _say(console, Text(tally.headline, style="green" if not tally.total else "bold"))
    console.print()
    summary = consistent_summary(review.summary, review.findings)
    if summary:
        _print_lines(console, Text(printable(summary)), wrap=True, indent=0)
        console.print()
    for finding in review.findings:
        _print_finding(console, finding, diff)
    if review.below_min_severity:
        _say(console, Text(below_threshold_text(review.below_min_severity), style="dim"))
        console.print()
    _print_filtered(console, review.filtered)
    _print_paths(console, "Not reviewed", review.not_reviewed)
    _print_paths(console, "Skipped", review.skipped)
    _print_lines(
        console, _usage_line(review.model, review.usage, review.timing), wrap=True, indent=0
    )
    _say(console, _tally_line(tally, coverage))


def render_dry_run_text(dry: DryRun, console: Console) -> None:
    """Print what a run would send: one row per request, the totals and the skipped files."""
    from rich.table import Table
    from rich.text import Text

    total_tokens = sum(r.estimated_input_tokens for r in dry.requests)
    console.print(
        Text.assemble(
            ("Dry run", "bold"),
            f" with {dry.model}: {plural(len(dry.requests), 'request')}, "
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
                f"{plural(dry.cached_hunks, 'hunk')} reviewed before: "
                "served from the local cache, not sent.",
                style="dim",
            )
        )
    if dry.estimated_tool_turns or dry.estimated_verifications:
        console.print(
            Text(
                f"The cost includes about {plural(dry.estimated_tool_turns, 'tool turn')} and "
                f"{plural(dry.estimated_verifications, 'verification request')} (estimated).",
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

    _say(console, _finding_header(finding))
    if finding.body.strip():
        _print_lines(console, Text(printable(finding.body.strip())), wrap=True)
    context = _code_context(finding, diff)
    if context:
        _print_lines(console, _context_text(finding, context), wrap=False)
    if finding.suggestion is not None:
        _print_lines(console, _suggestion_text(finding.suggestion), wrap=False)
    console.print()


def _hard_wraps(console: Console) -> bool:
    """Whether lines are fitted to the console's width: only on a terminal that wants it."""
    return console.is_terminal and not console.soft_wrap


def _say(console: Console, text: Text) -> None:
    """One line (or paragraph): wrapped on a terminal, written whole anywhere else."""
    console.print(text, soft_wrap=not _hard_wraps(console))


def _print_lines(console: Console, text: Text, *, wrap: bool, indent: int = _INDENT) -> None:
    """``text`` indented under its header; on a terminal code is cropped rather than wrapped.

    Done line by line, without trailing spaces: rich's Padding pads every line
    to the width of the widest and its wrapping leaves a space at each break.
    """
    from rich.text import Text

    hard = _hard_wraps(console)
    width = max(console.width - indent, 20)
    lines = text.wrap(console, width) if hard and wrap else text.split("\n", allow_blank=True)
    for line in lines:
        line.rstrip()
        indented = Text(" " * indent).append_text(line) if line.plain else line
        if hard:
            console.print(indented, no_wrap=True, overflow="ellipsis")
        else:
            console.print(indented, soft_wrap=True)


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
    """One line per file, except that a reason many files share is one line with a count."""
    from rich.text import Text

    if not entries:
        return
    rows = listing(entries)
    files = sum(len(row.paths) for row in rows)
    _say(console, Text(f"{title} ({files:,}):", style="bold"))
    for row in rows:
        _say(console, Text.assemble("  ", _row_paths(row), (f" — {printable(row.reason)}", "dim")))
    console.print()


def _print_filtered(console: Console, filtered: Sequence[FilteredFinding]) -> None:
    """The verification pass's drops, one dim line each: listed, not shown as findings."""
    from rich.text import Text

    if not filtered:
        return
    _say(console, Text(f"{filtered_text(len(filtered))} — why:", style="dim bold"))
    for item in filtered:
        finding = item.finding
        where = finding.path if finding.line is None else f"{finding.path}:{finding.line}"
        line = f"{finding.severity.value} {where} {finding.title} — {item.reason}"
        _print_lines(console, Text(printable(line), style="dim"), wrap=True)
    console.print()


def _row_paths(row: ReasonGroup) -> str:
    if len(row.paths) == 1:
        return printable(row.paths[0])
    shown, more = examples(row.paths)
    names = ", ".join(printable(path) for path in shown)
    return f"{plural(len(row.paths), 'file')}: {names}" + (f" and {more:,} more" if more else "")


def _usage_line(model: str, usage: Usage, timing: Timing | None = None) -> Text:
    from rich.text import Text

    elapsed = timing_phrase(timing) if timing is not None else ""
    return Text(
        f"{model} · {requests_phrase(usage)} · tokens: "
        f"{usage.input_tokens:,} in / {usage.output_tokens:,} out / "
        f"{usage.cache_creation_input_tokens:,} cache write / "
        f"{usage.cache_read_input_tokens:,} cache read "
        f"(cache reads {usage.cache_hit_share:.0%} of prompt) · "
        f"cost ${usage.cost_usd:.4f}{_from_cache(usage.cached_hunks)}"
        + (f" · {elapsed}" if elapsed else ""),
        style="dim",
    )


def _tally_line(tally: Tally, coverage: Coverage) -> Text:
    """The last line: every severity's count, and the shortfall of an incomplete review."""
    from rich.text import Text

    line = Text(f"Tally: {plural(tally.total, 'finding')} — {tally.line}", style="bold")
    if coverage.shortfall is not None:
        line.append(f" · review incomplete: {printable(coverage.shortfall)}", style="bold red")
    return line


def _from_cache(hunks: int) -> str:
    return f" · {plural(hunks, 'hunk')} from the local cache" if hunks else ""


def _some_paths(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:_PATHS_SHOWN_PER_REQUEST])
    hidden = len(paths) - _PATHS_SHOWN_PER_REQUEST
    return f"{shown} +{hidden} more" if hidden > 0 else shown
