"""Turn planned requests into the text blocks sent to Claude.

A request is three blocks, in prompt-cache order: the system prompt (the same
bytes in every run, so one cache entry serves every run), the run context (the
same for every request of a run) and the request block (the hunks of one
request). Only the last one varies between the requests of a run.

Everything taken from the change (code, file names, PR title and description,
repository instructions) is wrapped between ``<<<BEGIN KIND TOKEN>>>`` and
``<<<END KIND TOKEN>>>`` lines. TOKEN is a hash of the wrapped content, so it is
the same on every run (cassettes stay valid) and the content cannot contain the
line that closes it: forging it would take a hash fixed point.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from reviewer.diff import DiffLine, FileDiff, FileStatus, Hunk
from reviewer.globs import path_matcher

if TYPE_CHECKING:
    import jinja2

# Bump when the Python side of the layout changes (columns, boundaries, sanitising):
# prompt_version() covers the templates by hashing their sources, but not this file.
_LAYOUT_REVISION = "2"

_TEMPLATE_PACKAGE = "reviewer.prompts"
_SYSTEM_TEMPLATE = "system.md.j2"
_CONTEXT_TEMPLATE = "context.md.j2"
_REQUEST_TEMPLATE = "request.md.j2"

# Claude's tokenizer averages about 3.5-4 characters per token on English and
# code; 3.2 overestimates on purpose so requests are packed a little small rather
# than too big. Other scripts are far denser (CJK is about a token per character,
# which len(text) / 3.2 would undercount threefold), so every non-ASCII character
# counts as a whole token.
_ASCII_CHARS_PER_TOKEN = 3.2

_MIN_NUMBER_WIDTH = 4
_TOKEN_HEX_DIGITS = 16
_MAX_LISTED_FILES = 500
_MAX_MATCHED_PATHS_SHOWN = 20

# C0 controls except tab (and newline, which never occurs inside a diff line), and DEL.
_CONTROL_IN_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Unicode's Bidi_Control characters.
_BIDI_CONTROLS = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Unicode's Default_Ignorable_Code_Point characters: rendered as nothing, yet read by a
# model. Besides zero-width and bidi controls, tag characters (U+E0000..U+E007F) spell
# out whole ASCII sentences invisibly, and variation selectors can carry hidden bytes.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)
# CommonMark comments, as GitHub hides them: `<!-->` and `<!--->` are complete
# comments, and an unterminated `<!--` hides the rest of the text.
_HTML_COMMENT = re.compile(r"<!--(?:-?>|.*?-->|.*\Z)", re.DOTALL)


@dataclass(frozen=True)
class FileSummary:
    """One file of the run, as listed in the context block."""

    path: str
    old_path: str | None
    status: FileStatus
    added: int
    removed: int

    @classmethod
    def of(cls, file: FileDiff) -> FileSummary:
        return cls(
            path=file.path,
            old_path=file.old_path,
            status=file.status,
            added=sum(hunk.added for hunk in file.hunks),
            removed=sum(hunk.removed for hunk in file.hunks),
        )


@dataclass(frozen=True)
class RunContext:
    """What every request of a run shares; rendered once into the context block."""

    title: str | None
    description: str | None
    files: tuple[FileSummary, ...]
    instructions: str
    path_instructions: tuple[tuple[str, str], ...]  # (gitignore-style glob, text)
    language: str


# --- public API -------------------------------------------------------------------------


@cache
def system_prompt() -> str:
    """The reviewer's rubric: identical bytes on every call and every run."""
    return _environment().get_template(_SYSTEM_TEMPLATE).render()


def context_block(context: RunContext) -> str:
    """The per-run block: language, PR text, changed files, repository instructions."""
    title = _clean_pr_text(context.title or "").replace("\n", " ").strip()
    description = _clean_pr_text(context.description or "").strip()
    instructions = _clean_text(context.instructions).strip()
    file_rows = _file_rows(context.files)
    path_instructions = _matching_path_instructions(context.path_instructions, context.files)
    token = _boundary_token(
        [
            title,
            description,
            instructions,
            *file_rows,
            *(part for item in path_instructions for part in item.parts()),
        ]
    )
    return (
        _environment()
        .get_template(_CONTEXT_TEMPLATE)
        .render(
            token=token,
            language=_one_line(context.language),
            pr_sections=tuple(
                (kind, text)
                for kind, text in (("PR-TITLE", title), ("PR-DESCRIPTION", description))
                if text
            ),
            file_rows=file_rows,
            file_count=len(context.files),
            unlisted=_unlisted_summary(context.files),
            total_added=sum(f.added for f in context.files),
            total_removed=sum(f.removed for f in context.files),
            instructions=instructions,
            path_instructions=path_instructions,
        )
    )


def request_block(files: Sequence[FileDiff]) -> str:
    """The varying block: exactly the hunks of ``files``, numbered so they can be cited."""
    width = _number_width(files)
    views = tuple(_FileView.of(file, width) for file in files)
    token = _boundary_token(part for view in views for part in view.parts())
    return (
        _environment()
        .get_template(_REQUEST_TEMPLATE)
        .render(
            token=token,
            files=views,
            hunk_count=sum(len(view.hunks) for view in views),
        )
    )


def render_template(name: str, **values: object) -> str:
    """A template of ``prompts/`` rendered with ``values`` (the tools and verification prompts)."""
    return _environment().get_template(name).render(**values)


def fenced(kind: str, text: str) -> str:
    """``text`` between boundary lines derived from its hash, as the diff is: data, not prose."""
    token = _boundary_token([kind, text])
    return f"<<<BEGIN {kind} {token}>>>\n{text}\n<<<END {kind} {token}>>>"


def estimate_tokens(text: str) -> int:
    """A conservative local token estimate, no API call.

    ``ceil(ascii_chars / 3.2) + non_ascii_chars``: it overestimates English and
    code by roughly 10-25%, the safe direction for packing requests under a budget.
    """
    ascii_chars = len(text.encode("ascii", errors="ignore"))
    return math.ceil(ascii_chars / _ASCII_CHARS_PER_TOKEN) + (len(text) - ascii_chars)


@cache
def prompt_version() -> str:
    """A short hash of every template source and the layout revision, for cache keys."""
    from importlib.resources import files

    digest = hashlib.sha256(f"layout {_LAYOUT_REVISION}\n".encode())
    package = files(_TEMPLATE_PACKAGE)
    for name in sorted(entry.name for entry in package.iterdir() if entry.name.endswith(".j2")):
        digest.update(f"\0{name}\0".encode())
        digest.update(package.joinpath(name).read_bytes())
    return digest.hexdigest()[:12]


def show_controls(text: str) -> str:
    """Replace C0 controls (except tab) and DEL by their visible Unicode pictures.

    Applied to every code line shown to the model: a finding's ``code`` quotes
    the line as shown, so re-anchoring should compare against this, not the raw text.
    """
    # Most lines have no control character, and a search finds that out several
    # times faster than a substitution with a function would.
    if _CONTROL_IN_LINE.search(text) is None:
        return text
    return _CONTROL_IN_LINE.sub(_control_picture, text)


def display_path(path: str) -> str:
    """A file name as the model sees it: bidi controls removed, controls made visible.

    The model cites paths as shown; map them back with ``{display_path(p): p}``.
    """
    return show_controls(_BIDI_CONTROLS.sub("", path))


# --- the request block -------------------------------------------------------------------


@dataclass(frozen=True)
class _HunkView:
    header: str
    rows: tuple[str, ...]

    @classmethod
    def of(cls, hunk: Hunk, width: int) -> _HunkView:
        section = f" {show_controls(hunk.section)}" if hunk.section else ""
        header = (
            f"@@ -{hunk.old_start},{hunk.old_count} +{hunk.new_start},{hunk.new_count} @@{section}"
        )
        return cls(header=header, rows=_rows(hunk.lines, width))

    @property
    def text(self) -> str:
        return "\n".join(self.rows)


@dataclass(frozen=True)
class _FileView:
    path: str
    old_path: str | None
    status: str
    mode_change: str | None
    note: str | None  # said instead of hunks when there is no text to show
    hunks: tuple[_HunkView, ...]

    @classmethod
    def of(cls, file: FileDiff, width: int) -> _FileView:
        return cls(
            path=display_path(file.path),
            old_path=display_path(file.old_path) if file.old_path else None,
            status=file.status.value,
            mode_change=f"{file.old_mode} -> {file.new_mode}" if file.mode_changed else None,
            note=_file_note(file),
            hunks=tuple(_HunkView.of(hunk, width) for hunk in file.hunks),
        )

    def parts(self) -> Iterator[str]:
        yield self.path
        yield self.old_path or ""
        for hunk in self.hunks:
            yield hunk.header
            yield from hunk.rows


def _file_note(file: FileDiff) -> str | None:
    if file.hunks:
        return None
    if file.is_binary:
        return "binary file: content not shown"
    return "no content change shown"


def _rows(lines: Sequence[DiffLine], width: int) -> tuple[str, ...]:
    """``old new marker text`` per line; a missing number is blank, so no row starts at column 0.

    Every line of every request is formatted here (and once more when planning
    measures a file), hence the plain loop and string methods.
    """
    rows = []
    for line in lines:
        old, new, text = line.old_no, line.new_no, line.text
        # the kind is a StrEnum: it concatenates as its marker
        columns = (
            ("" if old is None else str(old)).rjust(width)
            + " "
            + ("" if new is None else str(new)).rjust(width)
            + " "
            + line.kind
        )
        rows.append(f"{columns} {show_controls(text)}" if text else columns)
    return tuple(rows)


def _number_width(files: Sequence[FileDiff]) -> int:
    largest = max(
        (
            max(line.old_no or 0, line.new_no or 0)
            for file in files
            for hunk in file.hunks
            for line in hunk.lines
        ),
        default=0,
    )
    return max(_MIN_NUMBER_WIDTH, len(str(largest)))


# --- the context block -------------------------------------------------------------------


@dataclass(frozen=True)
class _PathInstruction:
    glob: str
    applies_to: str  # the matching files of the run, capped
    text: str

    def parts(self) -> Iterator[str]:
        yield self.glob
        yield self.applies_to
        yield self.text


def _file_rows(files: Sequence[FileSummary]) -> tuple[str, ...]:
    listed = files[:_MAX_LISTED_FILES]
    counts = [f"+{file.added} -{file.removed}" for file in listed]
    width = max(map(len, counts), default=0)
    return tuple(
        f"{file.status.value:<8} {count:>{width}}  {_shown_name(file)}"
        for file, count in zip(listed, counts, strict=True)
    )


def _shown_name(file: FileSummary) -> str:
    renamed = f" (from {display_path(file.old_path)})" if file.old_path else ""
    return f"{display_path(file.path)}{renamed}"


def _unlisted_summary(files: Sequence[FileSummary]) -> str | None:
    rest = files[_MAX_LISTED_FILES:]
    if not rest:
        return None
    added = sum(f.added for f in rest)
    removed = sum(f.removed for f in rest)
    return f"{len(rest)} more files not listed (+{added} -{removed})"


def _matching_path_instructions(
    path_instructions: Iterable[tuple[str, str]], files: Sequence[FileSummary]
) -> tuple[_PathInstruction, ...]:
    selected = []
    for glob, text in path_instructions:
        matched = _matching_files(glob, files)
        if not matched:
            continue
        shown = ", ".join(display_path(file.path) for file in matched[:_MAX_MATCHED_PATHS_SHOWN])
        more = len(matched) - _MAX_MATCHED_PATHS_SHOWN
        selected.append(
            _PathInstruction(
                glob=_one_line(glob),
                applies_to=f"{shown} and {more} more" if more > 0 else shown,
                text=_clean_text(text).strip(),
            )
        )
    return tuple(selected)


def _matching_files(glob: str, files: Sequence[FileSummary]) -> list[FileSummary]:
    """Files whose path, or old path, matches ``glob``."""
    matches = path_matcher([glob], key="path_instructions")
    return [
        file for file in files if matches(file.path) or (file.old_path and matches(file.old_path))
    ]


# --- sanitising -------------------------------------------------------------------------


def _clean_pr_text(text: str) -> str:
    """Drop what GitHub shows nobody but a model would read: HTML comments, invisibles.

    Comments go first, matching what GitHub renders; removing invisible characters
    first could close a comment early and reveal text no human reviewer saw.
    """
    return _clean_text(_INVISIBLE.sub("", _HTML_COMMENT.sub("", text)))


def _clean_text(text: str) -> str:
    """Multi-line text: line endings normalised, controls other than tab and newline shown."""
    normalised = text.replace("\r\n", "\n")
    return _CONTROL_IN_TEXT.sub(_control_picture, normalised)


def _one_line(text: str) -> str:
    return show_controls(_INVISIBLE.sub("", text)).strip()


def _control_picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    return "\u2421" if code == 0x7F else chr(0x2400 + code)


def _boundary_token(parts: Iterable[str]) -> str:
    # One update of the joined text: the same digest as one update per part, faster.
    joined = "".join(f"{part}\0" for part in parts)
    digest = hashlib.sha256(joined.encode("utf-8", errors="surrogatepass"))
    return digest.hexdigest()[:_TOKEN_HEX_DIGITS]


# --- templates --------------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The system prompt's worked examples are real diffs rendered exactly as requests are.
    environment.filters["as_request"] = _example_request
    return environment


def _template_source(name: str) -> str:
    from importlib.resources import files

    return files(_TEMPLATE_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def _example_request(diff_text: str) -> str:
    from reviewer.diff import parse_diff

    return request_block(parse_diff(diff_text, source="system prompt example").files)
