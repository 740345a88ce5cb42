"""A vault's `alert_command` runs only after this machine trusted that exact command."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.helpers import run
from tests.helpers import write_log
from tests.test_budgets import make_vault
from tests.test_budgets import response
from tokenbook.trust import default_store
from tokenbook.trust import is_trusted


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(root))
    return root


def _vault(tmp_path: Path, command: str) -> Path:
    return make_vault(tmp_path, settings=f"alert_command: {command!r}\n".replace("'", '"'))


def _cross(capsys, vault: Path, logs: Path, n: int, output: int) -> tuple[int, str, str]:
    write_log(logs, f"p/{n}.jsonl", [response(n, "2026-11-03", output)])
    return run(capsys, "sync", "--vault", vault, "--logs", logs)


def test_an_untrusted_command_is_not_run_and_sync_says_how_to_allow_it(
    capsys, tmp_path, logs, config
):
    marker = tmp_path / "ran"
    vault = _vault(tmp_path, f"touch {marker}")
    code, out, err = _cross(capsys, vault, logs, 1, 800_000)
    assert code == 0  # sync did its job; the alert is printed
    assert "alert: info: bet alpha crossed 75% of its appetite" in out
    assert not marker.exists()
    allow = f"tokenbook trust --vault {shlex.quote(str(vault))}"
    assert err == (
        "warning: `alert_command` was not run: this machine has not trusted it, and a vault "
        f"setting can come from a pull request. Read it (`{allow} --show`), then allow it "
        f"with `{allow}`\n"
    )
    assert not (config / "tokenbook" / "trusted").exists()  # sync itself never trusts


def test_trust_shows_the_command_then_it_runs_until_it_changes(capsys, tmp_path, logs, config):
    marker = tmp_path / "ran"
    vault = _vault(tmp_path, f"touch {marker}")
    code, out, _ = run(capsys, "trust", "--vault", vault, "--show")
    assert (code, out) == (
        0,
        f"`alert_command` of {vault}:\n    touch {marker}\n"
        f"not trusted on this machine (trust is kept in {config / 'tokenbook' / 'trusted'})\n",
    )
    code, out, _ = run(capsys, "trust", "--vault", vault)
    assert code == 0
    assert out.startswith(
        f"`alert_command` of {vault}:\n    touch {marker}\ntrusted `alert_command`: "
    )
    assert _cross(capsys, vault, logs, 1, 800_000)[2] == ""
    assert marker.exists()

    # A pull request changes the command: it is not run until trusted again.
    marker.unlink()
    other = tmp_path / "other"
    settings = vault / "tokenbook.md"
    settings.write_text(settings.read_text().replace(str(marker), str(other)))
    code, _, err = _cross(capsys, vault, logs, 2, 150_000)  # 95%: crosses 90
    assert code == 0
    assert "`alert_command` was not run" in err
    assert not other.exists()
    assert not marker.exists()


def test_trust_is_per_vault_and_can_be_revoked(capsys, tmp_path, config):
    a = _vault(tmp_path / "a", "echo hi")
    b = _vault(tmp_path / "b", "echo hi")
    store = config / "tokenbook" / "trusted"
    assert run(capsys, "trust", "--vault", a)[0] == 0
    assert is_trusted(a, "echo hi", store)
    assert not is_trusted(b, "echo hi", store)
    assert not is_trusted(a, "echo hi ", store)
    code, out, _ = run(capsys, "trust", "--revoke", "--vault", a)
    assert (code, out) == (0, f"{a}: no longer trusted\n")
    assert not is_trusted(a, "echo hi", store)


def test_the_store_is_outside_the_vault_in_the_config_dir(tmp_path):
    home = tmp_path / "home"
    assert default_store({}, home) == home / ".config" / "tokenbook" / "trusted"
    assert default_store({"XDG_CONFIG_HOME": "/x"}, home) == Path("/x/tokenbook/trusted")
    # A relative XDG_CONFIG_HOME is ignored (the XDG spec), so a vault cannot aim it at itself.
    assert default_store({"XDG_CONFIG_HOME": "rel"}, home) == home / ".config/tokenbook/trusted"


def test_a_command_cannot_hide_its_text_from_the_one_who_trusts_it(capsys, tmp_path, config):
    """A carriage return or colour codes could make `--show` print another command than the
    one that runs: such a command is refused; a bidi override is shown as its code point."""
    vault = make_vault(tmp_path, settings='alert_command: "rm -rf ~\\r\\u001b[2Kecho hello"\n')
    code, out, err = run(capsys, "trust", "--vault", vault, "--show")
    assert (code, out) == (1, "")
    assert err.startswith(f"{vault}/tokenbook.md:4: `alert_command`: holds a control character")
    settings_file = vault / "tokenbook.md"
    settings_file.write_text(settings_file.read_text().replace("\\r\\u001b[2K", "\\u202e"))
    code, out, _ = run(capsys, "trust", "--vault", vault, "--show")
    assert code == 0
    assert "    rm -rf ~\\u202eecho hello\n" in out


def test_a_vault_without_a_command_has_nothing_to_trust(capsys, tmp_path, config):
    vault = make_vault(tmp_path)
    assert run(capsys, "trust", "--vault", vault)[1].endswith("nothing to trust\n")
    assert not (config / "tokenbook").exists()


def test_a_logs_setting_that_leaves_the_repository_needs_trust(capsys, vault, logs, tmp_path):
    """`logs:` is a vault setting, so it can come from a pull request: reading folders outside
    the vault's repository needs the user's trust, like `alert_command`."""
    from tests.helpers import assistant
    from tests.helpers import snapshot
    from tests.helpers import write_log

    write_log(logs, "p/s.jsonl", [assistant("m1", "r")])
    settings = vault / "tokenbook.md"
    settings.write_text(settings.read_text().replace("---\n", f"---\nlogs: [{logs}]\n", 1))
    before = snapshot(vault)
    code, _, err = run(capsys, "sync", "--vault", vault)
    assert code == 1
    assert f"`logs:` reads {logs}, outside the vault's repository" in err
    assert f"tokenbook trust --vault {vault}" in err
    assert snapshot(vault) == before
    code, out, _ = run(capsys, "trust", "--vault", vault)
    assert code == 0
    assert "trusted `logs`" in out
    code, out, err = run(capsys, "sync", "--vault", vault)
    assert (code, err) == (0, "")
    assert "1 new API response(s)" in out
    settings.write_text(settings.read_text().replace(f"logs: [{logs}]", f"logs: [{tmp_path}]"))
    assert run(capsys, "sync", "--vault", vault)[0] == 1  # a changed setting needs trust again
