"""Response records: the state a ledger keeps (`ledgers/<bet>.tsv`, ledger format 2).

One line per API response, so a union merge of two clones can never count a response twice:
two versions of one response (two clones read it at different moments) are joined by the same
rule that joins the log lines of one response, whatever the order and however often. The
markdown ledger beside it (`ledgers/<bet>.md`) is a summary written from these records.

Lines (tab-separated, each line self-contained so git's union merge keeps them whole):

- `c` context: the fields many responses share (source, session, project, branch, agent id,
  agent type, model, speed, region, main thread or not), named by a hash of its text;
- `r` response: id, context, time, token counts, web tool calls, flags;
- `l` migrated history: a format-1 ledger row kept as it was (its logs may be gone).

The id is a hash of the response's key in its log (`message.id` + `requestId` for Claude Code):
its first 16 hex digits name the message (a sidechain replay of a main-thread message shares
them), the last 8 the request. Only metadata is kept: ids, times, models, counts, paths, branch
and agent names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from tokenbook.events import Tokens

FORMAT = 2
HEADER = (
    "# tokenbook ledger records, format 2: one line per API response (r), shared context (c) "
    "and migrated history (l); written by tokenbook sync, do not edit"
)
MESSAGE_DIGITS = 16
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def record_id(source: str, message_id: str, request_id: str) -> str:
    """The record id of a response: message part + request part, both hashed."""
    m = hashlib.blake2b(f"{source}\x00{message_id}".encode(), digest_size=8).hexdigest()
    r = hashlib.blake2b(request_id.encode(), digest_size=4).hexdigest()
    return m + r


def message_of(rid: str) -> str:
    return rid[:MESSAGE_DIGITS]


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    source: str = "claude-code"
    session: str = ""
    project: str = ""
    branch: str = ""
    agent_id: str = ""
    agent: str = ""  # the subagent's type, "" when unknown (or on the main thread)
    model: str = ""
    speed: str = "standard"
    geo: str = ""
    main: bool = True
    command: str = ""  # the slash command of the response's turn (`/review`), "" for none
    skill: str = ""  # the skill active when it was made, "" for none
    run: str = ""  # `interactive`, `headless`, `scheduled`, `background`; "" when unknown

    def fields(self) -> tuple[str, ...]:
        return (
            self.source,
            self.session,
            self.project,
            self.branch,
            self.agent_id,
            self.agent,
            self.model,
            self.speed,
            self.geo,
            "main" if self.main else "side",
            self.command,
            self.skill,
            self.run,
        )

    @property
    def cid(self) -> str:
        text = "\t".join(self.fields())
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()

    @property
    def label(self) -> str:
        """The agent column of ledgers and reports: `main`, the subagent's type, or `subagent`."""
        if self.source == "manual":  # `tokenbook log`: `manual` or `scheduled`
            return self.agent
        return "main" if self.main else (self.agent or "subagent")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rec:
    """One API response as a ledger keeps it."""

    id: str
    ctx: Context
    at: datetime  # UTC, millisecond precision
    tokens: Tokens
    web_search: int = 0
    web_fetch: int = 0
    copy: bool = False  # the envelope came from an `agent_progress` copy, not the original line

    def usage_rank(self) -> tuple[int, int, str, Tokens, str, str, int, int]:
        """The largest is the line whose usage counts (the final streamed line)."""
        c, t = self.ctx, self.tokens
        return (t.output, t.total, c.model, t, c.speed, c.geo, self.web_search, self.web_fetch)

    def envelope_rank(self) -> tuple[bool, datetime, str, str, str, str]:
        """The smallest is the line whose time and place count: an original before a copy,
        then the earliest."""
        c = self.ctx
        return (self.copy, self.at, c.session, c.project, c.branch, c.agent_id)


def join(a: Rec, b: Rec) -> Rec:
    """Two views of one response as one: commutative, associative and idempotent."""
    if a == b:
        return a
    use = a if a.usage_rank() >= b.usage_rank() else b
    env = a if a.envelope_rank() <= b.envelope_rank() else b
    # Labels found later (a subagent's type, the command or skill of its turn) are kept once
    # seen; between two different ones the larger, so every clone keeps the same.
    ctx = replace(
        env.ctx,
        model=use.ctx.model,
        speed=use.ctx.speed,
        geo=use.ctx.geo,
        main=a.ctx.main or b.ctx.main,
        agent=max(a.ctx.agent, b.ctx.agent),
        command=max(a.ctx.command, b.ctx.command),
        skill=max(a.ctx.skill, b.ctx.skill),
        run=max(a.ctx.run, b.ctx.run),
    )
    return Rec(
        id=a.id,
        ctx=ctx,
        at=env.at,
        tokens=use.tokens,
        web_search=use.web_search,
        web_fetch=use.web_fetch,
        copy=env.copy,
    )


def join_all(records: Iterable[Rec]) -> dict[str, Rec]:
    out: dict[str, Rec] = {}
    for r in records:
        known = out.get(r.id)
        out[r.id] = r if known is None else join(known, r)
    return out


def ms(at: datetime) -> datetime:
    """Millisecond precision (what the logs write): every clone stores the same time."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def time_text(at: datetime) -> str:
    u = at.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond // 1000:03d}Z"
    )


def parse_time(text: str) -> datetime:
    if len(text) != 24 or text[10] != "T" or text[-1] != "Z":
        raise ValueError(f"time must look like 2026-11-02T09:00:00.000Z, got {text!r}")
    at = datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    return at


def from_micros(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)
