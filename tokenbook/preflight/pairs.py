"""Pairs of consecutive requests from the user's own Claude Code logs, for `calibrate.py`.

Each pair holds the growth of the prompt between two responses of one conversation and the
characters added in between, by content type. Text is read here, one line at a time, and only
its length and content type are kept: nothing is stored but counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from tokenbook.preflight.count import DEFAULT_RATIOS
from tokenbook.preflight.count import tokens_of
from tokenbook.preflight.kinds import KINDS
from tokenbook.preflight.kinds import kind_of_text
from tokenbook.sources.claude_code import discover


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
