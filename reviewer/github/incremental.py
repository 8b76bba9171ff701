"""Narrow a pull request's diff to the hunks that changed since the last reviewed head.

Both diffs end at the same head commit, so their new-side line numbers agree: a
hunk of the pull request's diff (base...head) is sent again when a line it shows
was added, or lines next to it were removed, between the last reviewed head and
this one (GitHub's compare, last...head). Everything else was reviewed before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from reviewer.diff import Diff, FileDiff, FileStatus, Hunk, LineKind


@dataclass(frozen=True)
class ChangedSince:
    """What changed between the last reviewed head and the new one."""

    base_sha: str  # the last reviewed head
    diff: Diff  # base...head, from the files GitHub sent a patch for
    whole_files: frozenset[str]  # changed files without a patch: all their hunks count


def narrow(pr_diff: Diff, changed: ChangedSince) -> Diff:
    """The files and hunks of ``pr_diff`` that ``changed`` touches."""
    touched = {file.path: frozenset(_touched_lines(file)) for file in changed.diff.files}
    whole = changed.whole_files | {
        f.path for f in changed.diff.files if not f.hunks and f.status is not FileStatus.DELETED
    }
    kept: list[FileDiff] = []
    for file in pr_diff.files:
        if file.path in whole or (not file.hunks and file.path in touched):
            kept.append(file)
            continue
        lines = touched.get(file.path, frozenset())
        hunks = tuple(hunk for hunk in file.hunks if _shows_any(hunk, lines))
        if hunks:
            kept.append(dataclasses.replace(file, hunks=hunks))
    return Diff(files=tuple(kept))


def _touched_lines(file: FileDiff) -> Iterator[int]:
    """New-side numbers of added lines, and of the lines on each side of a removal."""
    for hunk in file.hunks:
        previous: int | None = None
        after_removal = False
        for line in hunk.lines:
            if line.kind is LineKind.REMOVED:
                if previous is not None:
                    yield previous
                after_removal = True
                continue
            if line.new_no is None:
                continue
            if line.kind is LineKind.ADDED or after_removal:
                yield line.new_no
            previous, after_removal = line.new_no, False
        if after_removal:  # a removal at the end of the file
            yield hunk.new_start + hunk.new_count


def _shows_any(hunk: Hunk, lines: frozenset[int]) -> bool:
    # A hunk that only removes lines spans no new line; git numbers it by the line before.
    last = hunk.new_start + max(hunk.new_count, 1) - 1
    return any(hunk.new_start <= number <= last for number in lines)
