"""Start-up time of ``reviewer`` against the bare interpreter, hyperfine style.

    python -m benchmarks.startup [--runs 30] [--warmup 3]

Measures, in one run and interleaved round by round (so a noisy neighbour
slows every command alike): ``python -c pass``, ``reviewer --version``, a hook
run with nothing staged, a hook run whose hunks are all in the review cache
(nothing to show), and the same with findings to print (which needs rich).
The cache is filled first by one real hook run against the local Messages API
stand-in (``tests.fakes.messages_api``); the timed runs send nothing.

Prints each command's median, min and max wall time and its ratio to the bare
interpreter, then the issue's targets: ``--version`` within 1.5x of ``python -c
pass``, a fully cached hook run under 0.4 s. Children run without
``PYTHONDONTWRITEBYTECODE`` so they use compiled bytecode, as an installed
package does; the warm-up runs write it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION_TARGET_RATIO = 1.5
CACHED_HOOK_TARGET_S = 0.4
SERVER_START_TIMEOUT_S = 30.0

CLEAN_CHANGE = ("app.py", "def area(width, height):\n    return width * height\n")
CHANGE_WITH_FINDINGS = (
    "todo.py",
    '# TODO: remove before release\ndef check(password):\n    return eval("password")\n',
)


@dataclass(frozen=True)
class Command:
    label: str
    argv: tuple[str, ...]
    cwd: Path


@dataclass(frozen=True)
class Timing:
    label: str
    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=30, help="timed runs per command")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs per command first")
    args = parser.parse_args(argv)
    reviewer = _reviewer_command()
    with tempfile.TemporaryDirectory(prefix="reviewer-startup-") as scratch:
        workdir = Path(scratch)
        with _messages_api(workdir) as base_url:
            env = _child_env(base_url, workdir / "cache")
            clean = _repository(workdir / "clean", CLEAN_CHANGE)
            findings = _repository(workdir / "findings", CHANGE_WITH_FINDINGS)
            empty = _repository(workdir / "empty", None)
            for repo in (clean, findings):  # fill the cache: the only requests sent
                subprocess.run([*reviewer, "hook"], cwd=repo, env=env, capture_output=True)
            commands = [
                Command("python -c pass", (sys.executable, "-c", "pass"), workdir),
                Command("reviewer --version", (*reviewer, "--version"), workdir),
                Command("hook, nothing staged", (*reviewer, "hook"), empty),
                Command("hook, all cached, clean", (*reviewer, "hook"), clean),
                Command("hook, all cached, 3 findings", (*reviewer, "hook"), findings),
            ]
            _check_cached(commands[3], env)
            timings = _measure(commands, env, runs=args.runs, warmup=args.warmup)
    print(_table(timings))
    return _verdict(timings)


def _reviewer_command() -> tuple[str, ...]:
    """The installed ``reviewer`` script beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("reviewer")
    if script.exists():
        return (str(script),)
    return (sys.executable, "-m", "reviewer")


def _child_env(base_url: str, cache_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        ANTHROPIC_API_KEY="sk-ant-fake-key",
        ANTHROPIC_BASE_URL=base_url,
        REVIEWER_CACHE_DIR=str(cache_dir),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    return env


@contextmanager
def _messages_api(workdir: Path) -> Iterator[str]:
    port_file = workdir / "port"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.messages_api",
            "--port",
            "0",
            "--responder",
            "markers",
            "--extractor",
            "tests.fakes.request_format:added_lines_in_request",
            "--port-file",
            str(port_file),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not port_file.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the local Messages API did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port_file.read_text(encoding='utf-8').strip()}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _repository(path: Path, change: tuple[str, str] | None) -> Path:
    """A repository with one commit and ``change`` staged (nothing staged for None)."""
    git = shutil.which("git") or "git"
    path.mkdir(parents=True)
    for args in (
        ("init", "-q", "-b", "main"),
        ("config", "user.name", "Benchmark"),
        ("config", "user.email", "benchmark@example.com"),
        ("commit", "-q", "--allow-empty", "-m", "base"),
    ):
        subprocess.run([git, "-C", str(path), *args], check=True, env=_git_env())
    if change is not None:
        name, content = change
        (path / name).write_text(content, encoding="utf-8")
        subprocess.run([git, "-C", str(path), "add", name], check=True, env=_git_env())
    return path


def _git_env() -> Mapping[str, str]:
    return {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def _check_cached(command: Command, env: Mapping[str, str]) -> None:
    """The cached run must really be one: it says so and sends nothing."""
    done = subprocess.run(command.argv, cwd=command.cwd, env=env, capture_output=True, text=True)
    if "from the local cache" not in done.stdout:
        raise SystemExit(f"{command.label}: not served from the cache:\n{done.stdout}{done.stderr}")


def _measure(
    commands: Sequence[Command], env: Mapping[str, str], *, runs: int, warmup: int
) -> list[Timing]:
    samples: dict[str, list[float]] = {command.label: [] for command in commands}
    for round_number in range(warmup + runs):
        for command in commands:
            started = time.perf_counter()
            subprocess.run(
                command.argv,
                cwd=command.cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            elapsed = time.perf_counter() - started
            if round_number >= warmup:
                samples[command.label].append(elapsed)
    return [Timing(label, tuple(seconds)) for label, seconds in samples.items()]


def _table(timings: Sequence[Timing]) -> str:
    base = timings[0].median
    width = max(len(t.label) for t in timings)
    runs = len(timings[0].seconds)
    lines = [
        f"{'command':<{width}}  {'median':>9}  {'min':>9}  {'max':>9}  {'ratio':>6}",
        f"{'-' * width}  {'-' * 9}  {'-' * 9}  {'-' * 9}  {'-' * 6}",
    ]
    for timing in timings:
        lines.append(
            f"{timing.label:<{width}}  {_ms(timing.median)}  {_ms(min(timing.seconds))}  "
            f"{_ms(max(timing.seconds))}  {timing.median / base:5.2f}x"
        )
    lines.append(f"({runs} runs each, interleaved; ratio = median / median of python -c pass)")
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:6.1f} ms"


def _verdict(timings: Sequence[Timing]) -> int:
    by_label = {t.label: t.median for t in timings}
    version_ratio = by_label["reviewer --version"] / by_label["python -c pass"]
    cached = by_label["hook, all cached, clean"]
    checks = (
        (
            f"reviewer --version within {VERSION_TARGET_RATIO}x of python -c pass",
            version_ratio <= VERSION_TARGET_RATIO,
            f"{version_ratio:.2f}x",
        ),
        (
            f"fully cached hook run under {CACHED_HOOK_TARGET_S} s",
            cached < CACHED_HOOK_TARGET_S,
            f"{cached:.3f} s",
        ),
    )
    print()
    for name, ok, measured in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {measured}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
