"""Parse a unified diff into files, hunks and the lines GitHub lets us comment on.

GitHub's rule, which every anchor in this project follows: a comment on the
RIGHT side may target an added or context line by its new-file number, one on
the LEFT side a removed or context line by its old-file number, and only inside
a hunk.

The parser is our own rather than unidiff's. unidiff drops lines beyond a hunk's
declared counts without a word, turns blank lines after a hunk into context
lines without numbers, guesses renames by comparing names, and misreads
``diff --git a/x b/y b/x b/y``. A misread diff anchors comments on the wrong
lines, so every structural surprise here is a DiffError naming the source and
the 1-based line. Text around the diff (mail headers, commit messages, ``diff
-r`` chatter) is skipped, as ``git apply`` skips it.

Combined diffs (a merge against several parents: ``git log -c``/``--cc``,
``git diff`` during a merge) have no two-sided line numbers to anchor on; their
sections are skipped and named in ``Diff.warnings``, and the rest is returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property

from reviewer.errors import DiffError
from reviewer.values import Side


class LineKind(StrEnum):
    ADDED = "+"
    REMOVED = "-"
    CONTEXT = " "


class FileStatus(StrEnum):
    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"
    RENAMED = "renamed"
    COPIED = "copied"


_SYMLINK_MODE = "120000"
_SUBMODULE_MODE = "160000"


@dataclass(frozen=True)
class DiffLine:
    kind: LineKind
    old_no: int | None
    new_no: int | None
    text: str  # without the diff marker and the line ending

    def number(self, side: Side) -> int | None:
        return self.new_no if side is Side.RIGHT else self.old_no


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str  # the text after the second @@ (often the enclosing function)
    lines: tuple[DiffLine, ...]

    @property
    def header(self) -> str:
        tail = f" {self.section}" if self.section else ""
        return f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@{tail}"

    def commentable(self, side: Side) -> frozenset[int]:
        wanted = LineKind.ADDED if side is Side.RIGHT else LineKind.REMOVED
        numbers = (
            line.number(side) for line in self.lines if line.kind in (wanted, LineKind.CONTEXT)
        )
        return frozenset(n for n in numbers if n is not None)

    def line_at(self, number: int, side: Side) -> DiffLine | None:
        for line in self.lines:
            if line.number(side) == number and line.kind is not _excluded(side):
                return line
        return None

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.kind is LineKind.ADDED)

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.kind is LineKind.REMOVED)


def _excluded(side: Side) -> LineKind:
    """The kind of line that has no number on ``side``."""
    return LineKind.REMOVED if side is Side.RIGHT else LineKind.ADDED


@dataclass(frozen=True)
class FileDiff:
    path: str  # the new path; the old one for a deleted file
    old_path: str | None  # set for renames and copies only
    status: FileStatus
    hunks: tuple[Hunk, ...] = ()
    is_binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None

    @cached_property
    def _commentable(self) -> dict[Side, frozenset[int]]:
        return {
            side: frozenset().union(*(h.commentable(side) for h in self.hunks)) for side in Side
        }

    def commentable(self, side: Side) -> frozenset[int]:
        return self._commentable[side]

    def hunk_for(self, number: int, side: Side) -> Hunk | None:
        for hunk in self.hunks:
            if number in hunk.commentable(side):
                return hunk
        return None

    @property
    def mode_changed(self) -> bool:
        return (
            self.old_mode is not None
            and self.new_mode is not None
            and (self.old_mode != self.new_mode)
        )

    @property
    def is_symlink(self) -> bool:
        return _SYMLINK_MODE in (self.old_mode, self.new_mode)

    @property
    def is_submodule(self) -> bool:
        return _SUBMODULE_MODE in (self.old_mode, self.new_mode)

    @property
    def added(self) -> int:
        return sum(hunk.added for hunk in self.hunks)

    @property
    def removed(self) -> int:
        return sum(hunk.removed for hunk in self.hunks)


@dataclass(frozen=True)
class Diff:
    files: tuple[FileDiff, ...] = field(default=())
    # What the parser left out on purpose (combined diffs), worth telling the user.
    warnings: tuple[str, ...] = ()

    def file(self, path: str) -> FileDiff | None:
        for candidate in self.files:
            if candidate.path == path:
                return candidate
        return None

    @property
    def is_empty(self) -> bool:
        return not self.files


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping it: a ``\\r`` inside a CRLF line is content.

    ``str.splitlines`` would also split on ``\\r``, form feeds and U+2028, which
    shifts every line number after such a character.
    """
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1] + "\n")
    return lines


def parse_diff(text: str, *, source: str = "<diff>") -> Diff:
    """Parse ``text``; raise DiffError naming ``source`` and the offending line.

    Blank text is an empty diff. Text that holds no file header at all is not a
    diff and is rejected, so that a wrong file passed by mistake is noticed.
    """
    if not text.strip():
        return Diff()
    parser = _Parser(split_lines(text), source)
    files = parser.files()
    if not files and not parser.combined:
        raise parser.error(
            "not a unified diff: no 'diff --git' or '---'/'+++' file header found",
            parser.first_text_line(),
        )
    return Diff(files=tuple(files), warnings=_combined_warnings(parser.combined, source))


_NAMED_SECTIONS = 10  # a merge's combined diff can have hundreds of sections


def _combined_warnings(sections: list[tuple[int, str]], source: str) -> tuple[str, ...]:
    """One warning for all the combined sections skipped, naming the first few."""
    if not sections:
        return ()
    why = (
        "a merge's diff against several parents (git log -c/--cc, git diff during a merge) "
        "has no two-sided line numbers; review a two-way diff instead, e.g. "
        "git diff MERGE^1 MERGE"
    )
    if len(sections) == 1:
        line, name = sections[0]
        return (f"{source}:{line}: skipped the combined diff of {name}: {why}",)
    shown = ", ".join(f"{name} (line {line})" for line, name in sections[:_NAMED_SECTIONS])
    more = len(sections) - _NAMED_SECTIONS
    tail = f" and {more} more" if more > 0 else ""
    return (f"{source}: skipped {len(sections)} combined diff sections, {shown}{tail}: {why}",)


_DEV_NULL = "/dev/null"
# No digit cap: diffs from other tools carry 19-digit numbers (64-bit limits). A number
# past int()'s digit limit is still reported as a malformed header, not a crash.
_HUNK_HEADER = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)")
_COMBINED_HEADERS = ("diff --cc ", "diff --combined ")
_SECTION_HEADERS = ("diff --git ", *_COMBINED_HEADERS)
# After "GIT binary patch": block headers, base85 lines (a length letter, then
# characters of git's base85 alphabet, which has no space) and blank separators.
_BINARY_PAYLOAD = re.compile(r"(?:literal|delta) \d+|[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]+|")
_EXTENDED_HEADER = re.compile(
    r"(?P<mode_key>old mode|new mode|deleted file mode|new file mode) (?P<mode>[0-7]+)"
    r"|(?P<move_key>rename from|rename to|copy from|copy to) (?P<name>.+)"
    r"|(?:dis)?similarity index \d+%"
    r"|index [0-9a-f]+\.\.[0-9a-f]+(?: (?P<index_mode>[0-7]+))?"
)
_HUNK_MARKERS = {"+": LineKind.ADDED, "-": LineKind.REMOVED, " ": LineKind.CONTEXT}


@dataclass
class _Header:
    """What one file's header lines say, before its paths and status are decided."""

    start: int  # index of the header's first line
    git_names: tuple[str, str] | None = None  # the two names of `diff --git`, prefixed
    minus: str | None = None  # the `---` name, unquoted, still prefixed
    plus: str | None = None  # the `+++` name, likewise
    minus_absent: bool = False  # the `---` line says the old file does not exist (diff -N)
    plus_absent: bool = False  # the `+++` line says the new file does not exist
    moves: dict[str, str] = field(default_factory=dict)  # "rename from" -> name, ...
    modes: dict[str, str] = field(default_factory=dict)  # "old mode" -> mode, ...
    index_mode: str | None = None
    is_binary: bool = False
    hunks: list[Hunk] = field(default_factory=list)

    def read_extended(self, line: str) -> bool:
        """Record one git extended header line; False when ``line`` is not one."""
        match = _EXTENDED_HEADER.fullmatch(line)
        if match is None:
            return False
        if match["mode_key"]:
            self.modes[match["mode_key"]] = match["mode"]
        elif match["move_key"]:
            self.moves[match["move_key"]] = unquote_path(match["name"])
        elif match["index_mode"]:
            self.index_mode = match["index_mode"]
        return True

    @property
    def status(self) -> FileStatus:
        if "copy from" in self.moves and "copy to" in self.moves:
            return FileStatus.COPIED
        if "rename from" in self.moves and "rename to" in self.moves:
            return FileStatus.RENAMED
        if "new file mode" in self.modes or self.minus == _DEV_NULL or self._absent("old"):
            return FileStatus.ADDED
        if "deleted file mode" in self.modes or self.plus == _DEV_NULL or self._absent("new"):
            return FileStatus.DELETED
        return FileStatus.MODIFIED

    def _absent(self, side: str) -> bool:
        """A plain diff's side marked absent (``diff -N``'s epoch), and empty in every hunk.

        Both must hold, as for ``patch``: an epoch timestamp alone could be a real
        file's, and a hunk from line 0 alone is also how an empty file grows.
        """
        if self.git_names is not None or not self.hunks:
            return False
        if side == "old":
            return self.minus_absent and all(h.old_start == h.old_count == 0 for h in self.hunks)
        return self.plus_absent and all(h.new_start == h.new_count == 0 for h in self.hunks)

    def paths(self) -> tuple[str | None, str | None]:
        """The old and the new path without prefixes; None where a name is unknown."""
        status = self.status
        if status is FileStatus.COPIED:
            return self.moves["copy from"], self.moves["copy to"]
        if status is FileStatus.RENAMED:
            return self.moves["rename from"], self.moves["rename to"]
        old_prefix, new_prefix = self._prefixes()
        old_name = self.minus if self.minus is not None else self._git_name(0)
        new_name = self.plus if self.plus is not None else self._git_name(1)
        return _without_prefix(old_name, old_prefix), _without_prefix(new_name, new_prefix)

    def _git_name(self, index: int) -> str | None:
        return self.git_names[index] if self.git_names else None

    def _prefixes(self) -> tuple[str, str]:
        for pair in (self.git_names, (self.minus, self.plus)):
            if pair is not None:
                prefixes = _name_prefixes(*pair)
                if prefixes is not None:
                    return prefixes
        # one side is /dev/null and nothing else tells: git's and `diff -u a/ b/`'s default
        return "a/", "b/"

    @property
    def old_mode(self) -> str | None:
        return (
            self.modes.get("old mode")
            or self.modes.get("deleted file mode")
            or (None if "new file mode" in self.modes else self.index_mode)
        )

    @property
    def new_mode(self) -> str | None:
        return (
            self.modes.get("new mode")
            or self.modes.get("new file mode")
            or (None if "deleted file mode" in self.modes else self.index_mode)
        )


def _without_prefix(name: str | None, prefix: str) -> str | None:
    if name is None or name == _DEV_NULL:
        return None
    return name.removeprefix(prefix)


def _name_prefixes(old: str | None, new: str | None) -> tuple[str, str] | None:
    """The prefixes of two names of the same file: ``a/x``, ``b/x`` → ``a/``, ``b/``.

    Like git's own header parser: the names are one path under two
    one-component prefixes, or (``diff.noprefix``) the same name twice.
    """
    if old is None or new is None or _DEV_NULL in (old, new):
        return None
    if old == new:
        return "", ""
    old_head, old_slash, old_rest = old.partition("/")
    new_head, new_slash, new_rest = new.partition("/")
    if old_slash and new_slash and old_rest and old_rest == new_rest:
        return old_head + "/", new_head + "/"
    return None


def _split_git_header(rest: str) -> tuple[str, str] | None:
    """The two names after ``diff --git``, unquoted; None when they cannot be told apart.

    git quotes both names or neither, except in renames, whose ``rename from``
    and ``rename to`` lines say the names anyway. Unquoted names may hold
    spaces, so the split is the one where both halves name the same path.
    """
    if rest.startswith('"'):
        first, end = _take_quoted(rest, 0)
        if first is None or rest[end : end + 1] != " ":
            return None
        return first, unquote_path(rest[end + 1 :])
    return _split_same_name(rest)


def _split_same_name(rest: str) -> tuple[str, str] | None:
    """Split ``P1/R P2/R`` (or ``R R``) at the right space, in time linear in its length.

    A file name may be as long as the tree allows, and a pull request chooses
    its names, so no split may cost a comparison per space.
    """
    middle = len(rest) // 2
    if len(rest) % 2 and rest[middle] == " " and rest[:middle] == rest[middle + 1 :]:
        return rest[:middle], rest[middle + 1 :]
    first_slash = rest.find("/")
    second_slash = first_slash
    for space in (i for i, char in enumerate(rest) if char == " " and i > first_slash >= 0):
        if second_slash <= space:
            second_slash = rest.find("/", space + 1)
            if second_slash < 0:
                return None
        # the shared rest R has one length on both sides: at most one space fits
        if space - first_slash == len(rest) - second_slash:
            old, new = rest[:space], rest[space + 1 :]
            if old[first_slash + 1 :] == new[second_slash - space :]:
                return old, new
    return None


def _take_quoted(text: str, start: int) -> tuple[str | None, int]:
    """Unquote the C-quoted name that opens at ``text[start]``; return it and its end."""
    index = start + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
        elif text[index] == '"':
            return unquote_path(text[start : index + 1]), index + 1
        else:
            index += 1
    return None, len(text)


# The timestamp that GNU diff, BSD diff, Mercurial or difflib write after the name on a
# ---/+++ line, after a tab, or after spaces where a terminal or an editor turned the
# tab into them. ISO form "2024-01-01 10:00:00.000000000 +0000"; C's asctime form
# "Thu Jan  1 00:00:00 1970", which Mercurial writes with a zone.
_ISO_STAMP = (
    r"(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)"
    r"(?:[ T](?P<hour>\d\d):(?P<minute>\d\d)(?::(?P<second>\d\d)(?:\.(?P<fraction>\d+))?)?)?"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ASCTIME_STAMP = (
    rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<month_name>{'|'.join(_MONTHS)}) +(?P<a_day>\d\d?)"
    r" (?P<a_hour>\d\d):(?P<a_minute>\d\d):(?P<a_second>\d\d) (?P<a_year>\d{4})"
)
_HEADER_STAMP = re.compile(
    rf"(?:{_ISO_STAMP}|{_ASCTIME_STAMP})(?: ?(?P<zone>[+-]\d\d:?\d\d|Z|UTC|GMT))?"
)
# Words tried from the end of a ---/+++ line for a timestamp after spaces: the longest
# stamp has six spaces ("Thu Jan  1 00:00:00 1970 +0000"), the separator a few more.
_STAMP_SPACES = 10
_EPOCH = datetime(1970, 1, 1)
# Without a zone, the time is local to a zone we do not know: UTC-12 to UTC+14.
_LOCAL_ZONE_SPAN = timedelta(hours=14)
# Subversion's label for the missing side of an added or deleted file.
_SVN_ABSENT = "(nonexistent)"


def _file_header_name(line: str) -> tuple[str, bool]:
    """The name on a ``---``/``+++`` line, and whether the line says the file is absent.

    The timestamp or label after the name is dropped: after the last tab, or
    after spaces. ``diff -N`` marks the missing side of an added or deleted file
    with the epoch as its timestamp, Subversion with "(nonexistent)".
    """
    rest = line[4:]
    if rest.startswith('"'):
        name, end = _take_quoted(rest, 0)
        if name is not None:
            label = rest[end:].strip()
            stamp = _HEADER_STAMP.fullmatch(label)
            return name, _is_epoch(stamp) if stamp else label == _SVN_ABSENT
    before_tab, tab, after_tab = rest.rpartition("\t")
    stamp = _HEADER_STAMP.fullmatch(after_tab.strip()) if tab else None
    if stamp is not None:
        return before_tab, _is_epoch(stamp)
    spaced = _space_separated_stamp(rest)
    if spaced is not None:
        return spaced
    if tab:  # a label that is no timestamp: Subversion's "(working copy)", git's empty one
        return before_tab, after_tab.strip() == _SVN_ABSENT
    return rest, False


def _space_separated_stamp(rest: str) -> tuple[str, bool] | None:
    """``name 2024-01-01 10:00:00 +0000`` split into the name and whether it is the epoch.

    Only a stamp with a time counts: ``notes 2024-01-01`` is more likely a name.
    Only the last few words are tried, so a name full of spaces costs one split.
    """
    words = rest.rsplit(" ", _STAMP_SPACES)
    for count in range(len(words) - 1, 0, -1):
        name = " ".join(words[:-count]).rstrip(" ")
        stamp = _HEADER_STAMP.fullmatch(" ".join(words[-count:]))
        if name and stamp is not None and (stamp["hour"] or stamp["a_hour"]):
            return name, _is_epoch(stamp)
    return None


def _is_epoch(stamp: re.Match[str]) -> bool:
    """Whether ``stamp`` is 1970-01-01 00:00:00 UTC, as far as its zone tells."""
    if stamp["year"]:
        if stamp["hour"] is None or (stamp["fraction"] or "0").strip("0"):
            return False
        year, month, day = int(stamp["year"]), int(stamp["month"]), int(stamp["day"])
        hour, minute, second = int(stamp["hour"]), int(stamp["minute"]), int(stamp["second"] or 0)
    else:
        year, month, day = (
            int(stamp["a_year"]),
            _MONTHS.index(stamp["month_name"]) + 1,
            int(stamp["a_day"]),
        )
        hour, minute, second = int(stamp["a_hour"]), int(stamp["a_minute"]), int(stamp["a_second"])
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:  # a day or hour out of range: not a time at all
        return False
    zone = stamp["zone"]
    if zone is None:
        return abs(moment - _EPOCH) <= _LOCAL_ZONE_SPAN
    return moment - _zone_offset(zone) == _EPOCH


def _zone_offset(zone: str) -> timedelta:
    if zone in ("Z", "UTC", "GMT"):
        return timedelta()
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return -offset if zone[0] == "-" else offset


def _binary_names(line: str) -> tuple[str, str] | None:
    """The names in ``Binary files OLD and NEW differ``; a name holding " and " may split wrongly."""
    if not (line.startswith("Binary files ") and line.endswith(" differ")):
        return None
    old, found, new = line.removeprefix("Binary files ").removesuffix(" differ").rpartition(" and ")
    return (old, new) if found and old and new else None


def _shown(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, shortened: a garbage line can be megabytes long."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def _bare(line: str) -> str:
    """A header line without its line ending (``\\n`` or ``\\r\\n``)."""
    return line.removesuffix("\n").removesuffix("\r")


class _Parser:
    """Reads ``lines`` once, front to back; ``at`` is the index of the next line."""

    def __init__(self, lines: list[str], source: str) -> None:
        self.lines = lines
        self.source = source
        self.at = 0
        self.combined: list[tuple[int, str]] = []  # skipped sections: 1-based line, name

    def error(self, message: str, index: int) -> DiffError:
        return DiffError(message, source=self.source, line=index + 1)

    def first_text_line(self) -> int:
        return next((i for i, line in enumerate(self.lines) if line.strip()), 0)

    def _bare_at(self, index: int) -> str | None:
        return _bare(self.lines[index]) if index < len(self.lines) else None

    def _starts_with(self, index: int, *prefixes: str) -> bool:
        """Whether the lines from ``index`` on start with ``prefixes``, one each."""
        for offset, prefix in enumerate(prefixes):
            line = self._bare_at(index + offset)
            if line is None or not line.startswith(prefix):
                return False
        return True

    def _starts_plain_file(self, index: int) -> bool:
        # Like `git apply`: without a hunk right after them, "---" and "+++" lines
        # are prose (a commit message, a mail), not a file header.
        return self._starts_with(index, "--- ", "+++ ", "@@ -")

    def files(self) -> list[FileDiff]:
        files: list[FileDiff] = []
        while self.at < len(self.lines):
            line = _bare(self.lines[self.at])
            binary = _binary_names(line)
            if line.startswith("diff --git "):
                files.append(self._git_file())
            elif line.startswith(_COMBINED_HEADERS) or self._starts_with(
                self.at, "--- ", "+++ ", "@@@"
            ):
                self._skip_combined(line)
            elif self._starts_plain_file(self.at):
                files.append(self._plain_file())
            elif line.startswith("@@"):
                raise self.error(
                    "hunk header before any file header ('diff --git' or '---'/'+++')", self.at
                )
            elif binary is not None:
                files.append(self._plain_binary(*binary))
            else:
                self.at += 1
        return files

    def _skip_combined(self, line: str) -> None:
        """Pass over one combined section, up to the next file's header.

        Its hunk lines start with one marker per parent, so none of them can
        read as ``diff --git``; a plain file header needs its ``@@ -`` as well.
        """
        start = self.at
        if line.startswith(_COMBINED_HEADERS):
            name = unquote_path(line.split(" ", 2)[2])
        else:
            name = _file_header_name(_bare(self.lines[start + 1]))[0]
        self.combined.append((start + 1, name))
        self.at += 1
        while (next_line := self._bare_at(self.at)) is not None:
            if next_line.startswith(_SECTION_HEADERS) or self._starts_plain_file(self.at):
                return
            self.at += 1

    def _git_file(self) -> FileDiff:
        header_line = _bare(self.lines[self.at])
        header = _Header(
            start=self.at, git_names=_split_git_header(header_line.removeprefix("diff --git "))
        )
        self.at += 1
        while (line := self._bare_at(self.at)) is not None and header.read_extended(line):
            self.at += 1
        self._git_body(header)
        return self._finish(header)

    def _git_body(self, header: _Header) -> None:
        line = self._bare_at(self.at)
        if line is None:
            return
        if line == "GIT binary patch":
            header.is_binary = True
            self.at += 1
            while (payload := self._bare_at(self.at)) is not None and _BINARY_PAYLOAD.fullmatch(
                payload
            ):
                self.at += 1
        elif (binary := _binary_names(line)) is not None:
            header.is_binary = True
            if header.git_names is None:  # only a fallback: " and " in a name splits wrongly
                header.minus, header.plus = binary
            self.at += 1
        elif line.startswith("--- "):
            if not self._starts_with(self.at, "--- ", "+++ "):
                raise self.error("'---' line is not followed by a '+++' line", self.at)
            self._read_file_body(header)
            if not header.hunks:  # git writes these lines only above hunks
                raise self.error("no hunk after the '---' and '+++' lines", self.at - 1)
        elif line.startswith("+++ "):
            raise self.error("'+++' line without a '---' line before it", self.at)
        elif line.startswith("@@"):
            raise self.error("hunk header without '---' and '+++' lines before it", self.at)

    def _plain_file(self) -> FileDiff:
        header = _Header(start=self.at)
        self._read_file_body(header)
        return self._finish(header)

    def _plain_binary(self, old_name: str, new_name: str) -> FileDiff:
        header = _Header(start=self.at, minus=old_name, plus=new_name, is_binary=True)
        self.at += 1
        return self._finish(header)

    def _read_file_body(self, header: _Header) -> None:
        """The ``---``/``+++`` pair at ``at``, then the hunks that follow it."""
        header.minus, header.minus_absent = _file_header_name(_bare(self.lines[self.at]))
        header.plus, header.plus_absent = _file_header_name(_bare(self.lines[self.at + 1]))
        self.at += 2
        while (line := self._bare_at(self.at)) is not None and line.startswith("@@"):
            header.hunks.append(self._hunk())

    def _finish(self, header: _Header) -> FileDiff:
        old_path, new_path = header.paths()
        status = header.status
        path = old_path if status is FileStatus.DELETED else new_path
        if not path:
            raise self.error("cannot tell which file this header is about", header.start)
        return FileDiff(
            path=path,
            old_path=old_path if status in (FileStatus.RENAMED, FileStatus.COPIED) else None,
            status=status,
            hunks=tuple(header.hunks),
            is_binary=header.is_binary,
            old_mode=header.old_mode,
            new_mode=header.new_mode,
        )

    def _hunk(self) -> Hunk:
        start = self.at
        header = _bare(self.lines[start])
        match = _HUNK_HEADER.fullmatch(header)
        if match is None:
            raise self.error(f"malformed hunk header {_shown(header)}", start)
        try:
            old_start, new_start = int(match[1]), int(match[3])
            old_count = 1 if match[2] is None else int(match[2])
            new_count = 1 if match[4] is None else int(match[4])
        except ValueError:  # more digits than int() reads (sys.get_int_max_str_digits)
            raise self.error(
                f"malformed hunk header {_shown(header)}: a number is too long", start
            ) from None
        body = _HunkBody(header, start, (old_start, old_count), (new_start, new_count))
        self.at += 1
        self._read_hunk_lines(body, start)
        while (line := self._bare_at(self.at)) is not None and line.startswith("\\"):
            self.at += 1  # "\ No newline at end of file" belongs to the line before it
        self._reject_overflow(body)
        return Hunk(
            old_start=old_start,
            old_count=old_count,
            new_start=new_start,
            new_count=new_count,
            section=match[5],
            lines=tuple(body.lines),
        )

    def _read_hunk_lines(self, body: _HunkBody, header_index: int) -> None:
        """Read lines from ``at`` until the hunk has as many as its header says.

        Every line of a diff passes through this loop, so it keeps its state in
        local variables and hands it back to ``body`` only when it stops.
        """
        lines, at, end = self.lines, self.at, len(self.lines)
        old_no, old_left, new_no, new_left = body.old_no, body.old_left, body.new_no, body.new_left
        append = body.lines.append
        added, removed, context = LineKind.ADDED, LineKind.REMOVED, LineKind.CONTEXT
        while old_left > 0 or new_left > 0:
            if at >= end:
                break
            raw = lines[at]
            marker = raw[0]
            text = raw[1:-1]  # split_lines ends every line with "\n"
            if text[-1:] == "\r":
                text = text[:-1]
            if marker == "+" and new_left > 0:
                append(DiffLine(added, None, new_no, text))
                new_no += 1
                new_left -= 1
            elif marker == "-" and old_left > 0:
                append(DiffLine(removed, old_no, None, text))
                old_no += 1
                old_left -= 1
            elif marker == "\\":  # "\ No newline at end of file" belongs to the line before it
                pass
            # a blank line is a context line whose leading space an editor or mailer stripped
            elif (marker == " " or raw in ("\n", "\r\n")) and old_left > 0 and new_left > 0:
                append(DiffLine(context, old_no, new_no, text))
                old_no += 1
                old_left -= 1
                new_no += 1
                new_left -= 1
            else:
                break
            at += 1
        self.at = at
        body.old_no, body.old_left, body.new_no, body.new_left = old_no, old_left, new_no, new_left
        if old_left > 0 or new_left > 0:
            if at >= end:
                raise self.error(
                    f"{body.where} is cut short: the diff ends {body.missing()}", header_index
                )
            raise self._bad_hunk_line(body)

    def _bad_hunk_line(self, body: _HunkBody) -> DiffError:
        raw = self.lines[self.at]
        kind = LineKind.CONTEXT if raw in ("\n", "\r\n") else _HUNK_MARKERS.get(raw[0])
        if kind is None:
            return self.error(
                f"expected a hunk line ('+', '-' or ' ') but found {_bare(raw)!r}: "
                f"{body.where} ends early, {body.missing()}",
                self.at,
            )
        side = "old" if kind is LineKind.REMOVED else "new"
        return self.error(f"{body.where} has more {side} lines than its header says", self.at)

    def _reject_overflow(self, body: _HunkBody) -> None:
        """A hunk line right after a complete hunk means the header's counts are wrong."""
        line = self._bare_at(self.at)
        if line is None or not line or line[0] not in _HUNK_MARKERS:
            return
        if self._starts_plain_file(self.at) or line == "-- ":  # next file; mail signature
            return
        raise self.error(f"{body.where} has more lines than its header says", self.at)


class _HunkBody:
    """Counts a hunk's lines against its header and numbers them."""

    def __init__(self, header: str, index: int, old: tuple[int, int], new: tuple[int, int]) -> None:
        self.header = header
        self.index = index  # of the header line
        self.old_no, self.old_left = old  # the next number, the lines still to come
        self.new_no, self.new_left = new
        self.lines: list[DiffLine] = []

    @property
    def where(self) -> str:
        """Names the hunk in error messages."""
        return f"the hunk at line {self.index + 1} ({self.header!r})"

    def missing(self) -> str:
        old_seen = sum(1 for line in self.lines if line.kind is not LineKind.ADDED)
        new_seen = sum(1 for line in self.lines if line.kind is not LineKind.REMOVED)
        return (
            f"after {old_seen} of {old_seen + self.old_left} old and "
            f"{new_seen} of {new_seen + self.new_left} new lines"
        )


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_OCTAL_BYTE = re.compile(r"[0-3][0-7]{2}")


def unquote_path(name: str) -> str:
    """Undo git's C-style quoting (``core.quotepath``): ``"a/\\303\\244.txt"`` → ``a/ä.txt``.

    A name that is not wrapped in double quotes is returned as it is.
    """
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    body = name[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 == len(body):
            out += char.encode("utf-8", "surrogatepass")
            i += 1
        elif _OCTAL_BYTE.match(body, i + 1):
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
        else:
            escaped = body[i + 1]
            out += (
                bytes([_ESCAPES[escaped]])
                if escaped in _ESCAPES
                else escaped.encode("utf-8", "surrogatepass")
            )
            i += 2
    return out.decode("utf-8", errors="replace")
