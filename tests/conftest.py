"""Shared fixtures. Tests run real `git` in temporary repositories, never mocks of it."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

# Variables that git sets for hooks, or users set by hand, which would point
# git at the enclosing repository or change what `git diff` prints.
_INHERITED_GIT_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_EXTERNAL_DIFF",
    "GIT_DIFF_OPTS",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
)


@dataclass(frozen=True)
class GitRepo:
    """A throwaway repository with helpers to write, stage, commit and diff."""

    path: Path

    def git(self, *args: str, stdin: bytes | None = None) -> str:
        """Run git in the repository and return its output (UTF-8, undecodable bytes replaced)."""
        return self.git_bytes(*args, stdin=stdin).decode("utf-8", errors="replace")

    def git_bytes(self, *args: str, stdin: bytes | None = None) -> bytes:
        completed = subprocess.run(
            ["git", "-C", str(self.path), *args],
            input=stdin,
            capture_output=True,
            check=False,
        )
        if completed.returncode != 0:
            raise AssertionError(
                f"git {' '.join(args)} failed ({completed.returncode}): "
                f"{completed.stderr.decode(errors='replace')}"
            )
        return completed.stdout

    def write(self, name: str, content: str | bytes, *, executable: bool = False) -> Path:
        """Write ``content`` byte for byte (no newline translation), creating directories."""
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        if executable:
            target.chmod(0o755)
        return target

    def move(self, old: str, new: str) -> None:
        """``git mv``, creating the new parent directory first."""
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", "--", old, new)

    def remove(self, name: str) -> None:
        (self.path / name).unlink()

    def stage(self, *names: str) -> None:
        """Stage ``names``, or every change when none are given."""
        if names:
            self.git("add", "-A", "--", *names)
        else:
            self.git("add", "-A")

    def commit(self, message: str = "change") -> str:
        """Stage everything, commit (empty commits allowed) and return the commit id."""
        self.stage()
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def diff(self, *args: str) -> str:
        """``git diff ARGS`` with this repository's (default) configuration."""
        return self.git("diff", *args)


def init_repo(path: Path) -> GitRepo:
    """``git init`` at ``path`` with a local identity and no signing."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    repo = GitRepo(path)
    repo.git("config", "user.name", "Test Author")
    repo.git("config", "user.email", "author@example.com")
    repo.git("config", "commit.gpgsign", "false")
    repo.git("config", "core.autocrlf", "false")
    return repo


@pytest.fixture(autouse=True)
def private_review_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A review cache of each test's own: none reads another's, or writes into the checkout's .git."""
    directory = tmp_path_factory.mktemp("review-cache")
    monkeypatch.setenv("REVIEWER_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def isolated_git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's git configuration and any enclosing repository out of tests."""
    for name in _INHERITED_GIT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")


@pytest.fixture
def git_repo(tmp_path: Path, isolated_git_env: None) -> GitRepo:
    """A fresh repository with no commits, in ``tmp_path / "repo"``."""
    return init_repo(tmp_path / "repo")
