"""What several commands share: the repository, configuration, cache, client and reports.

Entry points only translate their inputs (arguments, environment, an event) into
what the engine takes, and its Review into output and an exit code; the helpers
that do that translation the same way for every command live here.
"""

from __future__ import annotations

import dataclasses
import io
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer import __version__, gitdiff
from reviewer.config import Config, config_from_mapping, load_config, provider_target
from reviewer.errors import GitError, InputError, UsageError
from reviewer.gitdiff import repo_root
from reviewer.render.wording import plural
from reviewer.values import Review
from reviewer.verdict import exit_code

if TYPE_CHECKING:
    from rich.console import Console

    from reviewer.cache import ReviewCache
    from reviewer.diff import Diff
    from reviewer.engine import ClientFactory
    from reviewer.model import Client

API_KEY_VARIABLE = "ANTHROPIC_API_KEY"


def warn(message: str) -> None:
    print(f"reviewer: warning: {message}", file=sys.stderr)


def say(message: str) -> None:
    print(f"reviewer: {message}", file=sys.stderr, flush=True)


def find_repo_root(start: Path) -> Path | None:
    """The repository around ``start``; None outside one (a diff file needs none)."""
    try:
        return repo_root(start)
    except GitError:
        return None


def generated_paths(repo: Path | None, diff: Diff) -> frozenset[str]:
    """The diff's paths the repository marks ``linguist-generated``; none outside one."""
    if repo is None or not diff.files:
        return frozenset()
    return gitdiff.generated_paths(repo, [file.path for file in diff.files])


# --- configuration ----------------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    """One setting given on the command line or as an Action input, over the file's."""

    key: str  # the configuration key it sets
    value: object  # as given: validated like the file's value for ``key``
    source: str  # what to name in an error: ``--model``, ``action inputs``


def resolve_config(
    path: Path | None, repo: Path | None, overrides: Sequence[Override] = ()
) -> Config:
    """The configuration file (``path``, else the repository's), then ``overrides`` over it."""
    return apply_overrides(load_config(path, repo), overrides)


def apply_overrides(config: Config, overrides: Sequence[Override]) -> Config:
    """``config`` with each given override validated and applied; None values are not given."""
    for override in overrides:
        if override.value is None:
            continue
        checked = config_from_mapping({override.key: override.value}, source=override.source)
        config = dataclasses.replace(config, **{override.key: getattr(checked, override.key)})
    return config


# --- the local review cache -------------------------------------------------------------


@contextmanager
def cache_scope(repo: Path | None, *, enabled: bool) -> Iterator[ReviewCache | None]:
    """The local review cache of ``repo`` for the block; None when disabled."""
    if not enabled:
        yield None
        return
    # Deferred, like the renderers below: a hook run with nothing staged returns before
    # it needs the cache (SQLite, the secret scanner's version), in tens of milliseconds.
    from reviewer.cache import default_path, open_cache

    with open_cache(default_path(repo, os.environ), warn=warn) as cache:
        yield cache


def batch_state_dir(repo: Path | None) -> Path:
    """Beside the review cache: inside the git directory, else the user cache directory."""
    from reviewer.cache import default_path

    return default_path(repo, os.environ).parent / "batches"


# --- the model client -------------------------------------------------------------------


def client_factory(config: Config, api_key: str | None = None) -> ClientFactory:
    """Make the configured provider's client when the engine has something to send."""
    return lambda: make_model_client(config, api_key)


def make_model_client(config: Config, api_key: str | None = None) -> Client:
    """The SDK client of the configured provider; a usage error without what it needs.

    The Anthropic API takes ``api_key``, else ANTHROPIC_API_KEY. Bedrock and Vertex AI
    take their cloud's credentials, which their libraries find in the environment.
    """
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
            gcp_access_token=environment("GOOGLE_OAUTH_ACCESS_TOKEN") if vertex else None,
            model_id_override=config.provider_model_id,
            timeout_s=float(config.timeout_seconds),
            max_retries=config.max_retries,
        )
    )


def _key_for(provider: str, given: str | None) -> str | None:
    """The API key the provider's client takes; Vertex AI has none."""
    if provider == "bedrock":
        return environment("AWS_BEARER_TOKEN_BEDROCK")  # else AWS credentials sign requests
    if provider == "vertex":
        return None
    key = given or environment(API_KEY_VARIABLE)
    if key is None:
        raise UsageError(
            f"{API_KEY_VARIABLE} is not set",
            hint=f"export {API_KEY_VARIABLE}=..., or add --dry-run to see the plan without a key",
        )
    return key


def environment(name: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """A variable's value, None when unset or blank."""
    return environ.get(name, "").strip() or None


# --- reports ----------------------------------------------------------------------------


def verdict(review: Review, config: Config) -> int:
    """The exit code of a finished review (``fail_on``, ``on_incomplete``), saying on stderr
    why when the service failed or the review is incomplete."""
    if review.service_failure is not None:
        print(f"reviewer: error: {review.service_failure}", file=sys.stderr)
    elif review.not_reviewed and config.on_incomplete == "fail":
        print(
            f"reviewer: error: review incomplete: {plural(len(review.not_reviewed), 'file')} "
            "not reviewed (on_incomplete: fail; set on_incomplete: pass to judge the findings "
            "alone)",
            file=sys.stderr,
        )
    return exit_code(review, config.fail_on, on_incomplete=config.on_incomplete)


def quotable(diff: Diff) -> Diff:
    """``diff`` as a report may quote it: every line as the secret scan redacts it.

    Reports show code around findings (and CI keeps logs), so they get the redacted
    form, never the value. The scanner's own layers do it (they alone send 0.0% of the
    measured corpus, benchmarks/secrets.py): hunks served from the review cache were
    not scanned this run, and a cached run keeps the rule engine unloaded.
    """
    if not any(file.hunks for file in diff.files):
        return diff
    from reviewer.secrets import scan_diff
    from reviewer.secrets.engines import NoRuleEngine

    return scan_diff(diff, engine=NoRuleEngine()).diff


def write_report(
    review: Review, diff: Diff, *, format: str, output: Path | None, console: Console | None = None
) -> None:
    """``review`` in ``format`` on stdout (text: on ``console``), or into ``output``."""
    from reviewer.render import jsonout, markdown, sarif, text

    diff = quotable(diff)
    if format == "text":
        with report_console(output, console) as target:
            text.render_text(review, diff, target)
        return
    if format == "json":
        document = jsonout.render_json(review, diff=diff)
    elif format == "sarif":
        document = sarif.render_sarif(review, tool_version=__version__, diff=diff)
    else:
        document = markdown.render_markdown(review, diff=diff)
    write_text(output, document)


def write_text(path: Path | None, text: str) -> None:
    """``text`` on stdout, or into ``path`` once fully written."""
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomically(path, text)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` only once the new content is fully written.

    The file gets the mode a plain ``open(path, "w")`` would give it (the existing
    file's, else 0666 less the umask), not the temporary file's private 0600.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = _mode_for(path)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as handle:
            handle.write(text)
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)  # the only way to read it; set back at once
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def report_console(output: Path | None, console: Console | None = None) -> Iterator[Console]:
    """A rich Console on stdout, or on a file written atomically once the block succeeds."""
    # Deferred: rich loads only when a report is printed in the terminal format.
    from reviewer.commands.terminal import ReportConsole

    if output is None:
        yield console or ReportConsole()
        return
    buffer = io.StringIO()
    # soft_wrap: a file gets whole lines, never wrapped mid-phrase or cut (the width is
    # the dry-run table's).
    yield ReportConsole(file=buffer, force_terminal=False, width=100, soft_wrap=True)
    write_atomically(output, buffer.getvalue())


def stderr_console() -> Console:
    from reviewer.commands.terminal import ReportConsole

    return ReportConsole(stderr=True)
