"""The engine's use of the local review cache: which hunks it serves, and what to store.

Each hunk is looked up before anything else: a hunk found in the cache is
neither scanned nor sent, and its findings are re-based onto where the hunk is
now. After the model answers, each request's findings go to the hunk they are
anchored in; a finding on no hunk of its request (a file-level one, or one the
model put on a file it was not shown) goes to the first hunk of its file in
that request, else to the request's first hunk, so it comes back whenever that
hunk is served. A hunk is stored only once every request that showed part of
it succeeded; a failed request stores nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewer.cache import CacheEntry, HunkKeys, HunkRecord, ReviewCache
from reviewer.diff import Diff, DiffLine, FileDiff, Hunk
from reviewer.findings import anchor
from reviewer.plan import RequestPlan
from reviewer.values import Finding, PathReason

if TYPE_CHECKING:
    from reviewer.model import ModelResult
    from reviewer.secrets import SecretScan


@dataclass(frozen=True)
class PendingHunk:
    """A hunk sent this run, remembered in the cache once its requests have answered."""

    key: str
    path: str
    hunk: Hunk  # as scanned (redacted); its line numbers are the diff's
    secret_findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Split:
    """The diff divided between what the cache served and what is left to scan and send."""

    residual: Diff  # every file with hunks the cache did not serve, or with no hunks at all
    reviewable: tuple[bool, ...]  # per residual file: sent to the model, or only scanned
    keys: tuple[tuple[str, ...], ...]  # per residual file, per hunk; empty without a cache
    skipped: tuple[PathReason, ...]  # files nobody reviews, whatever the cache holds
    cached_findings: tuple[Finding, ...] = ()
    cached_secret_findings: tuple[Finding, ...] = ()
    cached_summaries: tuple[str, ...] = ()
    cached_hunks: int = 0


def uncached(diff: Diff, reviewable: Sequence[bool], skipped: tuple[PathReason, ...]) -> Split:
    """The split of a run without a cache: everything is scanned, the reviewable sent."""
    return Split(diff, tuple(reviewable), tuple(() for _ in diff.files), skipped)


def look_up(
    diff: Diff,
    reviewable: Sequence[bool],
    skipped: tuple[PathReason, ...],
    hunk_keys: HunkKeys,
    cache: ReviewCache,
) -> Split:
    """Serve what ``cache`` holds; the rest of ``diff`` is left to scan and send."""
    keys = [
        tuple((hunk_keys.review if sent else hunk_keys.secrets)(file, h) for h in file.hunks)
        for file, sent in zip(diff.files, reviewable, strict=True)
    ]
    records = iter(cache.get_many([key for file_keys in keys for key in file_keys]))
    files: list[FileDiff] = []
    kept_reviewable: list[bool] = []
    kept_keys: list[tuple[str, ...]] = []
    served: list[Finding] = []
    summaries: list[str] = []
    hits = 0
    for file, sent, file_keys in zip(diff.files, reviewable, keys, strict=True):
        missed: list[tuple[Hunk, str]] = []
        for hunk, key in zip(file.hunks, file_keys, strict=True):
            record = next(records)
            if record is None:
                missed.append((hunk, key))
                continue
            served.extend(record.placed(file.path, hunk))
            summaries.append(record.summary)
            if sent:
                hits += 1
        if missed or not file.hunks:
            files.append(dataclasses.replace(file, hunks=tuple(h for h, _ in missed)))
            kept_reviewable.append(sent)
            kept_keys.append(tuple(key for _, key in missed))
    return Split(
        residual=Diff(files=tuple(files)),
        reviewable=tuple(kept_reviewable),
        keys=tuple(kept_keys),
        skipped=skipped,
        cached_findings=tuple(f for f in served if f.origin != "secrets"),
        cached_secret_findings=tuple(f for f in served if f.origin == "secrets"),
        cached_summaries=tuple(s for s in summaries if s),
        cached_hunks=hits,
    )


def sort_secrets(split: Split, scan: SecretScan, cache: ReviewCache) -> tuple[PendingHunk, ...]:
    """Store the scan-only hunks' secrets now; the others wait for the model's answer."""
    by_path: dict[str, list[Finding]] = {}
    for finding in scan.findings:
        by_path.setdefault(finding.path, []).append(finding)
    scan_only: list[CacheEntry] = []
    pending: list[PendingHunk] = []
    files = zip(split.residual.files, scan.diff.files, split.reviewable, split.keys, strict=True)
    for raw, scanned, sent, keys in files:
        per_hunk = _secrets_per_hunk(raw, scanned, by_path.get(scanned.path, ()))
        for hunk, key, found in zip(scanned.hunks, keys, per_hunk, strict=True):
            if sent:
                pending.append(PendingHunk(key, scanned.path, hunk, found))
            else:
                scan_only.append(_entry(key, found, hunk))
    cache.put_many(scan_only)
    return tuple(pending)


def _secrets_per_hunk(
    raw: FileDiff, scanned: FileDiff, findings: Sequence[Finding]
) -> list[tuple[Finding, ...]]:
    """Each hunk's secret findings, by line.

    A secret in a hunk header is reported once per file, without a line: it goes
    with every hunk whose header the scan redacted.
    """
    per_hunk: list[list[Finding]] = [[] for _ in scanned.hunks]
    headers = [
        index
        for index, (before, after) in enumerate(zip(raw.hunks, scanned.hunks, strict=True))
        if before.section != after.section
    ] or [0]
    for finding in findings:
        if finding.line is None:
            for index in headers:
                per_hunk[index].append(finding)
            continue
        line = finding.line
        index = next(
            (i for i, h in enumerate(scanned.hunks) if line in h.commentable(finding.side)), 0
        )
        per_hunk[index].append(finding)
    return [tuple(found) for found in per_hunk]


def _entry(key: str, findings: Sequence[Finding], hunk: Hunk, summary: str = "") -> CacheEntry:
    return CacheEntry(key, HunkRecord.of(findings, hunk, summary))


def anchored(plan: RequestPlan, result: ModelResult) -> list[Finding]:
    """Anchor against what this request showed, not the whole diff.

    A finding on a file or hunk the model never saw (a skipped lockfile, a hunk
    sent in another request) cannot be about code it read: it becomes file-level
    (or re-anchors to a line it did see) instead of landing on that line.
    """
    if result.answer is None:
        return []
    shown = Diff(files=plan.files)
    return [anchor(p, shown) for p in result.answer.findings]


class _HunkOutcome:
    """What the answered requests that showed (part of) one pending hunk found in it."""

    def __init__(self) -> None:
        self.lines_answered = 0
        self.findings: list[Finding] = []
        self.summaries: list[str] = []


@dataclass(frozen=True)
class _Shown:
    """A hunk, or a piece of one cut by the plan, as a request showed it."""

    path: str
    pending: int  # index into the pending hunks
    lines: int


def answered_hunks(
    pending: Sequence[PendingHunk],
    plans: Sequence[RequestPlan],
    results: Sequence[ModelResult],
) -> list[CacheEntry]:
    """A cache entry for each pending hunk whose every line was in an answered request."""
    owner = {
        _line_id(hunk.path, line): index
        for index, hunk in enumerate(pending)
        for line in hunk.hunk.lines
    }
    outcomes = [_HunkOutcome() for _ in pending]
    for plan, result in zip(plans, results, strict=True):
        shown = [
            _Shown(file.path, owner[_line_id(file.path, piece.lines[0])], len(piece.lines))
            for file in plan.files
            for piece in file.hunks
            if piece.lines and _line_id(file.path, piece.lines[0]) in owner
        ]
        if result.answer is None or not shown:
            continue
        for piece in shown:
            outcomes[piece.pending].lines_answered += piece.lines
        for index in dict.fromkeys(piece.pending for piece in shown):
            outcomes[index].summaries.append(result.answer.summary.strip())
        for finding in anchored(plan, result):
            outcomes[_owning_hunk(finding, shown, pending)].findings.append(finding)
    return [
        _entry(
            hunk.key,
            [*hunk.secret_findings, *outcome.findings],
            hunk.hunk,
            "\n\n".join(dict.fromkeys(s for s in outcome.summaries if s)),
        )
        for hunk, outcome in zip(pending, outcomes, strict=True)
        if outcome.lines_answered == len(hunk.hunk.lines)
    ]


def _line_id(path: str, line: DiffLine) -> tuple[str, str, int | None, int | None]:
    """A line's identity within a diff: a piece cut from a hunk keeps its lines' numbers."""
    return path, line.kind.value, line.old_no, line.new_no


def _owning_hunk(finding: Finding, shown: Sequence[_Shown], pending: Sequence[PendingHunk]) -> int:
    """The pending hunk ``finding`` is stored with: see the module docstring."""
    same_file = [piece.pending for piece in shown if piece.path == finding.path]
    if finding.line is not None:
        for index in same_file:
            if finding.line in pending[index].hunk.commentable(finding.side):
                return index
    return same_file[0] if same_file else shown[0].pending
