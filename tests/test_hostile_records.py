"""A pull request can change `ledgers/<bet>.tsv` too: hostile values in a record file render
inert, and a broken one is a located error with nothing written."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run
from tests.helpers import snapshot
from tokenbook.events import Tokens
from tokenbook.recordfile import format_records
from tokenbook.records import Context
from tokenbook.records import Rec

HOSTILE = "a|b\nc **x** `y` <script>[[z]]\t\\ \u2028 \x1b[31m ~~s~~"


def _write(vault: Path, text: str) -> Path:
    path = vault / "ledgers" / "auth-login.tsv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def test_hostile_values_in_a_record_file_render_inert(capsys: Any, vault: Path) -> None:
    ctx = Context(session=HOSTILE, project=HOSTILE, branch=HOSTILE, model=HOSTILE, agent=HOSTILE)
    rec = Rec(
        id="0123456789abcdef01234567",
        ctx=ctx,
        at=datetime(2026, 11, 3, 10, tzinfo=UTC),
        tokens=Tokens(input=999_999_999_999_999, output=1),
    )
    _write(vault, format_records([rec]))
    assert run(capsys, "check", "--vault", vault)[0] == 0
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", vault / "none")
    assert code == 0, err
    for name in ("ledgers/auth-login.md", "cost-dashboard.md", "progress/auth-login.md"):
        text = (vault / name).read_text(encoding="utf-8")
        assert "<script>" not in text, name
        for line in text.split("\n"):
            if line.startswith("| 2026"):  # a table row is still one row of its table
                assert "\u2028" not in line, name
    records = (vault / "ledgers" / "auth-login.tsv").read_text(encoding="utf-8", errors="replace")
    assert all(ln[:2] in ("c\t", "r\t", "# ") for ln in records.split("\n") if ln)
    assert run(capsys, "report", "session", "--json", "--vault", vault)[0] == 0


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "r\t0123456789abcdef01234567\tffffffffffff\t2026-11-03T10:00:00.000Z"
            "\t1\t1\t0\t0\t0\t0\t0\t",
            "which no `c` line defines",
        ),
        (
            "r\tnot-hex\tffffffffffff\t2026-11-03T10:00:00.000Z\t1\t1\t0\t0\t0\t0\t0\t",
            "record id must be 24 hex digits",
        ),
        (
            "c\tffffffffffff\tclaude-code\ts\tp\tb\t\t\tm\tstandard\t\tmain\t\t\t",
            "does not match its fields",
        ),
        (
            "c\tffffffffffff\tclaude-code\ts\\q\tp\tb\t\t\tm\tstandard\t\tmain\t\t\t",
            "unknown escape",
        ),
        ("x\tanything", "unknown line kind"),
        (
            "c\tffffffffffff\tclaude-code\ts\\ud800\tp\tb\t\t\tm\tstandard\t\tmain\t\t\t",
            "lone surrogate",
        ),
    ],
    ids=["unknown-context", "bad-id", "edited-context", "bad-escape", "unknown-kind", "surrogate"],
)
def test_a_broken_record_file_is_a_located_error(
    capsys: Any, vault: Path, line: str, reason: str
) -> None:
    path = _write(vault, format_records([]) + line + "\n")
    before = snapshot(vault)
    for command in ("check", "sync", "report"):
        args = ["report", "daily"] if command == "report" else [command]
        code, _, err = run(
            capsys, *args, "--vault", vault, *(["--logs", vault] if command == "sync" else [])
        )
        assert code == 1, command
        assert f"{path}:2: " in err
        assert reason in err
        assert "Traceback" not in err
    assert snapshot(vault) == before


def test_a_count_too_large_for_a_record_is_refused(capsys: Any, vault: Path) -> None:
    rec = Rec(
        id="0123456789abcdef01234567",
        ctx=Context(session="s", model="m"),
        at=datetime(2026, 11, 3, 10, tzinfo=UTC),
        tokens=Tokens(input=10**16),
    )
    path = _write(vault, format_records([rec]))
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert f"{path}:3: input must be a whole number" in err
