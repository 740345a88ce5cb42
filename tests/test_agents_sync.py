"""Codex CLI, OpenCode and Gemini CLI histories through `tokenbook sync` into the ledgers: per
session and day, the exported totals equal each agent's independent reference count, a second
sync changes no byte, and none of the agents' text reaches the vault."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.agents import codex_gen
from tests.agents import gemini_gen
from tests.agents import opencode_gen
from tests.agents.codex_history import build as build_codex
from tests.agents.codex_ref import reference as codex_reference
from tests.agents.gemini_gen import build as build_gemini
from tests.agents.gemini_ref import reference as gemini_reference
from tests.agents.opencode_history import build as build_opencode
from tests.agents.opencode_ref import reference as opencode_reference
from tests.helpers import run
from tests.helpers import snapshot

Totals = Counter[tuple[str, str, str]]


def _codex(root: Path) -> tuple[str, Path, Totals]:
    home = root / ".codex"
    build_codex(home)
    want: Totals = Counter()
    for session, day, _, _, inp, cached, out in codex_reference(home, "gpt-5.1-codex"):
        want[(session, day, "input")] += inp
        want[(session, day, "cache_read")] += cached
        want[(session, day, "output")] += out
    return "codex", home, want


def _gemini(root: Path) -> tuple[str, Path, Totals]:
    folder = root / ".gemini"
    build_gemini(folder)
    want: Totals = Counter()
    for session, day, _, inp, cached, out, _, _ in gemini_reference(folder):
        want[(session, day, "input")] += inp
        want[(session, day, "cache_read")] += cached
        want[(session, day, "output")] += out
    return "gemini", folder, want


def _opencode(root: Path) -> tuple[str, Path, Totals]:
    folder = root / "opencode"
    build_opencode(folder)
    want: Totals = Counter()
    for session, day, _, inp, cached, written, out in opencode_reference(folder):
        want[(session, day, "input")] += inp
        want[(session, day, "cache_read")] += cached
        want[(session, day, "cache_write")] += written
        want[(session, day, "output")] += out
    return "opencode", folder, want


AGENTS: dict[str, tuple[Callable[[Path], tuple[str, Path, Totals]], str]] = {
    "codex": (_codex, codex_gen.SENTINEL),
    "gemini": (_gemini, gemini_gen.SENTINEL),
    "opencode": (_opencode, opencode_gen.SENTINEL),
}


def _exported(capsys: Any, vault: Path) -> Totals:
    code, out, err = run(capsys, "export", "--json", "--vault", vault)
    assert code == 0, err
    got: Totals = Counter()
    for r in json.loads(out)["rows"]:
        key = (r["session"], r["date"])
        got[(*key, "input")] += r["input"]
        got[(*key, "cache_read")] += r["cache_read"]
        got[(*key, "cache_write")] += r["cache_write_5m"] + r["cache_write_1h"]
        got[(*key, "output")] += r["output"]
    return +got  # drop zero counts


@pytest.mark.parametrize("agent", sorted(AGENTS))
@pytest.mark.parametrize("named", [True, False], ids=["AGENT:DIR", "DIR"])
def test_each_agent_syncs_exactly_its_reference_count(
    capsys: Any, vault: Path, tmp_path: Path, agent: str, named: bool
) -> None:
    make, sentinel = AGENTS[agent]
    name, folder, want = make(tmp_path / "logs")
    logs = f"{name}:{folder}" if named else str(folder)
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    assert _exported(capsys, vault) == +want
    before = snapshot(vault)
    code, out, _ = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert (code, snapshot(vault) == before) == (0, True)
    assert "0 new API response(s), 0 updated" in out
    for path, data in snapshot(vault).items():
        assert sentinel.encode() not in data, path
    for path in (vault / ".tokenbook-cache").rglob("*"):
        assert not path.is_file() or sentinel.encode() not in path.read_bytes()
    tsv = (vault / "ledgers" / "unassigned.tsv").read_text()
    assert f"\t{name}\t" in tsv  # the ledger records which agent each response came from


def test_reports_break_usage_down_by_agent_tool_and_filter_by_it(
    capsys: Any, vault: Path, tmp_path: Path, logs: Path
) -> None:
    from tests.helpers import assistant
    from tests.helpers import write_log

    _, folder, want = _codex(tmp_path / "logs")
    write_log(logs, "p/s.jsonl", [assistant("m1", "r", output=77)])
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs, "--logs", folder)
    assert code == 0, err
    out = json.loads(run(capsys, "report", "source", "--json", "--vault", vault)[1])
    by_source = {r["source"]: r["output_tokens"] for r in out["rows"]}
    codex_output = sum(v for k, v in want.items() if k[2] == "output")
    assert by_source == {"claude-code": 77, "codex": codex_output}
    code, text, _ = run(capsys, "report", "daily", "--json", "--source", "codex", "--vault", vault)
    assert json.loads(text)["totals"]["output_tokens"] == codex_output


@pytest.mark.parametrize("flex_rate", [None, "0.5"])
def test_codex_cost_equals_a_per_response_hand_computation(
    capsys: Any, vault: Path, tmp_path: Path, flex_rate: str | None
) -> None:
    """Priced per response like Claude Code: cached input at its own rate, the priority tier
    (`fast`) with its multiplier, and the flex tier with its own (`flex:`); where the price
    file has no flex rate, flex usage is unpriced (never standard, never $0)."""
    from decimal import Decimal

    home = tmp_path / "logs" / ".codex"
    build_codex(home)
    flex_line = f"        flex: {flex_rate}\n" if flex_rate else ""
    (vault / "pricing" / "openai.md").write_text(
        "---\nprovider: openai\nmodels:\n  - match: [gpt-*]\n    name: GPT (test rates)\n"
        "    prices:\n      - from: 2025-01-01\n        input: 1.25\n        output: 10\n"
        "        cache_write_5m: 1.25\n        cache_write_1h: 1.25\n        cache_read: 0.125\n"
        f"        fast: 2\n{flex_line}---\n"
    )
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", f"codex:{home}")
    assert code == 0, err
    hand = Decimal(0)
    flex = 0
    multiplier = {"fast": Decimal(2), "flex": Decimal(flex_rate or 0), "standard": Decimal(1)}
    for _, _, _, speed, inp, cached, out in codex_reference(home, "gpt-5.1-codex"):
        if speed == "flex":
            flex += inp + cached + out
            if flex_rate is None:
                continue
        usd = (inp * Decimal("1.25") + cached * Decimal("0.125") + out * 10) / 1_000_000
        hand += usd * multiplier[speed]
    totals = json.loads(run(capsys, "report", "daily", "--json", "--vault", vault)[1])["totals"]
    assert Decimal(str(totals["priced_usd"])) == hand
    assert flex > 0
    assert totals["unpriced_tokens"] == (0 if flex_rate else flex)
