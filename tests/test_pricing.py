"""Costs from the shipped price list, checked against hand computations (USD per MTok)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import write_log

M = Decimal(1_000_000)


def cost_of(capsys: Any, vault: Path, logs: Path, *lines: dict[str, Any]) -> dict[str, Any]:
    write_log(logs, "p/s.jsonl", list(lines))
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    return report(capsys, vault, "daily")["totals"]


def usd(*terms: tuple[int, str]) -> str:
    """Sum of tokens x price-per-MTok, as the report's exact decimal string."""
    total = sum((Decimal(n) * Decimal(p) for n, p in terms), Decimal(0)) / M
    return format(total.normalize(), "f")


def test_every_token_kind_has_its_own_price(capsys, vault, logs):
    line = assistant(
        "m",
        "r",
        model="claude-opus-4-5-20251101",
        input=10,
        output=100,
        cache_write=1000,
        cache_write_1h=400,
        cache_read=5000,
    )
    t = cost_of(capsys, vault, logs, line)
    expected = usd((10, "5"), (100, "25"), (600, "6.25"), (400, "10"), (5000, "0.5"))
    assert t["cost_usd"] == expected == "0.0128"  # 50 + 2500 + 3750 + 4000 + 2500 micro-USD


def test_long_context_prices_the_whole_request_above_the_threshold(capsys, vault, logs):
    # Sonnet 4.5 in the 1M beta (until 2026-04-30): above 200K prompt tokens every token is premium.
    big = assistant(
        "m1",
        "r",
        model="claude-sonnet-4-5-20250929",
        ts="2026-03-02T10:00:00Z",
        input=150_000,
        cache_write=0,
        cache_read=60_000,
        output=1000,
    )
    small = assistant(
        "m2",
        "r",
        model="claude-sonnet-4-5-20250929",
        ts="2026-03-02T10:01:00Z",
        input=100_000,
        cache_write=0,
        cache_read=100_000,
        output=1000,  # exactly 200K: standard
    )
    t = cost_of(capsys, vault, logs, big, small)
    expected = Decimal(usd((150_000, "6"), (60_000, "0.6"), (1000, "22.5"))) + Decimal(
        usd((100_000, "3"), (100_000, "0.3"), (1000, "15"))
    )
    assert Decimal(t["cost_usd"]) == expected


def test_a_272k_threshold_prices_only_prompts_above_it(capsys, vault, logs):
    """GPT-5.4 bills the whole request at higher rates above 272k prompt tokens; a 200k
    threshold (Claude's) still applies to those prompts."""
    (vault / "pricing" / "openai.md").write_text(
        "---\nmodels:\n  - match: [gpt-test]\n    prices:\n      - from: 2026-01-01\n"
        "        input: 2.5\n        output: 15\n        cache_write_5m: 2.5\n"
        "        cache_write_1h: 2.5\n        cache_read: 0.25\n        long_context:\n"
        "          threshold: 272000\n          input: 5\n          output: 22.5\n"
        "          cache_write_5m: 5\n          cache_write_1h: 5\n          cache_read: 0.5\n---\n"
    )
    under = assistant("m1", "r", model="gpt-test", input=250_000, cache_write=0, cache_read=22_000,
                      output=100)  # fmt: skip
    over = assistant("m2", "r", model="gpt-test", input=250_000, cache_write=0, cache_read=22_001,
                     output=100, ts="2026-11-03T10:01:00.000Z")  # fmt: skip
    claude = assistant("m3", "r", model="claude-sonnet-4-5-20250929", ts="2026-03-02T10:00:00Z",
                       input=300_000, cache_write=0, cache_read=0, output=10)  # fmt: skip
    write_log(logs, "p/s.jsonl", [under, over, claude])
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    rows = {r["date"]: r for r in report(capsys, vault, "daily")["rows"]}
    expected = Decimal(usd((250_000, "2.5"), (22_000, "0.25"), (100, "15"))) + Decimal(
        usd((250_000, "5"), (22_001, "0.5"), (100, "22.5"))
    )
    assert Decimal(rows["2026-11-03"]["cost_usd"]) == expected
    assert Decimal(rows["2026-03-02"]["cost_usd"]) == Decimal(usd((300_000, "6"), (10, "22.5")))
    summary = (vault / "ledgers" / "unassigned.md").read_text()
    assert "prompt \\>272k" in summary  # markdown-escaped


def test_long_context_premium_ends_on_its_date(capsys, vault, logs):
    line = assistant(
        "m1",
        "r",
        model="claude-sonnet-4-5-20250929",
        ts="2026-05-02T10:00:00Z",
        input=250_000,
        cache_write=0,
        cache_read=0,
        output=10,
    )
    assert cost_of(capsys, vault, logs, line)["cost_usd"] == usd((250_000, "3"), (10, "15"))


def test_haiku_5_5_band_starts_above_100k(capsys, vault, logs):
    line = assistant(
        "m1",
        "r",
        model="claude-haiku-5-5",
        ts="2026-11-03T10:00:00Z",
        input=100_001,
        cache_write=0,
        cache_read=0,
        output=10,
    )
    assert cost_of(capsys, vault, logs, line)["cost_usd"] == usd((100_001, "0.5"), (10, "2.5"))


def test_fast_mode_and_us_region_multiply_every_kind(capsys, vault, logs):
    line = assistant(
        "m1",
        "r",
        model="claude-opus-4-6",
        ts="2026-05-04T10:00:00Z",
        input=1000,
        output=1000,
        cache_write=0,
        cache_read=0,
        speed="fast",
        inference_geo="us",
    )
    base = Decimal(usd((1000, "5"), (1000, "25")))
    assert Decimal(cost_of(capsys, vault, logs, line)["cost_usd"]) == base * 6 * Decimal("1.1")


def test_price_in_force_on_the_day_is_used(capsys, vault, logs):
    # Sonnet 5.5 cache reads: $0.20 until 2026-10-06, $0.10 from 2026-10-07.
    before = assistant(
        "m1",
        "r",
        model="claude-sonnet-5-5",
        ts="2026-10-06T23:00:00Z",
        input=0,
        output=0,
        cache_write=0,
        cache_read=1_000_000,
    )
    after = assistant(
        "m2",
        "r",
        model="claude-sonnet-5-5",
        ts="2026-10-07T01:00:00Z",
        input=0,
        output=0,
        cache_write=0,
        cache_read=1_000_000,
    )
    cost_of(capsys, vault, logs, before, after)
    rows = report(capsys, vault, "daily")["rows"]
    assert [(r["date"], r["cost_usd"]) for r in rows] == [
        ("2026-10-06", "0.2"),
        ("2026-10-07", "0.1"),
    ]


def test_web_searches_are_priced_per_thousand(capsys, vault, logs):
    line = assistant(
        "m1",
        "r",
        input=0,
        output=0,
        cache_write=0,
        cache_read=0,
        server_tool_use={"web_search_requests": 3, "web_fetch_requests": 2},
    )
    t = cost_of(capsys, vault, logs, line)
    assert (t["web_search_requests"], t["cost_usd"]) == (3, "0.03")


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"model": "claude-experimental-9"}, "no price for claude-experimental-9 on 2026-11-03"),
        ({"model": "claude-opus-4-5-20251101", "inference_geo": "us"}, "no price for region 'us'"),
        ({"model": "claude-haiku-4-5-20251001", "speed": "fast"}, "no fast-mode price"),
        (
            {"model": "claude-opus-4-5", "ts": "2024-01-01T00:00:00Z"},
            "no price for claude-opus-4-5 on 2024-01-01",
        ),
    ],
)
def test_usage_without_a_price_is_unpriced_never_zero(capsys, vault, logs, extra, reason):
    priced = assistant("m0", "r", output=100)
    line = assistant("m1", "r", **extra)
    write_log(logs, "p/s.jsonl", [priced, line])
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0
    assert "unpriced: " in err
    assert reason in err
    data = report(capsys, vault, "daily")
    assert data["totals"]["cost_usd"] is None
    assert any(reason in u for u in data["totals"]["unpriced"])
    priced_rows = [r for r in data["rows"] if r["cost_usd"] is not None]
    assert all(Decimal(r["cost_usd"]) > 0 for r in priced_rows)
    dashboard = (vault / "cost-dashboard.md").read_text()
    assert "All time" in dashboard
    assert "≥$" in dashboard  # dollars shown as the priced part only, never as if complete


def test_alias_and_dated_ids_share_a_price(capsys, vault, logs):
    a = assistant(
        "m1", "r", model="claude-opus-4-5", output=0, cache_write=0, cache_read=0, input=1000
    )
    b = assistant(
        "m2",
        "r",
        model="claude-opus-4-5-20251101",
        output=0,
        cache_write=0,
        cache_read=0,
        input=1000,
    )
    assert cost_of(capsys, vault, logs, a, b)["cost_usd"] == usd((2000, "5"))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-0.5", "expected a number >= 0, got -0.5"),
        ("1e999", "is more than 1,000,000,000; use a realistic amount"),
        ('"half"', "expected a number"),
    ],
)
def test_a_hostile_flex_multiplier_is_a_located_error(capsys, vault, logs, value, message):
    """`flex:` is read like `fast:`: a value no price could be is refused where it stands, and
    nothing is written."""
    path = vault / "pricing" / "openai.md"
    path.write_text(
        "---\nmodels:\n  - match: [gpt-test]\n    prices:\n      - from: 2026-01-01\n"
        "        input: 1.25\n        output: 10\n        cache_write_5m: 1.25\n"
        f"        cache_write_1h: 1.25\n        cache_read: 0.125\n        flex: {value}\n---\n"
    )
    write_log(logs, "p/s.jsonl", [assistant("m1", "r", model="gpt-test", speed="flex")])
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 1
    assert f"{path}:11: " in err, err
    assert message in err, err
    assert "Traceback" not in err
    assert not (vault / "ledgers" / "unassigned.tsv").exists()
