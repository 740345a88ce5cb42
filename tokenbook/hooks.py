"""Claude Code settings.json: add or remove tokenbook's `SessionEnd` hook and status line.

The file is merged, never replaced: every other key, hook and matcher group stays as it was, in
its order. Our entries are recognised by their command (`tokenbook sync --quiet ...` and
`tokenbook statusline`), so installing twice changes nothing and uninstalling removes only them.
"""

from __future__ import annotations

import copy
import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenbook.errors import TokenbookError
from tokenbook.fileio import write_if_changed

EVENT = "SessionEnd"
SYNC_PREFIX = "tokenbook sync --quiet"
STATUSLINE_COMMAND = "tokenbook statusline"
HOOK_WAIT_SECONDS = 5


@dataclass(frozen=True, slots=True)
class Change:
    path: Path
    changed: bool
    notes: tuple[str, ...] = ()


def settings_file(scope: str, home: Path, cwd: Path) -> Path:
    """`user`: ~/.claude/settings.json; `project`: ./.claude/settings.json."""
    return (home if scope == "user" else cwd) / ".claude" / "settings.json"


def sync_command(vault: Path) -> str:
    return f"{SYNC_PREFIX} --wait {HOOK_WAIT_SECONDS} --vault {shlex.quote(str(vault))}"


def is_ours(hook: Any) -> bool:
    command = hook.get("command") if isinstance(hook, dict) else None
    return isinstance(command, str) and command.startswith(SYNC_PREFIX + " ")


def read_settings(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise TokenbookError(
            f"{path}:{e.lineno}: not valid JSON ({e.msg}); fix it, then run the command again "
            "(nothing was written)"
        ) from None
    if not isinstance(data, dict):
        raise TokenbookError(f"{path}:1: settings must be a JSON object; nothing was written")
    return data


def _write(path: Path, data: dict[str, Any], before: dict[str, Any]) -> bool:
    """Rewrite only when the settings changed, so a no-op keeps the user's own formatting."""
    if data == before and path.exists():
        return False
    return write_if_changed(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _event_groups(data: dict[str, Any], path: Path) -> list[Any]:
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise TokenbookError(f"{path}:0: `hooks` must be an object; nothing was written")
    groups = hooks.setdefault(EVENT, [])
    if not isinstance(groups, list):
        raise TokenbookError(f"{path}:0: `hooks.{EVENT}` must be a list; nothing was written")
    return groups


def install(path: Path, vault: Path, *, statusline: bool) -> Change:
    """Add (or update) our SessionEnd hook, and the status line when asked."""
    data = read_settings(path)
    before = copy.deepcopy(data)
    notes: list[str] = []
    wanted = {"type": "command", "command": sync_command(vault)}
    groups = _event_groups(data, path)
    ours = [
        (g, h)
        for g in groups
        if isinstance(g, dict) and isinstance(g.get("hooks"), list)
        for h in g["hooks"]
        if is_ours(h)
    ]
    if not ours:
        groups.append({"hooks": [wanted]})
    else:
        (_, first), *extra = ours
        first.update(wanted)  # a new vault path replaces the old one in place
        for group, hook in extra:
            group["hooks"].remove(hook)
        _drop_empty(data)
        _event_groups(data, path)
    if statusline:
        current = data.get("statusLine")
        if current is None or _is_our_statusline(current):
            data["statusLine"] = {"type": "command", "command": STATUSLINE_COMMAND}
        else:
            notes.append(
                f"kept your own statusLine ({json.dumps(current, ensure_ascii=False)}); remove it "
                "and run again to use tokenbook's"
            )
    return Change(path, _write(path, data, before), tuple(notes))


def _is_our_statusline(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    command = value.get("command")
    return isinstance(command, str) and command.startswith(STATUSLINE_COMMAND)


def _drop_empty(data: dict[str, Any]) -> None:
    """Remove matcher groups, the event list and `hooks` that our removal left empty."""
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return
    groups = hooks.get(EVENT)
    if isinstance(groups, list):
        groups[:] = [g for g in groups if not (isinstance(g, dict) and g.get("hooks") == [])]
        if not groups:
            del hooks[EVENT]
    if not hooks:
        del data["hooks"]


def uninstall(path: Path) -> Change:
    """Remove our hook and our status line; everything else stays."""
    if not path.exists():
        return Change(path, False)
    data = read_settings(path)
    before = copy.deepcopy(data)
    hooks = data.get("hooks")
    groups = hooks.get(EVENT) if isinstance(hooks, dict) else None
    if isinstance(groups, list):
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                group["hooks"] = [h for h in group["hooks"] if not is_ours(h)]
        _drop_empty(data)
    if _is_our_statusline(data.get("statusLine")):
        del data["statusLine"]
    return Change(path, _write(path, data, before))


def record_vault(file: Path, vault: Path) -> bool:
    """Remember the vault for `tokenbook statusline` (used when $TOKENBOOK_VAULT is unset)."""
    return write_if_changed(file, f"{vault}\n")
