"""`tokenbook pricing update`: prices for the models in use, imported as inserted text into the
vault's price files, shown before written, never changing a price the user set."""

from __future__ import annotations

import difflib
import sys
from datetime import date
from decimal import Decimal

import pytest

from tests.helpers import run
from tokenbook.errors import TokenbookError
from tokenbook.model import PriceEntry
from tokenbook.model import Rates
from tokenbook.price_import import Found
from tokenbook.price_import import GenaiPrices
from tokenbook.pricing import PriceBook
from tokenbook.pricing_update import apply_update
from tokenbook.pricing_update import plan_update
from tokenbook.vault import load_vault


def rates(inp: str, out: str, read: str) -> Rates:
    d = Decimal
    return Rates(input=d(inp), output=d(out), cache_write_5m=d(inp), cache_write_1h=d(inp),
                 cache_read=d(read))  # fmt: skip


def entry(day: str, r: Rates, fast: str | None = None) -> PriceEntry:
    return PriceEntry(start=date.fromisoformat(day), rates=r, fast=Decimal(fast) if fast else None)


class FakeDb:
    """A price database with fixed contents, so these tests do not move with its releases."""

    def __init__(self, found: dict[str, Found], label: str = "fake-prices 1") -> None:
        self.found, self.label = found, label

    def lookup(self, model: str) -> Found | None:
        return self.found.get(model)


GPT = Found("openai", "OpenAI", "GPT-9", (entry("2020-01-01", rates("2", "16", "0.2")),))
GPT_LATER = Found(
    "openai",
    "OpenAI",
    "GPT-9",
    (
        entry("2020-01-01", rates("2", "16", "0.2")),
        entry("2026-10-12", rates("2", "16", "0.2"), "2"),
    ),
)
CLAUDE = Found(
    "anthropic", "Anthropic", "Claude Nine", (entry("2026-12-01", rates("1", "5", "0.1")),)
)


def only_insertions(before: str, after: str) -> bool:
    ops = difflib.SequenceMatcher(None, before.split("\n"), after.split("\n")).get_opcodes()
    return all(tag in ("equal", "insert") for tag, *_ in ops)


def test_an_unpriced_model_is_shown_then_written_on_request(vault):
    plan = plan_update(vault, ["gpt-9"], FakeDb({"gpt-9": GPT}))
    assert [c.path for c in plan.changes] == ["pricing/openai.md"]
    assert plan.changes[0].before is None
    diff = plan.diff()
    assert diff.startswith("--- /dev/null\n+++ b/pricing/openai.md\n")
    assert "+  - match: [gpt-9]\n" in diff
    assert "+  # Imported by `tokenbook pricing update` from fake-prices 1.\n" in diff
    assert plan.notes == ("gpt-9: added to pricing/openai.md (1 dated entry)",)
    assert not (vault / "pricing" / "openai.md").exists()  # planning writes nothing

    assert apply_update(vault, plan) == ["pricing/openai.md"]
    book = PriceBook(load_vault(vault))
    got = book.entry("gpt-9", date(2026, 11, 3))
    assert got is not None
    assert got.rates == rates("2", "16", "0.2")
    assert plan_update(vault, ["gpt-9"], FakeDb({"gpt-9": GPT})).changes == ()


def test_a_new_model_goes_into_an_existing_file_without_touching_a_byte_of_it(vault):
    before = (vault / "pricing" / "anthropic.md").read_text()
    plan = plan_update(vault, ["claude-nine"], FakeDb({"claude-nine": CLAUDE}))
    (change,) = plan.changes
    assert change.before == before
    assert only_insertions(before, change.after)
    apply_update(vault, plan)
    book = PriceBook(load_vault(vault))
    assert book.entry("claude-nine", date(2026, 12, 2)) is not None
    assert book.entry("claude-opus-4-8", date(2026, 11, 3)) is not None


def test_a_price_the_user_set_is_never_changed(vault):
    cheaper = Found(
        "anthropic", "Anthropic", "Opus", (entry("2026-05-28", rates("1", "2", "0.1")),)
    )
    plan = plan_update(vault, ["claude-opus-4-8"], FakeDb({"claude-opus-4-8": cheaper}))
    assert plan.changes == ()
    (note,) = plan.notes
    assert note.startswith("claude-opus-4-8: kept pricing/anthropic.md:")
    assert "(a price you set); fake-prices 1 says input 1 (yours 5)" in note


def test_an_imported_block_gets_newer_entries_unless_it_was_edited(vault):
    apply_update(vault, plan_update(vault, ["gpt-9"], FakeDb({"gpt-9": GPT})))
    later = FakeDb({"gpt-9": GPT_LATER}, "fake-prices 2")
    plan = plan_update(vault, ["gpt-9"], later)
    (change,) = plan.changes
    assert only_insertions(change.before or "", change.after)
    assert "+      - from: 2026-10-12\n" in plan.diff()
    assert "+        fast: 2\n" in plan.diff()
    assert plan.notes == ("gpt-9: 1 dated entry added in pricing/openai.md",)
    apply_update(vault, plan)
    assert plan_update(vault, ["gpt-9"], later).changes == ()

    path = vault / "pricing" / "openai.md"
    path.write_text(path.read_text().replace("output: 16", "output: 12", 1))
    newer = entry("2027-01-01", rates("3", "20", "0.3"))
    newest = Found("openai", "OpenAI", "GPT-9", (*GPT_LATER.entries, newer))
    plan = plan_update(vault, ["gpt-9"], FakeDb({"gpt-9": newest}))
    assert plan.changes == ()
    assert "(an imported block that was edited)" in plan.notes[0]


def test_a_model_the_database_does_not_know_stays_unpriced_with_a_note(vault):
    plan = plan_update(vault, ["home-made-model", "", "unknown"], FakeDb({}))
    assert plan.changes == ()
    assert plan.notes == (
        "home-made-model: not in fake-prices 1; it stays unpriced until you add a block for it "
        "to a pricing/*.md file",
    )


def test_odd_model_ids_match_exactly(vault):
    odd = "claude-nine[1m]"
    apply_update(vault, plan_update(vault, [odd], FakeDb({odd: CLAUDE})))
    book = PriceBook(load_vault(vault))
    assert book.model(odd) is not None
    assert book.model("claude-nine1") is None


def test_a_file_changed_after_planning_is_not_overwritten(vault):
    plan = plan_update(vault, ["claude-nine"], FakeDb({"claude-nine": CLAUDE}))
    path = vault / "pricing" / "anthropic.md"
    path.write_text(path.read_text() + "\nA note the user just added.\n")
    with pytest.raises(TokenbookError, match="changed since the update was planned"):
        apply_update(vault, plan)
    assert path.read_text().endswith("A note the user just added.\n")


def test_without_the_database_the_error_says_how_to_install_it(vault, monkeypatch):
    monkeypatch.setitem(sys.modules, "genai_prices", None)
    with pytest.raises(TokenbookError) as e:
        plan_update(vault, ["gpt-9"])
    assert str(e.value) == (
        "the offline price database is not installed; "
        "run `pip install 'tokenbook[prices]'` (it adds genai-prices)"
    )


# ------------------------------------------------------------ the real database, through the CLI


@pytest.fixture
def genai() -> GenaiPrices:
    pytest.importorskip("genai_prices")
    return GenaiPrices()


def test_cli_shows_the_diff_then_writes_with_write(capsys, vault, genai):
    models = (
        "gpt-5.2-codex",
        "gpt-5.4",
        "gemini-3-pro-preview",
        "claude-opus-4-8",
        "codex-auto-review",
    )
    args = ["pricing", "update", "--vault", vault, *(a for m in models for a in ("--model", m))]
    code, out, err = run(capsys, *args)
    assert (code, err) == (0, "")
    assert "+++ b/pricing/openai.md" in out
    assert "+++ b/pricing/google.md" in out
    assert "gpt-5.4: the higher rate above 272,000" not in out  # a band ledgers record
    assert "+          threshold: 272000\n" in out
    assert "note: codex-auto-review: not in genai-prices" in out
    assert out.endswith(
        f"prices: nothing written; run again with --write to apply ({genai.label})\n"
    )
    assert not (vault / "pricing" / "openai.md").exists()

    code, out, _ = run(capsys, *args, "--write")
    assert code == 0
    assert out.endswith(f"prices: wrote pricing/google.md, pricing/openai.md ({genai.label})\n")
    assert run(capsys, "check", "--vault", vault)[0] == 0
    code, out, _ = run(capsys, *args)
    assert "prices: nothing to add for 5 model(s)" in out


def test_imported_prices_price_requests_by_hand(capsys, vault, genai):
    """Per-request figures: Gemini 3 Pro switches the whole request above 200k prompt tokens;
    GPT-5.2 charges cached input at its own rate; priority (fast) is 2x from 2026-10-12."""
    run(capsys, "pricing", "update", "--vault", vault, "--write",
        "--model", "gemini-3-pro-preview", "--model", "gpt-5.2-codex")  # fmt: skip
    book = PriceBook(load_vault(vault))
    gemini = book.entry("gemini-3-pro-preview", date(2026, 11, 3))
    assert gemini is not None
    assert gemini.long_context_threshold == 200_000
    assert (gemini.rates.input, gemini.rates.output, gemini.rates.cache_read) == (
        2,
        12,
        Decimal("0.2"),
    )
    assert gemini.long_context is not None
    assert (gemini.long_context.input, gemini.long_context.output) == (4, 18)
    gpt = book.entry("gpt-5.2-codex", date(2026, 11, 3))
    assert gpt is not None
    assert (gpt.rates.input, gpt.rates.cache_read, gpt.rates.output) == (
        Decimal("1.75"),
        Decimal("0.175"),
        14,
    )
    assert gpt.fast == 2
    assert gpt.flex == Decimal("0.5")  # the flex tier halves every rate
    before = book.entry("gpt-5.2-codex", date(2026, 10, 11))
    assert before is not None
    assert before.fast is None  # fast requests before the database's tier date stay unpriced
    assert before.flex is None
