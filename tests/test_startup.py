"""What a fast run imports: ``--version`` and hook runs with nothing to send load no heavy module.

Each run is a fresh interpreter (a subprocess) that reports ``sys.modules`` after
``reviewer.cli.main`` returns. The timings themselves are benchmarks/startup.py's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reviewer.cli import main
from tests.conftest import GitRepo
from tests.fakes.messages_api import FAKE_API_KEY, MessagesAPI, markers_responder
from tests.fakes.request_format import added_lines_in_request

# Third-party libraries that cost tens to hundreds of milliseconds to import, and
# asyncio, which only the model stage needs.
HEAVY = (
    "anthropic",
    "github",
    "detect_secrets",
    "kingfisher_sdk",
    "rich",
    "jinja2",
    "httpx",
    "httpx2",
    "pydantic",
    "requests",
    "unidiff",
    "asyncio",
)
# Printing findings in the terminal format is rich's job.
HEAVY_BUT_RICH = tuple(name for name in HEAVY if name != "rich")

PROBE = """
import json, os, sys
from reviewer.cli import main
code = main(sys.argv[1:])
with open(os.environ["REVIEWER_PROBE_REPORT"], "w", encoding="utf-8") as report:
    json.dump({"code": code, "modules": sorted(sys.modules)}, report)
"""


@dataclass(frozen=True)
class Probe:
    code: int
    modules: frozenset[str]
    stdout: str

    def loaded(self, names: tuple[str, ...]) -> list[str]:
        return [name for name in names if name in self.modules]


def probe(tmp_path: Path, *argv: str, cwd: Path | None = None) -> Probe:
    report = tmp_path / "probe.json"
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=cwd,
        env={**os.environ, "REVIEWER_PROBE_REPORT": str(report)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert report.exists(), completed.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    return Probe(data["code"], frozenset(data["modules"]), completed.stdout)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesAPI]:
    with MessagesAPI(markers_responder(extract=added_lines_in_request)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        yield server


def test_version_imports_only_the_command_line(tmp_path: Path) -> None:
    run = probe(tmp_path, "--version")
    assert run.code == 0
    assert run.stdout.startswith("reviewer ")
    assert run.loaded(HEAVY) == []
    assert {m for m in run.modules if m.startswith("reviewer")} <= {
        "reviewer",
        "reviewer.cli",
        "reviewer.errors",
    }


def test_a_hook_run_with_nothing_staged_imports_no_heavy_module(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("a.py", "a = 1\n")
    git_repo.commit("base")
    run = probe(tmp_path, "hook", cwd=git_repo.path)
    assert run.code == 0
    assert "nothing to review" in run.stdout
    assert run.loaded(HEAVY) == []
    assert "reviewer.engine" not in run.modules


def test_a_fully_cached_clean_hook_run_imports_no_heavy_module(
    api: MessagesAPI, git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("a.py", "a = 1\n")
    git_repo.commit("base")
    git_repo.write("a.py", "a = 1\nb = a + 1\n")
    git_repo.stage()
    assert main(["hook", "--repo", str(git_repo.path)]) == 0
    capsys.readouterr()
    requests = len(api.requests)
    run = probe(tmp_path, "hook", cwd=git_repo.path)
    assert run.code == 0
    assert "from the local cache" in run.stdout
    assert run.loaded(HEAVY) == []
    assert len(api.requests) == requests


def test_a_fully_cached_run_with_findings_rescans_nothing_and_sends_nothing(
    api: MessagesAPI, git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "AKIA" + "Q3EGRJ7HB4NXK2LA"
    git_repo.write("a.py", "a = 1\n")
    git_repo.commit("base")
    git_repo.write("a.py", f'a = 1\n# TODO: rotate\nAWS_ACCESS_KEY_ID = "{key}"\n')
    git_repo.write("package-lock.json", f'{{"token": "{key}"}}\n')
    git_repo.stage()
    assert main(["hook", "--repo", str(git_repo.path)]) == 1
    capsys.readouterr()
    requests = len(api.requests)
    run = probe(tmp_path, "hook", cwd=git_repo.path)
    assert run.code == 1
    assert "a.py:3 critical security Secret in the diff" in run.stdout
    assert "package-lock.json:1 critical security Secret in the diff" in run.stdout
    assert "a.py:2 minor maintainability Unresolved TODO" in run.stdout
    assert run.loaded(HEAVY_BUT_RICH) == []
    assert len(api.requests) == requests
