"""Clean cases: behaviour-preserving refactorings, to count false positives on.

Each keeps what the program does exactly: a local variable renamed
everywhere in its function, a returned call given a name first, a compound
condition given a name before its ``if``. The names they introduce are ones the
file does not use anywhere, so nothing is shadowed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from benchmarks.eval_corpus.jsmask import Masked, mask
from benchmarks.eval_corpus.mutation import Edit, Mutation, Operator, SourceFile, mutation_or_none
from benchmarks.eval_corpus.pyast import Parsed, parse

# Abbreviations a tidy-up would spell out; other names are left alone.
_SPELLED_OUT = {
    "resp": "response",
    "res": "result",
    "req": "request",
    "val": "value",
    "idx": "index",
    "msg": "message",
    "buf": "buffer",
    "cfg": "config",
    "conf": "config",
    "ret": "result",
    "tmp": "temporary",
    "obj": "instance",
    "fn": "function",
    "ctx": "context",
    "num": "number",
    "cnt": "count",
    "pos": "position",
    "lst": "items",
    "d": "data",
    "k": "key",
    "v": "value",
    "n": "count",
    "s": "text",
    "e": "error",
    "f": "file",
    "p": "path",
    "i": "index",
    "m": "match",
    "r": "result",
    "c": "char",
    "l": "line",
    "x": "item",
}
_UNSAFE_CALLS = {"locals", "vars", "eval", "exec", "globals"}
_NESTED = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.Global,
    ast.Nonlocal,
)


def _fresh(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", text) is None


def _functions(parsed: Parsed) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(parsed.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


# --------------------------------------------------------------------------- Python


def rename_local(source: SourceFile) -> Iterator[Mutation]:
    """A local variable with an abbreviated name is spelled out throughout its function."""
    parsed = parse(source)
    if parsed is None:
        return
    for function in _functions(parsed):
        inner = [n for stmt in function.body for n in ast.walk(stmt)]
        if any(isinstance(n, (*_NESTED, ast.JoinedStr)) for n in inner):
            continue  # closures, f-strings (positions), scoping statements: leave alone
        if any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _UNSAFE_CALLS
            for n in inner
        ):
            continue
        params = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
        names = [n for n in inner if isinstance(n, ast.Name)]
        stored = sorted({n.id for n in names if isinstance(n.ctx, ast.Store)} - params)
        bound_elsewhere = _bound_without_names(inner)
        for old in stored:
            new = _SPELLED_OUT.get(old)
            if new is None or old in bound_elsewhere or not _fresh(source.text, new):
                continue
            edits = [Edit(*parsed.span(n), new) for n in names if n.id == old]
            yield from mutation_or_none(
                "rename-local",
                source,
                parsed.text.apply(edits),
                None,
                severity="",
                description=f"Renamed the local `{old}` to `{new}` in `{function.name}`.",
            )


def _bound_without_names(nodes: list[ast.AST]) -> set[str]:
    """Names bound other than by a Name node (renaming only Name nodes would miss them),
    and names a comprehension binds (its own scope)."""
    bound: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
        elif isinstance(node, ast.comprehension):
            bound |= {t.id for t in ast.walk(node.target) if isinstance(t, ast.Name)}
    return bound


def extract_variable(source: SourceFile) -> Iterator[Mutation]:
    """``return f(x)`` becomes ``result = f(x)`` then ``return result``."""
    parsed = parse(source)
    if parsed is None:
        return
    for function in _functions(parsed):
        for node in ast.walk(function):
            if not (
                isinstance(node, ast.Return)
                and isinstance(node.value, ast.Call)
                and node.lineno == node.end_lineno
            ):
                continue
            indent = parsed.text.indent(node.lineno)
            if len(indent) != node.col_offset or not _fresh(source.text, "result"):
                continue
            after, _ = parsed.text.replace_lines(
                node.lineno,
                node.lineno,
                [f"{indent}result = {parsed.segment(node.value)}", f"{indent}return result"],
            )
            yield from mutation_or_none(
                "extract-variable",
                source,
                after,
                None,
                severity="",
                description=f"Named the returned value `result` in `{function.name}`.",
            )


_CONDITION_NAMES = ("applies", "matches", "is_wanted")


def name_condition(source: SourceFile) -> Iterator[Mutation]:
    """``if a and b:`` becomes ``applies = a and b`` then ``if applies:``."""
    parsed = parse(source)
    if parsed is None:
        return
    name = next((n for n in _CONDITION_NAMES if _fresh(source.text, n)), None)
    if name is None:
        return
    for node in ast.walk(parsed.tree):
        if not (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.BoolOp)
            and node.test.lineno == node.test.end_lineno == node.lineno
            and parsed.inside(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        ):
            continue
        row = parsed.text.line(node.lineno)
        indent = parsed.text.indent(node.lineno)
        if not row[len(indent) :].startswith("if ") or len(indent) != node.col_offset:
            continue  # an elif: nothing may stand between it and its if
        test_start, test_end = parsed.span(node.test)
        base = parsed.text.starts[node.lineno - 1]
        new_if = row[: test_start - base] + name + row[test_end - base :]
        after, _ = parsed.text.replace_lines(
            node.lineno, node.lineno, [f"{indent}{name} = {parsed.segment(node.test)}", new_if]
        )
        yield from mutation_or_none(
            "name-condition",
            source,
            after,
            None,
            severity="",
            description=f"Gave the condition on line {node.lineno} a name, `{name}`.",
        )


# --------------------------------------------------------------------------- JavaScript

_RETURN = re.compile(r"^(\s*)return (.+?)(;?)\s*$")
_IF_BLOCK = re.compile(r"^(\s*)if \((.+)\) \{\s*$")
_JS_CONDITION_NAMES = ("applies", "matches", "isWanted")


def _statement_may_start(masked: Masked, number: int) -> bool:
    """Whether a declaration may go before line ``number`` (it is not a braceless body)."""
    previous = masked.previous_code(number)
    return previous == "" or previous[-1] in "{;}"


def _semicolons(masked: Masked) -> bool:
    code = [line.rstrip() for line in masked.masked if line.strip()]
    return sum(line.endswith(";") for line in code) * 4 > len(code)


def _declaration(masked: Masked) -> str:
    """``const``, unless the file is written in ES5 style (``var`` only)."""
    uses_const = any(re.search(r"\b(const|let)\s", line) for line in masked.masked)
    return "const" if uses_const else "var"


def js_extract_variable(source: SourceFile) -> Iterator[Mutation]:
    """``return f(x)`` becomes ``const result = f(x)`` then ``return result``."""
    masked = mask(source.text)
    if not _fresh(source.text, "result"):
        return
    for number, code in enumerate(masked.masked, start=1):
        found = _RETURN.match(code)
        if found is None or "(" not in found.group(2) or not _statement_may_start(masked, number):
            continue
        expression = found.group(2)
        if any(c in expression for c in "{}") or "=>" in expression or "function" in expression:
            continue
        if expression.count("(") != expression.count(")") or expression.rstrip().endswith(","):
            continue
        indent, semicolon = found.group(1), found.group(3)
        real = masked.line(number)[found.start(2) : found.end(2)]
        declare = _declaration(masked)
        after, _ = _replace_line(
            source,
            number,
            [f"{indent}{declare} result = {real}{semicolon}", f"{indent}return result{semicolon}"],
        )
        yield from mutation_or_none(
            "extract-variable",
            source,
            after,
            None,
            severity="",
            description="Named a returned value `result` before returning it.",
        )


def js_name_condition(source: SourceFile) -> Iterator[Mutation]:
    """``if (a && b) {`` becomes ``const applies = a && b`` then ``if (applies) {``."""
    masked = mask(source.text)
    name = next((n for n in _JS_CONDITION_NAMES if _fresh(source.text, n)), None)
    if name is None:
        return
    semicolon = ";" if _semicolons(masked) else ""
    declare = _declaration(masked)
    for number, code in enumerate(masked.masked, start=1):
        found = _IF_BLOCK.match(code)
        if found is None or not _statement_may_start(masked, number):
            continue
        condition = found.group(2)
        if condition.count("(") != condition.count(")") or not re.search(r"&&|\|\|", condition):
            continue
        indent = found.group(1)
        real = masked.line(number)[found.start(2) : found.end(2)]
        after, _ = _replace_line(
            source,
            number,
            [f"{indent}{declare} {name} = {real}{semicolon}", f"{indent}if ({name}) {{"],
        )
        yield from mutation_or_none(
            "name-condition",
            source,
            after,
            None,
            severity="",
            description=f"Gave the condition on line {number} a name, `{name}`.",
        )


def _replace_line(source: SourceFile, number: int, rows: list[str]) -> tuple[str, tuple[int, int]]:
    from benchmarks.eval_corpus.mutation import Text

    return Text(source.text).replace_lines(number, number, rows)


PYTHON: tuple[tuple[str, Operator], ...] = (
    ("rename-local", rename_local),
    ("extract-variable", extract_variable),
    ("name-condition", name_condition),
)
JAVASCRIPT: tuple[tuple[str, Operator], ...] = (
    ("extract-variable", js_extract_variable),
    ("name-condition", js_name_condition),
)
