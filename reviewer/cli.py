"""The ``reviewer`` command: parse the command line, run one command, map errors to exit codes.

Each command is a function in ``reviewer/commands/`` that takes the parsed
arguments and returns an exit code; this module imports only the one that
runs, so ``reviewer --help`` and a no-op hook start fast. It is also the one
place where a ``ReviewerError`` becomes an exit code and a message.

Start-up stays light: only the standard library is imported here. Even
``typing`` and ``dataclasses`` are kept out: with ``inspect``, which
``dataclasses`` pulls in, they cost more than the interpreter's own start-up on
a slow machine (``benchmarks/startup.py``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from reviewer import __version__
from reviewer.errors import EXIT_OK, ReviewerError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TypeAlias

    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

FORMATS = ("text", "json", "sarif", "markdown")
FAIL_ON_CHOICES = ("critical", "major", "minor", "nit", "never")
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that went away
DEFAULT_WRITE_INTERVAL_S = 1.0
DEFAULT_MAX_RATE_LIMIT_WAIT_S = 900.0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments == ["--version"]:
        print(f"reviewer {__version__}")
        return EXIT_OK
    args = build_parser().parse_args(arguments)
    try:
        # The one deferred import of a command: only the module that runs is loaded.
        command = importlib.import_module(f"reviewer.commands.{args.module}")
        return int(getattr(command, args.function)(args))
    except ReviewerError as exc:
        print(f"reviewer: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("reviewer: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """stdout's reader closed early (``| head``): stop quietly, with no findings verdict."""
    # Python flushes stdout once more at exit; point it at /dev/null so that flush is silent.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


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
    _add_hook(commands)
    _add_cache(commands)
    _add_batch(commands)
    _add_action(commands)
    _add_eval(commands)
    return parser


def _runs(parser: argparse.ArgumentParser, module: str, function: str = "run") -> None:
    """``parser``'s command is ``reviewer.commands.<module>.<function>(args)``."""
    parser.set_defaults(module=module, function=function)


def _add_review(commands: Commands) -> None:
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
    _add_report_options(review)
    review.add_argument(
        "--dry-run", action="store_true", help="plan and estimate cost; send nothing"
    )
    _add_shared_options(review, fail_on_default="from config, else never")
    review.add_argument(
        "--batch",
        action="store_true",
        help="send every request as one Message Batch: half price, results within 24 hours",
    )
    _add_poll_seconds(review, "with --batch: how often to check on the batch (default: 30)")
    _runs(review, "review")


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--output",
        metavar="PATH",
        type=_output_path,
        help="write the report to PATH (- or none: standard output)",
    )


def _output_path(text: str) -> Path | None:
    return None if text == "-" else Path(text)


def _add_poll_seconds(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--poll-seconds", type=_positive_seconds, default=30.0, metavar="S", help=help_text
    )


def _positive_seconds(text: str) -> float:
    """A number of seconds above zero: polling every 0 s would hammer the API."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def _add_repo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo", metavar="DIR", type=Path, default=Path("."), help="repository (default: .)"
    )


def _add_fail_on(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON_CHOICES,
        help=f"exit 1 when a finding reaches this severity (default: {default})",
    )


def _add_no_cache(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the local review cache: send every hunk",
    )


def _add_shared_options(parser: argparse.ArgumentParser, *, fail_on_default: str) -> None:
    """The options `review` and `hook` share: configuration, model, threshold, repo, cache."""
    parser.add_argument("--config", metavar="PATH", type=Path, help="configuration file")
    parser.add_argument("--model", metavar="ID", help="model id (overrides the configuration)")
    _add_fail_on(parser, fail_on_default)
    _add_repo(parser)
    _add_no_cache(parser)


def _add_hook(commands: Commands) -> None:
    hook = commands.add_parser(
        "hook",
        help="review what is being committed or pushed (the pre-commit hook)",
        description="Review the staged changes, or under pre-commit's pre-push stage the "
        "pushed commits (PRE_COMMIT_FROM_REF...PRE_COMMIT_TO_REF). Exits 1 when a finding "
        "reaches hook_fail_on (default: major), else 0.",
    )
    _add_shared_options(hook, fail_on_default="hook_fail_on, else major")
    _runs(hook, "hook")


def _add_cache(commands: Commands) -> None:
    cache = commands.add_parser(
        "cache",
        help="show or clear the local review cache",
        description="The local review cache keeps the findings of every hunk reviewed, so "
        "an unchanged hunk is never sent twice. It lives in the repository's git directory "
        "($REVIEWER_CACHE_DIR overrides that).",
    )
    actions = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    for name, help_text in (
        ("clear", "delete every cached review"),
        ("info", "print where the cache is and how many hunks it holds"),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text.capitalize())
        _add_repo(action)
        _runs(action, "cache", name)


def _add_batch(commands: Commands) -> None:
    batch = commands.add_parser(
        "batch", help="resume or inspect a review submitted with `review --batch`"
    )
    actions = batch.add_subparsers(dest="batch_command", required=True, metavar="ACTION")
    resume = actions.add_parser("resume", help="wait for a batch, then report its review")
    resume.add_argument("batch_id", metavar="ID")
    _add_report_options(resume)
    _add_fail_on(resume, "the configuration the batch was submitted with")
    _add_poll_seconds(resume, "how often to check on the batch (default: 30)")
    _add_repo(resume)
    _add_no_cache(resume)
    _runs(resume, "batch", "resume")
    status = actions.add_parser("status", help="show a batch's progress")
    status.add_argument("batch_id", metavar="ID")
    _add_repo(status)
    _runs(status, "batch", "status")


def _add_eval(commands: Commands) -> None:
    evaluate = commands.add_parser(
        "eval",
        help="score configurations on a corpus of labelled changes",
        description="Review every case of CORPUS (a directory of cases, each with change.diff "
        "and expected.yml) with each --config and report precision, recall and F1 side by "
        "side. Exit codes: 0 done, 1 a --min-* gate failed, 2 bad input, 3 a review failed.",
    )
    evaluate.add_argument("corpus", metavar="CORPUS", type=Path, help="the corpus directory")
    evaluate.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        action="append",
        help="a configuration to score; repeat to compare several (default: the defaults)",
    )
    evaluate.add_argument("--model", metavar="ID", help="model id (overrides each configuration)")
    evaluate.add_argument("--format", choices=("text", "json"), default="text")
    evaluate.add_argument("--output", metavar="PATH", type=_output_path, help="write it to PATH")
    evaluate.add_argument(
        "--dry-run", action="store_true", help="plan and price every case; send nothing"
    )
    evaluate.add_argument("--min-f1", metavar="X", help="exit 1 when a configuration's F1 < X")
    evaluate.add_argument(
        "--min-precision", metavar="X", help="exit 1 when a configuration's precision < X"
    )
    evaluate.add_argument(
        "--judge",
        metavar="MODEL",
        help="also ask MODEL whether each location match describes the labelled defect, "
        "and report the judged figures beside the location-only ones",
    )
    _runs(evaluate, "eval")


def _add_action(commands: Commands) -> None:
    action = commands.add_parser(
        "action",
        help="review the pull request of a GitHub Actions event and post the review",
        description="Review the pull request of the current GitHub Actions event and post "
        "one review. Reads GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, "
        "GITHUB_API_URL, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, the token (INPUT_GITHUB_TOKEN "
        "or GITHUB_TOKEN), the key (INPUT_ANTHROPIC_API_KEY or ANTHROPIC_API_KEY) and the "
        "action's other INPUT_* variables.",
        epilog="Exit codes: 0 done, 1 findings at or above fail_on, 2 bad input or "
        "configuration, 3 GitHub or the model failed.",
    )
    action.add_argument(
        "--write-interval",
        type=float,
        default=DEFAULT_WRITE_INTERVAL_S,
        metavar="SECONDS",
        help="pause between write requests to GitHub (default: %(default)s, as GitHub advises)",
    )
    action.add_argument(
        "--max-rate-limit-wait",
        type=float,
        default=DEFAULT_MAX_RATE_LIMIT_WAIT_S,
        metavar="SECONDS",
        help="fail rather than wait longer than this for a GitHub rate limit "
        "(default: %(default)s)",
    )
    _runs(action, "action")
