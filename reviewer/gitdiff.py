"""Obtain the diff text to review: from a file, standard input, or git.

git runs with options that pin down everything the parser relies on, whatever
the user's configuration says: no colour, no external diff or textconv
programs, rename detection, ``a/``/``b/`` prefixes (``diff.noprefix`` and
``diff.mnemonicPrefix`` would change them), paths relative to the top of the
repository (``diff.relative``), submodules as hunks (``diff.submodule=log``
prints prose), unquoted non-ASCII paths, and English messages (``LC_ALL=C``).

Bytes that are not UTF-8 are replaced rather than refused: a Latin-1 file in a
diff is normal, and the rest of the diff is still worth reviewing.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from reviewer.errors import GitError, InputError

STDIN = "-"

_BOM = "\ufeff"
_GIT_CONFIG = ("-c", "core.quotepath=false")
_DIFF_OPTIONS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "-M",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--no-relative",
    "--submodule=short",
)


@dataclass(frozen=True)
class DiffText:
    """Diff text and where it came from; ``source`` names it in error messages."""

    text: str
    source: str
    warnings: tuple[str, ...] = ()  # worth telling the user, not worth stopping for


def read_diff_file(path: str, stdin: TextIO | BinaryIO) -> DiffText:
    """Read the diff in the file at ``path``, or on ``stdin`` when ``path`` is ``-``."""
    if path == STDIN:
        return _decode(_read_stream(stdin), source="<stdin>")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(_unreadable(path, exc)) from None
    return _decode(data, source=path)


def repo_root(start: Path) -> Path:
    """The top directory of the work tree that holds ``start``."""
    if not start.is_dir():
        raise InputError(f"directory not found: {start}")
    output = _git(start, "rev-parse", "--show-toplevel").stdout
    return Path(os.fsdecode(output.rstrip(b"\n")))


def staged_diff(repo: Path) -> DiffText:
    """What ``git commit`` would commit now (``git diff --cached``)."""
    root = repo_root(repo)
    return _diff(root, "staged changes", "--cached")


def worktree_diff(repo: Path) -> DiffText:
    """Every uncommitted change to tracked files, staged or not (``git diff HEAD``).

    Before the first commit there is no HEAD; the diff is then against the empty tree.
    Untracked files are not in it: a warning says how many, and how to include them.
    """
    root = repo_root(repo)
    base = "HEAD" if _has_commits(root) else _empty_tree(root)
    found = _diff(root, "uncommitted changes", base)
    untracked = _untracked_count(root)
    if not untracked:
        return found
    return DiffText(found.text, found.source, (*found.warnings, _untracked_warning(untracked)))


def _untracked_count(root: Path) -> int:
    """Files git does not track and does not ignore: new files not yet added."""
    listed = _git(root, "ls-files", "--others", "--exclude-standard", "-z").stdout
    return listed.count(b"\0")


def _untracked_warning(count: int) -> str:
    files = "1 untracked file was" if count == 1 else f"{count} untracked files were"
    return (
        f"{files} left out: only changes to tracked files are reviewed; "
        "to include a new file, run git add -N <path> (or git add -N . for all)"
    )


# git check-attr's values for an attribute: set ("attr" or "attr=true" read as "true"),
# unset ("-attr"), unspecified, or the value given ("attr=false").
_GENERATED_VALUES = frozenset({b"set", b"true"})


def generated_paths(repo: Path, paths: Iterable[str]) -> frozenset[str]:
    """Which of ``paths`` (relative to the top of ``repo``) ``.gitattributes`` marks
    ``linguist-generated``, as GitHub does to collapse them in pull requests.
    """
    wanted = list(dict.fromkeys(paths))
    if not wanted:
        return frozenset()
    root = repo_root(repo)
    names = b"".join(os.fsencode(path) + b"\0" for path in wanted)
    output = _git(root, "check-attr", "--stdin", "-z", "linguist-generated", stdin=names).stdout
    # -z output: path NUL attribute NUL value NUL, for every path in the order given
    fields = output.split(b"\0")
    return frozenset(
        os.fsdecode(fields[index])
        for index in range(0, len(fields) - 2, 3)
        if fields[index + 2] in _GENERATED_VALUES
    )


def range_diff(repo: Path, base: str, head: str = "HEAD") -> DiffText:
    """``head``'s changes since it left ``base`` (``git diff base...head``), as a pull request."""
    root = repo_root(repo)
    for revision in (base, head):
        _require_commit(root, revision)
    if _git(root, "merge-base", base, head, ok=(0, 1)).returncode == 1:
        raise GitError(f"'{base}' and '{head}' have no common ancestor")
    span = f"{base}...{head}"
    return _diff(root, span, span)


def _diff(root: Path, source: str, *revisions: str) -> DiffText:
    completed = _git(root, "diff", *_DIFF_OPTIONS, *revisions, "--")
    decoded = _decode(completed.stdout, source)
    git_warnings = tuple(
        f"git: {line}" for line in _stderr_lines(completed.stderr) if line.startswith("warning:")
    )
    return DiffText(decoded.text, decoded.source, decoded.warnings + git_warnings)


def _has_commits(root: Path) -> bool:
    return (
        _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", ok=(0, 1)).returncode == 0
    )


def _empty_tree(root: Path) -> str:
    """The id of the empty tree, which differs between SHA-1 and SHA-256 repositories."""
    return _git(root, "hash-object", "-t", "tree", "--stdin").stdout.decode().strip()


def _require_commit(root: Path, revision: str) -> None:
    if not revision or revision.startswith("-"):
        raise InputError(f"invalid revision {revision!r}")
    completed = _git(
        root,
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        f"{revision}^{{commit}}",
        ok=(0, 1),
    )
    if completed.returncode == 1:
        no_commits = not _has_commits(root)
        raise GitError(
            f"unknown revision '{revision}'",
            hint="the repository has no commits yet" if no_commits else None,
        )


def _git(
    cwd: Path, *args: str, ok: tuple[int, ...] = (0,), stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run git in ``cwd``, with ``stdin`` as its input; a return code outside ``ok``
    becomes a GitError.
    """
    command = ["git", "-C", str(cwd), *_GIT_CONFIG, *args]
    try:
        completed = subprocess.run(
            command,
            env={**os.environ, "LC_ALL": "C"},  # English messages, which _git_error reads
            input=b"" if stdin is None else stdin,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError(
            "git is not installed or not on PATH",
            hint="install git, or save the diff to a file and pass that instead",
        ) from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if completed.returncode not in ok:
        raise _git_error(cwd, args[0], completed.stderr)
    return completed


def _git_error(cwd: Path, command: str, stderr: bytes) -> GitError:
    lines = _stderr_lines(stderr)
    fatal = next((line for line in lines if line.startswith(("fatal:", "error:"))), None)
    message = (fatal or (lines[0] if lines else "no message")).split(":", 1)[-1].strip()
    if "not a git repository" in message:
        return GitError(f"not a git repository: {cwd}")
    if "dubious ownership" in message:
        return GitError(
            f"git refuses to work in {cwd}: the repository belongs to another user",
            hint=f"if you trust it: git config --global --add safe.directory {cwd}",
        )
    return GitError(f"git {command} failed in {cwd}: {message}")


def _stderr_lines(stderr: bytes) -> list[str]:
    return [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]


def _read_stream(stream: TextIO | BinaryIO) -> bytes | str:
    # A text stream such as sys.stdin has its bytes underneath: read those, so
    # that our decoding applies rather than the locale's, which may be strict ASCII.
    binary = getattr(stream, "buffer", None)
    try:
        data: bytes | str = binary.read() if binary is not None else stream.read()
    except OSError as exc:
        raise InputError(f"cannot read standard input: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"standard input is not text in its declared encoding: {exc}") from None
    return data


def _decode(data: bytes | str, source: str) -> DiffText:
    if isinstance(data, str):
        return DiffText(data.removeprefix(_BOM), source)
    try:
        return DiffText(data.decode("utf-8").removeprefix(_BOM), source)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        warning = (
            f"{source}: line {line} and maybe others hold bytes that are not UTF-8; "
            "they were replaced with U+FFFD"
        )
        text = data.decode("utf-8", errors="replace").removeprefix(_BOM)
        return DiffText(text, source, (warning,))


def _unreadable(path: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"diff file not found: {path}"
    if isinstance(exc, IsADirectoryError):
        return f"diff file is a directory: {path}"
    if isinstance(exc, PermissionError):
        return f"cannot read diff file {path}: permission denied"
    return f"cannot read diff file {path}: {exc.strerror or exc}"
