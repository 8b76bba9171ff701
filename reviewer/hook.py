"""The ``reviewer hook`` command, for pre-commit, and ``reviewer cache``.

What the hook reviews comes from how pre-commit ran it: with
``PRE_COMMIT_FROM_REF`` and ``PRE_COMMIT_TO_REF`` set (the pre-push stage, or
``pre-commit run --from-ref A --to-ref B``), the commits pushed,
``FROM...TO``; otherwise the staged changes. A push that shares no commit with
its remote (pre-commit then sets the remote's name but no range) has nothing to
compare against and is let through with a note.

Findings are printed in the terminal format; the exit code is 1 when one
reaches ``hook_fail_on`` (default ``major``; ``--fail-on`` overrides it), else 0.
The hook does not stand in the way for reasons outside the change: without
``ANTHROPIC_API_KEY`` it warns once and passes (``hook_require_key: true`` makes
that an error), and when the service fails it says so and judges the findings
it has (secrets, cached reviews). Errors that need the user's attention still
fail: bad configuration (2), credentials the API refuses (3).

Hunks reviewed before come from the local review cache (`reviewer.cache`), so
a re-run sends nothing. A run with nothing to send, and nothing to show,
imports no heavy library: its one line of output is printed without rich.

Top-level imports are the standard library's only, so building the ``reviewer``
parser, which imports this module, stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

    from reviewer.cache import ReviewCache
    from reviewer.config import Config
    from reviewer.diff import Diff
    from reviewer.engine import Prepared
    from reviewer.gitdiff import DiffText
    from reviewer.values import Review, Severity

API_KEY_VARIABLE = "ANTHROPIC_API_KEY"
NO_KEY_REASON = f"not sent: {API_KEY_VARIABLE} is not set"


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``hook`` and ``cache`` to the ``reviewer`` parser."""
    _add_hook(commands)
    _add_cache(commands)


# --- reviewer hook -----------------------------------------------------------------------


def _add_hook(commands: argparse._SubParsersAction[Any]) -> None:
    from reviewer.cli import add_shared_options

    hook = commands.add_parser(
        "hook",
        help="review what is being committed or pushed (the pre-commit hook)",
        description="Review the staged changes, or under pre-commit's pre-push stage the "
        "pushed commits (PRE_COMMIT_FROM_REF...PRE_COMMIT_TO_REF). Exits 1 when a finding "
        "reaches hook_fail_on (default: major), else 0.",
    )
    add_shared_options(hook, fail_on_default="hook_fail_on, else major")
    hook.set_defaults(run=run_hook)


def run_hook(args: argparse.Namespace) -> int:
    from reviewer.errors import EXIT_OK
    from reviewer.gitdiff import repo_root

    repo = repo_root(args.repo)
    config, fail_on = _config(args, repo)
    diff_text = _diff_text(repo, os.environ)
    if diff_text is None:
        return EXIT_OK
    for warning in diff_text.warnings:
        _warn(warning)
    if not diff_text.text.strip():
        print(f"reviewer: nothing to review: the diff of {diff_text.source} is empty")
        return EXIT_OK
    from reviewer.diff import parse_diff

    diff = parse_diff(diff_text.text, source=diff_text.source)
    cache = None if args.no_cache else _open_cache(repo)
    try:
        review = _review(diff, config, cache)
    finally:
        if cache is not None:
            cache.close()
    _report(review, diff)
    return _exit_code(review, fail_on)


def _config(args: argparse.Namespace, repo: Path) -> tuple[Config, Severity | None]:
    from reviewer.cli import load_configuration
    from reviewer.config import parse_fail_on

    config = load_configuration(args, repo)
    if args.fail_on is not None:
        return config, parse_fail_on(args.fail_on, source="--fail-on")
    return config, config.hook_fail_on


def _diff_text(repo: Path, environ: Mapping[str, str]) -> DiffText | None:
    """The diff this stage is about; None when there is nothing to compare against."""
    from reviewer import gitdiff

    from_ref = environ.get("PRE_COMMIT_FROM_REF", "").strip()
    to_ref = environ.get("PRE_COMMIT_TO_REF", "").strip()
    if from_ref and to_ref:
        return gitdiff.range_diff(repo, from_ref, to_ref)
    if environ.get("PRE_COMMIT_REMOTE_NAME"):
        print(
            "reviewer: this push shares no commit with the remote, so there is no range to "
            "review; nothing was reviewed (`reviewer review --base REF` reviews it by hand)"
        )
        return None
    return gitdiff.staged_diff(repo)


def _open_cache(repo: Path) -> ReviewCache:
    from reviewer.cli import open_repo_cache

    return open_repo_cache(repo)


def _review(diff: Diff, config: Config, cache: ReviewCache | None) -> Review:
    from reviewer import engine

    prepared = engine.prepare(diff, config, cache=cache)
    if not prepared.requests:
        return engine.assemble(prepared, config, [])
    # Bedrock and Vertex AI take their cloud's credentials; only the Anthropic API needs a key.
    if config.provider == "anthropic" and not os.environ.get(API_KEY_VARIABLE, "").strip():
        return _without_model(prepared, config)
    import asyncio

    from reviewer.cli import anthropic_client

    client = anthropic_client(config)
    # No progress bar: pre-commit captures the output, and replays it only on failure.
    return asyncio.run(engine.review(prepared, config, client, cache=cache))


def _without_model(prepared: Prepared, config: Config) -> Review:
    """The local findings only: the hunks to send are reported as not reviewed."""
    import dataclasses

    from reviewer import engine
    from reviewer.errors import UsageError
    from reviewer.model import ModelResult
    from reviewer.values import Usage

    if config.hook_require_key:
        raise UsageError(
            f"{API_KEY_VARIABLE} is not set",
            hint=f"export {API_KEY_VARIABLE}=..., or set hook_require_key: false "
            "to let commits through unreviewed",
        )
    hunks = sum(request.hunks for request in prepared.plan.requests)
    _warn(
        f"{API_KEY_VARIABLE} is not set: {hunks} hunk(s) not reviewed by Claude; "
        "passing anyway (set hook_require_key: true to fail instead)"
    )
    results = [
        ModelResult(request, None, Usage(), failure=NO_KEY_REASON) for request in prepared.requests
    ]
    # Nothing failed on the service's side: the run is incomplete by configuration.
    return dataclasses.replace(engine.assemble(prepared, config, results), service_failure=None)


def _report(review: Review, diff: Diff) -> None:
    if _nothing_to_show(review):
        print(f"reviewer: no findings{_quiet_details(review)}")
        return
    from rich.console import Console

    from reviewer.publish.text import render_text

    render_text(review, diff, Console())


def _nothing_to_show(review: Review) -> bool:
    """Nothing a reader needs beyond one line: no findings, no gaps, nothing was sent."""
    return not (
        review.findings
        or review.not_reviewed
        or review.below_min_severity
        or review.service_failure
        or review.usage.requests
    )


def _quiet_details(review: Review) -> str:
    details = []
    if review.usage.cached_hunks:
        details.append(f"{review.usage.cached_hunks} hunk(s) reviewed before, from the local cache")
    if review.skipped:
        details.append(f"{len(review.skipped)} file(s) skipped")
    return f" ({'; '.join(details)})" if details else ""


def _exit_code(review: Review, fail_on: Severity | None) -> int:
    from reviewer.errors import EXIT_FINDINGS, EXIT_OK

    return EXIT_FINDINGS if review.reaches(fail_on) else EXIT_OK


def _warn(message: str) -> None:
    print(f"reviewer: warning: {message}", file=sys.stderr)


# --- reviewer cache ----------------------------------------------------------------------


def _add_cache(commands: argparse._SubParsersAction[Any]) -> None:
    from pathlib import Path

    cache = commands.add_parser(
        "cache",
        help="show or clear the local review cache",
        description="The local review cache keeps the findings of every hunk reviewed, so "
        "an unchanged hunk is never sent twice. It lives in the repository's git directory "
        "($REVIEWER_CACHE_DIR overrides that).",
    )
    actions = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    for name, run, help_text in (
        ("clear", run_cache_clear, "delete every cached review"),
        ("info", run_cache_info, "print where the cache is and how many hunks it holds"),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text.capitalize())
        action.add_argument(
            "--repo", metavar="DIR", type=Path, default=Path("."), help="repository (default: .)"
        )
        action.set_defaults(run=run)


def run_cache_clear(args: argparse.Namespace) -> int:
    from reviewer.errors import EXIT_OK

    path = _cache_path(args.repo)
    if not path.exists():
        print(f"reviewer: no review cache at {path}")
        return EXIT_OK
    with _open_at(path) as cache:
        deleted = cache.clear()
        usable = cache.enabled
    if usable:
        print(f"reviewer: deleted {deleted} cached hunk review(s) from {path}")
    return EXIT_OK


def run_cache_info(args: argparse.Namespace) -> int:
    from reviewer.errors import EXIT_OK

    path = _cache_path(args.repo)
    if not path.exists():
        print(f"reviewer: no review cache yet; it will be created at {path}")
        return EXIT_OK
    with _open_at(path) as cache:
        entries = cache.count()
    size = sum(
        candidate.stat().st_size
        for candidate in (path, path.with_name(path.name + "-wal"))
        if candidate.exists()
    )
    print(f"reviewer: review cache {path}: {entries} hunk review(s), {size:,} bytes")
    return EXIT_OK


def _cache_path(start: Path) -> Path:
    from reviewer.cache import default_path
    from reviewer.errors import GitError
    from reviewer.gitdiff import repo_root

    try:
        repo: Path | None = repo_root(start)
    except GitError:
        repo = None  # outside a repository: the user-wide store
    return default_path(repo, os.environ)


def _open_at(path: Path) -> ReviewCache:
    from reviewer.cache import open_cache

    return open_cache(path, warn=_warn)
