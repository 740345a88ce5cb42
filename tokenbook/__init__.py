"""tokenbook: token budgets for coding agents, kept as plain markdown files in git."""

from tokenbook.errors import TokenbookError
from tokenbook.errors import VaultError
from tokenbook.render import render_all
from tokenbook.store import load_ledgers
from tokenbook.sync import sync
from tokenbook.vault import load_vault

__all__ = ["TokenbookError", "VaultError", "load_ledgers", "load_vault", "render_all", "sync"]
