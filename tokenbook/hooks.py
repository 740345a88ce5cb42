"""Claude Code settings.json: add or remove tokenbook's `SessionEnd` hook, status line and the
opt-in guard hooks (`UserPromptSubmit`, and `PreToolUse` on Task|Agent).

The file is merged, never replaced: every other key, hook and matcher group stays as it was, in
its order, with its numbers as written and the file's indentation (`tokenbook.jsonedit`). A
symlinked settings file (a dotfiles setup) stays a symlink: its target is edited. Our entries
are recognised by what they run (`tokenbook sync --quiet ...`, `tokenbook statusline`, by any
path to tokenbook), so installing twice changes nothing and uninstalling removes only them.
"""

from __future__ import annotations

import copy
import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenbook import jsonedit
from tokenbook.errors import TokenbookError
from tokenbook.fileio import write_if_changed
from tokenbook.hookcommand import is_statusline
from tokenbook.hookcommand import is_sync
from tokenbook.hookcommand import split

EVENT = "SessionEnd"
GUARD_EVENTS = (("UserPromptSubmit", None), ("PreToolUse", "Task|Agent"))
GUARD_TIMEOUT = 10  # seconds; it answers in tens of milliseconds and blocks nothing on timeout


@dataclass(frozen=True, slots=True)
class Change:
    path: Path
    changed: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Settings:
    """A parsed settings file: the data, how it was laid out, and the file to write."""

    data: dict[str, Any]
    layout: jsonedit.Layout
    target: Path  # the file itself, or what its symlink points to
    existed: bool


def settings_file(scope: str, home: Path, cwd: Path) -> Path:
    """`user`: ~/.claude/settings.json; `project`: ./.claude/settings.json."""
    return (home if scope == "user" else cwd) / ".claude" / "settings.json"


def _target(path: Path) -> Path:
    """Where writes go: through a symlink (however many links) to the file it names."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _read_text(path: Path) -> str | None:
    """The file's text, None when it does not exist; clear errors for everything else."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise TokenbookError(
            f"{path}:0: is a folder, not a settings file; move it away (Claude Code reads a "
            "JSON file here), then run the command again; nothing was written"
        ) from None
    except OSError as e:
        raise TokenbookError(
            f"{path}:0: cannot read it ({e.strerror}); fix its permissions, then run the "
            "command again; nothing was written"
        ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise TokenbookError(
            f"{path}:{line}: not UTF-8 (byte 0x{raw[e.start]:02x}); save the file as UTF-8, "
            "then run the command again; nothing was written"
        ) from None


def read_settings(path: Path) -> Settings:
    target = _target(path)
    text = _read_text(path)
    if text is None or not text.strip():
        return Settings({}, jsonedit.layout(text or ""), target, text is not None)
    try:
        data = jsonedit.loads(text)
    except json.JSONDecodeError as e:
        raise TokenbookError(
            f"{path}:{e.lineno}: not valid JSON ({e.msg}); fix it, then run the command again "
            "(nothing was written)"
        ) from None
    except jsonedit.DuplicateKey as e:
        raise TokenbookError(
            f"{path}:0: the key {json.dumps(str(e))} appears twice in one object (Claude Code "
            "keeps only the last); keep one, then run the command again; nothing was written"
        ) from None
    if not isinstance(data, dict):
        raise TokenbookError(f"{path}:1: settings must be a JSON object; nothing was written")
    return Settings(data, jsonedit.layout(text), target, True)


def _write(path: Path, settings: Settings, before: dict[str, Any]) -> bool:
    """Rewrite only when the settings changed, so a no-op keeps the file byte for byte."""
    if settings.data == before and settings.existed:
        return False
    try:
        return write_if_changed(settings.target, jsonedit.dumps(settings.data, settings.layout))
    except OSError as e:
        raise TokenbookError(
            f"{settings.target}:0: cannot write it ({e.strerror}); fix its permissions or free "
            "some space, then run the command again; the file was left as it was"
        ) from None


def _event_groups(data: dict[str, Any], path: Path, event: str = EVENT) -> list[Any]:
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise TokenbookError(f"{path}:0: `hooks` must be an object; nothing was written")
    groups = hooks.setdefault(event, [])
    if not isinstance(groups, list):
        raise TokenbookError(f"{path}:0: `hooks.{event}` must be a list; nothing was written")
    return groups


def is_guard(command: Any) -> bool:
    """`tokenbook guard ...` by any path to tokenbook (not `guard allow`)."""
    words = split(command) or []
    for i, word in enumerate(words):
        if Path(word).name in ("tokenbook", "tokenbook.exe"):  # a script, or `-m tokenbook`
            return words[i + 1 : i + 2] == ["guard"] and "allow" not in words[i + 2 :]
    return False


def our_hooks(
    data: dict[str, Any], event: str = EVENT, ours: Any = is_sync
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (matcher group, hook) of ours under `event`, in file order."""
    hooks = data.get("hooks")
    groups = hooks.get(event) if isinstance(hooks, dict) else None
    return [
        (g, h)
        for g in (groups if isinstance(groups, list) else [])
        if isinstance(g, dict) and isinstance(g.get("hooks"), list)
        for h in g["hooks"]
        if isinstance(h, dict) and ours(h.get("command"))
    ]


def _put(
    data: dict[str, Any], path: Path, event: str, wanted: dict[str, Any], matcher: str | None
) -> None:
    """Add (or update in place) our one hook under `event`."""
    ours = our_hooks(data, event, is_guard if event != EVENT else is_sync)
    groups = _event_groups(data, path, event)
    if not ours:
        groups.append(
            {"hooks": [wanted]} if matcher is None else {"matcher": matcher, "hooks": [wanted]}
        )
    else:
        (_, first), *extra = ours
        first.update(wanted)  # a new vault path or interpreter replaces the old one in place
        _remove(data, extra, event)


def install(path: Path, command: str, statusline: str | None, guard: str | None = None) -> Change:
    """Add (or update) our SessionEnd hook, the status line and the guard hooks when given."""
    settings = read_settings(path)
    data = settings.data
    before = copy.deepcopy(data)
    notes: list[str] = []
    _put(data, path, EVENT, {"type": "command", "command": command}, None)
    if guard is not None:
        for event, matcher in GUARD_EVENTS:
            wanted = {"type": "command", "command": guard, "timeout": GUARD_TIMEOUT}
            _put(data, path, event, wanted, matcher)
    if statusline is not None:
        current = data.get("statusLine")
        if current is None or _is_our_statusline(current):
            data["statusLine"] = {"type": "command", "command": statusline}
        else:
            shown = jsonedit.dumps(current, jsonedit.Layout(None, False))
            notes.append(
                f"kept your own statusLine ({shown}); remove it and run again to use tokenbook's"
            )
    return Change(path, _write(path, settings, before), tuple(notes))


def _is_our_statusline(value: Any) -> bool:
    return isinstance(value, dict) and is_statusline(value.get("command"))


def _remove(
    data: dict[str, Any], pairs: list[tuple[dict[str, Any], dict[str, Any]]], event: str = EVENT
) -> None:
    """Remove these hooks of ours, and the groups, event list and `hooks` that this left empty
    (empty ones the user wrote stay)."""
    if not pairs:
        return
    hooks = data["hooks"]
    emptied = []
    for group, hook in pairs:
        group["hooks"][:] = [h for h in group["hooks"] if h is not hook]
        if not group["hooks"]:
            emptied.append(group)
    hooks[event][:] = [g for g in hooks[event] if not any(g is e for e in emptied)]
    if not hooks[event]:
        del hooks[event]
    if not hooks:
        del data["hooks"]


def uninstall(path: Path, guard_only: bool = False) -> Change:
    """Remove our hooks and our status line (`guard_only`: the guard hooks alone); everything
    else stays."""
    settings = read_settings(path)
    if not settings.existed:
        return Change(path, False)
    data = settings.data
    before = copy.deepcopy(data)
    for event, _ in GUARD_EVENTS:
        _remove(data, our_hooks(data, event, is_guard), event)
    if not guard_only:
        _remove(data, our_hooks(data))
        if _is_our_statusline(data.get("statusLine")):
            del data["statusLine"]
    return Change(path, _write(path, settings, before))


def guard_command(vault: Path, prog: list[str]) -> str:
    return shlex.join([*prog, "guard", "--vault", str(vault)])


def record_vault(file: Path, vault: Path) -> bool:
    """Remember the vault for `tokenbook statusline` (used when $TOKENBOOK_VAULT is unset)."""
    return write_if_changed(file, f"{vault}\n")
