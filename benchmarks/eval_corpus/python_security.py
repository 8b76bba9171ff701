"""Seeded-bug operators for Python security flaws: injection, paths, deserialisation."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from benchmarks.eval_corpus.mutation import Edit, Mutation, SourceFile, mutation_or_none
from benchmarks.eval_corpus.pyast import (
    CRITICAL,
    Parsed,
    dotted,
    is_or_are,
    nodes,
    parse,
    quoted,
)

# --------------------------------------------------------------------------- injection

_EXECUTE = {"execute", "executemany", "query"}


def sql_injection(source: SourceFile) -> Iterator[Mutation]:
    """Query parameters are pasted into the SQL text instead of being bound."""
    for parsed, node in nodes(source):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _EXECUTE
            and len(node.args) == 2
            and not node.keywords
        ):
            continue
        sql, params = node.args
        if not isinstance(sql, ast.Constant) or not isinstance(sql.value, str):
            continue
        if not isinstance(params, (ast.List, ast.Tuple)) or not params.elts:
            continue
        if sql.value.count("?") != len(params.elts):
            continue
        values = [parsed.segment(e) for e in params.elts]
        literal = _interpolated(sql.value, "?", values, quote_values=True)
        if literal is None:
            continue
        start, end = parsed.span(sql)[0], parsed.span(params)[1]
        after, lines = parsed.text.replace(start, end, literal)
        yield from mutation_or_none(
            "sql-injection",
            source,
            after,
            lines,
            severity=CRITICAL,
            description="SQL injection: "
            + ", ".join(quoted(v) for v in values)
            + f" {is_or_are(values)} now "
            "formatted into the SQL text instead of being passed as bound parameters, so a "
            "value containing a quote changes the query.",
        )


def _interpolated(
    text: str, placeholder: str, values: list[str], *, quote_values: bool
) -> str | None:
    """An f-string of ``text`` with each ``placeholder`` replaced by the next value."""
    if any(("\\" in v or "\n" in v or '"' in v) for v in values):
        return None
    multi_line = "\n" in text
    quote = '"""' if multi_line else '"'
    if quote in text or text.endswith('"') or "\\" in text:
        return None
    escaped = text.replace("{", "{{").replace("}", "}}")
    pieces = escaped.split(placeholder)
    out = pieces[0]
    for value, piece in zip(values, pieces[1:], strict=True):
        out += (f"'{{{value}}}'" if quote_values else f"{{{value}}}") + piece
    return f"f{quote}{out}{quote}"


_SUBPROCESS = {"run", "call", "check_call", "check_output", "Popen"}


def shell_injection(source: SourceFile) -> Iterator[Mutation]:
    """An argument list becomes one string run by the shell (``shell=True``)."""
    for parsed, node in nodes(source):
        if not isinstance(node, ast.Call) or len(node.args) != 1:
            continue
        name = dotted(node.func)
        if name.rsplit(".", 1)[-1] not in _SUBPROCESS or not (
            name.startswith("subprocess.") or name == "Popen"
        ):
            continue
        if any(k.arg == "shell" for k in node.keywords):
            continue
        command = node.args[0]
        text = _shell_string(parsed, command)
        if text is None:
            continue
        after, lines = parsed.replace(command, f"{text}, shell=True")
        yield from mutation_or_none(
            "shell-injection",
            source,
            after,
            lines,
            severity=CRITICAL,
            description=f"Shell injection: the command {quoted(parsed.segment(command))} is now "
            "joined into one string and run with `shell=True`, so shell metacharacters in "
            "any argument are executed.",
        )


def _shell_string(parsed: Parsed, command: ast.expr) -> str | None:
    if isinstance(command, (ast.Name, ast.Attribute)):
        return f'" ".join({parsed.segment(command)})'
    if not isinstance(command, (ast.List, ast.Tuple)) or not command.elts:
        return None
    if all(isinstance(e, ast.Constant) for e in command.elts):
        return None  # nothing comes from outside
    words: list[str] = []
    for element in command.elts:
        if isinstance(element, ast.Constant) and isinstance(element.value, str):
            if re.search(r"[\s\"'{}\\]", element.value):
                return None
            words.append(element.value)
        elif isinstance(element, ast.Starred):
            return None
        else:
            value = parsed.segment(element)
            if re.search(r"[\"\\\n]", value):
                return None
            words.append(f"{{{value}}}")
    return 'f"' + " ".join(words) + '"'


# --------------------------------------------------------------------------- paths


def path_traversal(source: SourceFile) -> Iterator[Mutation]:
    """``safe_join`` becomes a plain join, or ``basename(x)`` becomes ``x``, in a path."""
    parsed = parse(source)
    if parsed is None:
        return
    join = _plain_join(parsed.tree)
    for _, node in nodes(source):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        if name.rsplit(".", 1)[-1] == "safe_join" and join is not None:
            after, lines = parsed.replace(node.func, join)
            what = f"`safe_join` was replaced by `{join}`"
        elif name in ("basename", "os.path.basename", "posixpath.basename") and _in_join(
            parsed, node
        ):
            after, lines = parsed.replace(node, parsed.segment(node.args[0]))
            what = f"{quoted(parsed.segment(node))} lost its `basename`"
        else:
            continue
        yield from mutation_or_none(
            "path-traversal",
            source,
            after,
            lines,
            severity=CRITICAL,
            description=f"Path traversal: {what}, so a name with `..` segments or an "
            "absolute path escapes the intended directory.",
        )


def _plain_join(tree: ast.Module) -> str | None:
    imported = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    if "os" in imported:
        return "os.path.join"
    if "posixpath" in imported:
        return "posixpath.join"
    return None


def _in_join(parsed: Parsed, node: ast.Call) -> bool:
    parent = parsed.parents.get(node)
    return (
        isinstance(parent, ast.Call)
        and dotted(parent.func).endswith("join")
        and len(node.args) == 1
        and node in parent.args
    )


# --------------------------------------------------------------------------- deserialisation

_JSON_MODULES = {"json", "complexjson", "jsonlib", "_json"}


def unsafe_deserialization(source: SourceFile) -> Iterator[Mutation]:
    """``json.loads`` becomes ``pickle.loads``, ``yaml.safe_load`` a full ``yaml.load``."""
    parsed = parse(source)
    if parsed is None:
        return
    for _, node in nodes(source):
        if not isinstance(node, ast.Call) or len(node.args) != 1 or node.keywords:
            continue
        name = dotted(node.func)
        module, _, function = name.rpartition(".")
        if module in _JSON_MODULES and function == "loads":
            edits = [Edit(*parsed.span(node.func), "pickle.loads")]
            edits += _import_pickle(parsed)
            line = node.lineno + (1 if len(edits) == 2 else 0)
            after = parsed.text.apply(edits)
            what = f"{quoted(name + '(...)')} became `pickle.loads(...)`"
        elif name == "yaml.safe_load":
            argument = parsed.segment(node.args[0])
            after, (line, _) = parsed.replace(node, f"yaml.load({argument}, Loader=yaml.Loader)")
            what = "`yaml.safe_load` became `yaml.load` with the full Loader"
        else:
            continue
        yield from mutation_or_none(
            "unsafe-deserialization",
            source,
            after,
            (line, line),
            severity=CRITICAL,
            description=f"Unsafe deserialisation: {what}; loading data that comes from outside "
            "can now construct arbitrary objects and run code.",
        )


def _import_pickle(parsed: Parsed) -> list[Edit]:
    """An ``import pickle`` line before the module's first import (after __future__ ones)."""
    imports = [n for n in parsed.tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    if any(isinstance(n, ast.Import) and any(a.name == "pickle" for a in n.names) for n in imports):
        return []
    future = [n for n in imports if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
    anchor_line = (
        (future[-1].end_lineno or 0) + 1 if future else (imports[0].lineno if imports else 1)
    )
    offset = parsed.text.starts[anchor_line - 1]
    return [Edit(offset, offset, "import pickle\n")]
