"""The Action gives the repository tools the pull request's head commit, read through git.

Under ``pull_request_target`` the workspace holds the base branch; the head is
fetched by its id into that checkout's git directory and read from there: never
checked out, nothing of it run. The review runs as a subprocess against the fake
GitHub and the fake Messages API, whose scripted model reads a file with a tool.
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import GitRepo
from tests.fakes.github_api import GitHubAPI, PullSpec
from tests.fakes.messages_api import (
    MessagesAPI,
    MessagesRequest,
    Reply,
    ToolCallSpec,
    ToolUseReply,
)
from tests.test_action_e2e import Harness, content

HEAD_ONLY = "changed_in_the_pull_request = True"
CLEAN: Reply = {"summary": "Looks fine.", "findings": []}


class ReadAppOnce:
    """One tool turn reading app.py, then a clean answer; every request kept."""

    def __init__(self) -> None:
        self.seen: list[MessagesRequest] = []

    def __call__(self, request: MessagesRequest) -> Reply:
        self.seen.append(request)
        if request.offers_tools and request.tool_turns == 0:
            read = {"path": "app.py", "start_line": None, "end_line": None}
            return ToolUseReply((ToolCallSpec("read_file", read),))
        return CLEAN


@pytest.fixture
def scripted() -> ReadAppOnce:
    return ReadAppOnce()


@pytest.fixture
def harness(git_repo: GitRepo, tmp_path: Path, scripted: ReadAppOnce) -> Iterator[Harness]:
    git_repo.write("app.py", content({}))
    git_repo.commit("base")
    git_repo.git("branch", "feature")
    (tmp_path / "home").mkdir(exist_ok=True)
    with GitHubAPI(git_repo.path) as github, MessagesAPI(scripted) as model:
        github.add_pull(PullSpec(number=7, head_ref="feature", title="Load data"))
        yield Harness(git_repo, github, model, tmp_path, itertools.count(1))


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_the_tools_read_the_head_commit_fetched_into_the_base_checkout(
    harness: Harness, scripted: ReadAppOnce
) -> None:
    workspace = harness.tmp / "workspace"
    subprocess.run(["git", "clone", "-q", str(harness.repo.path), str(workspace)], check=True)
    checked_out = git(workspace, "rev-parse", "HEAD")
    head = harness.push({5: HEAD_ONLY})

    run = harness.run()

    assert run.code == 0, run.stderr
    answered = [r for r in scripted.seen if r.tool_results]
    assert answered, "the model's tool call was answered"
    (result,) = answered[0].tool_results
    assert not result.is_error
    assert HEAD_ONLY in result.content  # the head's app.py, not the base checkout's
    assert git(workspace, "rev-parse", "HEAD") == checked_out  # nothing was checked out
    assert HEAD_ONLY not in (workspace / "app.py").read_text(encoding="utf-8")
    assert git(workspace, "cat-file", "-t", head) == "commit"  # fetched by its id


def test_without_a_checkout_the_review_runs_without_tools(
    harness: Harness, scripted: ReadAppOnce
) -> None:
    (harness.tmp / "workspace").mkdir()
    harness.push({5: HEAD_ONLY})

    run = harness.run()

    assert run.code == 0, run.stderr
    assert scripted.seen
    assert not any(request.offers_tools for request in scripted.seen)
    assert "warning" not in run.stderr  # context: tools means "where a tree is available"
