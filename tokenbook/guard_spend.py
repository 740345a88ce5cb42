"""A running session's usage and cost, for the guard and the status line.

The ledgers know a session only as far as the last sync; the guard needs it up to this prompt.
So it reads the session's own transcripts (`<session>.jsonl` and `<session>/subagents/**.jsonl`)
from where it stopped last time, keeping per response only its key, time, model and counts in
`.tokenbook-cache/guard/<hash>.json` (disposable). Responses are counted as sync counts them:
once per `(message.id, requestId)`, the line with the largest output. Prices come from the
summary cache (`guard_summary`), priced as `tokenbook.pricing` prices a row; a model without a
price leaves its tokens unpriced, never $0.

Light on purpose (no dataclasses, typing or vault parsing): it runs before every prompt.
"""

from __future__ import annotations

import hashlib
import json
import os
from decimal import Decimal
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from collections.abc import Mapping
    from typing import Any

CACHE_DIR = ".tokenbook-cache/guard"
FORMAT = 1
KINDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
MTOK = Decimal(1_000_000)
MAX_TOKENS = 100_000_000
USAGE = b'"usage"'
# A response: [time (ISO, UTC), model, input, output, cache_write_5m, cache_write_1h,
# cache_read, speed, geo, web searches]


def session_files(transcript: Path, session: str) -> list[Path]:
    """The main transcript and its subagents' (2.1.x layout), in a stable order."""
    folder = transcript.parent / session / "subagents"
    subs = sorted(folder.rglob("*.jsonl")) if session and folder.is_dir() else []
    return [transcript, *subs]


def _count(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= MAX_TOKENS:
        raise ValueError("not a token count")
    return value


def _response(obj: Any) -> tuple[str, list[Any]] | None:
    if not isinstance(obj, dict) or obj.get("type") != "assistant":
        return None
    message = obj.get("message")
    usage = message.get("usage") if isinstance(message, dict) else None
    if not isinstance(usage, dict) or not isinstance(message, dict):
        return None
    model, mid, at = message.get("model"), message.get("id"), obj.get("timestamp")
    if not isinstance(mid, str) or not mid or not isinstance(at, str) or model == "<synthetic>":
        return None
    write = _count(usage.get("cache_creation_input_tokens", 0))
    split = usage.get("cache_creation")
    w5, w1 = write, 0
    if isinstance(split, dict):
        w5 = _count(split.get("ephemeral_5m_input_tokens", 0))
        w1 = _count(split.get("ephemeral_1h_input_tokens", 0))
        w5 += max(0, write - w5 - w1)
    tools = usage.get("server_tool_use")
    web = _count(tools.get("web_search_requests", 0)) if isinstance(tools, dict) else 0
    geo = usage.get("inference_geo")
    geo = geo.lower() if isinstance(geo, str) else ""
    request = obj.get("requestId")
    key = f"{mid}\x00{request if isinstance(request, str) else ''}"
    return key, [
        at,
        model if isinstance(model, str) and model else "unknown",
        _count(usage.get("input_tokens")),
        _count(usage.get("output_tokens")),
        w5,
        w1,
        _count(usage.get("cache_read_input_tokens", 0)),
        "fast" if usage.get("speed") == "fast" else "standard",
        "" if geo in ("", "global", "not_available") else geo,
        web,
    ]


def _take(responses: dict[str, list[Any]], raw: bytes) -> None:
    if USAGE not in raw or b'"assistant"' not in raw:
        return
    try:
        found = _response(json.loads(raw))
    except ValueError:  # malformed or not a count: sync reports it, the guard skips it
        return
    if found is None:
        return
    key, new = found
    old = responses.get(key)
    if old is None:
        responses[key] = new
    elif (new[3], sum(new[2:7])) > (old[3], sum(old[2:7])):
        responses[key] = [min(old[0], new[0]), *new[1:]]
    elif new[0] < old[0]:
        old[0] = new[0]


def _read(path: Path, state: list[int], responses: dict[str, list[Any]]) -> bool:
    """Read `path` from the offset in `state` ([inode, offset]); True when anything was read."""
    try:
        with open(path, "rb") as f:
            inode = os.fstat(f.fileno()).st_ino
            if inode != state[0] or os.fstat(f.fileno()).st_size < state[1]:
                state[0], state[1] = inode, 0  # a new or rewritten file: from its start
            f.seek(state[1])
            data = f.read()
    except OSError:
        return False
    end = data.rfind(b"\n") + 1  # an unfinished last line is read next time
    for raw in _usage_lines(data, end):
        _take(responses, raw)
    state[1] += end
    return end > 0


def _usage_lines(data: bytes, end: int) -> Iterator[bytes]:
    """The complete lines of `data[:end]` that hold `"usage"`, found in the buffer (most lines,
    tool output among them, are never split out or looked at one by one)."""
    find, rfind = data.find, data.rfind
    at = find(USAGE, 0, end)
    while at != -1:
        stop = find(b"\n", at, end)
        yield data[rfind(b"\n", 0, at) + 1 : stop]
        at = find(USAGE, stop, end)


def cache_file(root: Path, session: str) -> Path:
    name = hashlib.blake2b(session.encode("utf-8", "replace"), digest_size=12).hexdigest()
    return root / CACHE_DIR / f"{name}.json"


def session_usage(root: Path, transcript: Path, session: str) -> dict[str, list[Any]]:
    """Every response of the session so far (key → response), read incrementally."""
    path = cache_file(root, session)
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("format") != FORMAT or cached.get("session") != session:
            raise ValueError("another cache")
    except (OSError, ValueError, AttributeError):
        cached = {"format": FORMAT, "session": session, "files": {}, "responses": {}}
    files, responses = cached["files"], cached["responses"]
    changed = False
    for f in session_files(transcript, session):
        state = files.setdefault(str(f), [0, 0])
        changed = _read(f, state, responses) or changed
    if changed:
        _save(path, cached)
    return responses


def _save(path: Path, data: dict[str, Any]) -> None:
    """Atomic; a cache that cannot be written is read again from the start next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


# ----------------------------------------------------------------------------------- prices


def _fnmatch(name: str, pattern: str) -> bool:
    from fnmatch import fnmatchcase

    return fnmatchcase(name, pattern)


def _at(rates: Mapping[str, str], counts: list[int]) -> Decimal:
    """Counts per token kind times USD per million tokens (not yet divided by a million)."""
    pairs = zip(counts, KINDS, strict=True)
    return sum((Decimal(n) * Decimal(rates[k]) for n, k in pairs), Decimal(0))


class Prices:
    """The summary's price lists: `tokenbook.pricing.PriceBook` on plain data."""

    def __init__(self, summary: Mapping[str, Any]) -> None:
        self.models: list[dict[str, Any]] = summary.get("prices") or []
        self.web: list[dict[str, Any]] = summary.get("web_search") or []
        self._match: dict[str, dict[str, Any] | None] = {}
        self._entries: dict[tuple[str, str], dict[str, Any] | None] = {}

    def model(self, model: str) -> dict[str, Any] | None:
        """Exact pattern first, then the longest matching glob."""
        if model not in self._match:
            best, found = None, None
            for m in self.models:
                for p in m["patterns"]:
                    if p == model or _fnmatch(model, p):
                        rank = (p == model, len(p), p)
                        if best is None or rank > best:
                            best, found = rank, m
            self._match[model] = found
        return self._match[model]

    def entry(self, model: str, day: str) -> dict[str, Any] | None:
        if (model, day) not in self._entries:
            m = self.model(model)
            dated = [e for e in m["entries"] if e["from"] <= day] if m else []
            self._entries[model, day] = dated[-1] if dated else None
        return self._entries[model, day]

    def cost(self, g: list[Any], day: str, long: bool) -> Decimal | None:
        """The cost of responses summed as one (a response's shape, see `_response`) on their
        (local) day, `long`: over the long-context threshold; None: no price."""
        entry = self.entry(g[1], day)
        if entry is None:
            return None
        rates = entry["rates"]
        if long and entry.get("long_context"):
            rates = entry["long_context"]["rates"]
        usd = _at(rates, g[2:7])
        if g[7] == "fast":
            if entry.get("fast") is None:
                return None
            usd *= Decimal(entry["fast"])
        if g[8]:
            if g[8] not in entry.get("geo", {}):
                return None
            usd *= Decimal(entry["geo"][g[8]])
        usd /= MTOK
        if g[9]:
            web = [w for w in self.web if w["from"] <= day]
            if not web:
                return None
            usd += Decimal(g[9]) * Decimal(web[-1]["usd"]) / 1000
        return usd

    def long(self, model: str, day: str, prompt: int) -> bool:
        """Whether a request of `prompt` tokens is priced at the model's long-context rates."""
        entry = self.entry(model, day)
        long = entry.get("long_context") if entry else None
        return long is not None and prompt > long["threshold"]

    def blended(self, model: str, day: str, mix: list[int]) -> Decimal | None:
        """USD per million tokens of `mix` (counts per kind) at a model's standard rates."""
        entry = self.entry(model, day)
        total = sum(mix)
        if entry is None or not total:
            return None
        return _at(entry["rates"], mix) / total
