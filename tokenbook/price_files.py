"""Surgical edits of the vault's price files (`pricing/*.md`): new model blocks and new dated
entries are inserted as text, every existing byte is kept (comments, order, spacing).

Positions come from YAML's composed nodes of the frontmatter; the inserted text is written in
the files' own layout (see vault/pricing/anthropic.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal

import yaml

from tokenbook.errors import TokenbookError
from tokenbook.model import PRICE_KINDS
from tokenbook.model import PriceEntry
from tokenbook.model import Rates

MARKER = "# Imported by `tokenbook pricing update` from"
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._/()+-]*(?<! )")
BlockText = Callable[[str], list[str]]  # indentation of the dash → the block's lines


def number(value: Decimal) -> str:
    """`2.50` → `2.5`, `1E+1` → `10`: the plain decimal a person would write."""
    return format(value.normalize(), "f")


def scalar(text: str) -> str:
    """A YAML scalar that reads back as exactly `text` (double-quoted when it must be)."""
    if _PLAIN.fullmatch(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text)


def glob_literal(name: str) -> str:
    """A `match` pattern that matches exactly `name` (`*`, `?` and `[` escaped)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _rates(rates: Rates, indent: str) -> list[str]:
    return [f"{indent}{kind}: {number(rates.of(kind))}" for kind in PRICE_KINDS]


def entry_lines(e: PriceEntry, indent: str) -> list[str]:
    """One dated entry as a list item whose dash sits at `indent`."""
    inner = indent + "  "
    lines = [f"{indent}- from: {e.start.isoformat()}", *_rates(e.rates, inner)]
    if e.fast is not None:
        lines.append(f"{inner}fast: {number(e.fast)}")
    if e.flex is not None:
        lines.append(f"{inner}flex: {number(e.flex)}")
    if e.long_context is not None and e.long_context_threshold is not None:
        lines += [f"{inner}long_context:", f"{inner}  threshold: {e.long_context_threshold}"]
        lines += _rates(e.long_context, inner + "  ")
    return lines


def block_lines(
    model: str, name: str, entries: tuple[PriceEntry, ...], label: str, indent: str
) -> list[str]:
    """A model block (with the import marker above it) whose dash sits at `indent`."""
    lines = [
        f"{indent}{MARKER} {label}.",
        f"{indent}- match: [{scalar(glob_literal(model))}]",
        f"{indent}  name: {scalar(name)}",
        f"{indent}  prices:",
    ]
    for e in entries:
        lines += entry_lines(e, indent + "    ")
    return lines


def new_file(provider: str, title: str) -> str:
    """A price file with no models yet (`add_block` starts the list)."""
    return (
        f"---\nprovider: {scalar(provider)}\nmodels:\n---\n# {title} price list\n\n"
        "Prices imported by `tokenbook pricing update` from an offline price database, in US\n"
        "dollars per million tokens. Each block names its source above it. Edit a block to\n"
        "set your own price: `tokenbook pricing update` never changes a block you edited, and\n"
        "only appends newer dated entries to the blocks it wrote and you left as they were.\n"
        "How a price is chosen is explained in pricing/anthropic.md.\n"
    )


class Frontmatter:
    """A price file's lines and the composed YAML of its frontmatter."""

    def __init__(self, text: str, label: str) -> None:
        self.label = label
        self.lines = text.split("\n")
        self.close = next((i for i, ln in enumerate(self.lines) if i and ln.rstrip() == "---"), 0)
        if self.lines[0].rstrip() != "---" or not self.close:
            raise TokenbookError(f"{label}:1: no frontmatter; cannot add prices to this file")
        fm = "\n" + "\n".join(self.lines[1 : self.close]) + "\n"
        node = yaml.compose(fm, Loader=yaml.SafeLoader)
        self.root = node if isinstance(node, yaml.MappingNode) else None

    def text(self) -> str:
        return "\n".join(self.lines)

    def value(self, node: yaml.Node | None, key: str) -> yaml.Node | None:
        if not isinstance(node, yaml.MappingNode):
            return None
        return next((v for k, v in node.value if k.value == key), None)

    def models(self) -> list[yaml.Node]:
        node = self.value(self.root, "models")
        return list(node.value) if isinstance(node, yaml.SequenceNode) else []

    def patterns(self, item: yaml.Node) -> tuple[str, ...]:
        match = self.value(item, "match")
        if isinstance(match, yaml.ScalarNode):
            return (str(match.value),)
        if isinstance(match, yaml.SequenceNode):
            return tuple(str(v.value) for v in match.value if isinstance(v, yaml.ScalarNode))
        return ()

    def imported(self, item: yaml.Node) -> bool:
        """Whether the line just above the block is the import marker."""
        above = item.start_mark.line - 1
        return above > 0 and self.lines[above].strip().startswith(MARKER)

    def insert(self, after: int, new: list[str]) -> None:
        self.lines[after + 1 : after + 1] = new

    def add_block(self, lines_for: BlockText) -> None:
        """Insert a model block after the last one (or start the `models:` list)."""
        items = self.models()
        if items:
            dash = " " * (items[0].start_mark.column - 2)
            self.insert(last_line(self.value(self.root, "models")), lines_for(dash))
            return
        key = (
            next((k for k, _ in self.root.value if k.value == "models"), None)
            if self.root
            else None
        )
        if key is None:
            self.insert(self.close - 1, ["models:", *lines_for("  ")])
        elif self.lines[key.start_mark.line].rstrip().endswith("models:"):
            self.insert(key.start_mark.line, lines_for("  "))
        else:
            raise TokenbookError(f"{self.label}: `models:` is not a list of blocks; add by hand")

    def add_entries(self, item: yaml.Node, entries: tuple[PriceEntry, ...]) -> None:
        prices = self.value(item, "prices")
        if not isinstance(prices, yaml.SequenceNode) or not prices.value or prices.flow_style:
            raise TokenbookError(f"{self.label}: a `prices:` list is not in block style")
        dash = " " * (prices.value[0].start_mark.column - 2)
        self.insert(last_line(prices), [ln for e in entries for ln in entry_lines(e, dash)])


def last_line(node: yaml.Node | None) -> int:
    """File line (0-based) of the last character of a block node's content."""
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style:
        if not node.value:
            break
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    if node is None:
        raise TokenbookError("empty YAML node")
    end = node.end_mark
    return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line
