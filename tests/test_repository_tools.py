"""The repository tree and its tools, over real git in temporary repositories.

Each tree kind (a commit, the index, the working tree) is read through git, with
paths confined: ``..``, absolute paths and symlinks that lead outside answer with a
tool error, never with content.
"""

from __future__ import annotations

import os

import pytest

from reviewer.prompt import estimate_tokens
from reviewer.repository.tools import RepositoryTools, ToolBudget, ToolCall
from reviewer.repository.tree import GitTree, PathRefused
from reviewer.secrets import redact_text
from tests.conftest import GitRepo

AWS_KEY = "AKIAQYLPMN5HHHFPZAM2"  # the shape of an access key id, not a live one


def tools_over(tree: GitTree) -> RepositoryTools:
    return RepositoryTools(tree, redact=redact_text, estimate=estimate_tokens)


def call(
    tools: RepositoryTools, name: str, room: int = 20_000, **given: object
) -> tuple[str, bool]:
    return tools.run(ToolCall("toolu_1", name, given), room)


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("src/util.py", "def helper(x):\n    return x * 2\n")
    git_repo.write("src/app.py", "from util import helper\n\nprint(helper(2))\n")
    git_repo.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0binary")
    git_repo.commit("initial")
    return git_repo


def trees(repo: GitRepo) -> list[GitTree]:
    return [
        GitTree.at_commit(repo.path, "HEAD"),
        GitTree.index(repo.path),
        GitTree.worktree(repo.path),
    ]


def test_each_tree_reads_its_own_state_of_a_file(repo: GitRepo) -> None:
    repo.write("src/util.py", "def helper(x):\n    return x * 3  # staged\n")
    repo.stage("src/util.py")
    repo.write("src/util.py", "def helper(x):\n    return x * 4  # on disk\n")
    contents = [tree.read("src/util.py")[1] for tree in trees(repo)]
    assert [line.split(b"\n")[1].strip() for line in contents] == [
        b"return x * 2",
        b"return x * 3  # staged",
        b"return x * 4  # on disk",
    ]


def test_read_file_numbers_lines_and_reads_a_range(repo: GitRepo) -> None:
    tools = tools_over(GitTree.at_commit(repo.path, "HEAD"))
    text, is_error = call(tools, "read_file", path="src/app.py", start_line=3, end_line=None)
    assert not is_error
    assert "src/app.py, lines 3-3 of 3" in text
    assert "3  print(helper(2))" in text
    assert "from util import" not in text
    assert "<<<BEGIN TOOL-RESULT " in text
    assert "<<<END TOOL-RESULT " in text


@pytest.mark.parametrize("path", ["../outside.txt", "src/../../outside.txt", "/etc/passwd", "C:/x"])
def test_paths_that_leave_the_repository_are_refused(repo: GitRepo, path: str) -> None:
    (repo.path.parent / "outside.txt").write_text("outside secret\n")
    for tree in trees(repo):
        text, is_error = call(
            tools_over(tree), "read_file", path=path, start_line=None, end_line=None
        )
        assert is_error
        assert text.startswith("refused:")
        assert "outside secret" not in text
        assert "root:" not in text


def test_symlinks_that_escape_are_refused_and_those_inside_are_followed(repo: GitRepo) -> None:
    (repo.path.parent / "outside.txt").write_text("outside secret\n")
    os.symlink("../outside.txt", repo.path / "escape")
    os.symlink(str(repo.path.parent / "outside.txt"), repo.path / "absolute")
    os.symlink("util.py", repo.path / "src" / "alias.py")
    repo.commit("links")
    for tree in trees(repo):
        tools = tools_over(tree)
        for link in ("escape", "absolute"):
            text, is_error = call(tools, "read_file", path=link, start_line=None, end_line=None)
            assert is_error, (tree.kind, link)
            assert "outside secret" not in text
        text, is_error = call(
            tools, "read_file", path="src/alias.py", start_line=None, end_line=None
        )
        assert not is_error
        assert "def helper" in text
        assert "src/util.py (via src/alias.py)" in text


def test_a_directory_swapped_for_a_symlink_on_disk_is_not_followed(repo: GitRepo) -> None:
    outside = repo.path.parent / "elsewhere"
    outside.mkdir()
    (outside / "util.py").write_text("planted = 'outside secret'\n")
    for name in ("util.py", "app.py"):
        (repo.path / "src" / name).unlink()
    (repo.path / "src").rmdir()
    os.symlink(str(outside), repo.path / "src")
    tools = tools_over(GitTree.worktree(repo.path))
    text, is_error = call(tools, "read_file", path="src/util.py", start_line=None, end_line=None)
    assert is_error
    assert "outside the repository" in text
    text, is_error = call(tools, "search", pattern="planted", literal=True, path_glob=None)
    assert not is_error
    assert text.startswith("0 matching lines")
    assert "outside secret" not in text


def test_untracked_and_binary_files_are_refused(repo: GitRepo) -> None:
    repo.write(".env", f"AWS_ACCESS_KEY_ID={AWS_KEY}\n")
    tools = tools_over(GitTree.worktree(repo.path))
    text, is_error = call(tools, "read_file", path=".env", start_line=None, end_line=None)
    assert is_error
    assert "not a tracked file" in text
    assert AWS_KEY not in text
    text, is_error = call(tools, "read_file", path="logo.png", start_line=None, end_line=None)
    assert is_error
    assert "binary" in text


def test_search_finds_a_definition_in_another_file_and_honours_the_glob(repo: GitRepo) -> None:
    repo.write("docs/notes.md", "helper is documented here\n")
    repo.commit("docs")
    tools = tools_over(GitTree.at_commit(repo.path, "HEAD"))
    text, is_error = call(tools, "search", pattern=r"def helper\(", literal=False, path_glob=None)
    assert not is_error
    assert "src/util.py:1: def helper(x):" in text
    text, _ = call(tools, "search", pattern="helper", literal=True, path_glob="*.md")
    assert "docs/notes.md:1:" in text
    assert "src/" not in text


def test_an_invalid_pattern_is_a_tool_error(repo: GitRepo) -> None:
    tools = tools_over(GitTree.index(repo.path))
    text, is_error = call(tools, "search", pattern="(unclosed", literal=False, path_glob=None)
    assert is_error
    assert "search failed" in text


def test_list_files_matches_globs_at_any_depth(repo: GitRepo) -> None:
    tools = tools_over(GitTree.index(repo.path))
    text, is_error = call(tools, "list_files", glob="*.py")
    assert not is_error
    assert "2 tracked paths match" in text
    assert "src/app.py" in text
    assert "logo.png" not in text
    text, is_error = call(tools, "list_files", glob="../*")
    assert is_error


def test_a_secret_in_a_file_read_by_a_tool_is_redacted(repo: GitRepo) -> None:
    repo.write("deploy/settings.py", f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n')
    repo.commit("settings")
    tools = tools_over(GitTree.at_commit(repo.path, "HEAD"))
    read, _ = call(tools, "read_file", path="deploy/settings.py", start_line=None, end_line=None)
    found, _ = call(tools, "search", pattern="AWS_ACCESS", literal=True, path_glob=None)
    for text in (read, found):
        assert AWS_KEY not in text
        assert "AWS_ACCESS_KEY_ID" in text


def test_a_large_file_is_cut_to_the_budget_with_a_note(repo: GitRepo) -> None:
    repo.write("big.txt", "".join(f"line number {n} of a long file\n" for n in range(1, 5001)))
    repo.commit("big")
    tools = tools_over(GitTree.at_commit(repo.path, "HEAD"))
    text, is_error = call(
        tools, "read_file", room=2_000, path="big.txt", start_line=None, end_line=None
    )
    assert not is_error
    assert estimate_tokens(text) <= 2_100
    assert "cut at line" in text
    assert "ask for a line range" in text


def test_a_session_spends_its_turns_and_result_tokens(repo: GitRepo) -> None:
    session = tools_over(GitTree.index(repo.path)).session(ToolBudget(2, 1_000))
    read = ToolCall("a", "read_file", {"path": "src/util.py", "start_line": None, "end_line": None})
    first = session.run_turn([read])
    assert not first[0].is_error
    assert not session.spent
    session.run_turn([read])
    assert session.spent  # two turns of two


def test_the_index_leaves_out_a_conflicted_path(repo: GitRepo) -> None:
    with pytest.raises(PathRefused):
        GitTree.index(repo.path).read("nope.py")
