"""Usage no log records (`tokenbook log`) and sessions moved to a bet (`tokenbook assign`).

Both write through the same ledgers as sync, under the vault lock, and re-render:

- a logged entry becomes one ledger row whose session id is `manual-<hash>` of its fields, so
  logging the same entry twice (or on two clones that later merge) counts it once;
- assigning a session edits the bet files' `sessions:` lists surgically (every other byte of the
  files stays), then moves the session's rows like sync does, so the move shows in the diff and
  survives later syncs.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from tokenbook.docs import read_document
from tokenbook.errors import Problem
from tokenbook.errors import TokenbookError
from tokenbook.errors import VaultError
from tokenbook.events import Tokens
from tokenbook.fileio import vault_lock
from tokenbook.fileio import write_if_changed
from tokenbook.ledger import LedgerRow
from tokenbook.model import UNASSIGNED
from tokenbook.model import Vault
from tokenbook.render import render_all
from tokenbook.store import Placed
from tokenbook.store import load_ledgers
from tokenbook.store import write_ledgers
from tokenbook.vault import load_vault
from tokenbook.vault import require_vault

KINDS = ("manual", "scheduled")
UNKNOWN_MODEL = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    bet: str
    day: date
    input: int
    output: int = 0
    model: str = UNKNOWN_MODEL
    kind: str = "manual"
    note: str = ""

    @property
    def session(self) -> str:
        fields = [self.bet, self.day.isoformat(), self.model, self.kind, self.input, self.output]
        digest = hashlib.sha256(json.dumps([*fields, self.note]).encode()).hexdigest()
        return f"{self.kind}-{digest[:16]}"


def entry_row(entry: Entry, timezone: str) -> LedgerRow:
    """The entry as a ledger row: one response at local midnight of its day; the note is kept
    in the project column (manual usage has no working directory)."""
    at = datetime.combine(entry.day, time(0), ZoneInfo(timezone)).astimezone(UTC)
    return LedgerRow(
        date=entry.day,
        session=entry.session,
        model=entry.model,
        agent=entry.kind,
        speed="standard",
        geo="",
        prompt_over=0,
        responses=1,
        tokens=Tokens(input=entry.input, output=entry.output),
        web_search=0,
        web_fetch=0,
        first=at,
        last=at,
        project=entry.note,
        branch="",
    )


@dataclass(frozen=True, slots=True)
class Logged:
    session: str
    added: bool
    rendered: list[str]


def _known_bet(vault: Vault, bet: str, allow_unassigned: bool) -> None:
    ids = [b.id for b in vault.bets]
    if bet in ids or (allow_unassigned and bet == UNASSIGNED):
        return
    raise TokenbookError(f"unknown bet `{bet}`; known: {', '.join([*ids, UNASSIGNED])}")


def log_usage(root: Path, entry: Entry, *, lock_wait: float = 10.0) -> Logged:
    """Append the entry to its bet's ledger (once), then render."""
    if entry.kind not in KINDS:
        raise TokenbookError(f"--kind must be one of {', '.join(KINDS)}, got {entry.kind!r}")
    if entry.input < 0 or entry.output < 0 or entry.input + entry.output == 0:
        raise TokenbookError("--tokens must be a positive whole number of tokens")
    require_vault(root)
    with vault_lock(root, wait_seconds=lock_wait):
        vault = load_vault(root)
        _known_bet(vault, entry.bet, allow_unassigned=True)
        ledgers = load_ledgers(vault)
        row = entry_row(entry, vault.settings.timezone)
        added = row.key not in ledgers.rows
        if added:
            ledgers.rows[row.key] = Placed(entry.bet, row)
            write_ledgers(ledgers, {entry.bet})
        return Logged(entry.session, added, render_all(vault, ledgers))


# ------------------------------------------------------------------------------------ assign

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9._-]*|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")


def _yaml_scalar(text: str) -> str:
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _sessions_of(meta: dict[str, object]) -> list[str]:
    value = meta.get("sessions")
    return [str(s) for s in value] if isinstance(value, list) else []


def edit_sessions(path: Path, session: str, *, add: bool) -> str | None:
    """The bet file's text with `session` added to (or removed from) its `sessions:` list,
    every other line byte-identical; None when nothing changes."""
    doc = read_document(path, str(path))
    if isinstance(doc, Problem):
        raise VaultError([doc])
    listed = _sessions_of(doc.meta)
    if (session in listed) == add:
        return None
    raw = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"  # keep the file's own line endings
    lines = raw.split(newline)
    if "sessions" not in doc.meta:
        lines.insert(doc.body_line - 1, f"sessions: [{_yaml_scalar(session)}]")
        return newline.join(lines)
    key_line = doc.line("sessions") - 1
    head = lines[key_line].split("#", 1)[0].rstrip()
    after = head.split(":", 1)[1].strip()
    new = [s for s in listed if s != session] + ([session] if add else [])
    if (after.startswith("[") and after.endswith("]")) or after in ("", "[]", "null", "~"):
        if after == "" and listed:  # a block list: one `- item` line per session
            return newline.join(_edit_block(lines, doc.lines, listed, session, add=add))
        if new:
            flow = ", ".join(_yaml_scalar(s) for s in new)
            lines[key_line] = f"sessions: [{flow}]"
        else:
            del lines[key_line]
        return newline.join(lines)
    raise TokenbookError(
        f"{path}:{key_line + 1}: cannot edit this `sessions:` value automatically; write it as "
        f"a list (`sessions: [{_yaml_scalar(session)}]`) and run the command again"
    )


def _edit_block(
    lines: list[str],
    located: dict[tuple[str | int, ...], int],
    listed: list[str],
    session: str,
    *,
    add: bool,
) -> list[str]:
    item_lines = [located[("sessions", i)] - 1 for i in range(len(listed))]
    if add:
        last = lines[item_lines[-1]]
        indent = last[: len(last) - len(last.lstrip())]
        lines.insert(item_lines[-1] + 1, f"{indent}- {_yaml_scalar(session)}")
    else:
        index = listed.index(session)
        del lines[item_lines[index]]
        if len(listed) == 1:
            del lines[located[("sessions",)] - 1]
    return lines


@dataclass(frozen=True, slots=True)
class Assigned:
    bet: str
    edited: list[str]
    moved_rows: int
    session_rows: int
    ledgers_written: list[str]
    rendered: list[str]


def assign_session(root: Path, session: str, bet: str, *, lock_wait: float = 10.0) -> Assigned:
    """List `session` under `bet`'s `sessions:` (and under no other bet), then move its rows."""
    require_vault(root)
    with vault_lock(root, wait_seconds=lock_wait):
        vault = load_vault(root)
        _known_bet(vault, bet, allow_unassigned=False)
        edits = {}
        for b in vault.bets:
            path = Path(b.path)
            text = edit_sessions(path, session, add=b.id == bet)
            if text is not None:
                edits[path] = text
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
        touched: set[str] = set()
        moved = rows = 0
        for key, placed in list(ledgers.rows.items()):
            if placed.row.session != session:
                continue
            rows += 1
            if placed.ledger != bet:
                ledgers.rows[key] = Placed(bet, placed.row)
                touched |= {bet, placed.ledger}
                moved += 1
        written = write_ledgers(ledgers, touched)
        return Assigned(
            bet,
            sorted(str(p.relative_to(root)) for p in edits),
            moved,
            rows,
            written,
            render_all(vault, ledgers),
        )
