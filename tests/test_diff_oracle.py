"""unidiff as the reference: on every well-formed git diff our parser must agree with it.

reviewer/diff.py is stricter than unidiff on malformed input (unidiff drops lines
beyond a hunk's counts, invents numberless context lines from trailing blanks,
and guesses renames from names), so it does not parse with it; but where the
input is a real ``git diff``, both must read the same hunks and line numbers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unidiff.patch import PatchSet

from reviewer.diff import Diff, LineKind, parse_diff, split_lines

ROOT = Path(__file__).resolve().parent.parent

Shape = list[tuple[str, int, int | None, int | None, str]]


def ours(diff: Diff) -> list[Shape]:
    return [
        [
            (line.kind.value, i, line.old_no, line.new_no, line.text)
            for i, hunk in enumerate(file.hunks)
            for line in hunk.lines
        ]
        for file in diff.files
    ]


def theirs(text: str) -> list[Shape]:
    kinds = {"+": LineKind.ADDED, "-": LineKind.REMOVED, " ": LineKind.CONTEXT}
    return [
        [
            (
                kinds[line.line_type].value,
                i,
                line.source_line_no,
                line.target_line_no,
                line.value.rstrip("\n"),
            )
            for i, hunk in enumerate(patched)
            for line in hunk
            if line.line_type in kinds
        ]
        for patched in PatchSet(split_lines(text))
    ]


def git_no_index(tmp_path: Path, old: str, new: str) -> str:
    (tmp_path / "a").mkdir(exist_ok=True)
    (tmp_path / "b").mkdir(exist_ok=True)
    (tmp_path / "a" / "f.txt").write_text(old, encoding="utf-8", newline="")
    (tmp_path / "b" / "f.txt").write_text(new, encoding="utf-8", newline="")
    result = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", "--no-ext-diff", "a/f.txt", "b/f.txt"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.decode("utf-8")


def test_agrees_with_unidiff_on_the_example() -> None:
    text = (ROOT / "examples" / "sample.diff").read_text(encoding="utf-8")
    assert ours(parse_diff(text)) == theirs(text)
    assert [f.path for f in parse_diff(text).files] == [p.path for p in PatchSet(split_lines(text))]


lines = st.lists(st.sampled_from(["a", "b", "c", "", "  x = 1", "return y", "}"]), max_size=30)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(old=lines, new=lines, trailing_newline=st.booleans())
def test_agrees_with_unidiff_on_real_git_diffs(
    tmp_path: Path, old: list[str], new: list[str], trailing_newline: bool
) -> None:
    end = "\n" if trailing_newline else ""
    text = git_no_index(tmp_path, "\n".join(old) + "\n", "\n".join(new) + end)
    assert ours(parse_diff(text)) == theirs(text)
