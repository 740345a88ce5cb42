"""What a valid vault reads as: links, shares, Obsidian keys, tasks, exact money, sorted prices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tokenbook.model import Task
from tokenbook.vault import load_vault

BET = """---
title: Passwordless login
cycle: {cycle}
appetite: {appetite}
status: active
---
# Passwordless login
"""


def write(vault: Path, rel: str, text: str) -> Path:
    path = vault / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def bet_with(vault: Path, **values: str) -> None:
    write(
        vault, "bets/auth-login.md", BET.format(**{"cycle": "2026-11", "appetite": "40%"} | values)
    )


@pytest.mark.parametrize(
    "cycle", ['"[[2026-11]]"', "2026-11", "[[2026-11]]", '"[[2026-11|November]]"']
)
def test_cycle_as_wikilink_or_plain_name(vault, cycle):
    bet_with(vault, cycle=cycle)
    assert load_vault(vault).bet("auth-login").cycle == "2026-11"


def test_a_cycle_named_by_a_date_is_a_name_not_a_date(vault):
    (vault / "cycles/2026-11.md").rename(vault / "cycles/2026-11-02.md")
    for path in (vault / "bets").glob("*.md"):
        path.write_text(path.read_text().replace('"[[2026-11]]"', "2026-11-02"))
    v = load_vault(vault)
    assert [c.id for c in v.cycles] == ["2026-11-02"]
    assert {b.cycle for b in v.bets} == {"2026-11-02"}


@pytest.mark.parametrize("appetite", ["40%", "0.4", "40 %", '"40%"', "0.40"])
def test_percent_and_fraction_are_the_same_share(vault, appetite):
    bet_with(vault, appetite=appetite)
    share = load_vault(vault).bet("auth-login").appetite.share
    assert isinstance(share, Decimal)
    assert share == Decimal("0.4")


def test_obsidian_keys_are_accepted_everywhere(vault):
    obsidian = "tags: [a, b]\naliases: [Other name]\ncssclasses: [wide]\npublish: false\n"
    for rel in (
        "tokenbook.md",
        "cycles/2026-11.md",
        "bets/auth-login.md",
        "plans/max-5x.md",
        "pricing/anthropic.md",
    ):
        path = vault / rel
        text = path.read_text()
        text = "\n".join(ln for ln in text.split("\n") if not ln.startswith("tags:"))
        path.write_text(text.replace("---\n", "---\n" + obsidian, 1))
    v = load_vault(vault)
    assert v.bet("auth-login").tags == ("a", "b")


TASKS = """---
cycle: "[[2026-11]]"
appetite: 40%
---

# Tasks

- [x] done one
- [ ] open one
- [X] done with a capital X
* [ ] a star bullet

Some text with a [ ] that is not a task.

```markdown
- [ ] inside a fenced block: not a task
```

~~~
- [x] inside a tilde fence: not a task
~~~

    - [ ] indented code: not a task

1. [ ] an ordered item
- [ ]no space after the box: not a task
- [ ]
- plain item
  - [ ] nested open one
"""


def test_tasks_are_read_from_the_body_with_file_lines(vault):
    write(vault, "bets/auth-login.md", TASKS)
    tasks = load_vault(vault).bet("auth-login").tasks
    lines = TASKS.split("\n")
    assert [(t.text, t.done) for t in tasks] == [
        ("done one", True),
        ("open one", False),
        ("done with a capital X", True),
        ("a star bullet", False),
        ("an ordered item", False),
        ("", False),
        ("nested open one", False),
    ]
    for t in tasks:  # Task.line is the 1-based line of the file
        assert t.text in lines[t.line - 1], t


def test_blank_lines_around_the_frontmatter_keep_line_numbers(vault):
    text = "---\n\ncycle: 2026-11\n\nappetite: 40%\n---\n\n\n- [ ] first\n\n- [x] second\n"
    write(vault, "bets/auth-login.md", text)
    bet = load_vault(vault).bet("auth-login")
    assert (bet.line("cycle"), bet.line("appetite")) == (3, 5)
    assert bet.tasks == (
        Task(text="first", done=False, line=9),
        Task(text="second", done=True, line=11),
    )


def test_crlf_and_byte_order_mark_are_read(vault):
    text = "\ufeff---\r\ncycle: 2026-11\r\nappetite: 40%\r\n---\r\n- [ ] one\r\n- [x] two\r\n"
    (vault / "bets/auth-login.md").write_bytes(text.encode("utf-8"))
    bet = load_vault(vault).bet("auth-login")
    assert bet.line("appetite") == 3
    assert [(t.text, t.done, t.line) for t in bet.tasks] == [("one", False, 5), ("two", True, 6)]


def test_money_is_exact_decimal(vault):
    cycle = vault / "cycles/2026-11.md"
    cycle.write_text(cycle.read_text().replace("budget_usd: 30", "budget_usd: 0.3"))
    write(
        vault,
        "bets/billing-fix.md",
        '---\ncycle: "[[2026-11]]"\nappetite_usd: "$1,200.10"\n---\n',
    )
    v = load_vault(vault)
    cycle_ = v.cycle("2026-11")
    assert type(cycle_.budget_usd) is Decimal
    assert cycle_.budget_usd == Decimal("0.3")
    assert str(cycle_.budget_usd) == "0.3"  # not 0.299999999999999988897769753748
    assert cycle_.reserve == Decimal("0.1")
    assert v.bet("billing-fix").appetite.usd == Decimal("1200.10")
    sonnet = next(m for m in v.models if "claude-sonnet-4-5*" in m.patterns)
    rates = sonnet.entries[0].rates
    assert type(rates.cache_read) is Decimal
    assert rates.cache_read == Decimal("0.3")
    for model in v.models:
        for entry in model.entries:
            for kind in ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read"):
                assert type(entry.rates.of(kind)) is Decimal, (model.name, kind)
            assert entry.fast is None or type(entry.fast) is Decimal
            assert all(type(m) is Decimal for _, m in entry.geo)


ACME = """---
provider: acme
web_search:
  - from: 2026-06-01
    usd_per_1000: 12
  - from: 2025-01-01
    usd_per_1000: 10
models:
  - match: acme-1*
    prices:
{entries}---
"""
ENTRY = """      - from: {day}
        input: {rate}
        output: 5
        cache_write_5m: 1.25
        cache_write_1h: 2
        cache_read: 0.1
"""


def test_prices_are_sorted_by_date(vault):
    days = ["2026-09-01", "2025-03-01", "2026-01-15"]
    entries = "".join(ENTRY.format(day=d, rate=i + 1) for i, d in enumerate(days))
    write(vault, "pricing/acme.md", ACME.format(entries=entries))
    v = load_vault(vault)
    acme = next(m for m in v.models if m.patterns == ("acme-1*",))
    assert acme.name == "acme-1*"
    assert [(e.start, e.rates.input) for e in acme.entries] == [
        (date(2025, 3, 1), Decimal(2)),
        (date(2026, 1, 15), Decimal(3)),
        (date(2026, 9, 1), Decimal(1)),
    ]
    assert [w.start for w in v.web_search] == sorted(w.start for w in v.web_search)
    assert [w.usd for w in v.web_search if w.start.year >= 2025][-2:] == [Decimal(10), Decimal(12)]
    for model in v.models:
        starts = [e.start for e in model.entries]
        assert starts == sorted(starts), model.name


def test_the_example_vault_loads(vault):
    v = load_vault(vault)
    assert [c.id for c in v.cycles] == ["2026-11"]
    assert [b.id for b in v.bets] == [
        "auth-login",
        "billing-fix",
        "cafe-ui",
        "dark-mode",
        "data-pipeline",
    ]
    auth = v.bet("auth-login")
    assert auth.appetite.share == Decimal("0.4")
    assert auth.max_iterations == 12
    assert [r.branch for r in auth.rules] == ["feature/auth-*"]
    assert [(t.done, t.line) for t in auth.tasks] == [
        (True, 15),
        (True, 16),
        (False, 17),
        (False, 18),
    ]
    assert v.settings.alert_thresholds == (75, 90, 100)
    assert [p.id for p in v.plans] == ["max-5x"]
