"""``reviewer review``: review a diff file, the staged or uncommitted changes, or REF...HEAD."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reviewer import engine, gitdiff
from reviewer.batch import BatchWait
from reviewer.cache import ReviewCache
from reviewer.commands.common import (
    Override,
    batch_state_dir,
    cache_scope,
    client_factory,
    find_repo_root,
    report_console,
    resolve_config,
    say,
    stderr_console,
    verdict,
    warn,
    write_report,
    write_text,
)
from reviewer.config import Config
from reviewer.diff import Diff, parse_diff
from reviewer.errors import EXIT_OK, UsageError
from reviewer.render.jsonout import render_dry_run_json
from reviewer.render.text import progress_reporter, render_dry_run_text
from reviewer.values import Review


def run(args: argparse.Namespace) -> int:
    repo = find_repo_root(args.repo)
    config = resolve_config(
        args.config,
        repo,
        [Override("model", args.model, "--model"), Override("fail_on", args.fail_on, "--fail-on")],
    )
    diff_text = _diff_text(args, repo)
    for warning in diff_text.warnings:
        warn(warning)
    diff = parse_diff(diff_text.text, source=diff_text.source)
    with cache_scope(repo, enabled=not args.no_cache) as cache:
        if args.dry_run:
            return _dry_run(args, diff, config, cache)
        review = _review(args, diff, diff_text, config, repo, cache)
    write_report(review, diff, format=args.format, output=args.output)
    return verdict(review, config.fail_on)


def _diff_text(args: argparse.Namespace, repo: Path | None) -> gitdiff.DiffText:
    if args.diff is not None:
        return gitdiff.read_diff_file(args.diff, sys.stdin.buffer)
    if repo is None:
        raise UsageError(
            f"{args.repo.resolve()} is not inside a git repository",
            hint="pass --diff PATH to review a diff file",
        )
    if args.staged:
        return gitdiff.staged_diff(repo)
    if args.base is not None:
        return gitdiff.range_diff(repo, args.base)
    return gitdiff.worktree_diff(repo)


def _review(
    args: argparse.Namespace,
    diff: Diff,
    diff_text: gitdiff.DiffText,
    config: Config,
    repo: Path | None,
    cache: ReviewCache | None,
) -> Review:
    if args.batch:
        mode: engine.Mode = engine.Batch(
            wait=_batch_wait(args.poll_seconds, repo),
            source=diff_text.source,
            diff=diff,
            diff_text=diff_text.text,
        )
        return engine.run(
            diff, config, client_factory=client_factory(config), cache=cache, mode=mode
        )
    with progress_reporter(stderr_console()) as progress:
        mode = engine.Stream(on_progress=progress.advance)
        return engine.run(
            diff, config, client_factory=client_factory(config), cache=cache, mode=mode
        )


def _batch_wait(poll_seconds: float, repo: Path | None) -> BatchWait:
    return BatchWait(poll_seconds=poll_seconds, state_dir=batch_state_dir(repo), say=say)


def _dry_run(
    args: argparse.Namespace, diff: Diff, config: Config, cache: ReviewCache | None
) -> int:
    dry = engine.dry_run(engine.prepare(diff, config, cache=cache), batch=args.batch)
    if args.format == "json":
        write_text(args.output, render_dry_run_json(dry))
    elif args.format == "text":
        with report_console(args.output) as console:
            render_dry_run_text(dry, console)
    else:
        raise UsageError(f"--dry-run prints text or json, not {args.format}")
    return EXIT_OK
