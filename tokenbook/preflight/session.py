"""The conversation so far of a named session: its last request's prompt and answer sizes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tokenbook.errors import TokenbookError
from tokenbook.sources.claude_code import BadLine
from tokenbook.sources.claude_code import Candidate
from tokenbook.sources.claude_code import discover
from tokenbook.sources.claude_code import line_candidate


@dataclass(frozen=True, slots=True)
class SessionContext:
    session: str
    prompt_tokens: int  # the last request's whole prompt
    output_tokens: int  # its answer, which the next request carries too
    model: str
    responses: int

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens


def _main_thread(path: Path) -> Iterable[Candidate]:
    with open(path, "rb") as f:
        for raw in f:
            if b'"usage"' not in raw:
                continue
            try:
                found = line_candidate(json.loads(raw))
            except (ValueError, BadLine):
                continue
            if found is not None and not found.sidechain:
                yield found


def session_context(dirs: Iterable[Path], session: str) -> SessionContext:
    """The latest main-thread response of `session` (an id or a unique prefix of one)."""
    files = discover(dirs)
    named = [p for p in files if p.stem.startswith(session)]  # Claude Code names files by id
    latest: dict[str, tuple[Candidate, set[str]]] = {}
    for path in named or files:
        for c in _main_thread(path):
            if not c.session.startswith(session):
                continue
            known = latest.get(c.session)
            if known is None:
                latest[c.session] = (c, {c.message_id})
                continue
            known[1].add(c.message_id)
            if _later(c, known[0]):
                latest[c.session] = (c, known[1])
    return _pick(latest, session, len(files))


def _later(a: Candidate, b: Candidate) -> bool:
    return (a.at, a.tokens.prompt, a.tokens.output) > (b.at, b.tokens.prompt, b.tokens.output)


def _pick(
    latest: Mapping[str, tuple[Candidate, set[str]]], session: str, files: int
) -> SessionContext:
    if not latest:
        raise TokenbookError(
            f"no session `{session}` in the logs ({files} log files read); check the id "
            "(`tokenbook report session` lists them) or pass --logs DIR"
        )
    exact = latest.get(session)
    if exact is None and len(latest) > 1:
        names = ", ".join(sorted(latest)[:5])
        raise TokenbookError(f"`{session}` matches several sessions ({names}); give more of the id")
    c, ids = exact or next(iter(latest.values()))
    return SessionContext(c.session, c.tokens.prompt, c.tokens.output, c.model, len(ids))
