"""Speed and cost of a review, on a real change nobody here wrote.

    python benchmarks/review.py [--package requests --old 2.31.0 --new 2.32.3]
                                [--cache-dir DIR] [--json]

The workload is the diff between two released sdists of a well-known package,
downloaded from PyPI with ``pip download`` at benchmark time (cached under
``--cache-dir``, nothing committed) and diffed by ``git diff -M`` in a scratch
repository. One run measures:

* the real ``reviewer review`` command, as a subprocess, against the local
  Messages API stand-in (``tests.fakes.messages_api``) with ~400 ms ± jitter per
  request and a 4,096-token minimum cacheable prefix, the budget set so that the
  diff becomes 20+ requests: wall time of the model stage against the critical
  path (``ceil(requests / concurrency) x latency``) and against sequential
  requests; billed-equivalent input tokens (input + 1.25 x cache writes + 0.1 x
  cache reads, as the API bills them) against the same requests without caching
  and against the lower bound (the shared prompt once plus every diff token once);
* parse + plan of a 5 MB+ diff (the real diff copied under other paths) against
  ``unidiff`` parsing the same text alone, in CPU seconds, the best of
  interleaved rounds, and the peak memory of each (tracemalloc, in a run of its
  own).

* a re-review after a one-file push (the Action's path: `reviewer.github.incremental`
  narrows the pull request's diff to the hunks changed since the last reviewed
  head) and after editing one hunk (the hook's path: the local hunk cache,
  `reviewer.cache`, serves every unchanged hunk), both built with real commits
  in a scratch repository, against the cost of one request holding only the
  changed hunks plus the fixed prompt, billed as the API would bill it.

`measure` returns the numbers, `render_table` prints them as the Markdown table
that benchmarks/README.md shows.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent

if TYPE_CHECKING:
    from reviewer.cache import ReviewCache
    from reviewer.config import Config
    from reviewer.diff import Diff, Hunk
    from reviewer.engine import Prepared, PullRequestText
    from reviewer.plan import Plan
    from reviewer.values import Review
    from tests.fakes.messages_api import RecordedRequest

# The targets.
WALL_TARGET = 1.3  # x the critical path
BILLED_TARGET = 0.35  # x the same requests without caching
PARSE_PLAN_TARGET = 2.0  # x unidiff parsing alone
MIN_REQUESTS = 20
REREVIEW_TARGET = 1.2  # x the changed hunks plus the fixed prompt
EDIT_MARK = "  # edited after review"

CACHE_WRITE = 1.25
CACHE_READ = 0.1
MIN_THROUGHPUT_BYTES = 5_000_000
DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "reviewer-benchmarks"


@dataclass(frozen=True)
class Release:
    """Two released versions of a package on PyPI: the change to review."""

    package: str
    old: str
    new: str

    @property
    def label(self) -> str:
        return f"{self.package} {self.old} → {self.new}"


@dataclass(frozen=True)
class Settings:
    release: Release = Release("requests", "2.31.0", "2.32.3")
    cache_dir: Path = DEFAULT_CACHE_DIR
    latency_ms: float = 400.0
    jitter_ms: float = 100.0
    min_cacheable_tokens: int = 4096
    request_token_budget: int = 2000  # small enough that the diff is 20+ requests
    concurrency: int = 4
    throughput_bytes: int = MIN_THROUGHPUT_BYTES
    repeats: int = 5  # rounds of parse, plan and unidiff; the best of each counts


@dataclass(frozen=True)
class ReviewNumbers:
    requests: int
    concurrency: int
    files: int
    skipped: str  # how many files were skipped, and why
    findings: int
    latency_s: float  # the configured mean latency
    mean_request_s: float  # as the client measured it
    wall_s: float  # the model stage, as the CLI reports it
    sequential_s: float  # the sum of request times
    process_s: float  # the whole command: start-up and imports, scan, plan, model stage, report
    billed_input: float  # input + 1.25 x cache writes + 0.1 x cache reads
    uncached_input: int  # every prompt token at 1x
    lower_bound_input: int  # the shared prefix once plus every request's own tokens
    prefix_tokens: int
    cost_usd: float
    uncached_cost_usd: float

    @property
    def critical_path_s(self) -> float:
        return math.ceil(self.requests / self.concurrency) * self.mean_request_s

    @property
    def nominal_critical_path_s(self) -> float:
        return math.ceil(self.requests / self.concurrency) * self.latency_s


@dataclass(frozen=True)
class ThroughputNumbers:
    diff_bytes: int
    files: int
    requests: int
    parse_s: float
    plan_s: float
    unidiff_s: float
    peak_bytes: int  # parse + plan
    unidiff_peak_bytes: int

    @property
    def ratio(self) -> float:
        return (self.parse_s + self.plan_s) / self.unidiff_s


@dataclass(frozen=True)
class RereviewNumbers:
    """A review, then a re-review after a one-line edit, on the same local API."""

    path: str  # "Action" or "hook"
    edited: str  # path:line of the edit
    first_requests: int
    first_billed_input: float
    first_cost_usd: float
    requests: int  # of the re-review
    files_sent: int
    hunks_sent: int
    changed_hunks: int  # hunks of the new diff that differ from the reviewed one
    billed_input: float
    cost_usd: float
    prompt_billed: float  # the fixed prompt (system + run context) as the re-review was billed
    changed_hunk_tokens: int  # the changed hunks' own text (header and lines)

    @property
    def target_input(self) -> float:
        return self.prompt_billed + self.changed_hunk_tokens

    @property
    def ratio(self) -> float:
        return self.billed_input / self.target_input


@dataclass(frozen=True)
class Results:
    release: Release
    diff_bytes: int
    review: ReviewNumbers
    throughput: ThroughputNumbers
    rereviews: tuple[RereviewNumbers, ...] = ()


# --------------------------------------------------------------------------- the workload


def release_diff(release: Release, cache_dir: Path) -> str:
    """``git diff -M`` from the old sdist's tree to the new one's; cached."""
    cached = cache_dir / f"{release.package}-{release.old}-{release.new}.diff"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    old_tree = sdist_tree(release.package, release.old, cache_dir)
    new_tree = sdist_tree(release.package, release.new, cache_dir)
    text = tree_diff(old_tree, new_tree)
    cached.write_text(text, encoding="utf-8")
    return text


def sdist_tree(package: str, version: str, cache_dir: Path) -> Path:
    """The unpacked source distribution of ``package==version``."""
    unpacked = cache_dir / "src" / f"{package}-{version}"
    if not unpacked.is_dir():
        archive = download_sdist(package, version, cache_dir / "sdists")
        with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
            with tarfile.open(archive) as tar:
                tar.extractall(scratch, filter="data")
            (top,) = Path(scratch).iterdir()  # an sdist holds one directory, NAME-VERSION
            unpacked.parent.mkdir(parents=True, exist_ok=True)
            top.rename(unpacked)
    return unpacked


def download_sdist(package: str, version: str, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    found = _sdists(directory, package, version)
    if not found:
        requirement = f"{package}=={version}"
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        subprocess.run(
            [*pip, "--no-binary", ":all:", requirement, "--dest", str(directory)], check=True
        )
        found = _sdists(directory, package, version)
    if not found:
        raise SystemExit(f"pip download left no sdist of {package}=={version} in {directory}")
    return found[0]


def _sdists(directory: Path, package: str, version: str) -> list[Path]:
    names = {package, package.replace("-", "_"), package.lower().replace("-", "_")}
    return sorted(
        path
        for name in names
        for path in directory.glob(f"{name}-{version}.tar.gz")
        if path.is_file()
    )


def tree_diff(old_tree: Path, new_tree: Path) -> str:
    """What ``git diff -M`` shows after replacing ``old_tree``'s files with ``new_tree``'s."""
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch)
        _git(repo, "init", "-q")
        shutil.copytree(old_tree, repo, dirs_exist_ok=True)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "old release")
        _git(repo, "rm", "-r", "-q", ".")
        shutil.copytree(new_tree, repo, dirs_exist_ok=True)
        _git(repo, "add", "-A")
        return _git(repo, "diff", "--cached", "-M")


def _git(repo: Path, *args: str) -> str:
    # Neither the user's configuration nor an enclosing repository may change the diff.
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_DIR": str(repo / ".git"),
        "GIT_WORK_TREE": str(repo),
    }
    identity = ["-c", "user.name=Benchmark", "-c", "user.email=benchmark@example.com"]
    completed = subprocess.run(
        ["git", *identity, "-c", "core.autocrlf=false", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        check=True,
    )
    return completed.stdout.decode("utf-8", errors="replace")


def relocated_copies(diff_text: str, min_bytes: int) -> str:
    """``diff_text`` repeated under ``copyN/`` prefixes until it is ``min_bytes`` long."""
    copies: list[str] = []
    size = 0
    while size < min_bytes:
        copy = _relocate(diff_text, f"copy{len(copies)}/")
        copies.append(copy)
        size += len(copy.encode("utf-8"))
    return "".join(copies)


_RELOCATED_HEADERS = (
    ("--- a/", "--- a/{p}"),
    ("+++ b/", "+++ b/{p}"),
    ("rename from ", "rename from {p}"),
    ("rename to ", "rename to {p}"),
)


def _relocate(diff_text: str, prefix: str) -> str:
    lines = diff_text.split("\n")
    in_header = False
    for index, line in enumerate(lines):
        if line.startswith("diff --git a/"):
            old, _, new = line.removeprefix("diff --git a/").partition(" b/")
            lines[index] = f"diff --git a/{prefix}{old} b/{prefix}{new}"
            in_header = True
        elif line.startswith("@@"):
            in_header = False
        elif in_header:
            for marker, replacement in _RELOCATED_HEADERS:
                if line.startswith(marker):
                    lines[index] = replacement.format(p=prefix) + line.removeprefix(marker)
                    break
    return "\n".join(lines)


# --------------------------------------------------------------------------- the review


def measure_review(diff_text: str, settings: Settings) -> ReviewNumbers:
    """Run ``reviewer review`` on ``diff_text`` against the local API with latency."""
    from reviewer.diff import parse_diff
    from tests.fakes.messages_api import LatencyProfile, MessagesAPI, markers_responder
    from tests.fakes.request_format import added_lines_in_request

    latency = LatencyProfile(settings.latency_ms, settings.jitter_ms, seed=7)
    with (
        tempfile.TemporaryDirectory() as scratch,
        MessagesAPI(
            markers_responder(extract=added_lines_in_request),
            latency=latency,
            min_cacheable_tokens=settings.min_cacheable_tokens,
        ) as api,
    ):
        work = Path(scratch)
        report, process_s = _run_cli(diff_text, settings, work, api.base_url)
        answered = [r for r in api.requests if r.path == "/v1/messages" and r.status == 200]
    files = len(parse_diff(diff_text).files)
    return _review_numbers(report, answered, settings, process_s, files)


def _run_cli(
    diff_text: str, settings: Settings, work: Path, base_url: str
) -> tuple[dict[str, Any], float]:
    from tests.fakes.messages_api import FAKE_API_KEY

    diff = work / "change.diff"
    diff.write_text(diff_text, encoding="utf-8")
    config = work / "reviewer.yml"
    config.write_text(
        f"request_token_budget: {settings.request_token_budget}\n"
        f"concurrency: {settings.concurrency}\nmax_requests: 1000\n"
        # What is measured is the review requests: their fan-out and their shared prefix.
        "verify: off\ncontext: off\n",
        encoding="utf-8",
    )
    report = work / "report.json"
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": FAKE_API_KEY,
        "ANTHROPIC_BASE_URL": base_url,
        "REVIEWER_CACHE_DIR": str(work / "cache"),  # empty: this is a first review
    }
    started = time.perf_counter()
    arguments = ["--diff", str(diff), "--config", str(config), "--format", "json"]
    subprocess.run(
        [sys.executable, "-m", "reviewer", "review", *arguments, "--output", str(report)],
        env=env,
        cwd=work,
        check=True,
    )
    process_s = time.perf_counter() - started
    return json.loads(report.read_text(encoding="utf-8")), process_s


def _review_numbers(
    report: dict[str, Any],
    answered: Sequence[RecordedRequest],
    settings: Settings,
    process_s: float,
    files: int,
) -> ReviewNumbers:
    from reviewer.catalog import model_info
    from tests.fakes.messages_api import read_prompt

    if report["not_reviewed"] or len(answered) != report["usage"]["requests"]:
        raise SystemExit(f"the benchmark review was incomplete: {report['not_reviewed']}")
    prompts = [read_prompt(r.body) for r in answered]
    prefixes = {p.breakpoints[-1].tokens for p in prompts}
    if len(prefixes) != 1:
        raise SystemExit(f"the requests do not share one cached prefix: {sorted(prefixes)}")
    (prefix,) = prefixes
    accounting = [r.cache for r in answered if r.cache is not None]
    billed = sum(
        a.input_tokens
        + CACHE_WRITE * a.cache_creation_input_tokens
        + CACHE_READ * a.cache_read_input_tokens
        for a in accounting
    )
    uncached = sum(a.prompt_tokens for a in accounting)
    usage = report["usage"]
    info = model_info(report["model"])
    uncached_cost = (
        uncached * info.input_usd_per_mtok + usage["output_tokens"] * info.output_usd_per_mtok
    ) / 1_000_000
    requests = usage["requests"]
    timing = report["timing"]
    return ReviewNumbers(
        requests=requests,
        concurrency=settings.concurrency,
        files=files,
        skipped=_skip_summary(report["skipped"]),
        findings=len(report["findings"]),
        latency_s=settings.latency_ms / 1000,
        mean_request_s=timing["request_seconds"] / requests,
        wall_s=timing["wall_seconds"],
        sequential_s=timing["request_seconds"],
        process_s=process_s,
        billed_input=billed,
        uncached_input=uncached,
        lower_bound_input=prefix + sum(p.total_tokens - prefix for p in prompts),
        prefix_tokens=prefix,
        cost_usd=usage["cost_usd"],
        uncached_cost_usd=uncached_cost,
    )


def _skip_summary(skipped: Sequence[dict[str, str]]) -> str:
    """``10 skipped: 9 renamed, 1 file deleted``; a reason's own path is left out."""
    if not skipped:
        return "none skipped"
    reasons = Counter(entry["reason"].split(" from ")[0] for entry in skipped)
    return f"{len(skipped)} skipped: " + ", ".join(f"{n} {why}" for why, n in reasons.items())


# --------------------------------------------------------------------------- re-reviews


@dataclass(frozen=True)
class _History:
    """A pull request with real commits: the base, the reviewed head, a head one edit later."""

    reviewed: str  # the diff of the first review: base...reviewed head
    edited: str  # base...new head
    since: str  # reviewed head...new head: what the push changed
    where: str  # path:line of the edit


def measure_rereviews(settings: Settings) -> tuple[RereviewNumbers, ...]:
    """The Action's and the hook's re-review after a one-line edit, each against its first review.

    Both call the stages the commands call (``reviewer.github.incremental.narrow`` as
    ``reviewer action`` does on a push; ``engine.prepare``/``engine.review``
    with the hunk cache as ``reviewer hook`` does) without GitHub or pre-commit
    around them: those add I/O, not requests.
    """
    old_tree = sdist_tree(settings.release.package, settings.release.old, settings.cache_dir)
    new_tree = sdist_tree(settings.release.package, settings.release.new, settings.cache_dir)
    history = _pull_request_history(old_tree, new_tree, settings.release.package)
    return (_action_rereview(history, settings), _hook_rereview(history, settings))


def _pull_request_history(old_tree: Path, new_tree: Path, package: str) -> _History:
    """``main`` holds the old release; ``feature`` the new one, then one edited line."""
    from reviewer.diff import parse_diff

    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch)
        _git(repo, "init", "-q", "-b", "main")
        shutil.copytree(old_tree, repo, dirs_exist_ok=True)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "old release")
        _git(repo, "checkout", "-q", "-b", "feature")
        _git(repo, "rm", "-r", "-q", ".")
        shutil.copytree(new_tree, repo, dirs_exist_ok=True)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "new release")
        reviewed = _git(repo, "diff", "-M", "main...feature")
        where = _edit_one_added_line(repo, parse_diff(reviewed), package)
        _git(repo, "commit", "-q", "-a", "-m", "edit one line")
        return _History(
            reviewed=reviewed,
            edited=_git(repo, "diff", "-M", "main...feature"),
            since=_git(repo, "diff", "-M", "feature~1", "feature"),
            where=where,
        )


def _edit_one_added_line(repo: Path, diff: Diff, package: str) -> str:
    """Append a comment to the first added code line of a changed Python file."""
    from reviewer.diff import FileStatus, LineKind

    # The package's own code first (``src/requests/…``), then setup scripts and tests.
    in_package = sorted(diff.files, key=lambda file: f"{package}/" not in file.path)
    for file in in_package:
        changed = file.status in (FileStatus.MODIFIED, FileStatus.RENAMED)
        if not changed or not file.path.endswith(".py"):
            continue
        for hunk in file.hunks:
            for line in hunk.lines:
                if line.kind is LineKind.ADDED and line.new_no and line.text.strip():
                    if line.text.lstrip().startswith("#"):
                        continue
                    source = repo / file.path
                    lines = source.read_bytes().split(b"\n")
                    lines[line.new_no - 1] += EDIT_MARK.encode()
                    source.write_bytes(b"\n".join(lines))
                    return f"{file.path}:{line.new_no}"
    raise SystemExit("the workload has no added line in a modified Python file to edit")


def _action_rereview(history: _History, settings: Settings) -> RereviewNumbers:
    from reviewer.diff import parse_diff
    from reviewer.github.incremental import ChangedSince, narrow

    first = parse_diff(history.reviewed, source="first push")
    pr_diff = parse_diff(history.edited, source="second push")
    changed = ChangedSince("reviewed-head", parse_diff(history.since), frozenset())
    return _rereview("Action", first, narrow(pr_diff, changed), pr_diff, history, settings, None)


def _hook_rereview(history: _History, settings: Settings) -> RereviewNumbers:
    from reviewer.cache import open_cache
    from reviewer.diff import parse_diff

    first = parse_diff(history.reviewed, source="staged")
    edited = parse_diff(history.edited, source="staged, one hunk edited")
    with tempfile.TemporaryDirectory() as scratch:
        warnings: list[str] = []
        with open_cache(Path(scratch) / "cache.sqlite3", warn=warnings.append) as cache:
            numbers = _rereview("hook", first, edited, edited, history, settings, cache)
        if warnings:
            raise SystemExit(f"the review cache was not usable: {warnings}")
    return numbers


def _rereview(
    path: str,
    first: Diff,
    second: Diff,
    whole_second: Diff,
    history: _History,
    settings: Settings,
    cache: ReviewCache | None,
) -> RereviewNumbers:
    """Review ``first``, then ``second`` (narrowed, or served by ``cache``), on one local API."""
    from reviewer import engine
    from reviewer.config import Config
    from tests.fakes.messages_api import LatencyProfile, MessagesAPI, markers_responder
    from tests.fakes.request_format import added_lines_in_request

    config = Config(
        request_token_budget=settings.request_token_budget,
        concurrency=settings.concurrency,
        max_requests=1000,
        verify=False,  # the review requests are what is measured
    )
    pr = engine.PullRequestText(title=f"Update to {settings.release.label}")
    latency = LatencyProfile(settings.latency_ms, settings.jitter_ms, seed=11)
    with MessagesAPI(
        markers_responder(extract=added_lines_in_request),
        latency=latency,
        min_cacheable_tokens=settings.min_cacheable_tokens,
    ) as api:
        first_review = _review_once(first, config, pr, cache, api.base_url)
        first_records = _answered(api.requests)
        prepared = engine.prepare(second, config, pr, cache=cache)
        second_review = _review_prepared(prepared, config, cache, api.base_url)
        second_records = _answered(api.requests)[len(first_records) :]
    if first_review.not_reviewed or second_review.not_reviewed:
        raise SystemExit(f"a {path} review was incomplete")
    changed = _changed_hunks(first, whole_second)
    return RereviewNumbers(
        path=path,
        edited=history.where,
        first_requests=len(first_records),
        first_billed_input=_billed(first_records),
        first_cost_usd=first_review.usage.cost_usd,
        requests=len(second_records),
        files_sent=len(prepared.plan.reviewed_files),
        hunks_sent=sum(request.hunks for request in prepared.plan.requests),
        changed_hunks=len(changed),
        billed_input=_billed(second_records),
        cost_usd=second_review.usage.cost_usd,
        prompt_billed=_prompt_as_billed(second_records[0]),
        changed_hunk_tokens=sum(_fake_tokens(_hunk_text(hunk)) for hunk in changed),
    )


def _review_once(
    diff: Diff,
    config: Config,
    pr: PullRequestText,
    cache: ReviewCache | None,
    base_url: str,
) -> Review:
    from reviewer import engine

    return _review_prepared(engine.prepare(diff, config, pr, cache=cache), config, cache, base_url)


def _review_prepared(
    prepared: Prepared, config: Config, cache: ReviewCache | None, base_url: str
) -> Review:
    import asyncio

    from reviewer import engine
    from reviewer.model import ClientSettings, make_client
    from tests.fakes.messages_api import FAKE_API_KEY

    async def review() -> Review:
        # The client's connections belong to this event loop: close them before it ends.
        client = make_client(ClientSettings(api_key=FAKE_API_KEY, base_url=base_url, max_retries=0))
        try:
            return await engine.review(prepared, config, client, cache=cache)
        finally:
            await client.sdk.close()

    return asyncio.run(review())


def _answered(records: Sequence[RecordedRequest]) -> list[RecordedRequest]:
    return [r for r in records if r.path == "/v1/messages" and r.status == 200]


def _billed(records: Sequence[RecordedRequest]) -> float:
    return sum(
        a.input_tokens
        + CACHE_WRITE * a.cache_creation_input_tokens
        + CACHE_READ * a.cache_read_input_tokens
        for a in (r.cache for r in records)
        if a is not None
    )


def _prompt_as_billed(record: RecordedRequest) -> float:
    """The fixed prompt (system + run context) of ``record``, billed as the API billed it.

    The cache covers at most the prompt's last breakpoint, the end of the run
    context: what was read is billed at 0.1x, what was written at 1.25x, the
    rest of the prompt (below the minimum cacheable length, say) at 1x.
    """
    from tests.fakes.messages_api import read_prompt

    accounting = record.cache
    if accounting is None:
        raise SystemExit("the re-review's request was not answered with a message")
    prompt_tokens = read_prompt(record.body).breakpoints[-1].tokens
    read, written = accounting.cache_read_input_tokens, accounting.cache_creation_input_tokens
    return CACHE_READ * read + CACHE_WRITE * written + (prompt_tokens - read - written)


def _changed_hunks(before: Diff, after: Diff) -> list[Hunk]:
    """Hunks of ``after`` whose path and content (not position) ``before`` does not have."""
    seen = {
        (file.path, _hunk_text(hunk, numbered=False))
        for file in before.files
        for hunk in file.hunks
    }
    return [
        hunk
        for file in after.files
        for hunk in file.hunks
        if (file.path, _hunk_text(hunk, numbered=False)) not in seen
    ]


def _hunk_text(hunk: Hunk, *, numbered: bool = True) -> str:
    head = hunk.header if numbered else hunk.section
    return "\n".join([head, *(line.kind.value + line.text for line in hunk.lines)]) + "\n"


def _fake_tokens(text: str) -> int:
    from tests.fakes.messages_api import estimate_tokens

    return estimate_tokens(text)


# --------------------------------------------------------------------------- parse + plan


def measure_throughput(diff_text: str, settings: Settings) -> ThroughputNumbers:
    """Parse and plan a 5 MB+ diff against unidiff parsing it alone.

    Times are CPU seconds of this thread, the best of interleaved rounds: on a
    shared machine wall time measures the neighbours as much as the code, and a
    round of each in turn makes any slowdown hit both sides alike.
    """
    from unidiff.patch import PatchSet

    big = relocated_copies(diff_text, settings.throughput_bytes)
    rounds = [_throughput_round(big) for _ in range(settings.repeats)]
    return ThroughputNumbers(
        diff_bytes=len(big.encode("utf-8")),
        files=rounds[0].files,
        requests=rounds[0].requests,
        parse_s=min(r.parse_s for r in rounds),
        plan_s=min(r.plan_s for r in rounds),
        unidiff_s=min(r.unidiff_s for r in rounds),
        peak_bytes=_peak_bytes(lambda: _parse_and_plan(big)),
        unidiff_peak_bytes=_peak_bytes(lambda: PatchSet(big)),
    )


@dataclass(frozen=True)
class _Round:
    parse_s: float
    plan_s: float
    unidiff_s: float
    files: int
    requests: int


def _throughput_round(big: str) -> _Round:
    """One timed parse, plan and unidiff parse; what they built is garbage on return."""
    from unidiff.patch import PatchSet

    from reviewer.diff import parse_diff

    parse_s, diff = _cpu_seconds(lambda: parse_diff(big, source="benchmark"))
    plan_s, planned = _cpu_seconds(lambda: _plan(diff))
    unidiff_s, patch = _cpu_seconds(lambda: PatchSet(big))
    if len(patch) != len(diff.files):
        raise SystemExit(f"unidiff read {len(patch)} files, reviewer {len(diff.files)}")
    return _Round(parse_s, plan_s, unidiff_s, len(diff.files), len(planned.requests))


def _plan(diff: Diff) -> Plan:
    from reviewer import prompt
    from reviewer.config import Config
    from reviewer.plan import make_plan

    config = Config(max_requests=1_000_000)  # plan every file: none is dropped for the cap
    return make_plan(diff, config, render=prompt.request_block, estimate=prompt.estimate_tokens)


def _parse_and_plan(text: str) -> Plan:
    from reviewer.diff import parse_diff

    return _plan(parse_diff(text, source="benchmark"))


T = TypeVar("T")


def _cpu_seconds(run: Callable[[], T]) -> tuple[float, T]:
    started = time.thread_time()
    result = run()
    return time.thread_time() - started, result


def _peak_bytes(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- the report


def measure(settings: Settings) -> Results:
    _repository_on_path()
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    diff_text = release_diff(settings.release, settings.cache_dir)
    return Results(
        release=settings.release,
        diff_bytes=len(diff_text.encode("utf-8")),
        review=measure_review(diff_text, settings),
        throughput=measure_throughput(diff_text, settings),
        rereviews=measure_rereviews(settings),
    )


def _repository_on_path() -> None:
    """``tests.fakes`` lives in the repository, not in the installed package."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def render_table(results: Results) -> str:
    r, t = results.review, results.throughput
    mb = 1_000_000
    rows = [
        ("workload", f"{results.release.label}: {results.diff_bytes / 1000:,.0f} kB diff", "", ""),
        (
            "requests",
            f"{r.requests} for {r.files} files ({r.skipped}), concurrency {r.concurrency}; "
            f"{r.findings} findings",
            f"≥ {MIN_REQUESTS}",
            _verdict(r.requests >= MIN_REQUESTS),
        ),
        (
            "model stage wall time",
            f"{r.wall_s:.2f} s (whole command {r.process_s:.2f} s)",
            "",
            "",
        ),
        (
            "  vs critical path",
            f"{r.wall_s / r.critical_path_s:.2f}× of ceil({r.requests}/{r.concurrency}) × "
            f"{r.mean_request_s * 1000:.0f} ms = {r.critical_path_s:.2f} s "
            f"(nominal {r.latency_s * 1000:.0f} ms: {r.nominal_critical_path_s:.2f} s)",
            f"≤ {WALL_TARGET}×",
            _verdict(r.wall_s <= WALL_TARGET * r.critical_path_s),
        ),
        (
            "  vs sequential",
            f"{r.wall_s / r.sequential_s:.2f}× of {r.sequential_s:.2f} s (sum of request times)",
            "",
            "",
        ),
        (
            "billed-equivalent input tokens",
            f"{r.billed_input:,.0f} (prefix {r.prefix_tokens:,} tokens, written once, then read)",
            "",
            "",
        ),
        (
            "  vs without caching",
            f"{r.billed_input / r.uncached_input:.3f}× of {r.uncached_input:,}",
            f"≤ {BILLED_TARGET}×",
            _verdict(r.billed_input <= BILLED_TARGET * r.uncached_input),
        ),
        (
            "  vs lower bound",
            f"{r.billed_input / r.lower_bound_input:.2f}× of {r.lower_bound_input:,} "
            "(prompt once + every diff token once)",
            "",
            "",
        ),
        (
            "  cost (input + output)",
            f"${r.cost_usd:.4f} (${r.uncached_cost_usd:.4f} without caching)",
            "",
            "",
        ),
        (
            "parse + plan",
            f"{t.parse_s + t.plan_s:.2f} s for {t.diff_bytes / mb:.1f} MB "
            f"({t.files:,} files → {t.requests:,} requests): "
            f"{t.diff_bytes / mb / (t.parse_s + t.plan_s):.1f} MB/s "
            f"(parse {t.parse_s:.2f} s, plan {t.plan_s:.2f} s)",
            "",
            "",
        ),
        (
            "  vs unidiff parse alone",
            f"{t.ratio:.2f}× of {t.unidiff_s:.2f} s ({t.diff_bytes / mb / t.unidiff_s:.1f} MB/s)",
            f"≤ {PARSE_PLAN_TARGET}×",
            _verdict(t.ratio <= PARSE_PLAN_TARGET),
        ),
        (
            "  peak memory",
            f"{t.peak_bytes / mb:.0f} MB ({t.peak_bytes / t.diff_bytes:.0f}× the diff); "
            f"unidiff {t.unidiff_peak_bytes / mb:.0f} MB",
            "",
            "",
        ),
    ]
    rows += [row for rereview in results.rereviews for row in _rereview_rows(rereview)]
    lines = ["| measure | result | target | |", "| --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(cell.replace('|', '/') for cell in row)} |" for row in rows]
    return "\n".join(lines)


def _rereview_rows(n: RereviewNumbers) -> list[tuple[str, str, str, str]]:
    title = {
        "Action": "re-review after a one-file push (Action)",
        "hook": "re-review after editing one hunk (hook)",
    }[n.path]
    return [
        (
            title,
            f"{n.requests} request for {n.files_sent} file, {n.hunks_sent} hunk "
            f"({n.changed_hunks} changed; edit at {n.edited}): "
            f"{n.billed_input:,.0f} billed-equivalent input tokens, ${n.cost_usd:.4f}",
            "",
            "",
        ),
        (
            "  vs changed hunks + prompt",
            f"{n.ratio:.2f}× of {n.target_input:,.0f} (prompt as billed "
            f"{n.prompt_billed:,.0f} + changed hunks {n.changed_hunk_tokens:,})",
            f"≤ {REREVIEW_TARGET}×",
            _verdict(n.ratio <= REREVIEW_TARGET),
        ),
        (
            "  vs the first review",
            f"{n.billed_input / n.first_billed_input:.3f}× of {n.first_billed_input:,.0f} "
            f"input tokens ({n.first_requests} requests); cost "
            f"{n.cost_usd / n.first_cost_usd:.3f}× of ${n.first_cost_usd:.4f}",
            "",
            "",
        ),
    ]


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def as_json(results: Results) -> str:
    def encode(value: object) -> object:
        if isinstance(value, Path):
            return str(value)
        raise TypeError(type(value).__name__)

    return json.dumps(dataclasses.asdict(results), default=encode, indent=2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    defaults = Settings()
    parser.add_argument("--package", default=defaults.release.package)
    parser.add_argument("--old", default=defaults.release.old, help="the older release")
    parser.add_argument("--new", default=defaults.release.new, help="the newer release")
    parser.add_argument("--cache-dir", type=Path, default=defaults.cache_dir)
    parser.add_argument(
        "--budget",
        type=int,
        default=defaults.request_token_budget,
        help="request_token_budget of the review (smaller: more requests)",
    )
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    settings = dataclasses.replace(
        defaults,
        release=Release(args.package, args.old, args.new),
        cache_dir=args.cache_dir,
        request_token_budget=args.budget,
    )
    results = measure(settings)
    print(as_json(results) if args.json else render_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
