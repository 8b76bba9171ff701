"""The Markdown report: what a pull-request comment says about a review.

Model-written text (summary, titles, bodies, suggestions) and file paths are
untrusted as far as the comment's structure goes: a stray ``|`` would split a
table cell, an unclosed code fence or HTML comment would swallow everything
after it. Titles, paths and table cells are escaped; summaries and bodies stay
Markdown (the model writes code spans on purpose) but an unclosed fence is
closed and a line that would open an HTML block is defused.

GitHub refuses comment bodies over 65,536 characters, so the report is fitted
to ``max_chars``: the least severe findings are left out first and a note says
how many; the file lists shrink the same way; the summary is cut only if it
alone would not fit.

An incomplete review says so in its heading and in a warning right under it;
the counts are computed from the findings listed (the summary keeps none that
contradict them), and a reason shared by many files is one row of the lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewer.render.claims import consistent_summary
from reviewer.render.coverage import Coverage, ReasonGroup, coverage_of, examples, listing
from reviewer.render.tally import tally_of
from reviewer.render.wording import filtered_text, plural, requests_phrase, timing_phrase
from reviewer.values import (
    FilteredFinding,
    Finding,
    PathReason,
    Review,
    Severity,
    Side,
    Timing,
    Usage,
)

if TYPE_CHECKING:
    from reviewer.diff import Diff

GITHUB_COMMENT_LIMIT = 65_536

SEVERITY_EMOJI: dict[Severity, str] = {
    Severity.CRITICAL: "🔴",
    Severity.MAJOR: "🟠",
    Severity.MINOR: "🟡",
    Severity.NIT: "⚪",
}

HEADING = "## Code review"


def render_markdown(
    review: Review,
    *,
    max_chars: int = GITHUB_COMMENT_LIMIT,
    inline_posted: bool = False,
    notes: Sequence[str] = (),
    diff: Diff | None = None,
) -> str:
    """The review as one Markdown document of at most ``max_chars`` characters.

    With ``inline_posted`` the document is the body of a pull-request review
    whose inline comments carry ``review.inline``: the overview still counts
    every finding, but only the others are written out. ``notes`` (Markdown the
    caller wrote) come before the summary. ``diff`` is the diff that was
    reviewed: with it, an incomplete review says how many files it covered.

    Raises ValueError when ``max_chars`` is too small to hold even the headings,
    the footer and the notes saying what was left out.
    """
    coverage = coverage_of(review, diff)
    head = _heading(coverage) + "".join(f"_{note}_\n\n" for note in notes)
    listed = review.findings
    overview = _overview(review.findings)
    if inline_posted:
        inline = set(review.inline)
        listed = tuple(f for f in review.findings if f not in inline)
        overview += _inline_note(len(review.findings) - len(listed), len(listed))
    overview += _below_threshold_note(review.below_min_severity)
    footer = _footer(review.model, review.usage, review.timing)
    sections = (
        # In a review body nothing can be committed: suggestions there are diff blocks.
        _findings_section(listed, max_chars, committable=not inline_posted),
        _filtered_section(review.filtered),
        _paths_section("Not reviewed", review.not_reviewed),
        _paths_section("Skipped", review.skipped),
    )
    fixed = len(head) + len(overview) + len(footer)
    reserved = sum(section.minimal_size for section in sections)
    summary_text = consistent_summary(review.summary, review.findings)
    summary = _clip(_summary_block(summary_text), max_chars - fixed - reserved)
    budget = max_chars - fixed - len(summary)
    parts = [head, summary, overview]
    for index, section in enumerate(sections):
        later = sum(s.minimal_size for s in sections[index + 1 :])
        fitted = section.fit(budget - later)
        budget -= len(fitted)
        parts.append(fitted)
    parts.append(footer)
    document = "".join(parts)
    if len(document) > max_chars:
        raise ValueError(f"max_chars={max_chars} cannot even hold the headings and the footer")
    return document


def render_comment(finding: Finding, *, committable: bool) -> str:
    """The body of an inline review comment placed on ``finding``'s lines.

    The comment sits on the lines, so it does not repeat them. A suggestion is a
    committable ```suggestion block only when ``committable``: the caller knows
    whether the comment spans exactly the lines the suggestion replaces.
    """
    header = (
        f"**{severity_badge(finding.severity)}** · {_inline(finding.category)} — "
        f"**{_inline(finding.title)}**\n\n"
    )
    body = _contain(finding.body.strip())
    parts = [header, f"{body}\n\n" if body else ""]
    if finding.suggestion is not None:
        parts.append(_suggestion(finding, committable=committable))
    return "".join(parts).rstrip("\n")


def severity_badge(severity: Severity) -> str:
    return f"{SEVERITY_EMOJI[severity]} {severity.value}"


def location_label(finding: Finding) -> str:
    """``path:line``, ``path:first-last``, or just ``path`` for a file-level finding."""
    if finding.line is None:
        return finding.path
    start = finding.line if finding.start_line is None else finding.start_line
    first, last = min(start, finding.line), max(start, finding.line)
    lines = str(first) if first == last else f"{first}-{last}"
    return f"{finding.path}:{lines}"


def location_qualifier(finding: Finding) -> str | None:
    """What the label does not say: ``file-level``, or ``old`` for line numbers of the LEFT side."""
    if finding.line is None:
        return "file-level"
    return "old" if finding.side is Side.LEFT else None


# ---------------------------------------------------------------- fitting


@dataclass(frozen=True)
class _Section:
    """A heading and entries that can be cut short, with a note counting what was cut.

    Entries are cut from the end of ``sizes`` (their order of importance);
    ``render(k)`` lays out the first ``k`` in whatever order reads best, and
    must be exactly ``sum(sizes[:k])`` characters long.
    """

    heading: str
    sizes: tuple[int, ...]
    render: Callable[[int], str]
    tail: str  # follows the entries when all of them fit
    left_out_note: Callable[[int], str]

    @property
    def minimal_size(self) -> int:
        if not self.sizes:
            return 0
        return len(self.heading) + max(len(self.tail), len(self.left_out_note(len(self.sizes))))

    def fit(self, budget: int) -> str:
        """As many entries as fit in ``budget`` characters, then what ends the section."""
        if not self.sizes:
            return ""
        if budget < self.minimal_size:
            raise ValueError(f"max_chars is too small to hold the report's structure ({budget=})")
        used = len(self.heading)
        kept = 0
        for size in self.sizes:
            rest = len(self.sizes) - kept - 1
            ending = len(self.left_out_note(rest)) if rest else len(self.tail)
            if used + size + ending > budget:
                break
            used += size
            kept += 1
        left_out = len(self.sizes) - kept
        ending_text = self.left_out_note(left_out) if left_out else self.tail
        return self.heading + self.render(kept) + ending_text


def _clip(block: str, budget: int) -> str:
    """``block`` cut at a line end to fit ``budget``, still well-formed, with a note."""
    if len(block) <= budget:
        return block
    note = "_(summary truncated)_\n\n"
    keep = budget - len(note)
    while keep > 0:
        cut = block[:keep].rsplit("\n", 1)[0]
        clipped = f"{_contain(cut)}\n\n{note}" if cut else note
        if len(clipped) <= budget:
            return clipped
        keep -= len(clipped) - budget
    if len(note) > budget:
        raise ValueError(f"max_chars is too small to hold the report's structure ({budget=})")
    return note


# ---------------------------------------------------------------- blocks


def _summary_block(summary: str) -> str:
    text = _contain(summary.strip())
    return f"{text}\n\n" if text else ""


def _heading(coverage: Coverage) -> str:
    """The heading, and right under it the warning of an incomplete review."""
    if coverage.shortfall is None:
        return f"{HEADING}\n\n"
    why = "" if coverage.reasons_text is None else f" — {_inline(coverage.reasons_text)}"
    return (
        f"{HEADING} — incomplete\n\n> [!WARNING]\n"
        f"> **Review incomplete: {_inline(coverage.shortfall)}**{why}\n\n"
    )


def _overview(findings: tuple[Finding, ...]) -> str:
    tally = tally_of(findings)
    if not tally.total:
        return "No findings.\n\n"
    rows = "".join(
        f"| {severity_badge(severity)} | {count} |\n" for severity, count in tally.by_severity
    )
    return (
        f"**{plural(tally.total, 'finding')}** in {plural(tally.files, 'file')}\n\n"
        "| Severity | Count |\n| --- | ---: |\n" + rows + "\n"
    )


def _inline_note(inline: int, listed: int) -> str:
    if not inline:
        return ""
    verb = "is an inline comment" if inline == 1 else "are inline comments"
    rest = "; the others are listed below" if listed else ""
    return f"_{plural(inline, 'finding')} {verb} on the diff{rest}._\n\n"


def _below_threshold_note(count: int) -> str:
    if not count:
        return ""
    return f"_{below_threshold_text(count)}_\n\n"


def below_threshold_text(count: int) -> str:
    verb = "is" if count == 1 else "are"
    return f"{plural(count, 'finding')} below the minimum severity {verb} not shown."


def _findings_section(
    findings: tuple[Finding, ...], max_chars: int, *, committable: bool
) -> _Section:
    """Findings grouped by file; when they do not all fit, the least severe are left out."""
    blocks = [_finding_block(finding, committable=committable) for finding in findings]

    def render(kept: int) -> str:
        by_path: dict[str, list[str]] = {}
        for finding, block in zip(findings[:kept], blocks, strict=False):
            by_path.setdefault(finding.path, []).append(block)
        return "".join(_file_heading(path) + "".join(group) for path, group in by_path.items())

    def note(left_out: int) -> str:
        return (
            f"> [!NOTE]\n> {plural(left_out, 'more finding')} left out "
            f"(the least severe): this comment is limited to {max_chars:,} characters.\n\n"
        )

    return _Section(
        heading="### Findings\n\n",
        sizes=tuple(_finding_sizes(findings, blocks)),
        render=render,
        tail="",
        left_out_note=note,
    )


def _finding_sizes(findings: Sequence[Finding], blocks: Sequence[str]) -> Iterator[int]:
    """What each finding adds to the section: its block, and its file's heading if it is the first."""
    seen: set[str] = set()
    for finding, block in zip(findings, blocks, strict=True):
        heading = "" if finding.path in seen else _file_heading(finding.path)
        seen.add(finding.path)
        yield len(heading) + len(block)


def _file_heading(path: str) -> str:
    return f"#### {_code_span(path)}\n\n"


def _finding_block(finding: Finding, *, committable: bool) -> str:
    header = (
        f"**{severity_badge(finding.severity)}** · {_inline(finding.category)} · "
        f"{_location(finding)} — **{_inline(finding.title)}**\n\n"
    )
    body = _contain(finding.body.strip())
    parts = [header, f"{body}\n\n" if body else ""]
    if finding.suggestion is not None:
        on_right_lines = finding.side is Side.RIGHT and finding.line is not None
        parts.append(_suggestion(finding, committable=committable and on_right_lines))
    return "".join(parts)


def _location(finding: Finding) -> str:
    qualifier = location_qualifier(finding)
    label = _code_span(location_label(finding))
    return f"{label} ({qualifier})" if qualifier else label


def _suggestion(finding: Finding, *, committable: bool) -> str:
    """A ```suggestion block where GitHub can apply one (``committable``), else a diff block."""
    text = finding.suggestion.removesuffix("\n") if finding.suggestion else ""
    fence = _fence_for(text)
    if committable:
        content = f"{text}\n" if text else ""
        return f"{fence}suggestion\n{content}{fence}\n\n"
    if not text:
        return "Suggested change: delete these lines.\n\n"
    added = "".join(f"+{line}\n" for line in text.split("\n"))
    return f"Suggested change:\n\n{fence}diff\n{added}{fence}\n\n"


def _paths_section(title: str, entries: tuple[PathReason, ...]) -> _Section:
    """One row per file, except that a reason many files share is one row with a count."""
    groups = listing(entries)
    rows = [f"| {_row_paths(group)} | {_inline(group.reason)} |\n" for group in groups]
    files = [len(group.paths) for group in groups]

    def note(left_out: int) -> str:
        return f"\n_…and {plural(sum(files[len(files) - left_out :]), 'more file')}._\n\n"

    return _Section(
        heading=f"### {title} ({sum(files):,})\n\n| File | Reason |\n| --- | --- |\n",
        sizes=tuple(len(row) for row in rows),
        render=lambda kept: "".join(rows[:kept]),
        tail="\n",
        left_out_note=note,
    )


def _filtered_section(filtered: tuple[FilteredFinding, ...]) -> _Section:
    """The verification pass's drops, collapsed: one row each, with the verifier's reason."""
    rows = [
        f"| {severity_badge(item.finding.severity)} {_inline(item.finding.title)} "
        f"| {_cell_code(_where(item.finding))} | {_inline(item.reason)} |\n"
        for item in filtered
    ]

    def note(left_out: int) -> str:
        return f"\n_…and {plural(left_out, 'more finding')}._\n\n</details>\n\n"

    return _Section(
        heading=f"<details>\n<summary>{filtered_text(len(rows))} — why</summary>\n\n"
        "| Finding | Where | Why dropped |\n| --- | --- | --- |\n",
        sizes=tuple(len(row) for row in rows),
        render=lambda kept: "".join(rows[:kept]),
        tail="\n</details>\n\n",
        left_out_note=note,
    )


def _where(finding: Finding) -> str:
    return finding.path if finding.line is None else f"{finding.path}:{finding.line}"


def _row_paths(group: ReasonGroup) -> str:
    if len(group.paths) == 1:
        return _cell_code(group.paths[0])
    shown, more = examples(group.paths)
    names = ", ".join(_cell_code(path) for path in shown)
    and_more = f" and {more:,} more" if more else ""
    return f"{plural(len(group.paths), 'file')}: {names}{and_more}"


def _footer(model: str, usage: Usage, timing: Timing) -> str:
    tokens = (
        f"{usage.input_tokens:,} in / {usage.output_tokens:,} out / "
        f"{usage.cache_creation_input_tokens:,} cache write / "
        f"{usage.cache_read_input_tokens:,} cache read"
    )
    elapsed = timing_phrase(timing)
    return (
        f"---\n<sub>Model {_code_span(model)} · {requests_phrase(usage)} · "
        f"tokens: {tokens} · cache hits {usage.cache_hit_share:.0%} of prompt · "
        f"cost ${usage.cost_usd:.4f}" + (f" · {elapsed}" if elapsed else "") + "</sub>\n"
    )


# ---------------------------------------------------------------- escaping

_INLINE_SPECIALS = re.compile(r"([\\`*_\[\]<>|~&])")
_BACKTICK_RUN = re.compile(r"`+")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_HTML_START = re.compile(r"^( {0,3})<")


def _inline(text: str) -> str:
    """Plain text that renders as itself inside a paragraph or a table cell."""
    return _INLINE_SPECIALS.sub(r"\\\1", " ".join(text.split()))


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)


def _fence_for(text: str) -> str:
    """A backtick fence longer than any backtick run in ``text``, so nothing inside closes it."""
    return "`" * max(3, _longest_backtick_run(text) + 1)


def _code_span(text: str) -> str:
    text = " ".join(text.split("\n"))
    ticks = "`" * (_longest_backtick_run(text) + 1)
    # CommonMark strips one space from each end when both are there; pad so the text survives.
    needs_padding = (
        text.startswith("`")
        or text.endswith("`")
        or (text.startswith(" ") and text.endswith(" ") and text.strip())
    )
    return f"{ticks} {text} {ticks}" if needs_padding else f"{ticks}{text}{ticks}"


def _cell_code(text: str) -> str:
    """A code span inside a table cell: GFM splits cells on ``|`` even inside code spans."""
    return _code_span(text).replace("|", "\\|")


def _contain(markdown: str) -> str:
    """Markdown that cannot swallow what follows it: open fences closed, HTML blocks defused."""
    lines: list[str] = []
    open_fence: str | None = None
    for line in markdown.split("\n"):
        fence = _FENCE.match(line)
        if open_fence is None:
            if fence and not (fence[1][0] == "`" and "`" in fence[2]):
                open_fence = fence[1]
            else:
                line = _HTML_START.sub(r"\1\\<", line)
        elif fence and _closes(fence, open_fence):
            open_fence = None
        lines.append(line)
    if open_fence is not None:
        lines.append(open_fence)
    return "\n".join(lines)


def _closes(fence: re.Match[str], open_fence: str) -> bool:
    marker = fence[1]
    return marker[0] == open_fence[0] and len(marker) >= len(open_fence) and not fence[2].strip()
