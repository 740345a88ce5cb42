"""The command line itself: help, defaults, clean errors, report tables and filters."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log
from tokenbook.cli import _parser

REPO = Path(__file__).resolve().parent.parent
NO_VAULT = "no vault here; create one with `tokenbook init`"
# What each subcommand must at least offer (the parser may grow; every option is checked below).
OPTIONS = {
    "init": ["dir"],
    "sync": ["--vault", "--logs", "--no-render", "--wait", "--quiet"],
    "render": ["--vault", "--check", "--as-of"],
    "check": ["--vault"],
    "report": [
        *("daily", "weekly", "monthly", "session", "bet", "model", "project", "blocks"),
        *("--vault", "--json", "--since", "--until", "--bet", "--project", "--breakdown"),
        *("--logs", "--now"),
    ],
}


def subcommands() -> dict[str, argparse.ArgumentParser]:
    (sub,) = (a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def help_text(capsys: Any, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        run(capsys, *args, "--help")
    assert exit_.value.code == 0
    out = capsys.readouterr()
    assert out.err == ""
    return out.out


# ---------------------------------------------------------------------------------------- help


def test_every_known_subcommand_exists():
    assert set(OPTIONS) <= set(subcommands())


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_subcommand_help_exits_0_and_mentions_every_option(capsys, command):
    text = help_text(capsys, command)
    assert text.startswith(f"usage: tokenbook {command}")
    parser = subcommands()[command]
    options = [o for a in parser._actions for o in a.option_strings if o not in ("-h", "--help")]
    positionals = [
        c for a in parser._actions if not a.option_strings for c in (a.choices or [a.dest])
    ]
    for name in {*options, *positionals, *OPTIONS.get(command, [])}:
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), f"{command}: {name}"
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            assert action.help.split()[0] in text  # every argument is explained


def test_top_level_help_lists_every_subcommand(capsys):
    text = help_text(capsys)
    for command in subcommands():
        assert re.search(rf"^\s+{command}\s", text, re.M), command


def test_every_subcommand_is_in_the_readme():
    """In the README or the user docs under docs/ (where the README links)."""
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    missing = [c for c in subcommands() if f"tokenbook {c}" not in text]
    assert missing == []


# ------------------------------------------------------------------------------ vault location


def test_vault_defaults_to_env_then_dot_vault(capsys, vault, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the fixture vault is ./vault
    code, out, err = run(capsys, "check")
    assert (code, "error" in err) == (0, False)  # the example's over-committed cycle only warns
    assert out.startswith("vault: ok: 1 cycle(s), 5 bet(s)")

    other = tmp_path / "other"
    assert run(capsys, "init", other)[0] == 0
    monkeypatch.setenv("TOKENBOOK_VAULT", str(other))
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert out.startswith(f"{other}: ok: 1 cycle(s), 2 bet(s)")
    code, out, _ = run(capsys, "render")
    assert code == 0
    assert "cost-dashboard.md" not in out  # init rendered it already: nothing changes
    assert not (vault / "cost-dashboard.md").exists()

    code, out, _ = run(capsys, "check", "--vault", "vault")  # the flag beats the variable
    assert out.startswith("vault: ok: 1 cycle(s), 5 bet(s)")

    monkeypatch.setenv("TOKENBOOK_VAULT", "")  # empty means unset
    assert run(capsys, "check")[1].startswith("vault: ok:")


def test_default_vault_missing_is_a_clean_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "check")
    assert (code, out) == (1, "")
    assert err == f"vault:0: {NO_VAULT}\n"


MISSING_VAULT_COMMANDS = [
    ["check"],
    ["render"],
    ["render", "--check"],
    ["report", "daily"],
    ["report", "session", "--json"],
    ["sync"],
    pytest.param(["sync", "--logs", "LOGS"], id="sync-logs"),
]


@pytest.mark.parametrize("args", MISSING_VAULT_COMMANDS)
def test_missing_vault_is_one_located_line_and_exit_1(capsys, tmp_path, logs, args):
    missing = tmp_path / "nowhere"
    args = [str(logs) if a == "LOGS" else a for a in args]
    code, out, err = run(capsys, *args, "--vault", missing)
    assert (code, out) == (1, "")
    assert err == f"{missing}:0: {NO_VAULT}\n"
    assert not missing.exists()


# -------------------------------------------------------------------------------------- init


def test_init_into_an_existing_vault_fails_cleanly(capsys, tmp_path):
    root = tmp_path / "v"
    assert run(capsys, "init", root)[0] == 0
    (root / "bets/first-feature.md").write_text("edited by hand\n")
    before = snapshot(root)
    code, out, err = run(capsys, "init", root)
    assert (code, out) == (1, "")
    assert err.startswith(str(root))
    assert "already a tokenbook vault" in err
    assert "Traceback" not in err
    assert err.count("\n") == 1
    assert snapshot(root) == before


def test_init_fills_an_existing_folder_and_the_vault_checks(capsys, tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "notes.md").write_text("mine\n")
    code, out, err = run(capsys, "init", root)
    assert (code, err) == (0, "")
    assert out.startswith(f"created a vault in {root} (")
    assert f"tokenbook sync --vault {root}" in out
    assert (root / "notes.md").read_text() == "mine\n"
    assert run(capsys, "check", "--vault", root)[0] == 0
    assert run(capsys, "render", "--check", "--vault", root)[0] == 0


def test_init_keeps_the_lines_of_an_existing_gitattributes_and_gitignore(capsys, tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".gitattributes").write_text("*.png binary\n")
    (root / ".gitignore").write_text("node_modules/\n")
    assert run(capsys, "init", root)[0] == 0
    attributes = (root / ".gitattributes").read_text().splitlines()
    assert "*.png binary" in attributes
    assert "ledgers/*.md merge=union" in attributes
    assert "node_modules/" in (root / ".gitignore").read_text().splitlines()


def test_init_onto_a_file_fails_cleanly(capsys, tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x\n")
    code, _, err = run(capsys, "init", target)
    assert code == 1
    assert err.startswith(f"{target}:")


# ----------------------------------------------------------------------------------- reports

DAYS = ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05")


@pytest.fixture
def synced(capsys: Any, vault: Path, logs: Path) -> Path:
    """Five days of large usage: auth-login sessions on even days, unassigned ones on odd."""
    lines = []
    for d, day in enumerate(DAYS, start=1):
        branch = "feature/auth-sso" if d % 2 == 0 else "experiment/spike"
        for i in range(12):
            lines.append(
                assistant(
                    f"msg-{d}-{i}",
                    f"req-{d}-{i}",
                    ts=f"{day}T{8 + i:02d}:15:00Z",
                    session=f"{d:02d}a1b2c3-0000-4000-8000-00000000000{d}",
                    branch=branch,
                    input=1_234_567 + d,
                    output=987_654,
                    cache_write=150_000,
                    cache_read=40_000,
                )
            )
    write_log(logs, "p/s.jsonl", lines)
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert (code, err) == (0, "")
    return vault


def day_input(d: int) -> int:
    return 12 * (1_234_567 + d)


@pytest.mark.parametrize("kind", ["daily", "monthly", "session"])
def test_report_text_is_a_table_in_100_columns_with_thousands_separators(capsys, synced, kind):
    code, out, err = run(capsys, "report", kind, "--vault", synced)
    assert (code, err) == (0, "")
    lines = out.rstrip("\n").split("\n")
    assert max(map(len, lines)) <= 100, out
    header = lines[0].split()
    assert header[0] == {"daily": "Date", "monthly": "Month", "session": "Session"}[kind]
    assert {"Input", "Output", "Total", "Cost"} <= set(header)
    assert set(lines[1]) <= {"-", " "}
    assert set(lines[-2]) <= {"-", " "}
    assert lines[-1].startswith("Total")
    total_input = sum(day_input(d) for d in range(1, 6))
    assert f"{total_input:,}" in lines[-1].split()
    assert f"{12 * 5 * 987_654:,}" in lines[-1].split()
    bodies = {"daily": 5, "monthly": 1, "session": 5}[kind]
    assert len(lines) == 2 + bodies + 2
    if kind == "daily":
        assert [ln.split()[0] for ln in lines[2:7]] == list(DAYS)
        assert lines[2].split()[1] == f"{day_input(1):,}"


def test_session_table_labels_short_ids_and_the_totals_row_as_they_are(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", "r", session="s1")])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    out = run(capsys, "report", "session", "--vault", vault)[1]
    lines = out.rstrip("\n").split("\n")
    assert lines[2].split()[0] == "s1"
    assert lines[-1].split()[0] == "Total"


@pytest.mark.parametrize(
    ("since", "until"),
    [
        ("2026-11-02", "2026-11-04"),
        ("20261102", "20261104"),
        ("20261102", "2026-11-04"),
    ],
)
def test_since_and_until_keep_days_inclusively(capsys, synced, since, until):
    got = report(capsys, synced, "daily", "--since", since, "--until", until)
    assert [r["date"] for r in got["rows"]] == list(DAYS[1:4])
    assert got["totals"]["input_tokens"] == sum(day_input(d) for d in (2, 3, 4))
    assert got["totals"]["responses"] == 36
    code, out, _ = run(
        capsys, "report", "daily", "--vault", synced, "--since", since, "--until", until
    )
    assert code == 0
    assert [ln.split()[0] for ln in out.split("\n")[2:5]] == list(DAYS[1:4])
    assert DAYS[0] not in out
    assert DAYS[4] not in out


def test_since_alone_until_alone_and_a_single_day(capsys, synced):
    dates = lambda *extra: [r["date"] for r in report(capsys, synced, "daily", *extra)["rows"]]  # noqa: E731
    assert dates("--since", "20261104") == list(DAYS[3:])
    assert dates("--until", "2026-11-02") == list(DAYS[:2])
    assert dates("--since", "2026-11-03", "--until", "20261103") == ["2026-11-03"]
    assert dates("--since", "2026-11-06") == []
    session = report(capsys, synced, "session", "--since", "2026-11-05")
    assert [r["session"][:2] for r in session["rows"]] == ["05"]


@pytest.mark.parametrize("bad", ["2026-13-01", "2026111", "yesterday"])
def test_a_bad_date_is_a_usage_error(capsys, vault, bad):
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "report", "daily", "--vault", vault, "--since", bad)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"{bad!r} is not a date" in err
    assert "Traceback" not in err


def test_bet_unassigned_narrows_to_that_ledger(capsys, synced):
    everything = report(capsys, synced, "session")
    unassigned = report(capsys, synced, "session", "--bet", "unassigned")
    auth = report(capsys, synced, "session", "--bet", "auth-login")
    assert {r["session"][:2] for r in unassigned["rows"]} == {"01", "03", "05"}
    assert {r["session"][:2] for r in auth["rows"]} == {"02", "04"}
    assert all(r["bets"] == ["unassigned"] for r in unassigned["rows"])
    assert unassigned["totals"]["input_tokens"] == sum(day_input(d) for d in (1, 3, 5))
    both = unassigned["totals"]["total_tokens"] + auth["totals"]["total_tokens"]
    assert both == everything["totals"]["total_tokens"]
    code, out, _ = run(capsys, "report", "daily", "--vault", synced, "--bet", "unassigned")
    assert code == 0
    assert [ln.split()[0] for ln in out.split("\n")[2:5]] == [DAYS[0], DAYS[2], DAYS[4]]


def test_report_json_shapes(capsys, synced):
    monthly = report(capsys, synced, "monthly")
    assert [r["month"] for r in monthly["rows"]] == ["2026-11"]
    assert monthly["totals"]["responses"] == 60
    session = report(capsys, synced, "session")
    assert len(session["rows"]) == 5
    for row in session["rows"]:
        assert row["session"]
        assert {"first", "last", "bets", "projects", "models", "cost_usd"} <= set(row)
    daily = report(capsys, synced, "daily")
    assert [r["date"] for r in daily["rows"]] == list(DAYS)
    assert json.loads(json.dumps(daily)) == daily
    assert daily["totals"] == monthly["totals"] == session["totals"]


def test_report_on_a_vault_without_usage(capsys, vault):
    code, out, err = run(capsys, "report", "daily", "--vault", vault)
    assert (code, err) == (0, "")
    assert out.rstrip("\n").split("\n")[-1].split()[:2] == ["Total", "0"]
    assert report(capsys, vault, "session") == {
        "rows": [],
        "totals": report(capsys, vault, "daily")["totals"],
    }


def test_check_reports_vault_and_ledger_problems_in_one_run(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", "r")])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    ledger = vault / "ledgers/auth-login.tsv"
    marker = len(ledger.read_text().splitlines()) + 1
    ledger.write_text(ledger.read_text() + "<<<<<<< HEAD\n")
    bet = vault / "bets/billing-fix.md"
    bet.write_text(bet.read_text().replace("max_iterations: 6", "max_iterations: many"))
    code, out, err = run(capsys, "check", "--vault", vault)
    assert (code, out) == (1, "")
    lines = err.strip().split("\n")
    assert len(lines) == 2
    assert lines[0].startswith(f"{bet}:6: `max_iterations`")
    assert lines[1].startswith(f"{ledger}:{marker}: git merge-conflict marker")
