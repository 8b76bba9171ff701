"""YAML parsing for the corpus files, with errors that name the file and line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reviewer.errors import ConfigError


@dataclass(frozen=True)
class YamlDocument:
    data: Any  # what yaml.safe_load returns
    item_lines: tuple[int, ...]  # 1-based line of each list item, or of each mapping key
    key_lines: tuple[tuple[str, int], ...]  # (key, line) of a top-level mapping

    def line_of(self, key: str, default: int = 1) -> int:
        return dict(self.key_lines).get(key, default)


def read_yaml(text: str, *, source: str) -> YamlDocument:
    import yaml  # lazily: only `reviewer eval` reads these files

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', exc)}", source=where) from None
    if isinstance(root, yaml.SequenceNode):
        items = tuple(node.start_mark.line + 1 for node in root.value)
        return YamlDocument(data, items, ())
    if isinstance(root, yaml.MappingNode):
        keys = tuple((str(key.value), key.start_mark.line + 1) for key, _ in root.value)
        return YamlDocument(data, tuple(line for _, line in keys), keys)
    return YamlDocument(data, (), ())
