"""tokenbook: token budgets for coding agents, kept as plain markdown files in git.

The library's entry points live in their modules (`tokenbook.vault.load_vault`,
`tokenbook.store.load_ledgers`, `tokenbook.sync.sync`, `tokenbook.render.render_all`, ...).
The package itself imports nothing, so `tokenbook statusline` answers without loading Jinja2,
YAML or markdown-it; the names below load on first use.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.2.0"  # keep in step with pyproject.toml (a test checks)

_LAZY = {
    "TokenbookError": "tokenbook.errors",
    "VaultError": "tokenbook.errors",
    "load_ledgers": "tokenbook.store",
    "load_vault": "tokenbook.vault",
    "render_all": "tokenbook.render",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tokenbook' has no attribute {name!r}")
