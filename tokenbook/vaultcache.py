"""The parsed vault (`model.Vault`), cached in `.tokenbook-cache/vault.bin`.

Parsing the YAML of every cycle, bet, price and plan file is most of what a report costs; the
cache holds the result keyed by those files (`cachefile`), so a vault read twice is parsed once.
Only vaults without problems are cached: a vault with a problem is parsed (and reported) every
time. The value is stored as plain data: each `model` dataclass by name with its field names,
and rebuilt only when the class still has exactly those fields.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tokenbook import cachefile
from tokenbook import model
from tokenbook.model import Vault

CACHE_FILE = "vault.bin"
FOLDERS = ("cycles", "bets", "pricing", "plans")  # what `vault.load_vault` reads, with the settings
_CODE = (
    "model.py",
    "vault.py",
    "vault_parse.py",
    "vault_prices.py",
    "docs.py",
    "fields.py",
    "checks.py",
    "cycles.py",
    "estimate_fields.py",
    "guard_fields.py",
    "vaultcache.py",
)
_CLASSES = {
    c.__name__: c
    for c in vars(model).values()
    if isinstance(c, type) and dataclasses.is_dataclass(c)
}


def sources(root: Path, settings: str) -> list[Path]:
    return [root / settings, *(p for d in FOLDERS for p in sorted((root / d).glob("*.md")))]


def key(root: Path, settings: str) -> bytes | None:
    h = cachefile.new_key("vault", *_CODE)
    h.update(str(root).encode("utf-8", "surrogateescape"))
    if not cachefile.add_files(h, sources(root, settings), root):
        return None
    return bytes(h.digest())


def load(root: Path, settings: str) -> tuple[Vault | None, bytes | None]:
    """The cached vault (None when there is none for these files) and the key to save under."""
    found = key(root, settings)
    if found is None:
        return None, None
    data = cachefile.read(root / cachefile.CACHE_DIR / CACHE_FILE, found)
    if data is None:
        return None, found
    try:
        vault = _decode(data)
    except (KeyError, TypeError, ValueError, IndexError, ArithmeticError):
        return None, found
    return (vault if isinstance(vault, Vault) and vault.root == root else None), found


def save(vault: Vault, found: bytes | None) -> None:
    if found is not None:
        try:
            data = _encode(vault)
        except TypeError:  # a value the codec does not know: not cached
            return
        cachefile.write(vault.root / cachefile.CACHE_DIR / CACHE_FILE, found, data)


def _encode(v: Any) -> Any:
    if v is None or type(v) in (bool, int, str):
        return v
    if type(v) is tuple:
        return ["t", [_encode(x) for x in v]]
    if type(v) is Decimal:
        return ["D", str(v)]
    if type(v) is date:
        return ["d", v.isoformat()]
    if type(v) is datetime:
        return ["T", v.isoformat()]
    if isinstance(v, Path):
        return ["P", str(v)]
    if type(v) is dict:
        return ["M", [[_encode(k), _encode(x)] for k, x in v.items()]]
    name = type(v).__name__
    if _CLASSES.get(name) is type(v):
        names = [f.name for f in dataclasses.fields(v)]
        return ["C", name, names, [_encode(getattr(v, n)) for n in names]]
    raise TypeError(f"not cached: {type(v).__name__}")


def _decode(v: Any) -> Any:
    if v is None or type(v) in (bool, int, str):
        return v
    tag = v[0]
    if tag == "t":
        return tuple(_decode(x) for x in v[1])
    if tag == "D":
        return Decimal(v[1])
    if tag == "d":
        return date.fromisoformat(v[1])
    if tag == "T":
        return datetime.fromisoformat(v[1])
    if tag == "P":
        return Path(v[1])
    if tag == "M":
        return {_decode(k): _decode(x) for k, x in v[1]}
    if tag == "C":
        cls = _CLASSES[v[1]]
        names = [f.name for f in dataclasses.fields(cls)]
        if names != v[2]:
            raise ValueError("the class changed")
        return cls(**dict(zip(names, (_decode(x) for x in v[3]), strict=True)))
    raise ValueError(f"unknown tag {tag!r}")
