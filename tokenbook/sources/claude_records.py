"""Compact records: what the dedup keeps per response, as plain tuples (cheap to compare, to
send between processes and to join), and how they become ledger records (`records.Rec`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import cast

from tokenbook.events import Tokens
from tokenbook.events import UsageEvent
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.records import record_id
from tokenbook.sources.claude_reader import EARLIEST
from tokenbook.sources.claude_reader import EPOCH
from tokenbook.sources.claude_reader import LATEST
from tokenbook.sources.claude_reader import MAX_TOKENS
from tokenbook.sources.claude_reader import NAME
from tokenbook.sources.claude_reader import SYNTHETIC
from tokenbook.sources.claude_reader import Candidate
from tokenbook.sources.claude_reader import geo_of
from tokenbook.sources.claude_reader import micros

# (output, total, model, (input, output, cache_write_5m, cache_write_1h, cache_read), speed, geo,
#  web_search, web_fetch): compared as a whole, the largest is the line whose usage counts.
Usage = tuple[int, int, str, tuple[int, int, int, int, int], str, str, int, int]
# (copy, time in µs since the epoch, sidechain, session, cwd, branch, agent_id): the smallest is
# the line whose envelope counts (an original before an `agent_progress` copy, then the earliest;
# the rest only makes the choice order-independent).
Envelope = tuple[bool, int, bool, str, str, str, str]
# usage, envelope, and whether any line of the response is on the main thread.
Record = tuple[Usage, Envelope, bool]


def record(c: Candidate) -> Record:
    t = c.tokens
    usage = (
        t.output,
        t.total,
        c.model,
        (t.input, t.output, t.cache_write_5m, t.cache_write_1h, t.cache_read),
        c.speed,
        c.geo,
        c.web_search,
        c.web_fetch,
    )
    envelope = (c.copy, micros(c.at), c.sidechain, c.session, c.cwd, c.branch, c.agent_id)
    return (usage, envelope, not c.sidechain)


def fast_record(obj: Any) -> tuple[str, Record] | None:
    """The key and record of a plain, well-formed top-level assistant line, in one pass and few
    calls; None for anything else, which `line_candidate` then reads with all its checks. Where
    it answers, it answers exactly `record(line_candidate(obj))` (tests/test_sources.py)."""
    try:
        if obj["type"] != "assistant":
            return None
        message = obj["message"]
        usage, model, mid, ts = message["usage"], message["model"], message["id"], obj["timestamp"]
    except (KeyError, TypeError, IndexError):
        return None
    if type(usage) is not dict or type(model) is not str or type(mid) is not str:
        return None
    if not model or model == SYNTHETIC or not mid or type(ts) is not str:
        return None
    fast = _fast_usage(usage, model)
    if fast is None:
        return None
    try:
        at = datetime.fromisoformat(ts)
    except ValueError:
        return None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if not EARLIEST <= at < LATEST:
        return None
    sidechain = obj.get("isSidechain") is True
    rid, session, cwd, branch, agent = (
        obj.get(name) for name in ("requestId", "sessionId", "cwd", "gitBranch", "agentId")
    )
    return f"{mid}\x00{rid if type(rid) is str else ''}", (
        fast,
        (
            False,
            micros(at),
            sidechain,
            session if type(session) is str else "",
            cwd if type(cwd) is str else "",
            branch if type(branch) is str else "",
            agent if type(agent) is str else "",
        ),
        not sidechain,
    )


def _fast_usage(usage: dict[str, Any], model: str) -> Usage | None:
    get = usage.get
    i, o = get("input_tokens"), get("output_tokens")
    cw, cr = get("cache_creation_input_tokens", 0), get("cache_read_input_tokens", 0)
    split, tools = get("cache_creation"), get("server_tool_use")
    if split is None:
        w5, w1 = cw, 0
    elif type(split) is dict:
        w5, w1 = (
            split.get("ephemeral_5m_input_tokens", 0),
            split.get("ephemeral_1h_input_tokens", 0),
        )
    else:
        return None
    ws = wf = 0
    if tools is not None:
        if type(tools) is not dict:
            return None
        ws, wf = tools.get("web_search_requests", 0), tools.get("web_fetch_requests", 0)
    for v in (i, o, cw, cr, w5, w1, ws, wf):
        if type(v) is not int or not 0 <= v <= MAX_TOKENS:
            return None
    if split is not None:
        w5 += max(0, cw - w5 - w1)
    geo = geo_of(get("inference_geo"))
    speed = "fast" if get("speed") == "fast" else "standard"
    tokens = (i, o, w5, w1, cr)
    found = (o, i + w5 + w1 + cr + o, model, tokens, speed, geo, ws, wf)
    return cast(Usage, found)  # every number was checked to be an int in the loop above


def join(a: Record, b: Record) -> Record:
    """Two views of one response as one: commutative, associative and idempotent, so the result
    depends neither on file order nor on how often a line was read."""
    return (max(a[0], b[0]), min(a[1], b[1]), a[2] or b[2])


def message_id(key: str) -> str:
    return key.partition("\x00")[0]


def event(key: str, r: Record, agents: Mapping[str, str]) -> UsageEvent:
    u, env = r[0], r[1]
    i, o, w5, w1, cr = u[3]
    return UsageEvent(
        key=key,
        session=env[3],
        at=EPOCH + timedelta(microseconds=env[1]),
        model=u[2],
        tokens=Tokens(input=i, output=o, cache_write_5m=w5, cache_write_1h=w1, cache_read=cr),
        project=env[4],
        branch=env[5],
        agent="main" if r[2] else agents.get(env[6], "subagent"),
        speed=u[4],
        geo=u[5],
        web_search=u[6],
        web_fetch=u[7],
    )


def to_rec(
    key: str,
    r: Record,
    agents: Mapping[str, str],
    shared: dict[tuple[Any, ...], Context] | None = None,
    known_id: str | None = None,
) -> Rec:
    """A joined log record as the ledger keeps it (`records.Rec`). `shared`: contexts made so
    far, so that the records of one context share one object (a dict kept by the caller);
    `known_id`: its `records.record_id`, when computed already."""
    u, env = r[0], r[1]
    i, o, w5, w1, cr = u[3]
    mid, _, rid = key.partition("\x00")
    main = r[2]
    agent = "" if main else agents.get(env[6], "")
    fields = (env[3], env[4], env[5], env[6], agent, u[2], u[4], u[5], main)
    ctx = shared.get(fields) if shared is not None else None
    if ctx is None:
        ctx = Context(
            source=NAME,
            session=env[3],
            project=env[4],
            branch=env[5],
            agent_id=env[6],
            agent=agent,
            model=u[2],
            speed=u[4],
            geo=u[5],
            main=main,
        )
        if shared is not None:
            shared[fields] = ctx
    return Rec(
        id=known_id if known_id is not None else record_id(NAME, mid, rid),
        ctx=ctx,
        at=EPOCH + timedelta(microseconds=env[1] // 1000 * 1000),  # `records.ms`
        tokens=Tokens(input=i, output=o, cache_write_5m=w5, cache_write_1h=w1, cache_read=cr),
        web_search=u[6],
        web_fetch=u[7],
        copy=env[0],
    )
