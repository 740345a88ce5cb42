"""Read a markdown file with YAML frontmatter, keeping the file line of every key.

The frontmatter is split off line by line (python-frontmatter's splitter swallows blank lines
next to the `---` fences, which shifts every line number), and YAML's composed nodes give
each key a start mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from tokenbook.errors import Problem

PathKey = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """Safe YAML with exact decimals: `0.3` is Decimal('0.3'), never a float."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value that cannot be built (`!!int abc`) is a located YAML error, not a crash."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as e:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.value!r} ({e})", node.start_mark
            ) from None


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | float:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        return Decimal(text)
    except InvalidOperation:
        return float(text)


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A date-shaped value that is no date (`2026-02-30`) stays text; fields.day() reports it."""
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[arg-type]
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


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
        data = path.read_bytes()
        text = data.decode("utf-8").removeprefix("\ufeff")
    except OSError as e:
        return Problem(label, 0, f"cannot read this file ({e.strerror}); check its permissions")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return Problem(label, line, f"not valid UTF-8 ({e.reason}); save the file as UTF-8")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[0].rstrip() != "---":
        return Problem(label, 1, "no YAML frontmatter; start the file with a line `---`")
    close = next((i for i, ln in enumerate(lines) if i and ln.rstrip() == "---"), None)
    if close is None:
        return Problem(label, 1, "frontmatter is not closed; add a line `---` after the settings")
    # A leading newline stands for the opening `---`, so YAML line n + 1 is file line n + 1;
    # the body keeps the rest of the closing line, so body line k is file line close + 1 + k.
    fm = "\n" + "\n".join(lines[1:close]) + "\n"
    body = "\n" + "\n".join(lines[close + 1 :])
    body_line = close + 1
    try:
        loader = _Loader(fm)
    except yaml.reader.ReaderError as e:  # a NUL or another character YAML does not allow
        line = fm.count("\n", 0, e.position) + 1
        return Problem(label, line, f"holds a control character (U+{e.character:04X}); remove it")
    located: dict[PathKey, int] = {}
    try:  # one parse: compose the node tree (keys' lines), check it, then build values from it
        node = loader.get_single_node()
        if not isinstance(node, yaml.MappingNode):
            return _not_a_mapping(path, label, node, body, body_line)
        # Before constructing: construction merges `<<:` keys into the tree in place.
        found = _locate(node, (), located, set())
        if found:
            return Problem(label, found[0], found[1])
        meta = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        return _yaml_problem(label, e, body_line)
    except RecursionError:  # thousands of nested brackets: PyYAML recurses once per level
        return Problem(label, 1, "frontmatter is nested too deeply to read; flatten it")
    finally:
        loader.dispose()
    return Document(path, meta, body, body_line, located)


def _not_a_mapping(
    path: Path, label: str, node: yaml.Node | None, body: str, body_line: int
) -> Document | Problem:
    if node is None:
        return Document(path, {}, body, body_line)
    return Problem(label, 2, "frontmatter must be a mapping of `key: value` lines")


def _yaml_problem(label: str, e: yaml.MarkedYAMLError, end: int) -> Problem:
    """Point at the problem's line; when that is the closing `---` (line `end`: an unclosed
    quote or bracket), point at where the unclosed thing started."""
    line = e.problem_mark.line + 1 if e.problem_mark else 1
    context = e.context_mark.line + 1 if e.context_mark and e.context else None
    message = f"invalid YAML: {e.problem}"
    if context is not None and line >= end:
        line, message = context, f"{message} {e.context}"
    elif context is not None and context != line:
        message = f"{message} ({e.context} on line {context})"
    if e.problem == "mapping values are not allowed here":
        hint = 'if a value holds `: `, put it in quotes, e.g. `title: "Fix: login"`'
        return Problem(label, line, f"{message}; {hint}")
    return Problem(label, line, f"{message}; fix the syntax on this line")


def _locate(
    node: yaml.Node, at: PathKey, lines: dict[PathKey, int], seen: set[int]
) -> tuple[int, str] | None:
    """Record the file line of every key and list item; return the line and message of the first
    duplicate key or YAML alias.

    Aliases (`*name`, `<<: *name`) are refused: a tokenbook file never needs them, and nested
    ones expand exponentially (a "billion laughs" file would hang every command)."""
    seen.add(id(node))
    children: list[tuple[PathKey, int, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for k, v in node.value:
            key = str(k.value)
            line = k.start_mark.line + 1
            if k.tag == "tag:yaml.org,2002:merge":
                return line, _ALIAS_HELP
            if key in keys:
                return line, f"key `{key}` appears twice; keep one"
            keys.add(key)
            children.append(((*at, key), line, v))
    elif isinstance(node, yaml.SequenceNode):
        children = [((*at, i), item.start_mark.line + 1, item) for i, item in enumerate(node.value)]
    for path, line, child in children:
        if id(child) in seen:  # an alias: the node was composed once and is used again here
            return (line if isinstance(node, yaml.MappingNode) else lines.get(at, 1)), _ALIAS_HELP
        lines[path] = line
        found = _locate(child, path, lines, seen)
        if found:
            return found
    return None


_ALIAS_HELP = (
    "YAML anchors and aliases (`&name`, `*name`, `<<:`) are not supported in tokenbook files; "
    "write the value out in full"
)
