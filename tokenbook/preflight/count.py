"""Offline token estimates: characters per token for each content type, and their error.

The ratios come from the user's own logs (`calibrate.py`) and live in `<vault>/calibration.md`
(metadata only: ratios, sample sizes, the measured error, the date range fitted). Without it the
documented defaults apply, with a wide error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from tokenbook.docs import read_document
from tokenbook.errors import Problem
from tokenbook.errors import VaultError
from tokenbook.fileio import write_if_changed
from tokenbook.preflight.kinds import KINDS

CALIBRATION_FILE = "calibration.md"
# Uncalibrated ratios for Claude's tokenizer (characters per token). Claude's tokenizer splits
# finer than tiktoken; these are round figures from public measurements of Claude 3+/4 models.
DEFAULT_RATIOS: Mapping[str, float] = {"code": 3.0, "prose": 3.8, "json": 2.6, "other": 2.8}
DEFAULT_ERROR_PCT = 25.0  # a guess, stated as such: measure yours with `preflight --calibrate`


@dataclass(frozen=True, slots=True, kw_only=True)
class Calibration:
    ratios: tuple[tuple[str, float], ...]  # kind → characters per token
    samples: tuple[tuple[str, int], ...] = ()  # kind → request pairs that held that kind
    error_pct: float = DEFAULT_ERROR_PCT  # median absolute % error on held-back pairs
    pairs: int = 0
    held_back: int = 0
    overhead_tokens: int = 0  # per added message (framing), fitted
    session_start_tokens: int = 0  # median first prompt of a new session, less its message
    first: date | None = None
    last: date | None = None
    fitted: bool = False

    @property
    def defaults_kept(self) -> bool:
        """Measured on history, but the defaults predicted it better than a fit."""
        return self.fitted and not self.samples

    def ratio(self, kind: str) -> float:
        return dict(self.ratios).get(kind, DEFAULT_RATIOS["other"])


DEFAULTS = Calibration(ratios=tuple(DEFAULT_RATIOS.items()))


def tokens_of(chars: int, ratio: float) -> int:
    """`chars / ratio` rounded up, in whole numbers (the ratio to 3 decimals, as stored)."""
    milli = max(1, round(ratio * 1000))
    return -(-chars * 1000 // milli)


def tokens_for(chars: Mapping[str, int], calibration: Calibration) -> int:
    """Estimated tokens of a text made of `chars[kind]` characters of each kind."""
    return sum(tokens_of(n, calibration.ratio(k)) for k, n in chars.items() if n)


def calibration_text(c: Calibration) -> str:
    ratios = ", ".join(f"{k}: {dict(c.ratios)[k]:.3f}" for k in KINDS if k in dict(c.ratios))
    samples = ", ".join(f"{k}: {n}" for k, n in c.samples)
    lines = [
        "---",
        f"chars_per_token: {{{ratios}}}",
        f"samples: {{{samples}}}",
        f"overhead_tokens: {c.overhead_tokens}",
        f"session_start_tokens: {c.session_start_tokens}",
        f"pairs: {c.pairs}",
        f"held_back: {c.held_back}",
        f"median_error_pct: {c.error_pct:.1f}",
        f"first: {c.first.isoformat() if c.first else 'null'}",
        f"last: {c.last.isoformat() if c.last else 'null'}",
        "---",
        "# Token calibration",
        "",
        "Written by `tokenbook preflight --calibrate` from the request pairs in your Claude Code",
        "logs: characters per token for each content type, fitted on the older 80% of pairs, the",
        "error measured on the newest 20%, then refitted on all. Metadata only, never text.",
        "",
    ]
    return "\n".join(lines)


def save_calibration(root: Path, c: Calibration) -> bool:
    return write_if_changed(root / CALIBRATION_FILE, calibration_text(c))


def load_calibration(root: Path) -> Calibration:
    """The vault's calibration, or the defaults when it has none."""
    path = root / CALIBRATION_FILE
    if not path.exists():
        return DEFAULTS
    label = str(path)
    doc = read_document(path, label)
    if isinstance(doc, Problem):
        raise VaultError([doc])
    problems: list[Problem] = []

    def bad(key: str, what: str) -> None:
        problems.append(
            Problem(label, doc.line(key), f"`{key}` {what}; run `tokenbook preflight --calibrate`")
        )

    meta = doc.meta
    ratios = _mapping(meta.get("chars_per_token"), float, positive=True)
    if ratios is None:
        bad("chars_per_token", "must map code/prose/json/other to positive numbers")
    samples = _mapping(meta.get("samples") or {}, int, positive=False)
    if samples is None:
        bad("samples", "must map content types to whole numbers")
    error = meta.get("median_error_pct")
    if not isinstance(error, (int, Decimal)) or isinstance(error, bool) or error < 0:
        bad("median_error_pct", "must be a number of percent")
    if problems or ratios is None or samples is None or error is None:
        raise VaultError(problems)
    return Calibration(
        ratios=tuple((k, ratios.get(k, DEFAULT_RATIOS[k])) for k in KINDS),
        samples=tuple(samples.items()),
        error_pct=float(error),
        pairs=_int(meta.get("pairs")),
        held_back=_int(meta.get("held_back")),
        overhead_tokens=_int(meta.get("overhead_tokens")),
        session_start_tokens=_int(meta.get("session_start_tokens")),
        first=meta.get("first") if isinstance(meta.get("first"), date) else None,
        last=meta.get("last") if isinstance(meta.get("last"), date) else None,
        fitted=True,
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _mapping(value: Any, kind: type, *, positive: bool) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k not in KINDS or isinstance(v, bool) or not isinstance(v, (int, Decimal)):
            return None
        if (positive and v <= 0) or v < 0:
            return None
        out[k] = kind(v)
    return out
