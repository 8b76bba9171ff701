"""Loading a `reviewer eval` corpus: the layout, and errors that name case, file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.errors import EXIT_INPUT, ConfigError, DiffError, InputError
from reviewer.evaluation.corpus import CaseInfo, load_corpus
from reviewer.evaluation.labels import ExpectedIssue
from reviewer.values import Severity

DIFF = """\
diff --git a/src/app.py b/src/app.py
--- a/src/app.py
+++ b/src/app.py
@@ -1,3 +1,3 @@
 def first(items):
-    return items[0]
+    return items[1]
 
"""

EXPECTED = """\
- path: src/app.py
  lines: [2, 2]
  severity: major
  description: off by one
- path: src/app.py
"""


def make_case(root: Path, name: str, *, diff: str = DIFF, expected: str | None = EXPECTED) -> Path:
    case = root / name
    case.mkdir(parents=True)
    (case / "change.diff").write_text(diff, encoding="utf-8")
    if expected is not None:
        (case / "expected.yml").write_text(expected, encoding="utf-8")
    return case


def test_a_corpus_is_its_case_directories_in_name_order(tmp_path: Path) -> None:
    make_case(tmp_path, "b-clean", expected="[]\n")
    seeded = make_case(tmp_path, "a-seeded")
    (seeded / "tree" / "src").mkdir(parents=True)
    (seeded / "case.yml").write_text("operator: off_by_one\nlanguage: python\n", encoding="utf-8")
    (tmp_path / ".cache").mkdir()  # hidden: not a case
    (tmp_path / "README.md").write_text("about the corpus\n", encoding="utf-8")

    corpus = load_corpus(tmp_path)

    assert [c.name for c in corpus.cases] == ["a-seeded", "b-clean"]
    first, second = corpus.cases
    assert first.expected == (
        ExpectedIssue("src/app.py", (2, 2), Severity.MAJOR, "off by one"),
        ExpectedIssue("src/app.py", None),
    )
    assert first.tree == seeded / "tree"
    assert first.bundle is None
    assert first.info == CaseInfo(operator="off_by_one", language="python")
    assert [f.path for f in first.diff.files] == ["src/app.py"]
    assert second.clean
    assert not first.clean
    assert second.tree is None


def test_a_directory_holding_a_diff_is_a_corpus_of_one_case(tmp_path: Path) -> None:
    case = make_case(tmp_path, "only")
    corpus = load_corpus(case)
    assert [c.name for c in corpus.cases] == ["only"]


def test_a_single_line_number_is_a_one_line_range(tmp_path: Path) -> None:
    make_case(tmp_path, "c", expected="- {path: src/app.py, lines: 2}\n")
    assert load_corpus(tmp_path).cases[0].expected[0].lines == (2, 2)


@pytest.mark.parametrize(
    ("expected", "error", "message"),
    [
        ("", ConfigError, "expected.yml: is empty: write [] for a clean change"),
        ("path: src/app.py\n", ConfigError, "expected.yml: must be a list"),
        ("- [x\n", ConfigError, "expected.yml:2: not valid YAML"),
        ("- path: src/app.py\n- 7\n", ConfigError, "expected.yml:2: each expected issue"),
        ("- lines: [1, 2]\n", ConfigError, "expected.yml:1: path: missing"),
        (
            "- path: src/app.py\n- path: src/app.py\n  line: 3\n",
            ConfigError,
            "expected.yml:2: line: unknown key (known keys: path, lines, severity, description)",
        ),
        (
            "- path: src/app.py\n  lines: [5, 2]\n",
            ConfigError,
            "expected.yml:1: lines: must satisfy 1 <= start <= end, got [5, 2]",
        ),
        (
            "- path: src/app.py\n  lines: [1, 2, 3]\n",
            ConfigError,
            "expected.yml:1: lines: must be [start, end] or one line number",
        ),
        (
            "- path: src/app.py\n  severity: fatal\n",
            ConfigError,
            "expected.yml:1: severity: must be one of critical, major, minor, nit, got 'fatal'",
        ),
        (
            "- path: src/app.py\n- path: src/other.py\n",
            ConfigError,
            "expected.yml:2: path: 'src/other.py' is not a file the diff changes (src/app.py)",
        ),
    ],
)
def test_bad_labels_name_the_file_line_and_key(
    tmp_path: Path, expected: str, error: type[InputError], message: str
) -> None:
    case = make_case(tmp_path, "broken", expected=expected)
    with pytest.raises(error) as raised:
        load_corpus(tmp_path)
    assert str(raised.value).startswith(f"{case}/{message}")
    assert raised.value.exit_code == EXIT_INPUT


def test_a_bad_diff_names_the_file_and_line(tmp_path: Path) -> None:
    case = make_case(tmp_path, "bad-diff", diff=DIFF.replace("@@ -1,3 +1,3 @@", "@@ -1,9 +1,3 @@"))
    with pytest.raises(DiffError) as raised:
        load_corpus(tmp_path)
    assert raised.value.source == str(case / "change.diff")
    assert raised.value.line == 4


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        (
            lambda case: (case / "expected.yml").unlink(),
            "case broken: {case}/expected.yml: missing",
        ),
        (lambda case: (case / "change.diff").unlink(), "case broken: {case}/change.diff: missing"),
        (
            lambda case: ((case / "tree").mkdir(), (case / "repo.bundle").write_bytes(b"x")),
            "case broken: has both tree/ and repo.bundle",
        ),
        (
            lambda case: (case / "tree").write_text("not a directory"),
            "case broken: {case}/tree: must be a directory",
        ),
        (
            lambda case: (case / "change.diff").write_text(""),
            "case broken: {case}/change.diff: the diff changes nothing",
        ),
        (
            lambda case: (case / "change.diff").write_bytes(b"\xff\xfe"),
            "case broken: {case}/change.diff: not UTF-8 text",
        ),
    ],
)
def test_a_broken_case_is_named(tmp_path: Path, arrange: object, message: str) -> None:
    case = make_case(tmp_path, "broken")
    arrange(case)  # type: ignore[operator]
    with pytest.raises(InputError, match="^" + message.format(case=case).replace("(", r"\(")):
        load_corpus(tmp_path)


def test_case_info_keys_are_checked(tmp_path: Path) -> None:
    case = make_case(tmp_path, "c")
    (case / "case.yml").write_text("operator: x\nauthor: me\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"case\.yml:2: author: unknown key"):
        load_corpus(tmp_path)
    (case / "case.yml").write_text("operator: [x]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"case\.yml:1: operator: must be a string"):
        load_corpus(tmp_path)


def test_a_corpus_must_be_a_directory_with_cases(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        load_corpus(tmp_path / "missing")
    with pytest.raises(InputError, match="no cases"):
        load_corpus(tmp_path)
