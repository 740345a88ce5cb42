"""`tokenbook pricing update`: dated prices for the models in use, from an offline database.

The vault stays the record: a model that a price file already matches keeps its price. Only
two kinds of change are made, both as inserted text (nothing existing is rewritten):
- a model that no price file matches gets a block in `pricing/<provider>.md` (the file is
  created if needed), with every dated price the database knows;
- a block this command wrote earlier, and that nobody edited since, gets the database's newer
  dated entries appended.
A block you wrote or edited is never changed; where the database disagrees, a note says so.
`plan_update` computes the change and checks the vault still loads with it; `apply_update`
writes it under the vault lock, refusing if a file changed in between.
"""

from __future__ import annotations

import difflib
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tokenbook.errors import TokenbookError
from tokenbook.errors import VaultError
from tokenbook.fileio import vault_lock
from tokenbook.fileio import write_if_changed
from tokenbook.model import ModelPrice
from tokenbook.model import PriceEntry
from tokenbook.price_files import Frontmatter
from tokenbook.price_files import block_lines
from tokenbook.price_files import new_file
from tokenbook.price_files import number
from tokenbook.price_import import Found
from tokenbook.price_import import GenaiPrices
from tokenbook.pricing import PriceBook
from tokenbook.vault import SETTINGS_FILE
from tokenbook.vault import load_vault

NOT_MODELS = {"", "unknown", "<synthetic>"}
VAULT_PARTS = ("cycles", "bets", "plans", "pricing")


class Database(Protocol):
    label: str

    def lookup(self, model: str) -> Found | None: ...


@dataclass(frozen=True, slots=True)
class Change:
    path: str  # relative to the vault, `pricing/openai.md`
    before: str | None  # None: a new file
    after: str


@dataclass(frozen=True, slots=True)
class Plan:
    database: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...]

    def diff(self) -> str:
        out: list[str] = []
        for c in self.changes:
            old = (c.before or "").splitlines(keepends=True)
            new = c.after.splitlines(keepends=True)
            source = f"a/{c.path}" if c.before is not None else "/dev/null"
            out += difflib.unified_diff(old, new, source, f"b/{c.path}")
        return "".join(out)


@dataclass
class _Work:
    root: Path
    label: str
    texts: dict[str, str]  # relative path → new text
    notes: list[str]

    def text(self, path: str, provider: str, title: str) -> str:
        if path not in self.texts:
            file = self.root / path
            self.texts[path] = (
                file.read_text(encoding="utf-8") if file.exists() else new_file(provider, title)
            )
        return self.texts[path]


def plan_update(root: Path, models: Iterable[str], database: Database | None = None) -> Plan:
    """What `--write` would change for `models` (names as the logs give them)."""
    vault = load_vault(root)
    db = database if database is not None else GenaiPrices()
    book = PriceBook(vault)
    work = _Work(root, db.label, {}, [])
    seen_blocks: set[tuple[str, int]] = set()
    for model in sorted(set(models) - NOT_MODELS):
        found = db.lookup(model)
        existing = book.model(model)
        if existing is not None:
            if (existing.path, existing.line) not in seen_blocks:
                seen_blocks.add((existing.path, existing.line))
                _update(work, existing, model, found)
        elif found is None:
            work.notes.append(
                f"{model}: not in {db.label}; it stays unpriced until you add a block for it "
                "to a pricing/*.md file"
            )
        else:
            _add(work, model, found)
    changes = tuple(
        Change(p, before, text)
        for p, text in sorted(work.texts.items())
        if (before := _read(root / p)) != text
    )
    _check(root, changes)
    return Plan(db.label, changes, tuple(work.notes))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _add(work: _Work, model: str, found: Found) -> None:
    path = f"pricing/{found.provider}.md"
    fm = Frontmatter(work.text(path, found.provider, found.provider_name), path)
    fm.add_block(lambda dash: block_lines(model, found.name, found.entries, work.label, dash))
    work.texts[path] = fm.text()
    work.notes.append(f"{model}: added to {path} ({_entries(len(found.entries))})")
    work.notes += found.notes


def _entries(n: int) -> str:
    return f"{n} dated entr{'y' if n == 1 else 'ies'}"


def _relative(work: _Work, label: str) -> str:
    path = Path(label)
    return str(path.relative_to(work.root)) if path.is_relative_to(work.root) else label


def _update(work: _Work, existing: ModelPrice, model: str, found: Found | None) -> None:
    if found is None:
        return
    path = _relative(work, existing.path)
    fm = Frontmatter(work.text(path, found.provider, found.provider_name), path)
    item = next((i for i in fm.models() if fm.patterns(i) == existing.patterns), None)
    ours = item is not None and fm.imported(item)
    have = {e.start: e for e in existing.entries}
    theirs = {e.start: e for e in found.entries}
    unedited = all(_same(e, theirs.get(day)) for day, e in have.items())
    if item is not None and ours and unedited:
        newer = tuple(e for e in found.entries if e.start > max(have))
        if newer:
            fm.add_entries(item, newer)
            work.texts[path] = fm.text()
            work.notes.append(f"{model}: {_entries(len(newer))} added in {path}")
        return
    latest, mine = found.entries[-1], existing.entries[-1]
    differs = _differences(mine, latest)
    if differs:
        whose = "an imported block that was edited" if ours else "a price you set"
        work.notes.append(
            f"{model}: kept {path}:{existing.line} ({whose}); {work.label} says "
            f"{differs} from {latest.start}"
        )


def _same(a: PriceEntry, b: PriceEntry | None) -> bool:
    if b is None:
        return False
    return (a.rates, a.long_context, a.long_context_threshold, a.fast, a.flex, a.geo) == (
        b.rates,
        b.long_context,
        b.long_context_threshold,
        b.fast,
        b.flex,
        b.geo,
    )


def _differences(mine: PriceEntry, theirs: PriceEntry) -> str:
    parts = [
        f"{kind} {number(theirs.rates.of(kind))} (yours {number(mine.rates.of(kind))})"
        for kind in ("input", "output", "cache_read")
        if mine.rates.of(kind) != theirs.rates.of(kind)
    ]
    return ", ".join(parts)


def _check(root: Path, changes: tuple[Change, ...]) -> None:
    """Load a copy of the vault with the changes: a change that breaks it is never written."""
    with tempfile.TemporaryDirectory(prefix="tokenbook-prices-") as tmp:
        copy = Path(tmp)
        shutil.copy2(root / SETTINGS_FILE, copy / SETTINGS_FILE)
        for part in VAULT_PARTS:
            if (root / part).is_dir():
                shutil.copytree(root / part, copy / part)
        for c in changes:
            (copy / c.path).parent.mkdir(parents=True, exist_ok=True)
            (copy / c.path).write_text(c.after, encoding="utf-8")
        try:
            load_vault(copy)
        except VaultError as e:
            shown = str(e).replace(str(copy), str(root))
            raise TokenbookError(
                "the price update would make the vault unreadable, so nothing was written "
                f"(please report this):\n{shown}"
            ) from None


def apply_update(root: Path, plan: Plan) -> list[str]:
    """Write the plan's files (atomically, under the vault lock); the paths written."""
    written = []
    with vault_lock(root):
        for c in plan.changes:
            if _read(root / c.path) != c.before:
                raise TokenbookError(
                    f"{c.path} changed since the update was planned; nothing written, run it again"
                )
        for c in plan.changes:
            if write_if_changed(root / c.path, c.after):
                written.append(c.path)
    return written
