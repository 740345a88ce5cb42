"""tokenbook: token budgets for coding agents, kept as plain markdown files in git.

The public names are imported on first use, so `import tokenbook.<module>` stays cheap: the
status line (`tokenbook statusline`) answers without loading Jinja2, YAML, markdown-it, or even
dataclasses and decimal.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType

TYPE_CHECKING = False  # `typing` costs milliseconds the status line does not have
if TYPE_CHECKING:
    from typing import Any

    from tokenbook.errors import TokenbookError
    from tokenbook.errors import VaultError
    from tokenbook.render import render_all
    from tokenbook.store import load_ledgers
    from tokenbook.sync import sync
    from tokenbook.vault import load_vault

_LAZY = {
    "TokenbookError": "tokenbook.errors",
    "VaultError": "tokenbook.errors",
    "load_ledgers": "tokenbook.store",
    "load_vault": "tokenbook.vault",
    "render_all": "tokenbook.render",
    "sync": "tokenbook.sync",
}

__all__ = ["TokenbookError", "VaultError", "load_ledgers", "load_vault", "render_all", "sync"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tokenbook' has no attribute {name!r}")


class _Package(ModuleType):
    """`tokenbook.sync` stays the function when the submodule of the same name is imported
    (the import system sets the package attribute to the submodule)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and _LAZY.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
