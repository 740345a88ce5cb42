"""Synthetic Claude Code config dirs, with the exact ground truth.

`generate()` writes a tree laid out like `~/.claude` (`projects/<encoded-cwd>/<sessionId>.jsonl`,
subagent transcripts, metadata files) that holds every quirk of `docs/claude-code-logs.md`, and
returns what an exact counter must find. The truth is built from the generator's own decisions
while it writes, never by reading the files back, so tests and benchmarks can use it as an
independent oracle.

Counting rules the truth follows:

* Only `"type":"assistant"` lines (top level, or nested at `data.message` of an `agent_progress`
  progress line) with a `message.usage` object count; model `<synthetic>` counts nothing.
* Key = `message.id + NUL + (requestId or "")`; lines sharing a key are one response. Tokens and
  model (and speed, geo, web counts) come from the line with the largest `output_tokens`; `at`,
  session, project and branch from the line with the earliest timestamp.
* `/btw`: keys that share a `message.id` with a non-sidechain key but differ in requestId are
  dropped when they only occur on sidechain lines.
* `agent` is `"main"` off the sidechain, else the `agentType` of `agent-<id>.meta.json` next to the
  agent's transcript, else `"subagent"`.
* Malformed lines (listed in `Corpus.malformed`) count nothing.

CLI: `python -m tests.synth OUT_DIR [--seed N] [--sessions N] [--size 100MB] [--days N]`.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import sys
from bisect import bisect_left
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from functools import cache
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any
from typing import BinaryIO
from typing import TypeVar

from tokenbook.events import Tokens
from tokenbook.events import UsageEvent

Json = dict[str, Any]
T = TypeVar("T")

SENTINEL = "SENTINEL-PRIVATE-TEXT"
SYNTHETIC_MODEL = "<synthetic>"
UNPRICED_MODEL = "claude-experimental-9"
MODELS = (
    "claude-opus-4-5-20251101",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
    "claude-opus-4-6",
    "claude-sonnet-4-6",
)
MALFORMED_KINDS = (
    "truncated",
    "truncated-last",
    "bad-utf8",
    "string-tokens",
    "negative-tokens",
    "missing-id",
    "bad-timestamp",
)

_DAY_MS = 86_400_000
_ALNUM = bytes.maketrans(b"+/", b"xQ")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
_BAD_UTF8_MARK = "@@INVALID-UTF8@@"
_AUTO_COMPACT_AT = 155_000
_RESUME_MAX_BYTES = 512 * 1024
_HEADER = f"# {SENTINEL} fixture output\n"
_HEADER_ESC = _ENCODER.encode(_HEADER)[1:-1].encode()


@dataclass(frozen=True, slots=True, kw_only=True)
class Corpus:
    """A generated config dir and what an exact counter must find in it.

    `files`, `bytes` and `lines` count the `*.jsonl` files only (empty ones included; a final line
    without a newline counts as a line). `unique_responses` and `totals` are kept even when
    `keep_truth=False` drops the per-response list.
    """

    root: Path
    responses: tuple[UsageEvent, ...]
    malformed: tuple[tuple[str, int], ...]
    files: int
    bytes: int
    lines: int
    unique_responses: int = 0
    totals: Tokens = field(default_factory=Tokens)


def encode_cwd(cwd: str) -> str:
    """Claude Code's project dir name: every char that is not an ASCII letter or digit -> '-'."""
    return re.sub(r"[^a-zA-Z0-9]", "-", cwd)


# --------------------------------------------------------------------------- static tables


@dataclass(frozen=True, slots=True)
class _Project:
    cwd: str
    branches: tuple[str, ...]
    subdir: str


_PROJECTS = (
    _Project("/home/dev/src/webapp", ("feature/auth-login", "main", "feature/dark-mode"), "web"),
    _Project("/home/dev/src/api-server", ("main", "fix/billing-rounding", "HEAD"), "cmd"),
    _Project("/home/dev/work/data_pipeline", ("main", "etl/backfill-2026"), "jobs"),
    _Project("/home/dev/.dotfiles", ("master",), "nvim"),
    _Project("/home/dev/scratch", ("",), "tmp"),
    _Project("/home/dev/src/café-ui", ("main", "HEAD"), "packages/ui"),
)


@dataclass(frozen=True, slots=True)
class _Era:
    """What a Claude Code version writes (doc §2, §3)."""

    version: str
    cache_split: bool
    git_branch: bool
    legacy_agents: bool
    agent_progress: bool
    hooks: bool
    summaries: bool
    snapshots: bool
    attachments: bool
    titles: bool
    geo: bool
    speed: bool
    slug: bool
    late_envelope: bool
    meta: bool
    warmup: bool
    new_models: bool
    agent_tool: str


@cache
def _era(version: str) -> _Era:
    v = tuple(int(x) for x in version.split("."))
    return _Era(
        version=version,
        cache_split=v >= (1, 0, 128),
        git_branch=v >= (1, 0, 40),
        legacy_agents=v < (2, 1, 2),
        agent_progress=(2, 1, 2) <= v < (2, 1, 90),
        hooks=v >= (2, 1, 2),
        summaries=v < (2, 1, 0),
        snapshots=v >= (2, 0, 0),
        attachments=v >= (2, 1, 97),
        titles=v >= (2, 1, 64),
        geo=v >= (2, 1, 40),
        speed=v >= (2, 1, 90),
        slug=v >= (2, 0, 50),
        late_envelope=v >= (2, 1, 90),
        meta=v >= (2, 1, 100),
        warmup=(2, 0, 0) <= v < (2, 1, 0),
        new_models=v >= (2, 1, 30),
        agent_tool="Agent" if v >= (2, 1, 90) else "Task",
    )


_VERSIONS = (
    "1.0.38",
    "1.0.44",
    "1.0.48",
    "2.0.37",
    "2.0.55",
    "2.1.17",
    "2.1.59",
    "2.1.63",
    "2.1.77",
    "2.1.114",
    "2.1.144",
)
_VERSION_WEIGHTS = (1, 2, 2, 2, 3, 2, 3, 2, 3, 4, 5)
_MODEL_WEIGHTS = (3, 4, 1, 4, 4)
_LONG_MODELS = ("claude-sonnet-4-5-20250929", "claude-sonnet-4-6", "claude-opus-4-6")
# Mid-stream fallback model (always a different model).
_FALLBACK = {
    "claude-opus-4-6": "claude-sonnet-4-6",
    "claude-opus-4-5-20251101": "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-6": "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-5-20250929": "claude-haiku-4-5-20251001",
}


@dataclass(frozen=True, slots=True)
class _Role:
    """A fixed session of the first cycle: guarantees every quirk once `sessions >= 10`."""

    version: str
    project: int
    model: str | None
    features: tuple[str, ...]
    malformed: tuple[str, ...] = ()
    tasks: int = 0


_FIRST_CYCLE = (
    _Role("2.0.55", 0, None, ("warmup", "queue", "summary", "placeholder"), ("truncated",), 1),
    _Role("1.0.44", 1, MODELS[1], ("bait",), ("bad-utf8",)),
    _Role("2.1.59", 2, None, ("meta", "compact", "placeholder"), ("string-tokens",), 2),
    _Role("2.1.63", 1, "claude-sonnet-4-6", ("no-request-id",), ("negative-tokens",), 1),
    _Role("2.1.77", 3, None, ("midnight", "cwd-move"), ("missing-id",)),
    _Role(
        "2.1.144",
        0,
        "claude-opus-4-6",
        ("btw", "meta", "title", "shiny", "fast", "excess", "mixed-1h", "geo"),
        ("bad-timestamp",),
        1,
    ),
    _Role("2.1.144", -1, None, ("resume",), ("truncated-last",)),
    _Role("2.1.114", 4, UNPRICED_MODEL, ("synthetic", "usage-limit")),
    _Role("2.1.114", 2, MODELS[1], ("long", "web")),
    _Role(
        "2.1.114",
        5,
        "claude-opus-4-5-20251101",
        ("fallback", "reorder", "placeholder-only", "empties", "tool-results", "branch-switch"),
        (),
        0,
    ),
)

# Per-session probability of each quirk after the first cycle.
_RANDOM_FEATURES = (
    ("resume", 0.06),
    ("btw", 0.05),
    ("compact", 0.05),
    ("long", 0.04),
    ("midnight", 0.02),
    ("synthetic", 0.03),
    ("usage-limit", 0.01),
    ("fallback", 0.02),
    ("reorder", 0.05),
    ("placeholder-only", 0.08),
    ("web", 0.05),
    ("bait", 0.02),
    ("empties", 0.03),
    ("tool-results", 0.05),
    ("branch-switch", 0.05),
    ("cwd-move", 0.03),
    ("excess", 0.02),
    ("1h", 0.08),
    ("mixed-1h", 0.05),
    ("title", 0.3),
    ("shiny", 0.03),
    ("queue", 0.25),
    ("summary", 0.5),
    ("warmup", 0.8),
    ("geo", 0.3),
    ("fast", 0.4),
)
# Quirks a version can only have when this `_Era` attribute is true.
_GATES = {
    "btw": "meta",
    "tool-results": "hooks",
    "branch-switch": "git_branch",
    "excess": "cache_split",
    "1h": "cache_split",
    "mixed-1h": "cache_split",
    "title": "titles",
    "shiny": "titles",
    "queue": "snapshots",
    "summary": "summaries",
    "warmup": "warmup",
    "geo": "geo",
    "fast": "speed",
}

_TOOLS = ("Read", "Bash", "Edit", "Grep", "Glob", "Write", "TodoWrite")
_TOOL_WEIGHTS = (34, 22, 16, 12, 6, 4, 4)
_AGENT_TOOLS = ("Read", "Grep", "Glob", "Bash")
_AGENT_TYPES = ("Explore", "general-purpose", "Plan", "code-reviewer")
_WORD_LIST = (
    "auth token refresh session cache billing invoice rounding parser ledger widget router "
    "schema migration pipeline batch retry timeout config handler queue worker client server "
    "login logout user account payment currency report export import metrics tracing span "
    "buffer stream chunk offset cursor index shard replica lease backoff jitter deadline"
)
_WORDS = tuple(_WORD_LIST.split())
_VERBS = ("fix", "refactor", "explain", "speed up", "add tests for", "document", "review")
_LIMIT_TEXT = "Claude AI usage limit reached|{}"
_API_ERROR = (
    'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},'
    '"request_id":null}'
)


# --------------------------------------------------------------------------- text pools


@dataclass(frozen=True, slots=True)
class _Pools:
    """Filler text. `code` is also kept JSON-escaped as UTF-8 bytes (`code_esc`), with the
    offsets of every line start in both forms, so big tool outputs are spliced into a line
    as pre-escaped bytes instead of being escaped again on every line."""

    code: str
    prose: str
    signature: str
    code_esc: bytes
    raw_off: list[int]
    esc_off: list[int]


def _code_line(r: random.Random) -> str:
    w = r.choice
    n = r.randint(0, 9999)
    kind = r.randrange(8)
    if kind == 0:
        return f"def {w(_WORDS)}_{w(_WORDS)}(self, {w(_WORDS)}: int) -> dict[str, int]:"
    if kind == 1:
        return f"    return self._{w(_WORDS)}.get('{w(_WORDS)}', {n})"
    if kind == 2:
        return f"// {SENTINEL}: {w(_WORDS)} {w(_WORDS)} café → {w(_WORDS)}"
    if kind == 3:
        return f'export const {w(_WORDS)}Of = ({w(_WORDS)}: string) => `${{{w(_WORDS)}}}"`;'
    if kind == 4:
        return f'\tif ({w(_WORDS)} > {n}) {{ throw new Error("{w(_WORDS)} failed\\n"); }}'
    if kind == 5:
        return f"SELECT {w(_WORDS)}, {w(_WORDS)} FROM {w(_WORDS)}_{w(_WORDS)} WHERE id = {n};"
    if kind == 6:
        return f"    {w(_WORDS)}: {n},  # {SENTINEL} ✓"
    return ""


def _prose_sentence(r: random.Random) -> str:
    w = r.choice
    return (
        f"The {w(_WORDS)} {w(_WORDS)} calls {w(_WORDS)}() before the {w(_WORDS)} is ready, "
        f"so I will {w(_VERBS)} the {w(_WORDS)} path and re-run the {w(_WORDS)} tests."
    )


@cache
def _pools() -> _Pools:
    """Fixed filler text (independent of the seed): slices of it make every payload."""
    r = random.Random(0x70CE)
    lines = [_code_line(r) + "\n" for _ in range(6000)]
    order = [line for _ in range(6) for line in r.sample(lines, len(lines))]
    escaped = {line: _ENCODER.encode(line)[1:-1].encode() for line in lines}
    prose = " ".join(_prose_sentence(r) for _ in range(1500))
    return _Pools(
        code="".join(order),
        prose=prose,
        signature=base64.b64encode(r.randbytes(24_000)).decode(),
        code_esc=b"".join(escaped[line] for line in order),
        raw_off=list(accumulate(map(len, order), initial=0)),
        esc_off=list(accumulate((len(escaped[line]) for line in order), initial=0)),
    )


def _char_start(data: bytes, i: int) -> int:
    """Move a cut back to a UTF-8 character start, so a truncated line is only truncated."""
    while i > 0 and data[i] & 0xC0 == 0x80:
        i -= 1
    return i


def _dirname(st: _Stream) -> str:
    """The encoded project dir a stream's file lives in (not re-derived from a moved cwd)."""
    return st.out.rel.split("/")[1]


@lru_cache(maxsize=64)
def _iso_day(day: int) -> str:
    return f"{_EPOCH + timedelta(days=day):%Y-%m-%d}"


def _iso(ms: int) -> str:
    """`2026-11-03T17:19:58.602Z` (what Claude Code writes)."""
    sec = ms // 1000 % 86_400
    clock = f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}.{ms % 1000:03d}Z"
    return f"{_iso_day(ms // _DAY_MS)}T{clock}"


def _at(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def _ms(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH) // timedelta(milliseconds=1)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class _Usage:
    """One line's `message.usage`, as decided by the generator."""

    input: int
    output: int
    cache_read: int
    write_5m: int
    write_1h: int = 0
    excess: int = 0
    web_search: int = 0
    web_fetch: int = 0
    server_tools: bool = False
    speed: str | None = None
    geo: str | None = None

    def tokens(self) -> Tokens:
        return Tokens(
            input=self.input,
            output=self.output,
            cache_write_5m=self.write_5m + self.excess,
            cache_write_1h=self.write_1h,
            cache_read=self.cache_read,
        )

    def to_json(self, split: bool) -> Json:
        d: Json = {
            "input_tokens": self.input,
            "cache_creation_input_tokens": self.write_5m + self.write_1h + self.excess,
            "cache_read_input_tokens": self.cache_read,
        }
        if split:
            d["cache_creation"] = {
                "ephemeral_5m_input_tokens": self.write_5m,
                "ephemeral_1h_input_tokens": self.write_1h,
            }
        d["output_tokens"] = self.output
        if self.server_tools or self.web_search or self.web_fetch:
            d["server_tool_use"] = {
                "web_search_requests": self.web_search,
                "web_fetch_requests": self.web_fetch,
            }
        d["service_tier"] = "standard"
        if self.geo is not None:
            d["inference_geo"] = self.geo
        if self.speed is not None:
            d["speed"] = self.speed
        return d


@dataclass(frozen=True, slots=True)
class _Part:
    """One line of a response: one content block plus the usage that line carries."""

    block: Json
    usage: _Usage
    model: str
    stop: str | None


@dataclass(frozen=True, slots=True)
class _Blob:
    """A big tool output: the line holds `"@@mark@@"`, replaced by `body` once encoded."""

    key: bytes
    body: bytes
    start: int
    end: int
    chars: int
    lines: int

    @property
    def mark(self) -> str:
        return self.key.decode()[1:-1]


@dataclass(frozen=True, slots=True)
class _Output:
    """What a tool call gives back: the tool_result content and the `toolUseResult`."""

    content: Any
    result: Json
    tokens: int
    blobs: tuple[_Blob, ...] = ()


@dataclass(frozen=True, slots=True)
class _Call:
    id: str
    name: str
    input: Json


@dataclass(frozen=True, slots=True)
class _Source:
    """The opening lines of a finished session, for a later resumed session to copy."""

    lines: tuple[bytes, ...]
    last_uuid: str | None
    project: _Project
    era: _Era
    branch: str
    model: str
    slug: str
    end: int


@dataclass(frozen=True, slots=True)
class _Plan:
    index: int
    era: _Era
    project: _Project
    branch: str
    model: str
    session: str
    slug: str
    start: int
    turns: int
    features: frozenset[str]
    malformed: tuple[str, ...]
    tasks: int
    source: _Source | None


# --------------------------------------------------------------------------- output


class _Sink:
    """Counters, malformed positions and the truth, shared by every file of a corpus."""

    def __init__(self, root: Path, keep_truth: bool) -> None:
        self.root = root
        self.keep_truth = keep_truth
        self.files = 0
        self.bytes = 0
        self.lines = 0
        self.malformed: list[tuple[str, int]] = []
        self.events: list[UsageEvent] = []
        self.count = 0
        self.totals = Tokens()

    def add(self, event: UsageEvent) -> None:
        self.count += 1
        self.totals = self.totals + event.tokens
        if self.keep_truth:
            self.events.append(event)

    def side_file(self, rel: str, text: str) -> None:
        """A non-jsonl file (not counted in files/bytes/lines)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())


class _Out:
    """One `.jsonl` file being written, line by line, straight to disk."""

    __slots__ = ("_budget", "_fh", "_sink", "captured", "keep", "last_uuid", "line", "rel")

    def __init__(self, sink: _Sink, rel: str, capture: int = 0) -> None:
        path = sink.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: BinaryIO = path.open("wb")
        self._sink = sink
        self._budget = _RESUME_MAX_BYTES
        self.rel = rel
        self.line = 0
        self.keep = capture
        self.captured: list[bytes] = []
        self.last_uuid: str | None = None
        sink.files += 1

    def write(self, obj: Json, blobs: Sequence[_Blob] = ()) -> int:
        data = _ENCODER.encode(obj).encode()
        for blob in blobs:
            data = data.replace(blob.key, blob.body)
        data += b"\n"
        self._capture(data, obj)
        return self._put(data)

    def raw(self, data: bytes, newline: bool = True) -> int:
        """Write bytes as one line, with or without the trailing newline."""
        return self._put(data + b"\n" if newline else data)

    def _put(self, data: bytes) -> int:
        self._fh.write(data)
        self._sink.bytes += len(data)
        self._sink.lines += 1
        self.line += 1
        return self.line

    def bad(self, data: bytes, newline: bool = True) -> None:
        self._sink.malformed.append((self.rel, self.raw(data, newline)))
        self.keep = 0

    def _capture(self, data: bytes, obj: Json) -> None:
        if self.keep <= 0:
            return
        if len(data) > self._budget:
            self.keep = 0
            return
        self.captured.append(data)
        self._budget -= len(data)
        self.keep -= 1
        uid = obj.get("uuid")
        if isinstance(uid, str):
            self.last_uuid = uid

    def close(self) -> None:
        self._fh.close()


@dataclass(slots=True, eq=False)
class _Stream:
    """One conversation being written into one file: the envelope its lines carry."""

    out: _Out
    era: _Era
    session: str
    cwd: str
    branch: str
    slug: str
    model: str
    sidechain: bool = False
    agent_id: str | None = None
    agent: str = "main"
    parent: str | None = None
    mirror: _Stream | None = None
    mirror_tool: str = ""
    context: int = 0
    pending: int = 0
    rid_missing: float = 0.0
    cache_mode: str = "5m"
    spent: int = 0
    last: list[Json] = field(default_factory=list)
    todo: set[str] = field(default_factory=set)
    tasks: int = 0
    cross_at: int = 0
    fast: bool = False
    geo: bool = False
    long: bool = False


# --------------------------------------------------------------------------- generator


class _Gen:
    """Writes sessions one after the other; every helper advances one shared clock."""

    def __init__(
        self, root: Path, seed: int, start: datetime, days: int, keep: bool, max_payload: int
    ) -> None:
        self.max_payload = max_payload
        self.rng = random.Random(seed)
        self.root = root
        self.start = _ms(start)
        self.days = max(1, days)
        self.now = self.start
        self.target: int | None = None
        self.sink = _Sink(root, keep)
        self.pools = _pools()
        self.source: _Source | None = None
        self.index: dict[str, deque[Json]] = {}
        self.agents = 0
        self.agent_salt = self.rng.getrandbits(32)

    # ----- small random helpers

    def tick(self, lo: int, hi: int) -> None:
        self.now += self.ri(lo, hi)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # random.randint/randrange/choice take a slow pure-Python path; these are hot.
    def ri(self, lo: int, hi: int) -> int:
        return lo + int(self.rng.random() * (hi - lo + 1))

    def below(self, n: int) -> int:
        return int(self.rng.random() * n)

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.rng.random() * len(seq))]

    @staticmethod
    def take(st: _Stream, feature: str) -> bool:
        """Consume a once-per-session forced quirk."""
        if feature in st.todo:
            st.todo.discard(feature)
            return True
        return False

    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def token(self, n: int) -> str:
        """n random letters and digits (base64 of random bytes, with `+/` mapped to letters)."""
        raw = base64.b64encode(self.rng.randbytes(n * 3 // 4 + 3))
        return raw.translate(_ALNUM)[:n].decode()

    def agent_hex(self, digits: int) -> str:
        """A short agent id that never repeats: an odd multiplier permutes the counter mod 16^n.

        Short ids name files (`agent-<id>.jsonl`), so a repeat would overwrite a transcript.
        """
        self.agents += 1
        bits = 4 * digits
        return f"{(self.agents * 0x9E3779B1 + self.agent_salt) % (1 << bits):0{digits}x}"

    def hexid(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def msg_id(self) -> str:
        return "msg_01" + self.token(22)

    def req_id(self) -> str:
        return "req_011C" + self.token(20)

    def tool_id(self) -> str:
        return "toolu_01" + self.token(22)

    def prose(self, lo: int, hi: int) -> str:
        n = self.ri(lo, hi)
        off = self.below(len(self.pools.prose) - n)
        return f"{SENTINEL} {self.pools.prose[off : off + n]}"

    def code(self, n: int) -> str:
        n = min(n, len(self.pools.code) - 1)
        off = self.below(len(self.pools.code) - n)
        return f"{_HEADER}{self.pools.code[off : off + n]}"

    def blob(self, n: int, mark: str) -> _Blob:
        """About n characters of whole pool lines, from a random line on."""
        off = self.pools.raw_off
        last = len(off) - 1
        latest = bisect_right(off, off[-1] - n) - 1
        start = self.below(max(latest, 0) + 1)
        end = min(bisect_left(off, off[start] + n, lo=start + 1), last)
        return self.slice(start, end, mark)

    def head(self, blob: _Blob, n: int, mark: str) -> _Blob:
        """The first lines of `blob`, about n characters (at least one line)."""
        off = self.pools.raw_off
        end = bisect_right(off, off[blob.start] + n, lo=blob.start) - 1
        return self.slice(blob.start, min(max(end, blob.start + 1), blob.end), mark)

    def slice(self, start: int, end: int, mark: str) -> _Blob:
        p = self.pools
        body = p.code_esc[p.esc_off[start] : p.esc_off[end]]
        return _Blob(
            key=f'"@@{mark}@@"'.encode(),
            body=b'"' + _HEADER_ESC + body + b'"',
            start=start,
            end=end,
            chars=len(_HEADER) + p.raw_off[end] - p.raw_off[start],
            lines=end - start + 1,
        )

    def path(self, cwd: str) -> str:
        ext = self.pick(("ts", "py", "go", "sql", "md"))
        return f"{cwd}/src/{SENTINEL}/{self.pick(_WORDS)}_{self.pick(_WORDS)}.{ext}"

    def words(self, n: int) -> str:
        return " ".join(self.pick(_WORDS) for _ in range(n))

    # ----- corpus level

    def run(self, sessions: int, target: int | None) -> None:
        self.target = target
        i = 0
        while (self.sink.bytes < target) if target is not None else (i < sessions):
            self.session(self.plan(i))
            i += 1
        self.finish()

    def over_budget(self) -> bool:
        return self.target is not None and self.sink.bytes >= self.target

    def finish(self) -> None:
        for dirname, entries in self.index.items():
            doc = {"version": 1, "entries": list(entries)}
            self.sink.side_file(
                f"projects/{dirname}/sessions-index.json", json.dumps(doc, indent=2)
            )

    # ----- planning

    def plan(self, index: int) -> _Plan:
        if index < len(_FIRST_CYCLE):
            return self.role_plan(index, _FIRST_CYCLE[index])
        return self.random_plan(index)

    def role_plan(self, index: int, role: _Role) -> _Plan:
        era = _era(role.version)
        project = _PROJECTS[role.project] if role.project >= 0 else self.pick(_PROJECTS)
        model = role.model or self.pick_model(era)
        return self.make_plan(
            index,
            era,
            project,
            model,
            role.features,
            role.malformed,
            role.tasks,
            turns=self.ri(4, 9),
        )

    def random_plan(self, index: int) -> _Plan:
        era = _era(self.rng.choices(_VERSIONS, weights=_VERSION_WEIGHTS)[0])
        model = UNPRICED_MODEL if self.chance(0.03) else self.pick_model(era)
        features = [name for name, p in _RANDOM_FEATURES if self.chance(p)]
        malformed = (self.pick(MALFORMED_KINDS),) if self.chance(0.08) else ()
        tasks = self.rng.choices((0, 1, 2, 3), weights=(4, 3, 2, 1))[0]
        project = self.pick(_PROJECTS)
        return self.make_plan(
            index,
            era,
            project,
            model,
            tuple(features),
            malformed,
            tasks,
            turns=3 + min(int(self.rng.expovariate(1 / 16)), 60),
        )

    def pick_model(self, era: _Era) -> str:
        if era.new_models:
            return self.rng.choices(MODELS, weights=_MODEL_WEIGHTS)[0]
        return self.rng.choices(MODELS[:3], weights=_MODEL_WEIGHTS[:3])[0]

    def make_plan(
        self,
        index: int,
        era: _Era,
        project: _Project,
        model: str,
        features: tuple[str, ...],
        malformed: tuple[str, ...],
        tasks: int,
        *,
        turns: int,
    ) -> _Plan:
        source = self.source if "resume" in features else None
        if source is not None:
            era, project, model = source.era, source.project, source.model
        feats = frozenset(f for f in features if f not in _GATES or getattr(era, _GATES[f]))
        if "long" in feats and model not in _LONG_MODELS:
            model = self.pick(_LONG_MODELS)
        branch = source.branch if source else self.pick(project.branches)
        turns = 6 if "long" in feats else turns
        return _Plan(
            index=index,
            era=era,
            project=project,
            branch=branch if era.git_branch else "",
            model=model,
            session=self.uuid(),
            slug=source.slug if source else "-".join(self.rng.sample(_WORDS, 3)),
            start=self.session_start(feats, source),
            turns=turns,
            features=feats,
            malformed=malformed,
            tasks=tasks,
            source=source,
        )

    def session_start(self, feats: frozenset[str], source: _Source | None) -> int:
        day = self.below(self.days)
        start = self.start + day * _DAY_MS + self.ri(0, 14 * 3_600_000)
        if source is not None:
            start = max(start, source.end + self.ri(600_000, 7_200_000))
        if "midnight" in feats:
            return (start // _DAY_MS + 1) * _DAY_MS - self.ri(70_000, 90_000)
        return start

    # ----- session

    def session(self, plan: _Plan) -> None:
        st = self.open_main(plan)
        self.preamble(st, plan)
        for t in range(plan.turns):
            if t and self.over_budget():
                break
            self.between(st, plan, t)
            self.turn(st, plan, t)
        self.epilogue(st, plan)
        self.close_main(st, plan)

    def open_main(self, plan: _Plan) -> _Stream:
        dirname = encode_cwd(plan.project.cwd)
        out = _Out(self.sink, f"projects/{dirname}/{plan.session}.jsonl", self.ri(8, 30))
        st = _Stream(
            out=out,
            era=plan.era,
            session=plan.session,
            cwd=plan.project.cwd,
            branch=plan.branch,
            slug=plan.slug,
            model=plan.model,
            context=self.ri(11_000, 22_000),
            rid_missing=self.rid_missing(plan),
            cache_mode=self.cache_mode(plan),
            todo=set(plan.features),
            tasks=plan.tasks,
            fast=plan.model == "claude-opus-4-6" and "fast" in plan.features,
            geo=plan.era.geo,
            long="long" in plan.features,
        )
        self.now = plan.start
        if "midnight" in plan.features:
            st.cross_at = (plan.start // _DAY_MS + 1) * _DAY_MS
        if plan.source is not None:
            self.copy_source(st, plan.source)
        return st

    def rid_missing(self, plan: _Plan) -> float:
        if "no-request-id" in plan.features or plan.era.version == "2.1.63":
            return 1.0
        if plan.model in ("claude-opus-4-6", "claude-sonnet-4-6"):
            return 0.45
        return 0.05

    def cache_mode(self, plan: _Plan) -> str:
        if not plan.era.cache_split:
            return "5m"
        if "mixed-1h" in plan.features:
            return "mixed"
        return "1h" if "1h" in plan.features else "5m"

    def copy_source(self, st: _Stream, source: _Source) -> None:
        """A resumed session: its file opens with verbatim copies of the old session's lines."""
        for data in source.lines:
            st.out.raw(data, newline=False)
        st.parent = source.last_uuid
        self.tick(1000, 5000)

    def close_main(self, st: _Stream, plan: _Plan) -> None:
        st.out.close()
        out = st.out
        if out.captured:
            self.source = _Source(
                lines=tuple(out.captured),
                last_uuid=out.last_uuid,
                project=plan.project,
                era=plan.era,
                branch=plan.branch,
                model=plan.model,
                slug=plan.slug,
                end=self.now,
            )
        self.index_entry(plan, out.line)
        self.extras(st, plan)

    def index_entry(self, plan: _Plan, lines: int) -> None:
        dirname = encode_cwd(plan.project.cwd)
        if dirname not in self.index:
            self.index[dirname] = deque(maxlen=5)
            self.sink.side_file(
                f"projects/{dirname}/memory/MEMORY.md",
                f"# Project memory\n\n- {SENTINEL}: run `make test` before committing.\n",
            )
        self.index[dirname].append(
            {
                "sessionId": plan.session,
                "fullPath": f"{plan.session}.jsonl",
                "firstPrompt": f"{SENTINEL} {self.words(6)}",
                "messageCount": lines,
                "created": _iso(plan.start),
                "modified": _iso(self.now),
                "gitBranch": plan.branch,
                "projectPath": plan.project.cwd,
                "isSidechain": False,
            }
        )

    def extras(self, st: _Stream, plan: _Plan) -> None:
        dirname = encode_cwd(plan.project.cwd)
        if "empties" in plan.features:
            _Out(self.sink, f"projects/{dirname}/{self.uuid()}.jsonl").close()
            other = encode_cwd(self.pick(_PROJECTS).cwd)
            _Out(self.sink, f"projects/{other}/{self.uuid()}.jsonl").close()
        if "tool-results" in plan.features:
            self.sink.side_file(
                f"projects/{dirname}/{st.session}/tool-results/{self.tool_id()}.txt",
                self.code(3000),
            )

    # ----- metadata lines

    def preamble(self, st: _Stream, plan: _Plan) -> None:
        f = plan.features
        if "summary" in f:
            for _ in range(self.ri(1, 3)):
                st.out.write(
                    {"type": "summary", "summary": self.prose(30, 80), "leafUuid": self.uuid()}
                )
        if "queue" in f:
            self.queue_ops(st)
        if "warmup" in f:
            self.warmup(st)
        if "title" in f:
            title = {
                "type": "custom-title",
                "customTitle": self.prose(10, 30),
                "sessionId": st.session,
            }
            st.out.write(title)
        if "shiny" in f:
            self.shiny(st)

    def queue_ops(self, st: _Stream) -> None:
        for op in ("enqueue", "dequeue"):
            line: Json = {"type": "queue-operation", "operation": op, "timestamp": _iso(self.now)}
            line["sessionId"] = st.session
            if op == "enqueue":
                line["content"] = self.prose(40, 120)
            st.out.write(line)
            self.tick(1, 40)

    def shiny(self, st: _Stream) -> None:
        """An unknown future line type whose payload looks like assistant usage: counts nothing."""
        st.out.write(
            {
                "type": "shiny-new-thing",
                "sessionId": st.session,
                "timestamp": _iso(self.now),
                "uuid": self.uuid(),
                "message": {
                    "role": "assistant",
                    "model": st.model,
                    "usage": {"input_tokens": 4242, "output_tokens": 4242},
                },
                "sparkles": {"level": 9, "note": self.prose(10, 40)},
            }
        )

    def epilogue(self, st: _Stream, plan: _Plan) -> None:
        if "usage-limit" in plan.features:
            self.tick(2000, 9000)
            reset = (self.now // 3_600_000 + self.ri(1, 5)) * 3600
            self.synthetic(st, _LIMIT_TEXT.format(reset), "rate_limit", 429)
        if st.era.titles:
            last = {
                "type": "last-prompt",
                "lastPrompt": self.prose(20, 60),
                "sessionId": st.session,
            }
            st.out.write(last)
        if "truncated-last" in plan.malformed:
            self.malformed(st, "truncated-last")

    # ----- envelope

    def envelope(self, st: _Stream) -> Json:
        env: Json = {"userType": "external"}
        if st.era.late_envelope:
            env["entrypoint"] = "cli"
        env["cwd"] = st.cwd
        env["sessionId"] = st.session
        env["version"] = st.era.version
        if st.era.git_branch:
            env["gitBranch"] = st.branch
        if st.agent_id is not None:
            env["agentId"] = st.agent_id
        if st.era.slug:
            env["slug"] = st.slug
        return env

    def conv(self, st: _Stream, kind: str, body: Json) -> Json:
        """A conversation line: envelope + body + type/uuid/timestamp, chained to the last one."""
        uid = self.uuid()
        head: Json = {"parentUuid": st.parent, "isSidechain": st.sidechain}
        tail: Json = {"type": kind, "uuid": uid, "timestamp": _iso(self.now)}
        if st.era.late_envelope:
            line = head | body | tail | self.envelope(st)
        else:
            line = head | self.envelope(st) | body | tail
        st.parent = uid
        return line

    # ----- turns

    def between(self, st: _Stream, plan: _Plan, t: int) -> None:
        if t == 0:
            return
        self.tick(20_000, 600_000)
        if t == 1:
            self.turn_one_quirks(st, plan)
        if t == 2:
            self.turn_two_quirks(st, plan)

    def turn_one_quirks(self, st: _Stream, plan: _Plan) -> None:
        for kind in plan.malformed:
            if kind != "truncated-last":
                self.malformed(st, kind)
        if "synthetic" in plan.features:
            self.api_error(st)
        if "btw" in plan.features:
            self.btw(st)

    def turn_two_quirks(self, st: _Stream, plan: _Plan) -> None:
        if "compact" in plan.features and not st.long:
            self.compact(st, "manual")
        if "branch-switch" in plan.features and st.era.git_branch:
            st.branch = self.pick([b for b in (*plan.project.branches, "main") if b != st.branch])
        if "cwd-move" in plan.features:
            st.cwd = f"{plan.project.cwd}/{plan.project.subdir}"

    def turn(self, st: _Stream, plan: _Plan, t: int) -> None:
        text = self.bait() if t == 1 and "bait" in plan.features else self.prompt_text()
        self.prompt(st, text, first=t == 0)
        n = 6 + self.ri(0, 3) if st.long else 1 + min(int(self.rng.expovariate(0.3)), 14)
        for r in range(n):
            final = r == n - 1
            calls = [] if final else self.calls(st, first=r == 0)
            if st.context + st.pending > _AUTO_COMPACT_AT and not st.long:
                self.compact(st, "auto")
            self.tick(1500, 12_000)
            self.respond(st, calls, final=final)
            for call in calls:
                self.run_tool(st, call)
        if st.era.snapshots:
            self.tick(5, 50)
            body = {"subtype": "turn_duration", "durationMs": self.ri(4000, 400_000)}
            st.out.write(self.conv(st, "system", body | {"isMeta": False}))

    def prompt_text(self) -> str:
        verb = self.pick(_VERBS).capitalize()
        return f"{verb} the {self.words(2)} code. {self.prose(40, 600)}"

    def bait(self) -> str:
        """Prompt text that looks like usage to a naive substring scan of the raw line."""
        return (
            f"{SENTINEL} Why is this line counted twice? The assistant wrote "
            '{"type":"assistant","message":{"id":"msg_01Fake","usage": {"input_tokens": 999, '
            '"output_tokens": 999}}} and my grep for "usage" matched it.'
        )

    def prompt(self, st: _Stream, text: str, *, first: bool) -> None:
        if st.era.snapshots:
            self.snapshot(st)
        self.tick(500, 4000)
        line = self.conv(st, "user", {"message": {"role": "user", "content": text}})
        if st.era.late_envelope:
            line["permissionMode"] = "default"
            line["promptId"] = self.uuid()
        st.out.write(line)
        st.pending += len(text) // 4 + 10
        if first and st.era.attachments:
            self.tick(1, 30)
            att: Json = {"type": "hook_additional_context", "hookName": "SessionStart"}
            att["content"] = [self.prose(40, 200)]
            st.out.write(self.conv(st, "attachment", {"attachment": att}))

    def snapshot(self, st: _Stream) -> None:
        mid = self.uuid()
        backups = {
            self.path(st.cwd): {"backupFileName": None, "version": 1, "backupTime": _iso(self.now)}
        }
        st.out.write(
            {
                "type": "file-history-snapshot",
                "messageId": mid,
                "snapshot": {
                    "messageId": mid,
                    "trackedFileBackups": backups,
                    "timestamp": _iso(self.now),
                },
                "isSnapshotUpdate": False,
            }
        )

    def calls(self, st: _Stream, *, first: bool) -> list[_Call]:
        if st.tasks and first and not st.sidechain:
            st.tasks -= 1
            return [self.agent_call(st)]
        names = _AGENT_TOOLS if st.sidechain else _TOOLS
        weights = None if st.sidechain else _TOOL_WEIGHTS
        k = self.rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
        return [self.tool_call(st, self.rng.choices(names, weights=weights)[0]) for _ in range(k)]

    def agent_call(self, st: _Stream) -> _Call:
        agent_type = self.pick(_AGENT_TYPES)
        task = {"description": f"Find {self.words(3)}", "prompt": self.prose(100, 500)}
        return _Call(self.tool_id(), st.era.agent_tool, task | {"subagent_type": agent_type})

    def tool_call(self, st: _Stream, name: str) -> _Call:
        return _Call(self.tool_id(), name, self.tool_input(name, self.path(st.cwd)))

    def tool_input(self, name: str, path: str) -> Json:
        if name == "Bash":
            return {"command": f"grep -rn '{SENTINEL}' {path} | head -50", "description": "Search"}
        if name == "Edit":
            return {"file_path": path, "old_string": self.code(120), "new_string": self.code(140)}
        if name == "Grep":
            return {"pattern": f"{SENTINEL}|TODO", "path": path, "output_mode": "content"}
        if name == "Glob":
            return {"pattern": "**/*.ts", "path": path}
        if name == "Write":
            return {"file_path": path, "content": self.code(self.ri(300, 3000))}
        if name == "TodoWrite":
            return {"todos": [{"content": self.prose(20, 60), "status": "pending"}]}
        return {"file_path": path}

    # ----- assistant responses

    def respond(self, st: _Stream, calls: list[_Call], *, final: bool) -> None:
        mode = self.pick_mode(st)
        blocks = self.blocks(st, calls, final=final, multi=mode != "same")
        output = self.output_tokens(len(blocks), mode)
        usage = self.usage(st, output)
        stop = "end_turn" if final else "tool_use"
        parts = self.parts(blocks, usage, st.model, stop, mode)
        if mode == "fallback":
            parts = self.fallback(st, parts)
        if mode == "midnight":
            self.now = max(self.now, st.cross_at - 50)
        rid = None if self.chance(st.rid_missing) else self.req_id()
        gap = (100, 100) if mode == "midnight" else (30, 1200)
        self.emit(st, self.msg_id(), rid, parts, gap)

    def pick_mode(self, st: _Stream) -> str:
        for forced in ("midnight", "fallback", "reorder", "placeholder-only", "placeholder"):
            if forced in st.todo:
                st.todo.discard(forced)
                return forced
        roll = self.rng.random()
        if roll < 0.25:
            return "placeholder"
        if roll < 0.27:
            return "placeholder-only"
        if roll < 0.28:
            return "reorder"
        return "same"

    def blocks(self, st: _Stream, calls: list[_Call], *, final: bool, multi: bool) -> list[Json]:
        out: list[Json] = []
        if self.chance(0.35):
            sig = self.pools.signature
            off = self.below(len(sig) - 800)
            out.append(
                {
                    "type": "thinking",
                    "thinking": self.prose(150, 1800),
                    "signature": sig[off : off + self.ri(300, 800)],
                }
            )
        if final or not calls or self.chance(0.3) or (multi and not out and len(calls) < 2):
            out.append({"type": "text", "text": self.prose(40, 900)})
        out += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.input} for c in calls]
        if multi and len(out) < 2:
            out.insert(0, {"type": "text", "text": self.prose(20, 200)})
        return out

    def output_tokens(self, blocks: int, mode: str) -> int:
        out = int(self.rng.lognormvariate(4.5, 1.1)) + 20 * blocks
        if mode in ("placeholder", "reorder", "midnight", "fallback"):
            out = max(out, 12)
        return max(1, min(out, 24_000))

    def usage(self, st: _Stream, output: int) -> _Usage:
        """Decide the next request's usage and grow the conversation's context."""
        create = st.pending + self.ri(0, 40)
        if st.long:
            create += self.ri(6_000, 12_000)
        read = st.context
        inp = self.ri(1, 12) if self.chance(0.95) else self.ri(13, 3000)
        st.context = read + create + inp
        st.pending = output
        w5, w1, excess = self.split(st, create)
        forced = self.take(st, "web")
        web = forced or self.chance(0.01)
        return _Usage(
            input=inp,
            output=output,
            cache_read=read,
            write_5m=w5,
            write_1h=w1,
            excess=excess,
            web_search=self.ri(1, 3) if web else 0,
            web_fetch=self.ri(1 if forced else 0, 2) if web else 0,
            server_tools=st.era.snapshots,
            speed=self.speed(st),
            geo=self.geo(st),
        )

    def split(self, st: _Stream, create: int) -> tuple[int, int, int]:
        excess = 0
        if st.era.cache_split and ("excess" in st.todo or self.chance(0.005)):
            st.todo.discard("excess")
            excess = min(create, self.ri(1, 64))
        rest = create - excess
        if st.cache_mode == "1h":
            return 0, rest, excess
        if st.cache_mode == "mixed":
            one_hour = rest * self.ri(10, 90) // 100
            return rest - one_hour, one_hour, excess
        return rest, 0, excess

    def speed(self, st: _Stream) -> str | None:
        if not st.era.speed:
            return None
        return "fast" if st.fast and (self.take(st, "fast") or self.chance(0.5)) else "standard"

    def geo(self, st: _Stream) -> str | None:
        if not st.geo:
            return None
        if self.take(st, "geo") or self.chance(0.03):
            return "us"
        return "global" if st.era.late_envelope else ""

    def parts(
        self, blocks: list[Json], usage: _Usage, model: str, stop: str, mode: str
    ) -> list[_Part]:
        """Spread one response over its lines (doc §4.1, §4.2)."""
        if len(blocks) == 1 or mode == "same":
            return [_Part(b, usage, model, stop) for b in blocks]
        if mode == "placeholder-only":
            low = replace(usage, output=self.ri(1, 3))
            return [_Part(b, low, model, None) for b in blocks]
        low = replace(usage, output=self.ri(1, 6), speed=None)
        parts = [_Part(b, low, model, None) for b in blocks[:-1]]
        parts.append(_Part(blocks[-1], usage, model, stop))
        if mode == "reorder":
            parts.insert(0, parts.pop())
        return parts

    def fallback(self, st: _Stream, parts: list[_Part]) -> list[_Part]:
        """Mid-stream model fallback: the second model re-reads the prompt without a cache."""
        first, last = parts[0], parts[-1]
        other = _FALLBACK.get(st.model, "claude-sonnet-4-5-20250929")
        assert other != st.model
        u = last.usage
        prompt = u.cache_read + u.write_5m + u.write_1h + u.excess
        moved = replace(
            u, cache_read=0, write_5m=prompt, write_1h=0, excess=0, output=u.output + 37
        )
        return [
            replace(first, usage=replace(u, output=3), stop=None),
            replace(last, usage=moved, model=other),
        ]

    def emit(
        self, st: _Stream, mid: str, rid: str | None, parts: list[_Part], gap: tuple[int, int]
    ) -> None:
        """Write a response's lines and record its truth (built from `parts`, not the files)."""
        first = self.now
        lines: list[Json] = []
        for i, part in enumerate(parts):
            if i:
                self.tick(*gap)
            line = self.assistant_line(st, mid, rid, part)
            st.out.write(line)
            lines.append(line)
            if st.mirror is not None:
                self.mirror(st, line)
        st.last = lines
        best = max(parts, key=lambda p: p.usage.output)
        st.spent += best.usage.tokens().total
        self.sink.add(self.event(st, f"{mid}\x00{rid or ''}", first, best))

    def event(self, st: _Stream, key: str, first: int, best: _Part) -> UsageEvent:
        u = best.usage
        return UsageEvent(
            key=key,
            session=st.session,
            at=_at(first),
            model=best.model,
            tokens=u.tokens(),
            project=st.cwd,
            branch=st.branch if st.era.git_branch else "",
            agent=st.agent,
            speed="fast" if u.speed == "fast" else "standard",
            geo="" if u.geo in (None, "", "global") else str(u.geo).lower(),
            web_search=u.web_search,
            web_fetch=u.web_fetch,
        )

    def message(self, st: _Stream, mid: str, part: _Part, usage: Json) -> Json:
        if not st.era.snapshots:
            head: Json = {"id": mid, "type": "message", "role": "assistant", "model": part.model}
        else:
            head = {"model": part.model, "id": mid, "type": "message", "role": "assistant"}
        msg = head | {"content": [part.block], "stop_reason": part.stop, "stop_sequence": None}
        msg["usage"] = usage
        if st.era.late_envelope:
            msg["context_management"] = None
        return msg

    def assistant_line(self, st: _Stream, mid: str, rid: str | None, part: _Part) -> Json:
        body: Json = {
            "message": self.message(st, mid, part, part.usage.to_json(st.era.cache_split))
        }
        if rid is not None:
            body["requestId"] = rid
        return self.conv(st, "assistant", body)

    def synthetic(self, st: _Stream, text: str, error: str, status: int) -> None:
        """A `<synthetic>` line Claude Code writes itself: uuid id, zero usage, counts nothing."""
        zero = _Usage(input=0, output=0, cache_read=0, write_5m=0).to_json(st.era.cache_split)
        zero["service_tier"] = None
        part = _Part(
            {"type": "text", "text": text}, _Usage(0, 0, 0, 0), SYNTHETIC_MODEL, "stop_sequence"
        )
        msg = self.message(st, self.uuid(), part, zero)
        msg["stop_sequence"] = ""
        line = self.conv(st, "assistant", {"message": msg})
        line |= {"isApiErrorMessage": True, "error": error, "apiErrorStatus": status}
        st.out.write(line)

    def api_error(self, st: _Stream) -> None:
        self.tick(1000, 5000)
        body = {"subtype": "api_error", "level": "error", "retryAttempt": 10, "maxRetries": 10}
        st.out.write(self.conv(st, "system", body | {"error": {"status": 529}}))
        self.tick(100, 900)
        self.synthetic(st, _API_ERROR, "overloaded", 529)

    # ----- tools

    def run_tool(self, st: _Stream, call: _Call) -> None:
        self.hook(st, call, "PreToolUse")
        if call.name in ("Task", "Agent"):
            out = self.subagent(st, call)
        else:
            out = self.tool_output(st, call)
        self.tick(200, 20_000)
        block = {
            "tool_use_id": call.id,
            "type": "tool_result",
            "content": out.content,
            "is_error": False,
        }
        line = self.conv(st, "user", {"message": {"role": "user", "content": [block]}})
        line["toolUseResult"] = out.result
        st.out.write(line, out.blobs)
        st.pending += out.tokens
        self.hook(st, call, "PostToolUse")

    def hook(self, st: _Stream, call: _Call, event: str) -> None:
        if not st.era.hooks or st.sidechain or not self.chance(0.3):
            return
        self.tick(5, 200)
        data = {"type": "hook_progress", "hookEvent": event, "hookName": f"{event}:{call.name}"}
        data["command"] = "$HOME/.claude/hooks/check.sh"
        body = {"data": data, "parentToolUseID": call.id, "toolUseID": call.id}
        st.out.write(self.conv(st, "progress", body))

    def payload_size(self) -> int:
        if self.chance(0.004):
            big = self.ri(70_000, 1_170_000)
            big = big if self.target is None else min(big, max(70_000, self.target // 20))
            return min(big, self.max_payload)
        return max(40, min(int(self.rng.lognormvariate(7.9, 1.0)), 60_000, self.max_payload))

    def tool_output(self, st: _Stream, call: _Call) -> _Output:
        if call.name == "Bash":
            return self.bash_output(st, call)
        path = str(call.input.get("file_path") or call.input.get("path") or st.cwd)
        if call.name not in ("Read", "Edit", "Grep"):
            text = f"{SENTINEL} ok: {path}\n{self.code(200)}"
            return _Output(text, self.small_result(st, call, path), 60)
        full = self.blob(min(self.payload_size(), 60_000), "out")
        shown = self.head(full, 400, "head") if call.name == "Edit" else full
        blobs = (full,) if shown is full else (full, shown)
        result = self.file_result(call, path, full)
        return _Output(shown.mark, result, min(full.chars // 4, 25_000), blobs)

    @staticmethod
    def file_result(call: _Call, path: str, full: _Blob) -> Json:
        """The structured `toolUseResult`: it repeats the output, hence the big user lines."""
        if call.name == "Read":
            file = {"filePath": path, "content": full.mark, "numLines": full.lines}
            return {"type": "text", "file": file | {"startLine": 1, "totalLines": full.lines}}
        if call.name == "Edit":
            edit = {"filePath": path, "oldString": call.input["old_string"]}
            return edit | {"newString": call.input["new_string"], "originalFile": full.mark}
        return {"mode": "content", "numFiles": 3, "filenames": [], "content": full.mark}

    def small_result(self, st: _Stream, call: _Call, path: str) -> Json:
        if call.name == "Glob":
            names = [self.path(st.cwd) for _ in range(4)]
            return {"filenames": names, "numFiles": 4, "truncated": False}
        if call.name == "Write":
            return {"type": "create", "filePath": path, "content": call.input["content"]}
        return {"oldTodos": [], "newTodos": call.input.get("todos")}

    def bash_output(self, st: _Stream, call: _Call) -> _Output:
        full = self.blob(self.payload_size(), "out")
        if st.era.hooks and not st.sidechain and self.chance(0.5):
            for k in range(self.ri(1, 3)):
                self.tick(500, 3000)
                data = {"type": "bash_progress", "output": self.code(160), "elapsedTimeSeconds": k}
                body = {"data": data | {"totalLines": k * 40}, "parentToolUseID": call.id}
                st.out.write(self.conv(st, "progress", body | {"toolUseID": f"bash-progress-{k}"}))
        shown = full if full.chars <= 30_000 else self.head(full, 30_000, "head")
        blobs = (full,) if shown is full else (full, shown)
        result = {"stdout": full.mark, "stderr": "", "interrupted": False, "isImage": False}
        return _Output(shown.mark, result, shown.chars // 4, blobs)

    # ----- subagents

    def agent_stream(self, parent: _Stream, agent_id: str, rel: str, label: str) -> _Stream:
        child = _Stream(
            out=_Out(self.sink, rel),
            era=parent.era,
            session=parent.session,
            cwd=parent.cwd,
            branch=parent.branch,
            slug=parent.slug,
            model="claude-haiku-4-5-20251001" if label == "Explore" else parent.model,
            sidechain=True,
            agent_id=agent_id,
            agent=label,
            context=self.ri(6_000, 14_000),
            rid_missing=1.0 if self.chance(0.3) else parent.rid_missing,
            cache_mode=parent.cache_mode,
            geo=parent.geo,
        )
        return child

    def open_agent(self, parent: _Stream, agent_type: str) -> _Stream:
        dirname = _dirname(parent)
        if parent.era.legacy_agents:
            aid = self.agent_hex(8)
            return self.agent_stream(
                parent, aid, f"projects/{dirname}/agent-{aid}.jsonl", "subagent"
            )
        aid = "a" + (self.hexid(16) if parent.era.meta else self.agent_hex(6))
        rel = f"projects/{dirname}/{parent.session}/subagents/agent-{aid}.jsonl"
        label = "subagent"
        if "meta" in parent.todo or (parent.era.meta and self.chance(0.6)):
            parent.todo.discard("meta")
            label = agent_type
            meta = {"agentType": agent_type, "description": f"{SENTINEL} {self.words(5)}"}
            self.sink.side_file(rel.removesuffix(".jsonl") + ".meta.json", json.dumps(meta))
        child = self.agent_stream(parent, aid, rel, label)
        if parent.era.agent_progress:
            child.mirror = parent
        return child

    def subagent(self, parent: _Stream, call: _Call) -> _Output:
        child = self.open_agent(parent, str(call.input["subagent_type"]))
        child.mirror_tool = call.id
        started = self.now
        self.tick(300, 2000)
        line = self.conv(
            child, "user", {"message": {"role": "user", "content": call.input["prompt"]}}
        )
        child.out.write(line)
        if child.mirror is not None:
            self.mirror(child, line)
        child.pending = len(str(call.input["prompt"])) // 4
        steps = self.ri(2, 5)
        for r in range(steps):
            final = r == steps - 1
            calls = [] if final else self.calls(child, first=False)
            self.tick(1500, 9000)
            self.respond(child, calls, final=final)
            for c in calls:
                self.run_tool(child, c)
        child.out.close()
        return self.agent_result(child, call, started, steps)

    def agent_result(self, child: _Stream, call: _Call, started: int, steps: int) -> _Output:
        """The Task tool result: its `usage`/`totalTokens` repeat the subagent's, count nothing."""
        summary = self.prose(200, 1200)
        usage = child.last[-1]["message"]["usage"] if child.last else {}
        result = {
            "status": "completed",
            "prompt": call.input["prompt"],
            "agentId": child.agent_id,
            "content": [{"type": "text", "text": summary}],
            "totalDurationMs": self.now - started,
            "totalTokens": child.spent,
            "totalToolUseCount": steps - 1,
            "usage": usage,
        }
        return _Output([{"type": "text", "text": summary}], result, len(summary) // 4)

    def mirror(self, child: _Stream, line: Json) -> None:
        """agent_progress: the parent file repeats the subagent line at `data.message`."""
        parent = child.mirror
        assert parent is not None
        self.tick(1, 25)
        data = {"message": line, "normalizedMessages": [], "type": "agent_progress", "prompt": ""}
        body = {
            "data": data | {"agentId": child.agent_id},
            "toolUseID": "agent_msg_" + self.token(24),
        }
        parent.out.write(
            self.conv(parent, "progress", body | {"parentToolUseID": child.mirror_tool})
        )

    def warmup(self, parent: _Stream) -> None:
        """2.0.x writes a small "Warmup" sidechain at session start; its usage is real."""
        dirname = _dirname(parent)
        aid = self.agent_hex(8)
        child = self.agent_stream(parent, aid, f"projects/{dirname}/agent-{aid}.jsonl", "subagent")
        child.out.write(
            self.conv(child, "user", {"message": {"role": "user", "content": "Warmup"}})
        )
        child.pending = 1400
        self.tick(800, 3000)
        self.respond(child, [], final=True)
        child.out.close()
        self.tick(200, 2000)

    def btw(self, parent: _Stream) -> None:
        """A /btw side question: replays the parent's last response under a new requestId."""
        if not parent.last:
            return
        dirname = _dirname(parent)
        aid = "aside_question-" + self.hexid(16)
        rel = f"projects/{dirname}/{parent.session}/subagents/agent-{aid}.jsonl"
        child = self.agent_stream(parent, aid, rel, "subagent")
        child.context = parent.context
        rid = self.req_id()
        for line in parent.last:
            self.tick(1, 20)
            copy = line | {"parentUuid": child.parent, "isSidechain": True, "uuid": self.uuid()}
            copy |= {"timestamp": _iso(self.now), "requestId": rid, "agentId": aid}
            child.parent = copy["uuid"]
            child.out.write(copy)
        self.tick(500, 3000)
        question = {"role": "user", "content": f"/btw {self.prose(20, 120)}"}
        child.out.write(self.conv(child, "user", {"message": question}))
        child.pending = 60
        self.tick(1500, 6000)
        self.respond(child, [], final=True)
        child.out.close()

    # ----- compaction

    def compact(self, st: _Stream, trigger: str) -> None:
        self.tick(1000, 4000)
        body = {"subtype": "compact_boundary", "content": "Conversation compacted", "isMeta": False}
        body["compactMetadata"] = {"trigger": trigger, "preTokens": st.context}
        logical = st.parent
        st.parent = None
        line = self.conv(st, "system", body | {"level": "info"})
        line["logicalParentUuid"] = logical
        st.out.write(line)
        self.tick(5000, 60_000)
        text = "This session is being continued from a previous conversation. " + self.prose(
            400, 2500
        )
        summary = self.conv(st, "user", {"message": {"role": "user", "content": text}})
        summary |= {"isCompactSummary": True, "isVisibleInTranscriptOnly": True}
        st.out.write(summary)
        st.context = self.ri(11_000, 22_000)
        st.pending = len(text) // 4

    # ----- malformed lines

    def malformed(self, st: _Stream, kind: str) -> None:
        """Write one bad assistant line; it is a response of its own, so the truth has nothing."""
        self.tick(500, 3000)
        usage = _Usage(
            input=self.ri(1, 9),
            output=self.ri(20, 400),
            cache_read=st.context,
            write_5m=self.ri(100, 900),
        )
        text = f"{SENTINEL} {_BAD_UTF8_MARK if kind == 'bad-utf8' else ''} {self.prose(20, 200)}"
        part = _Part({"type": "text", "text": text}, usage, st.model, "end_turn")
        saved = st.parent
        line = self.assistant_line(st, self.msg_id(), self.req_id(), part)
        st.parent = saved
        self.corrupt(line, kind)
        data = _ENCODER.encode(line).encode()
        if kind in ("truncated", "truncated-last"):
            data = data[: _char_start(data, len(data) // 2)]
        data = data.replace(_BAD_UTF8_MARK.encode(), b"\xff\xfe\xc3(")
        st.out.bad(data, newline=kind != "truncated-last")

    @staticmethod
    def corrupt(line: Json, kind: str) -> None:
        usage = line["message"]["usage"]
        if kind == "string-tokens":
            usage["input_tokens"] = str(usage["input_tokens"])
        elif kind == "negative-tokens":
            usage["output_tokens"] = -usage["output_tokens"]
        elif kind == "missing-id":
            del line["message"]["id"]
        elif kind == "bad-timestamp":
            line["timestamp"] = line["timestamp"][:11] + "25:61:07.123Z"


# --------------------------------------------------------------------------- public API


def generate(
    root: Path,
    *,
    seed: int = 0,
    sessions: int = 20,
    start: datetime = datetime(2026, 11, 2, 8, tzinfo=UTC),
    days: int = 14,
    target_bytes: int | None = None,
    keep_truth: bool = True,
    max_payload: int = 1_170_000,
) -> Corpus:
    """Write a synthetic Claude config dir under `root` and return its ground truth.

    Deterministic: the same arguments give byte-identical files. With `target_bytes`, sessions
    are generated until about that many `.jsonl` bytes are written (`sessions` is ignored).
    `keep_truth=False` keeps only counts and totals (O(1) memory, `responses=()`).
    `max_payload` caps the size of tool outputs (for a small bundled sample).
    """
    root = Path(root)
    projects = root / "projects"
    if projects.exists() and any(projects.iterdir()):
        raise FileExistsError(f"{projects} is not empty")
    projects.mkdir(parents=True, exist_ok=True)
    gen = _Gen(root, seed, start, days, keep_truth, max_payload)
    gen.run(sessions, target_bytes)
    sink = gen.sink
    return Corpus(
        root=root,
        responses=tuple(sorted(sink.events, key=lambda e: (e.at, e.key))),
        malformed=tuple(sink.malformed),
        files=sink.files,
        bytes=sink.bytes,
        lines=sink.lines,
        unique_responses=sink.count,
        totals=sink.totals,
    )


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(i?)b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """`"100MB"` -> 100_000_000; `"1GiB"` -> 2**30; plain numbers are bytes."""
    m = _SIZE.match(text)
    if m is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 100MB or 1GB)")
    power = " kmg".index(m.group(2).lower() or " ")
    base = 1024 if m.group(3) else 1000
    return int(float(m.group(1)) * base**power)


def summary(corpus: Corpus) -> str:
    return (
        f"{corpus.root}: {corpus.files} files, {corpus.lines} lines, {corpus.bytes} bytes, "
        f"{corpus.unique_responses} unique responses, {len(corpus.malformed)} malformed lines"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.synth",
        description="Write a synthetic Claude Code config dir (with every log quirk).",
    )
    parser.add_argument("out", type=Path, help="directory to create (its projects/ must be empty)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument(
        "--size",
        type=parse_size,
        default=None,
        help="about this many bytes, e.g. 100MB or 1GB (MB=10^6, MiB=2^20); overrides --sessions",
    )
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument(
        "--max-payload", type=int, default=1_170_000, help="cap on one tool output, in bytes"
    )
    args = parser.parse_args(argv)
    try:
        corpus = generate(
            args.out,
            seed=args.seed,
            sessions=args.sessions,
            days=args.days,
            target_bytes=args.size,
            keep_truth=False,
            max_payload=args.max_payload,
        )
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary(corpus))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
