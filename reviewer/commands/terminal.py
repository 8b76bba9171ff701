"""The rich consoles reports are printed on; imported only when a report is printed (rich is
heavy, and a clean hook run prints one plain line)."""

from __future__ import annotations

from rich.console import Console


class ReportConsole(Console):
    """A Console that lets a closed pipe (``reviewer review | head``) reach ``reviewer.cli``.

    rich's default turns it into ``SystemExit(1)``, which reads as "findings".
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError
