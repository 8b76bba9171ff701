"""Every benchmark in one command: `python -m benchmarks` (review, then start-up)."""

from __future__ import annotations

import sys

from benchmarks import review, startup


def main() -> int:
    print("# Review speed, cost and parse throughput\n", flush=True)
    failed = review.main([])
    print("\n# Start-up and the cached hook path\n", flush=True)
    failed |= startup.main([])
    return failed


if __name__ == "__main__":
    sys.exit(main())
