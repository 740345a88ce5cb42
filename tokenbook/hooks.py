"""Claude Code settings.json: add or remove tokenbook's `SessionEnd` hook and status line.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenbook import jsonedit
from tokenbook.errors import TokenbookError
from tokenbook.fileio import write_if_changed
from tokenbook.hookcommand import is_statusline
from tokenbook.hookcommand import is_sync

EVENT = "SessionEnd"


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


def _event_groups(data: dict[str, Any], path: Path) -> list[Any]:
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise TokenbookError(f"{path}:0: `hooks` must be an object; nothing was written")
    groups = hooks.setdefault(EVENT, [])
    if not isinstance(groups, list):
        raise TokenbookError(f"{path}:0: `hooks.{EVENT}` must be a list; nothing was written")
    return groups


def our_hooks(data: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (matcher group, hook) of ours under SessionEnd, in file order."""
    hooks = data.get("hooks")
    groups = hooks.get(EVENT) if isinstance(hooks, dict) else None
    return [
        (g, h)
        for g in (groups if isinstance(groups, list) else [])
        if isinstance(g, dict) and isinstance(g.get("hooks"), list)
        for h in g["hooks"]
        if isinstance(h, dict) and is_sync(h.get("command"))
    ]


def install(path: Path, command: str, statusline: str | None) -> Change:
    """Add (or update) our SessionEnd hook, and the status line when one is given."""
    settings = read_settings(path)
    data = settings.data
    before = copy.deepcopy(data)
    notes: list[str] = []
    wanted = {"type": "command", "command": command}
    groups = _event_groups(data, path)
    ours = our_hooks(data)
    if not ours:
        groups.append({"hooks": [wanted]})
    else:
        (_, first), *extra = ours
        first.update(wanted)  # a new vault path or interpreter replaces the old one in place
        _remove(data, extra)
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


def _remove(data: dict[str, Any], pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
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
    hooks[EVENT][:] = [g for g in hooks[EVENT] if not any(g is e for e in emptied)]
    if not hooks[EVENT]:
        del hooks[EVENT]
    if not hooks:
        del data["hooks"]


def uninstall(path: Path) -> Change:
    """Remove our hook and our status line; everything else stays."""
    settings = read_settings(path)
    if not settings.existed:
        return Change(path, False)
    data = settings.data
    before = copy.deepcopy(data)
    _remove(data, our_hooks(data))
    if _is_our_statusline(data.get("statusLine")):
        del data["statusLine"]
    return Change(path, _write(path, settings, before))


def record_vault(file: Path, vault: Path) -> bool:
    """Remember the vault for `tokenbook statusline` (used when $TOKENBOOK_VAULT is unset)."""
    return write_if_changed(file, f"{vault}\n")
