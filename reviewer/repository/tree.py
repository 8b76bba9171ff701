"""A read-only view of one git tree: a commit, the index, or the tracked files on disk.

The review tools read "the tree the diff's new side describes": ``HEAD`` for
``--base``, the index for ``--staged`` and the hook, the working tree for the
default mode and ``--diff``, and a pull request's head commit in the Action.
Commits and the index are read through git itself (``git ls-tree``,
``git ls-files -s``, ``git cat-file --batch``, ``git grep``): nothing is checked
out and nothing from the tree runs. The working tree is read from disk, tracked
files only, with every path resolved and required to land on a tracked file
inside the repository, so a symlink (or a directory swapped for one) cannot
lead a read outside it.

Paths given to a tree come from the model: ``resolve`` refuses absolute paths,
``..`` and anything that is not a tracked file, with a message meant for it.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal, TypeAlias

from reviewer.errors import GitError

TreeKind: TypeAlias = Literal["commit", "index", "worktree"]

_GIT_CONFIG = ("-c", "core.quotepath=false", "-c", "grep.patternType=extended")
_SYMLINK_MODE = "120000"
_SUBMODULE_MODE = "160000"
_MAX_SYMLINK_HOPS = 8


class PathRefused(Exception):
    """A path the model asked for that the tree will not give: the message says why."""


@dataclass(frozen=True)
class Entry:
    """A tracked path of the tree: its mode and blob id (None on disk: read the file)."""

    path: str
    mode: str
    oid: str | None

    @property
    def is_symlink(self) -> bool:
        return self.mode == _SYMLINK_MODE


@dataclass(frozen=True)
class GrepHit:
    path: str
    line: int
    text: str


@dataclass(frozen=True)
class GrepResult:
    hits: tuple[GrepHit, ...]
    truncated: bool  # more lines matched than were collected


class GitTree:
    """One tree of one repository; build it with ``at_commit``, ``index`` or ``worktree``."""

    def __init__(
        self, repo: Path, kind: TreeKind, rev: str | None, listing: Callable[[], Sequence[Entry]]
    ):
        self.repo = repo
        self.kind = kind
        self.rev = rev  # the commit id for "commit"
        self._listing = listing
        self._real_root = os.path.realpath(repo)

    @cached_property
    def _entries(self) -> dict[str, Entry]:
        # Listed on first use, not when built: a hook run that the review cache serves whole
        # never asks, and a large repository's listing costs a git call and its parse.
        return {entry.path: entry for entry in self._listing()}

    # ---- construction

    @classmethod
    def at_commit(cls, repo: Path, rev: str) -> GitTree:
        """The tree of commit ``rev`` (any revision git resolves), read from the object store."""
        oid = _git(repo, "rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}")
        commit = oid.decode().strip()

        def listing() -> list[Entry]:
            entries = []
            for record in _records(_git(repo, "ls-tree", "-r", "-z", "--full-tree", commit)):
                meta, _, path = record.partition("\t")
                mode, kind, blob = meta.split(" ")
                if kind == "blob":
                    entries.append(Entry(path, mode, blob))
            return entries

        return cls(repo, "commit", commit, listing)

    @classmethod
    def index(cls, repo: Path) -> GitTree:
        """What is staged: the index's stage-0 entries (a conflicted path has none)."""

        def listing() -> list[Entry]:
            entries = []
            for record in _records(_git(repo, "ls-files", "-s", "-z")):
                meta, _, path = record.partition("\t")
                mode, blob, stage = meta.split(" ")
                if stage == "0" and mode != _SUBMODULE_MODE:
                    entries.append(Entry(path, mode, blob))
            return entries

        return cls(repo, "index", None, listing)

    @classmethod
    def worktree(cls, repo: Path) -> GitTree:
        """The tracked files as they are on disk now (deleted ones are left out)."""

        def listing() -> list[Entry]:
            entries = []
            for record in _records(_git(repo, "ls-files", "-s", "-z")):
                meta, _, path = record.partition("\t")
                mode = meta.split(" ")[0]
                if mode != _SUBMODULE_MODE and os.path.lexists(repo / path):
                    entries.append(Entry(path, mode, None))
            return entries

        return cls(repo, "worktree", None, listing)

    # ---- what the tools use

    def paths(self) -> Iterator[str]:
        """Every tracked path, in git's order."""
        return iter(self._entries)

    def describe(self) -> str:
        """What this tree is, for the model: ``commit 1a2b3c4d``, ``the index``, ..."""
        if self.kind == "commit":
            return f"commit {(self.rev or '')[:12]}"
        return "the index (staged changes)" if self.kind == "index" else "the working tree"

    def read(self, path: str) -> tuple[str, bytes]:
        """The bytes of tracked file ``path`` (symlinks followed inside the tree) and its
        real path; PathRefused saying why not."""
        entry = self.resolve(path)
        if self.kind == "worktree":
            return entry.path, self._read_disk(entry.path)
        assert entry.oid is not None
        return entry.path, _cat_blobs(self.repo, [entry.oid])[entry.oid]

    def resolve(self, path: str) -> Entry:
        """The tracked file ``path`` names, after following symlinks that stay in the tree."""
        current = normalise(path)
        for _ in range(_MAX_SYMLINK_HOPS):
            entry = self._entries.get(current)
            if entry is None:
                raise PathRefused(f"{current!r} is not a tracked file of {self.describe()}")
            if self.kind == "worktree":
                return self._confined_on_disk(entry)
            if not entry.is_symlink:
                return entry
            assert entry.oid is not None
            target = _cat_blobs(self.repo, [entry.oid])[entry.oid].decode("utf-8", "replace")
            current = _link_target(current, target)
        raise PathRefused(f"{path!r}: too many levels of symbolic links")

    def grep(
        self, pattern: str, *, literal: bool, pathspec: str | None, max_hits: int
    ) -> GrepResult:
        """Lines matching ``pattern`` (POSIX extended regex, or a literal) with ``git grep``."""
        args = ["grep", "-n", "-z", "-I", "--no-color", "--full-name", "-F" if literal else "-E"]
        if self.kind == "index":
            args.append("--cached")
        args += ["-e", pattern]
        if self.kind == "commit":
            assert self.rev is not None
            args.append(self.rev)
        args.append("--")
        if pathspec is not None:
            args.append(f":(top,glob){pathspec}")
        prefix = f"{self.rev}:" if self.kind == "commit" else ""
        hits: list[GrepHit] = []
        truncated = False
        for raw in _git_lines(self.repo, *args):
            path, number, text = raw.split(b"\0", 2)
            name = path.decode("utf-8", "replace").removeprefix(prefix)
            if not self._grep_hit_allowed(name):
                continue
            if len(hits) >= max_hits:
                truncated = True
                break
            hits.append(GrepHit(name, int(number), text.decode("utf-8", "replace")))
        return GrepResult(tuple(hits), truncated)

    # ---- helpers

    def _grep_hit_allowed(self, path: str) -> bool:
        """git grep follows the tree, not symlinks, but on disk a tracked directory may
        have been swapped for a symlink: hits are kept only where a read would be allowed."""
        if self.kind != "worktree":
            return path in self._entries and not self._entries[path].is_symlink
        try:
            return self.resolve(path).path == path
        except PathRefused:
            return False

    def _confined_on_disk(self, entry: Entry) -> Entry:
        real = os.path.realpath(self.repo / entry.path)
        relative = os.path.relpath(real, self._real_root)
        if relative.startswith("..") or os.path.isabs(relative):
            raise PathRefused(f"{entry.path!r} leads outside the repository")
        target = self._entries.get(Path(relative).as_posix())
        if target is None or not os.path.isfile(real):
            raise PathRefused(f"{entry.path!r} does not lead to a tracked file")
        return target

    def _read_disk(self, path: str) -> bytes:
        try:
            return (self.repo / path).read_bytes()
        except OSError as exc:
            raise PathRefused(f"{path!r} cannot be read: {exc.strerror or exc}") from None


def normalise(path: str) -> str:
    """A tree path from what the model wrote; PathRefused for absolute paths and ``..``."""
    cleaned = path.strip().replace("\\", "/")
    if not cleaned:
        raise PathRefused("the path is empty")
    if "\0" in cleaned:
        raise PathRefused("the path contains a NUL character")
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        raise PathRefused(f"{path!r} is absolute: give a path relative to the repository root")
    parts = [part for part in cleaned.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise PathRefused(f"{path!r} contains '..': paths must stay inside the repository")
    if not parts:
        raise PathRefused(f"{path!r} names the repository root, not a file")
    return "/".join(parts)


def _link_target(link: str, target: str) -> str:
    """Where a symlink stored in git points, as a tree path; PathRefused if it leaves the tree."""
    if target.startswith("/"):
        raise PathRefused(f"{link!r} is a symbolic link to an absolute path, outside the tree")
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(link), target))
    if joined == ".." or joined.startswith("../"):
        raise PathRefused(f"{link!r} is a symbolic link that leads outside the repository")
    return joined


def _records(output: bytes) -> Iterator[str]:
    for record in output.split(b"\0"):
        if record:
            yield record.decode("utf-8", "surrogateescape")


def _cat_blobs(repo: Path, oids: Sequence[str]) -> dict[str, bytes]:
    """Blob contents by id, read with one ``git cat-file --batch``."""
    output = _git(repo, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in oids).encode())
    blobs: dict[str, bytes] = {}
    position = 0
    for oid in oids:
        end = output.index(b"\n", position)
        header = output[position:end].split(b" ")
        if len(header) != 3:  # "<oid> missing"
            raise PathRefused(f"object {oid} is missing from the repository")
        size = int(header[2])
        blobs[oid] = output[end + 1 : end + 1 + size]
        position = end + 1 + size + 1
    return blobs


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        completed = subprocess.run(
            ["git", "-C", str(repo), *_GIT_CONFIG, *args],
            input=b"" if stdin is None else stdin,
            capture_output=True,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(
            f"git {args[0]} failed in {repo}: {message[-1] if message else 'no message'}"
        )
    return completed.stdout


def _git_lines(repo: Path, *args: str) -> Iterator[bytes]:
    """The NUL-separated records of git's output, read as they come; stopped early, git is ended.

    ``git grep -z`` ends each hit with a newline after ``path NUL line NUL text``.
    Exit status 1 means "no match", not an error.
    """
    process = subprocess.Popen(
        ["git", "-C", str(repo), *_GIT_CONFIG, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "LC_ALL": "C"},
    )
    assert process.stdout is not None
    finished = False
    try:
        for line in process.stdout:
            yield line.rstrip(b"\n")
        finished = True
    finally:
        if not finished:
            process.kill()
        _, stderr = process.communicate()
    if process.returncode not in (0, 1):  # only reached when git ran to its end
        message = stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else 'no message'}")


def fetch_commit(repo: Path, sha: str) -> bool:
    """Make commit ``sha`` readable in ``repo``: fetched from ``origin`` by its id when the
    checkout lacks it (a pull request's head, under ``pull_request_target``). Nothing is
    checked out and nothing of it runs: git stores the objects, the tools read them."""
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
        return False
    try:
        _git(repo, "cat-file", "-e", f"{sha}^{{commit}}")
        return True
    except GitError:
        pass
    try:
        _git(repo, "fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--depth=1",
             "origin", sha)  # fmt: skip
        _git(repo, "cat-file", "-e", f"{sha}^{{commit}}")
    except GitError:
        return False
    return True


def tree_for(repo: Path | None, *, source: TreeKind, rev: str = "HEAD") -> GitTree | None:
    """The tree a command's diff describes (``source``), or None outside a repository or
    when git cannot read it: the review then runs without repository tools."""
    if repo is None:
        return None
    try:
        if source == "commit":
            return GitTree.at_commit(repo, rev)
        return GitTree.index(repo) if source == "index" else GitTree.worktree(repo)
    except GitError:
        return None
