"""Alerts: each threshold once per bet and cycle, derived from the ledgers; `alert_command`."""

from __future__ import annotations

import shutil

from tests.helpers import run
from tests.helpers import write_log
from tests.test_budgets import make_vault
from tests.test_budgets import response


def alerts(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith("alert:")]


def test_each_threshold_alerts_once_and_a_rerun_alerts_nothing(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    write_log(logs, "p/1.jsonl", [response(1, "2026-11-03", 760_000)])  # 76% of 1M tokens
    code, out, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    assert alerts(out) == ["alert: info: bet alpha crossed 75% of its appetite (now 76%, cycle c1)"]
    assert alerts(run(capsys, "sync", "--vault", vault, "--logs", logs)[1]) == []

    write_log(logs, "p/2.jsonl", [response(2, "2026-11-04", 300_000)])  # 106%: 90 and 100 at once
    out = run(capsys, "sync", "--vault", vault, "--logs", logs)[1]
    assert alerts(out) == [
        "alert: warning: bet alpha crossed 90% of its appetite (now 106%, cycle c1)",
        "alert: action required: bet alpha crossed 100% of its appetite (now 106%, cycle c1)",
    ]
    assert alerts(run(capsys, "sync", "--vault", vault, "--logs", logs, "--quiet")[1]) == []


def test_history_merged_from_another_clone_does_not_alert_again(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    other = tmp_path / "clone"
    shutil.copytree(vault, other)
    write_log(logs, "p/1.jsonl", [response(1, "2026-11-03", 800_000)])
    assert len(alerts(run(capsys, "sync", "--vault", vault, "--logs", logs)[1])) == 1
    # The clone gets the ledger by a merge (union of the files), then syncs the same logs.
    shutil.copytree(vault / "ledgers", other / "ledgers", dirs_exist_ok=True)
    code, out, err = run(capsys, "sync", "--vault", other, "--logs", logs)
    assert code == 0, err
    assert alerts(out) == []
    empty = tmp_path / "empty"
    (empty / "projects").mkdir(parents=True)
    assert alerts(run(capsys, "sync", "--vault", other, "--logs", empty)[1]) == []


def test_alert_command_gets_the_details_in_its_environment(capsys, tmp_path, logs):
    command = 'alert_command: "env | grep ^TOKENBOOK_ | sort > alert-$TOKENBOOK_THRESHOLD.txt"\n'
    vault = make_vault(tmp_path, settings=command)
    assert run(capsys, "trust", "--vault", vault)[0] == 0  # a vault's command runs once trusted
    write_log(logs, "p/1.jsonl", [response(1, "2026-11-03", 900_000)])  # 90%: 75 and 90
    code, out, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert (code, err) == (0, "")
    assert len(alerts(out)) == 2
    env = dict(line.split("=", 1) for line in (vault / "alert-90.txt").read_text().splitlines())
    assert env == {
        "TOKENBOOK_VAULT": str(vault),
        "TOKENBOOK_BET": "alpha",
        "TOKENBOOK_TITLE": "Alpha",
        "TOKENBOOK_CYCLE": "c1",
        "TOKENBOOK_THRESHOLD": "90",
        "TOKENBOOK_LEVEL": "warning",
        "TOKENBOOK_PERCENT": "90.0",
        "TOKENBOOK_USED_USD": "9",  # 900k output tokens at $10 per million
        "TOKENBOOK_USED_TOKENS": "900000",
        "TOKENBOOK_APPETITE_USD": "",
        "TOKENBOOK_APPETITE_TOKENS": "1000000",
        "TOKENBOOK_MESSAGE": "warning: bet alpha crossed 90% of its appetite (now 90%, cycle c1)",
    }
    assert "TOKENBOOK_THRESHOLD=75" in (vault / "alert-75.txt").read_text()


def test_a_failing_or_hanging_alert_command_is_reported_never_fatal(
    capsys, tmp_path, logs, monkeypatch
):
    vault = make_vault(tmp_path, settings='alert_command: "echo no webhook >&2; exit 3"\n')
    assert run(capsys, "trust", "--vault", vault)[0] == 0
    write_log(logs, "p/1.jsonl", [response(1, "2026-11-03", 800_000)])
    code, out, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0
    assert len(alerts(out)) == 1
    assert err == "warning: `alert_command` exited 3 for alpha 75%: no webhook\n"

    monkeypatch.setattr("tokenbook.alerts.COMMAND_TIMEOUT", 0.2)
    settings = vault / "tokenbook.md"
    settings.write_text(settings.read_text().replace("echo no webhook >&2; exit 3", "sleep 5"))
    assert run(capsys, "trust", "--vault", vault)[0] == 0
    write_log(logs, "p/2.jsonl", [response(2, "2026-11-04", 150_000)])  # 95%: crosses 90
    code, out, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0
    assert err == "warning: `alert_command` timed out after 0.2 s for alpha 90%\n"
