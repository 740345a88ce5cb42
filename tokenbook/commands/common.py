"""Arguments and helpers that several commands share."""

from __future__ import annotations

import argparse
import json
import os
from datetime import date
from pathlib import Path

from tokenbook.errors import TokenbookError
from tokenbook.sources.names import CLAUDE_CODE


def parse_day(value: str) -> date:
    """`YYYY-MM-DD` or `YYYYMMDD`, from 2000 to 2099 (`fields.FIRST_DAY`..`LAST_DAY`)."""
    from tokenbook.fields import Invalid  # the vault's field checks: only when a date is given
    from tokenbook.fields import in_era

    text = value.strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date; use YYYY-MM-DD or YYYYMMDD"
        ) from None
    try:
        return in_era(day)
    except Invalid as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def path_arg(value: str) -> Path:
    """A path argument the file system can take: no NUL byte, encodable as a file name."""
    try:
        if "\0" in value:
            raise ValueError
        os.fsencode(value)
    except (ValueError, UnicodeError):
        raise argparse.ArgumentTypeError(
            f"{value!r} cannot be a file name (a NUL byte or invalid Unicode); check the path"
        ) from None
    return Path(value)


def add_vault(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--vault",
        type=path_arg,
        default=None,
        help="the vault folder (default: $TOKENBOOK_VAULT, else ./vault)",
    )


def add_logs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--logs",
        type=path_arg,
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
    from tokenbook.sources.registry import defaults  # every agent's module: only when looking
    from tokenbook.sources.registry import locate
    from tokenbook.vault import load_vault

    if logs:
        return locate([str(p) for p in logs])
    configured = load_vault(root).settings.logs
    if configured:
        found = locate(list(configured), root)
        found = {k: [Path(os.path.normpath(p)) for p in v] for k, v in found.items()}
        outside = [p for v in found.values() for p in v if not within_repository(root, p)]
        if outside:
            require_trusted_logs(root, list(configured), outside)
        return found
    found = defaults(os.environ, Path.home())
    return {k: v if k == CLAUDE_CODE else [p for p in v if p.exists()] for k, v in found.items()}


def within_repository(root: Path, path: Path) -> bool:
    """Whether `path` (links resolved) is inside the vault, or inside the git work tree the
    vault is in (where a pull request could only add files, as the example's logs are)."""
    real, top = path.resolve(), root.resolve()
    for base in [top, *top.parents]:
        repository = (base / ".git").exists()
        if (repository or base == top) and (real == base or base in real.parents):
            return True
        if (base / ".git").exists():
            return False
    return False


def require_trusted_logs(root: Path, configured: list[str], outside: list[Path]) -> None:
    """A `logs:` setting that reads outside the vault's repository runs only when trusted: a
    vault setting can come from a pull request (`tokenbook trust` allows it)."""
    from tokenbook.trust import check

    if check("logs", logs_setting(configured), root) is not None:
        raise TokenbookError(
            f"{root / 'tokenbook.md'}: `logs:` reads {outside[0]}, outside the vault's "
            "repository, and this machine has not trusted that setting (it can come from a pull "
            f"request); read it, then allow it with `tokenbook trust --vault {root}`, or pass "
            "--logs DIR"
        )


def logs_setting(configured: list[str]) -> str:
    """The text trust is recorded for: the whole `logs:` list."""
    return "logs: " + json.dumps(configured)


def other_dirs(found: dict[str, list[Path]]) -> dict[str, list[Path]]:
    """The agents besides Claude Code that have folders."""
    return {k: v for k, v in found.items() if k != CLAUDE_CODE and v}
