"""``reviewer hook``: the pre-commit hook.

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
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer import gitdiff
from reviewer.commands.common import (
    API_KEY_VARIABLE,
    Override,
    cache_scope,
    environment,
    generated_paths,
    make_model_client,
    quotable,
    resolve_config,
    warn,
)
from reviewer.config import Config
from reviewer.errors import EXIT_OK, UsageError
from reviewer.render.wording import plural
from reviewer.values import NotSent, Review
from reviewer.verdict import exit_code

if TYPE_CHECKING:
    from reviewer.diff import Diff
    from reviewer.model import Client
    from reviewer.repository.tree import GitTree

NO_KEY_REASON = f"not sent: {API_KEY_VARIABLE} is not set"


def run(args: argparse.Namespace) -> int:
    repo = gitdiff.repo_root(args.repo)
    config = resolve_config(
        args.config,
        repo,
        [
            Override("model", args.model, "--model"),
            Override("hook_fail_on", args.fail_on, "--fail-on"),
        ],
    )
    diff_text = _diff_text(repo, os.environ)
    if diff_text is None:
        return EXIT_OK
    for warning in diff_text.warnings:
        warn(warning)
    if not diff_text.text.strip():
        print(f"reviewer: nothing to review: the diff of {diff_text.source} is empty")
        return EXIT_OK
    # Deferred: the pipeline loads only once there is a diff, so a commit with nothing
    # staged returns in tens of milliseconds (benchmarks/startup.py).
    from reviewer import engine
    from reviewer.diff import parse_diff

    diff = parse_diff(diff_text.text, source=diff_text.source)
    for warning in diff.warnings:
        warn(warning)
    with cache_scope(repo, enabled=not args.no_cache) as cache:
        # No progress bar: pre-commit captures the output, and replays it only on failure.
        review = engine.run(
            diff,
            config,
            client_factory=lambda: _client(config),
            cache=cache,
            generated=generated_paths(repo, diff),
            tree=_tree(repo, config, os.environ),
        )
    _warn_if_unsent(review, diff)
    _report(review, diff)
    # The hook does not stand in the way for reasons outside the change.
    return exit_code(review, config.hook_fail_on, on_service_failure="pass", on_incomplete="pass")


def _diff_text(repo: Path, environ: Mapping[str, str]) -> gitdiff.DiffText | None:
    """The diff this stage is about; None when there is nothing to compare against."""
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


def _tree(repo: Path, config: Config, environ: Mapping[str, str]) -> GitTree | None:
    """What the repository tools read: the pushed commit (pre-push), else the index."""
    if config.context != "tools":
        return None
    from reviewer.repository.tree import tree_for

    to_ref = environ.get("PRE_COMMIT_TO_REF", "").strip()
    if environ.get("PRE_COMMIT_FROM_REF", "").strip() and to_ref:
        return tree_for(repo, source="commit", rev=to_ref)
    return tree_for(repo, source="index")


def _client(config: Config) -> Client | NotSent:
    """The model client; without a key, the run keeps its local findings and passes."""
    # Bedrock and Vertex AI take their cloud's credentials; only the Anthropic API needs a key.
    if config.provider != "anthropic" or environment(API_KEY_VARIABLE) is not None:
        return make_model_client(config)
    if config.hook_require_key:
        raise UsageError(
            f"{API_KEY_VARIABLE} is not set",
            hint=f"export {API_KEY_VARIABLE}=..., or set hook_require_key: false "
            "to let commits through unreviewed",
        )
    return NotSent(NO_KEY_REASON)


def _warn_if_unsent(review: Review, diff: Diff) -> None:
    unsent = {entry.path for entry in review.not_reviewed if entry.reason == NO_KEY_REASON}
    if not unsent:
        return
    hunks = sum(len(file.hunks) for file in diff.files if file.path in unsent)
    warn(
        f"{API_KEY_VARIABLE} is not set: {plural(hunks, 'hunk')} not reviewed by Claude; "
        "passing anyway (set hook_require_key: true to fail instead)"
    )


def _report(review: Review, diff: Diff) -> None:
    if _nothing_to_show(review):
        print(f"reviewer: no findings{_quiet_details(review)}")
        return
    # rich only when there is something to show: a clean cached run stays light.
    from reviewer.commands.terminal import ReportConsole
    from reviewer.render.text import render_text

    render_text(review, quotable(diff), ReportConsole())


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
        cached = plural(review.usage.cached_hunks, "hunk")
        details.append(f"{cached} reviewed before, from the local cache")
    if review.skipped:
        details.append(f"{plural(len(review.skipped), 'file')} skipped")
    return f" ({'; '.join(details)})" if details else ""
