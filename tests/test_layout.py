"""Fitting a table to a width: clip text, then drop cache columns, abbreviate, drop the rest."""

from __future__ import annotations

from tokenbook.layout import Column
from tokenbook.layout import clip
from tokenbook.layout import fit
from tokenbook.term import shown_width


def columns(label: str = "a-rather-long-label") -> list[Column]:
    def number(header: str, drop: int) -> Column:
        return Column(header=header, cells=["1,234,567"], short=["1.2M"], right=True, drop=drop)

    return [
        Column(header="Label", cells=[label], clip=8, keep_end=True),
        number("Input", 3),
        number("Output", 4),
        number("Cache write", 1),
        number("Cache read", 2),
        Column(header="Cost", cells=["≥$1.00"], right=True),
    ]


def headers(lines: list[str]) -> list[str]:
    return lines[0].replace("Cache ", "Cache_").split()


def test_a_wide_table_is_left_whole():
    lines = fit(columns(), 200)
    assert headers(lines) == ["Label", "Input", "Output", "Cache_write", "Cache_read", "Cost"]
    assert lines[2].split()[0] == "a-rather-long-label"
    assert lines[2].endswith("  ≥$1.00")  # numbers right-aligned


def test_each_step_is_taken_only_when_the_one_before_is_not_enough():
    whole = max(map(shown_width, fit(columns(), 200)))
    steps = []
    for width in range(whole, 20, -1):
        lines = fit(columns(), width)
        assert max(map(shown_width, lines)) <= width, width
        steps.append((tuple(headers(lines)), lines[2].split()[1], lines[2].split()[0]))
    kept = [s[0] for s in steps]
    order = list(dict.fromkeys(kept))
    assert order == [
        ("Label", "Input", "Output", "Cache_write", "Cache_read", "Cost"),
        ("Label", "Input", "Output", "Cache_read", "Cost"),
        ("Label", "Input", "Output", "Cost"),
        ("Label", "Output", "Cost"),
        ("Label", "Cost"),
    ]
    # Before a column goes, the label is clipped (keeping its end); numbers are abbreviated
    # only once the cache columns are gone.
    first_drop = kept.index(order[1])
    assert steps[first_drop - 1][2] == "…g-label"  # 8 wide: the narrowest it may be
    assert {s[1] for s in steps if s[0] == order[1]} == {"1,234,567"}
    assert {s[1] for s in steps if s[0] == order[3]} == {"1.2M"}


def test_the_totals_row_gets_a_rule_and_sub_lines_keep_their_indent():
    cols = [
        Column(header="Bet", cells=["alpha", "  a-model-name", "Total"], clip=6),
        Column(header="Cost", cells=["$1.00", "$1.00", "$1.00"], right=True),
    ]
    lines = fit(cols, 13)
    assert lines == [
        "Bet      Cost",
        "------  -----",
        "alpha   $1.00",
        "  a-m…  $1.00",
        "------  -----",
        "Total   $1.00",
    ]
    assert fit(cols, 13, totals=False)[-2:] == ["  a-m…  $1.00", "Total   $1.00"]


def test_clip_marks_what_it_cut():
    assert clip("/home/dev/src/webapp", 10, keep_end=True) == "…rc/webapp"
    assert clip("opus-4-5, sonnet-4-5", 10) == "opus-4-5,…"
    assert clip("short", 10) == "short"
    assert clip("🟢 a-bet-name", 6) == "🟢 a-…"
