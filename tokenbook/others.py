"""The agents besides Claude Code (Codex CLI, OpenCode, Gemini CLI) as ledger records.

Each is read whole (`sources/<agent>.read`) when any of its files changed since the last sync
(a fingerprint of names, sizes and times in the sync cache), and its responses are joined into
the records like Claude Code's: reading the same history twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from tokenbook.events import Skipped
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.records import ms
from tokenbook.records import record_id
from tokenbook.syncindex import others_fingerprint

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tokenbook.sources.base import Response

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(slots=True)
class OtherRead:
    records: list[Rec] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


def fingerprint(dirs: Mapping[str, Sequence[Path]]) -> Fingerprint:
    """Every file below the agents' folders: path, size, mtime."""
    return others_fingerprint({name: list(paths) for name, paths in dirs.items()})


def read_others(dirs: Mapping[str, Sequence[Path]]) -> OtherRead:
    from tokenbook.sources.registry import SOURCES  # the agents' readers: only when any is read

    out = OtherRead()
    for name in sorted(dirs):
        source = SOURCES.get(name)
        if source is None or not dirs[name]:
            continue
        found = source.read(dirs[name])
        out.records += [to_rec(r) for r in found.responses]
        out.skipped += found.skipped
        out.files += found.files
        out.bytes += found.bytes
    return out


def to_rec(r: Response) -> Rec:
    ctx = Context(
        source=r.source,
        session=r.session,
        project=r.project,
        branch=r.branch,
        agent_id=r.agent_id,
        agent=r.agent,
        model=r.model,
        speed=r.speed,
        geo=r.geo,
        main=r.main,
    )
    return Rec(
        id=record_id(r.source, r.key, ""),
        ctx=ctx,
        at=ms(r.at),
        tokens=r.tokens,
        web_search=r.web_search,
        web_fetch=r.web_fetch,
    )
