"""reviewer.diff against diffs made by real git, GNU diff and difflib, and against broken ones."""

from __future__ import annotations

import difflib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer.diff import (
    Diff,
    DiffLine,
    FileDiff,
    FileStatus,
    Hunk,
    LineKind,
    parse_diff,
    split_lines,
    unquote_path,
)
from reviewer.errors import DiffError
from reviewer.values import Side
from tests.conftest import GitRepo

SOURCE = "change.diff"
RIGHT_KINDS = {LineKind.ADDED, LineKind.CONTEXT}
LEFT_KINDS = {LineKind.REMOVED, LineKind.CONTEXT}


def parse(text: str) -> Diff:
    return parse_diff(text, source=SOURCE)


def only_file(diff: Diff) -> FileDiff:
    assert len(diff.files) == 1, [f.path for f in diff.files]
    return diff.files[0]


def numbered(first: int, last: int) -> frozenset[int]:
    return frozenset(range(first, last + 1))


def content_lines(text: str) -> list[str]:
    """A file's lines as git numbers them: split on \\n only, line endings dropped."""
    return [line.removesuffix("\n").removesuffix("\r") for line in split_lines(text)]


def assert_matches_files(file: FileDiff, old: str | None, new: str | None) -> None:
    """Every numbered line shows the text the real file has at that number.

    This is what makes an anchor trustworthy: a comment on RIGHT line n lands on
    line n of the new file, one on LEFT line n on line n of the old file.
    """
    old_lines = content_lines(old) if old is not None else []
    new_lines = content_lines(new) if new is not None else []
    for hunk in file.hunks:
        for line in hunk.lines:
            if line.old_no is not None:
                assert old_lines[line.old_no - 1] == line.text, (line, "old")
            if line.new_no is not None:
                assert new_lines[line.new_no - 1] == line.text, (line, "new")


def assert_commentable_is_github_rule(file: FileDiff) -> None:
    """RIGHT = added + context by new number, LEFT = removed + context by old number."""
    lines = [line for hunk in file.hunks for line in hunk.lines]
    right = {line.new_no for line in lines if line.kind in RIGHT_KINDS}
    left = {line.old_no for line in lines if line.kind in LEFT_KINDS}
    assert file.commentable(Side.RIGHT) == right
    assert file.commentable(Side.LEFT) == left
    for side, kinds in ((Side.RIGHT, RIGHT_KINDS), (Side.LEFT, LEFT_KINDS)):
        for number in file.commentable(side):
            hunk = file.hunk_for(number, side)
            assert hunk is not None
            found = hunk.line_at(number, side)
            assert found is not None
            assert found.kind in kinds
            assert found.number(side) == number


def assert_hunks_consistent(hunk: Hunk) -> None:
    """Old-side and new-side numbers run without gaps over exactly the header's ranges."""
    old = [line.old_no for line in hunk.lines if line.kind is not LineKind.ADDED]
    new = [line.new_no for line in hunk.lines if line.kind is not LineKind.REMOVED]
    assert old == list(range(hunk.old_start, hunk.old_start + hunk.old_count))
    assert new == list(range(hunk.new_start, hunk.new_start + hunk.new_count))


def lines_of(count: int, template: str = "line{:02d}") -> str:
    return "".join(template.format(n) + "\n" for n in range(1, count + 1))


# --- text changes -------------------------------------------------------------------------


def test_modified_file_with_several_hunks(git_repo: GitRepo) -> None:
    old = lines_of(30)
    git_repo.write("f.txt", old)
    git_repo.commit()
    new_lines = old.splitlines()
    new_lines[2] = "LINE03"
    del new_lines[14]
    new_lines[25:25] = ["new A", "new B"]
    new = "\n".join(new_lines) + "\n"
    git_repo.write("f.txt", new)

    file = only_file(parse(git_repo.diff()))

    assert (file.path, file.old_path, file.status) == ("f.txt", None, FileStatus.MODIFIED)
    assert not file.is_binary
    assert [h.header for h in file.hunks] == [
        "@@ -1,6 +1,6 @@",
        "@@ -12,7 +12,6 @@ line11",
        "@@ -24,6 +23,8 @@ line23",
    ]
    assert file.commentable(Side.RIGHT) == numbered(1, 6) | numbered(12, 17) | numbered(23, 30)
    assert file.commentable(Side.LEFT) == numbered(1, 6) | numbered(12, 18) | numbered(24, 29)
    # outside every hunk there is nothing to anchor to, on either side
    assert file.hunk_for(9, Side.RIGHT) is None
    assert file.hunk_for(20, Side.LEFT) is None
    changed = [(line.kind, line.old_no, line.new_no, line.text) for line in file.hunks[0].lines]
    assert (LineKind.REMOVED, 3, None, "line03") in changed
    assert (LineKind.ADDED, None, 3, "LINE03") in changed
    assert [(h.added, h.removed) for h in file.hunks] == [(1, 1), (0, 1), (2, 0)]
    assert (file.added, file.removed) == (3, 2)
    assert file.old_mode == file.new_mode == "100644"
    assert_matches_files(file, old, new)
    assert_commentable_is_github_rule(file)
    for hunk in file.hunks:
        assert_hunks_consistent(hunk)


def test_hunks_without_context_have_zero_counts(git_repo: GitRepo) -> None:
    old = lines_of(10)
    git_repo.write("f.txt", old)
    git_repo.commit()
    new = old.replace("line03\n", "").replace("line07\n", "line07\nx\ny\n")
    git_repo.write("f.txt", new)

    file = only_file(parse(git_repo.diff("-U0")))

    assert [h.header for h in file.hunks] == ["@@ -3,1 +2,0 @@ line02", "@@ -7,0 +7,2 @@ line07"]
    assert file.commentable(Side.LEFT) == {3}
    assert file.commentable(Side.RIGHT) == {7, 8}
    assert_matches_files(file, old, new)
    for hunk in file.hunks:
        assert_hunks_consistent(hunk)


def test_added_file(git_repo: GitRepo) -> None:
    git_repo.commit("empty start")
    git_repo.write("src/new.py", lines_of(4))
    git_repo.stage()

    file = only_file(parse(git_repo.diff("--cached")))

    assert (file.path, file.old_path, file.status) == ("src/new.py", None, FileStatus.ADDED)
    assert [h.header for h in file.hunks] == ["@@ -0,0 +1,4 @@"]
    assert file.commentable(Side.RIGHT) == numbered(1, 4)
    assert file.commentable(Side.LEFT) == frozenset()
    assert (file.old_mode, file.new_mode) == (None, "100644")
    assert_matches_files(file, None, lines_of(4))


def test_added_empty_file_has_no_hunks_and_its_path_from_the_git_header(
    git_repo: GitRepo,
) -> None:
    git_repo.commit("empty start")
    git_repo.write("docs/empty file.txt", "")
    git_repo.stage()

    file = only_file(parse(git_repo.diff("--cached")))

    assert (file.path, file.status, file.hunks) == ("docs/empty file.txt", FileStatus.ADDED, ())


def test_deleted_file_path_is_the_old_path(git_repo: GitRepo) -> None:
    git_repo.write("gone.txt", lines_of(3))
    git_repo.write("kept.txt", "kept\n")
    git_repo.commit()
    git_repo.remove("gone.txt")

    file = only_file(parse(git_repo.diff()))

    assert (file.path, file.old_path, file.status) == ("gone.txt", None, FileStatus.DELETED)
    assert [h.header for h in file.hunks] == ["@@ -1,3 +0,0 @@"]
    assert file.commentable(Side.LEFT) == numbered(1, 3)
    assert file.commentable(Side.RIGHT) == frozenset()
    assert (file.old_mode, file.new_mode) == ("100644", None)
    assert_matches_files(file, lines_of(3), None)


def test_pure_rename_has_both_paths_and_no_hunks(git_repo: GitRepo) -> None:
    git_repo.write("old/name.py", lines_of(20))
    base = git_repo.commit()
    git_repo.move("old/name.py", "new/place.py")
    head = git_repo.commit()

    file = only_file(parse(git_repo.diff("-M", base, head)))

    assert (file.path, file.old_path) == ("new/place.py", "old/name.py")
    assert file.status is FileStatus.RENAMED
    assert file.hunks == ()
    assert file.commentable(Side.RIGHT) == file.commentable(Side.LEFT) == frozenset()


def test_rename_with_changes(git_repo: GitRepo) -> None:
    old = lines_of(20)
    git_repo.write("a.py", old)
    base = git_repo.commit()
    git_repo.move("a.py", "b.py")
    new = old.replace("line10\n", "line ten\n")
    git_repo.write("b.py", new)
    head = git_repo.commit()

    file = only_file(parse(git_repo.diff("-M", base, head)))

    assert (file.path, file.old_path, file.status) == ("b.py", "a.py", FileStatus.RENAMED)
    assert [h.header for h in file.hunks] == ["@@ -7,7 +7,7 @@ line06"]
    assert file.commentable(Side.RIGHT) == numbered(7, 13)
    assert file.commentable(Side.LEFT) == numbered(7, 13)
    assert_matches_files(file, old, new)


def test_copies_with_and_without_changes(git_repo: GitRepo) -> None:
    original = lines_of(20, "original {}")
    git_repo.write("orig.txt", original)
    base = git_repo.commit()
    git_repo.write("exact.txt", original)
    changed = original.replace("original 5\n", "copied 5\n")
    git_repo.write("changed.txt", changed)
    head = git_repo.commit()

    diff = parse(git_repo.diff("-C", "--find-copies-harder", base, head))

    exact, edited = diff.file("exact.txt"), diff.file("changed.txt")
    assert exact is not None
    assert edited is not None
    assert len(diff.files) == 2
    assert (exact.status, exact.old_path, exact.hunks) == (FileStatus.COPIED, "orig.txt", ())
    assert (edited.status, edited.old_path) == (FileStatus.COPIED, "orig.txt")
    assert edited.commentable(Side.RIGHT) == numbered(2, 8)
    assert_matches_files(edited, original, changed)


def test_mode_only_change_has_no_hunks_and_records_modes(git_repo: GitRepo) -> None:
    git_repo.write("run.sh", "echo hi\n")
    git_repo.commit()
    (git_repo.path / "run.sh").chmod(0o755)

    file = only_file(parse(git_repo.diff()))

    assert (file.path, file.status, file.hunks) == ("run.sh", FileStatus.MODIFIED, ())
    assert (file.old_mode, file.new_mode) == ("100644", "100755")
    assert file.mode_changed
    assert not file.is_binary


def test_mode_and_content_change(git_repo: GitRepo) -> None:
    git_repo.write("run.sh", "echo hi\n")
    git_repo.commit()
    git_repo.write("run.sh", "echo hello\n", executable=True)

    file = only_file(parse(git_repo.diff()))

    assert (file.old_mode, file.new_mode, file.mode_changed) == ("100644", "100755", True)
    assert file.commentable(Side.RIGHT) == {1}
    assert file.commentable(Side.LEFT) == {1}


# --- binary files -------------------------------------------------------------------------

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


@pytest.mark.parametrize("binary_flag", [(), ("--binary",)], ids=["differ-line", "git-binary"])
def test_binary_files(git_repo: GitRepo, binary_flag: tuple[str, ...]) -> None:
    git_repo.write("img/logo.png", PNG_BYTES)
    git_repo.write("data.bin", b"\x00\x01\x02")
    base = git_repo.commit()
    git_repo.write("img/logo.png", PNG_BYTES[::-1])
    git_repo.write("img/new.png", PNG_BYTES)
    git_repo.write("img/cats and dogs.png", PNG_BYTES)  # " and " as in "Binary files X and Y"
    git_repo.remove("data.bin")
    head = git_repo.commit()

    text = git_repo.diff(*binary_flag, base, head)
    marker = "GIT binary patch" if binary_flag else "Binary files a/img/logo.png"
    assert marker in text
    diff = parse(text)

    statuses = {f.path: (f.status, f.is_binary, f.hunks) for f in diff.files}
    assert statuses == {
        "data.bin": (FileStatus.DELETED, True, ()),
        "img/logo.png": (FileStatus.MODIFIED, True, ()),
        "img/new.png": (FileStatus.ADDED, True, ()),
        "img/cats and dogs.png": (FileStatus.ADDED, True, ()),
    }


@pytest.mark.parametrize("binary_flag", [(), ("--binary",)], ids=["differ-line", "git-binary"])
def test_binary_between_text_files(git_repo: GitRepo, binary_flag: tuple[str, ...]) -> None:
    git_repo.write("a.txt", lines_of(5))
    git_repo.write("b.bin", PNG_BYTES)
    git_repo.write("c.txt", lines_of(5))
    base = git_repo.commit()
    new_a = lines_of(5).replace("line01", "first")
    new_c = lines_of(5).replace("line05", "last")
    git_repo.write("a.txt", new_a)
    git_repo.write("b.bin", PNG_BYTES + b"\x00more")
    git_repo.write("c.txt", new_c)
    head = git_repo.commit()

    diff = parse(git_repo.diff(*binary_flag, base, head))

    assert [(f.path, f.is_binary) for f in diff.files] == [
        ("a.txt", False),
        ("b.bin", True),
        ("c.txt", False),
    ]
    a, c = diff.files[0], diff.files[2]
    assert a.commentable(Side.RIGHT) == numbered(1, 4)
    assert c.commentable(Side.RIGHT) == numbered(2, 5)
    assert_matches_files(a, lines_of(5), new_a)
    assert_matches_files(c, lines_of(5), new_c)


# --- line endings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("one\ntwo\nthree", "one\ntwo\nTHREE"),
        ("one\ntwo\nthree", "one\ntwo\nthree\n"),
        ("one\ntwo\nthree\n", "one\ntwo\nthree"),
    ],
    ids=["both-sides", "old-side", "new-side"],
)
def test_no_newline_at_end_of_file_is_not_a_line(git_repo: GitRepo, old: str, new: str) -> None:
    git_repo.write("f.txt", old)
    git_repo.commit()
    git_repo.write("f.txt", new)
    text = git_repo.diff()
    assert "\\ No newline at end of file" in text

    file = only_file(parse(text))

    texts = [line.text for hunk in file.hunks for line in hunk.lines]
    assert not any("No newline" in t for t in texts)
    assert file.commentable(Side.RIGHT) == numbered(1, 3)
    assert file.commentable(Side.LEFT) == numbered(1, 3)
    assert file.hunks[0].lines[-1].text in ("three", "THREE")
    assert_matches_files(file, old, new)
    assert_hunks_consistent(file.hunks[0])


def test_crlf_file_keeps_line_numbers(git_repo: GitRepo) -> None:
    old = "".join(f"row {n}\r\n" for n in range(1, 11))
    git_repo.write("win.txt", old)
    git_repo.commit()
    new = old.replace("row 6\r\n", "row six\r\n")
    git_repo.write("win.txt", new)
    text = git_repo.diff()
    assert "+row six\r\n" in text

    file = only_file(parse(text))

    assert file.commentable(Side.RIGHT) == numbered(3, 9)
    added = [line for line in file.hunks[0].lines if line.kind is LineKind.ADDED]
    assert added == [DiffLine(LineKind.ADDED, None, 6, "row six")]
    assert_matches_files(file, old, new)


def test_lone_carriage_returns_and_unicode_separators_are_content(git_repo: GitRepo) -> None:
    """Only \\n ends a line: str.splitlines would split these and shift every number."""
    odd = ["plain", "cr\rinside", "form\x0cfeed", "sep\u2028arator", "next\x85line", "vt\x0bx"]
    old = "".join(f"{t}\n" for t in [*odd, "a", "b", "c", "d"])
    git_repo.write("odd.txt", old)
    git_repo.commit()
    new = old.replace("c\n", "C\n")
    git_repo.write("odd.txt", new)

    file = only_file(parse(git_repo.diff()))

    assert file.commentable(Side.RIGHT) == numbered(6, 10)
    assert file.hunks[0].line_at(9, Side.RIGHT) == DiffLine(LineKind.ADDED, None, 9, "C")
    assert_matches_files(file, old, new)


def test_diff_saved_with_crlf_line_endings_parses_the_same(git_repo: GitRepo) -> None:
    git_repo.write("f.txt", lines_of(8))
    git_repo.commit()
    git_repo.write("f.txt", lines_of(8).replace("line04", "four"))
    text = git_repo.diff()

    as_lf = only_file(parse(text))
    as_crlf = only_file(parse(text.replace("\n", "\r\n")))

    assert as_crlf == as_lf
    assert as_crlf.path == "f.txt"


# --- path quoting -------------------------------------------------------------------------

AWKWARD_NAMES = [
    "ä.txt",
    "日本語/ファイル.md",
    "with space.txt",
    "dir with space/x b/y.txt",
    "tab\there.txt",
    'quote"mark.txt',
    "back\\slash.txt",
]


@pytest.mark.parametrize("quotepath", ["true", "false"])
def test_quoted_and_non_ascii_paths(git_repo: GitRepo, quotepath: str) -> None:
    for name in AWKWARD_NAMES:
        git_repo.write(name, lines_of(3))
    git_repo.write("mode only/run me.sh", "echo\n")
    git_repo.write("ö renamed from.txt", lines_of(10))
    base = git_repo.commit()
    for name in AWKWARD_NAMES:
        git_repo.write(name, lines_of(3).replace("line02", "two"))
    (git_repo.path / "mode only/run me.sh").chmod(0o755)
    git_repo.write("new empty ü.txt", "")
    git_repo.move("ö renamed from.txt", "ü renamed to.txt")
    head = git_repo.commit()

    text = git_repo.git("-c", f"core.quotepath={quotepath}", "diff", "-M", base, head)
    assert ('"a/\\303\\244.txt"' in text) is (quotepath == "true")
    assert '"a/tab\\there.txt"' in text  # control characters are quoted either way
    diff = parse(text)

    for name in AWKWARD_NAMES:
        file = diff.file(name)
        assert file is not None, (name, [f.path for f in diff.files])
        assert (file.status, file.commentable(Side.RIGHT)) == (FileStatus.MODIFIED, numbered(1, 3))
    mode_only = diff.file("mode only/run me.sh")
    assert mode_only is not None
    assert (mode_only.hunks, mode_only.mode_changed) == ((), True)
    empty = diff.file("new empty ü.txt")
    assert empty is not None
    assert empty.status is FileStatus.ADDED
    renamed = diff.file("ü renamed to.txt")
    assert renamed is not None
    assert (renamed.status, renamed.old_path) == (FileStatus.RENAMED, "ö renamed from.txt")
    assert len(diff.files) == len(AWKWARD_NAMES) + 3


@pytest.mark.parametrize(
    ("config", "prefix"),
    [("diff.noprefix=true", ""), ("diff.mnemonicPrefix=true", "i/")],
)
def test_unusual_git_prefixes(git_repo: GitRepo, config: str, prefix: str) -> None:
    git_repo.write("a/inner.txt", lines_of(3))  # a directory named like the usual prefix
    git_repo.write("run.sh", "echo\n")
    git_repo.commit()
    git_repo.write("a/inner.txt", lines_of(3).replace("line03", "three"))
    git_repo.write("added.txt", "new\n")
    (git_repo.path / "run.sh").chmod(0o755)
    git_repo.stage()

    text = git_repo.git("-c", config, "diff", "--cached")
    assert f"+++ {prefix}a/inner.txt" in text
    diff = parse(text)

    assert sorted((f.path, f.status) for f in diff.files) == [
        ("a/inner.txt", FileStatus.MODIFIED),
        ("added.txt", FileStatus.ADDED),
        ("run.sh", FileStatus.MODIFIED),
    ]


@pytest.mark.parametrize(
    ("quoted", "plain"),
    [
        ('"a/\\303\\244.txt"', "a/ä.txt"),
        ('"tab\\there"', "tab\there"),
        ('"q\\"uote\\\\"', 'q"uote\\'),
        ('"\\a\\b\\f\\n\\r\\v"', "\a\b\f\n\r\v"),
        ('"not octal \\777"', "not octal 777"),  # git would refuse it; we must not crash
        ('"unterminated\\"', "unterminated\\"),
        ("not/quoted.txt", "not/quoted.txt"),
        ('"', '"'),
    ],
)
def test_unquote_path(quoted: str, plain: str) -> None:
    assert unquote_path(quoted) == plain


def test_unquote_path_replaces_invalid_utf8() -> None:
    assert unquote_path('"\\377x"') == "\ufffdx"


@given(body=st.text())
def test_unquote_path_never_fails(body: str) -> None:
    assert isinstance(unquote_path(f'"{body}"'), str)


# --- empty and non-git diffs ------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n\n", " \t\n\r\n"])
def test_blank_text_is_an_empty_diff(text: str) -> None:
    diff = parse(text)
    assert diff == Diff()
    assert diff.is_empty


def test_no_changes_from_git_is_an_empty_diff(git_repo: GitRepo) -> None:
    git_repo.write("f.txt", "same\n")
    git_repo.commit()
    assert parse(git_repo.diff()).is_empty


def run_gnu_diff(cwd: Path, *args: str) -> str:
    completed = subprocess.run(["diff", *args], cwd=cwd, capture_output=True, check=False)
    assert completed.returncode == 1, completed.stderr  # 1 means "files differ"
    return completed.stdout.decode()


def test_gnu_diff_u_of_two_files(tmp_path: Path) -> None:
    old, new = lines_of(12), lines_of(12).replace("line07", "seven")
    (tmp_path / "config.old").write_text(old)
    (tmp_path / "config").write_text(new)

    text = run_gnu_diff(tmp_path, "-u", "config.old", "config")
    assert text.startswith("--- config.old\t")
    file = only_file(parse(text))

    assert (file.path, file.old_path, file.status) == ("config", None, FileStatus.MODIFIED)
    assert file.commentable(Side.RIGHT) == numbered(4, 10)
    assert_matches_files(file, old, new)


def test_gnu_diff_ru_of_two_trees(tmp_path: Path) -> None:
    for side in ("a", "b"):
        (tmp_path / side / "pkg").mkdir(parents=True)
    (tmp_path / "a" / "pkg" / "x.py").write_text(lines_of(3))
    (tmp_path / "b" / "pkg" / "x.py").write_text(lines_of(3).replace("line01", "one"))
    (tmp_path / "a" / "same.txt").write_text("same\n")
    (tmp_path / "b" / "same.txt").write_text("same\n")
    (tmp_path / "b" / "only-new.txt").write_text("x\n")
    (tmp_path / "a" / "blob.bin").write_bytes(b"\x00\x01")
    (tmp_path / "b" / "blob.bin").write_bytes(b"\x00\x02")

    text = run_gnu_diff(tmp_path, "-ru", "a", "b")
    assert "Only in b: only-new.txt" in text
    diff = parse(text)

    assert [(f.path, f.is_binary) for f in diff.files] == [
        ("blob.bin", True),
        ("pkg/x.py", False),
    ]
    x = diff.files[1]
    assert x.commentable(Side.RIGHT) == numbered(1, 3)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_gnu_diff_ruN_new_and_deleted_files(tmp_path: Path, zone: str) -> None:
    for side in ("a", "b"):
        (tmp_path / side / "pkg").mkdir(parents=True)
    (tmp_path / "a" / "pkg" / "gone.py").write_text(lines_of(873))
    (tmp_path / "b" / "pkg" / "new.py").write_text(lines_of(4))
    (tmp_path / "a" / "pkg" / "kept.py").write_text(lines_of(3))
    (tmp_path / "b" / "pkg" / "kept.py").write_text(lines_of(3).replace("line02", "two"))
    completed = subprocess.run(
        ["diff", "-ruN", "a", "b"],
        cwd=tmp_path,
        env={**os.environ, "TZ": zone},
        capture_output=True,
        check=False,
    )
    text = completed.stdout.decode()
    assert "@@ -1,873 +0,0 @@" in text
    assert "@@ -0,0 +1,4 @@" in text

    diff = parse(text)

    assert [(f.path, f.status) for f in diff.files] == [
        ("pkg/gone.py", FileStatus.DELETED),
        ("pkg/kept.py", FileStatus.MODIFIED),
        ("pkg/new.py", FileStatus.ADDED),
    ]


def test_plain_diff_of_a_file_that_was_empty_is_a_modification() -> None:
    """A hunk from line 0 alone is how an empty file grows; only the epoch says "absent"."""
    text = (
        "--- a/x.py\t2024-01-01 10:00:00.000000000 +0000\n"
        "+++ b/x.py\t2024-01-02 10:00:00.000000000 +0000\n"
        "@@ -0,0 +1 @@\n+x\n"
    )
    assert only_file(parse(text)).status is FileStatus.MODIFIED
    epoch_but_not_empty = text.replace("2024-01-01 10:00:00", "1970-01-01 00:00:00").replace(
        "@@ -0,0 +1 @@\n+x", "@@ -1 +1 @@\n-w\n+x"
    )
    assert only_file(parse(epoch_but_not_empty)).status is FileStatus.MODIFIED


@pytest.mark.parametrize(
    ("minus", "plus", "status"),
    [
        ("a/x.py\t1970-01-01 00:00:00.000000000 +0000", "b/x.py\t2024-01-01", FileStatus.ADDED),
        ("a/x.py\tThu Jan  1 00:00:00 1970", "b/x.py\tMon Jan  1 10:00:00 2024", FileStatus.ADDED),
        ("a/x.py\tThu Jan 01 01:00:00 1970 +0100", "b/x.py", FileStatus.ADDED),  # Mercurial's
        ("x.py\t(nonexistent)", "x.py\t(working copy)", FileStatus.ADDED),  # Subversion's
        ("a/x.py\t1970-01-01 00:00:01.000000000 +0000", "b/x.py", FileStatus.MODIFIED),
        ("a/x.py\t1970-01-02 00:00:00 +0000", "b/x.py", FileStatus.MODIFIED),
    ],
)
def test_plain_diff_absent_side_markers(minus: str, plus: str, status: FileStatus) -> None:
    text = f"--- {minus}\n+++ {plus}\n@@ -0,0 +1 @@\n+x\n"
    assert only_file(parse(text)).path == "x.py"
    assert only_file(parse(text)).status is status


@pytest.mark.parametrize(
    ("minus", "plus"),
    [
        # a timestamp after spaces, as when a terminal or an editor turned the tab into them
        ("a/x.py 2024-01-01 10:00:00.000000000 +0000", "b/x.py 2024-01-02 11:00:00.5 +0100"),
        ("a/x.py   Mon Jan  1 10:00:00 2024", "b/x.py  Tue Jan  2 10:00:00 2024 -0800"),
        ("a/x.py\t2024-01-01 10:00:00.000000000 +0000", "b/x.py\t2024-01-01"),
        ("a/x.py\t(revision 12)", "b/x.py\t(working copy)"),
        ("a/x.py", "b/x.py"),
    ],
)
def test_plain_diff_header_timestamps_are_not_part_of_the_name(minus: str, plus: str) -> None:
    text = f"--- {minus}\n+++ {plus}\n@@ -1 +1 @@\n-a\n+b\n"
    assert (only_file(parse(text)).path, only_file(parse(text)).status) == (
        "x.py",
        FileStatus.MODIFIED,
    )


@pytest.mark.parametrize(
    ("minus", "plus", "path"),
    [
        (
            "a/t\tab.py\t2024-01-01 10:00:00 +0000",
            "b/t\tab.py\t2024-01-01 10:00:00 +0000",
            "t\tab.py",
        ),
        ('"a/t\\tab.py"\t2024-01-01 10:00:00 +0000', '"b/t\\tab.py"\t2024-01-01', "t\tab.py"),
        (
            "a/my notes 2024-01-01\t2024-01-02 10:00 +0000",
            "b/my notes 2024-01-01",
            "my notes 2024-01-01",
        ),
        ("a/my file.py 2024-01-01 10:00:00", "b/my file.py 2024-01-01 10:00:00", "my file.py"),
    ],
)
def test_plain_diff_names_with_tabs_spaces_and_dates(minus: str, plus: str, path: str) -> None:
    text = f"--- {minus}\n+++ {plus}\n@@ -1 +1 @@\n-a\n+b\n"
    assert only_file(parse(text)).path == path


def test_gnu_diff_quotes_a_name_with_a_tab(tmp_path: Path) -> None:
    for side, content in (("a", "x\n"), ("b", "y\n")):
        (tmp_path / side).mkdir()
        (tmp_path / side / "t\tab.py").write_text(content)

    text = run_gnu_diff(tmp_path, "-ru", "a", "b")
    assert '--- "a/t\\tab.py"\t' in text

    assert only_file(parse(text)).path == "t\tab.py"


def test_header_with_a_huge_run_of_spaces_is_quick() -> None:
    name = "x" + " " * 200_000 + "y"
    text = f"--- a/{name}\n+++ b/{name}\n@@ -1 +1 @@\n-a\n+b\n"
    assert only_file(parse(text)).path == name


def test_difflib_unified_diff() -> None:
    old = lines_of(10)
    new = old.replace("line05\n", "").replace("line09\n", "line09\nextra\n")
    text = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile="a/pkg/mod.py",
            tofile="b/pkg/mod.py",
            fromfiledate="2024-01-01",
            tofiledate="2024-01-02",
        )
    )

    file = only_file(parse(text))

    assert (file.path, file.status) == ("pkg/mod.py", FileStatus.MODIFIED)
    assert_matches_files(file, old, new)
    assert_commentable_is_github_rule(file)
    assert file.added == file.removed == 1


def test_difflib_without_file_names_is_rejected_with_its_line() -> None:
    text = "".join(difflib.unified_diff(["a\n"], ["b\n"]))
    assert text.startswith("--- \n+++ \n")

    with pytest.raises(DiffError, match=rf"^{SOURCE}:1: cannot tell which file") as caught:
        parse(text)
    assert caught.value.line == 1


# --- patches with surrounding text ---------------------------------------------------------


def test_git_format_patch_with_mail_headers(git_repo: GitRepo) -> None:
    git_repo.write("f.txt", lines_of(6))
    git_repo.commit("base")
    git_repo.write("f.txt", lines_of(6).replace("line06", "six"))
    git_repo.commit(
        "Fix the sixth line\n\n- a bullet that starts with a dash\n+ one with a plus\n"
        " indented text\nrename from nowhere"
    )
    git_repo.write("g.txt", "new\n")
    git_repo.commit("Add g\n\n--- not a file header\n+++ nor this\n")

    text = git_repo.git("format-patch", "--stdout", "-2", "HEAD")
    assert text.startswith("From ")
    assert "\n-- \n" in text  # the mail signature after each patch

    diff = parse(text)

    assert [(f.path, f.status) for f in diff.files] == [
        ("f.txt", FileStatus.MODIFIED),
        ("g.txt", FileStatus.ADDED),
    ]
    assert diff.files[0].commentable(Side.RIGHT) == numbered(3, 6)


def test_git_log_patch_output(git_repo: GitRepo) -> None:
    git_repo.write("f.txt", lines_of(3))
    git_repo.commit("one\n\n    indented body line\n")
    git_repo.write("f.txt", lines_of(3).replace("line02", "two"))
    git_repo.commit("two")

    diff = parse(git_repo.git("log", "-p", "--format=commit %H%n%n    %B"))

    assert [(f.path, f.status) for f in diff.files] == [
        ("f.txt", FileStatus.MODIFIED),
        ("f.txt", FileStatus.ADDED),
    ]


# --- submodules and symlinks -----------------------------------------------------------------


def test_submodule_change(git_repo: GitRepo) -> None:
    first, second = "1" * 40, "2" * 40
    (git_repo.path / "vendor/lib").mkdir(parents=True)  # an unpopulated submodule, not a deletion
    git_repo.git("update-index", "--add", "--cacheinfo", f"160000,{first},vendor/lib")
    base = git_repo.commit()
    git_repo.git("update-index", "--cacheinfo", f"160000,{second},vendor/lib")
    head = git_repo.commit()

    file = only_file(parse(git_repo.diff(base, head)))

    assert (file.path, file.status, file.is_submodule) == ("vendor/lib", FileStatus.MODIFIED, True)
    assert (file.old_mode, file.new_mode) == ("160000", "160000")
    assert [(line.kind, line.text) for line in file.hunks[0].lines] == [
        (LineKind.REMOVED, f"Subproject commit {first}"),
        (LineKind.ADDED, f"Subproject commit {second}"),
    ]


def test_symlink_added_and_retargeted(git_repo: GitRepo) -> None:
    git_repo.write("target.txt", "t\n")
    base = git_repo.commit()
    os.symlink("target.txt", git_repo.path / "link")
    middle = git_repo.commit()
    (git_repo.path / "link").unlink()
    os.symlink("elsewhere.txt", git_repo.path / "link")
    head = git_repo.commit()

    added = only_file(parse(git_repo.diff(base, middle)))
    retargeted = only_file(parse(git_repo.diff(middle, head)))

    assert (added.path, added.status, added.is_symlink) == ("link", FileStatus.ADDED, True)
    assert added.new_mode == "120000"
    assert [line.text for line in added.hunks[0].lines] == ["target.txt"]
    assert retargeted.status is FileStatus.MODIFIED
    assert retargeted.is_symlink
    assert retargeted.commentable(Side.RIGHT) == {1}
    assert [(line.kind, line.text) for line in retargeted.hunks[0].lines] == [
        (LineKind.REMOVED, "target.txt"),
        (LineKind.ADDED, "elsewhere.txt"),
    ]


# --- malformed diffs ---------------------------------------------------------------------

TWO_FILES = """\
diff --git a/x.txt b/x.txt
index 1111111..2222222 100644
--- a/x.txt
+++ b/x.txt
@@ -1,3 +1,3 @@
 one
-two
+TWO
 three
diff --git a/y.txt b/y.txt
index 3333333..4444444 100644
--- a/y.txt
+++ b/y.txt
@@ -1 +1 @@
-old
+new
"""


def test_the_malformed_diff_samples_start_from_a_valid_diff() -> None:
    diff = parse(TWO_FILES)
    assert [f.path for f in diff.files] == ["x.txt", "y.txt"]


def expect_error(text: str, line: int, message: str) -> DiffError:
    with pytest.raises(DiffError) as caught:
        parse(text)
    error = caught.value
    assert (error.source, error.line) == (SOURCE, line), str(error)
    assert str(error).startswith(f"{SOURCE}:{line}: ")
    assert message in str(error)
    return error


def test_hunk_counts_larger_than_its_body() -> None:
    text = TWO_FILES.replace("@@ -1,3 +1,3 @@", "@@ -1,4 +1,4 @@")
    expect_error(text, 10, "the hunk at line 5 ('@@ -1,4 +1,4 @@') ends early")


def test_hunk_counts_smaller_than_its_body() -> None:
    text = TWO_FILES.replace("@@ -1,3 +1,3 @@", "@@ -1,2 +1,2 @@")
    expect_error(text, 9, "has more lines than its header says")


def test_hunk_with_more_removed_lines_than_declared() -> None:
    text = TWO_FILES.replace("@@ -1,3 +1,3 @@", "@@ -1,1 +1,3 @@")
    expect_error(text, 7, "has more old lines than its header says")


def test_truncated_hunk_names_its_header() -> None:
    text = "".join(split_lines(TWO_FILES)[:7])
    expect_error(text, 5, "is cut short: the diff ends after 2 of 3 old and 1 of 3 new lines")


def test_garbage_text_is_not_a_diff() -> None:
    expect_error("\n\nDear reviewer,\nplease look at my code.\n", 3, "not a unified diff")


def test_prose_that_looks_like_headers_is_not_a_diff() -> None:
    expect_error("From the start\nindex of chapters\nOnly in dreams\n", 1, "not a unified diff")


def test_hunk_header_before_any_file_header() -> None:
    expect_error("@@ -1 +1 @@\n-a\n+b\n", 1, "hunk header before any file header")


def test_hunk_header_after_unrelated_text() -> None:
    text = TWO_FILES.replace("diff --git a/y.txt b/y.txt\n", "some words\n")
    text = text.replace("--- a/y.txt\n+++ b/y.txt\n", "")
    expect_error(text, 12, "hunk header before any file header")


def test_malformed_hunk_header() -> None:
    expect_error(TWO_FILES.replace("@@ -1 +1 @@", "@@ -1 +x @@"), 14, "malformed hunk header")


def test_absurd_hunk_numbers_are_malformed_not_a_crash() -> None:
    huge = "9" * 5000  # beyond int()'s default digit limit
    error = expect_error(TWO_FILES.replace("@@ -1 +1 @@", f"@@ -{huge} +1 @@"), 14, "too long")
    assert "malformed hunk header" in str(error)
    assert len(str(error)) < 300  # the header is shortened, not printed whole


def test_minus_line_without_plus_line_in_a_git_header() -> None:
    text = TWO_FILES.replace("+++ b/y.txt\n", "")
    expect_error(text, 12, "'---' line is not followed by a '+++' line")


def test_git_header_cut_after_plus_line() -> None:
    text = "".join(split_lines(TWO_FILES)[:13])
    expect_error(text, 13, "no hunk after the '---' and '+++' lines")


def test_git_header_cut_after_minus_line() -> None:
    text = "".join(split_lines(TWO_FILES)[:12])
    expect_error(text, 12, "'---' line is not followed by a '+++' line")


def test_plus_line_without_minus_line_in_a_git_header() -> None:
    text = TWO_FILES.replace("--- a/y.txt\n", "")
    expect_error(text, 12, "'+++' line without a '---' line")


def test_hunk_in_git_header_without_file_lines() -> None:
    text = TWO_FILES.replace("--- a/y.txt\n+++ b/y.txt\n", "")
    expect_error(text, 12, "hunk header without '---' and '+++' lines")


def test_nineteen_digit_hunk_numbers_are_read() -> None:
    big = 9_223_372_036_854_775_806  # 2**63 - 2: the largest a 64-bit parser reads, less one
    text = f"--- a/x\n+++ b/x\n@@ -{big},2 +{big},2 @@\n a\n-b\n+c\n"

    hunk = only_file(parse(text)).hunks[0]

    assert (hunk.old_start, hunk.new_start) == (big, big)
    assert [(line.old_no, line.new_no) for line in hunk.lines] == [
        (big, big),
        (big + 1, None),
        (None, big + 1),
    ]


# --- combined diffs of merges ------------------------------------------------------------


@pytest.mark.parametrize("option", ["--cc", "-c"])
def test_combined_sections_of_git_log_are_skipped_with_a_warning(
    git_repo: GitRepo, option: str
) -> None:
    conflicted_merge(git_repo)
    text = git_repo.git("log", "-p", option, "-2")
    header = "diff --cc both.txt" if option == "--cc" else "diff --combined both.txt"
    assert header in text
    assert "@@@ -" in text

    diff = parse(text)

    assert [(f.path, f.status) for f in diff.files] == [("after.txt", FileStatus.ADDED)]
    line = split_lines(text).index(header + "\n") + 1
    assert len(diff.warnings) == 1
    assert diff.warnings[0].startswith(f"{SOURCE}:{line}: skipped the combined diff of both.txt")


def conflicted_merge(git_repo: GitRepo) -> None:
    """main and side both change line 3; the merge takes neither: a combined diff with hunks."""
    git_repo.write("both.txt", lines_of(5))
    git_repo.commit("base")
    git_repo.git("switch", "-q", "-c", "side")
    git_repo.write("both.txt", lines_of(5).replace("line03", "side"))
    git_repo.commit("side")
    git_repo.git("switch", "-q", "main")
    git_repo.write("both.txt", lines_of(5).replace("line03", "main"))
    git_repo.commit("main")
    completed = subprocess.run(
        ["git", "-C", str(git_repo.path), "merge", "-q", "side"], capture_output=True, check=False
    )
    assert completed.returncode == 1  # the conflict
    git_repo.write("both.txt", lines_of(5).replace("line03", "resolved"))
    git_repo.commit("merge side")
    git_repo.write("after.txt", "after\n")
    git_repo.commit("after")


def test_git_diff_during_a_conflicted_merge_is_a_warning_not_an_error(git_repo: GitRepo) -> None:
    git_repo.write("both.txt", lines_of(5))
    git_repo.write("other.txt", "one\n")
    git_repo.commit("base")
    git_repo.git("switch", "-q", "-c", "side")
    git_repo.write("both.txt", lines_of(5).replace("line03", "side"))
    git_repo.commit("side")
    git_repo.git("switch", "-q", "main")
    git_repo.write("both.txt", lines_of(5).replace("line03", "main"))
    git_repo.commit("main")
    subprocess.run(["git", "-C", str(git_repo.path), "merge", "-q", "side"], capture_output=True)
    git_repo.write("other.txt", "two\n")  # an ordinary unstaged edit beside the conflict

    text = git_repo.diff()
    assert text.startswith("diff --cc both.txt")

    diff = parse(text)

    assert [f.path for f in diff.files] == ["other.txt"]
    assert "skipped the combined diff of both.txt" in diff.warnings[0]


def test_a_diff_of_combined_sections_only_is_empty_with_a_warning() -> None:
    text = (
        "diff --cc f.txt\nindex 1,2..3\n--- a/f.txt\n+++ b/f.txt\n"
        "@@@ -1,1 -1,1 +1,1 @@@\n- a\n +b\n++c\n"
    )
    diff = parse(text)
    assert diff.is_empty
    assert diff.warnings == (
        f"{SOURCE}:1: skipped the combined diff of f.txt: a merge's diff against several "
        "parents (git log -c/--cc, git diff during a merge) has no two-sided line numbers; "
        "review a two-way diff instead, e.g. git diff MERGE^1 MERGE",
    )


def test_many_combined_sections_make_one_warning() -> None:
    section = "diff --combined f{0}.txt\n--- a/f{0}.txt\n+++ b/f{0}.txt\n@@@ -1 -1 +1 @@@\n  x\n"
    text = "".join(section.format(n) for n in range(12)) + TWO_FILES

    diff = parse(text)

    assert [f.path for f in diff.files] == ["x.txt", "y.txt"]
    (warning,) = diff.warnings
    assert warning.startswith(f"{SOURCE}: skipped 12 combined diff sections, f0.txt (line 1), ")
    assert "f9.txt (line 46) and 2 more:" in warning


def test_combined_hunk_without_a_diff_line_is_skipped() -> None:
    text = "--- a/f.txt\n+++ b/f.txt\n@@@ -1 -1 +1 @@@\n- a\n +b\n" + TWO_FILES

    diff = parse(text)

    assert [f.path for f in diff.files] == ["x.txt", "y.txt"]
    assert diff.warnings[0].startswith(f"{SOURCE}:1: skipped the combined diff of b/f.txt")


def test_trailing_blank_lines_are_not_lines_of_the_last_hunk() -> None:
    file = parse(TWO_FILES + "\n\n").files[1]
    assert [(line.kind, line.text) for line in file.hunks[0].lines] == [
        (LineKind.REMOVED, "old"),
        (LineKind.ADDED, "new"),
    ]


def test_blank_line_inside_a_hunk_is_a_context_line() -> None:
    """Mailers and editors strip the space of an empty context line."""
    text = TWO_FILES.replace(" three\n", "\n")
    file = parse(text).files[0]
    assert file.hunks[0].lines[-1] == DiffLine(LineKind.CONTEXT, 3, 3, "")


# --- properties ------------------------------------------------------------------------


def parse_or_error(text: str) -> Diff | DiffError:
    """Anything but a Diff or a DiffError escapes and fails the test."""
    try:
        return parse_diff(text, source="fuzz")
    except DiffError as error:
        return error


def assert_parses_or_raises_diff_error(text: str) -> None:
    diff = parse_or_error(text)
    if isinstance(diff, DiffError):
        assert diff.source == "fuzz"
        assert diff.line is not None
        assert 1 <= diff.line <= max(1, len(split_lines(text)))
        assert str(diff).startswith(f"fuzz:{diff.line}: ")
        return
    for file in diff.files:
        assert file.path
        for hunk in file.hunks:
            assert_hunks_consistent(hunk)
        assert_commentable_is_github_rule(file)


@pytest.fixture
def realistic_diff(git_repo: GitRepo) -> str:
    """One diff with most of what git can say: hunks, renames, binaries, modes, quoting."""
    git_repo.write("code.py", lines_of(40))
    git_repo.write("gone.txt", lines_of(3))
    git_repo.write("move me.txt", lines_of(12))
    git_repo.write("crlf.txt", "a\r\nb\r\nc\r\n")
    git_repo.write("tool.sh", "echo\n")
    git_repo.write("pic.bin", PNG_BYTES)
    git_repo.write("noeol.txt", "x\ny")
    base = git_repo.commit()
    git_repo.write("code.py", lines_of(40).replace("line05", "five").replace("line30\n", ""))
    git_repo.remove("gone.txt")
    git_repo.move("move me.txt", "moved ä.txt")
    git_repo.write("crlf.txt", "a\r\nB\r\nc\r\n")
    (git_repo.path / "tool.sh").chmod(0o755)
    git_repo.write("pic.bin", PNG_BYTES[::-1])
    git_repo.write("noeol.txt", "x\nz")
    git_repo.write("new.txt", "nothing like the deleted file\n")
    head = git_repo.commit()
    return git_repo.diff("-M", "--binary", base, head)


def test_realistic_diff_parses(realistic_diff: str) -> None:
    diff = parse(realistic_diff)
    assert len(diff.files) == 8
    assert_parses_or_raises_diff_error(realistic_diff)


FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(text=st.text())
def test_random_text_parses_or_raises_diff_error(text: str) -> None:
    assert_parses_or_raises_diff_error(text)


DIFFISH_LINES = st.one_of(
    st.sampled_from(
        [
            "diff --git a/x b/x",
            'diff --git "a/\\303\\244" "b/\\303\\244"',
            "diff --cc x",
            "diff --combined x",
            "@@@ -1,2 -1,2 +1,2 @@@",
            "++ both",
            "--- a/x\t1970-01-01 00:00:00.000000000 +0000",
            "+++ b/x 1970-01-01 00:00:00",
            "@@ -9223372036854775807 +0,0 @@",
            "--- a/x",
            "+++ b/x",
            "--- /dev/null",
            "+++ /dev/null",
            "@@ -1 +1 @@",
            "@@ -1,2 +1,2 @@ def f():",
            "@@ -0,0 +1,3 @@",
            "@@ -3,0 +4 @@",
            "new file mode 100644",
            "deleted file mode 100755",
            "old mode 100644",
            "new mode 100755",
            "rename from x",
            "rename to y",
            "copy from x",
            "copy to y",
            "similarity index 90%",
            "index 0000000..1111111 100644",
            "Binary files a/x and b/x differ",
            "GIT binary patch",
            "literal 5",
            "zcmZ?wbhEHbG",
            "\\ No newline at end of file",
            "-- ",
            "",
        ]
    ),
    st.builds(lambda mark, rest: mark + rest, st.sampled_from(["+", "-", " "]), st.text()),
)


@FUZZ
@given(lines=st.lists(DIFFISH_LINES, max_size=40), crlf=st.booleans())
def test_diff_like_text_parses_or_raises_diff_error(lines: list[str], crlf: bool) -> None:
    assert_parses_or_raises_diff_error(("\r\n" if crlf else "\n").join(lines))


FILE_HEADERS = [
    ["diff --git a/x b/x", "index 1111111..2222222 100644", "--- a/x", "+++ b/x"],
    ["diff --git a/x b/x", "new file mode 100644", "--- /dev/null", "+++ b/x"],
    ["diff --git a/x b/y", "rename from x", "rename to y", "--- a/x", "+++ b/y"],
    ["--- a/x\t2024-01-01", "+++ b/x\t2024-01-02"],
]
HUNK_LINE = st.builds(
    lambda mark, rest: mark + rest,
    st.sampled_from(["+", "-", " ", "\\"]),
    st.text(st.characters(blacklist_characters="\n"), max_size=5),
)


@st.composite
def hunky_diffs(draw: st.DrawFn) -> str:
    """Files with hunks whose counts are mostly right, with the odd stray line between."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        lines += draw(st.sampled_from(FILE_HEADERS))
        for _ in range(draw(st.integers(0, 3))):
            body = draw(st.lists(HUNK_LINE, max_size=8))
            old = sum(1 for line in body if line[0] in "- ") + draw(
                st.sampled_from([0, 0, 0, -1, 1])
            )
            new = sum(1 for line in body if line[0] in "+ ") + draw(
                st.sampled_from([0, 0, 0, -1, 1])
            )
            start = draw(st.integers(0, 3))
            lines.append(f"@@ -{start},{old} +{start},{new} @@")
            lines += body
            lines += draw(st.lists(DIFFISH_LINES, max_size=1))
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=hunky_diffs())
def test_hunky_text_parses_or_raises_diff_error(text: str) -> None:
    assert_parses_or_raises_diff_error(text)


@FUZZ
@given(data=st.data())
def test_truncated_real_diff_parses_or_raises_diff_error(
    realistic_diff: str, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(realistic_diff)))
    assert_parses_or_raises_diff_error(realistic_diff[:cut])


@FUZZ
@given(data=st.data())
def test_real_diff_with_a_line_dropped_or_doubled(realistic_diff: str, data: st.DataObject) -> None:
    lines = split_lines(realistic_diff)
    index = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
    doubled = data.draw(st.booleans())
    changed = [*lines[:index], *([lines[index]] * 2 if doubled else []), *lines[index + 1 :]]
    assert_parses_or_raises_diff_error("".join(changed))
