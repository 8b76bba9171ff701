"""``reviewer cache info|clear``: where the local review cache is, and emptying it."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from reviewer.cache import ReviewCache, default_path, open_cache
from reviewer.commands.common import find_repo_root, warn
from reviewer.errors import EXIT_OK


def clear(args: argparse.Namespace) -> int:
    path = _cache_path(args.repo)
    if not path.exists():
        print(f"reviewer: no review cache at {path}")
        return EXIT_OK
    with _open_at(path) as cache:
        deleted = cache.clear()
        usable = cache.enabled
    if usable:
        print(f"reviewer: deleted {deleted} cached hunk review(s) from {path}")
    return EXIT_OK


def info(args: argparse.Namespace) -> int:
    path = _cache_path(args.repo)
    if not path.exists():
        print(f"reviewer: no review cache yet; it will be created at {path}")
        return EXIT_OK
    with _open_at(path) as cache:
        entries = cache.count()
    size = sum(
        candidate.stat().st_size
        for candidate in (path, path.with_name(path.name + "-wal"))
        if candidate.exists()
    )
    print(f"reviewer: review cache {path}: {entries} hunk review(s), {size:,} bytes")
    return EXIT_OK


def _cache_path(start: Path) -> Path:
    # Outside a repository: the user-wide store.
    return default_path(find_repo_root(start), os.environ)


def _open_at(path: Path) -> ReviewCache:
    return open_cache(path, warn=warn)
