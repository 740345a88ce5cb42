"""Each routine command loads only what it uses: run in a fresh interpreter on a synced vault,
the modules it must not load are absent from `sys.modules` (a heavy import at the top of a shared
module would otherwise bring the floor of every command back, unseen)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import fresh_vault
from tests.helpers import write_log

SESSION = "sess-1"
# What the console script does, then every module the command loaded (to the file in argv[1]).
PROBE = """
import json, sys
out, sys.argv = sys.argv[1], ["tokenbook", *sys.argv[2:]]
from tokenbook.commands.launch import main
try:
    code = main()
except SystemExit as e:
    code = e.code
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""
TEMPLATES = ("jinja2", "markupsafe", "tokenbook.render")
VAULT_PARSING = ("yaml", "markdown_it", "tokenbook.docs", "tokenbook.vault_parse")
AGENTS = (
    "sqlite3",
    "tomllib",
    "tokenbook.sources.registry",
    "tokenbook.sources.codex",
    "tokenbook.sources.opencode",
    "tokenbook.sources.gemini",
)
OUTCOMES = ("subprocess", "tokenbook.outcomes", "tokenbook.outcome_git", "tokenbook.gitrun")
READS = (*TEMPLATES, *VAULT_PARSING, *AGENTS, "msgspec", "tempfile")
REPORT = (*READS, *OUTCOMES, "tokenbook.blocks", "tokenbook.actions", "tokenbook.dashboard")
LOGS = ("tokenbook.sources.claude_code", "tokenbook.logview", "tokenbook.cache")
CLI = ("argparse", "dataclasses", "decimal", "tokenbook.cli", "tokenbook.model")


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A vault synced (and rendered) from a small log, as the console script does it."""
    base = tmp_path_factory.mktemp("imports")
    vault, logs, home = fresh_vault(base / "vault"), base / "claude", base / "home"
    (logs / "projects").mkdir(parents=True)
    home.mkdir()
    write_log(logs, "p/s.jsonl", [assistant("m1", "r1"), assistant("m2", "r2")])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENBOOK_", "CLAUDE_"))}
    env |= {"HOME": str(home), "TZ": "UTC", "COLUMNS": "120"}
    setup = {"base": base, "vault": vault, "logs": logs, "env": env}
    assert probe(setup, "sync", "--vault", vault, "--logs", logs)["code"] == 0
    return setup


def probe(setup: dict[str, Any], *args: str | Path, stdin: str = "") -> dict[str, Any]:
    """Run `tokenbook ARGS` in a fresh interpreter; its exit code and loaded modules."""
    out = setup["base"] / "modules.json"
    cmd = [sys.executable, "-c", PROBE, str(out), *map(str, args)]
    done = subprocess.run(
        cmd,
        input=stdin,
        capture_output=True,
        text=True,
        env=setup["env"],
        cwd=setup["base"],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(out.read_text())
    found["stdout"] = done.stdout
    return found


def forgo_answers(vault: Path) -> None:
    """Remove early answers of earlier calls: each probe measures the full command."""
    for path in (vault / ".tokenbook-cache").glob("answers*"):
        path.unlink()


REPORTS = [
    (["report", "daily", "--json"], REPORT),
    (["report", "session", "--json"], REPORT),
    (["report", "monthly", "--json"], REPORT),
    (["report", "daily"], REPORT),
    (["report", "session"], REPORT),
    (["report", "monthly"], REPORT),
    (["status", "--json"], (*READS, "tokenbook.tables", "tokenbook.blocks")),
    (["status"], (*READS, "tokenbook.tables", "tokenbook.blocks")),
    (["report", "blocks", "--json"], (*READS, *OUTCOMES, "tokenbook.dashboard")),
    (["report", "blocks"], (*READS, *OUTCOMES, "tokenbook.dashboard")),
]


@pytest.mark.parametrize(("args", "absent"), REPORTS, ids=[" ".join(a) for a, _ in REPORTS])
def test_reads_load_only_what_they_use(synced, args, absent):
    forgo_answers(synced["vault"])
    logs = ["--logs", synced["logs"]] if args[0] == "status" or "blocks" in args else []
    found = probe(synced, *args, "--vault", synced["vault"], *logs)
    assert found["code"] == 0
    assert found["stdout"].strip()
    assert sorted(set(absent) & set(found["modules"])) == []


def test_the_plain_report_loads_no_table_and_the_table_no_json_only_part(synced):
    """The JSON of a report is made without the text table's modules."""
    forgo_answers(synced["vault"])
    found = probe(synced, "report", "daily", "--json", "--vault", synced["vault"])
    assert {"tokenbook.tables", "tokenbook.layout", "tokenbook.filters"}.isdisjoint(
        found["modules"]
    )


def test_statusline_loads_no_cli_and_no_ledgers(synced):
    stdin = json.dumps({"session_id": SESSION, "cwd": "/home/dev/src/webapp"})
    env = synced["env"] | {"TOKENBOOK_VAULT": str(synced["vault"])}
    found = probe(synced | {"env": env}, "statusline", stdin=stdin)
    assert found["stdout"].strip()
    absent = (*CLI, *READS, *LOGS, "tokenbook.store", "tokenbook.ledgercache")
    assert sorted(set(absent) & set(found["modules"])) == []


def test_the_guard_hook_loads_no_cli_and_no_ledgers(synced):
    transcript = synced["logs"] / "projects" / "p" / "s.jsonl"
    stdin = json.dumps(
        {
            "session_id": SESSION,
            "transcript_path": str(transcript),
            "cwd": "/home/dev/src/webapp",
            "hook_event_name": "UserPromptSubmit",
            "prompt": "go on",
        }
    )
    found = probe(synced, "guard", "--vault", synced["vault"], stdin=stdin)
    absent = ("argparse", "tokenbook.cli", *READS, *LOGS, "tokenbook.store")
    assert sorted(set(absent) & set(found["modules"])) == []


def test_a_sync_with_nothing_new_loads_no_cli(synced):
    found = probe(synced, "sync", "--vault", synced["vault"], "--logs", synced["logs"])
    assert found["stdout"].startswith("read 0 of 1 log file(s)")
    absent = (*CLI, *READS, *LOGS, "tokenbook.store", "tokenbook.vault", "contextlib")
    assert sorted(set(absent) & set(found["modules"])) == []


def test_a_sync_of_one_new_session_loads_no_other_agent_and_no_vault_parser(synced):
    write_log(synced["logs"], "p/t.jsonl", [assistant("m3", "r3", session="sess-2")])
    found = probe(synced, "sync", "--vault", synced["vault"], "--logs", synced["logs"])
    assert "1 new API response(s)" in found["stdout"]
    absent = (
        *VAULT_PARSING,
        *AGENTS,
        "msgspec",
        "tokenbook.tables",
        "tokenbook.blocks",
        "filelock",
    )
    assert sorted(set(absent) & set(found["modules"])) == []
