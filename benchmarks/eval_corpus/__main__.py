"""Build the corpus: ``python -m benchmarks.eval_corpus --out corpus/``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from benchmarks.eval_corpus.build import PLAN, Picked, PlanShortfall, select, write_corpus
from benchmarks.eval_corpus.sources import (
    DEFAULT_CACHE_DIR,
    PINNED,
    SourceUnavailable,
    load,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.eval_corpus",
        description="Build the reviewer eval corpus from pinned PyPI and npm releases.",
    )
    parser.add_argument("--out", type=Path, required=True, help="the corpus directory to write")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE_DIR,
        help=f"where downloaded archives are kept (default {DEFAULT_CACHE_DIR})",
    )
    parser.add_argument(
        "--offline", action="store_true", help="fail instead of downloading a missing archive"
    )
    parser.add_argument(
        "--no-tree", action="store_true", help="leave out each case's tree/ (the new side's files)"
    )
    args = parser.parse_args(argv)
    try:
        releases = [load(pinned, args.cache_dir, offline=args.offline) for pinned in PINNED]
        cases = select(releases, PLAN)
        write_corpus(cases, args.out, with_tree=not args.no_tree)
    except (SourceUnavailable, PlanShortfall, FileExistsError) as exc:
        print(f"eval_corpus: {exc}", file=sys.stderr)
        return 1
    print(summary(cases, args.out))
    return 0


def summary(cases: Sequence[tuple[str, Picked]], out: Path) -> str:
    counts = Counter(
        (p.quota.language, "clean" if p.quota.clean else "seeded", p.quota.operator)
        for _, p in cases
    )
    seeded = sum(n for (_, kind, _), n in counts.items() if kind == "seeded")
    lines = [
        f"{len(cases)} cases in {out}: {seeded} seeded, {len(cases) - seeded} clean",
        "",
        "| language | kind | operator | cases |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {lang} | {kind} | {op} | {n} |" for (lang, kind, op), n in sorted(counts.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
