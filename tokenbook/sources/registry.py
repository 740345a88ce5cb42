"""The agents tokenbook reads, in one place, and how a `--logs` value names one.

Adding an agent is one module with `NAME`, `default_dirs`, `looks_like` and `read` (see
`base.py`), added to `SOURCES` below. Claude Code keeps its own reader (`claude_code.py`); it is
known here by name and by its layout (a `projects/` folder) so that `--logs DIR` can tell it
from the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from tokenbook.errors import TokenbookError
from tokenbook.sources import claude_code
from tokenbook.sources import codex
from tokenbook.sources import gemini
from tokenbook.sources import opencode
from tokenbook.sources.base import Read


class Source(Protocol):
    """What a source module provides (`tokenbook/sources/<agent>.py`)."""

    NAME: str

    def default_dirs(self, env: Mapping[str, str], home: Path) -> list[Path]: ...

    def looks_like(self, path: Path) -> bool: ...

    def read(self, dirs: Iterable[Path]) -> Read: ...


SOURCES: dict[str, Source] = {s.NAME: s for s in (codex, opencode, gemini)}
CLAUDE_CODE = claude_code.NAME
NAMES = (CLAUDE_CODE, *sorted(SOURCES))  # `names.NAMES` without loading the agents' modules
ALIASES = {"claude": CLAUDE_CODE, "codex-cli": "codex", "gemini-cli": "gemini"}
_PREFIX = re.compile(r"^([a-z][a-z0-9-]*):(.+)$")


def claude_code_layout(path: Path) -> bool:
    """A Claude Code config folder: it holds `projects/`."""
    return (path / "projects").is_dir()


def detect_names(path: Path) -> list[str]:
    """Every agent whose layout `path` holds (usually one; none for an empty folder)."""
    found = [CLAUDE_CODE] if claude_code_layout(path) else []
    return found + [name for name, s in sorted(SOURCES.items()) if s.looks_like(path)]


def detect(path: Path) -> Source | None:
    """The one non-Claude source whose layout `path` holds, else None."""
    names = detect_names(path)
    return SOURCES[names[0]] if len(names) == 1 and names[0] in SOURCES else None


def canonical(name: str) -> str | None:
    name = ALIASES.get(name, name)
    return name if name in NAMES else None


def parse_logs_arg(text: str) -> tuple[str | None, Path]:
    """`codex:~/work/.codex` → ("codex", path); a plain folder → (None, path).

    A prefix that names no agent is an error unless the whole text is an existing path (a
    folder may have a colon in its name; `C:\\logs` is a drive, not an agent)."""
    value = text.strip()
    m = _PREFIX.match(value)
    if m:
        name = canonical(m.group(1))
        if name is not None:
            return name, Path(m.group(2)).expanduser()
        if len(m.group(1)) > 1 and not Path(value).expanduser().exists():
            known = ", ".join(NAMES)
            raise TokenbookError(
                f"--logs {text}: {m.group(1)!r} is not an agent tokenbook reads; "
                f"write AGENT:DIR with AGENT one of {known}, or give a folder"
            )
    return None, Path(value).expanduser()


def locate(entries: Sequence[str], base: Path | None = None) -> dict[str, list[Path]]:
    """Folders per agent from `--logs` values (or the vault's `logs:` setting, relative to
    `base`): a named entry goes to its agent, a plain folder to the agent whose layout it holds,
    and to Claude Code when it holds none or several (as before agents were told apart)."""
    found: dict[str, list[Path]] = {}
    for entry in entries:
        name, path = parse_logs_arg(entry)
        if base is not None and not path.is_absolute():
            path = base / path
        if name is None:
            names = detect_names(path)
            name = names[0] if len(names) == 1 else CLAUDE_CODE
        found.setdefault(name, [])
        if path not in found[name]:
            found[name].append(path)
    return found


def defaults(env: Mapping[str, str], home: Path) -> dict[str, list[Path]]:
    """Each agent's default folders (environment overrides first)."""
    found = {CLAUDE_CODE: claude_code.default_dirs(env, home)}
    found.update({name: s.default_dirs(env, home) for name, s in sorted(SOURCES.items())})
    return found
