"""The Action's model stage as one Message Batch (the ``batch`` input): half price, slower.

The requests go out as one batch; the run polls it every ``batch_poll_seconds``
and, once it has ended, maps the results back and the review is posted as
usual. A batch may take up to 24 hours, so the wait is capped at
``batch_timeout_minutes``: past that the run posts nothing and fails with exit
3, naming the batch, which keeps running at Anthropic. Before waiting, the
state that ``reviewer batch resume ID`` needs (the diff as sent, the
configuration, the pull request's text) is saved on the runner, so the batch
can be finished elsewhere instead of paid for twice.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer.diff import Diff, FileDiff, FileStatus
from reviewer.errors import ServiceError

if TYPE_CHECKING:
    from reviewer.config import Config
    from reviewer.engine import Prepared, PullRequestText
    from reviewer.model import BatchProgress, Client
    from reviewer.values import Review


@dataclass(frozen=True)
class BatchWait:
    """How the run waits for its batch."""

    poll_seconds: float
    timeout_minutes: float
    state_dir: Path  # where the state for ``reviewer batch resume`` is saved
    source: str  # names the diff in the saved state, e.g. ``octo/app#7``


async def review_as_batch(
    client: Client,
    prepared: Prepared,
    config: Config,
    *,
    diff: Diff,
    pr: PullRequestText,
    wait: BatchWait,
) -> Review:
    """Submit ``prepared``'s requests as one batch, wait for it, and assemble the review."""
    from reviewer import engine
    from reviewer.batch import BatchState, digest, save_state
    from reviewer.model import batch_results, submit_batch, wait_for_batch

    submitted = await submit_batch(
        client, prepared.requests, model=prepared.model, max_tokens=config.max_output_tokens
    )
    batch_id = submitted.batch_id
    state = BatchState(
        batch_id=batch_id,
        diff_text=diff_text(diff),
        diff_source=wait.source,
        config=config,
        title=pr.title,
        description=pr.description,
        request_digests=tuple((r.key, digest(r.body)) for r in prepared.requests),
    )
    saved = save_state(wait.state_dir, state)
    _say(f"submitted batch {batch_id} ({len(prepared.requests)} requests); state in {saved}")
    try:
        await asyncio.wait_for(
            wait_for_batch(
                client, batch_id, poll_seconds=wait.poll_seconds, on_progress=_progress_printer()
            ),
            timeout=wait.timeout_minutes * 60,
        )
    except TimeoutError:
        raise _timed_out(batch_id, wait, saved) from None
    results = await batch_results(
        client,
        batch_id,
        prepared.requests,
        model=prepared.model,
        max_tokens=config.max_output_tokens,
    )
    return engine.finish(prepared, config, results)


def _timed_out(batch_id: str, wait: BatchWait, saved: Path) -> ServiceError:
    return ServiceError(
        f"Message Batch {batch_id} did not end within {wait.timeout_minutes:g} minutes "
        "(batch_timeout_minutes); nothing was posted. The batch keeps running at Anthropic.",
        hint=f"to finish it locally, copy {saved} (upload it with actions/upload-artifact "
        "in a step with `if: failure()`) into DIR/batches/ and run "
        f"`REVIEWER_CACHE_DIR=DIR reviewer batch resume {batch_id}` with ANTHROPIC_API_KEY "
        "set; or raise batch_timeout_minutes and re-run the job, which submits a new batch",
    )


def _progress_printer() -> Callable[[BatchProgress], None]:
    last: list[str] = []

    def report(progress: BatchProgress) -> None:
        done = progress.total - progress.processing
        line = f"batch {progress.batch_id}: {progress.status}, {done}/{progress.total} done"
        if not last or last[-1] != line:
            last.append(line)
            _say(line)

    return report


def diff_text(diff: Diff) -> str:
    """``diff`` as git would print it, for the saved state that ``batch resume`` re-parses.

    Only what planning reads is written: names, status, modes and hunks. Resume
    matches rebuilt requests to submitted ones by content, so anything this
    loses makes a request "not reviewed", never a mis-mapped one.
    """
    lines: list[str] = []
    for file in diff.files:
        lines.extend(_file_lines(file))
    return "".join(f"{line}\n" for line in lines)


def _file_lines(file: FileDiff) -> list[str]:
    old = file.old_path or file.path
    lines = [f"diff --git a/{old} b/{file.path}"]
    if file.status is FileStatus.ADDED:
        lines.append(f"new file mode {file.new_mode or '100644'}")
    elif file.status is FileStatus.DELETED:
        lines.append(f"deleted file mode {file.old_mode or '100644'}")
    elif file.mode_changed:
        lines += [f"old mode {file.old_mode}", f"new mode {file.new_mode}"]
    if file.old_path is not None and file.status in (FileStatus.RENAMED, FileStatus.COPIED):
        verb = "rename" if file.status is FileStatus.RENAMED else "copy"
        lines += [f"{verb} from {file.old_path}", f"{verb} to {file.path}"]
    before = "/dev/null" if file.status is FileStatus.ADDED else f"a/{old}"
    after = "/dev/null" if file.status is FileStatus.DELETED else f"b/{file.path}"
    if file.is_binary:
        lines.append(f"Binary files {before} and {after} differ")
    elif file.hunks:
        lines += [f"--- {before}", f"+++ {after}"]
        for hunk in file.hunks:
            lines.append(hunk.header)
            lines.extend(line.kind.value + line.text for line in hunk.lines)
    return lines


def _say(message: str) -> None:
    print(f"reviewer: {message}", file=sys.stderr, flush=True)
