"""`reviewer review --batch` and `reviewer batch resume|status`: bulk reviews at half price.

A batch is for audits where latency does not matter (many commits, whole
directories): every request of the run goes out as one Message Batch, the state
needed to anchor its results is saved first, and an interrupted wait can be
picked up later with ``reviewer batch resume ID``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewer.cache import ReviewCache
    from reviewer.config import Config
    from reviewer.diff import Diff
    from reviewer.engine import Prepared
    from reviewer.gitdiff import DiffText
    from reviewer.model import BatchProgress, Client, ModelRequest
    from reviewer.values import Review


def register(commands: argparse._SubParsersAction[Any]) -> None:
    batch = commands.add_parser(
        "batch", help="resume or inspect a review submitted with `review --batch`"
    )
    actions = batch.add_subparsers(dest="batch_command", required=True, metavar="ACTION")
    resume = actions.add_parser("resume", help="wait for a batch, then report its review")
    resume.add_argument("batch_id", metavar="ID")
    resume.add_argument("--format", choices=("text", "json", "sarif", "markdown"), default="text")
    resume.add_argument("--output", metavar="PATH", type=Path)
    resume.add_argument(
        "--fail-on", choices=("critical", "major", "minor", "nit", "never"), default=None
    )
    resume.add_argument("--poll-seconds", type=float, default=30.0, metavar="S")
    resume.add_argument("--repo", metavar="DIR", type=Path, default=Path("."))
    resume.add_argument("--no-cache", action="store_true")
    resume.set_defaults(run=run_resume)
    status = actions.add_parser("status", help="show a batch's progress")
    status.add_argument("batch_id", metavar="ID")
    status.add_argument("--repo", metavar="DIR", type=Path, default=Path("."))
    status.set_defaults(run=run_status)


def state_dir(repo: Path | None) -> Path:
    """Beside the review cache: inside the git directory, else the user cache directory."""
    import os

    from reviewer.cache import default_path

    return default_path(repo, os.environ).parent / "batches"


def submit_and_collect(
    args: argparse.Namespace,
    diff_text: DiffText,
    diff: Diff,
    config: Config,
    repo: Path | None,
    cache: ReviewCache | None,
) -> Review:
    import asyncio

    from reviewer import engine
    from reviewer.batch import BatchState, digest, save_state
    from reviewer.cli import anthropic_client
    from reviewer.model import submit_batch

    prepared = engine.prepare(diff, config, cache=cache)
    if not prepared.requests:
        return engine.assemble(prepared, config, [])
    client = anthropic_client(config)
    directory = state_dir(repo)

    async def submit_then_collect() -> Review:
        # One event loop for the client's whole life: its pooled connections belong to it.
        submitted = await submit_batch(
            client, prepared.requests, model=prepared.model, max_tokens=config.max_output_tokens
        )
        state = BatchState(
            batch_id=submitted.batch_id,
            diff_text=diff_text.text,
            diff_source=diff_text.source,
            config=config,
            title=None,
            description=None,
            request_digests=tuple((r.key, digest(r.body)) for r in prepared.requests),
        )
        path = save_state(directory, state)
        _say(
            f"submitted batch {submitted.batch_id} ({len(prepared.requests)} requests); "
            f"state saved in {path}. If interrupted: reviewer batch resume {submitted.batch_id}"
        )
        return await _collect(
            client, prepared, config, submitted.batch_id, args.poll_seconds, cache
        )

    # Ctrl-C cancels the wait (the batch keeps running); the CLI then exits 130.
    return asyncio.run(submit_then_collect())


def run_resume(args: argparse.Namespace) -> int:
    import asyncio
    import dataclasses

    from reviewer import engine
    from reviewer.batch import digest, load_state
    from reviewer.cli import anthropic_client, cache_scope, conclude, find_repo_root
    from reviewer.config import parse_fail_on
    from reviewer.diff import parse_diff

    repo = find_repo_root(args.repo)
    state = load_state(state_dir(repo), args.batch_id)
    config = state.config
    if args.fail_on is not None:
        config = dataclasses.replace(
            config, fail_on=parse_fail_on(args.fail_on, source="--fail-on")
        )
    diff = parse_diff(state.diff_text, source=state.diff_source)
    pr = engine.PullRequestText(state.title, state.description)
    with cache_scope(args, repo) as cache:
        prepared = engine.prepare(diff, config, pr, cache=cache)
        submitted = {sha: key for key, sha in state.request_digests}
        # Match rebuilt requests to submitted ones by content, not position: a request
        # the batch does not hold is reported as not reviewed rather than mis-mapped.
        requests = tuple(_rekeyed(r, submitted.get(digest(r.body))) for r in prepared.requests)
        prepared = dataclasses.replace(prepared, requests=requests)
        client = anthropic_client(config)
        review = asyncio.run(
            _collect(client, prepared, config, state.batch_id, args.poll_seconds, cache)
        )
    return conclude(args, review, diff, config)


def _rekeyed(request: ModelRequest, key: str | None) -> ModelRequest:
    import dataclasses

    return dataclasses.replace(request, key=key or f"not-in-batch-{request.key}")


def run_status(args: argparse.Namespace) -> int:
    import asyncio

    from reviewer.batch import load_state
    from reviewer.cli import anthropic_client, find_repo_root
    from reviewer.model import batch_progress

    state = load_state(state_dir(find_repo_root(args.repo)), args.batch_id)
    progress = asyncio.run(batch_progress(anthropic_client(state.config), state.batch_id))
    print(_describe(progress))
    return 0


async def _collect(
    client: Client,
    prepared: Prepared,
    config: Config,
    batch_id: str,
    poll_seconds: float,
    cache: ReviewCache | None,
) -> Review:
    import asyncio

    from reviewer import engine
    from reviewer.model import batch_results, wait_for_batch

    last: list[str] = []

    def report(progress: BatchProgress) -> None:
        line = _describe(progress)
        if not last or last[-1] != line:
            last.append(line)
            _say(line)

    try:
        await wait_for_batch(client, batch_id, poll_seconds=poll_seconds, on_progress=report)
    except asyncio.CancelledError:
        _say(f"the batch keeps running; resume with: reviewer batch resume {batch_id}")
        raise
    results = await batch_results(
        client,
        batch_id,
        prepared.requests,
        model=prepared.model,
        max_tokens=config.max_output_tokens,
    )
    return engine.finish(prepared, config, results, cache=cache)


def _describe(progress: BatchProgress) -> str:
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


def _say(message: str) -> None:
    print(f"reviewer: {message}", file=sys.stderr)
