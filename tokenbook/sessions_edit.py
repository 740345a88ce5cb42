"""Surgical edits of a bet file's `sessions:` list: every other byte of the file stays."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tokenbook.docs import read_document
from tokenbook.errors import Problem
from tokenbook.errors import TokenbookError
from tokenbook.errors import VaultError

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9._-]*|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")


def _yaml_scalar(text: str) -> str:
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _sessions_of(meta: dict[str, object]) -> list[str]:
    value = meta.get("sessions")
    return [str(s) for s in value] if isinstance(value, list) else []


def edit_sessions(path: Path, session: str, *, add: bool) -> str | None:
    """The bet file's text with `session` added to (or removed from) its `sessions:` list,
    every other line byte-identical; None when nothing changes."""
    doc = read_document(path, str(path))
    if isinstance(doc, Problem):
        raise VaultError([doc])
    listed = _sessions_of(doc.meta)
    if (session in listed) == add:
        return None
    raw = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"  # keep the file's own line endings
    lines = raw.split(newline)
    if "sessions" not in doc.meta:
        lines.insert(doc.body_line - 1, f"sessions: [{_yaml_scalar(session)}]")
        return newline.join(lines)
    key_line = doc.line("sessions") - 1
    head = lines[key_line].split("#", 1)[0].rstrip()
    after = head.split(":", 1)[1].strip()
    new = [s for s in listed if s != session] + ([session] if add else [])
    if (after.startswith("[") and after.endswith("]")) or after in ("", "[]", "null", "~"):
        if after == "" and listed:  # a block list: one `- item` line per session
            return newline.join(_edit_block(lines, doc.lines, listed, session, add=add))
        if new:
            flow = ", ".join(_yaml_scalar(s) for s in new)
            lines[key_line] = f"sessions: [{flow}]"
        else:
            del lines[key_line]
        return newline.join(lines)
    raise TokenbookError(
        f"{path}:{key_line + 1}: cannot edit this `sessions:` value automatically; write it as "
        f"a list (`sessions: [{_yaml_scalar(session)}]`) and run the command again"
    )


def _edit_block(
    lines: list[str],
    located: dict[tuple[str | int, ...], int],
    listed: list[str],
    session: str,
    *,
    add: bool,
) -> list[str]:
    item_lines = [located[("sessions", i)] - 1 for i in range(len(listed))]
    if add:
        last = lines[item_lines[-1]]
        indent = last[: len(last) - len(last.lstrip())]
        lines.insert(item_lines[-1] + 1, f"{indent}- {_yaml_scalar(session)}")
    else:
        index = listed.index(session)
        del lines[item_lines[index]]
        if len(listed) == 1:
            del lines[located[("sessions",)] - 1]
    return lines
