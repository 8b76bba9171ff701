"""``reviewer review``: review a diff file, the staged or uncommitted changes, or REF...HEAD."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer import engine, gitdiff
from reviewer.batch import BatchWait
from reviewer.cache import ReviewCache
from reviewer.commands.common import (
    Override,
    batch_state_dir,
    cache_scope,
    client_factory,
    find_repo_root,
    generated_paths,
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

if TYPE_CHECKING:
    from reviewer.repository.tree import GitTree


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
    for warning in diff.warnings:
        warn(warning)
    with cache_scope(repo, enabled=not args.no_cache) as cache:
        request = _Request(
            config, cache, generated_paths(repo, diff), repo, _tree(args, repo, config)
        )
        if args.dry_run:
            return _dry_run(args, diff, request)
        review = _review(args, diff, diff_text, request)
    write_report(review, diff, format=args.format, output=args.output)
    return verdict(review, config)


class _Request:
    """What every way of running this review shares."""

    def __init__(
        self,
        config: Config,
        cache: ReviewCache | None,
        generated: frozenset[str],
        repo: Path | None,
        tree: GitTree | None = None,
    ) -> None:
        self.config = config
        self.cache = cache
        self.generated = generated
        self.repo = repo
        self.tree = tree  # what the repository tools read; None: no tools


def _tree(args: argparse.Namespace, repo: Path | None, config: Config) -> GitTree | None:
    """The tree the diff's new side describes: HEAD for --base, the index for --staged,
    else the working tree (for --diff too, when run inside a repository)."""
    if config.context != "tools" or args.batch:
        return None
    from reviewer.repository.tree import tree_for

    if args.diff is None and args.staged:
        return tree_for(repo, source="index")
    if args.diff is None and args.base is not None:
        return tree_for(repo, source="commit", rev="HEAD")
    return tree_for(repo, source="worktree")


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
    args: argparse.Namespace, diff: Diff, diff_text: gitdiff.DiffText, request: _Request
) -> Review:
    def run_in(mode: engine.Mode) -> Review:
        return engine.run(
            diff,
            request.config,
            client_factory=client_factory(request.config),
            cache=request.cache,
            mode=mode,
            generated=request.generated,
            tree=request.tree,
        )

    if args.batch:
        wait = BatchWait(
            poll_seconds=args.poll_seconds, state_dir=batch_state_dir(request.repo), say=say
        )
        return run_in(
            engine.Batch(wait=wait, source=diff_text.source, diff=diff, diff_text=diff_text.text)
        )
    # The bar spins from the start: a large diff's local scan takes seconds too.
    with progress_reporter(stderr_console()) as progress:
        return run_in(engine.Stream(on_progress=progress.advance))


def _dry_run(args: argparse.Namespace, diff: Diff, request: _Request) -> int:
    prepared = engine.prepare(
        diff, request.config, cache=request.cache, generated=request.generated
    )
    dry = engine.dry_run(
        prepared, batch=args.batch, config=request.config, tools=request.tree is not None
    )
    if args.format == "json":
        write_text(args.output, render_dry_run_json(dry))
    elif args.format == "text":
        with report_console(args.output) as console:
            render_dry_run_text(dry, console)
    else:
        raise UsageError(f"--dry-run prints text or json, not {args.format}")
    return EXIT_OK
