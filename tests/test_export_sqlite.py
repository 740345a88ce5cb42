"""`tokenbook export --sqlite FILE`: the CSV's rows and columns in a SQLite table `usage`, and
never over a file an export did not write."""

from __future__ import annotations

import contextlib
import csv
import io
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import run
from tests.test_export import synced  # noqa: F401  (a fixture)
from tokenbook.export import COLUMNS


def _table(path: Path) -> tuple[list[str], list[tuple[object, ...]]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        cursor = db.execute("SELECT * FROM usage")
        return [d[0] for d in cursor.description], cursor.fetchall()


def test_sqlite_holds_the_csv_rows_with_typed_numbers(capsys, synced, tmp_path):  # noqa: F811
    target = tmp_path / "usage.sqlite"
    code, out, err = run(capsys, "export", "--sqlite", target, "--vault", synced)
    assert (code, err) == (0, "")
    assert out == f"wrote 2 row(s) to {target}, table `usage`\n"
    names, rows = _table(target)
    assert names == list(COLUMNS)
    csv_rows = list(
        csv.DictReader(io.StringIO(run(capsys, "export", "--csv", "--vault", synced)[1]))
    )
    as_text = [
        {n: "" if v is None else str(v) for n, v in zip(names, r, strict=True)} for r in rows
    ]
    assert as_text == csv_rows
    assert isinstance(rows[0][names.index("input")], int)
    assert rows[1][names.index("cost_usd")] is None  # unpriced: NULL, with the reason
    assert rows[1][names.index("unpriced")].startswith("no price for claude-experimental-9")


def test_an_earlier_export_is_replaced(capsys, synced, tmp_path):  # noqa: F811
    target = tmp_path / "usage.sqlite"
    assert run(capsys, "export", "--sqlite", target, "--vault", synced)[0] == 0
    code, _, _ = run(capsys, "export", "--sqlite", target, "--bet", "auth-login", "--vault", synced)
    assert code == 0
    assert len(_table(target)[1]) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("kind", ["text", "other-database", "empty", "folder"])
def test_a_file_no_export_wrote_is_never_overwritten(capsys, synced, tmp_path, kind):  # noqa: F811
    target = tmp_path / "precious.db"
    if kind == "text":
        target.write_text("my notes\n")
    elif kind == "other-database":
        with contextlib.closing(sqlite3.connect(target)) as db:
            db.execute("CREATE TABLE usage (x)")
            db.commit()
    elif kind == "empty":
        target.touch()
    else:
        target.mkdir()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    code, out, err = run(capsys, "export", "--sqlite", target, "--vault", synced)
    assert (code, out) == (1, "")
    if kind == "folder":
        assert err == f"{target}: is a folder; give a file name such as usage.sqlite\n"
    else:
        assert err == (
            f"{target}: exists and is not a tokenbook export, so it is not overwritten; "
            "choose another file name, or delete the file first\n"
        )
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
