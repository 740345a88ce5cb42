"""Load the vault's markdown files into typed records, reporting every problem at once."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from tokenbook import fields as f
from tokenbook import vaultcache
from tokenbook.checks import cross_checks
from tokenbook.confine import check_links
from tokenbook.cycles import parse_repeat
from tokenbook.errors import Problem
from tokenbook.errors import VaultError
from tokenbook.fields import Fields
from tokenbook.guard_fields import parse_guard
from tokenbook.guard_fields import parse_session_budget
from tokenbook.model import PRICE_KINDS
from tokenbook.model import Cycle
from tokenbook.model import Settings
from tokenbook.model import Vault
from tokenbook.vault_bets import THRESHOLD
from tokenbook.vault_bets import file_id
from tokenbook.vault_bets import parse_bet
from tokenbook.vault_prices import parse_plan
from tokenbook.vault_prices import parse_pricing

if TYPE_CHECKING:  # YAML and markdown-it load only when the vault is parsed (not cached)
    from tokenbook.docs import Document

T = TypeVar("T")
SETTINGS_FILE = "tokenbook.md"


def require_vault(root: Path) -> None:
    """A vault is a folder with a `tokenbook.md`; anything else is refused before any write, and
    so is a vault with a symbolic link where tokenbook reads or writes (`confine.check_links`)."""
    if not (root / SETTINGS_FILE).is_file():
        raise VaultError([Problem(str(root), 0, "no vault here; create one with `tokenbook init`")])
    check_links(root)


def load_vault(root: Path) -> Vault:
    """Read and validate the whole vault; raise VaultError listing every problem."""
    require_vault(root)
    cached, key = vaultcache.load(root, SETTINGS_FILE)
    if cached is not None:
        return cached
    problems: list[Problem] = []
    settings = load_settings(root, problems)
    cycles = _load_all(root, "cycles", _parse_cycle, problems)
    bets = _load_all(root, "bets", parse_bet, problems)
    pricing = _load_all(root, "pricing", parse_pricing, problems)
    plans = _load_all(root, "plans", parse_plan, problems)
    vault = Vault(
        root=root,
        settings=settings,
        cycles=tuple(sorted(cycles, key=lambda c: (c.start, c.id))),
        bets=tuple(sorted(bets, key=lambda b: b.id)),
        models=tuple(m for models, _ in pricing for m in models),
        web_search=tuple(sorted((w for _, ws in pricing for w in ws), key=lambda w: w.start)),
        plans=tuple(sorted(plans, key=lambda p: p.id)),
    )
    problems.extend(cross_checks(vault))
    if problems:
        raise VaultError(problems)
    vaultcache.save(vault, key)
    return vault


def _read_document(path: Path, label: str) -> Document | Problem:
    from tokenbook.docs import read_document

    return read_document(path, label)


def _label(root: Path, path: Path) -> str:
    return str(root / path.relative_to(root))


def _load_all(
    root: Path,
    folder: str,
    parse: Callable[[Document, str, list[Problem]], T | None],
    problems: list[Problem],
) -> list[T]:
    out = []
    for path in sorted((root / folder).glob("*.md")):
        label = _label(root, path)
        doc = _read_document(path, label)
        if isinstance(doc, Problem):
            problems.append(doc)
            continue
        record = parse(doc, label, problems)
        if record is not None:
            out.append(record)
    return out


def load_settings(root: Path, problems: list[Problem]) -> Settings:
    path = root / SETTINGS_FILE
    doc = _read_document(path, _label(root, path))
    if isinstance(doc, Problem):
        problems.append(doc)
        return Settings()
    r = Fields(doc, _label(root, path), problems)
    tz = r.get("timezone", _timezone)
    unit = r.get("iteration_unit", f.choice("session", "turn"))
    thresholds = r.get("alert_thresholds", f.list_of(THRESHOLD))
    kinds = r.get("token_budget_kinds", f.list_of(f.choice(*PRICE_KINDS)))
    logs = r.get("logs", f.list_of(f.text))
    alert_command = r.get("alert_command", f.text)
    cycle_repeat = r.get("cycle_repeat", parse_repeat)
    guard = parse_guard(r)
    links = r.get("links", f.choice("markdown", "wikilinks"))
    if unit == "turn":
        r.problem(
            "iteration_unit",
            "`iteration_unit: turn` is not supported yet (ledgers count sessions, not user "
            "turns); use `iteration_unit: session`",
        )
        unit = None
    r.close(f.OBSIDIAN_KEYS)
    defaults = Settings()
    return Settings(
        timezone=tz or defaults.timezone,
        iteration_unit=unit or defaults.iteration_unit,
        alert_thresholds=tuple(sorted(set(thresholds)))
        if thresholds
        else defaults.alert_thresholds,
        budget_kinds=kinds or defaults.budget_kinds,
        logs=logs or (),
        alert_command=alert_command or None,
        cycle_repeat=cycle_repeat,
        guard=guard or defaults.guard,
        links=links or defaults.links,
    )


def _timezone(value: Any) -> str:
    name = f.text(value)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise f.Invalid(f"unknown time zone {name!r}; use an IANA name such as UTC") from None
    return name


def _parse_cycle(doc: Document, label: str, problems: list[Problem]) -> Cycle | None:
    r = Fields(doc, label, problems)
    cycle_id = r.get("id", f.slug)
    if cycle_id is None and "id" not in doc.meta:
        cycle_id = file_id(r, doc.path.stem, "cycle")
    start = r.get("start", f.day, required=True)
    end = r.get("end", f.day, required=True)
    budget_usd = r.get("budget_usd", f.money)
    budget_tokens = r.get("budget_tokens", f.count)
    reserve = r.get("reserve", f.share)
    repeat = r.get("repeat", parse_repeat)
    guard, session_budget = parse_guard(r), parse_session_budget(r)
    r.close(f.OBSIDIAN_KEYS)
    if start is None or end is None or cycle_id is None:
        return None
    if end < start:
        r.problem("end", f"`end` ({end}) is before `start` ({start}); swap them")
        return None
    return Cycle(
        id=cycle_id,
        start=start,
        end=end,
        budget_usd=budget_usd,
        budget_tokens=budget_tokens,
        reserve=reserve if reserve is not None else Decimal(0),
        repeat=repeat,
        guard=guard,
        session_budget=session_budget,
        path=label,
        line=doc.line("id") if "id" in doc.meta else 1,
    )
