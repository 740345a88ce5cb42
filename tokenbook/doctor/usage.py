"""Doctor checks of the vault: it loads, its models are priced, a cycle holds today, and how
much usage belongs to no bet."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tokenbook.cycles import current_cycle
from tokenbook.cycles import cycle_warning
from tokenbook.cycles import upcoming
from tokenbook.doctor.finding import Finding
from tokenbook.doctor.finding import fail
from tokenbook.doctor.finding import ok
from tokenbook.doctor.finding import warn
from tokenbook.errors import TokenbookError
from tokenbook.manual import UNKNOWN_MODEL
from tokenbook.model import UNASSIGNED
from tokenbook.model import Vault
from tokenbook.pricing import PriceBook
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault


def check_vault(root: Path) -> tuple[list[Finding], tuple[Vault, LedgerSet] | None]:
    """The vault and its ledgers load (the other vault checks need them)."""
    try:
        vault = load_vault(root)
        ledgers = load_ledgers(vault)
    except TokenbookError as e:
        lines = str(e).splitlines()
        fix = f"run `tokenbook check --vault {root}` and fix each line it prints"
        return [fail("vault", f"{len(lines)} problem(s), such as {lines[0]}", fix)], None
    rows, files = len(ledgers.rows), len(ledgers.files)
    found = ok("vault", f"{root}: valid, {rows:,} ledger row(s) in {files} ledger(s)")
    return [found], (vault, ledgers)


def check_usage(vault: Vault, ledgers: LedgerSet, root: Path) -> list[Finding]:
    """Usage counted, and a price for every model in it."""
    rows = [p.row for p in ledgers.rows.values()]
    if not rows:
        return [
            warn(
                "prices",
                "no usage in the ledgers yet, so no model to check",
                f"run `tokenbook sync --vault {root}`",
            )
        ]
    book = PriceBook(vault)
    unpriced: dict[str, int] = {}
    for row in rows:
        if book.price(row).usd is None:
            unpriced[row.model] = unpriced.get(row.model, 0) + row.tokens.total
    models = len({r.model for r in rows})
    findings = []
    for model, tokens in sorted(unpriced.items()):
        if model == UNKNOWN_MODEL:  # `tokenbook log` without --model
            message = f"{tokens:,} tokens logged by hand without --model are unpriced"
            findings.append(warn("prices", message, "log them with --model MODEL"))
        else:
            findings.append(
                fail(
                    "prices",
                    f"{model}: {tokens:,} tokens have no price (shown as unpriced, never $0)",
                    f"add a `match:` pattern and dated `prices:` for {model} to a file under "
                    f"{root / 'pricing'}",
                )
            )
    if not unpriced:
        findings.append(ok("prices", f"all {models} model(s) in the ledgers have a price"))
    return findings


def check_cycle(vault: Vault, today: date) -> list[Finding]:
    cycle = current_cycle(vault, today)
    if cycle is not None:
        made = f"; made by `repeat:` from `{cycle.derived_from}`" if cycle.derived_from else ""
        return [
            ok("cycle", f"today ({today}) is in `{cycle.id}` ({cycle.start} → {cycle.end}{made})")
        ]
    warning = cycle_warning(vault, today) or f"today ({today}) is in no cycle"
    later = [c for c in [*vault.cycles, *upcoming(vault, today)] if c.start > today]
    if later:  # a cooldown between cycles: planned, nothing to fix
        return [warn("cycle", warning, "nothing, if this is a planned cooldown")]
    return [
        fail(
            "cycle",
            warning,
            "add `repeat: monthly` to the last cycle, or run "
            "`tokenbook cycle next --repeat monthly`",
        )
    ]


def check_unassigned(vault: Vault, ledgers: LedgerSet, today: date) -> list[Finding]:
    cycle = current_cycle(vault, today)
    rows = [
        p.row
        for p in ledgers.rows.values()
        if p.ledger == UNASSIGNED and (cycle is None or cycle.contains(p.row.date))
    ]
    scope = f"in cycle `{cycle.id}`" if cycle else "in the ledgers"
    if not rows:
        return [ok("unassigned", f"no usage without a bet {scope}")]
    tokens = sum(r.tokens.total for r in rows)
    sessions = len({r.session for r in rows})
    return [
        warn(
            "unassigned",
            f"{tokens:,} tokens in {sessions} session(s) {scope} belong to no bet",
            "`tokenbook report session --bet unassigned` lists them; `tokenbook assign SESSION "
            "BET` moves one, a bet's `match:` rules claim the next ones",
        )
    ]
