"""The lines of a Claude Code transcript that the labels need, picked from the bytes of a block.

`read(path, walk)` reads a transcript in blocks of whole lines and hands `claude_turns.Walk` the
lines that matter. The rule is the one of testing every line for a few quoted keys (`"usage"`,
`"agentId"`, ...) before any JSON is parsed, with the same answer: tests/label_reference.py keeps
that per-line filter and tests compare both on every transcript the tests write and on random
edits of their lines. What is faster here:

- the keys (usage, request, subagent, skill and background-task ids, envelope fields) are found
  with one regular expression over the whole block instead of one scan of every line per key;
  a quoted key holds no newline, so a line holds it iff the block's search finds it between
  its ends;
- a line is a response only if its first `"message":` starts `{"id": ...` (or model, id),
  which is read where it stands: a tool result (most of the bytes) is never scanned for
  `"usage"` and the like, only for `"tool_result"`, found near its start;
- most lines are never copied out of the block, and none is parsed unless the filter says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from typing import TYPE_CHECKING

from tokenbook.sources import claude_lines as cl

if TYPE_CHECKING:
    from tokenbook.sources.claude_turns import Walk

BLOCK = 4 << 20
Names = dict[bytes, list[int]]  # the keys `_KEYS` found in a line → where
_BLANK = b" \t\n\r\x0b\x0c"  # what `bytes.strip` takes away
# The quoted keys the filter looks for in most lines or counts: with the closing quote looked at
# and not taken, two keys sharing a quote are both found (`bytes.count` would count one).
_KEYS = re.compile(
    rb'"(Agent|Skill|Task|agent(?:Id|_progress)|attribution(?:Agent|Skill)|backgroundTaskId'
    rb'|commandName|requestId|sessionKind|usage)(?=")'
)
_MESSAGE = b'"message":'
_ASSISTANT = b'"assistant"'
_USER = b'"user"'
_TOOL_USE = b'"tool_use"'
_TOOL_RESULT = b'"tool_result"'
_TOOL_USE_RESULT = b'"toolUseResult"'
_FIRE = b'"scheduled_task_fire"'
_QUEUE = b'"queue-operation"'
_ENTRYPOINT = b'"entrypoint"'


def read(path: Path, walk: Walk) -> None:
    """Feed `walk` every line of the file that matters, in file order (OSError when unread)."""
    first = True
    with open(path, "rb", buffering=0) as f:
        for block, end in _blocks(f):
            first = _block(walk, block, end, first)


def _blocks(f: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    """(block, end): the block's bytes up to `end` are whole lines (the last one may lack its
    newline at the end of the file); the rest is read again with the next block."""
    size = BLOCK
    while block := f.read(size):
        cut = block.rfind(b"\n") + 1
        if cut == 0 and len(block) == size:  # a line longer than a block: read more of it
            size *= 2
            f.seek(-len(block), 1)
            continue
        cut = cut or len(block)
        yield block, cut
        f.seek(cut - len(block), 1)
        size = BLOCK


def _block(walk: Walk, block: bytes, end: int, first: bool) -> bool:
    """Feed the lines of `block[:end]`; return whether only blank lines were seen so far."""
    hits = [(m.start(), m[1]) for m in _KEYS.finditer(block, 0, end)]
    k, last = 0, len(hits)
    entry = block.find(_ENTRYPOINT, 0, end) if not walk.entrypoint else -1
    s = 0
    while s < end:
        e = block.find(b"\n", s, end)
        if e < 0:
            e = end
        names: Names = {}
        while k < last and hits[k][0] < e:
            at, name = hits[k]
            names.setdefault(name, []).append(at)
            k += 1
        fed = _fed(block, s, e)
        if first:
            if fed and _QUEUE in block[s:e]:
                walk.bare_dequeue = cl.is_bare_dequeue(cl.parse(block[s:e]))
            first = not block[s:e].strip()
        if 0 <= entry < e:
            if fed and not walk.entrypoint:
                walk.entrypoint = cl.field_in(block[s:e], "entrypoint")
            entry = block.find(_ENTRYPOINT, e, end) if not walk.entrypoint else -1
        if fed:
            if b"sessionKind" in names or b"attributionAgent" in names:
                _envelope(walk, block[s:e], names)
            _line(walk, block, s, e, names)
        s = e + 1
    return first


def _fed(block: bytes, s: int, e: int) -> bool:
    """The line starts with `{` and ends with `}` before any trailing blanks."""
    if e <= s or block[s] != 0x7B:
        return False
    j = e - 1
    while block[j] in _BLANK:
        j -= 1
    return block[j] == 0x7D


def _envelope(walk: Walk, raw: bytes, names: Names) -> None:
    if not walk.session_kind and b"sessionKind" in names:
        walk.session_kind = cl.field_in(raw, "sessionKind")
    if not walk.out.agent_type and b"attributionAgent" in names:
        walk.out.agent_type = cl.field_in(raw, "attributionAgent")


def _line(walk: Walk, block: bytes, s: int, e: int, names: Names) -> None:
    """One line that starts `{` and ends `}`: the per-line filter, its tests in a cheaper order
    (each is a test of the bytes, none has an effect: only the answer counts)."""
    if b"agent_progress" in names:
        if b"usage" in names:
            walk.on_copy(cl.parse(block[s:e]))
        return
    at = block.find(_MESSAGE, s, e)
    found = cl.MESSAGE_ID.match(block, at, e) if at >= 0 else None  # else the line has no key
    if (
        found
        and b"usage" in names
        and block.find(_ASSISTANT, s, e) >= 0
        and not _calls_tools(block, s, e, names)
    ):
        key = _key(block, s, e, found, names)
        if key is not None:
            skill = b"attributionSkill" in names  # else `field_in` finds nothing
            walk.on_response(key, cl.field_in(block[s:e], "attributionSkill") if skill else "")
            return
    if block.find(_TOOL_RESULT, s, e) >= 0 and not _result_matters(walk, block, s, e, names):
        return
    raw = block[s:e]
    if _USER in raw or _ASSISTANT in raw or _FIRE in raw:
        walk.on_line(cl.parse(raw))


def _calls_tools(block: bytes, s: int, e: int, names: Names) -> bool:
    called = b"Skill" in names or b"Task" in names or b"Agent" in names
    return called and block.find(_TOOL_USE, s, e) >= 0


def _key(block: bytes, s: int, e: int, found: re.Match[bytes], names: Names) -> str | None:
    """The response key (`message.id` NUL `requestId`) of the line whose `"message":` matched
    as `found`."""
    at = names.get(b"requestId", [])
    # the search counts `"requestId"requestId"` twice, `bytes.count` once: it decides
    requests = len(at) if len(at) < 2 else block.count(b'"requestId"', s, e)
    if requests > 1:
        return None
    request = b""
    if requests:
        got = (cl.REQUEST_ID.match if len(at) == 1 else cl.REQUEST_ID.search)(block, at[0], e)
        if got is None:
            return None
        request = got.group(1)
    try:
        return f"{found.group(1).decode()}\x00{request.decode()}"
    except UnicodeDecodeError:
        return None


def _result_matters(walk: Walk, block: bytes, s: int, e: int, names: Names) -> bool:
    """A tool result is read only for a subagent's id, a skill's name or a background task's
    id (the file's own `agentId` envelope key aside)."""
    wanted = (
        b"backgroundTaskId" in names
        or b"commandName" in names
        # the search counts `"agentId"agentId"` twice, `bytes.count` once: it decides
        or (
            len(names.get(b"agentId", ())) > walk.agent_ids
            and block.count(b'"agentId"', s, e) > walk.agent_ids
        )
    )
    return wanted and block.find(_TOOL_USE_RESULT, s, e) >= 0
