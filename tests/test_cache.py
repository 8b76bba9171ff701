"""The local review cache: keys, re-basing, the SQLite store, and runs that use it.

Runs go through `reviewer review` with the real SDK against the local Messages
API; what was sent is read back from the server's log.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewer.cache import (
    MAX_UNUSED_DAYS,
    STORE_NAME,
    CacheEntry,
    HunkKeys,
    HunkRecord,
    ReviewCache,
    StoredFinding,
    default_path,
)
from reviewer.cli import main
from reviewer.config import Config
from reviewer.diff import FileDiff, parse_diff
from reviewer.prompt import prompt_version
from reviewer.values import Finding, Severity, Side
from tests.conftest import GitRepo
from tests.fakes.messages_api import (
    FAKE_API_KEY,
    MessagesAPI,
    StatusFault,
    markers_responder,
    review_requests,
    verification_requests,
)
from tests.fakes.request_format import added_lines_in_request

DAY = 86_400.0


# --- diffs -------------------------------------------------------------------------------


def hunk(old_start: int, new_start: int, *lines: str, section: str = "") -> str:
    """A hunk's text; ``lines`` carry their ' ', '+' or '-' marker."""
    old = sum(1 for line in lines if not line.startswith("+"))
    new = sum(1 for line in lines if not line.startswith("-"))
    tail = f" {section}" if section else ""
    return f"@@ -{old_start},{old} +{new_start},{new} @@{tail}\n" + "".join(
        f"{line}\n" for line in lines
    )


def file_diff(path: str, *hunks: str) -> str:
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n" + "".join(hunks)


TODO_LINES = (" a = 1", "+# TODO: first", " b = 2", " c = 3")
EVAL_LINES = (" x = 1", '+y = eval("2")', " z = 3", " w = 4")
EDITED_EVAL_LINES = (" x = 1", '+y = eval("3")', " z = 3", " w = 4")
IMPORT_LINES = (" import os", "+import sys", " import re")

TWO_HUNKS = file_diff("app.py", hunk(10, 10, *TODO_LINES), hunk(40, 41, *EVAL_LINES))
# The same two hunks, one line lower in the new file, under a new first hunk.
SHIFTED = file_diff(
    "app.py", hunk(1, 1, *IMPORT_LINES), hunk(10, 11, *TODO_LINES), hunk(40, 42, *EVAL_LINES)
)
EDITED = file_diff("app.py", hunk(10, 10, *TODO_LINES), hunk(40, 41, *EDITED_EVAL_LINES))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- running reviews ---------------------------------------------------------------------


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesAPI]:
    with MessagesAPI(markers_responder(extract=added_lines_in_request)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        yield server


def review(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["review", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def sent(api: MessagesAPI) -> list[str]:
    """The user turn of every review request the server answered, in order.

    The verification pass's requests are left out: they check findings after the
    review and are never served from the review cache (see ``verification_requests``).
    """
    return [
        r.body["messages"][0]["content"][0]["text"]
        for r in review_requests(api.requests)
        if r.path == "/v1/messages" and r.status == 200
    ]


def located(report: dict[str, Any]) -> list[tuple[str, int | None, str]]:
    return sorted((f["path"], f["line"], f["title"]) for f in report["findings"])


# --- keys --------------------------------------------------------------------------------

BASE = Config()


def only_file(diff_text: str) -> FileDiff:
    return parse_diff(diff_text).files[0]


def review_key(config: Config = BASE, *, diff_text: str = TWO_HUNKS, index: int = 0) -> str:
    file = only_file(diff_text)
    return HunkKeys(config).review(file, file.hunks[index])


def key_with(config: Config = BASE, **keywords: str) -> str:
    """The first hunk's key, with HunkKeys' other inputs given."""
    file = only_file(TWO_HUNKS)
    return HunkKeys(config, **keywords).review(file, file.hunks[0])


@pytest.mark.parametrize(
    ("config", "keywords"),
    [
        (Config(model="claude-haiku-5-5"), {}),
        (Config(language="Deutsch"), {}),
        (Config(instructions="Focus on security."), {}),
        (Config(path_instructions=(("*.py", "Python: check typing."),)), {}),
        (BASE, {"prompt_version": "another-template-set"}),
        (BASE, {"pr_title": "Add search"}),
        (BASE, {"pr_description": "Closes #12"}),
    ],
    ids=["model", "language", "instructions", "path-instructions", "prompt", "title", "body"],
)
def test_what_shapes_a_review_changes_the_key(config: Config, keywords: dict[str, str]) -> None:
    assert key_with(config, **keywords) != review_key()


@pytest.mark.parametrize(
    "config",
    [
        Config(min_severity=Severity.MAJOR),
        Config(fail_on=Severity.MINOR),
        Config(hook_fail_on=None),
        Config(max_comments=1),
        Config(request_token_budget=500, max_requests=3, concurrency=1),
        Config(ignore=("docs/**",)),
        Config(path_instructions=(("docs/**", "Prose: check spelling."),)),  # matches no .py
    ],
    ids=[
        "min-severity",
        "fail-on",
        "hook-fail-on",
        "max-comments",
        "packing",
        "ignore",
        "other-path",
    ],
)
def test_what_is_applied_after_the_model_keeps_the_key(config: Config) -> None:
    assert review_key(config) == review_key()


def test_the_key_is_the_hunks_content_not_its_position() -> None:
    assert review_key(diff_text=SHIFTED, index=1) == review_key(index=0)
    assert review_key(diff_text=SHIFTED, index=2) == review_key(index=1)
    assert review_key(diff_text=EDITED, index=1) != review_key(index=1)
    changed_context = file_diff("app.py", hunk(10, 10, " a = 0", *TODO_LINES[1:]))
    assert review_key(diff_text=changed_context) != review_key()
    other_section = file_diff("app.py", hunk(10, 10, *TODO_LINES, section="def other():"))
    assert review_key(diff_text=other_section) != review_key()
    other_path = file_diff("lib.py", hunk(10, 10, *TODO_LINES))
    assert review_key(diff_text=other_path) != review_key()


def test_the_default_prompt_version_is_the_installed_templates() -> None:
    assert review_key() == key_with(prompt_version=prompt_version())


def test_scan_only_keys_ignore_the_model_and_config() -> None:
    file = only_file(TWO_HUNKS)
    plain = HunkKeys(BASE).secrets(file, file.hunks[0])
    other = HunkKeys(Config(model="claude-haiku-5-5", instructions="x")).secrets(
        file, file.hunks[0]
    )
    assert plain == other
    assert plain != HunkKeys(BASE).review(file, file.hunks[0])


# --- re-basing ---------------------------------------------------------------------------


def test_findings_are_stored_relative_to_their_hunk_and_placed_where_it_is_now() -> None:
    before, after = only_file(TWO_HUNKS).hunks[1], only_file(SHIFTED).hunks[2]
    right = Finding("app.py", 42, Side.RIGHT, Severity.CRITICAL, "security", "eval", "b", 41, "s")
    left = Finding("app.py", 41, Side.LEFT, Severity.NIT, "style", "old z", "b")
    file_level = Finding("app.py", None, Side.RIGHT, Severity.MINOR, "testing", "tests?", "b")
    record = HunkRecord.of([right, left, file_level], before, summary="S")
    placed = record.placed("app.py", after)
    assert [(f.line, f.start_line) for f in placed] == [(43, 42), (41, None), (None, None)]
    assert placed[0].suggestion == "s"
    assert placed[1].side is Side.LEFT
    assert StoredFinding.relative_to(right, before).line_offset == 1


# --- the store ---------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


RECORD = HunkRecord(
    findings=(
        StoredFinding(
            side=Side.RIGHT,
            line_offset=1,
            start_offset=None,
            severity=Severity.MAJOR,
            category="correctness",
            title="Off by one — ünïcode",
            body="Body\nwith lines",
            suggestion=None,
            origin="model",
        ),
    ),
    summary="One issue.",
)


def open_store(path: Path, warnings: list[str] | None = None, **kw: Any) -> ReviewCache:
    sink = warnings if warnings is not None else []
    return ReviewCache(path, warn=sink.append, **kw)


def test_records_round_trip_and_misses_are_none(tmp_path: Path) -> None:
    warnings: list[str] = []
    with open_store(tmp_path / STORE_NAME, warnings) as store:
        store.put_many([CacheEntry("k1", RECORD), CacheEntry("k2", HunkRecord(()))])
        assert store.get_many(["k1", "nope", "k2", "k1"]) == [RECORD, None, HunkRecord(()), RECORD]
        assert store.count() == 2
    assert warnings == []
    with sqlite3.connect(tmp_path / STORE_NAME) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("SELECT version FROM schema_version").fetchall() == [(1,)]


def test_a_record_this_version_cannot_read_is_a_miss(tmp_path: Path) -> None:
    path = tmp_path / STORE_NAME
    with open_store(path) as store:
        store.put_many([CacheEntry("k", RECORD)])
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE hunks SET record = ?", ('{"findings": [{"side": "UP"}]}',))
    with open_store(path) as store:
        assert store.get_many(["k"]) == [None]


def _write_entries(path: str, writer: int, batches: int, per_batch: int) -> None:
    warnings: list[str] = []
    with ReviewCache(Path(path), warn=warnings.append) as store:
        for batch in range(batches):
            entries = [
                CacheEntry(f"w{writer}-b{batch}-e{n}", HunkRecord((), summary=f"{writer}/{batch}"))
                for n in range(per_batch)
            ]
            store.put_many(entries)
            if store.get_many([entries[0].key]) != [entries[0].record]:
                raise SystemExit(f"writer {writer} cannot read its own write")
    if warnings:
        raise SystemExit(f"writer {writer} warned: {warnings}")


def test_parallel_writers_never_corrupt_the_store_and_every_write_lands(tmp_path: Path) -> None:
    path = tmp_path / STORE_NAME
    writers, batches, per_batch = 6, 30, 5
    context = multiprocessing.get_context("spawn")  # fresh interpreters, as separate runs are
    processes = [
        context.Process(target=_write_entries, args=(str(path), w, batches, per_batch))
        for w in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * writers
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    keys = [
        f"w{w}-b{b}-e{n}" for w in range(writers) for b in range(batches) for n in range(per_batch)
    ]
    with open_store(path) as store:
        assert store.count() == len(keys)
        assert all(record is not None for record in store.get_many(keys))


@pytest.mark.parametrize(
    "garbage",
    [b"this is not a database\n" * 200, b"SQLite format 3\x00" + b"\xff" * 4000],
    ids=["text", "broken-header"],
)
def test_a_corrupt_store_is_recreated_with_a_warning(tmp_path: Path, garbage: bytes) -> None:
    path = tmp_path / STORE_NAME
    path.write_bytes(garbage)
    warnings: list[str] = []
    with open_store(path, warnings) as store:
        assert store.enabled
        assert store.get_many(["k"]) == [None]
        store.put_many([CacheEntry("k", RECORD)])
        assert store.get_many(["k"]) == [RECORD]
    assert len(warnings) == 1
    assert "was unreadable" in warnings[0]
    assert "recreated" in warnings[0]
    assert str(path) in warnings[0]


def test_a_store_from_a_newer_version_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / STORE_NAME
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        connection.execute("INSERT INTO schema_version VALUES (99)")
    warnings: list[str] = []
    with open_store(path, warnings) as store:
        assert not store.enabled
        assert store.get_many(["k"]) == [None]
        store.put_many([CacheEntry("k", RECORD)])
    assert len(warnings) == 1
    assert "newer reviewer" in warnings[0]
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version FROM schema_version").fetchall() == [(99,)]


def test_an_unusable_location_turns_the_cache_off_with_one_warning(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    warnings: list[str] = []
    with open_store(blocker / "reviewer" / STORE_NAME, warnings) as store:
        assert store.get_many(["k"]) == [None]
        store.put_many([CacheEntry("k", RECORD)])
        assert store.get_many(["k"]) == [None]
    assert len(warnings) == 1
    assert "running without it" in warnings[0]


def test_entries_unused_for_long_are_dropped_and_hits_keep_them(tmp_path: Path) -> None:
    clock = Clock()
    with open_store(tmp_path / STORE_NAME, clock=clock) as store:
        store.put_many([CacheEntry("old", RECORD), CacheEntry("used", RECORD)])
        clock.now += 30 * DAY
        assert store.get_many(["used"]) == [RECORD]  # refreshes its last use
        clock.now += (MAX_UNUSED_DAYS - 10) * DAY
        store.put_many([CacheEntry("new", RECORD)])
        assert store.get_many(["old", "used", "new"]) == [None, RECORD, RECORD]


# --- where the store lives ---------------------------------------------------------------


def test_the_store_lives_in_the_git_directory_shared_by_worktrees(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.commit("base")
    git_repo.git("worktree", "add", "-q", str(tmp_path / "other"), "-b", "other")
    expected = (git_repo.path / ".git" / "reviewer" / STORE_NAME).resolve()
    assert default_path(git_repo.path, {}) == expected
    assert default_path(tmp_path / "other", {}) == expected
    assert default_path(git_repo.path, {"REVIEWER_CACHE_DIR": str(tmp_path / "c")}) == (
        tmp_path / "c" / STORE_NAME
    )


def test_outside_a_repository_the_store_is_in_the_user_cache_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_path(None, {}) == tmp_path / "xdg" / "reviewer" / STORE_NAME


def test_a_review_writes_into_the_git_directory_by_default(
    git_repo: GitRepo,
    api: MessagesAPI,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REVIEWER_CACHE_DIR")
    git_repo.write("a.py", "a = 1\n")
    git_repo.commit("base")
    git_repo.write("a.py", "a = 1\n# TODO: later\n")
    review(capsys, "--repo", str(git_repo.path))
    review(capsys, "--repo", str(git_repo.path))
    assert len(sent(api)) == 1
    assert (git_repo.path / ".git" / "reviewer" / STORE_NAME).is_file()


# --- runs --------------------------------------------------------------------------------


def test_a_rerun_sends_nothing_and_reports_the_same_findings(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    diff = write(tmp_path, "a.diff", TWO_HUNKS)
    _, first = review(capsys, "--diff", str(diff))
    assert len(sent(api)) == 1
    _, again = review(capsys, "--diff", str(diff))
    assert len(sent(api)) == 1
    assert again["findings"] == first["findings"]
    assert located(again) == [
        ("app.py", 11, "Unresolved TODO"),
        ("app.py", 42, "eval() runs arbitrary code"),
    ]
    # one review request and a verification request per finding; the rerun verifies nothing
    assert len(verification_requests(api.requests)) == 2
    assert (first["usage"]["cached_hunks"], first["usage"]["requests"]) == (0, 1 + 2)
    assert (again["usage"]["cached_hunks"], again["usage"]["requests"]) == (2, 0)
    assert again["summary"] == first["summary"]


def test_a_shifted_hunk_hits_and_its_findings_move_with_it(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    review(capsys, "--diff", str(write(tmp_path, "a.diff", TWO_HUNKS)))
    _, shifted = review(capsys, "--diff", str(write(tmp_path, "b.diff", SHIFTED)))
    requests = sent(api)
    assert len(requests) == 2
    assert "import sys" in requests[1]
    assert "TODO: first" not in requests[1]
    assert 'eval("2")' not in requests[1]
    assert located(shifted) == [
        ("app.py", 12, "Unresolved TODO"),
        ("app.py", 43, "eval() runs arbitrary code"),
    ]
    assert shifted["usage"]["cached_hunks"] == 2


def test_after_editing_one_hunk_only_that_hunk_is_sent(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    review(capsys, "--diff", str(write(tmp_path, "a.diff", TWO_HUNKS)))
    _, edited = review(capsys, "--diff", str(write(tmp_path, "c.diff", EDITED)))
    requests = sent(api)
    assert len(requests) == 2
    assert 'eval("3")' in requests[1]
    assert "TODO: first" not in requests[1]
    assert located(edited) == [
        ("app.py", 11, "Unresolved TODO"),
        ("app.py", 42, "eval() runs arbitrary code"),
    ]
    assert edited["usage"]["cached_hunks"] == 1


def test_a_config_change_that_reaches_the_prompt_resends_and_a_threshold_does_not(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    diff = str(write(tmp_path, "a.diff", TWO_HUNKS))
    review(capsys, "--diff", diff)
    config = write(tmp_path, "reviewer.yml", "instructions: Focus on security.\n")
    review(capsys, "--diff", diff, "--config", str(config))
    assert len(sent(api)) == 2
    config.write_text("instructions: Focus on security.\nmin_severity: major\n", encoding="utf-8")
    _, stricter = review(capsys, "--diff", diff, "--config", str(config))
    assert len(sent(api)) == 2
    assert located(stricter) == [("app.py", 42, "eval() runs arbitrary code")]
    assert stricter["usage"]["cached_hunks"] == 2
    review(capsys, "--diff", diff, "--model", "claude-haiku-5-5")
    assert len(sent(api)) == 3


def test_a_failed_request_stores_nothing(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    diff = str(write(tmp_path, "a.diff", TWO_HUNKS))
    api.inject(StatusFault(500, should_retry=False))
    code, failed = review(capsys, "--diff", diff)
    assert code == 3
    assert failed["not_reviewed"]
    _, answered = review(capsys, "--diff", diff)
    assert len(sent(api)) == 1
    assert answered["usage"]["cached_hunks"] == 0
    _, cached = review(capsys, "--diff", diff)
    assert len(sent(api)) == 1
    assert cached["usage"]["cached_hunks"] == 2


def test_a_hunk_split_across_requests_is_stored_once_every_piece_was_answered(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = [
        f"+value_{n} = compute({n}, 'a reasonably long argument to fill tokens')"
        for n in range(300)
    ]
    body[10] = "+# TODO: early"
    body[290] = '+late = eval("x")'
    diff = str(write(tmp_path, "big.diff", file_diff("big.py", hunk(0, 1, *body))))
    config = str(write(tmp_path, "reviewer.yml", "request_token_budget: 1500\n"))
    api.inject(StatusFault(500, should_retry=False))
    _, partial = review(capsys, "--diff", diff, "--config", config)
    pieces = len(review_requests(api.requests))
    assert pieces >= 3
    assert partial["not_reviewed"]
    _, whole = review(capsys, "--diff", diff, "--config", config)
    assert len(sent(api)) == 2 * pieces - 1  # every piece again, though only one had failed
    _, cached = review(capsys, "--diff", diff, "--config", config)
    assert len(sent(api)) == 2 * pieces - 1
    assert (
        located(cached)
        == located(whole)
        == [
            ("big.py", 11, "Unresolved TODO"),
            ("big.py", 291, "eval() runs arbitrary code"),
        ]
    )
    assert cached["usage"]["cached_hunks"] == 1


def test_secrets_in_cached_and_never_sent_files_are_still_reported(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key = "AKIA" + "Q3EGRJ7HB4NXK2LA"
    diff_text = file_diff(
        "package-lock.json", hunk(1, 1, " {", f'+  "token": "{key}",', ' "x": 1')
    ) + file_diff("settings.py", hunk(1, 1, " DEBUG = False", f'+AWS_ACCESS_KEY_ID = "{key}"'))
    diff = str(write(tmp_path, "leak.diff", diff_text))
    _, first = review(capsys, "--diff", diff)
    _, again = review(capsys, "--diff", diff)
    assert len(sent(api)) == 1
    secrets = [
        (f["path"], f["line"], f["severity"]) for f in again["findings"] if "Secret" in f["title"]
    ]
    assert sorted(secrets) == [("package-lock.json", 2, "critical"), ("settings.py", 2, "critical")]
    assert again["findings"] == first["findings"]
    assert key not in json.dumps(again)


def test_the_store_never_holds_a_secret(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path, private_review_cache: Path
) -> None:
    key = "AKIA" + "Q3EGRJ7HB4NXK2LA"
    diff_text = file_diff(
        "settings.py", hunk(1, 1, " DEBUG = False", f'+AWS_ACCESS_KEY_ID = "{key}"')
    )
    review(capsys, "--diff", str(write(tmp_path, "leak.diff", diff_text)))
    stored = b"".join(p.read_bytes() for p in private_review_cache.iterdir())
    assert b"Secret in the diff" in stored
    assert key.encode() not in stored


def test_no_cache_neither_reads_nor_writes(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path, private_review_cache: Path
) -> None:
    diff = str(write(tmp_path, "a.diff", TWO_HUNKS))
    review(capsys, "--diff", diff, "--no-cache")
    _, again = review(capsys, "--diff", diff, "--no-cache")
    assert len(sent(api)) == 2
    assert again["usage"]["cached_hunks"] == 0
    assert list(private_review_cache.iterdir()) == []


def test_a_dry_run_plans_only_what_the_cache_cannot_serve(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    review(capsys, "--diff", str(write(tmp_path, "a.diff", TWO_HUNKS)))
    edited = str(write(tmp_path, "c.diff", EDITED))
    assert main(["review", "--dry-run", "--format", "json", "--diff", edited]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [r["hunks"] for r in plan["requests"]] == [1]
    assert main(["review", "--dry-run", "--diff", edited]) == 0
    assert "1 hunk reviewed before: served from the local cache" in capsys.readouterr().out
    assert len(sent(api)) == 1


def test_concurrent_runs_share_one_store(
    api: MessagesAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    diffs = [
        str(
            write(
                tmp_path, f"d{n}.diff", file_diff(f"m{n}.py", hunk(1, 1, " a = 1", f"+# TODO: {n}"))
            )
        )
        for n in range(4)
    ]
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "reviewer", "review", "--format", "json", "--diff", diff],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=os.environ.copy(),
        )
        for diff in diffs
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    assert all(b"warning" not in err for _, err in outputs)
    assert len(sent(api)) == 4
    for diff in diffs:
        _, again = review(capsys, "--diff", diff)
        assert again["usage"]["cached_hunks"] == 1
    assert len(sent(api)) == 4


# --- reviewer cache ----------------------------------------------------------------------


def test_cache_info_and_clear(
    api: MessagesAPI, capsys: pytest.CaptureFixture[str], tmp_path: Path, private_review_cache: Path
) -> None:
    assert main(["cache", "clear"]) == 0
    assert "no review cache" in capsys.readouterr().out
    diff = str(write(tmp_path, "a.diff", TWO_HUNKS))
    review(capsys, "--diff", diff)
    assert main(["cache", "info"]) == 0
    info = capsys.readouterr().out
    assert str(private_review_cache / STORE_NAME) in info
    assert "2 hunk review(s)" in info
    assert main(["cache", "clear"]) == 0
    assert "deleted 2 cached hunk review(s)" in capsys.readouterr().out
    _, after = review(capsys, "--diff", diff)
    assert len(sent(api)) == 2
    assert after["usage"]["cached_hunks"] == 0
