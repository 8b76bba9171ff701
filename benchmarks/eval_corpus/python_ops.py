"""Seeded-bug operators for Python: logic, errors, concurrency and None, guided by ``ast``.

Each operator walks a module's syntax tree for the places it can change and
yields one ``Mutation`` per place. Whether the result still parses is checked by
the builder (``pyast.valid_python``) when it picks a mutation. The security
operators are in ``python_security``; ``SEEDED`` lists them all.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from benchmarks.eval_corpus.mutation import Mutation, Operator, SourceFile, mutation_or_none
from benchmarks.eval_corpus.pyast import (
    MAJOR,
    Parsed,
    arithmetic_operand,
    dotted,
    is_none_check,
    joined,
    nodes,
    quoted,
    single_line,
)
from benchmarks.eval_corpus.python_security import (
    path_traversal,
    shell_injection,
    sql_injection,
    unsafe_deserialization,
)

# --------------------------------------------------------------------------- off by one


def _mentions_len(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len"
        for n in ast.walk(node)
    )


_STRICTNESS = {ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"), ast.Gt: (">", ">="), ast.GtE: (">=", ">")}


def off_by_one(source: SourceFile) -> Iterator[Mutation]:
    """``range(len(x))`` runs one further; ``i < len(x)`` becomes ``<=`` (and the like)."""
    for parsed, node in nodes(source):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "range"
            and len(node.args) in (1, 2)
            and not node.keywords
            and _mentions_len(node.args[-1])
        ):
            stop = node.args[-1]
            old = parsed.segment(stop)
            after, lines = parsed.replace(stop, f"{arithmetic_operand(parsed, stop)} + 1")
            yield from mutation_or_none(
                "off-by-one",
                source,
                after,
                lines,
                severity=MAJOR,
                description=f"Off-by-one: the range now stops at {quoted(old + ' + 1')} instead of "
                f"{quoted(old)}, one index past the end of the sequence (IndexError, or an "
                "element read that does not exist).",
            )
        elif (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and type(node.ops[0]) in _STRICTNESS
            and (_mentions_len(node.left) or _mentions_len(node.comparators[0]))
        ):
            yield from _flip_operator(
                parsed,
                source,
                node,
                _STRICTNESS[type(node.ops[0])],
                "off-by-one",
                "Off-by-one: the bound check {old} became {new}, so the boundary element "
                "is now {what} (one too many or one too few iterations/elements).",
            )


def _flip_operator(
    parsed: Parsed,
    source: SourceFile,
    node: ast.Compare,
    tokens: tuple[str, str],
    operator: str,
    template: str,
) -> Iterator[Mutation]:
    old_token, new_token = tokens
    left_end = parsed.span(node.left)[1]
    right_start = parsed.span(node.comparators[0])[0]
    gap = parsed.text.text[left_end:right_start]
    found = _find_token(gap, old_token)
    if found is None:
        return
    start = left_end + found
    after, lines = parsed.text.replace(start, start + len(old_token), new_token)
    old = parsed.segment(node)
    new = old.replace(gap, gap[:found] + new_token + gap[found + len(old_token) :], 1)
    what = "included" if "=" in new_token else "excluded"
    yield from mutation_or_none(
        operator,
        source,
        after,
        lines,
        severity=MAJOR,
        description=template.format(old=quoted(old), new=quoted(new), what=what),
    )


def _find_token(gap: str, token: str) -> int | None:
    """Where comparison ``token`` stands in the text between two operands."""
    pattern = {
        "is not": r"\bis\s+not\b",
        "is": r"\bis\b(?!\s+not\b)",
        "not in": r"\bnot\s+in\b",
        "in": r"(?<!not )\bin\b",
    }.get(token, r"(?<![<>=!])" + re.escape(token) + r"(?![<>=])")
    found = re.search(pattern, gap)
    if found is None or found.group(0) != token:
        return None
    return found.start()


# --------------------------------------------------------------------------- conditions

_INVERSE = {
    ast.Eq: ("==", "!="),
    ast.NotEq: ("!=", "=="),
    ast.Is: ("is", "is not"),
    ast.IsNot: ("is not", "is"),
    ast.In: ("in", "not in"),
    ast.NotIn: ("not in", "in"),
}


def inverted_condition(source: SourceFile) -> Iterator[Mutation]:
    """The test of an ``if``/``while`` says the opposite: ``==`` ↔ ``!=``, ``not x`` → ``x``."""
    for parsed, node in nodes(source):
        if not isinstance(node, (ast.If, ast.While)) or not single_line(node.test):
            continue
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _INVERSE:
            yield from _flip_operator(
                parsed,
                source,
                test,
                _INVERSE[type(test.ops[0])],
                "inverted-condition",
                "Inverted condition: {old} became {new}, so the branch now runs exactly "
                "when it should not.",
            )
        elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            old = parsed.segment(test)
            new = parsed.segment(test.operand)
            after, lines = parsed.replace(test, new)
            yield from mutation_or_none(
                "inverted-condition",
                source,
                after,
                lines,
                severity=MAJOR,
                description=f"Inverted condition: {quoted(old)} became {quoted(new)}, so the "
                "branch now runs exactly when it should not.",
            )


def dropped_condition(source: SourceFile) -> Iterator[Mutation]:
    """One operand of an ``and``/``or`` test of an ``if``/``while`` is dropped."""
    for parsed, node in nodes(source):
        if not isinstance(node, (ast.If, ast.While)) or not isinstance(node.test, ast.BoolOp):
            continue
        test = node.test
        joiner = " and " if isinstance(test.op, ast.And) else " or "
        for index, dropped in enumerate(test.values):
            if is_none_check(dropped):
                continue  # that is the None-dereference operator's
            kept = [v for i, v in enumerate(test.values) if i != index]
            after, lines = parsed.replace(test, joined(parsed, kept, joiner))
            yield from mutation_or_none(
                "dropped-condition",
                source,
                after,
                lines,
                severity=MAJOR,
                description=f"Dropped condition: the check {quoted(parsed.segment(dropped))} "
                "was removed from the test, so the branch runs in cases it used to exclude "
                "(or no longer runs in cases the check admitted).",
            )


# --------------------------------------------------------------------------- wrong variable

_IMPLICIT = {"self", "cls"}


def wrong_variable(source: SourceFile) -> Iterator[Mutation]:
    """A call passes another parameter of the enclosing function in place of the right one."""
    for parsed, node in nodes(source):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
        params = [p for p in params if p not in _IMPLICIT]
        if len(params) < 2:
            continue
        for call in ast.walk(node):
            if not isinstance(call, ast.Call) or parsed.inside(call, (ast.Lambda,)):
                continue
            passed = {a.id for a in call.args if isinstance(a, ast.Name)}
            for argument in call.args:
                if not isinstance(argument, ast.Name) or argument.id not in params:
                    continue
                others = [p for p in params if p != argument.id and p not in passed]
                if not others:
                    continue
                swapped = others[0]
                after, lines = parsed.replace(argument, swapped)
                yield from mutation_or_none(
                    "wrong-variable",
                    source,
                    after,
                    lines,
                    severity=MAJOR,
                    description=f"Wrong variable: the call {quoted(parsed.segment(call))} now "
                    f"passes {quoted(swapped)} where it passed {quoted(argument.id)}.",
                )


# --------------------------------------------------------------------------- await


def missing_await(source: SourceFile) -> Iterator[Mutation]:
    """``await f()`` loses its ``await``: the coroutine is created and never run."""
    for parsed, node in nodes(source):
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            call = parsed.segment(node.value)
            after, _ = parsed.replace(node, call)
            yield from mutation_or_none(
                "missing-await",
                source,
                after,
                (node.lineno, node.lineno),  # where the await was, not the whole call
                severity=MAJOR,
                description=f"Missing await: {quoted(call)} is called without `await`, so the "
                "coroutine never runs (a 'never awaited' warning) and the code after it uses "
                "a coroutine object instead of the result.",
            )


# --------------------------------------------------------------------------- errors


def swallowed_exception(source: SourceFile) -> Iterator[Mutation]:
    """An ``except`` clause that raised now passes: the error disappears."""
    for parsed, node in nodes(source):
        if not isinstance(node, ast.ExceptHandler) or node.type is None:
            continue
        if not any(isinstance(s, ast.Raise) for s in node.body):
            continue
        first, last = node.body[0], node.body[-1]
        if first.lineno == node.lineno or last.end_lineno is None:
            continue  # a one-line handler
        indent = parsed.text.indent(first.lineno)
        after, (_, end) = parsed.text.replace_lines(
            first.lineno, last.end_lineno, [f"{indent}pass"]
        )
        yield from mutation_or_none(
            "swallowed-exception",
            source,
            after,
            (node.lineno, end),
            severity=MAJOR,
            description=f"Swallowed exception: the handler "
            f"{quoted(f'except {parsed.segment(node.type)}')} used to raise and now just "
            "passes, so the failure is silently ignored and execution continues with bad state.",
        )


def broken_error_propagation(source: SourceFile) -> Iterator[Mutation]:
    """A guard that raised an error returns None instead: callers carry on with nothing."""
    for parsed, node in nodes(source):
        if not isinstance(node, ast.Raise) or node.exc is None or node.end_lineno is None:
            continue
        parent = parsed.parents.get(node)
        if not isinstance(parent, ast.If) or node not in parent.body:
            continue
        if parsed.inside(node, (ast.ExceptHandler,)) or not parsed.inside(
            node, (ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            continue
        indent = parsed.text.indent(node.lineno)
        if len(indent) != node.col_offset:
            continue  # shares its line with the if
        raised = parsed.segment(node.exc)
        after, lines = parsed.text.replace_lines(
            node.lineno, node.end_lineno, [f"{indent}return None"]
        )
        yield from mutation_or_none(
            "broken-error-propagation",
            source,
            after,
            lines,
            severity=MAJOR,
            description=f"Broken error propagation: where it raised {quoted(raised)} the function "
            "now returns None, so callers continue with a missing value instead of seeing "
            "the error.",
        )


# --------------------------------------------------------------------------- with blocks

_RESOURCES = re.compile(
    r"(^|\.)(open|urlopen|socket|create_connection|connect|NamedTemporaryFile|"
    r"TemporaryFile|ZipFile|TarFile|Popen|fdopen)$"
)
_LOCKS = re.compile(r"(lock|mutex)$", re.IGNORECASE)


def resource_leak(source: SourceFile) -> Iterator[Mutation]:
    """``with open(p) as f:`` becomes ``f = open(p)``: nothing closes it any more."""
    for parsed, node in nodes(source):
        if not isinstance(node, ast.With) or len(node.items) != 1:
            continue
        item = node.items[0]
        call, target = item.context_expr, item.optional_vars
        if not isinstance(call, ast.Call) or not isinstance(target, ast.Name):
            continue
        if not _RESOURCES.search(dotted(call.func)) or not single_line(call):
            continue
        if call.lineno != node.lineno:
            continue
        header = f"{parsed.text.indent(node.lineno)}{target.id} = {parsed.segment(call)}"
        edited = _unwrap_with(parsed, node, header)
        if edited is None:
            continue
        after, _ = edited
        yield from mutation_or_none(
            "resource-leak",
            source,
            after,
            (node.lineno, node.lineno),
            severity=MAJOR,
            description=f"Resource leak: {quoted(parsed.segment(call))} is no longer used as a "
            "context manager, so it is never closed (and on an error, never released).",
        )


def race_condition(source: SourceFile) -> Iterator[Mutation]:
    """``with self._lock:`` is removed: the state it guarded is shared without it."""
    for parsed, node in nodes(source):
        if not isinstance(node, ast.With) or len(node.items) != 1:
            continue
        item = node.items[0]
        if item.optional_vars is not None or isinstance(item.context_expr, ast.Call):
            continue
        lock = parsed.segment(item.context_expr)
        if not _LOCKS.search(lock) or (node.end_lineno or node.lineno) - node.lineno > 12:
            continue
        edited = _unwrap_with(parsed, node, None)
        if edited is None:
            continue
        after, lines = edited
        yield from mutation_or_none(
            "race-condition",
            source,
            after,
            lines,
            severity=MAJOR,
            description=f"Race on shared state: the `with {lock}:` block was removed, so the "
            "state it protected is read and written by several threads without the lock.",
        )


def _unwrap_with(
    parsed: Parsed, node: ast.With, header: str | None
) -> tuple[str, tuple[int, int]] | None:
    """The ``with`` statement replaced by ``header`` (or nothing) and its body dedented."""
    first, last = node.body[0].lineno, node.end_lineno
    if last is None or first == node.lineno:
        return None
    if any(
        isinstance(n, (ast.Constant, ast.JoinedStr)) and not single_line(n) for n in ast.walk(node)
    ):
        return None  # dedenting would change a multi-line string
    outer, inner = parsed.text.indent(node.lineno), parsed.text.indent(first)
    if not inner.startswith(outer) or inner == outer:
        return None
    cut = len(inner) - len(outer)
    body = [parsed.text.line(n) for n in range(first, last + 1)]
    if any(row.strip() and not row.startswith(inner) for row in body):
        return None
    rows = [row[cut:] if row.strip() else row for row in body]
    replacement = ([header] if header is not None else []) + rows
    after, (start, end) = parsed.text.replace_lines(node.lineno, last, replacement)
    return after, (start + (1 if header is not None else 0), end)


# --------------------------------------------------------------------------- None


def none_dereference(source: SourceFile) -> Iterator[Mutation]:
    """The check that something is not None goes, and the code uses it anyway."""
    for parsed, node in nodes(source):
        if isinstance(node, ast.If):
            yield from _dropped_none_guard(parsed, source, node)
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            yield from _dropped_none_operand(parsed, source, node)


def _checked_name(node: ast.AST, negated: bool) -> ast.expr | None:
    """``x`` of ``x is None`` (negated False) or ``x is not None`` / ``x`` (negated True)."""
    if is_none_check(node):
        assert isinstance(node, ast.Compare)
        if isinstance(node.ops[0], ast.IsNot if negated else ast.Is):
            return node.left
        return None
    if negated and isinstance(node, (ast.Name, ast.Attribute)):
        return node
    return None


def _uses(parsed: Parsed, node: ast.AST, subject: str) -> bool:
    return any(
        isinstance(n, (ast.Attribute, ast.Subscript)) and parsed.segment(n.value) == subject
        for n in ast.walk(node)
    )


def _dropped_none_guard(parsed: Parsed, source: SourceFile, node: ast.If) -> Iterator[Mutation]:
    checked = _checked_name(node.test, negated=False)
    if checked is None or node.orelse or len(node.body) != 1 or node.end_lineno is None:
        return
    if not isinstance(node.body[0], (ast.Return, ast.Raise, ast.Continue)):
        return
    siblings = getattr(parsed.parents.get(node), "body", [])
    if node not in siblings:
        return
    position = siblings.index(node)
    following = siblings[position + 1] if position + 1 < len(siblings) else None
    subject = parsed.segment(checked)
    if following is None or not _uses(parsed, following, subject):
        return
    if parsed.text.line(node.lineno).lstrip().startswith("elif"):
        return
    removed = node.end_lineno - node.lineno + 1
    after, _ = parsed.text.replace_lines(node.lineno, node.end_lineno, [])
    line = following.lineno - removed
    yield from mutation_or_none(
        "none-dereference",
        source,
        after,
        (line, line),
        severity=MAJOR,
        description=f"None dereference: the guard {quoted(parsed.text.line(node.lineno).strip())} "
        f"was removed, and the next statement uses {quoted(subject)} (an attribute or item of "
        "it), which fails when it is None.",
    )


def _dropped_none_operand(
    parsed: Parsed, source: SourceFile, node: ast.BoolOp
) -> Iterator[Mutation]:
    checked = _checked_name(node.values[0], negated=True)
    if checked is None:
        return
    subject = parsed.segment(checked)
    rest = node.values[1:]
    if not any(_uses(parsed, value, subject) for value in rest):
        return
    after, lines = parsed.replace(node, joined(parsed, rest, " and "))
    yield from mutation_or_none(
        "none-dereference",
        source,
        after,
        lines,
        severity=MAJOR,
        description=f"None dereference: the check {quoted(parsed.segment(node.values[0]))} was "
        f"removed, and the rest of the condition uses {quoted(subject)}, which fails when it "
        "is None.",
    )


SEEDED: tuple[tuple[str, Operator], ...] = (
    ("off-by-one", off_by_one),
    ("inverted-condition", inverted_condition),
    ("dropped-condition", dropped_condition),
    ("wrong-variable", wrong_variable),
    ("missing-await", missing_await),
    ("swallowed-exception", swallowed_exception),
    ("broken-error-propagation", broken_error_propagation),
    ("resource-leak", resource_leak),
    ("race-condition", race_condition),
    ("none-dereference", none_dereference),
    ("sql-injection", sql_injection),
    ("shell-injection", shell_injection),
    ("path-traversal", path_traversal),
    ("unsafe-deserialization", unsafe_deserialization),
)
