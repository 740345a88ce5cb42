"""`export --sqlite FILE`: the export rows as a SQLite table `usage`, same columns as the CSV.

The file is written whole (a temp file, then a rename) and marked with SQLite's
`application_id`, so a later export replaces only a file an earlier export wrote: any other
file at that path (a database of another program, a document) is refused, never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from tokenbook.errors import TokenbookError
from tokenbook.fileio import FileError
from tokenbook.ledger import TOKEN_COLUMNS

APPLICATION_ID = 0x746B6278  # "tkbx": a tokenbook export
TABLE = "usage"
INTEGERS = frozenset({"prompt_over", "responses", *TOKEN_COLUMNS, "web_search", "web_fetch"})
_HEADER = b"SQLite format 3\x00"


def is_export(path: Path) -> bool:
    """Whether `path` is a SQLite file with tokenbook's application id (header bytes 68-71)."""
    with path.open("rb") as f:
        head = f.read(72)
    return head[:16] == _HEADER and int.from_bytes(head[68:72], "big") == APPLICATION_ID


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise TokenbookError(f"{path}: is a folder; give a file name such as usage.sqlite")
    if not path.exists():
        return
    try:
        ours = is_export(path)
    except OSError as e:
        raise FileError(path, e, "read this file") from None
    if not ours:
        raise TokenbookError(
            f"{path}: exists and is not a tokenbook export, so it is not overwritten; "
            "choose another file name, or delete the file first"
        )


def write_sqlite(columns: tuple[str, ...], records: list[dict[str, Any]], path: Path) -> None:
    """Replace `path` with a database holding `records` in table `usage`."""
    _check_target(path)
    kinds = ", ".join(f'"{c}" {"INTEGER" if c in INTEGERS else "TEXT"}' for c in columns)
    marks = ", ".join("?" for _ in columns)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as e:
        raise FileError(path, e, "write this file") from None
    try:
        with contextlib.closing(sqlite3.connect(tmp)) as db:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"CREATE TABLE {TABLE} ({kinds})")
            db.executemany(
                f"INSERT INTO {TABLE} VALUES ({marks})",
                ([r[c] for c in columns] for r in records),
            )
            db.commit()
        os.replace(tmp, path)
    except sqlite3.Error as e:
        raise TokenbookError(f"{path}: cannot write the export ({e}); check the folder") from None
    except OSError as e:
        raise FileError(path, e, "write this file") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
