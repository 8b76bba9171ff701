"""Claude-powered code review for pull requests, local diffs and pre-commit."""

__version__ = "0.1.0"
