"""The per-line labels filter `claude_turns.labels` had before `claude_turn_scan` (kept to compare).

Every line that starts `{` and ends `}` is tested for each quoted key on its own, in this order;
`claude_turn_scan` must feed `Walk` the same lines with the same answers.
"""

from __future__ import annotations

from pathlib import Path

from tokenbook.sources import claude_lines as cl
from tokenbook.sources.claude_turns import FileLabels
from tokenbook.sources.claude_turns import Walk
from tokenbook.sources.claude_turns import is_subagent_file

_TOOL_NAMES = (b'"Skill"', b'"Task"', b'"Agent"')


def feed(walk: Walk, raw: bytes, first: bool) -> None:
    if first and b'"queue-operation"' in raw:
        walk.bare_dequeue = cl.is_bare_dequeue(cl.parse(raw))
    _envelope(walk, raw)
    if b'"agent_progress"' in raw:
        if b'"usage"' in raw:
            walk.on_copy(cl.parse(raw))
        return
    if b'"usage"' in raw and b'"assistant"' in raw and not _calls_tools(raw):
        key = fast_key(raw)
        if key is not None:
            walk.on_response(key, cl.field_in(raw, "attributionSkill"))
            return
    if b'"tool_result"' in raw and not _result_matters(walk, raw):
        return
    if b'"user"' in raw or b'"assistant"' in raw or b'"scheduled_task_fire"' in raw:
        walk.on_line(cl.parse(raw))


def _envelope(walk: Walk, raw: bytes) -> None:
    if not walk.entrypoint:
        walk.entrypoint = cl.field_in(raw, "entrypoint")
    if not walk.session_kind:
        walk.session_kind = cl.field_in(raw, "sessionKind")
    if not walk.out.agent_type:
        walk.out.agent_type = cl.field_in(raw, "attributionAgent")


def _result_matters(walk: Walk, raw: bytes) -> bool:
    if b'"toolUseResult"' not in raw:
        return False
    return (
        raw.count(b'"agentId"') > walk.agent_ids
        or b'"backgroundTaskId"' in raw
        or b'"commandName"' in raw
    )


def _calls_tools(raw: bytes) -> bool:
    return b'"tool_use"' in raw and any(name in raw for name in _TOOL_NAMES)


def labels(path: Path) -> FileLabels:
    walk = Walk(main=not is_subagent_file(path))
    if not walk.main:
        walk.agent_ids = 1
        walk.out.agent_id = path.stem.removeprefix("agent-")
    try:
        with open(path, "rb", buffering=1 << 20) as f:
            first = True
            for raw in f:
                if raw.startswith(b"{") and raw.rstrip().endswith(b"}"):
                    feed(walk, raw, first)
                first = first and not raw.strip()
    except OSError:
        return FileLabels(agent_id=walk.out.agent_id)
    return walk.finish()


def fast_key(raw: bytes) -> str | None:
    """`message.id` + NUL + `requestId` read from the bytes of a usual assistant line; None when
    the layout is not the usual one (the caller parses the line then). The per-line form of
    `claude_turn_scan`'s response key."""
    found = cl.MESSAGE_ID.search(raw)
    if found is None or found.start() != raw.find(b'"message":'):
        return None  # the first `"message":` must be the line's own
    requests = raw.count(b'"requestId"')
    if requests > 1:
        return None
    request = b""
    if requests:
        got = cl.REQUEST_ID.search(raw)
        if got is None:
            return None
        request = got.group(1)
    try:
        return f"{found.group(1).decode()}\x00{request.decode()}"
    except UnicodeDecodeError:
        return None
