"""Read a markdown file with YAML frontmatter, keeping the file line of every key.

python-frontmatter's `load()` strips text and so loses positions; its handler's `split()` does
not, and `yaml.compose()` gives each node a start mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from tokenbook.errors import Problem

PathKey = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """Safe YAML with exact decimals: `0.3` is Decimal('0.3'), never a float."""


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | float:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        return Decimal(text)
    except InvalidOperation:
        return float(text)


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


@dataclass(frozen=True, slots=True)
class Document:
    path: Path
    meta: dict[str, Any]
    body: str
    body_line: (
        int  # file line of the closing `---`; body line k (0-based) is file line body_line + k
    )
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, *key: str | int) -> int:
        """File line of a key path, falling back to its nearest located parent."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return 1


def read_document(path: Path, label: str) -> Document | Problem:
    """Parse `path`; a Problem (labelled with `label`, the path shown to users) when it cannot."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        return Problem(label, 1, f"not valid UTF-8 ({e.reason}); save the file as UTF-8")
    if not text.startswith("---"):
        return Problem(label, 1, "no YAML frontmatter; start the file with a line `---`")
    try:
        fm, body = frontmatter.YAMLHandler().split(text)
    except ValueError:
        return Problem(label, 1, "frontmatter is not closed; add a line `---` after the settings")
    try:
        node = yaml.compose(fm, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else 1
        return Problem(label, line, f"invalid YAML: {e.problem}; fix the syntax on this line")
    if node is None:
        return Document(path, {}, body, fm.count("\n") + 1)
    if not isinstance(node, yaml.MappingNode):
        return Problem(label, 2, "frontmatter must be a mapping of `key: value` lines")
    lines: dict[PathKey, int] = {}
    dup = _locate(node, (), lines)
    if dup:
        key, line = dup
        return Problem(label, line, f"key `{key}` appears twice; keep one")
    meta = yaml.load(fm, Loader=_Loader)
    return Document(path, meta, body, fm.count("\n") + 1, lines)


def _locate(node: yaml.Node, at: PathKey, lines: dict[PathKey, int]) -> tuple[str, int] | None:
    """Record the file line of every key and list item; return the first duplicate key."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            key = str(k.value)
            if key in seen:
                return key, k.start_mark.line + 1
            seen.add(key)
            lines[(*at, key)] = k.start_mark.line + 1
            dup = _locate(v, (*at, key), lines)
            if dup:
                return dup
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*at, i)] = item.start_mark.line + 1
            dup = _locate(item, (*at, i), lines)
            if dup:
                return dup
    return None
