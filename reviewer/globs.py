"""Path globs from the configuration, compiled once with git's own wildmatch rules.

As in .gitignore, a pattern without a slash matches at any depth (``*.py``).
The `ignore` list and the `path_instructions` keys both use this.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from reviewer.errors import ConfigError

PathMatcher = Callable[[str], bool]


def path_matcher(globs: Sequence[str], *, key: str) -> PathMatcher:
    """A predicate for paths matching any of ``globs``; a bad glob names the config ``key``."""
    if not globs:
        return lambda _path: False
    import pathspec

    try:
        spec = pathspec.GitIgnoreSpec.from_lines(globs)
    # pathspec raises a ValueError subclass for a bad pattern and lets re.error
    # through for a bad character range such as [z-a]
    except (ValueError, re.error) as exc:
        shown = globs[0] if len(globs) == 1 else ", ".join(globs)
        raise ConfigError(
            f"invalid glob {shown!r}: {exc}", source="configuration", key=key
        ) from None
    return lambda path: bool(spec.match_file(path))
