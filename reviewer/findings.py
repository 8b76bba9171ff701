"""Turn the model's proposed findings into findings anchored where GitHub accepts them.

A finding is never dropped for a bad anchor: it is moved to the line the model
evidently meant (same hunk, close by, the cited code matches) or it becomes a
file-level finding (``line`` None). Every finding left with a line points at a
commentable line of the diff, so a review built from them cannot get GitHub's
422 for "line must be part of the diff".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from reviewer.diff import Diff, DiffLine, FileDiff, Hunk, LineKind
from reviewer.prompt import display_path, show_controls
from reviewer.schema import ProposedFinding
from reviewer.values import Finding, Severity, Side

# How far (in lines) a finding may be moved to the line whose code it cites.
MAX_REANCHOR_DISTANCE = 5


@dataclass(frozen=True)
class Selection:
    findings: tuple[Finding, ...]  # deduped, most severe first
    inline: tuple[Finding, ...]  # those with a line, capped at max_comments
    below_min_severity: int  # how many were left out by min_severity


def anchor(proposed: ProposedFinding, diff: Diff) -> Finding:
    file = _find_file(diff, proposed.path)
    if file is None:
        return _file_level(proposed, proposed.path)
    located = _locate(file, proposed)
    if located is None:
        return _file_level(proposed, file.path)
    side, line, moved = located
    hunk = file.hunk_for(line, side)
    assert hunk is not None
    start = None if moved else _valid_start(hunk, side, proposed.start_line, line)
    return Finding(
        path=file.path,
        line=line,
        side=side,
        severity=proposed.severity,
        category=proposed.category,
        title=proposed.title,
        body=proposed.body,
        start_line=start,
        # A suggestion replaces exactly the cited lines; after a move that range
        # is a guess, so a multi-line suggestion is not kept as committable text.
        suggestion=_suggestion(proposed, moved),
    )


def _find_file(diff: Diff, path: str) -> FileDiff | None:
    """The file the model means by ``path``, trying the surest reading first.

    A file's own name beats another file that only displays the same (a hidden
    bidirectional control in its name), and both beat the old name of a rename
    or copy: after ``git mv x.py y.py`` and a new ``x.py``, "x.py" is the new file.
    """
    path = path.removeprefix("./")
    readings: tuple[Callable[[FileDiff], bool], ...] = (
        lambda file: file.path == path,
        lambda file: display_path(file.path) == path,
        lambda file: (
            file.old_path is not None and path in (file.old_path, display_path(file.old_path))
        ),
    )
    for means in readings:
        for file in diff.files:
            if means(file):
                return file
    return None


def _file_level(proposed: ProposedFinding, path: str) -> Finding:
    return Finding(
        path=path,
        line=None,
        side=proposed.side,
        severity=proposed.severity,
        category=proposed.category,
        title=proposed.title,
        body=proposed.body,
        suggestion=None,
    )


def _locate(file: FileDiff, proposed: ProposedFinding) -> tuple[Side, int, bool] | None:
    """(side, line, moved) of the line the finding belongs on, or None."""
    code = _normalise(proposed.code)
    cited = _line_at(file, proposed.line, proposed.side)
    if cited is not None and (not code or _normalise(cited.text) == code):
        return proposed.side, proposed.line, False
    matches = sorted(
        (abs(number - proposed.line) + (side is not proposed.side), side, number)
        for side, number, line in _commentable_lines(file)
        if code and _normalise(line.text) == code
    )
    if matches and matches[0][0] <= MAX_REANCHOR_DISTANCE:
        _, side, number = matches[0]
        return side, number, True
    if cited is not None:  # commentable, though the cited code differs: trust the number
        return proposed.side, proposed.line, False
    return None


def _line_at(file: FileDiff, number: int, side: Side) -> DiffLine | None:
    hunk = file.hunk_for(number, side)
    return hunk.line_at(number, side) if hunk is not None else None


def _commentable_lines(file: FileDiff) -> Iterable[tuple[Side, int, DiffLine]]:
    for hunk in file.hunks:
        for line in hunk.lines:
            if line.kind is not LineKind.REMOVED and line.new_no is not None:
                yield Side.RIGHT, line.new_no, line
            if line.kind is LineKind.REMOVED and line.old_no is not None:
                yield Side.LEFT, line.old_no, line


def _valid_start(hunk: Hunk, side: Side, start: int | None, line: int) -> int | None:
    """``start`` when it opens a range ending at ``line`` within the same hunk."""
    if start is None or start >= line:
        return None
    commentable = hunk.commentable(side)
    if start not in commentable:
        return None
    return start


def _suggestion(proposed: ProposedFinding, moved: bool) -> str | None:
    if proposed.suggestion is None:
        return None
    if moved and proposed.start_line is not None:
        return None
    return proposed.suggestion


def _normalise(text: str) -> str:
    """Whitespace-insensitive, and in the form the model saw (controls made visible)."""
    return " ".join(show_controls(text).split())


def select(findings: Iterable[Finding], *, max_comments: int, min_severity: Severity) -> Selection:
    """Dedupe, order by severity, apply min_severity and cap the inline ones."""
    kept: dict[str, Finding] = {}
    below = 0
    for finding in sorted(findings, key=_order):
        if not finding.severity.at_least(min_severity) and finding.origin != "secrets":
            below += 1
            continue
        kept.setdefault(finding.fingerprint(), finding)
    ordered = tuple(kept.values())
    inline = tuple(f for f in ordered if f.line is not None)[:max_comments]
    return Selection(findings=ordered, inline=inline, below_min_severity=below)


def _order(finding: Finding) -> tuple[int, str, int, str]:
    return (finding.severity.rank, finding.path, finding.line or 0, finding.title)


def anchor_all(proposed: Sequence[ProposedFinding], diff: Diff) -> list[Finding]:
    return [anchor(p, diff) for p in proposed]
