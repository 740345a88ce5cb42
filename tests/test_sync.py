"""Sync end to end: idempotence, continuation, attribution, merges, locks, refusal to write."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log


def sync(capsys: Any, vault: Path, logs: Path, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "sync", "--vault", vault, "--logs", logs, *extra)


def ledger(vault: Path, name: str) -> str:
    return (vault / "ledgers" / f"{name}.md").read_text()


def rows_of(vault: Path, name: str) -> list[str]:
    return [ln for ln in ledger(vault, name).split("\n") if ln.startswith("| 20")]


def records_of(vault: Path, name: str) -> list[str]:
    text = (vault / "ledgers" / f"{name}.tsv").read_text()
    return [ln for ln in text.split("\n") if ln.startswith(("r\t", "c\t"))]


def test_second_sync_changes_no_byte(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("msg_a", "r"), assistant("msg_b", "r2", branch="main")])
    assert sync(capsys, vault, logs)[0] == 0
    before = snapshot(vault)
    code, out, _ = sync(capsys, vault, logs)
    assert code == 0
    assert snapshot(vault) == before
    assert "0 new API response(s), 0 updated" in out
    assert "moved" not in out
    assert "ledgers written" not in out
    assert "rendered" not in out


def test_continuing_a_session_after_sync_never_double_counts(capsys, vault, logs):
    path = write_log(
        logs,
        "p/s.jsonl",
        [
            assistant("msg_a", "r1", output=5),
            assistant("msg_b", "r2", output=2, ts="2026-11-03T10:01:00Z"),
        ],
    )
    sync(capsys, vault, logs)
    # The session goes on: msg_b's final streamed line arrives, then a new response.
    write_log(
        logs,
        "p/s.jsonl",
        [
            *[json.loads(x) for x in path.read_text().splitlines()],
            assistant("msg_b", "r2", output=300, ts="2026-11-03T10:01:02Z"),
            assistant("msg_c", "r3", output=7, ts="2026-11-03T10:05:00Z"),
        ],
    )
    code, out, _ = sync(capsys, vault, logs)
    assert code == 0
    assert "1 new API response(s), 1 updated" in out
    t = report(capsys, vault, "daily")["totals"]
    assert (t["responses"], t["output_tokens"]) == (3, 312)
    assert len(rows_of(vault, "auth-login")) == 1


def test_unclaimed_session_goes_to_unassigned(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("msg_a", "r", branch="experiment/x", session="lonely")])
    sync(capsys, vault, logs)
    assert "| lonely |" in ledger(vault, "unassigned")
    assert not (vault / "ledgers/auth-login.md").exists()


def test_match_rules_by_branch_and_project_glob(capsys, vault, logs):
    write_log(
        logs,
        "p/s.jsonl",
        [
            assistant("m1", "r", session="s-auth", branch="feature/auth-sso"),
            assistant("m2", "r", session="s-bill", branch="fix/billing-cents"),
            assistant("m3", "r", session="s-data", branch="main", cwd="/srv/work/data_pipeline"),
        ],
    )
    sync(capsys, vault, logs)
    assert "| s-auth |" in ledger(vault, "auth-login")
    assert "| s-bill |" in ledger(vault, "billing-fix")
    assert "| s-data |" in ledger(vault, "data-pipeline")
    assert rows_of(vault, "unassigned") == []


def test_usage_outside_the_bets_cycle_is_unassigned(capsys, vault, logs):
    write_log(
        logs, "p/s.jsonl", [assistant("m1", "r", session="s-late", ts="2026-12-01T10:00:00Z")]
    )
    sync(capsys, vault, logs)
    assert "| s-late |" in ledger(vault, "unassigned")


def test_done_bet_claims_no_new_sessions(capsys, vault, logs):
    bet = vault / "bets/auth-login.md"
    bet.write_text(bet.read_text().replace("status: active", "status: done"))
    write_log(logs, "p/s.jsonl", [assistant("m1", "r", session="s-auth")])
    sync(capsys, vault, logs)
    assert "| s-auth |" in ledger(vault, "unassigned")


def test_ambiguous_match_is_reported_and_goes_to_unassigned(capsys, vault, logs):
    bet = vault / "bets/data-pipeline.md"
    bet.write_text(bet.read_text().replace('project: "*/data_pipeline"', 'branch: "feature/*"'))
    write_log(logs, "p/s.jsonl", [assistant("m1", "r", session="s-both")])
    code, _, err = sync(capsys, vault, logs)
    assert code == 0
    assert "ambiguous: session s-both" in err
    assert "matches bets auth-login, data-pipeline" in err
    assert "| s-both |" in ledger(vault, "unassigned")


def test_explicit_session_moves_rows_visibly_and_keeps_totals(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", "r", session="s-x", branch="main")])
    sync(capsys, vault, logs)
    before = report(capsys, vault, "daily")["totals"]
    bet = vault / "bets/billing-fix.md"
    bet.write_text(bet.read_text().replace("status: active", "status: active\nsessions: [s-x]"))
    code, out, _ = sync(capsys, vault, logs)
    assert code == 0
    assert "moved 1 response(s)" in out
    assert "| s-x |" in ledger(vault, "billing-fix")
    assert "| s-x |" not in ledger(vault, "unassigned")
    assert report(capsys, vault, "daily")["totals"] == before
    # The move survives a later sync, and the explicit bet also gets the session's new usage.
    write_log(
        logs,
        "p/s.jsonl",
        [assistant("m1", "r", session="s-x"), assistant("m2", "r", session="s-x")],
    )
    sync(capsys, vault, logs)
    assert "| s-x |" not in ledger(vault, "unassigned")
    assert report(capsys, vault, "daily", "--bet", "billing-fix")["totals"]["responses"] == 2


def test_deleted_logs_never_delete_ledger_rows(capsys, vault, logs):
    path = write_log(logs, "p/s.jsonl", [assistant("m1", "r"), assistant("m2", "r")])
    sync(capsys, vault, logs)
    before = snapshot(vault)
    path.unlink()
    sync(capsys, vault, logs)
    assert snapshot(vault) == before


def test_partially_deleted_history_keeps_the_larger_snapshot(capsys, vault, logs):
    """Claude Code deletes old files; a resumed copy holding part of the session stays."""
    a, b = assistant("m1", "r", session="old"), assistant("m2", "r", session="old")
    original = write_log(logs, "p/old.jsonl", [a, b])
    sync(capsys, vault, logs)
    before = snapshot(vault)
    original.unlink()
    write_log(logs, "p/new.jsonl", [a])
    sync(capsys, vault, logs)
    assert snapshot(vault) == before


def test_union_merged_ledger_is_read_without_double_counting(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", "r", output=5)])
    sync(capsys, vault, logs)
    small = records_of(vault, "auth-login")
    write_log(logs, "p/s.jsonl", [assistant("m1", "r", output=9), assistant("m2", "r", output=7)])
    sync(capsys, vault, logs)
    big = records_of(vault, "auth-login")
    assert small != big
    # What git's union merge leaves: both clones' versions of a response, in any order.
    path = vault / "ledgers/auth-login.tsv"
    path.write_text(path.read_text() + "\n".join(small) + "\n")
    t = report(capsys, vault, "daily")["totals"]
    assert (t["responses"], t["output_tokens"]) == (2, 16)
    code, _, _ = run(capsys, "render", "--check", "--vault", vault)
    assert code == 0  # the rendered files agree with the resolved rows
    path.unlink()
    (vault / "ledgers/auth-login.md").unlink()
    sync(capsys, vault, logs)  # rebuilt from logs: identical records
    assert records_of(vault, "auth-login") == big


def test_sync_canonicalises_a_merged_ledger(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", "r", output=5)])
    sync(capsys, vault, logs)
    path, summary = vault / "ledgers/auth-login.tsv", vault / "ledgers/auth-login.md"
    clean, clean_summary = path.read_bytes(), summary.read_bytes()
    path.write_bytes(clean + records_of(vault, "auth-login")[-1].encode() + b"\n")
    summary.write_bytes(clean_summary + rows_of(vault, "auth-login")[0].encode() + b"\n")
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 0  # a view, never read for figures: a warning until the next sync
    assert f"{summary}:1: warning: this summary does not match its records" in err
    sync(capsys, vault, logs)
    assert (path.read_bytes(), summary.read_bytes()) == (clean, clean_summary)


def test_sync_refuses_to_write_over_a_ledger_it_cannot_read(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", "r")])
    sync(capsys, vault, logs)
    path = vault / "ledgers/auth-login.tsv"
    lines = path.read_text().split("\n")
    number = next(i for i, ln in enumerate(lines, start=1) if ln.startswith("r\t"))
    lines[number - 1] += "\textra"
    path.write_text("\n".join(lines))
    write_log(logs, "p/t.jsonl", [assistant("m9", "r", session="other")])
    before = snapshot(vault)
    code, _, err = sync(capsys, vault, logs)
    assert code == 1
    assert f"{path}:{number}: record line has 12 fields, expected 11" in err
    assert "Traceback" not in err
    assert snapshot(vault) == before


def test_a_second_sync_gives_up_cleanly_while_the_vault_is_locked(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", "r")])
    with open(vault / ".tokenbook.lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        code, _, err = sync(capsys, vault, logs, "--wait", "0.3")
    assert code == 1
    assert "another tokenbook sync is running on this vault" in err
    assert not (vault / "ledgers").exists()


def test_written_files_get_normal_permissions(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", "r")])
    sync(capsys, vault, logs)
    umask = os.umask(0)
    os.umask(umask)
    for path in [vault / "cost-dashboard.md", vault / "ledgers/auth-login.md"]:
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600


def test_progress_is_reported_to_the_callback_and_drawn_only_on_a_terminal(
    capsys, vault, logs, monkeypatch
):
    from tokenbook.commands import sync as sync_command
    from tokenbook.sync import sync as sync_library

    write_log(logs, "p/a.jsonl", [assistant("msg_1", "r1")])
    write_log(logs, "p/b.jsonl", [assistant("msg_2", "r2")])
    total = sum(p.stat().st_size for p in (logs / "projects/p").iterdir())
    calls: list[tuple[int, int, int, int]] = []
    sync_library(vault, [logs], progress=lambda *a: calls.append(a))
    assert calls[-1] == (total, total, 2, 2)
    assert [c[2] for c in calls] == [1, 2]
    assert sync(capsys, vault, logs)[2] == ""  # stderr is no terminal here: no bar

    bar = sync_command.ProgressBar()
    monkeypatch.setattr(sync_command.ProgressBar, "MIN_BYTES", 0)
    bar(500_000_000, 1_000_000_000, 1271, 2543)
    bar(1_000_000_000, 1_000_000_000, 2543, 2543)
    bar.close()
    drawn = capsys.readouterr().err
    assert drawn == (
        "\rreading logs [###############---------------]  50% 500/1,000 MB, 1271/2543 files"
        "\rreading logs [##############################] 100% 1,000/1,000 MB, 2543/2543 files\n"
    )


def test_an_unwritable_cache_folder_never_fails_a_sync(capsys, vault, logs):
    (vault / ".tokenbook-cache").write_text("not a folder\n")
    write_log(logs, "p/s.jsonl", [assistant("m1", "r")])
    code, _, err = sync(capsys, vault, logs)
    assert code == 0, err
    assert "| sess-1 |" in ledger(vault, "auth-login")
    assert sync(capsys, vault, logs)[0] == 0


def test_a_second_quiet_sync_prints_nothing(capsys, vault, logs):
    """Problems are reported once, when first seen: a malformed line, an unpriced model."""
    write_log(
        logs,
        "p/s.jsonl",
        [assistant("m1", "r", model="claude-unknown-9"), "{not json", assistant("m2", "r")],
    )
    code, _, err = sync(capsys, vault, logs, "--quiet")
    assert code == 0
    assert "s.jsonl:2: not a complete JSON object" in err
    assert "unpriced: no price for claude-unknown-9" in err
    assert sync(capsys, vault, logs, "--quiet") == (0, "", "")
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 0
    assert "s.jsonl:2: not a complete JSON object" in err  # still listed on request


def test_a_vault_file_changed_during_a_sync_is_seen_by_the_next(capsys, vault, logs, monkeypatch):
    """The vault's fingerprint is taken before the vault is read, so an edit made while a sync
    runs makes the next sync read the vault again (it never takes the quick path over it)."""
    import tokenbook.sync as library

    write_log(logs, "p/s.jsonl", [assistant("m1", "r", branch="feature/search")])
    real = library.load_vault
    bet = vault / "bets" / "search.md"

    def edit_while_syncing(root):
        loaded = real(root)
        bet.write_text(
            '---\ncycle: "[[2026-11]]"\nappetite: 10%\nmatch:\n  - branch: "feature/search"\n---\n'
        )
        return loaded

    monkeypatch.setattr(library, "load_vault", edit_while_syncing)
    assert sync(capsys, vault, logs)[0] == 0
    monkeypatch.setattr(library, "load_vault", real)
    assert "search" not in (vault / "cost-dashboard.md").read_text()
    code, out, _ = sync(capsys, vault, logs)
    assert code == 0
    assert "from unassigned to search" in out
    assert run(capsys, "render", "--check", "--vault", vault)[0] == 0


def test_sync_warns_when_the_latest_usage_is_in_no_cycle(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", "r", ts="2026-12-05T10:00:00.000Z")])
    code, _, err = sync(capsys, vault, logs)
    assert code == 0
    assert "warning: " in err
    assert "2026-12-05" in err
    assert "tokenbook cycle next" in err or "cycle" in err
    assert sync(capsys, vault, logs, "--quiet") == (0, "", "")  # said once, not every quiet sync
