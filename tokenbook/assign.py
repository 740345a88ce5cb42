"""`tokenbook assign`: count a session toward a bet, visibly and for good.

The session may be given as reports print it: a unique prefix (`03eb5929…`). An unknown,
ambiguous or empty id is refused before anything is written. The bet files' `sessions:` lists
are edited surgically (the move shows in the diff and survives later syncs), then the session's
responses move to the bet's ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tokenbook.alerts import Alert
from tokenbook.crossings import crossed_by_write
from tokenbook.crossings import known_before
from tokenbook.errors import TokenbookError
from tokenbook.errors import VaultError
from tokenbook.fileio import vault_lock
from tokenbook.fileio import write_if_changed
from tokenbook.ledgerwrite import write_ledgers
from tokenbook.manual import known_bet
from tokenbook.placement import Moves
from tokenbook.placement import move
from tokenbook.placement import touched_by
from tokenbook.records import Rec
from tokenbook.render import render_all
from tokenbook.sessions_edit import edit_sessions
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault
from tokenbook.vault import require_vault

SHOW_MATCHES = 5


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What a reader needs to recognise a session before it moves."""

    session: str
    first: date | None
    last: date | None
    projects: tuple[str, ...]
    ledgers: tuple[str, ...]
    responses: int
    tokens: int

    def __str__(self) -> str:
        when = f"{self.first}" if self.first == self.last else f"{self.first} to {self.last}"
        where = ", ".join(self.projects) or "-"
        return (
            f"session {self.session}: {when}, project {where}, {self.responses:,} response(s), "
            f"{self.tokens:,} tokens, now in {', '.join(self.ledgers) or 'no ledger'}"
        )


@dataclass(frozen=True, slots=True)
class Assigned:
    bet: str
    info: SessionInfo
    edited: list[str]
    moves: Moves
    ledgers_written: list[str]
    rendered: list[str]
    alerts: list[Alert]

    @property
    def moved_responses(self) -> int:
        return sum(m.responses for m in self.moves.values())


def session_info(ledgers: LedgerSet, session: str) -> SessionInfo:
    rows = [p for p in ledgers.rows.values() if p.row.session == session]
    days = sorted(p.row.date for p in rows)
    return SessionInfo(
        session=session,
        first=days[0] if days else None,
        last=days[-1] if days else None,
        projects=tuple(sorted({p.row.project for p in rows if p.row.project})),
        ledgers=tuple(sorted({p.ledger for p in rows})),
        responses=sum(p.row.responses for p in rows),
        tokens=sum(p.row.tokens.total for p in rows),
    )


def resolve_session(ledgers: LedgerSet, given: str) -> str:
    """The one session id `given` names: itself, or a unique prefix (a trailing `…` allowed)."""
    text = given.strip().rstrip("…").rstrip(".")
    if not text:
        raise TokenbookError(
            "the session id is empty; give one as `tokenbook report session` shows"
        )
    sessions = {r.ctx.session for _, r in ledgers.records.values()}
    sessions |= {rid[1][1] for rid in ledgers.legacy}
    if text in sessions:
        return text
    found = sorted(s for s in sessions if s.startswith(text))
    if len(found) == 1:
        return found[0]
    if not found:
        raise TokenbookError(
            f"no session {given!r} in the ledgers; `tokenbook report session` lists them "
            "(run `tokenbook sync` first if the session is new)"
        )
    shown = ", ".join(found[:SHOW_MATCHES]) + (" ..." if len(found) > SHOW_MATCHES else "")
    raise TokenbookError(f"{given!r} names {len(found)} sessions ({shown}); give more of the id")


def preview(root: Path, session: str) -> SessionInfo:
    """The session `session` names, as it stands, without writing anything."""
    require_vault(root)
    vault = load_vault(root)
    ledgers = load_ledgers(vault)
    return session_info(ledgers, resolve_session(ledgers, session))


def assign_session(root: Path, session: str, bet: str, *, lock_wait: float = 10.0) -> Assigned:
    """List the session under `bet`'s `sessions:` (and under no other bet), then move its
    responses there."""
    require_vault(root)
    with vault_lock(root, wait_seconds=lock_wait):
        vault = load_vault(root)
        known_bet(vault, bet, allow_unassigned=False)
        ledgers = load_ledgers(vault)
        session = resolve_session(ledgers, session)
        info = session_info(ledgers, session)
        edits = {}
        for b in vault.bets:
            text = edit_sessions(Path(b.path), session, add=b.id == bet)
            if text is not None:
                edits[Path(b.path)] = text
        originals = {p: p.read_bytes().decode("utf-8") for p in edits}
        for path, text in edits.items():
            write_if_changed(path, text)
        try:
            vault = load_vault(root)
        except VaultError:
            for path, text in originals.items():
                write_if_changed(path, text)
            raise
        ledgers = load_ledgers(vault, {session: bet})
        known = known_before(vault, load_ledgers(vault))

        def to_bet(_: str, item: object) -> str | None:
            mine = item.ctx.session if isinstance(item, Rec) else getattr(item, "session", None)
            return bet if mine == session else None

        moves = move(ledgers, to_bet)
        ledgers.retally()
        written = write_ledgers(ledgers, touched_by(moves))
        edited = sorted(str(p.relative_to(root)) for p in edits)
        alerts = crossed_by_write(vault, known, ledgers)
        return Assigned(bet, info, edited, moves, written, render_all(vault, ledgers), alerts)
