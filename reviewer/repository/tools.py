"""The repository tools Claude may call during a review: definitions, execution, budget.

Three read-only tools over one ``GitTree``: ``read_file`` (a file or a line range),
``search`` (``git grep``: a POSIX extended regular expression or a literal, with an
optional path glob) and ``list_files`` (tracked paths by glob). Every result is
redacted with the same secret redaction as the diff (``reviewer.secrets.redact_text``)
and wrapped between hash-derived boundary lines (``reviewer.prompt.fenced``), so a
file that says "ignore previous instructions" is just content. A path that is
absolute, contains ``..``, or leads outside the tree through a symlink is answered
with a tool error (``is_error``), never with content; so are binary files. Results
are cut to what is left of the request's budget of result tokens, with a note.

Why not the SDK's helpers. SDK 2.x ships a Messages tool runner
(``client.beta.messages.tool_runner``) and reference ``read``/``glob``/``grep``
tools (``anthropic.lib.tools.agent_toolset``). We use neither: the reference
tools are async function tools confined to a *directory on disk*, while the tree
we review is usually a commit or the index, read through git without a checkout
(and on disk we must also refuse untracked files); and the runner sends its turns
through the message-threads beta by default (later turns carry only the new
messages, without ``system`` and ``tools``), which Bedrock and Vertex AI are not
documented to serve and which our local Messages API does not speak. With
``thread=False`` the runner would still replace reviewer's own streaming (the
first request's stream opens the fan-out), its bounded re-sends, its cache
breakpoints and its usage accounting. The loop itself is small
(``reviewer.model``); the tools are these.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reviewer.errors import GitError
from reviewer.repository.tree import GitTree, PathRefused, normalise

# Refused outright: redacting and numbering more than this is not worth a tool turn.
MAX_FILE_BYTES = 2_000_000
# Any one result is cut at this many tokens even when the budget has more room, so
# one read cannot spend a request's whole budget.
MAX_RESULT_TOKENS = 8_000
MAX_SEARCH_HITS = 100
MAX_LISTED_PATHS = 300
_BINARY_SNIFF_BYTES = 8_000
_MAX_LINE_CHARS = 400  # a minified line is cut, so one line cannot eat the budget
RESULT_KIND = "TOOL-RESULT"

Redact = Callable[[str], tuple[str, int]]
Estimate = Callable[[str], int]

_PATH = {"type": "string", "description": "Path relative to the repository root."}
_LINE = {"type": ["integer", "null"], "minimum": 1}

TOOL_DEFINITIONS: tuple[dict[str, Any], ...] = (
    {
        "name": "read_file",
        "description": (
            "Read a tracked file of the repository, or lines start_line..end_line of it "
            "(1-based, inclusive; null for the start or the end). Lines come numbered. "
            "Long files are cut: ask for a range."
        ),
        "input_schema": {
            "type": "object",
            "properties": {"path": _PATH, "start_line": _LINE, "end_line": _LINE},
            "required": ["path", "start_line", "end_line"],
            "additionalProperties": False,
        },
    },
    {
        "name": "search",
        "description": (
            "Search the tracked files for lines matching a POSIX extended regular expression "
            "(or a literal string with literal: true), optionally only in paths matching a "
            "glob such as 'src/**/*.py'. Answers path:line: text, at most "
            f"{MAX_SEARCH_HITS} lines."
        ),
        "input_schema": {
            "type": "object",
            "properties": {
                "pattern": {"type": "string"},
                "literal": {"type": "boolean"},
                "path_glob": {"type": ["string", "null"]},
            },
            "required": ["pattern", "literal", "path_glob"],
            "additionalProperties": False,
        },
    },
    {
        "name": "list_files",
        "description": (
            "List tracked paths matching a glob ('**/*.toml', 'src/app/*'); '**' lists "
            f"everything. At most {MAX_LISTED_PATHS} paths."
        ),
        "input_schema": {
            "type": "object",
            "properties": {"glob": {"type": "string"}},
            "required": ["glob"],
            "additionalProperties": False,
        },
    },
)


@dataclass(frozen=True)
class ToolBudget:
    """What one review request may spend on tools."""

    max_turns: int
    max_result_tokens: int


@dataclass(frozen=True)
class ToolCall:
    """One ``tool_use`` block the model sent."""

    id: str
    name: str
    input: Mapping[str, Any]


@dataclass(frozen=True)
class ToolOutput:
    """What goes back in the ``tool_result`` block for one call."""

    call_id: str
    text: str
    is_error: bool
    tokens: int  # counted against the request's budget


class RepositoryTools:
    """The tools over one tree; ``session`` gives each request its own budget."""

    def __init__(self, tree: GitTree, *, redact: Redact, estimate: Estimate) -> None:
        self.tree = tree
        self._redact = redact
        self.estimate = estimate

    @property
    def definitions(self) -> tuple[dict[str, Any], ...]:
        return TOOL_DEFINITIONS

    def session(self, budget: ToolBudget) -> ToolSession:
        return ToolSession(self, budget)

    def note(self, budget: ToolBudget) -> str:
        """What the model is told about the tools: byte-stable for a tree and a budget."""
        from reviewer.prompt import render_template

        return render_template(
            "tools.md.j2",
            tree=self.tree.describe(),
            max_turns=budget.max_turns,
            max_result_tokens=f"{budget.max_result_tokens:,}",
        )

    def run(self, call: ToolCall, room_tokens: int) -> tuple[str, bool]:
        """The result text of ``call`` cut to ``room_tokens``, and whether it is an error."""
        try:
            if call.name == "read_file":
                text = self._read_file(call.input, room_tokens)
            elif call.name == "search":
                text = self._search(call.input, room_tokens)
            elif call.name == "list_files":
                text = self._list_files(call.input, room_tokens)
            else:
                return f"unknown tool {call.name!r}", True
        except (PathRefused, _BadInput) as refused:
            return f"refused: {refused}", True
        return text, False

    # ---- the tools

    def _read_file(self, given: Mapping[str, Any], room: int) -> str:
        path = _string(given, "path")
        start = _optional_line(given, "start_line")
        end = _optional_line(given, "end_line")
        real, data = self.tree.read(path)
        if len(data) > MAX_FILE_BYTES:
            raise PathRefused(f"{real!r} is {len(data):,} bytes, too large to read")
        if b"\0" in data[:_BINARY_SNIFF_BYTES]:
            raise PathRefused(f"{real!r} is a binary file")
        text, _ = self._redact(data.decode("utf-8", "replace"))
        lines = text.splitlines()
        first = start or 1
        last = min(end or len(lines), len(lines))
        if lines and first > len(lines):
            raise _BadInput(f"{real!r} has {len(lines)} lines; start_line {first} is past its end")
        width = len(str(last))
        rows = [f"{n:>{width}}  {_clip(lines[n - 1])}" for n in range(first, last + 1)]
        shown, cut = self._fit(rows, room, header_tokens=40)
        where = f"{real}" + (f" (via {normalise(path)})" if real != normalise(path) else "")
        span = f"lines {first}-{first + shown - 1} of {len(lines)}" if shown else "empty"
        note = ""
        if cut:
            note = (
                f"\n[cut at line {first + shown - 1} to fit the result budget: "
                "ask for a line range to read further]"
            )
        return f"{where}, {span}, in {self.tree.describe()}:\n" + self._wrap(rows[:shown]) + note

    def _search(self, given: Mapping[str, Any], room: int) -> str:
        pattern = _string(given, "pattern")
        literal = given.get("literal") is True
        glob = given.get("path_glob")
        if glob is not None and not isinstance(glob, str):
            raise _BadInput("path_glob must be a string or null")
        pathspec = _git_glob(_checked_glob(glob)) if glob else None
        try:
            result = self.tree.grep(
                pattern, literal=literal, pathspec=pathspec, max_hits=MAX_SEARCH_HITS
            )
        except GitError as exc:
            raise _BadInput(f"the search failed (is the pattern valid ERE?): {exc}") from None
        rows = [f"{hit.path}:{hit.line}: {_clip(hit.text)}" for hit in result.hits]
        redacted, _ = self._redact("\n".join(rows))
        rows = redacted.split("\n") if rows else []
        shown, cut = self._fit(rows, room, header_tokens=40)
        header = f"{len(rows)} matching lines for {pattern!r} in {self.tree.describe()}"
        if result.truncated or cut:
            header += f" (first {shown} shown; narrow the pattern or the glob for the rest)"
        if not rows:
            return header + ": none."
        return header + ":\n" + self._wrap(rows[:shown])

    def _list_files(self, given: Mapping[str, Any], room: int) -> str:
        glob = _checked_glob(_string(given, "glob"))
        import pathspec

        spec = pathspec.GitIgnoreSpec.from_lines([glob])
        matched = [path for path in self.tree.paths() if spec.match_file(path)]
        rows = matched[:MAX_LISTED_PATHS]
        redacted, _ = self._redact("\n".join(rows))  # a file name can hold a token too
        rows = redacted.split("\n") if rows else []
        shown, _cut = self._fit(rows, room, header_tokens=30)
        header = f"{len(matched)} tracked paths match {glob!r} in {self.tree.describe()}"
        if shown < len(matched):
            header += f" (first {shown} shown)"
        if not rows:
            return header + "."
        return header + ":\n" + self._wrap(rows[:shown])

    # ---- helpers

    def _fit(self, rows: Sequence[str], room: int, *, header_tokens: int) -> tuple[int, bool]:
        """How many of ``rows`` fit in ``room`` tokens (after a header), and whether any were cut."""
        left = min(room, MAX_RESULT_TOKENS) - header_tokens
        for index, row in enumerate(rows):
            left -= self.estimate(row) + 1
            if left < 0:
                return index, True
        return len(rows), False

    def _wrap(self, rows: Sequence[str]) -> str:
        from reviewer.prompt import fenced

        return fenced(RESULT_KIND, "\n".join(rows))


class ToolSession:
    """One review request's use of the tools: the turns and result tokens left."""

    def __init__(self, tools: RepositoryTools, budget: ToolBudget) -> None:
        self._tools = tools
        self.budget = budget
        self.note = tools.note(budget)
        self.turns = 0
        self.result_tokens = 0

    @property
    def definitions(self) -> tuple[dict[str, Any], ...]:
        return self._tools.definitions

    @property
    def spent(self) -> bool:
        """No further tool turn may be offered."""
        return (
            self.turns >= self.budget.max_turns
            or self.result_tokens >= self.budget.max_result_tokens
        )

    def run_turn(self, calls: Sequence[ToolCall]) -> list[ToolOutput]:
        """Answer every call of one model turn (each gets a result, in order)."""
        self.turns += 1
        outputs = []
        for call in calls:
            room = self.budget.max_result_tokens - self.result_tokens
            if room <= 0:
                text = "refused: this request's budget of tool results is spent; answer now"
                outputs.append(ToolOutput(call.id, text, True, 0))
                continue
            text, is_error = self._tools.run(call, room)
            tokens = self._tools.estimate(text)
            self.result_tokens += tokens
            outputs.append(ToolOutput(call.id, text, is_error, tokens))
        return outputs


class _BadInput(Exception):
    """The model's tool input does not fit the schema: answered as a tool error."""


def _string(given: Mapping[str, Any], key: str) -> str:
    value = given.get(key)
    if not isinstance(value, str) or not value:
        raise _BadInput(f"{key} must be a non-empty string")
    return value


def _optional_line(given: Mapping[str, Any], key: str) -> int | None:
    value = given.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _BadInput(f"{key} must be a line number (1 or more) or null")
    return value


def _checked_glob(glob: str) -> str:
    """A glob for tracked paths; the same rules as paths (no absolute, no ``..``)."""
    stripped = glob.strip()
    if stripped in ("**", "*", "**/*"):
        return "**"
    if stripped.startswith("/") or ".." in stripped.split("/"):
        raise _BadInput(f"glob {glob!r} must be relative to the repository root, without '..'")
    if not stripped:
        raise _BadInput("the glob is empty")
    return stripped


def _git_glob(glob: str) -> str:
    """git's glob pathspec matches from the top; a glob without a slash, as in .gitignore
    (and ``list_files``), matches at any depth."""
    return glob if "/" in glob else f"**/{glob}"


def _clip(line: str) -> str:
    from reviewer.prompt import show_controls

    shown = show_controls(line)
    if len(shown) <= _MAX_LINE_CHARS:
        return shown
    return shown[:_MAX_LINE_CHARS] + f" [… {len(shown) - _MAX_LINE_CHARS:,} more characters]"


def estimated_turn_tokens(budget: ToolBudget) -> int:
    """Result tokens a typical tool turn adds, for the dry run: the budget spread evenly."""
    return math.ceil(budget.max_result_tokens / max(1, budget.max_turns))
