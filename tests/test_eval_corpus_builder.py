"""The corpus builder (benchmarks/eval_corpus): operators, diffs, labels, byte-stable output.

Everything here runs offline on small sources the tests write themselves; the
real build downloads pinned releases and is run by hand (see its README).
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from benchmarks.eval_corpus import js_ops, python_ops, python_security, refactors
from benchmarks.eval_corpus.build import (
    PlanShortfall,
    Quota,
    label_in_diff,
    select,
    write_corpus,
)
from benchmarks.eval_corpus.mutation import Mutation, Operator, SourceFile
from benchmarks.eval_corpus.patch import file_diff
from benchmarks.eval_corpus.sources import PinnedSource, Release, SourceUnavailable, load
from reviewer.evaluation.corpus import load_corpus

PYTHON = '''\
"""A module with one place for every Python operator."""

import json
import os
import subprocess
import threading


def total(items, start):
    acc = 0
    for i in range(len(items)):
        acc += items[i]
    return acc + start


def classify(value, limit):
    if value == 0:
        return "zero"
    if value > 0 and value < limit:
        return "small"
    return describe(value, limit)


async def download(client, url):
    reply = await client.get(url)
    return reply


def lookup(table, key):
    try:
        return table[key]
    except KeyError:
        raise LookupError(key)


def check(amount):
    if amount < 0:
        raise ValueError("negative amount")
    return amount


def read(path):
    with open(path) as handle:
        data = handle.read()
    return data


class Counter:
    def __init__(self):
        self._lock = threading.Lock()
        self.count = 0

    def bump(self):
        with self._lock:
            self.count += 1


def name_of(user):
    if user is None:
        return None
    return user.name


def active(user):
    return user is not None and user.active


def find(cursor, name):
    cursor.execute("SELECT * FROM users WHERE name = ?", (name,))
    return cursor.fetchall()


def log(ref):
    subprocess.run(["git", "log", ref], check=True)


def static(root, name):
    return safe_join(root, name) or os.path.join(root, os.path.basename(name))


def parse(payload):
    return json.loads(payload)


def fetch(session, url):
    resp = session.get(url)
    resp.raise_for_status()
    return resp


def compute(x):
    return describe(x, 1)


def both(a, b):
    if a and b:
        return 1
    return 0
'''

JAVASCRIPT = """\
'use strict'

const childProcess = require('child_process')

const UP_PATH_REGEXP = /(?:^|[\\\\/])\\.\\.(?:[\\\\/]|$)/

function sum (items) {
  let acc = 0
  for (let i = 0; i < items.length; i++) {
    acc += items[i]
  }
  return acc
}

function mode (options) {
  if (options.mode === 'strict') {
    return 1
  }
  if (options.enabled && isAllowed(options)) {
    return 2
  }
  return options && options.verbose
}

async function load (url) {
  const body = await fetchBody(url)
  return body
}

function parse (text, callback) {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw err
  }
}

function read (path, callback) {
  fs.readFile(path, function (err, data) {
    if (err) return callback(err)
    callback(null, data)
  })
}

function user (db, id, done) {
  db.query('SELECT * FROM users WHERE id = $1', [id], done)
}

function run (cmd, args, done) {
  childProcess.execFile(cmd, args, done)
}

function serve (path) {
  if (UP_PATH_REGEXP.test(path)) {
    return 403
  }
  return compute(path)
}

function both (a, b) {
  if (a && b) {
    return 1
  }
  return 0
}
"""

SQL_LINE = 1 + PYTHON.splitlines().index(
    '    cursor.execute("SELECT * FROM users WHERE name = ?", (name,))'
)
PY_SOURCE = SourceFile("pkg/module.py", PYTHON, "python")
JS_SOURCE = SourceFile("lib/index.js", JAVASCRIPT, "javascript")

SEEDED = [(name, op, PY_SOURCE) for name, op in python_ops.SEEDED] + [
    (name, op, JS_SOURCE) for name, op in js_ops.SEEDED
]
CLEAN = [(name, op, PY_SOURCE) for name, op in refactors.PYTHON] + [
    (name, op, JS_SOURCE) for name, op in refactors.JAVASCRIPT
]


def applied(tmp_path: Path, mutation: Mutation, diff: str) -> str:
    """The file after ``git apply`` of ``diff`` onto the original, in a scratch repository."""
    repo = tmp_path / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    target = repo / mutation.path
    target.parent.mkdir(parents=True)
    target.write_text(mutation.before, encoding="utf-8")
    # No user or system configuration (apply.whitespace, autocrlf) may change the result.
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    apply = ["git", "-C", str(repo), "apply", "-"]
    subprocess.run(apply, input=diff.encode(), check=True, env=env)
    return target.read_text(encoding="utf-8")


def syntax_ok(source: SourceFile, text: str, tmp_path: Path) -> bool:
    if source.language == "python":
        ast.parse(text)
        return True
    node = shutil.which("node")
    if node is None:
        return True  # no JavaScript runtime here: the diff and label checks still ran
    script = tmp_path / "check.js"
    script.write_text(text, encoding="utf-8")
    return subprocess.run([node, "--check", str(script)], capture_output=True).returncode == 0


@pytest.mark.parametrize(("name", "operator", "source"), SEEDED, ids=lambda v: str(v)[:30])
def test_every_seeded_operator_makes_a_valid_labelled_diff(
    tmp_path: Path, name: str, operator: Operator, source: SourceFile
) -> None:
    mutations = list(operator(source))
    assert mutations, f"{name} found no place in the fixture"
    for mutation in mutations:
        assert mutation.operator == name
        assert mutation.severity in ("critical", "major")
        assert mutation.description
        diff = file_diff(mutation.path, mutation.before, mutation.after)
        assert applied(tmp_path, mutation, diff) == mutation.after
        assert mutation.lines is not None
        assert label_in_diff(diff, mutation.path, mutation.lines), (mutation.lines, diff)
        assert mutation.lines[1] <= mutation.after.count("\n") + 1
        assert syntax_ok(source, mutation.after, tmp_path), diff


@pytest.mark.parametrize(("name", "operator", "source"), CLEAN, ids=lambda v: str(v)[:30])
def test_every_refactoring_makes_a_valid_unlabelled_diff(
    tmp_path: Path, name: str, operator: Operator, source: SourceFile
) -> None:
    mutations = list(operator(source))
    assert mutations, f"{name} found no place in the fixture"
    for mutation in mutations:
        assert mutation.lines is None
        diff = file_diff(mutation.path, mutation.before, mutation.after)
        assert applied(tmp_path, mutation, diff) == mutation.after
        assert syntax_ok(source, mutation.after, tmp_path), diff


def test_the_python_operators_make_the_edits_they_name() -> None:
    def first(operator: Operator) -> str:
        mutation = next(operator(PY_SOURCE))
        before = set(PY_SOURCE.text.splitlines())
        return "\n".join(line for line in mutation.after.splitlines() if line not in before)

    assert first(python_ops.off_by_one) == "    for i in range(len(items) + 1):"
    assert first(python_ops.missing_await) == "    reply = client.get(url)"
    assert first(python_security.sql_injection) == (
        "    cursor.execute(f\"SELECT * FROM users WHERE name = '{name}'\")"
    )
    assert first(python_security.shell_injection) == (
        '    subprocess.run(f"git log {ref}", shell=True, check=True)'
    )
    assert first(python_ops.resource_leak) == "    handle = open(path)\n    data = handle.read()"
    assert first(python_ops.race_condition) == "        self.count += 1"
    assert first(python_security.unsafe_deserialization) == (
        "import pickle\n    return pickle.loads(payload)"
    )
    assert first(refactors.rename_local) == (
        "    for index in range(len(items)):\n        acc += items[index]"
    )
    renamed = [m.after for m in refactors.rename_local(PY_SOURCE)]
    assert any(
        "    response = session.get(url)\n    response.raise_for_status()" in a for a in renamed
    )


def test_a_diff_marks_a_missing_final_newline(tmp_path: Path) -> None:
    mutation = Mutation("x", "a.txt", "one\ntwo", "one\nthree", (2, 2), "major", "d")
    diff = file_diff("a.txt", mutation.before, mutation.after)
    assert diff.endswith(
        "-two\n\\ No newline at end of file\n+three\n\\ No newline at end of file\n"
    )
    assert applied(tmp_path, mutation, diff) == "one\nthree"


FIXTURE_PLAN = (
    Quota("python", "off-by-one", 1),
    Quota("python", "sql-injection", 1),
    Quota("javascript", "inverted-condition", 1),
    Quota("python", "rename-local", 1, clean=True),
    Quota("javascript", "extract-variable", 1, clean=True),
)


def fixture_releases() -> list[Release]:
    py = PinnedSource("pypi", "fixture", "1.0", "fixture-1.0.tar.gz", "0" * 64)
    js = PinnedSource("npm", "fixture-js", "2.0", "fixture-js-2.0.tgz", "1" * 64)
    return [
        Release(py, (("README.md", b"not code\n"), (PY_SOURCE.path, PYTHON.encode()))),
        Release(js, ((JS_SOURCE.path, JAVASCRIPT.encode()), ("package.json", b"{}\n"))),
    ]


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_two_builds_write_identical_bytes(tmp_path: Path) -> None:
    cases = select(fixture_releases(), FIXTURE_PLAN)
    write_corpus(cases, tmp_path / "first", with_tree=True)
    write_corpus(select(fixture_releases(), FIXTURE_PLAN), tmp_path / "second", with_tree=True)

    first = tree_bytes(tmp_path / "first")
    assert first == tree_bytes(tmp_path / "second")
    assert sorted({name.split("/")[0] for name in first}) == [
        "corpus.yml",
        "js-clean-extract-variable-01",
        "js-inverted-condition-01",
        "py-clean-rename-local-01",
        "py-off-by-one-01",
        "py-sql-injection-01",
    ]
    # The tree holds the new side: the mutated file, and the release's other source files.
    sql = "py-sql-injection-01/tree/pkg/module.py"
    assert "WHERE name = '{name}'" in first[sql].decode()
    assert "js-inverted-condition-01/tree/package.json" in first
    assert "py-off-by-one-01/tree/README.md" not in first  # not a source file


def test_the_built_corpus_loads_and_records_its_origin(tmp_path: Path) -> None:
    write_corpus(select(fixture_releases(), FIXTURE_PLAN), tmp_path / "corpus", with_tree=True)
    corpus = load_corpus(tmp_path / "corpus")
    by_name = {case.name: case for case in corpus.cases}
    sql = by_name["py-sql-injection-01"]
    assert sql.info.operator == "sql-injection"
    assert sql.info.kind == "seeded"
    assert sql.info.language == "python"
    assert sql.info.source == f"pypi:fixture==1.0 sha256:{'0' * 64}"
    (issue,) = sql.expected
    assert (issue.path, issue.lines, issue.severity) == (
        "pkg/module.py",
        (SQL_LINE, SQL_LINE),
        "critical",
    )
    assert sql.diff.file("pkg/module.py") is not None
    clean = by_name["py-clean-rename-local-01"]
    assert clean.clean
    assert clean.info.kind == "clean"
    assert clean.tree == tmp_path / "corpus" / "py-clean-rename-local-01" / "tree"


def test_a_rebuild_replaces_its_own_corpus_but_no_other_directory(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    cases = select(fixture_releases(), FIXTURE_PLAN[:1])
    write_corpus(cases, out, with_tree=False)
    (out / "stale-case").mkdir()
    write_corpus(cases, out, with_tree=False)
    assert sorted(p.name for p in out.iterdir()) == ["corpus.yml", "py-off-by-one-01"]
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a corpus this builder wrote"):
        write_corpus(cases, other, with_tree=False)
    assert (other / "todo.txt").read_text() == "keep me"


def test_a_plan_the_sources_cannot_fill_is_an_error() -> None:
    with pytest.raises(PlanShortfall, match="python sql-injection: 1 valid places, 2 wanted"):
        select(fixture_releases(), (Quota("python", "sql-injection", 2),))


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"fixture-1.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_cached_archive_is_used_offline_and_checked(tmp_path: Path) -> None:
    data = tarball({"pkg/module.py": PYTHON.encode(), "tests/test_module.py": b"x = 1\n"})
    pinned = PinnedSource(
        "pypi", "fixture", "1.0", "fixture-1.0.tar.gz", hashlib.sha256(data).hexdigest()
    )
    cached = tmp_path / "eval-corpus" / "pypi" / "fixture-1.0.tar.gz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(data)

    release = load(pinned, tmp_path, offline=True)

    assert [path for path, _ in release.files] == ["pkg/module.py", "tests/test_module.py"]
    assert [s.path for s in release.code()] == ["pkg/module.py"]  # tests are not seeded
    cached.write_bytes(data + b"tampered")
    with pytest.raises(SourceUnavailable, match="not the pinned"):
        load(pinned, tmp_path, offline=True)
    cached.unlink()
    with pytest.raises(SourceUnavailable, match="not in the cache"):
        load(pinned, tmp_path, offline=True)
