"""Commands from a vault run only after this machine trusted them (the way `direnv allow` works).

A vault arrives by pull request, so its `alert_command` is someone else's shell command until the
user has read it and run `tokenbook trust`. Trust is kept outside the vault, in
`$XDG_CONFIG_HOME/tokenbook/trusted` (else `~/.config/tokenbook/trusted`), one line per vault and
command: the SHA-256 of the command, then the vault's absolute path as JSON. A changed command has
another hash, so it needs trust again; a vault moved to another folder too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tokenbook.fileio import FileError
from tokenbook.fileio import write_if_changed

STORE_NAME = "trusted"


def default_store(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """`$XDG_CONFIG_HOME/tokenbook/trusted`, else `~/.config/tokenbook/trusted` (a relative
    XDG_CONFIG_HOME is ignored, as the XDG spec says)."""
    env = os.environ if env is None else env
    config = env.get("XDG_CONFIG_HOME", "")
    base = Path(config) if config and os.path.isabs(config) else (home or Path.home()) / ".config"
    return base / "tokenbook" / STORE_NAME


def digest(command: str) -> str:
    return hashlib.sha256(command.encode("utf-8", "surrogatepass")).hexdigest()


def _line(vault: Path, command: str) -> str:
    return f"{digest(command)} {json.dumps(str(vault.resolve()))}"


def _lines(store: Path) -> list[str]:
    try:
        data = store.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as e:
        raise FileError(store, e, "read the trusted commands") from None
    return [ln for ln in data.decode("utf-8", "replace").split("\n") if ln]


def is_trusted(vault: Path, command: str, store: Path) -> bool:
    return _line(vault, command) in _lines(store)


def trust(vault: Path, command: str, store: Path) -> bool:
    """Record trust in `command` for `vault`; return whether it was new. Trust in the vault's
    earlier commands is dropped: only the command the vault holds now is trusted."""
    keep = [ln for ln in _lines(store) if not ln.endswith(" " + _vault_text(vault))]
    line = _line(vault, command)
    new = line not in _lines(store)
    write_if_changed(store, "\n".join([*keep, line]) + "\n")
    return new


def trust_all(vault: Path, commands: list[str], store: Path) -> None:
    """Trust exactly these settings of `vault` (its earlier trusted settings are dropped)."""
    keep = [ln for ln in _lines(store) if not ln.endswith(" " + _vault_text(vault))]
    lines = [*keep, *(_line(vault, c) for c in commands)]
    write_if_changed(store, "\n".join(lines) + "\n")


def revoke(vault: Path, store: Path) -> bool:
    """Forget every trusted command of `vault`; return whether there was any."""
    lines = _lines(store)
    keep = [ln for ln in lines if not ln.endswith(" " + _vault_text(vault))]
    if keep != lines:
        write_if_changed(store, "".join(f"{ln}\n" for ln in keep))
    return keep != lines


def _vault_text(vault: Path) -> str:
    return json.dumps(str(vault.resolve()))


@dataclass(frozen=True, slots=True)
class Untrusted:
    """A vault command this machine has not trusted: it was not run, and how to allow it."""

    setting: str
    command: str
    vault: Path

    @property
    def allow(self) -> str:
        return f"tokenbook trust --vault {shlex.quote(str(self.vault))}"

    def __str__(self) -> str:
        return (
            f"`{self.setting}` was not run: this machine has not trusted it, and a vault setting "
            f"can come from a pull request. Read it (`{self.allow} --show`), then allow it with "
            f"`{self.allow}`"
        )


def check(setting: str, command: str, vault: Path, store: Path | None = None) -> Untrusted | None:
    """None when `command` may run; else why not, as data."""
    if is_trusted(vault, command, store or default_store()):
        return None
    return Untrusted(setting, command, vault)
