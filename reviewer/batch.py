"""The model stage as one Message Batch: submit, save what resume needs, wait, collect.

A batch is half price and may take up to 24 hours. Before waiting, the state
file is saved: it holds the diff and the configuration the batch was planned
from, so ``reviewer batch resume ID`` can rebuild the same requests, map the
results back by ``custom_id`` and anchor the findings, after an interrupted run
or on another day. The wait may be capped (the Action's
``batch_timeout_minutes``): past that the run fails with exit 3, naming the
batch, which keeps running at Anthropic.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer.config import Config, config_from_mapping
from reviewer.diff import Diff, FileDiff, FileStatus
from reviewer.errors import InputError, ServiceError

if TYPE_CHECKING:
    from reviewer.catalog import ModelInfo
    from reviewer.model import BatchProgress, Client, ModelRequest, ModelResult

STATE_VERSION = 1


@dataclass(frozen=True)
class BatchState:
    batch_id: str
    diff_text: str
    diff_source: str
    config: Config
    title: str | None
    description: str | None
    request_digests: tuple[tuple[str, str], ...]  # (custom_id, sha256 of the request body)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def state_path(directory: Path, batch_id: str) -> Path:
    if not batch_id or any(c in batch_id for c in "/\\") or batch_id.startswith("."):
        raise InputError(f"not a batch id: {batch_id!r}")
    return directory / f"{batch_id}.json"


def save_state(directory: Path, state: BatchState) -> Path:
    """Write atomically: a half-written state file would lose a paid-for batch."""
    path = state_path(directory, state.batch_id)
    document = {
        "version": STATE_VERSION,
        "batch_id": state.batch_id,
        "diff_source": state.diff_source,
        "diff_text": state.diff_text,
        "config": config_to_mapping(state.config),
        "title": state.title,
        "description": state.description,
        "requests": [{"custom_id": k, "sha256": d} for k, d in state.request_digests],
    }
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=directory, prefix=".batch.", delete=False
    ) as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
    os.replace(handle.name, path)
    return path


def load_state(directory: Path, batch_id: str) -> BatchState:
    path = state_path(directory, batch_id)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"no saved state for batch {batch_id} in {directory}",
            hint="resume from the repository the batch was submitted from, or point "
            "REVIEWER_CACHE_DIR at the directory whose batches/ holds the state file",
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: unreadable batch state: {exc}") from None
    if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
        raise InputError(f"{path}: batch state of an unknown version")
    try:
        return BatchState(
            batch_id=str(document["batch_id"]),
            diff_text=str(document["diff_text"]),
            diff_source=str(document["diff_source"]),
            config=config_from_mapping(document["config"], source=str(path)),
            title=document.get("title"),
            description=document.get("description"),
            request_digests=tuple(
                (str(item["custom_id"]), str(item["sha256"])) for item in document["requests"]
            ),
        )
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path}: batch state lacks {exc}") from None


def config_to_mapping(config: Config) -> dict[str, Any]:
    """The configuration in its file form, so config_from_mapping validates it on load."""
    data = dataclasses.asdict(config)
    data.pop("source")
    data["min_severity"] = config.min_severity.value
    data["fail_on"] = config.fail_on.value if config.fail_on is not None else "never"
    data["ignore"] = list(config.ignore)
    data["path_instructions"] = dict(config.path_instructions)
    return data


def _say(message: str) -> None:
    print(f"reviewer: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class BatchWait:
    """How a run waits for its batch, and where it keeps what resume needs."""

    poll_seconds: float
    state_dir: Path
    timeout_minutes: float | None = None  # None: as long as the batch runs
    say: Callable[[str], None] = field(default=_say, compare=False)


@dataclass(frozen=True)
class SubmittedRun:
    """What the state file records of the run, beside the batch id and request digests."""

    diff_text: str
    diff_source: str
    config: Config
    title: str | None = None
    description: str | None = None


async def send_as_batch(
    client: Client,
    requests: Sequence[ModelRequest],
    *,
    model: ModelInfo,
    max_tokens: int,
    run: SubmittedRun,
    wait: BatchWait,
) -> list[ModelResult]:
    """Submit ``requests`` as one batch, save the state for resume, wait, collect."""
    from reviewer.model import submit_batch

    submitted = await submit_batch(client, requests, model=model, max_tokens=max_tokens)
    batch_id = submitted.batch_id
    state = BatchState(
        batch_id=batch_id,
        diff_text=run.diff_text,
        diff_source=run.diff_source,
        config=run.config,
        title=run.title,
        description=run.description,
        request_digests=tuple((r.key, digest(r.body)) for r in requests),
    )
    saved = save_state(wait.state_dir, state)
    count = f"{len(requests)} request" + ("" if len(requests) == 1 else "s")
    wait.say(
        f"submitted batch {batch_id} ({count}); state saved in {saved}. "
        f"If interrupted: reviewer batch resume {batch_id}"
    )
    return await collect(
        client, requests, batch_id, model=model, max_tokens=max_tokens, wait=wait, saved=saved
    )


async def collect(
    client: Client,
    requests: Sequence[ModelRequest],
    batch_id: str,
    *,
    model: ModelInfo,
    max_tokens: int,
    wait: BatchWait,
    saved: Path | None = None,
) -> list[ModelResult]:
    """Wait for the batch to end, then its results mapped back onto ``requests``."""
    from reviewer.model import batch_results, wait_for_batch

    waiting = wait_for_batch(
        client, batch_id, poll_seconds=wait.poll_seconds, on_progress=_printer(wait.say)
    )
    timeout = None if wait.timeout_minutes is None else wait.timeout_minutes * 60
    try:
        await asyncio.wait_for(waiting, timeout=timeout)
    except TimeoutError:
        raise _timed_out(batch_id, wait, saved) from None
    except asyncio.CancelledError:
        wait.say(f"the batch keeps running; resume with: reviewer batch resume {batch_id}")
        raise
    return await batch_results(client, batch_id, requests, model=model, max_tokens=max_tokens)


def _timed_out(batch_id: str, wait: BatchWait, saved: Path | None) -> ServiceError:
    state = saved if saved is not None else wait.state_dir / f"{batch_id}.json"
    return ServiceError(
        f"Message Batch {batch_id} did not end within {wait.timeout_minutes:g} minutes "
        "(batch_timeout_minutes); nothing was posted. The batch keeps running at Anthropic.",
        hint=f"to finish it locally, copy {state} (upload it with actions/upload-artifact "
        "in a step with `if: failure()`) into DIR/batches/ and run "
        f"`REVIEWER_CACHE_DIR=DIR reviewer batch resume {batch_id}` with ANTHROPIC_API_KEY "
        "set; or raise batch_timeout_minutes and re-run the job, which submits a new batch",
    )


def _printer(say: Callable[[str], None]) -> Callable[[BatchProgress], None]:
    last: list[str] = []

    def report(progress: BatchProgress) -> None:
        line = describe(progress)
        if not last or last[-1] != line:
            last.append(line)
            say(line)

    return report


def describe(progress: BatchProgress) -> str:
    """One line of a batch's progress: status, how much is done, and how it went."""
    done = progress.total - progress.processing
    detail = ", ".join(
        f"{count} {name}"
        for name, count in (
            ("succeeded", progress.succeeded),
            ("errored", progress.errored),
            ("canceled", progress.canceled),
            ("expired", progress.expired),
        )
        if count
    )
    return f"batch {progress.batch_id}: {progress.status}, {done}/{progress.total} done" + (
        f" ({detail})" if detail else ""
    )


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
