"""Pick the mutations the plan asks for and write them out as corpus cases.

Selection is deterministic: every candidate an operator yields is keyed by a
SHA-256 of what it is (operator, release, path, label, resulting text) and
taken in key order, preferring a release the operator has not used yet, then a
file no case has used yet. A candidate is kept only if the result still parses
(Python) or keeps its brackets balanced (JavaScript), and its diff's changed
lines hold the label. Files are written in a fixed order with fixed contents,
so two builds from the same archives are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.eval_corpus import js_ops, python_ops, refactors
from benchmarks.eval_corpus.jsmask import mask
from benchmarks.eval_corpus.mutation import Mutation, Operator
from benchmarks.eval_corpus.patch import file_diff
from benchmarks.eval_corpus.pyast import valid_python
from benchmarks.eval_corpus.sources import Release

MANIFEST = "corpus.yml"
BUILDER_VERSION = 1
_SHORT = {"python": "py", "javascript": "js"}


@dataclass(frozen=True)
class Quota:
    language: str  # "python" or "javascript"
    operator: str
    count: int
    clean: bool = False


def _quotas(language: str, counts: dict[str, int], *, clean: bool = False) -> tuple[Quota, ...]:
    return tuple(Quota(language, op, n, clean) for op, n in counts.items())


PLAN: tuple[Quota, ...] = (
    *_quotas(
        "python",
        {
            "off-by-one": 3,
            "inverted-condition": 3,
            "dropped-condition": 3,
            "wrong-variable": 2,
            "missing-await": 2,
            "swallowed-exception": 2,
            "broken-error-propagation": 2,
            "resource-leak": 2,
            "race-condition": 2,
            "none-dereference": 3,
            "sql-injection": 2,
            "shell-injection": 2,
            "path-traversal": 2,
            "unsafe-deserialization": 2,
        },
    ),
    *_quotas(
        "javascript",
        {
            "off-by-one": 2,
            "inverted-condition": 2,
            "dropped-condition": 1,
            "missing-await": 2,
            "swallowed-exception": 1,
            "broken-error-propagation": 2,
            "none-dereference": 2,
            "sql-injection": 1,
            "shell-injection": 1,
            "path-traversal": 1,
            "unsafe-deserialization": 1,
        },
    ),
    *_quotas("python", {"rename-local": 3, "extract-variable": 3, "name-condition": 2}, clean=True),
    *_quotas("javascript", {"extract-variable": 2, "name-condition": 2}, clean=True),
)

OPERATORS: dict[tuple[str, bool], dict[str, Operator]] = {
    ("python", False): dict(python_ops.SEEDED),
    ("javascript", False): dict(js_ops.SEEDED),
    ("python", True): dict(refactors.PYTHON),
    ("javascript", True): dict(refactors.JAVASCRIPT),
}


@dataclass(frozen=True)
class Picked:
    quota: Quota
    release: Release
    mutation: Mutation
    diff: str

    def case_name(self, index: int) -> str:
        kind = "clean-" if self.quota.clean else ""
        return f"{_SHORT[self.quota.language]}-{kind}{self.quota.operator}-{index:02d}"


class PlanShortfall(Exception):
    """The releases do not hold enough valid places for an operator's quota."""


def select(releases: Sequence[Release], plan: Sequence[Quota]) -> list[tuple[str, Picked]]:
    """(case name, what it holds) for every case of the plan, in plan order."""
    usage = Usage()
    cases: list[tuple[str, Picked]] = []
    for quota in plan:
        operator = OPERATORS[(quota.language, quota.clean)][quota.operator]
        keyed = {key: (r, m) for key, r, m in _candidates(releases, quota, operator)}
        candidates = [keyed[key] for key in sorted(keyed)]  # one of each identical edit
        picked = _pick(quota, candidates, usage)
        if len(picked) < quota.count:
            raise PlanShortfall(
                f"{quota.language} {quota.operator}: {len(picked)} valid places, "
                f"{quota.count} wanted"
            )
        cases += [(p.case_name(index), p) for index, p in enumerate(picked, start=1)]
    return cases


@dataclass
class Usage:
    """What earlier picks used, so later ones spread over releases and files."""

    files: set[tuple[str, str]] = field(default_factory=set)
    releases: Counter[str] = field(default_factory=Counter)

    def rank(self, index: int, release: Release, mutation: Mutation) -> tuple[int, int, int]:
        label = release.pinned.label
        return ((label, mutation.path) in self.files, self.releases[label], index)

    def add(self, release: Release, mutation: Mutation) -> None:
        self.files.add((release.pinned.label, mutation.path))
        self.releases[release.pinned.label] += 1


def _candidates(
    releases: Sequence[Release], quota: Quota, operator: Operator
) -> Iterable[tuple[str, Release, Mutation]]:
    for release in releases:
        if release.pinned.language != quota.language:
            continue
        for source in release.code():
            for mutation in operator(source):
                key = "\0".join(
                    [
                        quota.operator,
                        release.pinned.label,
                        mutation.path,
                        str(mutation.lines),
                        hashlib.sha256(mutation.after.encode()).hexdigest(),
                    ]
                )
                yield hashlib.sha256(key.encode()).hexdigest(), release, mutation


def _pick(quota: Quota, candidates: list[tuple[Release, Mutation]], usage: Usage) -> list[Picked]:
    """Take candidates in key order, a fresh file of the least used release first."""
    picked: list[Picked] = []
    open_ = set(range(len(candidates)))
    while len(picked) < quota.count and open_:
        index = min(open_, key=lambda i: usage.rank(i, *candidates[i]))
        open_.discard(index)
        release, mutation = candidates[index]
        diff = _checked_diff(quota, mutation)
        if diff is not None:
            picked.append(Picked(quota, release, mutation, diff))
            usage.add(release, mutation)
    return picked


def _checked_diff(quota: Quota, mutation: Mutation) -> str | None:
    if not _still_valid(quota.language, mutation):
        return None
    diff = file_diff(mutation.path, mutation.before, mutation.after)
    if mutation.lines is not None and not label_in_diff(diff, mutation.path, mutation.lines):
        return None
    return diff


def _still_valid(language: str, mutation: Mutation) -> bool:
    if language == "python":
        return valid_python(mutation.after)
    return _balanced(mutation.after)


def _balanced(text: str) -> bool:
    code = "\n".join(mask(text).masked)
    stack: list[str] = []
    closing = {")": "(", "]": "[", "}": "{"}
    for char in code:
        if char in "([{":
            stack.append(char)
        elif char in closing and (not stack or stack.pop() != closing[char]):
            return False
    return not stack


def label_in_diff(diff_text: str, path: str, lines: tuple[int, int]) -> bool:
    """Whether the label holds an added line, or the place where lines were removed."""
    from reviewer.diff import LineKind, parse_diff

    file = parse_diff(diff_text).file(path)
    if file is None:
        return False
    for hunk in file.hunks:
        next_new = hunk.new_start
        for line in hunk.lines:
            added = line.kind is LineKind.ADDED and line.new_no is not None
            if added and lines[0] <= (line.new_no or 0) <= lines[1]:
                return True
            if line.kind is LineKind.REMOVED and lines[0] <= next_new <= lines[1]:
                return True
            if line.new_no is not None:
                next_new = line.new_no + 1
    return False


# --------------------------------------------------------------------------- writing


def write_corpus(cases: Sequence[tuple[str, Picked]], out: Path, *, with_tree: bool) -> None:
    """Write the cases into ``out``, replacing a corpus an earlier build left there."""
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise FileExistsError(f"{out} exists and is not a corpus this builder wrote")
    staging = out.parent / f".{out.name}.building"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for name, picked in cases:
        _write_case(staging / name, picked, with_tree=with_tree)
    (staging / MANIFEST).write_bytes(manifest(cases).encode())
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)


def _write_case(directory: Path, picked: Picked, *, with_tree: bool) -> None:
    directory.mkdir()
    (directory / "change.diff").write_bytes(picked.diff.encode())
    (directory / "expected.yml").write_bytes(expected_yaml(picked).encode())
    (directory / "case.yml").write_bytes(case_yaml(picked).encode())
    if not with_tree:
        return
    mutated = picked.mutation
    for path, data in picked.release.tree():
        target = directory / "tree" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(mutated.after.encode() if path == mutated.path else data)


def _quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def expected_yaml(picked: Picked) -> str:
    m = picked.mutation
    origin = f"# {m.operator} in {picked.release.pinned.label} (benchmarks/eval_corpus)\n"
    if m.lines is None:
        return origin + "# a behaviour-preserving refactoring: no issue is expected\n[]\n"
    return origin + (
        f"- path: {_quoted(m.path)}\n"
        f"  lines: [{m.lines[0]}, {m.lines[1]}]\n"
        f"  severity: {m.severity}\n"
        f"  description: {_quoted(m.description)}\n"
    )


def case_yaml(picked: Picked) -> str:
    pinned = picked.release.pinned
    return (
        f"operator: {picked.mutation.operator}\n"
        f"language: {picked.quota.language}\n"
        f"kind: {'clean' if picked.quota.clean else 'seeded'}\n"
        f"source: {_quoted(f'{pinned.label} sha256:{pinned.sha256}')}\n"
        f"description: {_quoted(picked.mutation.description)}\n"
    )


def manifest(cases: Sequence[tuple[str, Picked]]) -> str:
    labels = sorted({p.release.pinned.label for _, p in cases})
    clean = sum(1 for _, p in cases if p.quota.clean)
    rows = [
        "# A reviewer eval corpus, written by `python -m benchmarks.eval_corpus`.",
        f"builder: {BUILDER_VERSION}",
        f"cases: {len(cases)}",
        f"seeded: {len(cases) - clean}",
        f"clean: {clean}",
        "sources:",
        *(f"  - {_quoted(label)}" for label in labels),
    ]
    return "\n".join(rows) + "\n"
