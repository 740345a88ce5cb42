"""Range checks where input enters: huge, negative, non-finite, out-of-era and invalid-Unicode
values in vault files and command arguments get a located message and nothing is written; what
`check` accepts renders and syncs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.helpers import assistant
from tests.helpers import fresh_vault
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log


def _set(path: Path, key: str, value: str) -> int:
    """Set `key: value` in a file's frontmatter (replacing the key's line, else adding one after
    the opening `---`); return the file line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next((i for i, ln in enumerate(lines) if re.match(rf"\s*{re.escape(key)}:", ln)), None)
    if at is None:
        lines.insert(1, f"{key}: {value}")
        at = 1
    else:
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        lines[at] = f"{indent}{key}: {value}"
    path.write_text("\n".join(lines), encoding="utf-8")
    return at + 1


FILES = {
    "cycle": "cycles/2026-11.md",
    "bet": "bets/auth-login.md",
    "pricing": "pricing/anthropic.md",
    "plan": "plans/max-5x.md",
    "settings": "tokenbook.md",
}

REFUSED = [
    ("pricing", "input", "1e999", "'1e999' is more than 1,000,000,000; use a realistic amount"),
    ("pricing", "input", "NaN", "`input`: expected a number >= 0, got 'NaN'"),
    ("pricing", "input", ".nan", "invalid YAML: cannot read '.nan'"),
    ("pricing", "input", "1e-999", "has more than 12 digits after the point; round it"),
    ("pricing", "input", "-1", "expected a number >= 0, got -1"),
    ("cycle", "budget_usd", "10000000000", "is more than 1,000,000,000"),
    ("cycle", "budget_tokens", "1" + "0" * 29, "is more than 1,000,000,000,000,000"),
    ("cycle", "end", "9999-12-31", "9999-12-31 is out of range; use a date from 2000-01-01"),
    ("cycle", "start", "1999-12-31", "1999-12-31 is out of range; use a date from 2000-01-01"),
    ("bet", "title", '"\\ud800"', "holds a lone surrogate (U+D800) at character 1; remove it"),
    ("bet", "title", '"a\\0b"', "holds a control character (U+0000) at character 2"),
    ("bet", "title", '"\\e[2J"', "holds a control character (U+001B)"),
    ("bet", "title", "x" * 10_001, "is 10,001 characters long, more than 10,000"),
    ("bet", "max_iterations", "1000000000", "1,000,000,000 is more than 100,000 iterations"),
    ("bet", "appetite", "1e-999", "has more than 12 digits after the point"),
    ("bet", "alert_thresholds", "[75, 5000]", "5,000 is more than 1,000 percent"),
    ("plan", "hours", "1000000000", "is more than 8,784 hours (a year)"),
    ("settings", "alert_command", '"echo \\0"', "holds a control character (U+0000)"),
    ("settings", "logs", '["/tmp/\\0"]', "holds a control character (U+0000)"),
]


@pytest.mark.parametrize(
    ("file", "key", "value", "message"),
    REFUSED,
    ids=[f"{f}-{k}-{v[:12]}" for f, k, v, _ in REFUSED],
)
def test_an_absurd_value_is_a_located_error_and_sync_writes_nothing(
    capsys, vault, logs, file, key, value, message
):
    path = vault / FILES[file]
    line = _set(path, key, value)
    write_log(logs, "p/s.jsonl", [assistant("m-1")])
    before = snapshot(vault)
    for command in (["check"], ["sync", "--logs", logs], ["render"]):
        code, _, err = run(capsys, *command, "--vault", vault)
        assert code == 1, (command, err)
        assert f"{path}:{line}: " in err, err
        assert message in err, err
        assert snapshot(vault) == before


def test_a_nul_byte_in_yaml_is_a_located_error(capsys, vault):
    path = vault / "bets" / "auth-login.md"
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: a\0", 1), "utf-8")
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert err == f"{path}:2: holds a control character (U+0000); remove it\n"


def test_a_cycle_file_name_that_is_no_id_is_refused(capsys, vault):
    """The name becomes the cycle's id in links (`[[id]]`) and YAML: it must be a plain slug."""
    shutil.copy(vault / "cycles" / "2026-11.md", vault / "cycles" / 'x"]] y.md')
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert "cycles/x\"]] y.md:1: 'x\"]] y' is not a valid cycle id" in err


LOG_REFUSED = [
    (["--tokens", "1" + "0" * 29], "--tokens must be a positive whole number of tokens from 1"),
    (["--tokens", "-5"], "--tokens must be a positive whole number of tokens from 1"),
    (["--tokens", "0"], "got 0"),
    (["--tokens", "5", "--output", "-1"], "--output must be a whole number of tokens from 0"),
    (["--tokens", "5", "--note", "a\x1bb"], "--note holds a control character (U+001B)"),
    (["--tokens", "5", "--model", "m\ud800"], "--model holds a lone surrogate (U+D800)"),
    (["--tokens", "5", "--note", "n" * 501], "--note is 501 characters long, more than 500"),
]


@pytest.mark.parametrize(("args", "message"), LOG_REFUSED)
def test_log_refuses_out_of_range_arguments_before_writing(capsys, vault, args, message):
    before = snapshot(vault)
    code, out, err = run(capsys, "log", "--vault", vault, "--bet", "auth-login", *args)
    assert (code, out) == (1, "")
    assert message in err
    assert snapshot(vault) == before


@pytest.mark.parametrize("day", ["9999-12-31", "1999-12-31", "0001-01-01", "21000101"])
def test_dates_out_of_era_are_refused_with_the_accepted_range(capsys, vault, day):
    before = snapshot(vault)
    for command in (
        ["log", "--bet", "auth-login", "--tokens", "5", "--date", day],
        ["render", "--as-of", day],
        ["export", "--csv", "--since", day],
    ):
        with pytest.raises(SystemExit) as exit:
            run(capsys, *command, "--vault", vault)
        assert exit.value.code == 2
        err = capsys.readouterr().err
        assert "is out of range; use a date from 2000-01-01 to 2099-12-31" in err
    assert snapshot(vault) == before


def test_the_largest_accepted_values_render_and_sync(capsys, vault, logs):
    """The edges of every range, together: nothing overflows, rounds into an error or crashes."""
    cycle = vault / FILES["cycle"]
    for key, value in [
        ("start", "2000-01-01"),
        ("end", "2099-12-31"),
        ("budget_usd", "1000000000"),
        ("budget_tokens", "1000000000000000"),
        ("reserve", "0.000000000001"),
    ]:
        _set(cycle, key, value)
    bet = vault / FILES["bet"]
    _set(bet, "max_iterations", "100000")
    _set(bet, "alert_thresholds", "[1, 1000]")
    _set(bet, "title", '"' + "t" * 10_000 + '"')
    _set(vault / FILES["pricing"], "input", "1000000000")
    plan = vault / FILES["plan"]
    _set(plan, "hours", "8784")
    write_log(logs, "p/s.jsonl", [assistant("m-1", output=10**12)])
    for command in (
        ["check"],
        ["sync", "--logs", logs],
        ["log", "--bet", "auth-login", "--tokens", str(10**12), "--date", "2099-12-31"],
        ["render"],
        ["status"],
        ["report", "daily"],
        ["export", "--csv"],
    ):
        code, _, err = run(capsys, *command, "--vault", vault)
        assert code == 0, (command, err)
    assert run(capsys, "render", "--check", "--vault", vault)[0] == 0


# --- anything `check` accepts renders and syncs ------------------------------------------------

FIELDS = [
    ("cycle", "budget_usd"),
    ("cycle", "budget_tokens"),
    ("cycle", "reserve"),
    ("cycle", "end"),
    ("bet", "appetite"),
    ("bet", "max_iterations"),
    ("bet", "title"),
    ("bet", "alert_thresholds"),
    ("pricing", "output"),
    ("pricing", "from"),
    ("plan", "hours"),
    ("plan", "limit_tokens"),
    ("plan", "resets"),
]
numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(-9, 9), st.integers(-1000, 1000)),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from([".nan", ".inf", "-.inf", "0", "1", "100%", "1e999", "0x10", "1_000"]),
)
dates = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
    st.integers(1, 9999),
    st.integers(1, 12),
    st.integers(1, 31),
)
texts = st.text(st.characters(blacklist_categories=()), max_size=20).map(
    lambda s: '"' + s.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
)


@pytest.fixture(scope="module")
def template_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_vault(tmp_path_factory.mktemp("fuzz") / "vault")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(field=st.sampled_from(FIELDS), value=st.one_of(numbers, dates, texts))
def test_whatever_check_accepts_renders_and_syncs(
    capsys, tmp_path_factory, template_vault, field, value
):
    root = tmp_path_factory.mktemp("case") / "vault"
    shutil.copytree(template_vault, root)
    file, key = field
    _set(root / FILES[file], key, value)
    logs = tmp_path_factory.mktemp("logs")
    write_log(logs, "p/s.jsonl", [assistant("m-1"), assistant("m-2", ts="2026-11-20T10:00:00Z")])
    code, _, err = run(capsys, "check", "--vault", root)
    assert "Traceback" not in err
    if code != 0:
        assert re.search(rf"{re.escape(str(root))}/\S+:\d+: ", err), err  # located
        return
    for command in (["sync", "--logs", logs], ["render"], ["status"], ["report", "monthly"]):
        code, _, err = run(capsys, *command, "--vault", root)
        assert code == 0, (command, err)
