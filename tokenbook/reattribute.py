"""`tokenbook reattribute`: apply today's rules to usage already in bets, after a preview.

Sync never moves usage out of a bet by itself (a rule edited later must not rewrite a finished
bet's history); this command is how a user asks for it. Without `--write` it only shows what
would move; with it, the moves are written like sync writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tokenbook.alerts import Alert
from tokenbook.attribution import Attributor
from tokenbook.crossings import crossed_by_write
from tokenbook.crossings import known_before
from tokenbook.fileio import vault_lock
from tokenbook.ledgerwrite import write_ledgers
from tokenbook.placement import Move
from tokenbook.placement import move
from tokenbook.placement import rule_decider
from tokenbook.placement import touched_by
from tokenbook.render import render_all
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault
from tokenbook.vault import require_vault


@dataclass(frozen=True, slots=True)
class Reattributed:
    moves: list[Move]
    written: bool
    ledgers_written: list[str]
    rendered: list[str]
    alerts: list[Alert]


def reattribute(
    root: Path, *, write: bool = False, bets: tuple[str, ...] = (), lock_wait: float = 10.0
) -> Reattributed:
    """What the vault's current rules would move (only out of `bets`, when given)."""
    require_vault(root)
    with vault_lock(root, wait_seconds=lock_wait):
        vault = load_vault(root)
        attributor = Attributor(vault)
        ledgers = load_ledgers(vault, attributor.explicit)
        decide = rule_decider(ledgers, attributor)

        def chosen(ledger: str, item: object) -> str | None:
            if bets and ledger not in bets:
                return None
            return decide(ledger, item)  # type: ignore[arg-type]

        known = known_before(vault, ledgers) if write else set()
        moves = move(ledgers, chosen, write=write)
        listed = [moves[k] for k in sorted(moves)]
        if not write or not moves:
            return Reattributed(listed, False, [], [], [])
        ledgers.retally()
        written = write_ledgers(ledgers, touched_by(moves))
        alerts = crossed_by_write(vault, known, ledgers)
        return Reattributed(listed, True, written, render_all(vault, ledgers), alerts)
