"""`tokenbook diff REV`: what changed in the budget since a git revision, as markdown for a PR.

The vault as it was at REV is extracted from git (`git archive`) into a temporary folder and
loaded with the same library as the working tree; no logs are read.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tokenbook.branch_outcome import branch_markdown
from tokenbook.dashboard import BetView
from tokenbook.dashboard import bet_view
from tokenbook.difftables import NewSession
from tokenbook.difftables import bet_row
from tokenbook.difftables import changed
from tokenbook.difftables import cost
from tokenbook.difftables import folded
from tokenbook.difftables import new_sessions
from tokenbook.difftables import token_change
from tokenbook.difftables import tokens
from tokenbook.difftables import usd
from tokenbook.difftables import usd_change
from tokenbook.errors import TokenbookError
from tokenbook.filters import unpriced_line
from tokenbook.model import PRICE_KINDS
from tokenbook.model import Cycle
from tokenbook.model import ModelPrice
from tokenbook.model import Vault
from tokenbook.money import Money
from tokenbook.pricing import PriceBook
from tokenbook.reports import Usage
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.vault import SETTINGS_FILE
from tokenbook.vault import load_vault
from tokenbook.vault import require_vault


def _git(cwd: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise TokenbookError(
            "git is not installed; `tokenbook diff` reads the vault's history"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise TokenbookError(
            f"{cwd}:0: git {' '.join(args)} failed: {message[-1] if message else 'error'}; "
            "give a revision of the repository that holds the vault (e.g. origin/main)"
        )
    return done.stdout


def extract(root: Path, rev: str, dest: Path) -> Path | None:
    """Write the vault folder as it was at `rev` into `dest`; None if it did not exist then."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    try:
        _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except TokenbookError:
        raise TokenbookError(
            f"{root}:0: unknown git revision `{rev}`; give a commit, branch or tag of the "
            "repository that holds the vault, e.g. origin/main or HEAD~1"
        ) from None
    listing = _git(top, "ls-tree", "--name-only", rev, "--", f"{prefix}{SETTINGS_FILE}")
    if not listing.strip():
        return None
    data = _git(top, "archive", "--format=tar", rev, "--", prefix or ".")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest / prefix if prefix else dest


@dataclass(frozen=True, slots=True)
class Side:
    vault: Vault | None
    ledgers: LedgerSet | None

    def view(self, bet_id: str) -> BetView | None:
        if self.vault is None or self.ledgers is None:
            return None
        bet = self.vault.bet(bet_id)
        rows = self.ledgers.by_ledger().get(bet_id, [])
        if bet is None and not rows:
            return None
        return bet_view(self.vault, bet, bet_id, rows, PriceBook(self.vault))

    def cycle_usage(self, cycle: Cycle) -> Usage:
        usage = Usage()
        if self.vault is None or self.ledgers is None:
            return usage
        book = PriceBook(self.vault)
        for p in self.ledgers.rows.values():
            if cycle.contains(p.row.date):
                usage.add(p.row, book)
        return usage


def _load(root: Path | None) -> Side:
    if root is None:
        return Side(None, None)
    vault = load_vault(root)
    return Side(vault, load_ledgers(vault))


def diff_markdown(root: Path, rev: str, branch: str | None = None) -> str:
    """The budget at `rev` against now; and what the checked-out branch (or `branch`) cost
    and changed (`branch_outcome`)."""
    require_vault(root)
    with tempfile.TemporaryDirectory(prefix="tokenbook-diff-") as tmp:
        old_root = extract(root, rev, Path(tmp))
        old = _load(old_root)
        new = _load(root)
        assert new.vault is not None
        assert new.ledgers is not None
        return _markdown(rev, old, new, branch_markdown(new.vault, new.ledgers, rev, branch))


def _markdown(rev: str, old: Side, new: Side, branch: list[str]) -> str:
    assert new.vault is not None
    lines = [f"## Token budget since `{rev}`", ""]
    if old.vault is None:
        lines += [f"_No vault at `{rev}`: everything below is new._", ""]
    lines += _cycles(rev, old, new)
    lines += _bets(rev, old, new)
    lines += branch
    lines += _prices(old.vault, new.vault)
    return "\n".join(lines).rstrip("\n") + "\n"


def _budget(cycle: Cycle) -> str:
    parts = [
        *([usd(cycle.budget_usd)] if cycle.budget_usd is not None else []),
        *([f"{cycle.budget_tokens:,} tok"] if cycle.budget_tokens is not None else []),
    ]
    return " · ".join(parts) or "—"


def _cycles(rev: str, old: Side, new: Side) -> list[str]:
    assert new.vault is not None
    kinds = new.vault.settings.budget_kinds
    out = [
        "### Cycles",
        "",
        f"| Cycle | Budget | At `{rev}` | Now | Change |",
        "|---|--:|--:|--:|--:|",
    ]
    for cycle in new.vault.cycles:
        was, now = old.cycle_usage(cycle), new.cycle_usage(cycle)
        if was.responses == now.responses == 0:
            continue
        before, after = was.budget_tokens(kinds), now.budget_tokens(kinds)
        change = f"{usd_change(was, now)} · {token_change(after - before)} tok"
        out.append(
            f"| {cycle.id} | {_budget(cycle)} | {cost(was)} · {tokens(before)} tok "
            f"| {cost(now)} · {tokens(after)} tok | {change} |"
        )
    return [*out, ""] if len(out) > 4 else []


def _bets(rev: str, old: Side, new: Side) -> list[str]:
    assert new.ledgers is not None
    assert new.vault is not None
    ids = {b.id for b in new.vault.bets} | set(new.ledgers.by_ledger())
    if old.vault is not None and old.ledgers is not None:
        ids |= {b.id for b in old.vault.bets} | set(old.ledgers.by_ledger())
    header = [
        "### Bets",
        "",
        "| Bet | Cost (change) | Tokens (change) | % of appetite | New sessions | New alerts |",
        "|---|--:|--:|--:|--:|---|",
    ]
    rows: list[str] = []
    added: list[NewSession] = []
    unpriced = Money()
    for bet_id in sorted(ids):
        was, now = old.view(bet_id), new.view(bet_id)
        if not changed(was, now):
            continue
        rows.append(bet_row(bet_id, was, now))
        if now is not None:
            unpriced += Money(
                unpriced_tokens=now.usage.unpriced_tokens,
                unpriced_models=frozenset(now.usage.unpriced_models),
            )
            fresh = now.usage.sessions - (was.usage.sessions if was else set())
            added += new_sessions(new.vault, new.ledgers, bet_id, fresh)
    if not rows:
        return ["No usage changed.", ""]
    out = [*header, *rows, ""]
    if not unpriced.complete:
        out += [unpriced_line(unpriced.unpriced_tokens, unpriced.unpriced_models), ""]
    return out + folded(added)


def _entries(models: tuple[ModelPrice, ...]) -> dict[tuple[str, str], dict[str, Decimal]]:
    """(model name, first day) → USD per million tokens of each token kind."""
    return {
        (m.name, e.start.isoformat()): {k: e.rates.of(k) for k in PRICE_KINDS}
        for m in models
        for e in m.entries
    }


def _rates(rates: dict[str, Decimal]) -> str:
    return ", ".join(f"{k} {v}" for k, v in rates.items()) + " USD/MTok"


def _prices(old: Vault | None, new: Vault | None) -> list[str]:
    before = _entries(old.models) if old else {}
    after = _entries(new.models) if new else {}
    changes = []
    for key in sorted(set(before) | set(after)):
        name, start = key
        if key not in before:
            changes.append(f"- {name} from {start}: added ({_rates(after[key])})")
        elif key not in after:
            changes.append(f"- {name} from {start}: removed ({_rates(before[key])})")
        elif before[key] != after[key]:
            moved = [
                f"{k} {before[key][k]} → {after[key][k]}"
                for k in PRICE_KINDS
                if before[key][k] != after[key][k]
            ]
            changes.append(f"- {name} from {start}: {', '.join(moved)} USD/MTok")
    if not changes:
        return []
    return ["### Price changes", "", *changes, ""]
