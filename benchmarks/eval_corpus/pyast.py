"""What the Python operators share: a parsed module, node positions as text offsets.

The operators edit only the characters of the nodes involved, so the rest of a
file (comments, formatting) stays as it was and the diff shows the change alone.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from benchmarks.eval_corpus.mutation import SourceFile, Text

Located = ast.expr | ast.stmt  # the nodes whose positions the operators edit
MAJOR = "major"
CRITICAL = "critical"


@dataclass(frozen=True)
class Parsed:
    tree: ast.Module
    text: Text
    parents: dict[ast.AST, ast.AST]

    def segment(self, node: Located) -> str:
        start, end = self.span(node)
        return self.text.text[start:end]

    def span(self, node: Located) -> tuple[int, int]:
        assert node.end_lineno is not None
        assert node.end_col_offset is not None
        return (
            self.text.offset(node.lineno, node.col_offset),
            self.text.offset(node.end_lineno, node.end_col_offset),
        )

    def replace(self, node: Located, replacement: str) -> tuple[str, tuple[int, int]]:
        start, end = self.span(node)
        return self.text.replace(start, end, replacement)

    def inside(self, node: ast.AST, kinds: tuple[type[ast.AST], ...]) -> ast.AST | None:
        parent = self.parents.get(node)
        while parent is not None:
            if isinstance(parent, kinds):
                return parent
            parent = self.parents.get(parent)
        return None


@lru_cache(maxsize=8)
def parse(source: SourceFile) -> Parsed | None:
    try:
        tree = ast.parse(source.text)
    except (SyntaxError, ValueError):
        return None
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    return Parsed(tree, Text(source.text), parents)


def valid_python(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def nodes(source: SourceFile) -> Iterator[tuple[Parsed, ast.AST]]:
    parsed = parse(source)
    if parsed is None:
        return
    for node in ast.walk(parsed.tree):
        yield parsed, node


def single_line(node: ast.AST) -> bool:
    return getattr(node, "lineno", 0) == getattr(node, "end_lineno", -1)


def quoted(text: str, limit: int = 100) -> str:
    """Code quoted for a description: on one line, and cut when long."""
    flat = " ".join(text.split())
    return f"`{flat if len(flat) <= limit else flat[: limit - 3] + '...'}`"


def is_or_are(values: list[str]) -> str:
    return "is" if len(values) == 1 else "are"


_LOOSER_THAN_AND = (ast.BoolOp, ast.IfExp, ast.Lambda, ast.NamedExpr)


def operand(parsed: Parsed, node: ast.expr) -> str:
    """The node's source as an operand of ``and``/``or``."""
    text = parsed.segment(node)
    return f"({text})" if isinstance(node, _LOOSER_THAN_AND) else text


def joined(parsed: Parsed, values: list[ast.expr], joiner: str) -> str:
    if len(values) == 1:
        return parsed.segment(values[0])  # the whole test: no parentheses needed
    return joiner.join(operand(parsed, v) for v in values)


def arithmetic_operand(parsed: Parsed, node: ast.expr) -> str:
    """The node's source as an operand of arithmetic."""
    text = parsed.segment(node)
    looser = (*_LOOSER_THAN_AND, ast.Compare, ast.UnaryOp)
    return f"({text})" if isinstance(node, looser) else text


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ""


def is_none_check(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], (ast.Is, ast.IsNot))
        and isinstance(node.comparators[0], ast.Constant)
        and node.comparators[0].value is None
    )
