"""Reading many Claude Code log files: on two cores when there is enough to read.

The files are split into two shares of about equal bytes; a forked child reads one share while
this process reads the other, each joining its responses into one dict, and the child sends
back one compact blob (marshal of plain tuples). Joining records is commutative, associative
and idempotent, so the result is the same however the files are shared out. When the child
fails, this process reads its share itself. Big reads use the typed decoder
(`claude_fast`); small ones do without it (its import costs more than it saves).
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from typing import Any

from tokenbook import forked
from tokenbook.events import LimitEvent
from tokenbook.forked import in_two
from tokenbook.sources.claude_reader import EPOCH
from tokenbook.sources.claude_reader import micros
from tokenbook.sources.claude_records import Record
from tokenbook.sources.claude_records import join
from tokenbook.sources.claude_scan import Decide
from tokenbook.sources.claude_scan import FileScan
from tokenbook.sources.claude_scan import read_error
from tokenbook.sources.claude_scan import scan

Job = tuple[str, int, int]  # path, start offset, lines before it
Progress = Callable[[int, int, int, int], None]  # bytes done, bytes total, files done, total
FAST_BYTES = 4_000_000  # below this the typed decoder's import costs more than it saves
PARALLEL_BYTES = 8_000_000  # below this a second process costs more than it saves


@dataclass(slots=True)
class Scanned:
    """What one read of many files found: each file's scan in job order (their `responses` are
    the shared dict), and every response and usage-limit event joined across files."""

    files: list[FileScan] = field(default_factory=list)
    responses: dict[str, Record] = field(default_factory=dict)
    limits: dict[str, LimitEvent] = field(default_factory=dict)

    def add_limits(self, found: dict[str, LimitEvent]) -> None:
        for key, limit in found.items():
            known = self.limits.get(key)
            self.limits[key] = limit if known is None else min(known, limit)


def read_jobs(
    jobs: Sequence[Job],
    sizes: dict[str, int],
    progress: Progress | None = None,
    *,
    fast: bool | None = None,
    cores: int | None = None,
) -> Scanned:
    """Read `jobs` (`sizes`: each file's size, for balancing); `fast` and `cores` default to
    what the amount of bytes makes worth it."""
    todo = sum(max(0, sizes.get(p, 0) - start) for p, start, _ in jobs)
    decide = _decider(todo >= FAST_BYTES if fast is None else fast)
    cores = forked.cores() if cores is None else cores
    if cores < 2 or todo < PARALLEL_BYTES or len(jobs) < 2 or not hasattr(os, "fork"):
        return _share(list(jobs), decide, _Reporter(progress, todo, len(jobs), todo, len(jobs)))
    mine, theirs = _split(jobs, sizes)
    own_bytes = sum(sizes.get(p, 0) - s for p, s, _ in mine)
    reporter = _Reporter(progress, todo, len(jobs), own_bytes, len(mine))
    other, own = _in_two(theirs, decide, lambda: _share(mine, decide, reporter))
    merged = _merge(own, other)
    order = {job[0]: n for n, job in enumerate(jobs)}
    merged.files.sort(key=lambda s: order[s.path])
    if progress is not None:
        progress(todo, todo, len(jobs), len(jobs))
    return merged


def _decider(fast: bool) -> Decide | None:
    if not fast:
        return None
    from tokenbook.sources.claude_fast import decide

    return decide


def _split(jobs: Sequence[Job], sizes: dict[str, int]) -> tuple[list[Job], list[Job]]:
    """Two shares of about equal bytes: the largest files first, each to the lighter share."""
    shares: tuple[list[Job], list[Job]] = ([], [])
    load = [0, 0]
    for job in sorted(jobs, key=lambda j: (j[1] - sizes.get(j[0], 0), j[0])):
        i = 0 if load[0] <= load[1] else 1
        shares[i].append(job)
        load[i] += sizes.get(job[0], 0) - job[1]
    return shares


class _Reporter:
    """Progress of this process's share, scaled to the whole read."""

    def __init__(self, progress: Progress | None, todo: int, files: int, own: int, mine: int):
        self.progress, self.todo, self.files = progress, todo, files
        self.scale, self.file_scale = todo / max(own, 1), files / max(mine, 1)
        self.done = self.count = 0

    def __call__(self, s: FileScan) -> None:
        self.done += s.read
        self.count += 1
        if self.progress is not None:
            done = min(self.todo, int(self.done * self.scale))
            self.progress(
                done, self.todo, min(self.files, round(self.count * self.file_scale)), self.files
            )


def _share(jobs: list[Job], decide: Decide | None, report: Callable[[FileScan], None]) -> Scanned:
    out = Scanned()
    for path, start, lines in jobs:
        try:
            s = scan(path, start, lines, decide, out.responses)
        except OSError as e:  # an I/O error mid-file: what was read before it is not kept
            s = read_error(path, start, lines, e)
        out.add_limits(s.limits)
        s.limits = {}
        out.files.append(s)
        report(s)
    return out


def _in_two(
    theirs: list[Job], decide: Decide | None, own: Callable[[], Scanned]
) -> tuple[Scanned, Scanned]:
    """Read `theirs` in a forked child while `own()` runs here; (theirs, own)."""
    blob, mine = in_two(lambda: marshal.dumps(_pack(_share(theirs, decide, lambda _: None))), own)
    other = _unpack(blob) if blob is not None else None
    if other is None:  # the child failed: read its share here
        other = _share(theirs, decide, lambda _: None)
    return other, mine


def _pack(s: Scanned) -> Any:
    files = [
        [f.path, f.start, f.offset, f.lines, f.size, f.skipped, f.tail, f.missing, f.failed, f.mark]
        for f in s.files
    ]
    for f, packed in zip(s.files, files, strict=True):
        packed.append(list(f.keys))
    limits = {k: (micros(v.at), micros(v.reset_at), v.session) for k, v in s.limits.items()}
    return (files, s.responses, limits)


def _unpack(blob: bytes) -> Scanned | None:
    try:
        files, responses, limits = marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return None
    out = Scanned(responses=responses)
    for path, start, offset, lines, size, skipped, tail, missing, failed, mark, keys in files:
        out.files.append(
            FileScan(
                path,
                start,
                offset,
                lines,
                size,
                skipped,
                tail,
                responses,
                {},
                missing,
                failed,
                mark,
                dict.fromkeys(keys),
            )
        )
    for key, (at, reset_at, session) in limits.items():
        out.limits[key] = LimitEvent(at=_time(at), reset_at=_time(reset_at), session=session)
    return out


def _time(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _merge(a: Scanned, b: Scanned) -> Scanned:
    responses = a.responses
    for key, rec in b.responses.items():
        known = responses.get(key)
        responses[key] = rec if known is None else join(known, rec)
    a.add_limits(b.limits)
    for s in b.files:
        s.responses = responses
    a.files += b.files
    return a
