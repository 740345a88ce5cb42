"""Which ledger each response belongs to: new ones by attribution, history kept where it is.

- A new response goes where its session's main thread was working when it was made
  (`attribution.contexts`): the bet listing the session under `sessions:`, else the one active
  bet whose rules match that project and branch on that day, else `unassigned`. A response
  whose row a migrated format-1 row already holds goes to that row's ledger.
- Usage in `unassigned` is undecided: every sync tries the rules on it again and moves what a
  rule now claims (and says so).
- Usage in a bet moves only when asked: a session listed under a bet's `sessions:` (what
  `tokenbook assign` writes), or `tokenbook reattribute --write`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from tokenbook.attribution import Attributor
from tokenbook.attribution import Place
from tokenbook.attribution import contexts
from tokenbook.ledger import LedgerRow
from tokenbook.localdays import LocalDays
from tokenbook.model import UNASSIGNED
from tokenbook.records import Rec
from tokenbook.store import LedgerSet
from tokenbook.tally import history_key
from tokenbook.tally import row_key


@dataclass(slots=True)
class Move:
    """Usage that changed ledger: how many responses and tokens, from where to where."""

    source: str
    target: str
    responses: int = 0
    tokens: int = 0

    def __str__(self) -> str:
        return (
            f"moved {self.responses:,} response(s), {self.tokens:,} tokens, "
            f"from {self.source} to {self.target}"
        )


Moves = dict[tuple[str, str], Move]
# Session → (project, branch, bets) of its ambiguous usage in `unassigned` (`standing`).
Standing = dict[str, tuple[str, str, tuple[str, ...]]]
Decide = Callable[[str, Rec | LedgerRow], str | None]


def _note(moves: Moves, source: str, target: str, responses: int, tokens: int) -> None:
    m = moves.setdefault((source, target), Move(source, target))
    m.responses += responses
    m.tokens += tokens


def place_new(ledgers: LedgerSet, new: list[Rec], attributor: Attributor) -> set[str]:
    """Put responses no ledger holds yet where attribution says; return the ledgers touched."""
    if not new:
        return set()
    days = LocalDays(ledgers.timezone)
    bets = _Bets(attributor, days)
    held = {history_key(rid[1]): rid[0] for rid in ledgers.legacy}
    places = contexts([*(r for _, r in ledgers.records.values()), *new])
    touched: set[str] = set()
    for rec in new:
        bet = held.get(history_key(row_key(rec, days))) if held else None
        bet = bet or bets(rec, places[rec.id])
        ledgers.place(rec, bet)
        touched.add(bet)
    ledgers.keep_places(places)  # the contexts of the records as they are now
    return touched


class _Bets:
    """`Attributor.bet_for` of records, asked once per session, local day and place (the same
    question gets the same answer; the first asking of a session reports its ambiguity)."""

    def __init__(self, attributor: Attributor, days: LocalDays) -> None:
        self.attributor, self.days = attributor, days
        self.known: dict[tuple[str, date, Place], str] = {}

    def __call__(self, rec: Rec, place: Place) -> str:
        key = (rec.ctx.session, self.days.day(rec.at), place)
        bet = self.known.get(key)
        if bet is None:
            bet = self.known[key] = self.attributor.bet_for(key[0], key[1], *place)
        return bet


def rule_decider(ledgers: LedgerSet, attributor: Attributor) -> Decide:
    """What the vault's rules say for a response or migrated row, as of now."""
    bets = _Bets(attributor, LocalDays(ledgers.timezone))
    places = ledgers.places()

    def decide(_: str, item: Rec | LedgerRow) -> str | None:
        if isinstance(item, Rec):
            return bets(item, places[item.id])
        return attributor.bet_for(item.session, item.date, item.project, item.branch)

    return decide


def standing(ledgers: LedgerSet, attributor: Attributor, sessions: set[str]) -> Standing:
    """What the next sync's claim on `unassigned` reports for these sessions if nothing of
    theirs changes: the first ambiguous place of their unassigned responses in the order the
    ledger cache keeps them (time, id), else of their migrated rows."""
    fresh = Attributor(attributor.vault)
    bets = _Bets(fresh, LocalDays(ledgers.timezone))
    recs = [r for n, r in ledgers.records.values() if n == UNASSIGNED and r.ctx.session in sessions]
    places = contexts(r for _, r in ledgers.records.values() if r.ctx.session in sessions)
    for rec in sorted(recs, key=lambda r: (r.at, r.id)):
        bets(rec, places[rec.id])
    for (name, _), row in sorted(ledgers.legacy.items()):
        if name == UNASSIGNED and row.session in sessions:
            fresh.bet_for(row.session, row.date, row.project, row.branch)
    return {s: (a.project, a.branch, a.bets) for s, a in fresh.ambiguous.items()}


def explicit_decider(attributor: Attributor) -> Decide:
    def decide(_: str, item: Rec | LedgerRow) -> str | None:
        session = item.ctx.session if isinstance(item, Rec) else item.session
        return attributor.explicit_bet(session)

    return decide


def claim_unassigned(ledgers: LedgerSet, attributor: Attributor) -> Moves:
    """Move what a rule (or a `sessions:` list) now claims out of `unassigned`."""
    decide = rule_decider(ledgers, attributor)
    return move(
        ledgers, lambda ledger, item: decide(ledger, item) if ledger == UNASSIGNED else None
    )


def move(ledgers: LedgerSet, decide: Decide, *, write: bool = True) -> Moves:
    """Move every response and migrated row whose decided ledger differs from its own (None:
    stays); with `write` False only say what would move."""
    moves: Moves = {}
    for rid, (ledger, rec) in list(ledgers.records.items()):
        target = decide(ledger, rec)
        if target is not None and target != ledger:
            _note(moves, ledger, target, 1, rec.tokens.total)
            if write:
                ledgers.records[rid] = (target, rec)
    for key, row in list(ledgers.legacy.items()):
        target = decide(key[0], row)
        if target is not None and target != key[0]:
            _note(moves, key[0], target, row.responses, row.tokens.total)
            if write:
                del ledgers.legacy[key]
                known = ledgers.legacy.get((target, key[1]))
                ledgers.legacy[(target, key[1])] = (
                    row if known is None else max(known, row, key=LedgerRow.rank)
                )
    return moves


def touched_by(moves: Moves) -> set[str]:
    return {name for pair in moves for name in pair}
