"""Folders shipped with tokenbook, found in an installed wheel or in the source checkout."""

from __future__ import annotations

from pathlib import Path

_SOURCE = {"templates": "templates", "pricing": "vault/pricing"}


def data_dir(name: str) -> Path:
    installed = Path(__file__).parent / "_data" / name
    if installed.is_dir():
        return installed
    return Path(__file__).parent.parent / _SOURCE[name]
