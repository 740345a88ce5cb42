"""The whole pipeline against an independent truth: a synthetic corpus with every log quirk,
whose exact counts come from the generator's own decisions, priced here by hand."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import report
from tests.helpers import run
from tests.synth import SENTINEL
from tests.synth import Corpus
from tests.synth import generate
from tokenbook.events import UsageEvent

# Hand-copied list prices in force in November 2026 (USD per MTok): input, output, 5m write,
# 1h write, cache read; then the fast-mode and US-region multipliers (None: not priced).
RATES: dict[str, tuple[tuple[str, ...], str | None, str | None]] = {
    "claude-opus-4-5-20251101": (("5", "25", "6.25", "10", "0.5"), None, None),
    "claude-sonnet-4-5-20250929": (("3", "15", "3.75", "6", "0.3"), None, None),
    "claude-haiku-4-5-20251001": (("1", "5", "1.25", "2", "0.1"), None, None),
    "claude-opus-4-6": (("5", "25", "6.25", "10", "0.5"), "1", "1.1"),
    "claude-sonnet-4-6": (("3", "15", "3.75", "6", "0.3"), None, "1.1"),
}
FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


def hand_cost(e: UsageEvent) -> Decimal | None:
    if e.model not in RATES:
        return None
    rates, fast, us = RATES[e.model]
    mult = Decimal(1)
    if e.speed == "fast":
        if fast is None:
            return None
        mult *= Decimal(fast)
    if e.geo:
        if e.geo != "us" or us is None:
            return None
        mult *= Decimal(us)
    tokens = sum(
        Decimal(getattr(e.tokens, f)) * Decimal(r) for f, r in zip(FIELDS, rates, strict=True)
    )
    return tokens * mult / 1_000_000 + Decimal(e.web_search) * Decimal("0.01")


def expected(events: tuple[UsageEvent, ...], bucket: Any) -> dict[str, dict[str, Any]]:
    """Per bucket: token fields, and per model the same with its hand cost (None if unpriced)."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"models": defaultdict(_zero), **_zero()})
    for e in events:
        b = out[bucket(e)]
        for target in (b, b["models"][e.model]):
            t = e.tokens
            target["input_tokens"] += t.input
            target["output_tokens"] += t.output
            target["cache_creation_input_tokens"] += t.cache_write
            target["cache_creation_1h_input_tokens"] += t.cache_write_1h
            target["cache_read_input_tokens"] += t.cache_read
            target["total_tokens"] += t.total
            target["responses"] += 1
            cost = hand_cost(e)
            target["cost"] = (
                None if cost is None or target["cost"] is None else target["cost"] + cost
            )
    return out


def _zero() -> dict[str, Any]:
    keys = (
        "input_tokens output_tokens cache_creation_input_tokens cache_creation_1h_input_tokens "
        "cache_read_input_tokens total_tokens responses"
    )
    return {**dict.fromkeys(keys.split(), 0), "cost": Decimal(0)}


def assert_matches(rows: list[dict[str, Any]], key: str, truth: dict[str, dict[str, Any]]) -> None:
    labels = [r[key] for r in rows]
    assert (set(labels) if key == "session" else labels) == (
        set(truth) if key == "session" else sorted(truth)
    )
    for row in rows:
        want = truth[row[key]]
        for name, value in want.items():
            if name == "models":
                assert set(row["models"]) == set(value), row[key]
                for model, m in value.items():
                    got = row["models"][model]
                    for field in m:
                        if field == "cost":
                            cost = got["cost_usd"]
                            assert (Decimal(cost) if cost else None) == m["cost"], (row[key], model)
                        else:
                            assert got[field] == m[field], (row[key], model, field)
            elif name == "cost":
                cost = row["cost_usd"]
                assert (Decimal(cost) if cost else None) == value, row[key]
            else:
                assert row[name] == value, (row[key], name)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return generate(tmp_path_factory.mktemp("claude"), seed=11, sessions=40, days=20)


@pytest.fixture
def synced(capsys: Any, vault: Path, corpus: Corpus) -> tuple[Path, str]:
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", corpus.root)
    assert code == 0, err
    return vault, err


def test_daily_report_equals_the_truth_per_day_and_model(capsys, synced, corpus):
    vault, _ = synced
    data = report(capsys, vault, "daily")
    truth = expected(corpus.responses, lambda e: e.at.date().isoformat())
    assert_matches(data["rows"], "date", truth)
    assert data["totals"]["total_tokens"] == sum(e.tokens.total for e in corpus.responses)
    assert data["totals"]["responses"] == len(corpus.responses)
    costs = [m["cost_usd"] for r in data["rows"] for m in r["models"].values()]
    assert any(c is None for c in costs)  # the unpriced model and unpriced regions
    assert sum(Decimal(c) for c in costs if c) > 1  # and real money elsewhere


def test_session_report_equals_the_truth_per_session(capsys, synced, corpus):
    vault, _ = synced
    data = report(capsys, vault, "session")
    assert_matches(data["rows"], "session", expected(corpus.responses, lambda e: e.session))


def test_monthly_report_adds_up(capsys, synced, corpus):
    vault, _ = synced
    data = report(capsys, vault, "monthly")
    assert_matches(
        data["rows"], "month", expected(corpus.responses, lambda e: e.at.strftime("%Y-%m"))
    )


def test_every_malformed_line_is_reported_at_its_place(synced, corpus):
    _, err = synced
    assert f"skipped {len(corpus.malformed)} malformed log line(s)" in err
    reported = set(re.findall(r"^  (\S+?):(\d+): ", err, re.M))
    truth = {(str(corpus.root / path), str(line)) for path, line in corpus.malformed}
    assert reported <= truth
    assert len(reported) == min(len(truth), 20)


def test_days_are_bucketed_in_the_vault_timezone(capsys, vault, corpus):
    settings = vault / "tokenbook.md"
    settings.write_text(settings.read_text().replace("timezone: UTC", "timezone: Asia/Kolkata"))
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", corpus.root)
    assert code == 0, err
    zone = ZoneInfo("Asia/Kolkata")
    truth = expected(corpus.responses, lambda e: e.at.astimezone(zone).date().isoformat())
    assert_matches(report(capsys, vault, "daily")["rows"], "date", truth)


def test_since_and_until_select_whole_days(capsys, synced, corpus):
    vault, _ = synced
    days = sorted({e.at.date() for e in corpus.responses})
    since, until = days[2], days[5]
    data = report(
        capsys, vault, "daily", "--since", since.isoformat(), "--until", until.isoformat()
    )
    kept = [e for e in corpus.responses if since <= e.at.date() <= until]
    assert data["totals"]["total_tokens"] == sum(e.tokens.total for e in kept)
    assert [date.fromisoformat(r["date"]) for r in data["rows"]] == [
        d for d in days if since <= d <= until
    ]


def test_no_private_text_reaches_the_vault(synced, corpus):
    vault, _ = synced
    assert SENTINEL.encode() in b"".join(p.read_bytes() for p in corpus.root.rglob("*.jsonl"))
    for path in vault.rglob("*"):
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), path


def test_ledgers_rebuilt_from_scratch_are_identical(capsys, synced, corpus):
    vault, _ = synced
    first = {p.name: p.read_bytes() for p in (vault / "ledgers").glob("*.md")}
    for p in (vault / "ledgers").glob("*.md"):
        p.unlink()
    run(capsys, "sync", "--vault", vault, "--logs", corpus.root)
    assert {p.name: p.read_bytes() for p in (vault / "ledgers").glob("*.md")} == first
    assert json.dumps(sorted(first)) != "[]"
