from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests import reads_reference
from tests.helpers import fresh_vault
from tokenbook import actions
from tokenbook import blockcut
from tokenbook import dash_extras
from tokenbook import ledgercache
from tokenbook import logview
from tokenbook import outcomes
from tokenbook import plans
from tokenbook import store
from tokenbook.attribution import Attributor
from tokenbook.attribution import contexts
from tokenbook.blocks import Cut
from tokenbook.events import UsageEvent
from tokenbook.logcolumns import Responses
from tokenbook.model import Vault
from tokenbook.money import Money
from tokenbook.outcomes import Usage
from tokenbook.reports import Filter
from tokenbook.sources import claude_code
from tokenbook.sources import claude_read
from tokenbook.sources.claude_read import Job
from tokenbook.sources.claude_read import Progress

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A copy of the example vault with no usage yet and no `logs:` setting."""
    return fresh_vault(tmp_path / "vault")


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """An empty Claude config dir (tests write `projects/...jsonl` into it)."""
    root = tmp_path / "claude"
    (root / "projects").mkdir(parents=True)
    return root


@pytest.fixture(autouse=True)
def _no_real_claude_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's own ~/.claude or ~/.config."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)  # trusted commands live under HOME
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("TOKENBOOK_VAULT", raising=False)


@pytest.fixture(autouse=True)
def both_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every log any test syncs is read by the typed decoder and by the checked reader alone;
    both must find the same (`test_fast_reader.py` has the line-by-line comparisons)."""
    real = claude_read.read_jobs

    def read_twice(
        jobs: Sequence[Job],
        sizes: dict[str, int],
        progress: Progress | None = None,
        *,
        fast: bool | None = None,
        cores: int | None = None,
    ) -> claude_read.Scanned:
        slow = real(jobs, sizes, fast=False, cores=1)
        quick = real(jobs, sizes, progress, fast=True, cores=cores)
        assert _seen(quick) == _seen(slow)
        return quick

    monkeypatch.setattr(claude_read, "read_jobs", read_twice)


def _seen(s: claude_read.Scanned) -> tuple[object, ...]:
    files = [(f.path, f.offset, f.lines, f.size, f.skipped, f.tail, f.mark) for f in s.files]
    return files, s.responses, s.limits


@pytest.fixture(autouse=True)
def cached_equals_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every time a test reads ledgers from the cache, reading the files gives the same."""
    real_key, real_load = ledgercache.key, ledgercache.load
    asked: dict[bytes, tuple[str, Mapping[str, str]]] = {}

    def key(root: Path, timezone: str, explicit: Mapping[str, str]) -> bytes | None:
        found = real_key(root, timezone, explicit)
        if found is not None:
            asked[found] = (timezone, dict(explicit))
        return found

    def load(root: Path, found: bytes | None) -> ledgercache.Cached | None:
        got = real_load(root, found)
        if got is not None and found is not None:
            timezone, explicit = asked[found]
            cached = store._from_cache(root, timezone, got)
            files = store._parse_all(root, timezone, explicit)
            assert _ledger_state(cached) == _ledger_state(files)
        return got

    monkeypatch.setattr(ledgercache, "key", key)
    monkeypatch.setattr(ledgercache, "load", load)


def _ledger_state(ledgers: store.LedgerSet) -> tuple[object, ...]:
    files = {name: f.migrating for name, f in ledgers.files.items()}
    return (
        list(files.items()),
        list(ledgers.records.items()),
        ledgers.legacy,
        list(ledgers.rows.items()),
        ledgers.in_two,
        ledgers.merged,
        ledgers.dropped,
        ledgers.derived,
    )


@pytest.fixture(autouse=True)
def held_equals_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every time `status` or `report blocks` takes the logs' responses from the ledgers and the
    unsynced bytes, reading every log gives the same responses."""
    real = logview.log_responses

    def both(
        root: Path, dirs: Sequence[Path], ledgers: store.LedgerSet, since: datetime | None = None
    ) -> Responses:
        got = real(root, dirs, ledgers, since)
        every = claude_code.collect(dirs).events
        want = [e for e in every if since is None or e.at >= since]
        assert _events(reads_reference.events_of(got)) == _events(want)
        return got

    monkeypatch.setattr(logview, "log_responses", both)


@pytest.fixture(autouse=True)
def columns_equal_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every block cut, plan window and ledger span made from columns is what an object per
    response makes (`tests/reads_reference.py`, `outcomes.bet_usage`)."""
    real_cut, real_window, real_usages = blockcut.cut, plans._from_responses, outcomes.ledger_usages

    def cut(r: Responses, ledgers: store.LedgerSet, attributor: Attributor) -> Cut:
        got = real_cut(r, ledgers, attributor)
        want = reads_reference.cut_of(r, ledgers, attributor)
        assert reads_reference.canonical(got) == reads_reference.canonical(want)
        return got

    def window(vault: Vault, r: Responses, start: datetime, now: datetime) -> tuple[int, Money]:
        got = real_window(vault, r, start, now)
        assert got == reads_reference.window_usage(vault, r, start, now)
        return got

    def usages(ledgers: store.LedgerSet, keep: Filter | None = None) -> Callable[[str], Usage]:
        got = real_usages(ledgers, keep)
        index = outcomes.usage_index(ledgers, Filter() if keep is None else keep)  # from records
        for name in {*ledgers.files, *(p.ledger for p in ledgers.rows.values())}:
            assert got(name) == outcomes.bet_usage(ledgers, name, keep, index)
        return got

    monkeypatch.setattr(blockcut, "cut", cut)
    monkeypatch.setattr(plans, "_from_responses", window)
    monkeypatch.setattr(outcomes, "ledger_usages", usages)


def _events(events: list[UsageEvent]) -> list[tuple[object, ...]]:
    """The events' facts (their keys are log keys or record ids; times are kept to the ms)."""
    return sorted(
        (
            *(e.session, e.at.replace(microsecond=e.at.microsecond // 1000 * 1000), e.model),
            *(e.tokens, e.project, e.branch, e.agent, e.speed, e.geo, e.web_search, e.web_fetch),
        )
        for e in events
    )


@pytest.fixture(autouse=True)
def derived_equals_records(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every time the dashboard takes the top commands and skills, or where a bet's usage
    happened, from the sums the tally keeps per session (`derived.py`), the records give the
    same (`actions.labelled`, every response's place)."""
    real_top, real_index = dash_extras.top_labels, outcomes.usage_index

    def top(ledgers: store.LedgerSet, book: Any, kind: str, cycle: Any) -> Any:
        got = real_top(ledgers, book, kind, cycle)
        placed = [
            (item.label, item.placed)
            for item in actions.labelled(ledgers, kind)
            if cycle is None or cycle.contains(item.placed.row.date)
        ]
        assert got == dash_extras.top_of(placed, book)
        return got

    def index(ledgers: store.LedgerSet, keep: Any = None) -> Any:
        got = real_index(ledgers, keep)
        if keep is None:
            where = contexts(r for _, r in ledgers.records.values())
            every: Any = {name: ([], []) for name in got}
            for placed in ledgers.rows.values():
                every.setdefault(placed.ledger, ([], []))[0].append(placed)
            for rid, (ledger, rec) in ledgers.records.items():
                every.setdefault(ledger, ([], []))[1].append((where[rid], rec.at))
            for name in set(got) | set(every):
                fast = outcomes.bet_usage(ledgers, name, None, got)
                assert fast == outcomes.bet_usage(ledgers, name, None, every)
        return got

    monkeypatch.setattr(dash_extras, "top_labels", top)
    monkeypatch.setattr(outcomes, "usage_index", index)
