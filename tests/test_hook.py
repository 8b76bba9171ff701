"""`reviewer hook`: under the real pre-commit, and run directly in temporary repositories."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer.cache import STORE_NAME
from reviewer.cli import main
from tests.conftest import GitRepo, init_repo
from tests.fakes.messages_api import (
    FAKE_API_KEY,
    MessagesAPI,
    StatusFault,
    asks_for_a_verdict,
    markers_responder,
    review_requests,
)
from tests.fakes.request_format import added_lines_in_request

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = (sys.executable, "-m", "pre_commit")
FAKE_API_PROCESS = (
    *(sys.executable, "-m", "tests.fakes.messages_api", "--port", "0", "--responder", "markers"),
    *("--extractor", "tests.fakes.request_format:added_lines_in_request"),
)
AWS_KEY = "AKIA" + "Q3EGRJ7HB4NXK2LA"
BASE_APP = "import os\n\n\ndef load(name):\n    return os.environ[name]\n"
TODO_ONLY = "import os\n# TODO: cache this\n\n\ndef load(name):\n    return os.environ[name]\n"
TODO_AND_PASSWORD = (
    "import os\n# TODO: cache this\n\n\ndef load(name):\n"
    '    password = os.environ["DB_PASSWORD"]\n    return os.environ[name]\n'
)


# --- under pre-commit ---------------------------------------------------------------------


def test_pre_commit_try_repo_runs_the_hook_and_a_second_run_sends_nothing(
    tmp_path: Path, isolated_git_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's "Done when": the real pre-commit installs this checkout's hook, offline."""
    project = snapshot_of_checkout(tmp_path / "project")
    user = init_repo(tmp_path / "user")
    user.write("app.py", BASE_APP)
    base = user.commit("base")
    user.write("app.py", TODO_AND_PASSWORD)
    user.stage("app.py")
    log = tmp_path / "requests.jsonl"
    with messages_api_process(tmp_path, log) as base_url:
        env = pre_commit_env(tmp_path, base_url)

        def try_repo(*extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*PRE_COMMIT, "try-repo", str(project), "reviewer", "--verbose", *extra],
                cwd=user.path,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )

        first = try_repo()
        assert first.returncode == 1, first.stdout + first.stderr
        assert "- exit code: 1" in first.stdout
        assert "app.py:6 major security Possible hard-coded password" in first.stdout
        assert "app.py:2 minor maintainability Unresolved TODO" in first.stdout
        assert message_requests(log) == 1
        assert message_requests(log, verifications=True) == 2  # one per finding

        second = try_repo()
        assert second.returncode == 1, second.stdout + second.stderr
        assert "app.py:6 major security Possible hard-coded password" in second.stdout
        assert "0 requests" in second.stdout
        assert "1 hunk from the local cache" in second.stdout
        assert message_requests(log) == 1  # zero requests on the second run
        assert message_requests(log, verifications=True) == 2  # cached findings: not again
        assert (user.path / ".git" / "reviewer" / STORE_NAME).is_file()

        # A laxer threshold, committed on its own: the staged change stays staged.
        user.write(".github/reviewer.yml", "hook_fail_on: critical\n")
        user.git("add", ".github/reviewer.yml")
        user.git("commit", "-q", "-m", "config", "--", ".github/reviewer.yml")
        config_commit = user.head()
        lax = try_repo()
        assert lax.returncode == 0, lax.stdout + lax.stderr
        assert "Possible hard-coded password" in lax.stdout  # shown, but not blocking
        assert message_requests(log) == 1

        # pre-push: the pushed range; the same hunks, committed, are still cached.
        user.git("commit", "-q", "-m", "feature")
        pushed = try_repo(
            "--hook-stage", "pre-push", "--from-ref", config_commit, "--to-ref", user.head()
        )
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
        assert "Possible hard-coded password" in pushed.stdout
        assert message_requests(log) == 1
        assert base != config_commit


def snapshot_of_checkout(target: Path) -> Path:
    """This checkout's files, committed in a repository of their own.

    pre-commit clones what it installs, so uncommitted work would be missing;
    the snapshot holds the working tree as it is (tracked and untracked files
    that git does not ignore).
    """
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    repo = init_repo(target)
    repo.commit("snapshot")
    return target


def pre_commit_env(tmp_path: Path, base_url: str) -> dict[str, str]:
    """An environment in which pre-commit builds the hook's virtualenv without a network.

    pre-commit runs ``pip install .`` in a new virtualenv. The dependencies are
    those of the running tests, put on PYTHONPATH (pip then finds them already
    installed); the build backend is the setuptools wheel that virtualenv
    ships, since pyproject.toml asks for a newer one than a venv brings.
    PYTHONPATH is no site directory, so this checkout's editable install
    (a .pth file) is not picked up there: the hook runs the copy pip built.
    """
    build_tools = tmp_path / "build-tools"
    with zipfile.ZipFile(bundled_setuptools_wheel()) as wheel:
        wheel.extractall(build_tools)
    paths = sysconfig.get_paths()
    site_dirs = list(dict.fromkeys([paths["purelib"], paths["platlib"]]))
    env = {key: value for key, value in os.environ.items() if key != "REVIEWER_CACHE_DIR"}
    env.update(
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        PYTHONPATH=os.pathsep.join([str(build_tools), *site_dirs]),
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",  # pip's spelling of --no-build-isolation in the environment
        VIRTUALENV_NO_PERIODIC_UPDATE="1",
        ANTHROPIC_API_KEY=FAKE_API_KEY,
        ANTHROPIC_BASE_URL=base_url,
    )
    return env


def bundled_setuptools_wheel() -> Path:
    from virtualenv.seed.wheels.embed import BUNDLE_FOLDER

    def version(wheel: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", wheel.name.split("-")[1]))

    return max(Path(BUNDLE_FOLDER).glob("setuptools-*.whl"), key=version)


def message_requests(log: Path, *, verifications: bool = False) -> int:
    """The review's messages requests in the log (or, with ``verifications``, the
    verification pass's, which checks each finding after the review)."""
    if not log.exists():
        return 0
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return sum(
        1
        for line in lines
        if line["path"] == "/v1/messages" and asks_for_a_verdict(line["body"]) == verifications
    )


class messages_api_process:
    """The local Messages API in a process of its own, as pre-commit's hook must reach it."""

    def __init__(self, tmp_path: Path, log: Path) -> None:
        self.port_file = tmp_path / "api.port"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [
                *FAKE_API_PROCESS,
                *("--port-file", str(self.port_file), "--log", str(self.log)),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not self.port_file.exists():
            assert self.process.poll() is None, "the Messages API process exited"
            assert time.monotonic() < deadline, "the Messages API process did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port_file.read_text(encoding='utf-8').strip()}"

    def __exit__(self, *_: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)


# --- run directly ------------------------------------------------------------------------


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesAPI]:
    with MessagesAPI(markers_responder(extract=added_lines_in_request)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        for name in ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF", "PRE_COMMIT_REMOTE_NAME"):
            monkeypatch.delenv(name, raising=False)
        yield server


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("app.py", BASE_APP)
    git_repo.commit("base")
    return git_repo


def hook(repo: GitRepo, *args: str) -> int:
    return main(["hook", "--repo", str(repo.path), *args])


def sent(api: MessagesAPI) -> list[str]:
    """The review requests answered (the verification pass's left out), in order."""
    return [
        r.body["messages"][0]["content"][0]["text"]
        for r in review_requests(api.requests)
        if r.path == "/v1/messages" and r.status == 200
    ]


def test_the_staged_change_is_reviewed_and_a_major_finding_fails(
    api: MessagesAPI, repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("app.py", TODO_AND_PASSWORD)
    repo.stage("app.py")
    repo.write("unstaged.py", 'x = eval("1")\n')
    assert hook(repo) == 1
    out = capsys.readouterr().out
    assert "app.py:6 major security Possible hard-coded password" in out
    assert "app.py:2 minor maintainability Unresolved TODO" in out
    assert "eval" not in out
    assert [("DB_PASSWORD" in body, "unstaged.py" in body) for body in sent(api)] == [(True, False)]


def test_the_threshold_is_hook_fail_on_and_the_flag_overrides_it(
    api: MessagesAPI, repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("app.py", TODO_ONLY)
    repo.stage("app.py")
    assert hook(repo) == 0  # a minor finding, under the default: major
    assert "Unresolved TODO" in capsys.readouterr().out
    assert hook(repo, "--fail-on", "minor") == 1
    config = repo.path / "hook.yml"
    config.write_text("fail_on: nit\n", encoding="utf-8")  # the CI threshold is not the hook's
    assert hook(repo, "--config", str(config)) == 0
    config.write_text("hook_fail_on: minor\n", encoding="utf-8")
    assert hook(repo, "--config", str(config)) == 1
    config.write_text("hook_fail_on: never\n", encoding="utf-8")
    assert hook(repo, "--config", str(config), "--fail-on", "nit") == 1
    assert len(sent(api)) == 1  # thresholds are applied to cached findings


def test_a_clean_cached_run_prints_one_line(
    api: MessagesAPI, repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("app.py", BASE_APP + "\n\ndef names():\n    return sorted(os.environ)\n")
    repo.stage("app.py")
    assert hook(repo) == 0
    assert "No findings." in capsys.readouterr().out
    assert hook(repo) == 0
    assert capsys.readouterr().out == (
        "reviewer: no findings (1 hunk reviewed before, from the local cache)\n"
    )
    assert hook(repo, "--no-cache") == 0
    assert len(sent(api)) == 2


def test_pre_push_reviews_the_pushed_range_not_the_index(
    api: MessagesAPI,
    repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    remote_head = repo.head()
    repo.write("pushed.py", "# TODO: pushed\n")
    repo.commit("feature")
    repo.write("staged.py", 'y = eval("2")\n')
    repo.stage("staged.py")
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", remote_head)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", repo.head())
    assert hook(repo) == 0
    out = capsys.readouterr().out
    assert "pushed.py:1 minor maintainability Unresolved TODO" in out
    assert "staged.py" not in out
    assert ["staged.py" in body for body in sent(api)] == [False]


def test_a_push_without_a_base_on_the_remote_is_let_through(
    api: MessagesAPI,
    repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRE_COMMIT_REMOTE_NAME", "origin")
    assert hook(repo) == 0
    assert "no range to review" in capsys.readouterr().out
    assert sent(api) == []


def test_nothing_staged_is_nothing_to_review(
    api: MessagesAPI, repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("app.py", TODO_AND_PASSWORD)  # changed but not staged
    assert hook(repo) == 0
    assert capsys.readouterr().out == (
        "reviewer: nothing to review: the diff of staged changes is empty\n"
    )
    assert sent(api) == []


def test_without_a_key_it_warns_once_and_passes_but_local_checks_still_count(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    repo.write("app.py", TODO_AND_PASSWORD)
    repo.write("other.py", "z = 1\n")
    repo.stage()
    assert hook(repo) == 0
    captured = capsys.readouterr()
    assert captured.err.count("warning") == 1
    assert "ANTHROPIC_API_KEY is not set: 2 hunks not reviewed by Claude" in captured.err
    assert "app.py — not sent: ANTHROPIC_API_KEY is not set" in captured.out
    assert captured.out.startswith(
        "Review incomplete: 2 of 2 files not reviewed — not sent: ANTHROPIC_API_KEY is not set"
    )
    repo.write("settings.py", f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n')
    repo.stage("settings.py")
    assert hook(repo) == 1  # a secret is found locally, key or not
    out = capsys.readouterr().out
    assert "settings.py:1 critical security Secret in the diff" in out


def test_without_a_key_cached_reviews_still_apply(
    api: MessagesAPI,
    repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo.write("app.py", TODO_AND_PASSWORD)
    repo.stage("app.py")
    assert hook(repo) == 1
    capsys.readouterr()
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    assert hook(repo) == 1
    captured = capsys.readouterr()
    assert "Possible hard-coded password" in captured.out
    assert captured.err == ""  # nothing needed the key: no warning


def test_hook_require_key_turns_a_missing_key_into_an_error(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    repo.write(".github/reviewer.yml", "hook_require_key: true\n")
    repo.commit("config")
    repo.write("app.py", TODO_ONLY)
    repo.stage("app.py")
    assert hook(repo) == 2
    err = capsys.readouterr().err
    assert "reviewer: error: ANTHROPIC_API_KEY is not set" in err
    assert "hook_require_key" in err


def test_a_service_outage_does_not_block_the_commit(
    api: MessagesAPI, repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    api.inject(StatusFault(500, should_retry=False))
    repo.write("app.py", TODO_AND_PASSWORD)
    repo.stage("app.py")
    assert hook(repo) == 0
    out = capsys.readouterr().out
    assert out.startswith("Review incomplete: 1 of 1 file not reviewed — API error 500")
    assert hook(repo) == 1  # answered this time, and not taken from a cache of the failure
    assert len(sent(api)) == 1


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('hook_require_key: "yes"\n', "hook_require_key: must be true or false"),
        ("hook_fail_on: blocker\n", "hook_fail_on: must be one of"),
    ],
)
def test_bad_hook_settings_exit_2_naming_the_key(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], config: str, message: str
) -> None:
    repo.write(".github/reviewer.yml", config)
    assert hook(repo) == 2
    assert message in capsys.readouterr().err


def test_outside_a_repository_the_hook_exits_2(
    tmp_path: Path, isolated_git_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hook", "--repo", str(tmp_path)]) == 2
    assert "not a git repository" in capsys.readouterr().err


def test_the_hook_definition_is_what_pre_commit_expects() -> None:
    import yaml

    (definition,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert definition["id"] == "reviewer"
    assert definition["entry"] == "reviewer hook"
    assert definition["language"] == "python"
    assert definition["pass_filenames"] is False
    assert definition["require_serial"] is True
    assert definition["stages"] == ["pre-commit", "pre-push"]


def test_a_key_the_api_refuses_exits_3(
    api: MessagesAPI,
    repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong")
    repo.write("app.py", TODO_ONLY)
    repo.stage("app.py")
    assert hook(repo) == 3
    assert "refused the credentials (401)" in capsys.readouterr().err
