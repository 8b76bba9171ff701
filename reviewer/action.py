"""The `reviewer action` command: review the pull request of a GitHub Actions event."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this module's subcommands to the ``reviewer`` parser (none yet)."""
