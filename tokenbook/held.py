"""Which responses each Claude Code log file holds, kept beside the sync cache (`held.bin`).

`status` (plan windows) and `report blocks` take a response from the logs while a log still
holds it, and fall back to ledger rows for usage whose logs are gone (Claude Code deletes old
logs). They learn what the logs hold without reading them again: per log file, the offset the
sync cache has read it to and the ids of the records found up to there; only the bytes after
that offset are read (`cache.SyncCache.peek`). An entry whose offset is not the sync cache's is
not used: that file is read again.
"""

from __future__ import annotations

import marshal
import re
from collections.abc import Iterable
from pathlib import Path

from tokenbook import cachefile
from tokenbook.records import record_id
from tokenbook.sources.claude_reader import NAME
from tokenbook.sources.claude_scan import FileScan

HELD_FILE = "held.bin"
ID_DIGITS = 24
Held = dict[str, tuple[int, str]]  # log path → (offset read to, its record ids, concatenated)
_MAGIC = b"tokenbook held 1\n"


def ids_of(keys: Iterable[str]) -> dict[str, str]:
    """Record id of each log key (`message.id` NUL `requestId`)."""
    out = {}
    for key in keys:
        mid, _, rid = key.partition("\x00")
        out[key] = record_id(NAME, mid, rid)
    return out


def ids(entry: tuple[int, str]) -> set[str]:
    text = entry[1]
    return {text[i : i + ID_DIGITS] for i in range(0, len(text), ID_DIGITS)}


def held_ids(held: Held, paths: Iterable[str]) -> set[str]:
    """The ids of the records the files `paths` hold (all at once: one split of their ids)."""
    return set(_ID.findall("".join(held[p][1] for p in paths if p in held)))


_ID = re.compile(f".{{{ID_DIGITS}}}", re.DOTALL)


def note(held: Held, scans: Iterable[FileScan], known: dict[str, str]) -> bool:
    """Add what `scans` read (`known`: the record id of each key); whether anything changed."""
    changed = False
    for s in scans:
        if s.missing or s.failed:
            changed |= held.pop(s.path, None) is not None
            continue
        found = {known[k] for k in s.keys}
        if s.start > 0 and s.path in held:
            found |= ids(held[s.path])
        entry = (s.offset, "".join(sorted(found)))
        if held.get(s.path) != entry:
            held[s.path], changed = entry, True
    return changed


def keep_only(held: Held, paths: Iterable[str]) -> bool:
    """Forget the files that are gone; whether any was."""
    gone = set(held) - set(paths)
    for path in gone:
        del held[path]
    return bool(gone)


def load(root: Path) -> Held:
    try:
        with open(root / cachefile.CACHE_DIR / HELD_FILE, "rb") as f:
            if f.read(len(_MAGIC)) != _MAGIC:
                return {}
            data = marshal.loads(f.read())
        return {str(p): (int(offset), str(text)) for p, (offset, text) in data.items()}
    except (OSError, EOFError, ValueError, TypeError, AttributeError):
        return {}


def save(root: Path, held: Held) -> None:
    cachefile.write(root / cachefile.CACHE_DIR / HELD_FILE, b"", held, magic=_MAGIC)
