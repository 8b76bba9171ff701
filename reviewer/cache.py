"""The local review cache: a hunk reviewed once is not sent, or paid for, again.

One SQLite file (standard library ``sqlite3``) maps a key per hunk to what was
found in it. Decisions worth knowing:

* **Where.** ``$REVIEWER_CACHE_DIR/cache.sqlite3`` when that variable is set;
  else ``<git common dir>/reviewer/cache.sqlite3``, so every worktree of a
  repository shares one store and ``git clean`` never touches it; else (no
  repository, or its git directory is not writable) the user cache directory
  that ``platformdirs`` names, one store shared by every repository.
* **The key** of a reviewed hunk hashes what shapes its review: the model, the
  prompt templates' version (`reviewer.prompt.prompt_version`), reviewer's and
  the secret scanner's versions (the redaction changes what is sent), the
  configuration that reaches the prompt (``language``, ``instructions`` and the
  ``path_instructions`` that match the file), the pull request's title and
  description when there is one, the file's path, old path and status, and the
  hunk itself: its section heading and every line with its ``+``/``-``/`` ``
  marker, context included, but not its line numbers. So a hunk moved by an edit
  above it still hits, and any change inside it misses. Left out on purpose:
  ``min_severity``, ``max_comments`` and ``fail_on`` (applied to the findings
  after the model, so the stored findings serve every threshold), the request
  packing settings, and the other files of the run that the prompt lists as
  context: keying on those would make an edit anywhere re-send everything.
* **The value** is the hunk's findings, model and secret ones, with line
  numbers stored as offsets from the hunk's start on their side, so they are
  re-based onto wherever the hunk is now, plus the summary of the request that
  reviewed it. Hunks of files that are never sent (lockfiles, ignored paths)
  are cached too, under a key of path and content only, for their secret
  findings: a re-run then needs no secret scan at all.
* **Concurrency.** WAL mode (readers never wait for the writer), a busy
  timeout, and every write in one ``BEGIN IMMEDIATE`` transaction: two terminals
  or pre-commit's parallel runs never corrupt the store, and a write either
  lands whole or not at all.
* **Failure.** The cache only ever saves work: no method raises. A file that
  is not a database, or a corrupt one, is recreated with a warning; any other
  database error (a read-only directory, a lock held past the timeout) turns
  the cache off for the rest of the run, with a warning.
* **Size.** Entries not used for `MAX_UNUSED_DAYS` are deleted when new ones
  are written.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from reviewer import __version__
from reviewer.config import Config
from reviewer.diff import FileDiff, Hunk
from reviewer.globs import path_matcher
from reviewer.secrets import scanner_version
from reviewer.values import Finding, Severity, Side

CACHE_DIR_VARIABLE = "REVIEWER_CACHE_DIR"
STORE_NAME = "cache.sqlite3"
SCHEMA_VERSION = 1
# Bump when what a record means changes without the schema changing (how
# findings are attributed to hunks, say): old records then simply miss.
RECORD_FORMAT = "1"
BUSY_TIMEOUT_SECONDS = 10.0
MAX_UNUSED_DAYS = 60
_SECONDS_PER_DAY = 86_400
# A hit refreshes its entry's last use at most this often, so most runs only read.
_TOUCH_AFTER_SECONDS = _SECONDS_PER_DAY
_KEYS_PER_QUERY = 500  # under SQLite's bound-parameter limit
_UNREADABLE = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})

Warn = Callable[[str], None]
Clock = Callable[[], float]


# --- values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFinding:
    """A finding with its lines as offsets from the start of its hunk on its side."""

    side: Side
    line_offset: int | None  # None: a file-level finding
    start_offset: int | None
    severity: Severity
    category: str
    title: str
    body: str
    suggestion: str | None
    origin: str

    @classmethod
    def relative_to(cls, finding: Finding, hunk: Hunk) -> StoredFinding:
        start = _hunk_start(hunk, finding.side)
        return cls(
            side=finding.side,
            line_offset=None if finding.line is None else finding.line - start,
            start_offset=None if finding.start_line is None else finding.start_line - start,
            severity=finding.severity,
            category=finding.category,
            title=finding.title,
            body=finding.body,
            suggestion=finding.suggestion,
            origin=finding.origin,
        )

    def placed(self, path: str, hunk: Hunk) -> Finding:
        """The finding on ``hunk`` where it is now: same content, so same offsets."""
        start = _hunk_start(hunk, self.side)
        return Finding(
            path=path,
            line=None if self.line_offset is None else start + self.line_offset,
            side=self.side,
            severity=self.severity,
            category=self.category,
            title=self.title,
            body=self.body,
            start_line=None if self.start_offset is None else start + self.start_offset,
            suggestion=self.suggestion,
            origin=self.origin,
        )


def _hunk_start(hunk: Hunk, side: Side) -> int:
    return hunk.new_start if side is Side.RIGHT else hunk.old_start


@dataclass(frozen=True)
class HunkRecord:
    """What is remembered about one hunk."""

    findings: tuple[StoredFinding, ...]
    summary: str = ""  # the summary of the request that reviewed the hunk; "" for scan-only

    @classmethod
    def of(cls, findings: Iterable[Finding], hunk: Hunk, summary: str = "") -> HunkRecord:
        return cls(tuple(StoredFinding.relative_to(f, hunk) for f in findings), summary)

    def placed(self, path: str, hunk: Hunk) -> tuple[Finding, ...]:
        return tuple(stored.placed(path, hunk) for stored in self.findings)


@dataclass(frozen=True)
class CacheEntry:
    key: str
    record: HunkRecord


# --- keys --------------------------------------------------------------------------------


class HunkKeys:
    """The cache keys of one run's hunks (see the module docstring for what they cover)."""

    def __init__(
        self,
        config: Config,
        *,
        pr_title: str | None = None,
        pr_description: str | None = None,
        prompt_version: str | None = None,  # default: the installed templates' version
    ) -> None:
        from reviewer import prompt

        scanner = scanner_version()
        self._review_scope = _digest(
            "review",
            RECORD_FORMAT,
            __version__,
            scanner,
            config.model,
            prompt_version or prompt.prompt_version(),
            config.language,
            config.instructions,
            pr_title or "",
            pr_description or "",
        )
        self._secrets_scope = _digest("secrets", RECORD_FORMAT, __version__, scanner)
        self._path_instructions = config.path_instructions
        self._matchers: list[tuple[Callable[[str], bool], str, str]] | None = None

    def review(self, file: FileDiff, hunk: Hunk) -> str:
        """The key of ``hunk`` as the model reviews it."""
        return _digest(
            self._review_scope,
            file.path,
            file.old_path or "",
            file.status.value,
            *self._instructions_for(file),
            *_hunk_parts(hunk),
        )

    def secrets(self, file: FileDiff, hunk: Hunk) -> str:
        """The key of ``hunk`` when it is only scanned for secrets, never sent."""
        return _digest(self._secrets_scope, file.path, *_hunk_parts(hunk))

    def _instructions_for(self, file: FileDiff) -> Iterator[str]:
        if self._matchers is None:
            self._matchers = [
                (path_matcher([glob], key="path_instructions"), glob, text)
                for glob, text in self._path_instructions
            ]
        for matches, glob, text in self._matchers:
            if matches(file.path) or (file.old_path is not None and matches(file.old_path)):
                yield glob
                yield text


def _hunk_parts(hunk: Hunk) -> Iterator[str]:
    yield hunk.section
    for line in hunk.lines:
        yield line.kind.value + line.text


def _digest(*parts: str) -> str:
    """A hash of ``parts`` in which no two different sequences collide by concatenation."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", errors="surrogatepass")
        digest.update(f"{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


# --- where -------------------------------------------------------------------------------


def default_path(repo: Path | None, environ: Mapping[str, str]) -> Path:
    """Where the store of ``repo`` (None: no repository) lives."""
    override = environ.get(CACHE_DIR_VARIABLE, "").strip()
    if override:
        return Path(override).expanduser() / STORE_NAME
    if repo is not None:
        git_dir = _git_common_dir(repo)
        if git_dir is not None and _is_writable_dir(git_dir):
            return git_dir / "reviewer" / STORE_NAME
    import platformdirs

    return Path(platformdirs.user_cache_dir("reviewer", appauthor=False)) / STORE_NAME


def _git_common_dir(repo: Path) -> Path | None:
    """The repository's git directory shared by all its worktrees; None if git cannot say."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--git-common-dir"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if completed.returncode != 0:
        return None
    # relative to ``repo`` when git prints it relative (older git, or the main worktree)
    return (repo / os.fsdecode(completed.stdout.rstrip(b"\n"))).resolve()


def _is_writable_dir(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


# --- the store ---------------------------------------------------------------------------

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS hunks ("
    " key TEXT PRIMARY KEY,"
    " record TEXT NOT NULL,"
    " stored_at REAL NOT NULL,"
    " used_at REAL NOT NULL"
    ") WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS hunks_by_use ON hunks (used_at)",
)


class ReviewCache:
    """An open store. Use as a context manager, or call `close`."""

    def __init__(self, path: Path, *, warn: Warn, clock: Clock = time.time) -> None:
        self.path = path
        self._warn = warn
        self._clock = clock
        self._connection: sqlite3.Connection | None = None
        self._disabled = False
        self._with_store(lambda _connection: None)  # open now, so problems surface once, early

    def __enter__(self) -> ReviewCache:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def enabled(self) -> bool:
        return not self._disabled

    def get_many(self, keys: Sequence[str]) -> list[HunkRecord | None]:
        """The record of each key, in order; None for a miss."""
        rows = self._with_store(lambda connection: _select(connection, keys)) or {}
        records = [_decode(rows[key][0]) if key in rows else None for key in keys]
        stale = self._clock() - _TOUCH_AFTER_SECONDS
        touched = [
            key
            for key, record in zip(keys, records, strict=True)
            if record is not None and rows[key][1] < stale
        ]
        if touched:
            self._with_store(lambda connection: self._touch(connection, touched))
        return records

    def put_many(self, entries: Sequence[CacheEntry]) -> None:
        """Store ``entries`` in one transaction, and drop entries long unused."""
        if entries:
            self._with_store(lambda connection: self._put(connection, entries))

    def clear(self) -> int:
        """Delete every entry; the number deleted."""
        deleted = self._with_store(_delete_all)
        return deleted or 0

    def count(self) -> int:
        return self._with_store(_count) or 0

    # --- internals

    def _put(self, connection: sqlite3.Connection, entries: Sequence[CacheEntry]) -> None:
        now = self._clock()
        with _write(connection):
            connection.executemany(
                "INSERT OR REPLACE INTO hunks (key, record, stored_at, used_at)"
                " VALUES (?, ?, ?, ?)",
                [(entry.key, _encode(entry.record), now, now) for entry in entries],
            )
            connection.execute(
                "DELETE FROM hunks WHERE used_at < ?", (now - MAX_UNUSED_DAYS * _SECONDS_PER_DAY,)
            )

    def _touch(self, connection: sqlite3.Connection, keys: Sequence[str]) -> None:
        now = self._clock()
        with _write(connection):
            connection.executemany(
                "UPDATE hunks SET used_at = ? WHERE key = ?", [(now, key) for key in keys]
            )

    def _with_store(self, operation: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``operation``; recreate an unreadable store once, else turn the cache off."""
        if self._disabled:
            return None
        for attempt in (1, 2):
            try:
                return operation(self._connect())
            except sqlite3.Error as exc:
                self.close()
                if attempt == 1 and _is_unreadable(exc) and self._recreate():
                    self._warn(
                        f"the review cache {self.path} was unreadable ({exc}); "
                        "it was recreated empty"
                    )
                    continue
                self._disabled = True
                self._warn(
                    f"the review cache {self.path} is not usable ({exc}); running without it"
                )
                return None
            except OSError as exc:
                self._disabled = True
                self._warn(
                    f"the review cache {self.path} is not usable "
                    f"({exc.strerror or exc}); running without it"
                )
                return None
        return None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
            )
            try:
                _prepare(connection)
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def _recreate(self) -> bool:
        """Replace the unreadable file by an empty store; False if it cannot be removed."""
        with _exclusive(self.path.with_name(self.path.name + ".lock")):
            if _still_unreadable(self.path):  # another run may have recreated it meanwhile
                for suffix in ("", "-wal", "-shm"):
                    try:
                        self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
                    except OSError:
                        return False
        return True


def open_cache(path: Path, *, warn: Warn, clock: Clock = time.time) -> ReviewCache:
    return ReviewCache(path, warn=warn, clock=clock)


def _prepare(connection: sqlite3.Connection) -> None:
    """WAL mode and the schema; a write transaction only when the schema is missing."""
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")  # durable enough for a cache, and fast
    version = _schema_version(connection)
    if version == SCHEMA_VERSION:
        return
    if version is not None and version > SCHEMA_VERSION:
        raise sqlite3.OperationalError(
            f"made by a newer reviewer (schema {version}, this one reads {SCHEMA_VERSION})"
        )
    with _write(connection):
        version = _schema_version(connection)  # re-read under the write lock
        if version == SCHEMA_VERSION:
            return
        if version is not None:  # an older layout: a cache can simply start over
            connection.execute("DROP TABLE IF EXISTS hunks")
            connection.execute("DROP TABLE IF EXISTS schema_version")
        for statement in _SCHEMA:
            connection.execute(statement)
        connection.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))


def _schema_version(connection: sqlite3.Connection) -> int | None:
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if exists is None:
        return None
    row = connection.execute("SELECT max(version) FROM schema_version").fetchone()
    return None if row is None or row[0] is None else int(row[0])


@contextmanager
def _write(connection: sqlite3.Connection) -> Iterator[None]:
    """One transaction that takes the write lock up front (waiting up to the busy timeout)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _select(connection: sqlite3.Connection, keys: Sequence[str]) -> dict[str, tuple[str, float]]:
    rows: dict[str, tuple[str, float]] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _KEYS_PER_QUERY):
        chunk = unique[start : start + _KEYS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        query = f"SELECT key, record, used_at FROM hunks WHERE key IN ({marks})"
        for key, record, used_at in connection.execute(query, chunk):
            rows[str(key)] = (str(record), float(used_at))
    return rows


def _delete_all(connection: sqlite3.Connection) -> int:
    with _write(connection):
        deleted = connection.execute("DELETE FROM hunks").rowcount
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # give the space back where it can
    return int(deleted)


def _count(connection: sqlite3.Connection) -> int:
    row = connection.execute("SELECT count(*) FROM hunks").fetchone()
    return int(row[0])


def _is_unreadable(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _UNREADABLE


def _still_unreadable(path: Path) -> bool:
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
    except sqlite3.Error:
        return True
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        row = connection.execute("PRAGMA quick_check").fetchone()
        return row is None or row[0] != "ok"
    except sqlite3.Error as exc:
        return _is_unreadable(exc)
    finally:
        connection.close()


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An advisory lock between processes where the platform has one (POSIX ``flock``)."""
    try:
        import fcntl
    except ImportError:  # Windows: recreation races are rare, and cost entries, not data
        yield
        return
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- records as JSON ---------------------------------------------------------------------


def _encode(record: HunkRecord) -> str:
    return json.dumps(
        {
            "summary": record.summary,
            "findings": [
                {
                    "side": f.side.value,
                    "line": f.line_offset,
                    "start": f.start_offset,
                    "severity": f.severity.value,
                    "category": f.category,
                    "title": f.title,
                    "body": f.body,
                    "suggestion": f.suggestion,
                    "origin": f.origin,
                }
                for f in record.findings
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _decode(text: str) -> HunkRecord | None:
    """The record, or None (a miss) for one this version cannot read."""
    try:
        data = json.loads(text)
        return HunkRecord(
            findings=tuple(_decode_finding(item) for item in data["findings"]),
            summary=_text(data["summary"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _decode_finding(item: Mapping[str, Any]) -> StoredFinding:
    return StoredFinding(
        side=Side(item["side"]),
        line_offset=_optional_int(item["line"]),
        start_offset=_optional_int(item["start"]),
        severity=Severity(item["severity"]),
        category=_text(item["category"]),
        title=_text(item["title"]),
        body=_text(item["body"]),
        suggestion=None if item["suggestion"] is None else _text(item["suggestion"]),
        origin=_text(item["origin"]),
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    return value
