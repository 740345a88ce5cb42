"""A sync that changes a few sessions (`delta.py`) gives what the sync of every record gives and
what a sync from scratch gives: every ledger byte, every rendered file, the ledger cache's
content, what the next sync will report as ambiguous, and (against every record) its messages.

Each step is synced three ways: the vault itself (the part of the sessions the step changed,
when the last sync's state allows), a copy (its ledger cache does not match the copy's files:
every record takes part) and a copy without its caches (every log is read again)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _ledger_state
from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import user
from tests.helpers import write_log
from tests.synth import generate
from tests.turn_fixtures import write_project
from tokenbook import delta
from tokenbook import ledgercache
from tokenbook import store
from tokenbook.cache import CACHE_DIR
from tokenbook.syncindex import load_index

AUTH = "feature/auth-login"  # branches the example vault's bets claim
BILLING = "fix/billing-rounding"


class Steps:
    def __init__(self, capsys: Any, vault: Path, logs: Path, tmp: Path) -> None:
        self.capsys, self.vault, self.logs, self.tmp = capsys, vault, logs, tmp
        self.n = 0

    def sync(self, vault: Path, quiet: bool = False) -> tuple[str, str]:
        args = ["sync", "--vault", vault, "--logs", self.logs, *(["--quiet"] if quiet else [])]
        code, out, err = run(self.capsys, *args)
        assert code == 0, err
        return out, err

    def check(self, monkeypatch: pytest.MonkeyPatch, *, part: bool) -> tuple[str, str]:
        """Sync the three ways; `part`: whether the vault's sync takes a part."""
        self.n += 1
        full, scratch = self.tmp / f"full-{self.n}", self.tmp / f"scratch-{self.n}"
        shutil.copytree(self.vault, full)
        shutil.copytree(self.vault, scratch, ignore=shutil.ignore_patterns(CACHE_DIR))
        opened: list[set[str]] = []
        real = delta.open_part

        def spy(*args: Any) -> delta.Delta:
            found = real(*args)
            opened.append(found.sessions)
            return found

        with monkeypatch.context() as m:
            m.setattr(delta, "open_part", spy)
            said = self.sync(self.vault)
        assert bool(opened) == part, opened
        assert self.sync(full) == said  # the same messages as with every record
        self.sync(scratch)
        mine = _files(self.vault)
        assert mine == _files(full)
        assert mine == _files(scratch)
        state = _cached(self.vault)
        assert state == _cached(full)
        assert state == _cached(scratch)
        assert _standing(self.vault) == _standing(full) == _standing(scratch)
        return said


def _files(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(root).items() if k != "limits.md"}


def _cached(root: Path) -> tuple[object, ...]:
    """The ledger cache's content (it must be there, written by the sync)."""
    from tokenbook.vault import load_vault

    vault = load_vault(root)
    explicit = {s: b.id for b in vault.bets for s in b.sessions}
    key = ledgercache.key(root, vault.settings.timezone, explicit)
    found = ledgercache.load(root, key)
    assert found is not None
    assert found.written
    return _ledger_state(store._from_cache(root, vault.settings.timezone, found))


def _standing(root: Path) -> object:
    index = load_index(root)
    assert index is not None
    return index.standing


def _append(path: Path, *lines: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(json.dumps(ln) + "\n" for ln in lines))


def test_a_sequence_of_small_syncs_equals_every_record_and_scratch(
    capsys, vault, logs, tmp_path, monkeypatch
):
    s = Steps(capsys, vault, logs, tmp_path)
    a = write_log(logs, "p/a.jsonl", [user("hi", session="a"), assistant("m1", "r1", session="a")])
    write_log(logs, "p/b.jsonl", [assistant("m2", "r2", session="b", branch="misc")])
    s.check(monkeypatch, part=False)  # the first sync: every record
    # A growing session: a new response and the final streamed line of an earlier one.
    _append(
        a,
        assistant("m1", "r1", session="a", output=900, ts="2026-11-03T10:00:01.000Z"),
        assistant("m3", "r3", session="a", ts="2026-11-03T11:00:00.000Z"),
    )
    assert "1 new API response(s), 1 updated" in s.check(monkeypatch, part=True)[0]
    # A new session with subagents, commands and skills (their labels come from its transcript).
    write_project(logs)
    s.check(monkeypatch, part=True)
    # A replayed message: a sidechain response in one session (counted), then its message
    # answered on the main thread of another session in another ledger: the first no longer
    # counts, and its ledger's rows change although none of its records did.
    side = assistant("msg_replayed", "r9a", session="c", branch=AUTH, sidechain=True, agent_id="x1")
    write_log(logs, "p/c.jsonl", [assistant("m8", "r8", session="c", branch=AUTH)])
    write_log(logs, "p/c/subagents/agent-x1.jsonl", [side])
    s.check(monkeypatch, part=True)
    main = assistant(
        "msg_replayed", "r9b", session="d", branch=BILLING, ts="2026-11-03T10:30:00.000Z"
    )
    write_log(logs, "p/d.jsonl", [main])
    s.check(monkeypatch, part=True)
    # A subagent's type found after its responses (the meta file is written later).
    (logs / "projects/p/c/subagents/agent-x1.meta.json").write_text('{"agentType": "Explore"}')
    s.check(monkeypatch, part=True)


def test_ambiguous_usage_is_reported_the_same_while_other_sessions_change(
    capsys, vault, logs, tmp_path, monkeypatch
):
    s = Steps(capsys, vault, logs, tmp_path)
    both = "/home/dev/café-ui/data_pipeline"  # two bets' rules match it
    write_log(
        logs,
        "p/e.jsonl",
        [
            assistant("m1", "r1", session="e", cwd=both, branch="x"),
            assistant("m2", "r2", session="e", cwd=both, branch="y", ts="2026-11-03T12:00:00Z"),
        ],
    )
    first = s.check(monkeypatch, part=False)
    assert "ambiguous: session e" in first[1]
    # Another session: e is not touched, and is still reported (as a sync of every record does).
    write_log(logs, "p/f.jsonl", [assistant("m3", "r3", session="f", branch=AUTH)])
    assert "ambiguous: session e" in s.check(monkeypatch, part=True)[1]
    # More of e, earlier than what the ledgers hold (a late line): its report is asked anew.
    _append(
        logs / "projects/p/e.jsonl",
        assistant("m0", "r0", session="e", cwd=both, branch="z", ts="2026-11-03T09:00:00Z"),
    )
    s.check(monkeypatch, part=True)


def test_unassigned_usage_claimed_by_a_new_bet_and_a_deleted_cache(
    capsys, vault, logs, tmp_path, monkeypatch
):
    s = Steps(capsys, vault, logs, tmp_path)
    write_log(logs, "p/b.jsonl", [assistant("m1", "r1", session="b", branch="spike/x")])
    s.check(monkeypatch, part=False)
    bet = (vault / "bets/auth-login.md").read_text()
    bet = bet.replace('branch: "feature/auth-*"', 'branch: "spike/*"')
    (vault / "bets/spike.md").write_text(bet.replace("Passwordless login", "Spike"))
    out, _ = s.check(monkeypatch, part=False)  # an edited vault: every record
    assert "from unassigned to spike" in out
    write_log(logs, "p/g.jsonl", [assistant("m2", "r2", session="g", branch="spike/y")])
    s.check(monkeypatch, part=True)
    shutil.rmtree(vault / CACHE_DIR)
    write_log(logs, "p/h.jsonl", [assistant("m3", "r3", session="h", branch=AUTH)])
    s.check(monkeypatch, part=False)
    write_log(logs, "p/i.jsonl", [assistant("m4", "r4", session="i", branch=AUTH)])
    s.check(monkeypatch, part=True)
    # A response in two ledgers (two clones placed it differently, a union merge kept both):
    # every record again, once; then parts again.
    record = next(
        ln for ln in (vault / "ledgers/spike.tsv").read_text().split("\n") if ln[:2] == "r\t"
    )
    context = next(
        ln for ln in (vault / "ledgers/spike.tsv").read_text().split("\n") if ln[:2] == "c\t"
    )
    with open(vault / "ledgers/auth-login.tsv", "a", encoding="utf-8") as f:
        f.write(f"{context}\n{record}\n")
    write_log(logs, "p/j.jsonl", [assistant("m5", "r5", session="j", branch=AUTH)])
    s.check(monkeypatch, part=False)
    write_log(logs, "p/k.jsonl", [assistant("m6", "r6", session="k", branch="spike/z")])
    s.check(monkeypatch, part=True)


def test_a_synthetic_corpus_synced_in_steps(capsys, vault, tmp_path, monkeypatch):
    """Half of every log, then a few sessions at a time grow to their end (a file cut mid-line
    included), then new sessions appear."""
    full = tmp_path / "corpus"
    generate(full, seed=21, sessions=30, max_payload=100)
    logs = tmp_path / "logs"
    s = Steps(capsys, vault, logs, tmp_path)
    files = sorted(p for p in full.rglob("*") if p.is_file())
    logged = [p for p in files if p.suffix == ".jsonl"]
    late = set(logged[-3:])  # sessions that appear only later

    def grow(src: Path, share: float) -> None:
        dest = logs / src.relative_to(full)
        dest.parent.mkdir(parents=True, exist_ok=True)
        data = src.read_bytes()
        have = dest.stat().st_size if dest.exists() else 0
        with open(dest, "ab") as f:
            f.write(data[have : max(have, int(len(data) * share))])

    for src in files:
        if src.suffix != ".jsonl":
            (logs / src.relative_to(full)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, logs / src.relative_to(full))
        elif src not in late:
            grow(src, 0.5)
    s.check(monkeypatch, part=False)
    for step in range(4):
        for src in [p for p in logged if p not in late][step::7][:3]:
            grow(src, 1.0)
        s.check(monkeypatch, part=True)
    for src in sorted(late):
        grow(src, 1.0)
    s.check(monkeypatch, part=True)
