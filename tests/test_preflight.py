"""`tokenbook preflight`: the breakdown, the cost, the shares of what is left, the warnings."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import write_log

OPUS = "claude-opus-4-5-20251101"


def synced(capsys: Any, vault: Path, logs: Path) -> None:
    """Three one-response sessions on the auth-login branch, outputs 100, 700 and 300."""
    for i, out in enumerate((100, 700, 300)):
        line = assistant(f"m{i}", f"r{i}", session=f"s{i}", output=out, ts="2026-11-03T21:00:00Z")
        write_log(logs, f"p/s{i}.jsonl", [line])
    code, _, err = run(capsys, "sync", "--logs", logs, "--vault", vault, "--no-render")
    assert code == 0, err


def preflight(capsys: Any, vault: Path, *args: str | Path) -> dict[str, Any]:
    code, out, err = run(capsys, "preflight", *args, "--json", "--vault", vault)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    root.mkdir()
    (root / "a.py").write_text("x" * 30_000)  # 10,000 tokens of code at the default 3.0
    return root


def test_cost_and_shares_by_hand(capsys, vault, logs, src):
    synced(capsys, vault, logs)
    result = preflight(capsys, vault, src, "--bet", "auth-login", "--as-of", "2026-11-03")
    assert result["model"] == OPUS  # the latest model in the ledgers
    assert result["total_tokens"] == 10_000
    assert result["files"] == [{"path": f"{src}/a.py", "tokens": 10_000, "kind": "code"}]
    # Median output per response: of 100, 300 and 700.
    assert result["expected_output_tokens"] == 300
    # 10,000 tokens written to the 5-minute cache at $6.25/M, 300 output at $25/M.
    assert Decimal(result["cost_usd"]) == Decimal("0.0625") + Decimal("0.0075")
    # The ledgers hold 3 x (10 input + 1,000 cache writes + 5,000 cache reads) + 1,100 output
    # = 19,130 tokens costing 3 x $0.0088 + 1,100 x $25/M = $0.0539.
    shares = {s["name"]: s for s in result["shares"]}
    bet = shares["bet auth-login"]  # 40% of a $30 / 40M-token cycle
    assert bet["remaining_usd"] == "11.9461"
    assert bet["remaining_tokens"] == 16_000_000 - 19_130
    assert bet["percent"] == "0.59"  # $0.07 of $11.9461 (tokens: 10,300 of 15.98M is less)
    cycle = shares["cycle 2026-11"]
    assert cycle["remaining_usd"] == "29.9461"
    assert cycle["percent"] == "0.23"
    plan = shares["plan max-5x 5-hour window"]  # 88M tokens; the usage is inside the window
    assert plan["remaining_tokens"] == 88_000_000 - 19_130
    assert plan["percent"] == "0.01"
    assert {s["error_pct"] for s in result["shares"]} == {25.0}
    assert result["bet_share_pct"] == "0.59"
    assert result["cycle_share_pct"] == "0.23"
    assert result["expected_error_pct"] == 25.0  # default ratios
    assert result["calibration"]["fitted"] is False


def test_the_plan_window_only_counts_recent_rows(capsys, vault, logs, src):
    synced(capsys, vault, logs)
    result = preflight(capsys, vault, src, "--as-of", "2026-11-05")
    plan = {s["name"]: s for s in result["shares"]}["plan max-5x 5-hour window"]
    assert plan["remaining_tokens"] == 88_000_000


def test_a_session_adds_the_conversation_so_far(capsys, vault, logs, src):
    lines = [
        assistant("m1", "r1", session="sess-9", input=10, cache_read=20_000, output=50),
        assistant(
            "m2", "r2", session="sess-9", input=10, cache_write=1000, cache_read=50_000,
            output=700, ts="2026-11-03T10:05:00Z", model="claude-sonnet-4-5-20250929",
        ),
    ]  # fmt: skip
    write_log(logs, "p/sess-9.jsonl", lines)
    result = preflight(
        capsys, vault, src, "--session", "sess", "--logs", logs, "--as-of", "2026-11-03"
    )
    parts = {p["label"]: p for p in result["parts"]}
    # The last request's prompt (51,010) and its answer (700): measured, not estimated.
    assert parts["conversation sess-9"] == {
        "label": "conversation sess-9",
        "tokens": 51_710,
        "files": 0,
        "measured": True,
        "error_pct": 0.0,
    }
    assert result["total_tokens"] == 61_710
    assert result["model"] == "claude-sonnet-4-5-20250929"
    # Only the estimated part carries the error: 25% of 10,000 of 61,710 tokens.
    assert result["expected_error_pct"] == round(25 * 10_000 / 61_710, 1)
    assert "no usage in the ledgers yet" in " ".join(result["warnings"])
    assert result["expected_output_tokens"] == 0
    # Sonnet 4.5: 10,000 x $3.75/M cache writes + 51,710 x $0.30/M cache reads.
    assert Decimal(result["cost_usd"]) == Decimal("0.0375") + Decimal("0.015513")


def test_prompt_and_prompt_file(capsys, vault, tmp_path):
    prose = "the quick brown fox jumps over the lazy dog " * 19  # 836 chars of prose → 220
    (tmp_path / "p.txt").write_text(prose)
    a = preflight(capsys, vault, "--prompt", prose, "--model", OPUS)
    b = preflight(capsys, vault, "--prompt-file", tmp_path / "p.txt", "--model", OPUS)
    assert (
        a["parts"]
        == b["parts"]
        == [{"label": "prompt", "tokens": 220, "files": 0, "measured": False, "error_pct": 25.0}]
    )


def test_large_contexts_warn(capsys, vault, tmp_path):
    (tmp_path / "a.py").write_text("x" * 330_000)  # 110,000 tokens
    (tmp_path / "b.py").write_text("y" * 330_000)
    one = preflight(capsys, vault, tmp_path / "a.py", "--model", OPUS)
    assert any(w.startswith("the prompt is over 100K tokens (110,000)") for w in one["warnings"])
    both = preflight(capsys, vault, tmp_path / "a.py", tmp_path / "b.py", "--model", OPUS)
    assert any(w.startswith("the prompt is over 200K tokens (220,000)") for w in both["warnings"])
    kinds = {s["rule"] for s in both["suggestions"]}
    assert kinds == {"large"}


def test_a_large_share_of_the_remaining_appetite_warns(capsys, vault, logs, tmp_path):
    synced(capsys, vault, logs)
    (tmp_path / "a.py").write_text("x" * 3_000_000)  # 1M tokens: $6.25, over half of $11.95
    result = preflight(
        capsys, vault, tmp_path / "a.py", "--bet", "auth-login", "--as-of", "2026-11-03"
    )
    assert "this uses 52% of the bet auth-login's remaining appetite" in result["warnings"]


def test_unpriced_model_has_no_cost(capsys, vault, src):
    result = preflight(capsys, vault, src, "--model", "gpt-9", "--as-of", "2026-11-03")
    assert result["cost_usd"] is None
    assert "gpt-9" in result["unpriced"]
    assert result["total_tokens"] == 10_000


def test_text_output_shows_the_error_next_to_numbers(capsys, vault, logs, src):
    synced(capsys, vault, logs)
    (src / "package-lock.json").write_text('{"x": 1}')
    code, out, err = run(
        capsys, "preflight", src, "--bet", "auth-login", "--as-of", "2026-11-03", "--vault", vault
    )
    assert code == 0, err
    row = next(ln.split() for ln in out.splitlines() if ln.startswith(f"  {src} "))
    assert row == [str(src), "2", "10,004", "±25%"]
    assert "Estimated cost: $0.0700 ±25%" in out
    assert "bet auth-login" in out
    assert "0.6% ±25%" in out
    assert "package-lock.json" in out
    assert "lock file" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/dir"], "/no/such/dir: no such file or folder"),
        ([], "nothing to weigh"),
        (["--prompt", "hi", "--bet", "nope", "--model", OPUS], "unknown bet `nope`"),
        (["--session", "zzz", "--model", OPUS], "no session `zzz` in the logs"),
    ],
)
def test_errors_are_one_line_and_exit_1(capsys, vault, logs, args, message):
    code, out, err = run(capsys, "preflight", *args, "--logs", logs, "--vault", vault)
    assert code == 1
    assert out == ""
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("day", "model"),
    [("2026-12-01", "claude-fable-5-2"), ("2026-11-03", "claude-fable-5-1")],
)
def test_a_fresh_vault_prices_with_the_first_priced_model_and_says_so(
    capsys, vault, src, day, model
):
    result = preflight(capsys, vault, src, "--as-of", day)
    assert result["model"] == model  # the first in pricing/ with a price on that day
    assert result["model_source"] == (
        "no usage yet, so the first priced in pricing/; change it with --model"
    )
    assert result["cost_usd"] is not None
    code, out, _ = run(capsys, "preflight", src, "--vault", vault, "--as-of", day)
    assert code == 0
    assert out.startswith(f"Pre-flight for {model} (no usage yet, so the first priced in ")


def test_the_model_source_is_shown(capsys, vault, logs, src):
    synced(capsys, vault, logs)
    result = preflight(capsys, vault, src, "--as-of", "2026-11-03")
    assert (result["model"], result["model_source"]) == (
        OPUS,
        "the latest used in the ledgers; change it with --model",
    )
    result = preflight(capsys, vault, src, "--model", "claude-sonnet-4-5")
    assert result["model_source"] == "from --model"


def test_no_usage_and_no_prices_asks_for_a_model(capsys, vault, src):
    for price_list in (vault / "pricing").glob("*.md"):
        price_list.unlink()
    code, out, err = run(capsys, "preflight", src, "--vault", vault)
    assert (code, out) == (1, "")
    assert err == (
        "no usage in the ledgers and no price in pricing/ to pick a model from; name one with "
        "--model\n"
    )


def test_preflight_writes_nothing_but_its_cache(capsys, vault, src):
    before = {p for p in vault.rglob("*") if p.is_file()}
    preflight(capsys, vault, src, "--model", OPUS)
    after = {p for p in vault.rglob("*") if p.is_file()}
    assert {p.relative_to(vault).as_posix() for p in after - before} == {
        ".tokenbook-cache/.gitignore",
        ".tokenbook-cache/preflight/counts.json",
        ".tokenbook-cache/vault.bin",  # the parsed vault and ledgers, for the next command
        ".tokenbook-cache/ledgers.bin",
    }


def test_usage_with_no_price_makes_the_dollars_left_a_ceiling(capsys, vault, logs, src):
    """A bet whose usage is partly on a model with no price has spent more than its priced
    part: the dollars left are at most what is shown (`≤$X`), never its unpriced part at $0."""
    synced(capsys, vault, logs)
    line = assistant("m9", "r9", session="s9", model="gpt-9", ts="2026-11-03T21:30:00Z")
    write_log(logs, "p/s9.jsonl", [line])
    code, _, err = run(capsys, "sync", "--logs", logs, "--vault", vault, "--no-render")
    assert code == 0, err
    result = preflight(capsys, vault, src, "--bet", "auth-login", "--as-of", "2026-11-03")
    shares = {s["name"]: s for s in result["shares"]}
    unpriced = 10 + 1_000 + 5_000 + 100  # the gpt-9 response's tokens (output 100)
    assert shares["bet auth-login"]["unpriced_tokens"] == unpriced
    assert shares["bet auth-login"]["remaining_usd"] == "11.9461"  # the priced part only
    assert shares["cycle 2026-11"]["unpriced_tokens"] == unpriced
    assert shares["plan max-5x 5-hour window"]["unpriced_tokens"] == unpriced
    assert any("tokens with no price" in w for w in result["warnings"])
    code, out, err = run(
        capsys,
        "preflight",
        src,
        "--bet",
        "auth-login",
        "--as-of",
        "2026-11-03",
        "--model",
        OPUS,
        "--vault",
        vault,
    )
    assert code == 0, err
    assert "≤$11.95" in out
    assert "≤$29.95" in out
