"""Properties of parsing, planning and anchoring, over diffs hypothesis makes up.

Whatever the input (a well-formed git diff, one cut short or with lines
dropped, doubled or replaced, random bytes, lines of hundreds of kilobytes,
thousands of files):

* parsing returns a Diff or raises DiffError, and nothing else;
* planning accounts for every file with hunks (in a request or skipped with a
  reason) and puts every line of a file it does not skip in exactly one request;
* whatever finding the model proposes, `anchor` returns a file-level finding or
  one on a commentable line of its side, with a start line in the same hunk.

tests/test_diff.py fuzzes the parser's error paths on its own; here the
generated diffs are well-formed first, so planning and anchoring see many real
files, then damaged.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer import prompt
from reviewer.config import Config
from reviewer.diff import Diff, DiffLine, FileDiff, LineKind, parse_diff
from reviewer.errors import DiffError
from reviewer.findings import anchor
from reviewer.plan import Plan, make_plan
from reviewer.schema import CATEGORIES, ProposedFinding
from reviewer.values import Finding, Severity, Side
from tests.conftest import GitRepo

PROPERTIES = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- generated diffs

# Code lines: any character but the line break; a trailing \r would be read as a CRLF ending.
LINE_TEXT = st.text(st.characters(blacklist_characters="\n", codec="utf-8"), max_size=24).filter(
    lambda text: not text.endswith("\r")
)
NAME_PART = st.text("abcdefghijklmnopqrstuvwxyz_-. äß", min_size=1, max_size=8).filter(
    lambda part: part.strip(" .") == part and part not in (".", "..")
)
PATHS = st.lists(NAME_PART, min_size=1, max_size=3).map("/".join)


@dataclass(frozen=True)
class GenHunk:
    old_start: int
    new_start: int
    lines: tuple[tuple[LineKind, str], ...]

    @property
    def old_count(self) -> int:
        return sum(1 for kind, _ in self.lines if kind is not LineKind.ADDED)

    @property
    def new_count(self) -> int:
        return sum(1 for kind, _ in self.lines if kind is not LineKind.REMOVED)


@dataclass(frozen=True)
class GenFile:
    path: str
    old_path: str | None  # a rename
    status: str  # "modified", "added", "deleted", "renamed", "binary"
    hunks: tuple[GenHunk, ...]


def git_quote(name: str) -> str:
    """A name as git writes it in headers: C-quoted when it holds non-ASCII characters."""
    if name.isascii():
        return name
    escaped = "".join(
        char if char.isascii() else "".join(f"\\{byte:03o}" for byte in char.encode())
        for char in name
    )
    return f'"{escaped}"'


def prefixed(prefix: str, name: str) -> str:
    return git_quote(prefix + name)


@st.composite
def hunks_of(draw: st.DrawFn, kinds: Sequence[LineKind]) -> tuple[GenHunk, ...]:
    hunks: list[GenHunk] = []
    old_next = new_next = draw(st.integers(1, 40))
    for _ in range(draw(st.integers(1, 3))):
        lines = tuple(
            draw(st.lists(st.tuples(st.sampled_from(kinds), LINE_TEXT), min_size=1, max_size=10))
        )
        hunk = GenHunk(old_next, new_next, lines)
        hunks.append(hunk)
        gap = draw(st.integers(1, 30))
        old_next += hunk.old_count + gap
        new_next += hunk.new_count + gap
    return tuple(hunks)


ALL_KINDS = (LineKind.ADDED, LineKind.REMOVED, LineKind.CONTEXT)


@st.composite
def gen_files(draw: st.DrawFn) -> GenFile:
    status = draw(
        st.sampled_from(["modified", "modified", "added", "deleted", "renamed", "binary"])
    )
    path = draw(PATHS)
    if status == "added":
        lines = draw(st.lists(LINE_TEXT, min_size=1, max_size=15))
        hunk = GenHunk(0, 1, tuple((LineKind.ADDED, text) for text in lines))
        return GenFile(path, None, status, (hunk,))
    if status == "deleted":
        lines = draw(st.lists(LINE_TEXT, min_size=1, max_size=15))
        hunk = GenHunk(1, 0, tuple((LineKind.REMOVED, text) for text in lines))
        return GenFile(path, None, status, (hunk,))
    if status == "binary":
        return GenFile(path, None, status, ())
    hunks = draw(hunks_of(ALL_KINDS))
    if status == "renamed":
        old_path = draw(PATHS.filter(lambda old: old != path))
        return GenFile(path, old_path, status, draw(st.sampled_from([(), hunks])))
    return GenFile(path, None, status, hunks)


def hunk_text(hunk: GenHunk) -> str:
    old_start = hunk.old_start if hunk.old_count else max(0, hunk.old_start - 1)
    new_start = hunk.new_start if hunk.new_count else max(0, hunk.new_start - 1)
    header = f"@@ -{old_start},{hunk.old_count} +{new_start},{hunk.new_count} @@\n"
    return header + "".join(f"{kind.value}{text}\n" for kind, text in hunk.lines)


def file_text(file: GenFile) -> str:
    old_name = file.old_path or file.path
    head = f"diff --git {prefixed('a/', old_name)} {prefixed('b/', file.path)}\n"
    minus, plus = prefixed("a/", old_name), prefixed("b/", file.path)
    if file.status == "added":
        head += "new file mode 100644\nindex 0000000..1234567\n"
        minus = "/dev/null"
    elif file.status == "deleted":
        head += "deleted file mode 100644\nindex 1234567..0000000\n"
        plus = "/dev/null"
    elif file.status == "renamed":
        head += f"similarity index 90%\nrename from {git_quote(old_name)}\n"
        head += f"rename to {git_quote(file.path)}\n"
    elif file.status == "binary":
        return head + f"index 1234567..89abcde 100644\nBinary files {minus} and {plus} differ\n"
    else:
        head += "index 1234567..89abcde 100644\n"
    if not file.hunks:
        return head
    return head + f"--- {minus}\n+++ {plus}\n" + "".join(hunk_text(h) for h in file.hunks)


def without_name_clashes(files: list[GenFile]) -> list[GenFile]:
    """The files whose names no earlier file uses."""
    kept: list[GenFile] = []
    seen: set[str] = set()
    for file in files:
        names = {name for name in (file.path, file.old_path) if name is not None}
        if not names & seen:
            kept.append(file)
            seen |= names
    return kept


@st.composite
def gen_diffs(draw: st.DrawFn) -> list[GenFile]:
    """Files with distinct names, except for two confusions that real diffs contain."""
    files = without_name_clashes(draw(st.lists(gen_files(), min_size=1, max_size=5)))
    renamed = [i for i, f in enumerate(files) if f.status == "renamed"]
    others = [i for i, f in enumerate(files) if f.status in ("added", "modified")]
    reuse_old_name = draw(st.booleans())
    if renamed and others and reuse_old_name:
        # `git mv X Y` then a new X: a rename's old name is another file's name
        index, other = draw(st.sampled_from(renamed)), draw(st.sampled_from(others))
        files[index] = dataclasses.replace(files[index], old_path=files[other].path)
    if draw(st.booleans()):
        # a name that displays like another one, a bidirectional control hidden in it
        original = draw(st.sampled_from(files))
        cut = draw(st.integers(0, len(original.path)))
        hidden = draw(st.sampled_from(["\u202e", "\u200f", "\u2066"]))
        lookalike = original.path[:cut] + hidden + original.path[cut:]
        status = "modified" if original.status == "renamed" else original.status
        files.insert(0, dataclasses.replace(original, path=lookalike, old_path=None, status=status))
    return files


GEN_DIFFS = gen_diffs()


@st.composite
def damaged(draw: st.DrawFn, text: str) -> str:
    """``text`` cut short, or with one line dropped, doubled or replaced by another."""
    lines = text.split("\n")
    index = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["cut", "drop", "double", "replace"]))
    if how == "cut":
        return text[: draw(st.integers(0, len(text)))]
    if how == "drop":
        return "\n".join(lines[:index] + lines[index + 1 :])
    if how == "double":
        return "\n".join(lines[: index + 1] + lines[index:])
    replacement = draw(st.sampled_from(["", "+", "-x", " y", "@@ -1 +1 @@", "\\ No newline"]))
    return "\n".join([*lines[:index], replacement, *lines[index + 1 :]])


def parse_or_none(text: str) -> Diff | None:
    """The parsed diff, or None for DiffError; any other exception fails the test."""
    try:
        return parse_diff(text, source="generated.diff")
    except DiffError as error:
        failure = error
    assert failure.source == "generated.diff"
    return None


# --------------------------------------------------------------------------- the invariants


def assert_anchor_is_commentable(finding: Finding, diff: Diff) -> None:
    if finding.line is None:
        assert finding.start_line is None
        assert finding.suggestion is None
        return
    candidates = [f for f in diff.files if f.path == finding.path]
    assert candidates, f"inline finding on {finding.path!r}, which is not in the diff"
    assert any(
        finding.line in file.commentable(finding.side)
        and _start_is_valid(file, finding.side, finding.start_line, finding.line)
        for file in candidates
    ), f"{finding.path}:{finding.line} {finding.side} start {finding.start_line} is not commentable"


def _start_is_valid(file: FileDiff, side: Side, start: int | None, line: int) -> bool:
    if start is None:
        return True
    hunk = file.hunk_for(line, side)
    return hunk is not None and start < line and start in hunk.commentable(side)


def assert_plan_accounts_for_every_line(plan: Plan, diff: Diff, budget: int) -> None:
    skipped = {entry.path for entry in (*plan.skipped, *plan.left_out)}
    assert all(entry.reason for entry in (*plan.skipped, *plan.left_out))
    sent = Counter(id(line) for request in plan.requests for line in _lines(request.files))
    assert all(count == 1 for count in sent.values()), "a line was sent twice"
    requested = {path for request in plan.requests for path in request.paths}
    for file in diff.files:
        assert file.path in skipped or file.path in requested, f"{file.path} was lost"
        if not file.hunks:
            assert file.path in skipped, f"{file.path} has no hunks and is not skipped"
        elif file.path not in skipped:
            missing = [line for line in _lines([file]) if id(line) not in sent]
            assert not missing, f"{file.path}: {len(missing)} lines neither sent nor skipped"
    for request in plan.requests:
        assert request.files
        for piece in request.files:
            for hunk in piece.hunks:
                assert hunk.old_count == sum(1 for x in hunk.lines if x.old_no is not None)
                assert hunk.new_count == sum(1 for x in hunk.lines if x.new_no is not None)
        if request.estimated_tokens > budget:  # only a single line too long to cut
            assert [len(h.lines) for f in request.files for h in f.hunks] == [1]


def _lines(files: Sequence[FileDiff]) -> Iterator[DiffLine]:
    return (line for file in files for hunk in file.hunks for line in hunk.lines)


def plan_of(diff: Diff, config: Config) -> Plan:
    return make_plan(diff, config, render=prompt.request_block, estimate=prompt.estimate_tokens)


# --------------------------------------------------------------------------- proposed findings


@st.composite
def proposals(draw: st.DrawFn, diff: Diff) -> ProposedFinding:
    """A finding as a model might propose it: right, nearly right, or nonsense."""
    names = [name for f in diff.files for name in (f.path, f.old_path) if name is not None]
    path = draw(
        st.one_of(
            st.sampled_from(names),
            st.sampled_from(names).map(lambda name: "./" + name),
            st.text(max_size=12),
        )
    )
    texts = [line.text for line in _lines(diff.files)]
    numbers = [n for line in _lines(diff.files) for n in (line.old_no, line.new_no) if n]
    line_numbers = st.integers(1, max(numbers, default=1) + 3)
    if numbers:
        line_numbers = st.one_of(st.sampled_from(numbers), line_numbers)
    code = draw(st.one_of(st.sampled_from(texts), LINE_TEXT) if texts else LINE_TEXT)
    return ProposedFinding(
        path=path,
        side=draw(st.sampled_from(Side)),
        line=draw(line_numbers),
        start_line=draw(st.one_of(st.none(), line_numbers)),
        code=code,
        severity=draw(st.sampled_from(Severity)),
        category=draw(st.sampled_from(CATEGORIES)),
        title="title",
        body="body",
        suggestion=draw(st.one_of(st.none(), LINE_TEXT)),
    )


# --------------------------------------------------------------------------- parsing


@PROPERTIES
@given(files=GEN_DIFFS)
def test_a_generated_git_diff_parses_to_what_was_generated(files: list[GenFile]) -> None:
    diff = parse_diff("".join(file_text(f) for f in files))
    assert [f.path for f in diff.files] == [f.path for f in files]
    for parsed, generated in zip(diff.files, files, strict=True):
        assert parsed.old_path == generated.old_path
        assert parsed.is_binary is (generated.status == "binary")
        assert [[(x.kind, x.text) for x in h.lines] for h in parsed.hunks] == [
            list(h.lines) for h in generated.hunks
        ]


@PROPERTIES
@given(data=st.data(), files=GEN_DIFFS)
def test_a_damaged_diff_parses_or_raises_diff_error(
    data: st.DataObject, files: list[GenFile]
) -> None:
    text = data.draw(damaged("".join(file_text(f) for f in files)))
    parse_or_none(text)


@PROPERTIES
@given(garbage=st.binary(max_size=3000), prefix=st.sampled_from(["", "diff --git a/x b/x\n"]))
def test_binary_garbage_parses_or_raises_diff_error(garbage: bytes, prefix: str) -> None:
    text = prefix + garbage.decode("utf-8", errors="replace")
    diff = parse_or_none(text)
    if diff is not None:
        assert_plan_accounts_for_every_line(
            plan_of(diff, Config()), diff, Config().request_token_budget
        )


# --------------------------------------------------------------------------- planning


@PROPERTIES
@given(
    data=st.data(),
    files=GEN_DIFFS,
    budget=st.integers(500, 4000),
    max_requests=st.integers(1, 30),
    damage=st.booleans(),
)
def test_planning_never_loses_a_file_or_a_line(
    data: st.DataObject, files: list[GenFile], budget: int, max_requests: int, damage: bool
) -> None:
    text = "".join(file_text(f) for f in files)
    diff = parse_or_none(data.draw(damaged(text)) if damage else text)
    if diff is None:
        return
    config = Config(request_token_budget=budget, max_requests=max_requests)
    assert_plan_accounts_for_every_line(plan_of(diff, config), diff, budget)


@FEW
@given(
    length=st.integers(2_000, 300_000),
    long_lines=st.integers(1, 3),
    short_lines=st.integers(0, 6),
    budget=st.integers(500, 4000),
)
def test_very_long_lines_are_planned_without_loss(
    length: int, long_lines: int, short_lines: int, budget: int
) -> None:
    rows = ["+" + "x = 1  # " + "y" * length] * long_lines + ["+short = 2"] * short_lines
    text = (
        "diff --git a/long.py b/long.py\n--- a/long.py\n+++ b/long.py\n"
        f"@@ -0,0 +1,{len(rows)} @@\n" + "\n".join(rows) + "\n"
    )
    diff = parse_diff(text)
    plan = plan_of(diff, Config(request_token_budget=budget, max_requests=1000))
    assert_plan_accounts_for_every_line(plan, diff, budget)
    if long_lines * 2 >= len(rows):  # mostly minified-looking lines: skipped, and said so
        assert [entry.path for entry in plan.skipped] == ["long.py"]


@FEW
@given(copies=st.integers(200, 2000), max_requests=st.integers(1, 60), files=GEN_DIFFS)
def test_very_many_files_are_all_accounted_for(
    copies: int, max_requests: int, files: list[GenFile]
) -> None:
    text = "".join(
        file_text(
            dataclasses.replace(
                f, path=f"copy{i}/{f.path}", old_path=f.old_path and f"copy{i}/{f.old_path}"
            )
        )
        for i in range(copies // len(files) + 1)
        for f in files
    )
    diff = parse_diff(text)
    config = Config(max_requests=max_requests)
    assert_plan_accounts_for_every_line(plan_of(diff, config), diff, config.request_token_budget)


# --------------------------------------------------------------------------- anchoring


@PROPERTIES
@given(data=st.data(), files=GEN_DIFFS, damage=st.booleans())
def test_every_anchored_finding_is_file_level_or_commentable(
    data: st.DataObject, files: list[GenFile], damage: bool
) -> None:
    text = "".join(file_text(f) for f in files)
    diff = parse_or_none(data.draw(damaged(text)) if damage else text)
    if diff is None or not diff.files:
        return
    for _ in range(5):
        proposed = data.draw(proposals(diff))
        finding = anchor(proposed, diff)
        assert_anchor_is_commentable(finding, diff)
        assert (finding.severity, finding.category, finding.title) == (
            proposed.severity,
            proposed.category,
            proposed.title,
        )


@PROPERTIES
@given(data=st.data(), files=GEN_DIFFS)
def test_a_finding_on_a_path_of_the_diff_stays_on_that_path(
    data: st.DataObject, files: list[GenFile]
) -> None:
    diff = parse_diff("".join(file_text(f) for f in files))
    path = data.draw(st.sampled_from([f.path for f in diff.files]))
    proposed = dataclasses.replace(data.draw(proposals(diff)), path=path)
    assert anchor(proposed, diff).path == path


def test_a_finding_on_a_file_is_not_moved_to_a_copy_of_it(git_repo: GitRepo) -> None:
    """z.py copied to a.py, then rewritten: `git diff -C` lists a.py (copy from z.py) first."""
    git_repo.write("z.py", "".join(f"line_{i} = {i}\n" for i in range(1, 11)))
    base = git_repo.commit("base")
    git_repo.write("a.py", "".join(f"line_{i} = {i}\n" for i in range(1, 10)) + "line_10 = 0\n")
    git_repo.write("z.py", "import os\nprint(os.getcwd())\n")
    diff = parse_diff(git_repo.diff("-C", base, git_repo.commit("copy")))
    assert [(f.path, f.old_path) for f in diff.files] == [("a.py", "z.py"), ("z.py", None)]
    proposed = ProposedFinding(
        path="z.py",
        side=Side.RIGHT,
        line=2,
        start_line=None,
        code="print(os.getcwd())",
        severity=Severity.MINOR,
        category="correctness",
        title="Prints the working directory",
        body="Debug output left in.",
        suggestion=None,
    )
    finding = anchor(proposed, diff)
    assert (finding.path, finding.line, finding.side) == ("z.py", 2, Side.RIGHT)
    # the old name still finds the copy when no file of the diff has that name now
    copy_only = Diff(files=diff.files[:1])
    moved = anchor(dataclasses.replace(proposed, line=10, code="line_10 = 0"), copy_only)
    assert (moved.path, moved.line) == ("a.py", 10)


@pytest.mark.parametrize("hidden", ["\u202e", "\u200f", "\u2066"])
def test_an_exact_path_wins_over_a_path_that_only_displays_the_same(hidden: str) -> None:
    lookalike = f"src/ma{hidden}in.py"
    text = "".join(
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1,2 @@\n x\n+y\n"
        for path in (lookalike, "src/main.py")
    )
    diff = parse_diff(text)
    proposed = ProposedFinding(
        path="src/main.py",
        side=Side.RIGHT,
        line=2,
        start_line=None,
        code="y",
        severity=Severity.MAJOR,
        category="security",
        title="t",
        body="b",
        suggestion=None,
    )
    assert anchor(proposed, diff).path == "src/main.py"
