"""Recurring cycles: `repeat:` makes the next cycle in memory when the last one ends,
`current_cycle`/`cycle_warning` say which cycle holds today, `cycle next` writes the files, and
`init` writes a cycle for each past month the logs hold usage in."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import write_log
from tokenbook.cycles import current_cycle
from tokenbook.cycles import cycle_warning
from tokenbook.cycles import parse_repeat
from tokenbook.fields import Invalid
from tokenbook.history import CHUNK
from tokenbook.history import span
from tokenbook.model import Repeat
from tokenbook.vault import load_vault


def set_cycle(vault: Path, name: str, start: str, end: str, *extra: str) -> Path:
    path = vault / "cycles" / f"{name}.md"
    lines = ["---", f"start: {start}", f"end: {end}", "budget_usd: 30", *extra, "---", "# c", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def set_settings(vault: Path, *lines: str) -> None:
    (vault / "tokenbook.md").write_text("\n".join(["---", *lines, "---", "# s", ""]))


def span_of(vault: Path, day: str) -> str | None:
    c = current_cycle(load_vault(vault), date.fromisoformat(day))
    return None if c is None else f"{c.id}: {c.start} → {c.end}{' *' if c.derived_from else ''}"


# -------------------------------------------------------------------------------- repeat values


@pytest.mark.parametrize(
    ("text", "repeat", "shown"),
    [
        ("monthly", Repeat("month"), "monthly"),
        ("Weekly", Repeat("day", 7), "weekly"),
        ("daily", Repeat("day"), "daily"),
        ("every 14 days", Repeat("day", 14), "every 14 days"),
        ("every  2 weeks", Repeat("day", 14), "every 14 days"),
        ("every 1 week", Repeat("day", 7), "weekly"),
        ("every 3 months", Repeat("month", 3), "every 3 months"),
        ("never", Repeat("never", 0), "never"),
        (False, Repeat("never", 0), "never"),  # YAML reads `repeat: no` as false
    ],
)
def test_repeat_values(text, repeat, shown):
    assert parse_repeat(text) == repeat
    assert str(repeat) == shown


@pytest.mark.parametrize("text", ["fortnightly", "every 0 days", "every 3661 days", True, 7, ""])
def test_bad_repeat_values_say_what_to_write(text):
    with pytest.raises(Invalid, match="is not a repeat; write `monthly`, `weekly`"):
        parse_repeat(text)


# ------------------------------------------------------------------------- which cycle is today


def test_without_repeat_a_cycle_ends_and_today_is_in_none(vault):
    assert span_of(vault, "2026-11-15") == "2026-11: 2026-11-02 → 2026-11-29"
    assert span_of(vault, "2026-11-30") is None
    v = load_vault(vault)
    assert cycle_warning(v, date(2026, 11, 15)) is None
    assert cycle_warning(v, date(2026, 12, 3)) == (
        "today (2026-12-03) is in no cycle: the last one, `2026-11`, ended on 2026-11-29; "
        "usage from today on goes to `unassigned` until a cycle holds it. Run `tokenbook cycle "
        "next --repeat monthly` to write the next, or add `repeat: monthly` (or weekly, every N "
        f"days) to {vault / 'cycles' / '2026-11.md'}"
    )
    assert cycle_warning(v, date(2026, 10, 1)) == (
        "today (2026-10-01) is in no cycle: the first, `2026-11`, starts on 2026-11-02; add a "
        "cycle file under cycles/ that holds it to count that usage against a budget"
    )


def test_a_monthly_cycle_of_part_of_a_month_keeps_its_length(vault):
    set_cycle(vault, "2026-11", "2026-11-02", "2026-11-29", "repeat: monthly")
    assert span_of(vault, "2026-11-29") == "2026-11: 2026-11-02 → 2026-11-29"
    assert span_of(vault, "2026-12-02") == "2026-12: 2026-12-02 → 2026-12-29 *"
    assert span_of(vault, "2027-03-05") == "2027-03: 2027-03-02 → 2027-03-29 *"
    # The days between are a cooldown, as between the files' cycles.
    assert span_of(vault, "2026-12-31") is None
    assert cycle_warning(load_vault(vault), date(2026, 12, 31)) == (
        "today (2026-12-31) is in no cycle: `2026-11` ended on 2026-11-29 and `2027-01` starts "
        "on 2027-01-02 (a cooldown?); usage from today on goes to `unassigned` until a cycle "
        "holds it"
    )


def test_whole_months_stay_whole_months_with_the_same_budget(vault):
    set_cycle(vault, "2026-11", "2026-11-01", "2026-11-30", "budget_tokens: 9000", "reserve: 5%")
    set_settings(vault, "timezone: UTC", "cycle_repeat: monthly")
    assert span_of(vault, "2027-02-28") == "2027-02: 2027-02-01 → 2027-02-28 *"
    made = current_cycle(load_vault(vault), date(2028, 2, 29))
    assert made is not None
    assert (made.id, made.start, made.end) == ("2028-02", date(2028, 2, 1), date(2028, 2, 29))
    assert (made.budget_usd, made.budget_tokens, str(made.reserve)) == (30, 9000, "0.05")
    assert made.derived_from == "2026-11"
    assert made.path == str(vault / "cycles" / "2028-02.md")


def test_a_cycle_from_the_31st_moves_to_the_last_day_of_short_months(vault):
    set_cycle(vault, "2026-11", "2027-01-31", "2027-02-27", "repeat: monthly")
    assert span_of(vault, "2027-03-01") == "2027-02: 2027-02-28 → 2027-03-30 *"
    assert span_of(vault, "2027-04-15") == "2027-03: 2027-03-31 → 2027-04-29 *"


def test_weekly_and_shape_up_cadences(vault):
    set_cycle(vault, "2026-11", "2026-11-02", "2026-11-08", "repeat: weekly")
    assert span_of(vault, "2026-11-25") == "2026-11-23: 2026-11-23 → 2026-11-29 *"
    # Six weeks of building, two of cooldown: every 8 weeks.
    set_cycle(vault, "2026-11", "2026-11-02", "2026-12-13", "repeat: every 8 weeks")
    assert span_of(vault, "2026-12-20") is None  # the cooldown
    assert span_of(vault, "2027-01-05") == "2026-12-28: 2026-12-28 → 2027-02-07 *"


def test_a_cycle_that_says_never_overrides_the_settings(vault):
    set_cycle(vault, "2026-11", "2026-11-02", "2026-11-29", "repeat: no")
    set_settings(vault, "timezone: UTC", "cycle_repeat: monthly")
    assert span_of(vault, "2026-12-05") is None


def test_only_the_last_cycle_repeats_and_a_file_wins_over_a_derived_cycle(vault):
    set_cycle(vault, "2026-11", "2026-11-02", "2026-11-29", "repeat: monthly")
    set_cycle(vault, "2026-12", "2026-12-07", "2026-12-20")
    assert span_of(vault, "2026-12-05") is None  # 2026-12 has a file now: it does not repeat
    assert span_of(vault, "2026-12-10") == "2026-12: 2026-12-07 → 2026-12-20"
    assert span_of(vault, "2027-01-02") is None


def test_no_cycle_at_all(vault):
    (vault / "cycles" / "2026-11.md").unlink()
    for bet in (vault / "bets").glob("*.md"):
        bet.unlink()
    v = load_vault(vault)
    assert current_cycle(v, date(2026, 11, 3)) is None
    assert cycle_warning(v, date(2026, 11, 3)) == (
        "today (2026-11-03) is in no cycle: the vault has none; add one under cycles/ "
        "(see docs/cycles.md)"
    )


def test_a_far_future_day_does_not_crash(vault):
    set_cycle(vault, "2026-11", "2026-11-02", "2026-11-29", "repeat: daily")
    assert span_of(vault, "9999-12-31") is None
    assert cycle_warning(load_vault(vault), date(9999, 12, 31)) is not None


# ------------------------------------------------------------------------------- cycle next/list


def test_cycle_next_writes_every_cycle_up_to_today(capsys, vault):
    set_cycle(vault, "2026-11", "2026-11-01", "2026-11-30", "repeat: monthly")
    code, out, err = run(capsys, "cycle", "next", "--vault", vault, "--as-of", "2027-01-10")
    assert (code, err) == (0, "")
    assert out == (
        f"wrote {vault}/cycles/2026-12.md: 2026-12-01 -> 2026-12-31, $30\n"
        f"wrote {vault}/cycles/2027-01.md: 2027-01-01 -> 2027-01-31, $30\n"
    )
    assert (vault / "cycles" / "2027-01.md").read_text() == (
        "---\nstart: 2027-01-01\nend: 2027-01-31\nbudget_usd: 30\nrepeat: monthly\n---\n"
        "# Cycle 2027-01\n\nWritten by `tokenbook cycle next` after `2026-12`.\n"
    )
    assert run(capsys, "check", "--vault", vault)[0] == 0
    # Today is held: the next one is written ahead.
    code, out, _ = run(capsys, "cycle", "next", "--vault", vault, "--as-of", "2027-01-10")
    assert out == f"wrote {vault}/cycles/2027-02.md: 2027-02-01 -> 2027-02-28, $30\n"


def test_cycle_next_needs_a_repeat(capsys, vault):
    code, out, err = run(capsys, "cycle", "next", "--vault", vault, "--as-of", "2026-12-01")
    assert (code, out) == (1, "")
    assert err == (
        f"{vault}/cycles/2026-11.md:1: cycle `2026-11` does not repeat; add `repeat: monthly` "
        "(or weekly, every N days) to it, or give `--repeat monthly`\n"
    )
    code, out, _ = run(
        capsys,
        "cycle",
        "next",
        "--vault",
        vault,
        "--repeat",
        "every 4 weeks",
        "--as-of",
        "2026-12-01",
    )
    assert code == 0
    text = (vault / "cycles" / "2026-11-30.md").read_text()
    assert "start: 2026-11-30\nend: 2026-12-27\nbudget_usd: 30\nbudget_tokens: 40000000\n" in text
    assert "reserve: 10%\nrepeat: every 28 days\n" in text


def test_a_bad_repeat_option_is_a_usage_error(capsys, vault):
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "cycle", "next", "--vault", vault, "--repeat", "sometimes")
    assert exit_.value.code == 2
    assert "'sometimes' is not a repeat" in capsys.readouterr().err


def test_cycle_list_marks_today_and_warns(capsys, vault):
    set_cycle(vault, "2026-11", "2026-11-02", "2026-11-29", "repeat: monthly")
    code, out, _ = run(capsys, "cycle", "list", "--vault", vault, "--as-of", "2026-12-05")
    assert code == 0
    assert out == (
        "2026-11    2026-11-02 -> 2026-11-29  $30 (repeats monthly)\n"
        "2026-12    2026-12-02 -> 2026-12-29  $30 (no file yet: made from `2026-11`)  <- today\n"
    )
    code, out, _ = run(capsys, "cycle", "list", "--vault", vault, "--as-of", "2026-12-01")
    assert out.endswith(
        "warning: today (2026-12-01) is in no cycle: `2026-11` ended on "
        "2026-11-29 and `2026-12` starts on 2026-12-02 (a cooldown?); usage from "
        "today on goes to `unassigned` until a cycle holds it\n"
    )


# ----------------------------------------------------------------------------- init and history


def months_ago(n: int, day: int = 10) -> datetime:
    first = date.today().replace(day=1)
    for _ in range(n):
        first = (first - timedelta(days=1)).replace(day=1)
    return datetime(first.year, first.month, day, 12, tzinfo=UTC)


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_init_writes_a_cycle_for_each_past_month_with_usage(capsys, tmp_path, logs):
    write_log(logs, "p/a.jsonl", [assistant("m1", ts=stamp(months_ago(4)))])
    # A session resumed two months later counts in every month between.
    resumed = [assistant("m2", ts=stamp(months_ago(3))), assistant("m3", ts=stamp(months_ago(1)))]
    write_log(logs, "p/b.jsonl", resumed)
    write_log(logs, "p/c.jsonl", [assistant("m4", ts=stamp(months_ago(0, 1)))])
    write_log(logs, "p/d.jsonl", ['{"type": "user", "timestamp": "2001-01-01T00:00:00Z"}'])
    code, out, err = run(capsys, "init", tmp_path / "v", "--logs", logs)
    assert (code, err) == (0, "")
    names = [f"{months_ago(n):%Y-%m}" for n in (4, 3, 2, 1)]
    assert f"past usage found in {logs}: a cycle for each of {', '.join(names)}\n" in out
    cycles = sorted(p.stem for p in (tmp_path / "v" / "cycles").glob("*.md"))
    assert cycles == [*names, f"{months_ago(0):%Y-%m}"]
    past = (tmp_path / "v" / "cycles" / f"{names[0]}.md").read_text()
    assert past.startswith(f"---\nstart: {months_ago(4):%Y-%m}-01\nend: ")
    assert "budget" not in past.split("---")[1]
    current = (tmp_path / "v" / "cycles" / f"{months_ago(0):%Y-%m}.md").read_text()
    assert "repeat: monthly\n" in current
    assert run(capsys, "check", "--vault", tmp_path / "v")[0] == 0
    assert run(capsys, "sync", "--vault", tmp_path / "v", "--logs", logs)[0] == 0


def test_init_without_history(capsys, tmp_path, logs):
    write_log(logs, "p/a.jsonl", [assistant("m1", ts=stamp(months_ago(2)))])
    code, out, _ = run(capsys, "init", tmp_path / "v", "--logs", logs, "--no-history")
    assert code == 0
    assert "past usage" not in out
    assert [p.stem for p in (tmp_path / "v" / "cycles").glob("*.md")] == [f"{months_ago(0):%Y-%m}"]


def test_init_reads_the_default_log_dirs(capsys, tmp_path):
    home = Path.home()  # a temp folder (autouse fixture)
    write_log(home / ".claude", "p/a.jsonl", [assistant("m1", ts=stamp(months_ago(1)))])
    code, out, _ = run(capsys, "init", tmp_path / "v")
    assert code == 0
    assert (
        f"past usage found in {home / '.claude'}: a cycle for each of {months_ago(1):%Y-%m}\n"
        in out
    )


def test_span_reads_only_the_ends_of_a_big_log(tmp_path):
    first, middle, last = months_ago(6), months_ago(4), months_ago(2)
    lines = [json.dumps(assistant("a", ts=stamp(first)))]
    lines += [json.dumps(assistant(f"x{i}", ts=stamp(middle))) for i in range(3 * CHUNK // 600)]
    lines += [json.dumps(assistant("z", ts=stamp(last)))]
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 2 * CHUNK
    assert span(path) == (first, last)
    path.write_text("not json\n" * 10)
    assert span(path) is None
    assert span(tmp_path / "missing.jsonl") is None
