"""Claude Code transcripts (`<config>/projects/**/*.jsonl`) → one UsageEvent per API response.

Counting rules (README, "How usage is counted"): only assistant lines with `message.usage`
count (also those nested in `agent_progress` lines); one response per `(message.id, requestId)`
across all files; its tokens and model come from the line with the largest `output_tokens`, its
time, session, project and branch from its earliest line; `<synthetic>` counts nothing; a
sidechain replay of a main-thread message under a new requestId is dropped.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from typing import BinaryIO
from typing import cast

from tokenbook.events import LimitEvent
from tokenbook.events import Skipped
from tokenbook.events import Tokens
from tokenbook.events import UsageEvent
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.records import ms
from tokenbook.records import record_id

NAME = "claude-code"
MAX_TOKENS = 100_000_000  # per field of one response; more is not a real API response
SYNTHETIC = "<synthetic>"
# Log times outside these are a wrong clock: counted, they would move every "as of" day.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# `usage.inference_geo` values that mean the standard price (real 2.1.4x+ logs write
# `not_available` or `""`); only another region (`us`) can carry a multiplier.
STANDARD_GEO = frozenset({"", "global", "not_available"})


def geo_of(value: object) -> str:
    geo = value.lower() if isinstance(value, str) else ""
    return "" if geo in STANDARD_GEO else geo


def default_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """`CLAUDE_CONFIG_DIR` (a comma-separated list), else ~/.config/claude and ~/.claude."""
    listed = env.get("CLAUDE_CONFIG_DIR", "").strip()
    if listed:
        return [Path(p.strip()).expanduser() for p in listed.split(",") if p.strip()]
    return [home / ".config" / "claude", home / ".claude"]


def discover(dirs: Iterable[Path]) -> list[Path]:
    """Every `projects/**/*.jsonl` below the given config dirs, subagent files included."""
    return walk(dirs)[0]


def walk(
    dirs: Iterable[Path], problems: list[Skipped] | None = None
) -> tuple[list[Path], list[Path]]:
    """One pass over `projects/` (symlinked folders not followed): the log files, and the
    `agent-*.meta.json` files in folders that hold logs, both sorted. Folders that cannot be
    listed are added to `problems`."""
    logs: set[str] = set()
    metas: set[str] = set()

    def unreadable(e: OSError) -> None:
        if problems is not None and not isinstance(e, FileNotFoundError):
            why = e.strerror or type(e).__name__
            problems.append(
                Skipped(
                    str(e.filename), 0, f"cannot list this folder ({why}); its logs are not counted"
                )
            )

    for d in dirs:
        for folder, _, names in os.walk(d / "projects", onerror=unreadable):
            found = [os.path.join(folder, n) for n in names if n.endswith(".jsonl")]
            found = [f for f in found if os.path.isfile(f)]
            if found:
                logs.update(found)
                metas.update(
                    os.path.join(folder, n)
                    for n in names
                    if n.startswith("agent-") and n.endswith(".meta.json")
                )
    return sorted(map(Path, logs)), sorted(map(Path, metas))


def agent_types(files: Iterable[Path], metas: Iterable[Path] | None = None) -> dict[str, str]:
    """agentId → agentType from the `agent-<id>.meta.json` files beside subagent logs (`metas`,
    else found in the folders of `files`)."""
    if metas is None:
        metas = [
            m
            for folder in sorted({p.parent for p in files})
            for m in sorted(folder.glob("agent-*.meta.json"))
        ]
    types: dict[str, str] = {}
    for meta in metas:
        try:
            kind = json.loads(meta.read_bytes()).get("agentType")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(kind, str) and kind.strip():
            types[meta.name[len("agent-") : -len(".meta.json")]] = kind.strip()
    return types


class BadLine(ValueError):
    """A line that should carry usage but cannot be read; the message is the reason."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One log line's view of one API response."""

    key: str
    message_id: str
    at: datetime
    session: str
    model: str
    tokens: Tokens
    cwd: str
    branch: str
    sidechain: bool
    agent_id: str
    speed: str
    geo: str
    web_search: int
    web_fetch: int
    copy: bool = False  # read from an `agent_progress` copy in the parent's file

    def usage_rank(self) -> tuple[int, int, str, Tokens, str, str, int, int]:
        """Order-independent choice of the line whose usage counts: the largest output."""
        t = self.tokens
        return (
            t.output,
            t.total,
            self.model,
            t,
            self.speed,
            self.geo,
            self.web_search,
            self.web_fetch,
        )

    def envelope_rank(self) -> tuple[bool, datetime, bool, str, str, str]:
        return (self.copy, self.at, self.sidechain, self.session, self.cwd, self.branch)


def _int(usage: Mapping[str, Any], name: str, required: bool = False) -> int:
    value = usage.get(name)
    if value is None:
        if required:
            raise BadLine(f"usage.{name} is missing")
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadLine(f"usage.{name} is {type(value).__name__}, expected a whole number")
    if value < 0 or value > MAX_TOKENS:
        raise BadLine(f"usage.{name} = {value} is out of range")
    return value


def _tokens(usage: Mapping[str, Any]) -> Tokens:
    cache_write = _int(usage, "cache_creation_input_tokens")
    split = usage.get("cache_creation")
    if isinstance(split, Mapping):
        w5, w1 = _int(split, "ephemeral_5m_input_tokens"), _int(split, "ephemeral_1h_input_tokens")
        w5 += max(0, cache_write - w5 - w1)
    else:
        w5, w1 = cache_write, 0
    return Tokens(
        input=_int(usage, "input_tokens", required=True),
        output=_int(usage, "output_tokens", required=True),
        cache_write_5m=w5,
        cache_write_1h=w1,
        cache_read=_int(usage, "cache_read_input_tokens"),
    )


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise BadLine("timestamp is missing")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise BadLine("timestamp is not an ISO-8601 time") from None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if not EARLIEST <= at < LATEST:
        raise BadLine("timestamp is outside 2000-2099 (a wrong clock?)")
    return at


def _text(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    return value if isinstance(value, str) else ""


def candidate(
    line: Mapping[str, Any], sidechain: bool = False, outer: Mapping[str, Any] | None = None
) -> Candidate | None:
    """The usage an assistant line carries; None when it carries none that counts. `outer`:
    the `progress` line an `agent_progress` copy is nested in, which holds its session, cwd
    and branch (the nested wrapper has none)."""
    message = line.get("message")
    if not isinstance(message, Mapping):
        return None
    usage = message.get("usage")
    model = _text(message, "model")
    if not isinstance(usage, Mapping) or model == SYNTHETIC:
        return None
    message_id = _text(message, "id")
    if not message_id:
        raise BadLine("assistant line with usage but no message.id; cannot deduplicate it")
    tokens = _tokens(usage)
    at = _time(line.get("timestamp"))
    tools = usage.get("server_tool_use")
    tools = tools if isinstance(tools, Mapping) else {}
    place = outer if outer is not None else line
    return Candidate(
        key=f"{message_id}\x00{_text(line, 'requestId')}",
        message_id=message_id,
        at=at,
        session=_text(place, "sessionId"),
        model=model or "unknown",
        tokens=tokens,
        cwd=_text(place, "cwd"),
        branch=_text(place, "gitBranch"),
        sidechain=sidechain or line.get("isSidechain") is True,
        agent_id=_text(line, "agentId"),
        speed="fast" if usage.get("speed") == "fast" else "standard",
        geo=geo_of(usage.get("inference_geo")),
        copy=outer is not None,
        web_search=_int(tools, "web_search_requests"),
        web_fetch=_int(tools, "web_fetch_requests"),
    )


def line_candidate(obj: Any) -> Candidate | None:
    if not isinstance(obj, dict):
        raise BadLine("not a JSON object")
    kind = obj.get("type")
    if kind == "assistant":
        return candidate(obj)
    if kind == "progress":
        data = obj.get("data")
        if isinstance(data, Mapping) and data.get("type") == "agent_progress":
            nested = data.get("message")
            if isinstance(nested, Mapping) and nested.get("type") == "assistant":
                found = candidate(nested, sidechain=True, outer=obj)
                if found and not found.agent_id:
                    found = _with_agent(found, _text(data, "agentId"))
                return found
    return None


def _with_agent(c: Candidate, agent_id: str) -> Candidate:
    from dataclasses import replace

    return replace(c, agent_id=agent_id)


# ----- compact records: what the global dedup keeps per response (also cached between syncs)

# (output, total, model, (input, output, cache_write_5m, cache_write_1h, cache_read), speed, geo,
#  web_search, web_fetch): compared as a whole, the largest is the line whose usage counts.
Usage = tuple[int, int, str, tuple[int, int, int, int, int], str, str, int, int]
# (copy, time in µs since the epoch, sidechain, session, cwd, branch, agent_id): the smallest is
# the line whose envelope counts (an original before an `agent_progress` copy, then the earliest;
# the rest only makes the choice order-independent).
Envelope = tuple[bool, int, bool, str, str, str, str]
# usage, envelope, and whether any line of the response is on the main thread.
Record = tuple[Usage, Envelope, bool]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LIMIT_TEXT = "Claude AI usage limit reached|"
READ_BUFFER = 1 << 20  # long lines (tool output) are read in few pieces
PARALLEL_BYTES = 32_000_000  # below this, starting worker processes costs more than it saves


def micros(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1)


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


def to_rec(key: str, r: Record, agents: Mapping[str, str]) -> Rec:
    """A joined log record as the ledger keeps it (`records.Rec`)."""
    u, env = r[0], r[1]
    i, o, w5, w1, cr = u[3]
    mid, _, rid = key.partition("\x00")
    main = r[2]
    return Rec(
        id=record_id(NAME, mid, rid),
        ctx=Context(
            source=NAME,
            session=env[3],
            project=env[4],
            branch=env[5],
            agent_id=env[6],
            agent="" if main else agents.get(env[6], ""),
            model=u[2],
            speed=u[4],
            geo=u[5],
            main=main,
        ),
        at=ms(EPOCH + timedelta(microseconds=env[1])),
        tokens=Tokens(input=i, output=o, cache_write_5m=w5, cache_write_1h=w1, cache_read=cr),
        web_search=u[6],
        web_fetch=u[7],
        copy=env[0],
    )


def limit_event(line: Mapping[str, Any]) -> tuple[str, LimitEvent] | None:
    """`Claude AI usage limit reached|<unix-seconds>` written by Claude Code as a synthetic line."""
    message = line.get("message")
    if line.get("type") != "assistant" or not isinstance(message, Mapping):
        return None
    if message.get("model") != SYNTHETIC:
        return None
    content = message.get("content")
    texts: list[Any] = [content]
    if isinstance(content, list):
        texts = [b.get("text") for b in content if isinstance(b, Mapping)]
    for text in texts:
        if isinstance(text, str) and text.startswith(LIMIT_TEXT):
            reset = text[len(LIMIT_TEXT) :].strip()
            if not (reset.isascii() and reset.isdigit()):
                raise BadLine("usage-limit line whose reset time is not a number of seconds")
            at = _time(line.get("timestamp"))
            key = _text(message, "id") or f"{at.isoformat()}\x00{_text(line, 'sessionId')}"
            try:
                reset_at = datetime.fromtimestamp(int(reset), UTC)
            except (OverflowError, OSError, ValueError):
                raise BadLine("usage-limit line with a reset time out of range") from None
            return key, LimitEvent(at=at, reset_at=reset_at, session=_text(line, "sessionId"))
    return None


# ----- reading files


@dataclass(slots=True)
class FileScan:
    """What one read of one file (from `start` to its end) found.

    `offset` and `lines` stop after the last complete line: an unfinished last line is read
    again next time, and its problems are kept apart in `tail`.
    """

    path: str
    start: int
    offset: int
    lines: int
    size: int
    skipped: list[tuple[int, str]] = field(default_factory=list)
    tail: list[tuple[int, str]] = field(default_factory=list)
    responses: dict[str, Record] = field(default_factory=dict)
    limits: dict[str, LimitEvent] = field(default_factory=dict)
    missing: bool = False
    failed: bool = False  # could not be read: tried again next time
    mark: bytes = b""  # hash of the bytes just before `offset`: tells an append from a rewrite

    @property
    def read(self) -> int:
        return self.size - self.start


def _parse(raw: bytes, line: bytes) -> tuple[Any, str | None]:
    """(the parsed object of a line that may carry usage, or None; why the line is skipped)."""
    if b'"usage"' not in line:
        if line.startswith(b"{") and line.endswith(b"}"):
            return None, None
        return None, _truncated(raw)
    try:
        return json.loads(line), None
    except UnicodeDecodeError:
        return None, "not valid UTF-8; line skipped"
    except json.JSONDecodeError:
        return None, _truncated(raw)
    except (ValueError, RecursionError):  # a number of over 4300 digits, nesting too deep
        return None, "JSON too big to read (a huge number or deep nesting); line skipped"


def scan(path: str, start: int = 0, lines: int = 0) -> FileScan:
    """Stream one file from byte `start` (line `lines` + 1); malformed lines become problems."""
    out = FileScan(path, start, start, lines, start)
    try:
        f = open(path, "rb", buffering=READ_BUFFER)  # noqa: SIM115 - a vanished file: missing
    except FileNotFoundError:
        out.missing = True
        return out
    except OSError as e:
        return _read_error(path, start, lines, e)
    with f:
        f.seek(start)
        number, pos = lines, start
        for raw in f:
            number += 1
            pos += len(raw)
            complete = raw.endswith(b"\n")
            if complete:
                out.offset, out.lines = pos, number
            if raw.startswith(b"{") and raw.endswith(b"}\n"):  # the usual line: no copy
                if b'"usage"' not in raw:
                    continue
                line = raw
            else:
                line = raw.strip()
                if not line:
                    continue
            obj, reason = _parse(raw, line)
            if obj is not None:
                reason = _take(out, obj, _SURROGATE.search(line) is not None)
            if reason is not None:
                (out.skipped if complete else out.tail).append((number, reason))
        out.size = pos
        out.mark = mark(f, out.offset)
    return out


def _read_error(path: str, start: int, lines: int, e: OSError) -> FileScan:
    out = FileScan(path, start, start, lines, start)
    why = e.strerror or type(e).__name__
    out.skipped.append((0, f"cannot read this log ({why}); it is tried again at every sync"))
    out.failed = True
    return out


MARK_BYTES = 4096


def mark(f: BinaryIO, offset: int) -> bytes:
    """A hash of the (up to) 4 KiB before `offset`: if they changed, the file was rewritten."""
    f.seek(max(0, offset - MARK_BYTES))
    data = f.read(offset - max(0, offset - MARK_BYTES))
    return hashlib.blake2b(data, digest_size=16).digest()


def _take(out: FileScan, obj: Any, surrogates: bool = False) -> str | None:
    """Add a parsed line's response or usage-limit event to `out`; or say why it is skipped.
    `surrogates`: the line has a `\\ud800`-`\\udfff` escape, so its texts are checked."""
    fast = fast_record(obj)
    try:
        item = None if fast is not None else line_candidate(obj)
        limit = limit_event(obj) if fast is None and item is None else None
    except BadLine as e:
        return f"{e}; line skipped"
    if item is not None:
        fast = item.key, record(item)
    if surrogates and not _encodable(fast, limit):
        return "a text holds a lone surrogate (not valid Unicode); line skipped"
    if fast is not None:
        key, rec = fast
        known = out.responses.get(key)
        out.responses[key] = rec if known is None else join(known, rec)
    elif limit is not None:
        lkey, found = limit
        known_limit = out.limits.get(lkey)
        out.limits[lkey] = found if known_limit is None else min(known_limit, found)
    return None


_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _encodable(found: tuple[str, Record] | None, limit: tuple[str, LimitEvent] | None) -> bool:
    texts: list[str] = []
    if found is not None:
        key, (usage, env, _) = found
        texts = [key, usage[2], usage[4], usage[5], *env[3:]]
    if limit is not None:
        texts += [limit[0], limit[1].session]
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _truncated(raw: bytes) -> str:
    if not raw.endswith(b"\n"):
        return "incomplete last line (the session may still be writing it); skipped for now"
    return "not a complete JSON object (truncated?); line skipped"


Job = tuple[str, int, int]  # path, start offset, lines before it
Progress = Callable[[int, int, int, int], None]  # bytes done, bytes total, files done, total


def _scan_job(job: Job) -> FileScan:
    try:
        return scan(*job)
    except OSError as e:  # an I/O error mid-file: what was read before it is not kept
        return _read_error(*job, e)


def scan_all(
    jobs: Sequence[Job], todo: int, progress: Progress | None = None
) -> Iterator[FileScan]:
    """Scan files in `jobs` order, on every core when there is enough to read (`todo` bytes)."""
    cores = os.cpu_count() or 1
    done = 0
    if cores > 1 and todo >= PARALLEL_BYTES and len(jobs) > 1:
        with multiprocessing.get_context().Pool(min(cores, len(jobs))) as pool:
            for n, s in enumerate(pool.imap(_scan_job, jobs, chunksize=2), start=1):
                done += s.read
                if progress:
                    progress(done, todo, n, len(jobs))
                yield s
        return
    for n, job in enumerate(jobs, start=1):
        s = _scan_job(job)
        done += s.read
        if progress:
            progress(done, todo, n, len(jobs))
        yield s


# ----- global dedup


class Deduper:
    """Global dedup state: one record per response key, across every file read."""

    def __init__(self, responses: dict[str, Record] | None = None) -> None:
        self.responses: dict[str, Record] = responses if responses is not None else {}
        self.limits: dict[str, LimitEvent] = {}
        self._strings: dict[str, str] = {}

    def add(self, c: Candidate) -> None:
        self.join({c.key: record(c)})

    def join(self, found: Mapping[str, Record]) -> list[str]:
        """Merge one file's records; return the keys whose record changed."""
        changed = []
        responses = self.responses
        for key, rec in found.items():
            known = responses.get(key)
            new = self._shared(rec) if known is None else join(known, rec)
            if new != known:
                responses[key] = new
                changed.append(key)
        return changed

    def _shared(self, r: Record) -> Record:
        """The record with its texts (model, session, cwd, ...) shared with earlier records:
        records arrive unpickled from worker processes, each with its own copies."""
        u, env = r[0], r[1]
        s = self._strings
        usage = (
            u[0],
            u[1],
            s.setdefault(u[2], u[2]),
            u[3],
            s.setdefault(u[4], u[4]),
            s.setdefault(u[5], u[5]),
            u[6],
            u[7],
        )
        envelope = (env[0], env[1], env[2], *(s.setdefault(t, t) for t in env[3:]))
        return (usage, cast(Envelope, envelope), r[2])

    def join_limits(self, found: Mapping[str, LimitEvent]) -> bool:
        changed = False
        for key, limit in found.items():
            known = self.limits.get(key)
            if known is None or limit < known:
                self.limits[key] = limit
                changed = True
        return changed

    def main_ids(self) -> set[str]:
        return {message_id(k) for k, r in self.responses.items() if r[2]}

    def events(self, agents: Mapping[str, str]) -> list[UsageEvent]:
        """Every response that counts: on the main thread, or a sidechain one whose message
        was not also answered on the main thread (a replay under a new requestId)."""
        main = self.main_ids()
        events = [
            event(key, r, agents)
            for key, r in self.responses.items()
            if r[2] or message_id(key) not in main
        ]
        events.sort(key=lambda e: (e.at, e.key))
        return events

    def limit_events(self) -> list[LimitEvent]:
        return sorted(set(self.limits.values()))


@dataclass(slots=True)
class Collected:
    events: list[UsageEvent] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    limits: list[LimitEvent] = field(default_factory=list)


def collect(dirs: Iterable[Path], progress: Progress | None = None) -> Collected:
    """Read every log file under `dirs` and return the deduplicated responses."""
    files = discover(dirs)
    jobs = [(str(p), 0, 0) for p in files]
    todo = sum(_size(p) for p in files)
    dedup = Deduper()
    out = Collected(files=len(files))
    for s in scan_all(jobs, todo, progress):
        out.bytes += s.size
        out.skipped += [Skipped(s.path, n, why) for n, why in s.skipped + s.tail]
        dedup.join(s.responses)
        dedup.join_limits(s.limits)
    out.events = dedup.events(agent_types(files))
    out.limits = dedup.limit_events()
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
