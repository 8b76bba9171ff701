"""reviewer.gitdiff against real git repositories, files and streams."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from reviewer.diff import Diff, FileStatus, parse_diff
from reviewer.errors import GitError, InputError
from reviewer.gitdiff import (
    DiffText,
    generated_paths,
    range_diff,
    read_diff_file,
    repo_root,
    staged_diff,
    worktree_diff,
)
from tests.conftest import GitRepo

LATIN1_DIFF = (
    b"diff --git a/caf\xc3\xa9.txt b/caf\xc3\xa9.txt\n"
    b"--- a/caf\xc3\xa9.txt\n"
    b"+++ b/caf\xc3\xa9.txt\n"
    b"@@ -1 +1 @@\n"
    b"-old\n"
    b"+caf\xe9 cr\xe8me\n"
)


def parsed(diff_text: DiffText) -> Diff:
    return parse_diff(diff_text.text, source=diff_text.source)


def paths(diff_text: DiffText) -> list[str]:
    return sorted(file.path for file in parsed(diff_text).files)


@pytest.fixture
def busy_repo(git_repo: GitRepo) -> GitRepo:
    """main and a feature branch that left it, main moved on, plus staged and unstaged edits.

    main:    base ── main-only.txt
    feature: base ── feature.txt, shared.txt edited
    work tree (on feature): staged.txt staged, unstaged.txt edited but not staged
    """
    git_repo.write("shared.txt", "one\ntwo\n")
    git_repo.write("unstaged.txt", "before\n")
    git_repo.commit("base")
    git_repo.git("switch", "-q", "-c", "feature")
    git_repo.write("feature.txt", "feature\n")
    git_repo.write("shared.txt", "one\nTWO\n")
    git_repo.commit("feature work")
    git_repo.git("switch", "-q", "main")
    git_repo.write("main-only.txt", "main moved on\n")
    git_repo.commit("main work")
    git_repo.git("switch", "-q", "feature")
    git_repo.write("staged.txt", "staged\n")
    git_repo.stage("staged.txt")
    git_repo.write("unstaged.txt", "after\n")
    return git_repo


def test_staged_diff_holds_only_the_index(busy_repo: GitRepo) -> None:
    result = staged_diff(busy_repo.path)

    assert result.source == "staged changes"
    assert paths(result) == ["staged.txt"]
    assert parsed(result).files[0].status is FileStatus.ADDED
    assert result.warnings == ()


def test_worktree_diff_holds_staged_and_unstaged(busy_repo: GitRepo) -> None:
    result = worktree_diff(busy_repo.path)

    assert result.source == "uncommitted changes"
    assert paths(result) == ["staged.txt", "unstaged.txt"]
    unstaged = parsed(result).file("unstaged.txt")
    assert unstaged is not None
    assert [line.text for line in unstaged.hunks[0].lines] == ["before", "after"]


def test_worktree_diff_names_the_untracked_files_it_leaves_out(busy_repo: GitRepo) -> None:
    assert worktree_diff(busy_repo.path).warnings == ()
    busy_repo.write("new/one.py", "1\n")
    busy_repo.write("new/two.py", "2\n")
    busy_repo.write("build.log", "ignored\n")
    busy_repo.write(".gitignore", "*.log\n")

    result = worktree_diff(busy_repo.path)

    assert paths(result) == ["staged.txt", "unstaged.txt"]
    # .gitignore itself is untracked too; build.log is ignored, so not counted
    assert result.warnings == (
        "3 untracked files were left out: only changes to tracked files are reviewed; "
        "to include a new file, run git add -N <path> (or git add -N . for all)",
    )
    busy_repo.git("add", "-N", "new/one.py")
    again = worktree_diff(busy_repo.path)
    assert "new/one.py" in paths(again)
    assert again.warnings[0].startswith("2 untracked files were left out")


def test_one_untracked_file_is_singular_and_staged_mode_says_nothing(git_repo: GitRepo) -> None:
    git_repo.write("tracked.txt", "a\n")
    git_repo.commit()
    git_repo.write("new.txt", "b\n")

    assert worktree_diff(git_repo.path).warnings[0].startswith("1 untracked file was left out")
    assert staged_diff(git_repo.path).warnings == ()  # a commit leaves them out by design


def test_generated_paths_follow_gitattributes(git_repo: GitRepo) -> None:
    git_repo.write(
        ".gitattributes",
        "*.gen.py linguist-generated\n"
        "api/** linguist-generated=true\n"
        "api/handwritten.py -linguist-generated\n"
        "docs/* linguist-generated=false\n",
    )
    asked = [
        "a.gen.py",
        "pkg/b.gen.py",
        "api/client.py",
        "api/handwritten.py",
        "docs/x.py",
        "src/main.py",
        "dir with space/é.gen.py",
    ]

    found = generated_paths(git_repo.path, asked)

    assert found == {"a.gen.py", "pkg/b.gen.py", "api/client.py", "dir with space/é.gen.py"}
    assert generated_paths(git_repo.path, []) == frozenset()


def test_generated_paths_from_a_subdirectory_are_relative_to_the_top(git_repo: GitRepo) -> None:
    git_repo.write(".gitattributes", "gen/** linguist-generated\n")
    (git_repo.path / "gen").mkdir()
    assert generated_paths(git_repo.path / "gen", ["gen/x.py", "x.py"]) == {"gen/x.py"}


def test_range_diff_uses_the_merge_base_like_a_pull_request(busy_repo: GitRepo) -> None:
    result = range_diff(busy_repo.path, "main", "feature")

    assert result.source == "main...feature"
    # main-only.txt came to main after feature left it: not part of the change
    assert paths(result) == ["feature.txt", "shared.txt"]


def test_range_diff_head_defaults_to_head(busy_repo: GitRepo) -> None:
    assert paths(range_diff(busy_repo.path, "main")) == ["feature.txt", "shared.txt"]
    assert range_diff(busy_repo.path, "main").source == "main...HEAD"


def test_works_from_a_subdirectory_with_paths_from_the_top(git_repo: GitRepo) -> None:
    git_repo.write("pkg/mod.py", "a\n")
    git_repo.write("top.txt", "a\n")
    git_repo.commit()
    git_repo.write("pkg/mod.py", "b\n")
    git_repo.write("top.txt", "b\n")
    subdirectory = git_repo.path / "pkg"
    git_repo.git("config", "diff.relative", "true")  # must not hide top.txt

    assert repo_root(subdirectory) == git_repo.path.resolve()
    assert paths(worktree_diff(subdirectory)) == ["pkg/mod.py", "top.txt"]


def test_repository_without_commits(git_repo: GitRepo) -> None:
    git_repo.write("first.txt", "hello\n")
    git_repo.stage()
    git_repo.write("first.txt", "hello\nworld\n")

    staged = parsed(staged_diff(git_repo.path))
    uncommitted = parsed(worktree_diff(git_repo.path))

    assert [(f.path, f.status) for f in staged.files] == [("first.txt", FileStatus.ADDED)]
    assert [line.text for line in staged.files[0].hunks[0].lines] == ["hello"]
    assert [(f.path, f.status) for f in uncommitted.files] == [("first.txt", FileStatus.ADDED)]
    assert [line.text for line in uncommitted.files[0].hunks[0].lines] == ["hello", "world"]


def test_empty_repository_has_an_empty_diff(git_repo: GitRepo) -> None:
    assert worktree_diff(git_repo.path).text == ""
    assert staged_diff(git_repo.path).text == ""
    assert parsed(worktree_diff(git_repo.path)).is_empty


def test_unknown_revision(busy_repo: GitRepo) -> None:
    with pytest.raises(GitError, match=r"^unknown revision 'nope'$"):
        range_diff(busy_repo.path, "nope")
    with pytest.raises(GitError, match=r"^unknown revision 'main\.\.\.feature'$"):
        range_diff(busy_repo.path, "main", "main...feature")


def test_revision_in_a_repository_without_commits(git_repo: GitRepo) -> None:
    with pytest.raises(GitError) as caught:
        range_diff(git_repo.path, "main")
    assert caught.value.message == "unknown revision 'main'"
    assert caught.value.hint == "the repository has no commits yet"


def test_revision_that_looks_like_an_option_is_refused(busy_repo: GitRepo, tmp_path: Path) -> None:
    target = tmp_path / "written"
    with pytest.raises(InputError, match="invalid revision '--output="):
        range_diff(busy_repo.path, f"--output={target}")
    assert not target.exists()


def test_unrelated_histories(busy_repo: GitRepo) -> None:
    busy_repo.commit("tidy up before switching")
    busy_repo.git("switch", "-q", "--orphan", "island")
    busy_repo.write("island.txt", "alone\n")
    busy_repo.commit("island")

    with pytest.raises(GitError, match="'main' and 'island' have no common ancestor"):
        range_diff(busy_repo.path, "main", "island")


GitCall = Callable[[Path], object]
GIT_CALLS: list[tuple[str, GitCall]] = [
    ("staged", staged_diff),
    ("worktree", worktree_diff),
    ("range", lambda path: range_diff(path, "main")),
    ("root", repo_root),
]


@pytest.mark.parametrize("call", [c for _, c in GIT_CALLS], ids=[n for n, _ in GIT_CALLS])
def test_not_a_repository(
    tmp_path: Path, isolated_git_env: None, monkeypatch: pytest.MonkeyPatch, call: GitCall
) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "a.txt").write_text("not tracked\n")
    # keep git from finding a repository above tmp_path (a developer's checkout, say)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))

    with pytest.raises(GitError) as caught:
        call(outside)

    assert str(caught.value) == f"not a git repository: {outside}"


@pytest.mark.parametrize("call", [c for _, c in GIT_CALLS], ids=[n for n, _ in GIT_CALLS])
def test_missing_directory(tmp_path: Path, call: GitCall) -> None:
    with pytest.raises(InputError, match=f"^directory not found: {tmp_path / 'gone'}$"):
        call(tmp_path / "gone")


def test_git_missing_from_path(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))

    # A GitError, so that `reviewer review --diff FILE` still works without git.
    with pytest.raises(GitError, match=r"^git is not installed or not on PATH") as caught:
        staged_diff(git_repo.path)
    assert caught.value.hint is not None


def assert_parses_cleanly(result: DiffText) -> None:
    assert "\x1b[" not in result.text
    assert "diff --git a/ä/naïve.txt b/ä/naïve.txt" in result.text
    assert sorted((f.path, f.status) for f in parsed(result).files) == [
        ("docs/guide.md", FileStatus.MODIFIED),
        ("renamed.txt", FileStatus.RENAMED),
        ("ä/naïve.txt", FileStatus.MODIFIED),
    ]


def test_user_configuration_does_not_change_what_we_parse(git_repo: GitRepo) -> None:
    git_repo.write("ä/naïve.txt", "one\n")
    git_repo.write("docs/guide.md", "old\n")
    git_repo.write("rename me.txt", "".join(f"line {n}\n" for n in range(20)))
    base = git_repo.commit()
    git_repo.write("ä/naïve.txt", "two\n")
    git_repo.write("docs/guide.md", "new\n")
    git_repo.move("rename me.txt", "renamed.txt")
    git_repo.stage()
    for key, value in [
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("color.ui", "always"),
        ("color.diff", "always"),
        ("core.quotepath", "true"),
        ("diff.renames", "false"),
        ("diff.external", "false"),  # an external diff program that prints nothing
        ("diff.submodule", "log"),
    ]:
        git_repo.git("config", key, value)
    raw = git_repo.diff("--cached", "--no-ext-diff")
    assert "\x1b[" in raw  # the configuration really is in force for plain git
    assert "diff --git ä" not in raw

    assert_parses_cleanly(staged_diff(git_repo.path))
    git_repo.commit()
    assert_parses_cleanly(range_diff(git_repo.path, base))


def test_latin1_file_in_a_git_diff_is_replaced_and_noted(git_repo: GitRepo) -> None:
    git_repo.write("legacy.txt", b"caf\xe9\n")
    git_repo.commit()
    git_repo.write("legacy.txt", b"caf\xe9\ncr\xe8me\n")

    result = worktree_diff(git_repo.path)

    file = parsed(result).files[0]
    assert file.path == "legacy.txt"
    assert [line.text for line in file.hunks[0].lines] == ["caf\ufffd", "cr\ufffdme"]
    assert len(result.warnings) == 1
    assert "uncommitted changes: line 6" in result.warnings[0]
    assert "not UTF-8" in result.warnings[0]


def test_stdin_as_bytes() -> None:
    result = read_diff_file("-", io.BytesIO(LATIN1_DIFF))

    assert result.source == "<stdin>"
    file = parse_diff(result.text, source=result.source).files[0]
    assert file.path == "café.txt"
    assert file.hunks[0].lines[1].text == "caf\ufffd cr\ufffdme"
    assert result.warnings == (
        "<stdin>: line 6 and maybe others hold bytes that are not "
        "UTF-8; they were replaced with U+FFFD",
    )


def test_stdin_as_text_reads_the_bytes_underneath() -> None:
    """sys.stdin under a strict locale would refuse the Latin-1 byte; its buffer does not."""
    stdin = io.TextIOWrapper(io.BytesIO(LATIN1_DIFF), encoding="ascii", errors="strict")

    result = read_diff_file("-", stdin)

    assert "caf\ufffd cr\ufffdme" in result.text
    assert len(result.warnings) == 1


def test_stdin_as_plain_text_stream() -> None:
    result = read_diff_file("-", io.StringIO("\ufeffdiff --git a/x b/x\n"))
    assert result == DiffText("diff --git a/x b/x\n", "<stdin>")


def test_diff_file_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "change.diff"
    path.write_bytes(b"\xef\xbb\xbf" + LATIN1_DIFF.replace(b"\xe9", b"e").replace(b"\xe8", b"e"))

    result = read_diff_file(str(path), io.BytesIO(b"unused"))

    assert result.source == str(path)
    assert result.warnings == ()
    assert result.text.startswith("diff --git a/café.txt")
    assert [f.path for f in parsed(result).files] == ["café.txt"]


def test_diff_file_with_latin1_bytes(tmp_path: Path) -> None:
    path = tmp_path / "change.diff"
    path.write_bytes(LATIN1_DIFF)

    result = read_diff_file(str(path), io.BytesIO())

    assert result.warnings == (
        f"{path}: line 6 and maybe others hold bytes that are not UTF-8; "
        "they were replaced with U+FFFD",
    )


def test_diff_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "missing.diff"
    with pytest.raises(InputError, match=f"^diff file not found: {missing}$"):
        read_diff_file(str(missing), io.BytesIO())


def test_diff_file_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"^diff file is a directory: {tmp_path}$"):
        read_diff_file(str(tmp_path), io.BytesIO())


def test_git_warnings_are_passed_on(git_repo: GitRepo) -> None:
    for n in range(3):
        git_repo.write(f"old{n}.txt", "".join(f"file {n} line {i}\n" for i in range(20)))
    git_repo.commit()
    for n in range(3):
        git_repo.move(f"old{n}.txt", f"new{n}.txt")
        with (git_repo.path / f"new{n}.txt").open("a") as changed:
            changed.write("changed, so only inexact rename detection finds it\n")
    git_repo.stage()
    git_repo.git("config", "diff.renameLimit", "1")

    result = staged_diff(git_repo.path)

    assert any("rename detection was skipped" in w for w in result.warnings), result.warnings
    assert all(w.startswith("git: warning:") for w in result.warnings)
