"""Seeded-bug operators for JavaScript: pattern edits on masked lines.

There is no JavaScript parser in the standard library, so these operators
match narrow patterns on the masked text (``jsmask``: comments and literal
contents blanked) and edit the same columns of the real text. Each pattern is
one statement on one line, which is what keeps them safe without a parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from benchmarks.eval_corpus.jsmask import Masked, mask
from benchmarks.eval_corpus.mutation import Mutation, Operator, SourceFile, Text, mutation_or_none

MAJOR = "major"
CRITICAL = "critical"


def _lines(source: SourceFile) -> Iterator[tuple[Masked, Text, int, str]]:
    masked = mask(source.text)
    text = Text(source.text)
    for number, code in enumerate(masked.masked, start=1):
        if code.strip():
            yield masked, text, number, code


def _at(
    text: Text, number: int, start: int, end: int, replacement: str
) -> tuple[str, tuple[int, int]]:
    """Replace columns ``start:end`` of line ``number``."""
    base = text.starts[number - 1]
    return text.replace(base + start, base + end, replacement)


def _code(text: str, limit: int = 100) -> str:
    flat = " ".join(text.split())
    return f"`{flat if len(flat) <= limit else flat[: limit - 3] + '...'}`"


def _matching(code: str, start: int) -> int | None:
    """Index of the bracket closing the one at ``start`` on the same masked line."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    for index in range(start, len(code)):
        char = code[index]
        if char in pairs:
            stack.append(pairs[char])
        elif char in pairs.values():
            if not stack or stack.pop() != char:
                return None
            if not stack:
                return index
    return None


def _top_level_split(code: str, separator: str) -> list[tuple[int, int]]:
    """(start, end) of the parts of ``code`` between top-level ``separator``s."""
    parts, depth, start, index = [], 0, 0, 0
    while index < len(code):
        char = code[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and code.startswith(separator, index):
            parts.append((start, index))
            index += len(separator)
            start = index
            continue
        index += 1
    parts.append((start, len(code)))
    return parts


# --------------------------------------------------------------------------- bounds

_LESS_THAN_LENGTH = re.compile(r"(?<![<=])<(?![<=])\s*[\w$.]+\.length\b(?!\s*-)")
_DOWN_TO_ZERO = re.compile(r"(?<![<>=!])>=\s*0\s*;")


def off_by_one(source: SourceFile) -> Iterator[Mutation]:
    """``i < a.length`` becomes ``i <= a.length`` in a loop; ``i >= 0`` becomes ``i > 0``."""
    for masked, text, number, code in _lines(source):
        if not re.search(r"\b(for|while)\s*\(", code):
            continue
        for found in _LESS_THAN_LENGTH.finditer(code):
            old = masked.line(number)[found.start() : found.end()]
            after, lines = _at(text, number, found.start(), found.start() + 1, "<=")
            yield from mutation_or_none(
                "off-by-one",
                source,
                after,
                lines,
                severity=MAJOR,
                description=f"Off-by-one: the loop bound {_code(old)} became "
                f"{_code(old.replace('<', '<=', 1))}, so the last iteration reads one element "
                "past the end (undefined).",
            )
        for found in _DOWN_TO_ZERO.finditer(code):
            after, lines = _at(text, number, found.start(), found.start() + 2, ">")
            yield from mutation_or_none(
                "off-by-one",
                source,
                after,
                lines,
                severity=MAJOR,
                description="Off-by-one: the countdown loop's `>= 0` became `> 0`, so the "
                "element at index 0 is never visited.",
            )


# --------------------------------------------------------------------------- conditions

_IF = re.compile(r"\bif\s*\(")
_STRICT_EQUALITY = re.compile(r"[!=]==")


def _condition(code: str) -> tuple[int, int] | None:
    """(start, end) of the condition of the ``if`` on a masked line, when it closes there."""
    found = _IF.search(code)
    if found is None:
        return None
    close = _matching(code, found.end() - 1)
    return (found.end(), close) if close is not None else None


def inverted_condition(source: SourceFile) -> Iterator[Mutation]:
    """``===`` ↔ ``!==`` in an ``if`` that compares once."""
    for masked, text, number, code in _lines(source):
        span = _condition(code)
        if span is None:
            continue
        condition = code[span[0] : span[1]]
        operators = _STRICT_EQUALITY.findall(condition)
        if len(operators) != 1 or re.search(r"(?<![!=])[!=]=(?!=)", condition):
            continue
        column = span[0] + _STRICT_EQUALITY.search(condition).start()  # type: ignore[union-attr]
        old = masked.line(number)[span[0] : span[1]]
        new_operator = "!==" if operators[0] == "===" else "==="
        after, lines = _at(text, number, column, column + 3, new_operator)
        yield from mutation_or_none(
            "inverted-condition",
            source,
            after,
            lines,
            severity=MAJOR,
            description=f"Inverted condition: {_code(old)} now uses `{new_operator}`, so the "
            "branch runs exactly when it should not.",
        )


_NULL_CHECK = re.compile(r"^\s*[\w$.]+\s*(!==?\s*(null|undefined))?\s*$")


def dropped_condition(source: SourceFile) -> Iterator[Mutation]:
    """One operand of a top-level ``&&`` in an ``if`` is dropped."""
    for masked, text, number, code in _lines(source):
        span = _condition(code)
        if span is None:
            continue
        condition = code[span[0] : span[1]]
        if _top_level_split(condition, "||")[1:]:
            continue
        parts = _top_level_split(condition, "&&")
        if len(parts) < 2:
            continue
        real = masked.line(number)[span[0] : span[1]]
        for index, (start, end) in enumerate(parts):
            if _NULL_CHECK.match(condition[start:end]):
                continue  # a presence check: the None-dereference operator's
            kept = [real[s:e].strip() for i, (s, e) in enumerate(parts) if i != index]
            after, lines = _at(text, number, span[0], span[1], " && ".join(kept))
            yield from mutation_or_none(
                "dropped-condition",
                source,
                after,
                lines,
                severity=MAJOR,
                description=f"Dropped condition: {_code(real[start:end].strip())} was removed "
                "from the `if`, so the branch runs in cases it used to exclude.",
            )


# --------------------------------------------------------------------------- async

_AWAIT = re.compile(r"(?<![\w$.])await\s+(?=[\w$])")


def missing_await(source: SourceFile) -> Iterator[Mutation]:
    """``await f()`` loses its ``await``: a Promise is used as if it were the value."""
    for masked, text, number, code in _lines(source):
        if re.search(r"\bfor\s+await\b", code):
            continue
        for found in _AWAIT.finditer(code):
            rest = masked.line(number)[found.end() :].strip().rstrip(";")
            after, lines = _at(text, number, found.start(), found.end(), "")
            yield from mutation_or_none(
                "missing-await",
                source,
                after,
                lines,
                severity=MAJOR,
                description=f"Missing await: {_code(rest)} is no longer awaited, so the code "
                "goes on with a pending Promise (and its rejection is unhandled).",
            )


# --------------------------------------------------------------------------- errors

_CATCH = re.compile(r"^(\s*)\}\s*catch\s*(\(\s*[\w$]+\s*\))?\s*\{\s*$")
_PROPAGATES = re.compile(r"\bthrow\b|\b(callback|cb|next|done|reject)\(\s*[\w$]+")


def swallowed_exception(source: SourceFile) -> Iterator[Mutation]:
    """A ``catch`` block that rethrew or reported the error is emptied."""
    for masked, text, number, code in _lines(source):
        found = _CATCH.match(code)
        if found is None:
            continue
        indent = found.group(1)
        close = next(
            (
                n
                for n in range(number + 1, len(masked.masked) + 1)
                if masked.code(n).startswith(indent + "}")
            ),
            None,
        )
        if close is None or close - number > 8:
            continue
        body = "\n".join(masked.code(n) for n in range(number + 1, close))
        if not _PROPAGATES.search(body):
            continue
        tail = masked.line(close)[len(indent) + 1 :]
        catch = masked.line(number).rstrip()
        after, lines = text.replace_lines(number, close, [f"{catch}}}{tail}"])
        yield from mutation_or_none(
            "swallowed-exception",
            source,
            after,
            lines,
            severity=MAJOR,
            description=f"Swallowed exception: the {_code(catch.strip().lstrip('} '))} block "
            "that passed the error on is now empty, so failures are silently ignored.",
        )


_ERROR_CALLBACK = re.compile(r"\b(callback|cb|next|done)\(\s*(err|error|er|e)\s*\)")
_RETHROW = re.compile(r"^(\s*)throw\s+(err|error|er|e)\s*;?\s*$")


def broken_error_propagation(source: SourceFile) -> Iterator[Mutation]:
    """``callback(err)`` becomes ``callback(null)``; ``throw er`` becomes ``return``."""
    for _, text, number, code in _lines(source):
        for found in _ERROR_CALLBACK.finditer(code):
            name, error = found.group(1), found.group(2)
            replacement = f"{name}()" if name == "next" else f"{name}(null)"
            after, lines = _at(text, number, found.start(), found.end(), replacement)
            yield from mutation_or_none(
                "broken-error-propagation",
                source,
                after,
                lines,
                severity=MAJOR,
                description=f"Broken error propagation: `{name}({error})` became "
                f"`{replacement}`, so the caller is told the operation succeeded and never "
                "sees the error.",
            )
        rethrow = _RETHROW.match(code)
        if rethrow is not None:
            after, lines = text.replace_lines(number, number, [f"{rethrow.group(1)}return"])
            yield from mutation_or_none(
                "broken-error-propagation",
                source,
                after,
                lines,
                severity=MAJOR,
                description=f"Broken error propagation: `throw {rethrow.group(2)}` became "
                "`return`, so the error is dropped and the caller gets undefined.",
            )


# --------------------------------------------------------------------------- null

_GUARDED_ACCESS = re.compile(r"(?<![\w$.])([\w$]+(?:\.[\w$]+)*)\s*&&\s*\1(?=[.\[])")
_OPTIONAL_CHAIN = re.compile(r"(?<=[\w$\])])\?\.(?=[\w$])")


def none_dereference(source: SourceFile) -> Iterator[Mutation]:
    """``x && x.y`` becomes ``x.y``; ``x?.y`` becomes ``x.y``."""
    for _, text, number, code in _lines(source):
        for found in _GUARDED_ACCESS.finditer(code):
            subject = found.group(1)
            after, lines = _at(text, number, found.start(), found.end(), subject)
            yield from mutation_or_none(
                "none-dereference",
                source,
                after,
                lines,
                severity=MAJOR,
                description=f"Null dereference: the `{subject} &&` guard was removed, so "
                f"accessing a property of `{subject}` throws a TypeError when it is null or "
                "undefined.",
            )
        for found in _OPTIONAL_CHAIN.finditer(code):
            after, lines = _at(text, number, found.start(), found.end(), ".")
            yield from mutation_or_none(
                "none-dereference",
                source,
                after,
                lines,
                severity=MAJOR,
                description="Null dereference: an optional chain `?.` became `.`, so the "
                "access throws a TypeError when the value is null or undefined.",
            )


# --------------------------------------------------------------------------- injection

_PLACEHOLDER = re.compile(r"\$(\d+)")
_QUERY = re.compile(r"\.query\s*\(")


def sql_injection(source: SourceFile) -> Iterator[Mutation]:
    """A query's ``$1`` placeholders are filled in by a template literal."""
    for masked, text, number, code in _lines(source):
        if not _QUERY.search(code) and not _QUERY.search(masked.previous_code(number)):
            continue
        for literal in re.finditer(r"'_*'|\"_*\"", code):
            value = masked.line(number)[literal.start() + 1 : literal.end() - 1]
            if not _PLACEHOLDER.search(value) or "`" in value or "${" in value:
                continue
            params = _params_after(masked, number, literal.end())
            if params is None:
                continue
            (array_line, _, array_end), values = params
            numbers = [int(n) for n in _PLACEHOLDER.findall(value)]
            if max(numbers) > len(values):
                continue
            template = _template(value, values)
            line = masked.line(number)
            if array_line == number:
                new = line[: literal.start()] + template + line[array_end + 1 :]
                after, lines = text.replace_lines(number, number, [new])
            else:
                new = line[: literal.start()] + template + line[literal.end() :]
                after, lines = text.replace_lines(number, array_line, [new])
            yield from mutation_or_none(
                "sql-injection",
                source,
                after,
                lines,
                severity=CRITICAL,
                description="SQL injection: "
                + ", ".join(_code(v) for v in values)
                + f" {'is' if len(values) == 1 else 'are'} pasted into the SQL text by a template "
                "literal instead of being "
                "passed as query parameters, so a quote in a value rewrites the query.",
            )


def _template(value: str, values: list[str]) -> str:
    """A template literal of ``value`` with ``$n`` replaced by a quoted ``${values[n-1]}``."""
    return "`" + _PLACEHOLDER.sub(lambda m: f"'${{{values[int(m.group(1)) - 1]}}}'", value) + "`"


def _params_after(
    masked: Masked, number: int, column: int
) -> tuple[tuple[int, int, int], list[str]] | None:
    """The ``[a, b]`` array right after a string: (line, start, end) and its elements."""
    code = masked.code(number)
    rest = code[column:]
    same_line = re.match(r"\s*,\s*\[", rest)
    if same_line is not None:
        start = column + same_line.end() - 1
        end = _matching(code, start)
        if end is None:
            return None
        elements = masked.line(number)[start + 1 : end]
        return (number, column, end), _elements(code[start + 1 : end], elements)
    if rest.strip() != "," or number + 1 > len(masked.masked):
        return None
    following = masked.code(number + 1)
    array = re.match(r"^\s*\[", following)
    if array is None:
        return None
    end = _matching(following, array.end() - 1)
    if end is None or following[end + 1 :].strip() not in (",", ""):
        return None
    elements = masked.line(number + 1)[array.end() : end]
    return (number + 1, array.end() - 1, end), _elements(following[array.end() : end], elements)


def _elements(code: str, real: str) -> list[str]:
    return [real[s:e].strip() for s, e in _top_level_split(code, ",") if real[s:e].strip()]


_SPAWN = re.compile(
    r"\b([\w$.]+)\.(spawn|execFile)(Sync)?\(\s*([\w$.]+)\s*,\s*([\w$.]+)\s*(?=[,)])"
)


def shell_injection(source: SourceFile) -> Iterator[Mutation]:
    """``spawn(cmd, args)`` becomes ``exec(cmd + ' ' + args.join(' '))``: a shell runs it."""
    for _, text, number, code in _lines(source):
        for found in _SPAWN.finditer(code):
            module, _, sync, command, arguments = found.groups()
            replacement = f"{module}.exec{sync or ''}({command} + ' ' + {arguments}.join(' ')"
            after, lines = _at(text, number, found.start(), found.end(), replacement)
            yield from mutation_or_none(
                "shell-injection",
                source,
                after,
                lines,
                severity=CRITICAL,
                description=f"Shell injection: `{found.group(2)}({command}, {arguments})` became "
                f"`exec` of one string, so a shell interprets metacharacters in `{arguments}`.",
            )


_TRAVERSAL_TEST = re.compile(
    r"\bif\s*\(\s*([\w$]*(?:UP_PATH|TRAVERS|DOT_DOT|PARENT)[\w$]*)\.test\(\s*([\w$.]+)\s*\)\s*\)",
    re.IGNORECASE,
)


def path_traversal(source: SourceFile) -> Iterator[Mutation]:
    """A ``..`` check by regular expression is weakened to an exact ``'..'`` comparison."""
    for _, text, number, code in _lines(source):
        for found in _TRAVERSAL_TEST.finditer(code):
            pattern, subject = found.group(1), found.group(2)
            replacement = f"if ({subject} === '..')"
            after, lines = _at(text, number, found.start(), found.end(), replacement)
            yield from mutation_or_none(
                "path-traversal",
                source,
                after,
                lines,
                severity=CRITICAL,
                description=f"Path traversal: the `{pattern}` check became "
                f"`{subject} === '..'`, so a path like `../../etc/passwd` is no longer "
                "rejected and escapes the root directory.",
            )


_JSON_PARSE = re.compile(r"\bJSON\.parse\(")


def unsafe_deserialization(source: SourceFile) -> Iterator[Mutation]:
    """``JSON.parse(x)`` becomes ``eval('(' + x + ')')``."""
    for masked, text, number, code in _lines(source):
        for found in _JSON_PARSE.finditer(code):
            close = _matching(code, found.end() - 1)
            if close is None:
                continue
            parts = _top_level_split(code[found.end() : close], ",")
            real = masked.line(number)[found.end() : close]
            argument = real[parts[0][0] : parts[0][1]].strip()
            if not argument:
                continue
            replacement = f"eval('(' + {argument} + ')')"
            after, lines = _at(text, number, found.start(), close + 1, replacement)
            yield from mutation_or_none(
                "unsafe-deserialization",
                source,
                after,
                lines,
                severity=CRITICAL,
                description=f"Unsafe deserialisation: `JSON.parse({argument})` became `eval`, "
                "so text from outside is run as code.",
            )


SEEDED: tuple[tuple[str, Operator], ...] = (
    ("off-by-one", off_by_one),
    ("inverted-condition", inverted_condition),
    ("dropped-condition", dropped_condition),
    ("missing-await", missing_await),
    ("swallowed-exception", swallowed_exception),
    ("broken-error-propagation", broken_error_propagation),
    ("none-dereference", none_dereference),
    ("sql-injection", sql_injection),
    ("shell-injection", shell_injection),
    ("path-traversal", path_traversal),
    ("unsafe-deserialization", unsafe_deserialization),
)
