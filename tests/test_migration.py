"""Ledger format 1 (what the previous release wrote: markdown tables of row snapshots) migrates
to format 2 by itself, exactly where the logs are still there and as it was where they are gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.helpers import EXAMPLE_VAULT
from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log

FORMAT_1 = Path(__file__).resolve().parent / "fixtures" / "format1" / "ledgers"
EXAMPLE_LOGS = EXAMPLE_VAULT.parent / "examples" / "claude"


def _format1(vault: Path) -> Path:
    shutil.copytree(FORMAT_1, vault / "ledgers")
    return vault


def _reports(capsys: Any, vault: Path) -> dict[str, Any]:
    out = {}
    for kind in ("daily", "session", "bet", "model", "project"):
        code, text, err = run(capsys, "report", kind, "--json", "--vault", vault)
        assert code == 0, err
        out[kind] = json.loads(text)
    return out


def test_the_example_vault_of_the_last_release_migrates_to_the_committed_one(capsys, vault):
    """With its logs: the same ledgers, byte for byte, as the example vault in format 2."""
    _format1(vault)
    code, _, _ = run(capsys, "check", "--vault", vault)
    assert code == 0
    code, out, _ = run(capsys, "sync", "--vault", vault, "--logs", EXAMPLE_LOGS)
    assert code == 0
    assert "migrated to ledger format 2: billing-fix, cafe-ui, dark-mode, data-pipeline" in out
    mine = {p.name: p.read_bytes() for p in sorted((vault / "ledgers").iterdir())}
    assert mine == {p.name: p.read_bytes() for p in sorted((EXAMPLE_VAULT / "ledgers").iterdir())}


def test_without_its_logs_history_migrates_as_it_was(capsys, vault, logs):
    _format1(vault)
    before = _reports(capsys, vault)  # read straight from format 1
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert all((vault / "ledgers" / f"{p.stem}.tsv").is_file() for p in FORMAT_1.iterdir())
    tsv = (vault / "ledgers" / "cafe-ui.tsv").read_text()
    assert tsv.count("\nl\t") == 5  # each old row kept as history
    assert _reports(capsys, vault) == before
    kept = snapshot(vault)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert snapshot(vault) == kept
    assert run(capsys, "check", "--vault", vault)[0] == 0


def test_a_format1_double_count_is_found_and_rebuilt_from_the_logs(capsys, vault, logs):
    """Format 1 could leave a response in its old row when its final line moved it (here
    `speed: fast` on the final line): check names it, sync --rebuild fixes it from the logs."""
    lines = [
        assistant("msg_a", "req_a", output=2, ts="2026-11-03T10:00:00.000Z"),
        assistant("msg_a", "req_a", output=90, speed="fast", ts="2026-11-03T10:00:00.500Z"),
    ]
    write_log(logs, "p/s.jsonl", lines)
    ledger = vault / "ledgers" / "auth-login.md"
    ledger.parent.mkdir()
    head = (FORMAT_1 / "cafe-ui.md").read_text().split("\n")
    header = [ln for ln in head if not ln.startswith("| 2026")]
    row = (
        "| 2026-11-03 | sess-1 | claude-opus-4-5-20251101 | main | {speed} |  | 0 | 1 | 10 | {out} "
        "| 1000 | 0 | 5000 | 0 | 0 | 2026-11-03T10:00:00Z | 2026-11-03T10:00:00Z "
        "| /home/dev/src/webapp | feature/auth-login |"
    )
    rows = [row.format(speed="standard", out=2), row.format(speed="fast", out=90)]
    text = "\n".join(header).replace("cafe-ui", "auth-login").rstrip("\n")
    ledger.write_text(text + "\n" + "\n".join(rows) + "\n")
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert "probably counted twice" in err
    assert "tokenbook sync --rebuild" in err
    code, _, _ = run(capsys, "sync", "--vault", vault, "--logs", logs, "--rebuild")
    assert code == 0
    assert run(capsys, "check", "--vault", vault)[0] == 0
    code, out, _ = run(capsys, "report", "daily", "--json", "--vault", vault)
    assert (json.loads(out)["totals"]["responses"], json.loads(out)["totals"]["output_tokens"]) == (
        1,
        90,
    )
