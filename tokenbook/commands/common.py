"""Arguments and helpers that several commands share."""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path

from tokenbook.vault import load_vault

CLAUDE_CODE = "claude-code"  # sources.registry.CLAUDE_CODE (imported only to find logs)


def parse_day(value: str) -> date:
    """`YYYY-MM-DD` or `YYYYMMDD`."""
    text = value.strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date; use YYYY-MM-DD or YYYYMMDD"
        ) from None


def add_vault(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--vault",
        type=Path,
        default=None,
        help="the vault folder (default: $TOKENBOOK_VAULT, else ./vault)",
    )


def add_logs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--logs",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a log folder: a Claude config dir holding projects/, a Codex home, OpenCode's "
        "data dir or Gemini's ~/.gemini (recognised by layout), or AGENT:DIR (repeatable; "
        "default: the vault's `logs:` setting, else each agent's default folders)",
    )


def vault_path(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    env = os.environ.get("TOKENBOOK_VAULT")
    return Path(env) if env else Path("vault")


def log_dirs(logs: list[Path], root: Path) -> list[Path]:
    """Claude Code's log folders: from `--logs` if given, else the vault's `logs:` setting,
    else Claude Code's default dirs."""
    return source_dirs(logs, root).get(CLAUDE_CODE, [])


def source_dirs(logs: list[Path], root: Path) -> dict[str, list[Path]]:
    """Log folders per agent: `--logs` values (`DIR` recognised by its layout, or `AGENT:DIR`),
    else the vault's `logs:` setting (the same forms, relative to the vault), else every
    agent's default folders (Claude Code's always; the others' where they exist)."""
    from tokenbook.sources.registry import defaults
    from tokenbook.sources.registry import locate

    if logs:
        return locate([str(p) for p in logs])
    configured = load_vault(root).settings.logs
    if configured:
        found = locate(list(configured), root)
        return {k: [Path(os.path.normpath(p)) for p in v] for k, v in found.items()}
    found = defaults(os.environ, Path.home())
    return {k: v if k == CLAUDE_CODE else [p for p in v if p.exists()] for k, v in found.items()}


def other_dirs(found: dict[str, list[Path]]) -> dict[str, list[Path]]:
    """The agents besides Claude Code that have folders."""
    return {k: v for k, v in found.items() if k != CLAUDE_CODE and v}
