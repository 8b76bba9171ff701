"""A finding's identity: the same problem reworded, re-filed, moved or edited is still one finding."""

from __future__ import annotations

from reviewer.diff import Diff, parse_diff
from reviewer.github.identity import (
    key_for,
    key_from_json,
    key_json,
    locate,
    match,
    meaning_words,
    same_finding,
)
from reviewer.values import Finding, Severity, Side

FILE = [
    "import os",
    "",
    "def load(data):",
    "    result = eval(data)",
    "    return result",
    "",
    "def parse(text):",
    "    # TODO: handle errors",
    "    return int(text)",
    "",
    "def other(text):",
    "    # TODO: handle errors",
    "    return float(text)",
    "",
    "def end():",
    "    }",
]


def new_file_diff(lines: list[str], path: str = "svc.py") -> Diff:
    body = "".join(f"+{line}\n" for line in lines)
    text = (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{body}"
    )
    return parse_diff(text)


def finding(line: int, title: str, body: str, category: str = "security") -> Finding:
    return Finding("svc.py", line, Side.RIGHT, Severity.MAJOR, category, title, body)


EVAL = finding(4, "eval() runs arbitrary code", "`eval` executes its input.")
EVAL_REWORDED = finding(
    4,
    "Untrusted data passed to eval",
    "Calling eval on data lets the caller run arbitrary expressions.",
    category="correctness",
)


def test_reworded_and_recategorised_on_the_same_line_is_the_same_finding() -> None:
    diff = new_file_diff(FILE)
    assert same_finding(key_for(EVAL, diff), key_for(EVAL_REWORDED, diff))


def test_moved_by_lines_added_above_or_a_force_push_is_the_same_finding() -> None:
    before = key_for(EVAL, new_file_diff(FILE))
    moved_lines = ['"""Doc."""', "", "LIMIT = 3", "", *FILE]
    after = key_for(
        finding(8, EVAL_REWORDED.title, EVAL_REWORDED.body, "correctness"),
        new_file_diff(moved_lines),
    )
    assert same_finding(before, after)
    located = locate(before, new_file_diff(moved_lines))
    assert located is not None
    assert located.line == 8


def test_the_same_words_on_other_code_are_another_finding() -> None:
    diff = new_file_diff(FILE)
    # Two identical TODOs: the same words, the same line text, different surroundings.
    first = key_for(finding(8, "Unresolved TODO", "Errors are not handled."), diff)
    second = key_for(finding(12, "Unresolved TODO", "Errors are not handled."), diff)
    assert first.lines == second.lines  # the TODO lines read the same...
    assert same_finding(first, first)
    # ...so each is paired with the one in its own surroundings, each used once.
    assert match([first, second], [second, first]) == {0: 1, 1: 0}
    assert match([first], [second, first]) == {1: 0}  # the other TODO is new
    # The first TODO is still in its place: the second, raised alone, is a new finding.
    assert match([first], [second], in_place=[True]) == {}
    assert match([first], [second], in_place=[False]) == {0: 0}  # it may have moved there
    located = locate(second, diff)
    assert located is not None
    assert located.line == 12


def test_another_problem_on_the_same_line_is_another_finding() -> None:
    diff = new_file_diff(FILE)
    leak = finding(4, "Result never closed", "The handle leaks when parsing fails.")
    assert not same_finding(key_for(EVAL, diff), key_for(leak, diff))


def test_a_line_edited_in_place_keeps_its_finding() -> None:
    before = key_for(EVAL, new_file_diff(FILE))
    edited = [line.replace("eval(data)", "eval(data, {})") for line in FILE]
    after = key_for(EVAL_REWORDED, new_file_diff(edited))
    assert before.lines != after.lines
    assert same_finding(before, after)
    assert locate(before, new_file_diff(edited)) is None  # the old code is gone


def test_lines_too_short_to_tell_need_the_same_surroundings() -> None:
    diff = new_file_diff(FILE)
    brace = key_for(finding(16, "Stray brace", "A closing brace in Python."), diff)
    assert brace.weak
    other_place = ["x = 1", "    }", *FILE]
    moved = key_for(
        finding(2, "Stray brace", "A closing brace in Python."), new_file_diff(other_place)
    )
    assert not same_finding(brace, moved)


def test_meaning_words_leave_out_stop_words_numbers_and_the_file_name() -> None:
    assert meaning_words("Line 20 of svc.py contains the TODOs", "svc.py") == ("contain", "todo")


def test_keys_round_trip_and_bad_markers_are_ignored() -> None:
    key = key_for(EVAL, new_file_diff(FILE))
    assert key_from_json("svc.py", key_json(key)) == key
    assert key_from_json("svc.py", {"lines": ["not-a-hash"], "ctx": "", "words": []}) is None
    assert key_from_json("svc.py", {"lines": [], "ctx": "", "words": ["<script>"]}) is None
    assert key_from_json("svc.py", "nonsense") is None


def test_file_level_findings_match_by_what_they_say() -> None:
    diff = new_file_diff(FILE)
    whole = Finding("svc.py", None, Side.RIGHT, Severity.MINOR, "testing", "No tests", "Add tests.")
    again = Finding(
        "svc.py",
        None,
        Side.RIGHT,
        Severity.MINOR,
        "maintainability",
        "No tests added",
        "Add tests.",
    )
    assert same_finding(key_for(whole, diff), key_for(again, diff))
    assert not same_finding(key_for(whole, diff), key_for(EVAL, diff))
