"""A corpus of labelled changes, loaded and validated before anything is sent.

Layout: a directory of cases, each a directory holding ``change.diff`` (a
unified diff), ``expected.yml`` (see ``reviewer.evaluation.labels``) and
optionally ``tree/`` (the files of the new side) or ``repo.bundle`` (a git
bundle), and ``case.yml`` (where the case came from: ``operator``,
``language``, ``kind``, ``source``, ``description``). A directory that itself
holds ``change.diff`` is a corpus of one case. Files beside the cases and
directories whose name starts with a dot are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reviewer.diff import Diff, parse_diff
from reviewer.errors import ConfigError, InputError
from reviewer.evaluation.labels import ExpectedIssue, parse_expected
from reviewer.evaluation.yamlfile import read_yaml

DIFF_FILE = "change.diff"
EXPECTED_FILE = "expected.yml"
INFO_FILE = "case.yml"
TREE_DIR = "tree"
BUNDLE_FILE = "repo.bundle"

_INFO_KEYS = ("operator", "language", "kind", "source", "description")


@dataclass(frozen=True)
class CaseInfo:
    """Where a case came from (``case.yml``); every field is optional."""

    operator: str = ""  # the mutation or refactoring that made it
    language: str = ""
    kind: str = ""  # "seeded" or "clean" in the shipped corpus
    source: str = ""  # the pinned release the code came from
    description: str = ""


@dataclass(frozen=True)
class Case:
    name: str
    directory: Path
    diff_text: str
    diff: Diff = field(repr=False, compare=False)
    expected: tuple[ExpectedIssue, ...]
    tree: Path | None = None
    bundle: Path | None = None
    info: CaseInfo = CaseInfo()

    @property
    def clean(self) -> bool:
        """A clean change expects no issue: every finding on it is a false positive."""
        return not self.expected

    @property
    def diff_path(self) -> Path:
        return self.directory / DIFF_FILE


@dataclass(frozen=True)
class Corpus:
    root: Path
    cases: tuple[Case, ...]


def load_corpus(root: Path) -> Corpus:
    """Every case under ``root``, in name order; InputError/ConfigError on the first bad one."""
    if not root.is_dir():
        raise InputError(f"{root}: not a directory (a corpus is a directory of cases)")
    if (root / DIFF_FILE).is_file():
        return Corpus(root, (load_case(root, root.name),))
    directories = sorted(
        entry for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith(".")
    )
    if not directories:
        raise InputError(
            f"{root}: no cases (each case is a directory holding {DIFF_FILE} and {EXPECTED_FILE})"
        )
    return Corpus(root, tuple(load_case(directory, directory.name) for directory in directories))


def load_case(directory: Path, name: str) -> Case:
    for required in (DIFF_FILE, EXPECTED_FILE):
        if not (directory / required).is_file():
            raise InputError(f"case {name}: {directory / required}: missing")
    diff_text = _read(directory / DIFF_FILE, name)
    diff = parse_diff(diff_text, source=str(directory / DIFF_FILE))
    if diff.is_empty:
        raise InputError(f"case {name}: {directory / DIFF_FILE}: the diff changes nothing")
    expected_source = str(directory / EXPECTED_FILE)
    expected = parse_expected(
        _read(directory / EXPECTED_FILE, name),
        source=expected_source,
        changed={file.path for file in diff.files},
    )
    return Case(
        name=name,
        directory=directory,
        diff_text=diff_text,
        diff=diff,
        expected=expected,
        tree=_tree(directory, name),
        bundle=_bundle(directory, name),
        info=_info(directory / INFO_FILE, name),
    )


def _read(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"case {name}: {path}: not UTF-8 text ({exc.reason})") from None


def _tree(directory: Path, name: str) -> Path | None:
    tree = directory / TREE_DIR
    if not tree.exists():
        return None
    if not tree.is_dir():
        raise InputError(f"case {name}: {tree}: must be a directory (the new side's files)")
    if (directory / BUNDLE_FILE).exists():
        raise InputError(
            f"case {name}: has both {TREE_DIR}/ and {BUNDLE_FILE}: keep one, so it is clear "
            "which the review reads"
        )
    return tree


def _bundle(directory: Path, name: str) -> Path | None:
    bundle = directory / BUNDLE_FILE
    if not bundle.exists():
        return None
    if not bundle.is_file():
        raise InputError(f"case {name}: {bundle}: must be a file (a git bundle)")
    return bundle


def _info(path: Path, name: str) -> CaseInfo:
    if not path.is_file():
        return CaseInfo()
    source = str(path)
    document = read_yaml(_read(path, name), source=source)
    data = document.data
    if data is None:
        return CaseInfo()
    if not isinstance(data, dict):
        raise ConfigError("must be a mapping of keys to strings", source=source)
    values: dict[str, str] = {}
    for key, raw in data.items():
        where = f"{source}:{document.line_of(str(key))}"
        if key not in _INFO_KEYS:
            known = ", ".join(_INFO_KEYS)
            raise ConfigError(f"unknown key (known keys: {known})", source=where, key=str(key))
        if not isinstance(raw, str):
            raise ConfigError("must be a string", source=where, key=str(key))
        values[str(key)] = raw
    return CaseInfo(**values)
