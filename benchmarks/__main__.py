"""Every benchmark in one command: `python -m benchmarks` (review, start-up, secrets)."""

from __future__ import annotations

import sys

from benchmarks import review, secrets, startup


def main() -> int:
    print("# Review speed, cost and parse throughput\n", flush=True)
    failed = review.main([])
    print("\n# Start-up and the cached hook path\n", flush=True)
    failed |= startup.main([])
    print("\n# Secret scan: what is sent, what is reported, and its speed\n", flush=True)
    failed |= secrets.main([])
    return failed


if __name__ == "__main__":
    sys.exit(main())
