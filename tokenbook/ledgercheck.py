"""What `tokenbook check` says about the ledgers beyond "they parse": double counts, stale files.

- error: a migrated format-1 row stands beside records of the same session and day under another
  row key (format 1 could leave a response in its old row when a late streamed line moved it):
  probably counted twice. Fix: `tokenbook sync --rebuild`.
- warning: a markdown ledger that is not what its records say (a merge, a hand edit, a sync
  killed between writing the two files): a view, never read for figures. Fix: sync.
- warning: a response in two ledgers (clones attributed it differently): it counts once, in the
  ledger the documented rule picks; sync settles the files.
- note: format-1 ledgers the next sync migrates.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from zoneinfo import ZoneInfo

from tokenbook.errors import Problem
from tokenbook.store import LEDGER_DIR
from tokenbook.store import LedgerSet
from tokenbook.summary import format_summary
from tokenbook.tally import counted
from tokenbook.tally import history_key
from tokenbook.tally import row_key


@dataclass(slots=True)
class LedgerFindings:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_ledgers(ledgers: LedgerSet) -> LedgerFindings:
    out = LedgerFindings()
    folder = ledgers.root / LEDGER_DIR
    by_ledger = ledgers.by_ledger()
    for name, files in sorted(ledgers.files.items()):
        if files.migrating:
            out.notes.append(f"{folder / name}.md is ledger format 1; the next sync migrates it")
            continue
        summary = files.summary
        want = format_summary(name, ledgers.timezone, by_ledger.get(name, []))
        if summary is None or summary.text != want:
            out.warnings.append(Problem(f"{folder / name}.md", 1, _STALE))
    out.errors += _suspect_history(ledgers)
    if ledgers.in_two:
        example, names = sorted(ledgers.in_two.items())[0]
        out.warnings.append(
            Problem(
                str(folder),
                0,
                f"{len(ledgers.in_two)} response(s) are in two ledgers (e.g. record {example} in "
                f"{', '.join(names)}): clones attributed them differently; each counts once, in "
                "the bet a `sessions:` list names, else a bet before `unassigned`, else the first "
                "by name. `tokenbook sync` settles the files",
            )
        )
    return out


_STALE = (
    "this summary does not match its records (a merge or a hand edit left it stale); run "
    "`tokenbook sync` to rewrite it from `<bet>.tsv`"
)


def _suspect_history(ledgers: LedgerSet) -> list[Problem]:
    tz = ZoneInfo(ledgers.timezone)
    standing = {history_key(key) for _, key in ledgers.legacy}
    days: dict[tuple[str, date], int] = {}
    for rec in counted(r for _, r in ledgers.records.values()):
        key = row_key(rec, tz)
        if history_key(key) not in standing:
            day = (rec.ctx.session, date.fromisoformat(key[0]))
            days[day] = days.get(day, 0) + 1
    problems = []
    for (name, _), row in sorted(ledgers.legacy.items()):
        held = days.get((row.session, row.date), 0)
        if held:
            problems.append(
                Problem(
                    f"{ledgers.root / LEDGER_DIR / name}.tsv",
                    0,
                    f"migrated row {row.date} {row.session} {row.model} {row.agent} "
                    f"({row.responses} responses) stands beside {held} record(s) of the same "
                    "session and day under another row: probably counted twice (format 1 could "
                    "leave a response in its old row); run `tokenbook sync --rebuild`",
                )
            )
    return problems
