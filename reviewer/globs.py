"""Path globs from the configuration, compiled once with git's own wildmatch rules.

As in .gitignore, a pattern without a slash matches at any depth (``*.py``).
The `ignore` list and the `path_instructions` keys both use this.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from reviewer.errors import ConfigError

PathMatcher = Callable[[str], bool]


def path_matcher(globs: Sequence[str], *, key: str, source: str = "configuration") -> PathMatcher:
    """A predicate for paths matching any of ``globs``; a bad glob is named with ``key``."""
    if not globs:
        return lambda _path: False
    import pathspec

    for glob in globs:
        problem = glob_problem(glob)
        if problem is not None:
            raise ConfigError(f"invalid glob {glob!r}: {problem}", source=source, key=key)
    spec = pathspec.GitIgnoreSpec.from_lines(globs)
    return lambda path: bool(spec.match_file(path))


def glob_problem(glob: str) -> str | None:
    """Why ``glob`` cannot work as a configuration glob, or None when it can.

    Beyond what pathspec refuses, this catches globs it accepts but that can
    never match anything, which would otherwise do nothing without a word.
    """
    if not glob.strip():
        return "an empty glob matches nothing"
    if glob.startswith("#"):
        return "a glob starting with '#' is a comment in gitignore syntax; write '\\#' instead"
    if _has_unclosed_bracket(glob):
        return "'[' without a closing ']' matches nothing (write '\\[' for a literal '[')"
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([glob])
    # pathspec raises a ValueError subclass for a bad pattern and lets re.error
    # through for a bad character range such as [z-a]
    except (ValueError, re.error) as exc:
        return str(exc)
    return None


def _has_unclosed_bracket(glob: str) -> bool:
    """Whether a ``[`` opens a set that never closes: git's wildmatch then matches nothing."""
    index = 0
    while index < len(glob):
        char = glob[index]
        if char == "\\":
            index += 2
        elif char == "[":
            end = _set_end(glob, index)
            if end is None:
                return True
            index = end + 1
        else:
            index += 1
    return False


def _set_end(glob: str, start: int) -> int | None:
    """The index of the ``]`` that closes the set opened at ``start``, or None."""
    index = start + 1
    if glob[index : index + 1] in ("!", "^"):
        index += 1
    if glob[index : index + 1] == "]":  # a ']' first in the set is a member
        index += 1
    while index < len(glob):
        if glob[index] == "\\":
            index += 2
        elif glob.startswith("[:", index):
            close = glob.find(":]", index + 2)
            index = close + 2 if close >= 0 else index + 1
        elif glob[index] == "]":
            return index
        else:
            index += 1
    return None
