"""Fit characters per token from the user's own Claude Code logs.

Between two consecutive responses of one conversation, the prompt grows by the previous
response's output plus whatever was added in between (the user's message, tool results). A
request's prompt is `input + cache_creation + cache_read`, so for each such pair

    prompt[n+1] - prompt[n] - output[n]  ≈  overhead + Σ_kind chars[kind] / ratio[kind]

and a least-squares fit over many pairs gives the ratios. Text is read here, one line at a time,
and only its length and content type are kept: nothing is stored but counts.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from tokenbook.preflight.count import DEFAULT_RATIOS
from tokenbook.preflight.count import Calibration
from tokenbook.preflight.count import tokens_of
from tokenbook.preflight.kinds import KINDS
from tokenbook.preflight.kinds import kind_of_text
from tokenbook.sources.claude_code import discover

MIN_PAIRS = 10  # fewer pairs than this and the defaults stay
MIN_KIND_PAIRS = 5  # a kind is fitted only when this many pairs hold a real share of it
HOLD_BACK = 0.2  # the newest fifth of the pairs measures the error
MIN_ERROR_TOKENS = 20  # pairs adding fewer tokens are left out of the % error


@dataclass(frozen=True, slots=True)
class Pair:
    """What one request added to the previous one: characters by kind, and the tokens."""

    key: str
    at: datetime
    chars: tuple[int, ...]  # in KINDS order
    tokens: int  # prompt growth less the previous response's output


@dataclass(slots=True)
class _Stream:
    msg_id: str = ""
    prompt: int = 0
    output: int = 0
    thinking: bool = False
    usable: bool = True
    fresh: bool = False  # no response yet since the transcript began (not since a compaction)
    added: list[int] = field(default_factory=lambda: [0] * len(KINDS))


def _text_chars(added: list[int], text: str) -> None:
    added[KINDS.index(kind_of_text(text))] += len(text)


def _user_content(content: Any, st: _Stream) -> None:
    if isinstance(content, str):
        _text_chars(st.added, content)
        return
    if not isinstance(content, list):
        return
    for block in content:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            _text_chars(st.added, block["text"])
        elif kind == "tool_result":
            _user_content(block.get("content"), st)
        elif kind in ("image", "document"):
            st.usable = False  # not characters: this pair says nothing about ratios


def _prompt(usage: Mapping[str, Any]) -> tuple[int, int] | None:
    try:
        prompt = sum(
            int(usage.get(k) or 0)
            for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )
        return prompt, int(usage.get("output_tokens") or 0)
    except (TypeError, ValueError):
        return None


def _assistant(
    obj: Mapping[str, Any], st: _Stream, seen: set[str], starts: list[int]
) -> Pair | None:
    message = obj.get("message")
    if not isinstance(message, Mapping) or not isinstance(message.get("usage"), Mapping):
        return None
    if message.get("model") == "<synthetic>" or not isinstance(message.get("id"), str):
        return None
    sizes = _prompt(message["usage"])
    if sizes is None:
        return None
    prompt, output = sizes
    thinking = any(
        isinstance(b, Mapping) and b.get("type") in ("thinking", "redacted_thinking")
        for b in message.get("content") or []
    )
    if message["id"] == st.msg_id:  # another content block of the same response
        st.output = max(st.output, output)
        st.thinking = st.thinking or thinking
        return None
    if st.fresh and st.usable and obj.get("isSidechain") is not True:
        start_key = f">{message['id']}"
        if start_key not in seen:
            seen.add(start_key)
            first_message = sum(
                tokens_of(n, DEFAULT_RATIOS[k]) for k, n in zip(KINDS, st.added, strict=True)
            )
            starts.append(max(0, prompt - first_message))
    st.fresh = False
    pair = None
    key = f"{st.msg_id}>{message['id']}"
    if st.msg_id and st.usable and not st.thinking and any(st.added) and key not in seen:
        growth = prompt - st.prompt - st.output
        if growth > 0:
            seen.add(key)
            pair = Pair(key, _when(obj.get("timestamp")), tuple(st.added), growth)
    st.msg_id, st.prompt, st.output, st.thinking = message["id"], prompt, output, thinking
    st.usable, st.added = True, [0] * len(KINDS)
    return pair


def _when(value: Any) -> datetime:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def file_pairs(path: Path, seen: set[str], starts: list[int] | None = None) -> Iterator[Pair]:
    """The request pairs of one transcript, streamed; duplicates (resumed copies) once. The
    prompt of each main-thread first request, less its first message, goes to `starts`: what
    Claude Code's own system prompt and tools cost a new session."""
    starts = [] if starts is None else starts
    streams: dict[tuple[str, bool, str], _Stream] = {}
    with open(path, "rb") as f:
        for raw in f:
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            thread = (
                str(obj.get("sessionId")),
                obj.get("isSidechain") is True,
                str(obj.get("agentId")),
            )
            st = streams.setdefault(thread, _Stream(fresh=True))
            kind = obj.get("type")
            if kind == "assistant":
                pair = _assistant(obj, st, seen, starts)
                if pair is not None:
                    yield pair
            elif kind == "user":
                if obj.get("isCompactSummary"):
                    streams[thread] = _Stream()
                    continue
                message = obj.get("message")
                if isinstance(message, Mapping):
                    _user_content(message.get("content"), st)
            elif kind == "system" and obj.get("subtype") in (
                "compact_boundary",
                "microcompact_boundary",
            ):
                streams[thread] = _Stream()


@dataclass(slots=True)
class History:
    pairs: list[Pair]
    starts: list[int]  # first-request prompts of new sessions, less their first message


def collect(dirs: Iterable[Path]) -> History:
    seen: set[str] = set()
    starts: list[int] = []
    pairs = [p for path in discover(dirs) for p in file_pairs(path, seen, starts)]
    pairs.sort(key=lambda p: (p.at, p.key))
    return History(pairs, starts)


def collect_pairs(dirs: Iterable[Path]) -> list[Pair]:
    return collect(dirs).pairs


@dataclass(frozen=True, slots=True)
class Fit:
    weights: dict[str, float]  # tokens per character, fitted kinds only
    overhead: float

    def predict(self, chars: Sequence[int]) -> float:
        total = self.overhead
        for i, kind in enumerate(KINDS):
            weight = self.weights.get(kind, 1 / DEFAULT_RATIOS[kind])
            total += chars[i] * weight
        return total


def _solve(rows: list[list[float]], ys: list[float]) -> list[float] | None:
    """Least squares by the normal equations; None when the system is singular."""
    n = len(rows[0])
    a = [[sum(r[i] * r[j] for r in rows) for j in range(n)] for i in range(n)]
    b = [sum(r[i] * y for r, y in zip(rows, ys, strict=True)) for i in range(n)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-9 * max(1.0, max(abs(x) for x in a[col])):
            return None
        a[col], a[pivot] = a[pivot], a[col]
        b[col], b[pivot] = b[pivot], b[col]
        for r in range(n):
            if r != col:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col], strict=True)]
                b[r] -= f * b[col]
    return [b[i] / a[i][i] for i in range(n)]


def _fittable(pairs: Sequence[Pair]) -> list[int]:
    """Kinds (indexes) that enough pairs hold a real share (10%) of."""
    out = []
    for i in range(len(KINDS)):
        holding = sum(1 for p in pairs if p.chars[i] * 10 >= sum(p.chars) and p.chars[i] > 0)
        if holding >= MIN_KIND_PAIRS:
            out.append(i)
    return out


def fit(pairs: Sequence[Pair]) -> Fit | None:
    """Fit, drop outliers once, refit; kinds that come out non-positive keep their default."""
    cols = _fittable(pairs)
    result = _fit_cols(pairs, cols, intercept=True)
    if result is None:
        return None
    residuals = [abs(result.predict(p.chars) - p.tokens) for p in pairs]
    limit = max(50.0, 5 * statistics.median(residuals))
    kept = [p for p, r in zip(pairs, residuals, strict=True) if r <= limit]
    return _fit_cols(kept, cols, intercept=True) or result


def _fit_cols(pairs: Sequence[Pair], cols: list[int], *, intercept: bool) -> Fit | None:
    while True:
        if not pairs or (not cols and not intercept):
            return None
        rows = [[float(p.chars[i]) for i in cols] + ([1.0] if intercept else []) for p in pairs]
        ys = [p.tokens - _defaulted(p, cols) for p in pairs]
        solved = _solve(rows, ys)
        if solved is None:
            if intercept:
                intercept = False
                continue
            return None
        weights = {KINDS[i]: w for i, w in zip(cols, solved, strict=False)}
        overhead = solved[-1] if intercept else 0.0
        bad = [i for i in cols if weights[KINDS[i]] <= 0]
        if bad:
            cols = [i for i in cols if i not in bad]
            continue
        if overhead < 0:
            intercept = False
            continue
        return Fit(weights, overhead)


def _defaulted(p: Pair, cols: list[int]) -> float:
    """Tokens of the kinds not being fitted, at their default ratio."""
    return sum(p.chars[i] / DEFAULT_RATIOS[k] for i, k in enumerate(KINDS) if i not in cols)


def median_error_pct(f: Fit, pairs: Sequence[Pair]) -> float | None:
    errors = [
        abs(f.predict(p.chars) - p.tokens) * 100 / p.tokens
        for p in pairs
        if p.tokens >= MIN_ERROR_TOKENS
    ]
    return statistics.median(errors) if errors else None


def calibrate(pairs: Sequence[Pair], starts: Sequence[int] = ()) -> Calibration | None:
    """Fit on the older 80%, measure on the newest 20%, store the fit on all pairs.

    When the default ratios predict the held-back pairs better than the fit does (too little or
    too noisy history), the defaults are kept, with the error measured for them."""
    if len(pairs) < MIN_PAIRS:
        return None
    cut = len(pairs) - max(2, round(len(pairs) * HOLD_BACK))
    train, test = pairs[:cut], pairs[cut:]
    trial = fit(train)
    final = fit(pairs)
    default_error = median_error_pct(Fit({}, 0.0), test)
    error = median_error_pct(trial, test) if trial else None
    if (
        trial is None
        or final is None
        or error is None
        or (default_error is not None and default_error < error)
    ):
        final, error = Fit({}, 0.0), default_error
    return Calibration(
        ratios=tuple(
            (k, 1 / final.weights[k] if k in final.weights else DEFAULT_RATIOS[k]) for k in KINDS
        ),
        samples=tuple(
            (k, sum(1 for p in pairs if p.chars[i]))
            for i, k in enumerate(KINDS)
            if k in final.weights
        ),
        error_pct=error if error is not None else 0.0,
        pairs=len(pairs),
        held_back=len(test),
        overhead_tokens=round(final.overhead),
        session_start_tokens=round(statistics.median(starts)) if starts else 0,
        first=pairs[0].at.date(),
        last=pairs[-1].at.date(),
        fitted=True,
    )
