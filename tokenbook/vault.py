"""Load the vault: its cache (`vaultcache`) while no vault file changed, else the files parsed
(`vault_parse`: YAML, markdown-it and every field's checks load only then), reporting every
problem at once."""

from __future__ import annotations

from pathlib import Path

from tokenbook import vaultcache
from tokenbook.confine import check_links
from tokenbook.errors import Problem
from tokenbook.errors import VaultError
from tokenbook.model import Settings
from tokenbook.model import Vault

SETTINGS_FILE = "tokenbook.md"


def require_vault(root: Path) -> None:
    """A vault is a folder with a `tokenbook.md`; anything else is refused before any write, and
    so is a vault with a symbolic link where tokenbook reads or writes (`confine.check_links`)."""
    if not (root / SETTINGS_FILE).is_file():
        raise VaultError([Problem(str(root), 0, "no vault here; create one with `tokenbook init`")])
    check_links(root)


def load_vault(root: Path) -> Vault:
    """Read and validate the whole vault; raise VaultError listing every problem."""
    require_vault(root)
    cached, key = vaultcache.load(root, SETTINGS_FILE)
    if cached is not None:
        return cached
    from tokenbook.vault_parse import parse_vault

    vault = parse_vault(root)
    vaultcache.save(vault, key)
    return vault


def load_settings(root: Path, problems: list[Problem]) -> Settings:
    """The settings file alone (its problems added to `problems`)."""
    from tokenbook.vault_parse import parse_settings

    return parse_settings(root, problems)
