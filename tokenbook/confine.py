"""Keep tokenbook inside the vault: no read, write or deletion through a symbolic link.

A vault arrives by pull request and git stores symlinks, so a linked `progress/` or
`ledgers/x.md` could make tokenbook read, write or delete anywhere on a teammate's machine.
`check_links` refuses such a vault before a command does anything; `confined` checks each path
tokenbook writes or deletes.
"""

from __future__ import annotations

import os
from pathlib import Path

from tokenbook.errors import Problem
from tokenbook.errors import VaultError

# What tokenbook reads or writes at the top of a vault, and the folders whose files it reads.
TOP = (
    "tokenbook.md",
    "cycles",
    "bets",
    "pricing",
    "plans",
    "ledgers",
    "progress",
    "templates",
    "cost-dashboard.md",
    "limits.md",
    "calibration.md",
    ".tokenbook-cache",
    ".tokenbook.lock",
)
FOLDERS = ("cycles", "bets", "pricing", "plans", "ledgers", "progress")


class OutsideVault(VaultError):
    """Paths that go through a symbolic link, or out of the vault."""


def _problem(path: Path, message: str) -> OutsideVault:
    return OutsideVault([Problem(str(path), 0, message)])


def link_message(path: Path) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return (
        f"a symbolic link (to {target}); tokenbook reads and writes only real files and "
        "folders inside the vault, because a link from a pull request can lead anywhere; "
        "replace the link with the file or folder itself"
    )


def confined(root: Path, path: Path) -> Path:
    """`path`, after checking that no part of it below the vault `root` is a symbolic link.
    `path` must be spelled below `root` (`root / ...`)."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        raise _problem(path, f"not inside the vault {root}; tokenbook writes only there") from None
    if ".." in parts:
        raise _problem(path, f"leads out of the vault {root}; tokenbook writes only there")
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise _problem(current, link_message(current))
    return path


def check_links(root: Path) -> None:
    """Refuse a vault with a symbolic link where tokenbook reads or writes: its top-level files
    and folders, and the files in its folders. (Vault templates are checked as they load.)"""
    links = [root / name for name in TOP if (root / name).is_symlink()]
    for name in FOLDERS:
        folder = root / name
        if folder.is_dir() and not folder.is_symlink():
            links.extend(p for p in sorted(folder.iterdir()) if p.is_symlink())
    if links:
        raise OutsideVault([Problem(str(p), 0, link_message(p)) for p in links])
