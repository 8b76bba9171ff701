"""The ``reviewer`` command. The one place where errors become exit codes.

Start-up stays light: only the standard library is imported until a command
needs more, so ``reviewer --version`` and a no-op hook run are fast. Even
``typing`` and ``dataclasses`` are kept out of this module's imports: with
``inspect``, which ``dataclasses`` pulls in, they cost more than the
interpreter's own start-up on a slow machine (``benchmarks/startup.py``).
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys

from reviewer import __version__
from reviewer.errors import EXIT_FINDINGS, EXIT_OK, EXIT_SERVICE, ReviewerError, UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from rich.console import Console

    from reviewer.cache import ReviewCache
    from reviewer.config import Config
    from reviewer.diff import Diff
    from reviewer.gitdiff import DiffText
    from reviewer.model import Client
    from reviewer.values import Review

# Modules that add their own subcommands: each has ``register(commands)`` and keeps
# its top-level imports to the standard library, so building the parser stays fast.
ENTRY_POINT_MODULES = ("reviewer.action", "reviewer.hook", "reviewer.batch_command")
FORMATS = ("text", "json", "sarif", "markdown")
FAIL_ON_CHOICES = ("critical", "major", "minor", "nit", "never")
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments == ["--version"]:  # before the parser, which imports every subcommand's module
        print(f"reviewer {__version__}")
        return EXIT_OK
    parser = build_parser()
    args = parser.parse_args(arguments)
    try:
        return int(args.run(args))
    except ReviewerError as exc:
        print(f"reviewer: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("reviewer: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewer",
        description="Claude-powered code review for pull requests, local diffs and pre-commit.",
        epilog="Exit codes: 0 done, 1 findings at or above --fail-on, 2 bad input or "
        "configuration, 3 the service failed.",
    )
    parser.add_argument("--version", action="version", version=f"reviewer {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_review(commands)
    for module in ENTRY_POINT_MODULES:
        importlib.import_module(module).register(commands)
    return parser


def _add_review(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from pathlib import Path

    review = commands.add_parser(
        "review",
        help="review a diff (default: uncommitted changes against HEAD)",
        description="Review a diff with Claude. Without an input flag, reviews the "
        "uncommitted changes (staged and unstaged) against HEAD.",
    )
    source = review.add_mutually_exclusive_group()
    source.add_argument("--diff", metavar="PATH", help="a unified diff file, or - for stdin")
    source.add_argument("--staged", action="store_true", help="review the staged changes")
    source.add_argument("--base", metavar="REF", help="review REF...HEAD, as a pull request would")
    review.add_argument("--format", choices=FORMATS, default="text", help="output format")
    review.add_argument("--output", metavar="PATH", type=Path, help="write the report to PATH")
    review.add_argument(
        "--dry-run", action="store_true", help="plan and estimate cost; send nothing"
    )
    add_shared_options(review, fail_on_default="from config, else never")
    review.add_argument(
        "--batch",
        action="store_true",
        help="send every request as one Message Batch: half price, results within 24 hours",
    )
    review.add_argument(
        "--poll-seconds",
        type=float,
        default=30.0,
        metavar="S",
        help="with --batch: how often to check on the batch (default: 30)",
    )
    review.set_defaults(run=run_review)


def add_shared_options(parser: argparse.ArgumentParser, *, fail_on_default: str) -> None:
    """The options `review` and `hook` share: configuration, model, threshold, repo, cache."""
    from pathlib import Path

    parser.add_argument("--config", metavar="PATH", type=Path, help="configuration file")
    parser.add_argument("--model", metavar="ID", help="model id (overrides the configuration)")
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON_CHOICES,
        help=f"exit 1 when a finding reaches this severity (default: {fail_on_default})",
    )
    parser.add_argument(
        "--repo", metavar="DIR", type=Path, default=Path("."), help="repository (default: .)"
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the local review cache: send every hunk",
    )


def run_review(args: argparse.Namespace) -> int:
    from reviewer.diff import parse_diff

    repo = find_repo_root(args.repo)
    config = _config(args, repo)
    diff_text = _diff_text(args, repo)
    for warning in diff_text.warnings:
        print(f"reviewer: warning: {warning}", file=sys.stderr)
    diff = parse_diff(diff_text.text, source=diff_text.source)
    with cache_scope(args, repo) as cache:
        if args.dry_run:
            return _dry_run(args, diff, config, cache)
        if args.batch:
            from reviewer.batch_command import submit_and_collect

            review = submit_and_collect(args, diff_text, diff, config, repo, cache)
        else:
            review = _review(diff, config, cache)
    return conclude(args, review, diff, config)


def conclude(args: argparse.Namespace, review: Review, diff: Diff, config: Config) -> int:
    """Print the report, then the exit code: service failure, findings, or done."""
    _emit(args, review, diff)
    if review.service_failure:
        print(f"reviewer: error: {review.service_failure}", file=sys.stderr)
        return EXIT_SERVICE
    return EXIT_FINDINGS if review.reaches(config.fail_on) else EXIT_OK


def find_repo_root(start: Path) -> Path | None:
    from reviewer.errors import GitError
    from reviewer.gitdiff import repo_root

    try:
        return repo_root(start)
    except GitError:
        return None  # a diff file can be reviewed outside any repository


class cache_scope:
    """The local review cache of ``repo`` for the block; None with ``--no-cache``."""

    def __init__(self, args: argparse.Namespace, repo: Path | None) -> None:
        self.enabled = not args.no_cache
        self.repo = repo
        self.store: ReviewCache | None = None

    def __enter__(self) -> ReviewCache | None:
        if self.enabled:
            self.store = open_repo_cache(self.repo)
        return self.store

    def __exit__(self, *_: object) -> None:
        if self.store is not None:
            self.store.close()


def open_repo_cache(repo: Path | None) -> ReviewCache:
    """The review cache of ``repo`` (see reviewer.cache for where), warning on stderr."""
    from reviewer.cache import default_path, open_cache

    return open_cache(default_path(repo, os.environ), warn=warn)


def warn(message: str) -> None:
    print(f"reviewer: warning: {message}", file=sys.stderr)


def load_configuration(args: argparse.Namespace, repo: Path | None) -> Config:
    """The configuration file's values with ``--model`` applied (review, hook, batch)."""
    from reviewer.catalog import model_info
    from reviewer.config import load_config

    config = load_config(args.config, repo)
    if args.model is not None:
        model_info(args.model, source="--model")
        config = config.with_overrides(model=args.model)
    return config


def _config(args: argparse.Namespace, repo: Path | None) -> Config:
    import dataclasses

    from reviewer.config import parse_fail_on

    config = load_configuration(args, repo)
    if args.fail_on is not None:
        config = dataclasses.replace(
            config, fail_on=parse_fail_on(args.fail_on, source="--fail-on")
        )
    return config


def _diff_text(args: argparse.Namespace, repo: Path | None) -> DiffText:
    from reviewer import gitdiff

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


def _dry_run(
    args: argparse.Namespace, diff: Diff, config: Config, cache: ReviewCache | None
) -> int:
    from reviewer import engine

    dry = engine.dry_run(engine.prepare(diff, config, cache=cache))
    if args.format == "json":
        from reviewer.publish.jsonout import render_dry_run_json

        _write(args.output, render_dry_run_json(dry))
    elif args.format == "text":
        from reviewer.publish.text import render_dry_run_text

        with _console(args.output) as console:
            render_dry_run_text(dry, console)
    else:
        raise UsageError(f"--dry-run prints text or json, not {args.format}")
    return EXIT_OK


def _review(diff: Diff, config: Config, cache: ReviewCache | None) -> Review:
    import asyncio

    from reviewer import engine
    from reviewer.publish.text import progress_reporter

    prepared = engine.prepare(diff, config, cache=cache)
    if not prepared.requests:
        return engine.assemble(prepared, config, [])
    client = anthropic_client(config)

    with progress_reporter(_stderr_console()) as progress:
        done = 0

        def advance(_result: object) -> None:
            nonlocal done
            done += 1
            progress.advance(done, len(prepared.requests))

        return asyncio.run(engine.review(prepared, config, client, on_result=advance, cache=cache))


def anthropic_client(config: Config, api_key: str | None = None) -> Client:
    """The SDK client of the configured provider; a usage error without what it needs.

    The Anthropic API takes ``api_key``, else ANTHROPIC_API_KEY. Bedrock and Vertex AI
    take their cloud's credentials, which their libraries find in the environment.
    """
    from reviewer.config import provider_target
    from reviewer.model import ClientSettings, make_client

    target = provider_target(config, os.environ)
    vertex = target.provider == "vertex"
    return make_client(
        ClientSettings(
            api_key=_key_for(target.provider, api_key),
            provider=target.provider,
            aws_region=target.aws_region,
            gcp_project=target.gcp_project,
            gcp_region=target.gcp_region,
            gcp_access_token=_environment("GOOGLE_OAUTH_ACCESS_TOKEN") if vertex else None,
            model_id_override=config.provider_model_id,
            timeout_s=float(config.timeout_seconds),
            max_retries=config.max_retries,
        )
    )


def _key_for(provider: str, given: str | None) -> str | None:
    """The API key the provider's client takes; Vertex AI has none."""
    if provider == "bedrock":
        return _environment("AWS_BEARER_TOKEN_BEDROCK")  # else AWS credentials sign requests
    if provider == "vertex":
        return None
    key = given or _environment("ANTHROPIC_API_KEY")
    if key is None:
        raise UsageError(
            "ANTHROPIC_API_KEY is not set",
            hint="export ANTHROPIC_API_KEY=..., or add --dry-run to see the plan without a key",
        )
    return key


def _environment(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def _emit(args: argparse.Namespace, review: Review, diff: Diff) -> None:
    if args.format == "json":
        from reviewer.publish.jsonout import render_json

        _write(args.output, render_json(review))
    elif args.format == "sarif":
        from reviewer.publish.sarif import render_sarif

        _write(args.output, render_sarif(review, tool_version=__version__, diff=diff))
    elif args.format == "markdown":
        from reviewer.publish.markdown import render_markdown

        _write(args.output, render_markdown(review))
    else:
        from reviewer.publish.text import render_text

        with _console(args.output) as console:
            render_text(review, diff, console)


def _write(path: Path | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomically(path, text)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` only once the new content is fully written."""
    import tempfile

    from reviewer.errors import InputError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as handle:
            handle.write(text)
        os.replace(handle.name, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


class _console:
    """A rich Console on stdout, or on a file written atomically on success."""

    def __init__(self, output: Path | None) -> None:
        self.output = output
        self.buffer: io.StringIO | None = None

    def __enter__(self) -> Console:
        from rich.console import Console

        if self.output is None:
            return Console()
        self.buffer = io.StringIO()
        return Console(file=self.buffer, force_terminal=False, width=100)

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None and self.output is not None and self.buffer is not None:
            write_atomically(self.output, self.buffer.getvalue())


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)
