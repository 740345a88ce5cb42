"""What one Claude Code transcript line says about turns, commands, skills and run kinds.

Helpers of `claude_turns` on single lines (parsed, or raw bytes for the fast paths). Only names
and ids come out of here: a prompt's text is looked at (its first characters, its command tags)
and never kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# A user line whose text starts with one of these is output or an interruption, not a prompt.
NOT_A_PROMPT = (
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<local-command-caveat>",
    "<bash-input>",
    "<bash-stdout>",
    "<bash-stderr>",
    "[Request interrupted by user",
)
_NOT_PROMPT_FLAGS = ("isMeta", "isCompactSummary", "isVisibleInTranscriptOnly")
COMMAND_TAGS = ("<command-name>", "<command-message>")
SKILL_BODY = "Base directory for this skill:"
NOTIFICATION = "<task-notification>"
WARMUP = "Warmup"
SPAWN_TOOLS = frozenset({"Task", "Agent"})
SKILL_TOOL = "Skill"
HEADLESS = frozenset({"sdk-cli", "sdk-ts", "sdk-py"})
INTERACTIVE = frozenset({"cli", "claude-vscode", "claude-desktop"})
TYPED = frozenset({"typed", "queued", "suggestion_accepted"})
DEFAULT_AGENT = "general-purpose"  # what Claude Code runs when `subagent_type` is omitted

_NAME = re.compile(r"<command-name>\s*(.*?)\s*</command-name>", re.DOTALL)
_MESSAGE = re.compile(r"<command-message>\s*([^\s<]*)")
_TASK_ID = re.compile(r"<task-id>\s*([^<\s]{1,200})\s*</task-id>")
# The fast paths read ids straight from the bytes. Inside a JSON string every quote is escaped,
# so `"key":` can only be the JSON structure itself, never text a user or tool wrote.
MESSAGE_ID = re.compile(
    rb'"message":\s*\{\s*(?:"model":\s*"[^"\\]*",\s*)?"id":\s*"([^"\\]{1,200})"'
)
REQUEST_ID = re.compile(rb'"requestId":\s*"([^"\\]{0,200})"')
_STRING_FIELD = {
    name: re.compile(rb'"' + name.encode() + rb'":\s*"([^"\\]{1,200})"')
    for name in ("entrypoint", "sessionKind", "attributionSkill", "attributionAgent")
}


def text_of(message: Any) -> str:
    """A user message's text: the string content, or its text blocks joined."""
    if not isinstance(message, Mapping):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "".join(
        b["text"]
        for b in content
        if isinstance(b, Mapping) and b.get("type") == "text" and isinstance(b.get("text"), str)
    )


def has_tool_result(message: Any) -> bool:
    content = message.get("content") if isinstance(message, Mapping) else None
    return isinstance(content, list) and any(
        isinstance(b, Mapping) and b.get("type") == "tool_result" for b in content
    )


def tool_result_id(message: Any) -> str:
    content = message.get("content") if isinstance(message, Mapping) else None
    for b in content if isinstance(content, list) else ():
        if isinstance(b, Mapping) and b.get("type") == "tool_result":
            return text(b, "tool_use_id")
    return ""


def text(obj: Any, name: str) -> str:
    value = obj.get(name) if isinstance(obj, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


def is_opener(line: Mapping[str, Any]) -> bool:
    """A user prompt that opens a turn (main thread only): not meta, not a compaction summary,
    not a tool result, not command output or an interruption."""
    if line.get("type") != "user" or line.get("isSidechain") is True:
        return False
    if any(line.get(k) is True for k in _NOT_PROMPT_FLAGS):
        return False
    message = line.get("message")
    if has_tool_result(message):
        return False
    return not text_of(message).lstrip().startswith(NOT_A_PROMPT)


def command_of(prompt: str) -> str:
    """`/name` of a command echo (`<command-name>/name</command-name>`, the bare 1.0.24 `name`,
    plugin `/plugin:name`); arguments never. '' when the prompt is not a command."""
    head = prompt.lstrip()
    if not head.startswith(COMMAND_TAGS):
        return ""
    found = _NAME.search(head)
    name = found.group(1) if found else ""
    if not name:
        message = _MESSAGE.search(head)
        name = message.group(1) if message else ""
    name = name.split()[0].lstrip("/") if name.split() else ""
    return f"/{name}" if name else ""


def is_notification(line: Mapping[str, Any], prompt: str) -> bool:
    origin = line.get("origin")
    kind = text(origin, "kind") if isinstance(origin, Mapping) else ""
    return kind == "task-notification" or prompt.lstrip().startswith(NOTIFICATION)


def task_id(prompt: str) -> str:
    found = _TASK_ID.search(prompt)
    return found.group(1) if found else ""


def run_kind(
    entrypoint: str, prompt_source: str, session_kind: str, scheduled: bool, bare_dequeue: bool
) -> str:
    """interactive, headless, scheduled, background, or '' (unknown): the order of the rule."""
    if scheduled:
        return "scheduled"
    if entrypoint in HEADLESS or prompt_source == "sdk":
        return "headless"
    if session_kind == "bg":
        return "background"
    if entrypoint in INTERACTIVE or prompt_source in TYPED:
        return "interactive"
    if bare_dequeue:  # `claude -p` before `entrypoint` existed: a heuristic
        return "headless"
    return ""


def is_bare_dequeue(line: Any) -> bool:
    return (
        isinstance(line, Mapping)
        and line.get("type") == "queue-operation"
        and line.get("operation") == "dequeue"
        and not line.get("content")
    )


def field_in(raw: bytes, name: str) -> str:
    """A top-level string field read from the bytes ('' when absent or escaped)."""
    if name.encode() not in raw:
        return ""
    found = _STRING_FIELD[name].search(raw)
    try:
        return found.group(1).decode() if found else ""
    except UnicodeDecodeError:
        return ""


def key_of(line: Mapping[str, Any]) -> str:
    """The response key the scanner uses (`sources.claude_code`), '' for a line without usage."""
    message = line.get("message")
    if not isinstance(message, Mapping) or not isinstance(message.get("usage"), Mapping):
        return ""
    mid, request = message.get("id"), line.get("requestId")
    if not isinstance(mid, str) or not mid:
        return ""
    return f"{mid}\x00{request if isinstance(request, str) else ''}"


def tool_uses(line: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(id, name, input) of the Skill, Task and Agent calls of an assistant line."""
    message = line.get("message")
    content = message.get("content") if isinstance(message, Mapping) else None
    out = []
    for b in content if isinstance(content, list) else ():
        if not isinstance(b, Mapping) or b.get("type") != "tool_use":
            continue
        name, given = text(b, "name"), b.get("input")
        if name in SPAWN_TOOLS or name == SKILL_TOOL:
            out.append((text(b, "id"), name, given if isinstance(given, Mapping) else {}))
    return out


def parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # malformed: the scanner reports it
        return None
