"""Money that may be partly unpriced: the priced part, and the tokens and models it leaves out.

A model with no price is never $0. A figure with an unpriced part shows as `≥$X` (the priced
part is a floor), a figure with nothing priced as `unpriced`, and a note names the tokens and
models left out. In JSON the figure stays the priced part, next to `unpriced_tokens` and
`unpriced_models`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")
NOTE_MODELS = 3  # a note names at most this many models, then says how many more


@dataclass(frozen=True, slots=True, kw_only=True)
class Money:
    usd: Decimal = Decimal(0)  # the priced part
    unpriced_tokens: int = 0
    unpriced_models: frozenset[str] = frozenset()

    @property
    def complete(self) -> bool:
        return not self.unpriced_models

    def __add__(self, other: Money) -> Money:
        return Money(
            usd=self.usd + other.usd,
            unpriced_tokens=self.unpriced_tokens + other.unpriced_tokens,
            unpriced_models=self.unpriced_models | other.unpriced_models,
        )


def unpriced(tokens: int, model: str) -> Money:
    return Money(unpriced_tokens=tokens, unpriced_models=frozenset({model}))


def dollars(value: Decimal) -> str:
    """`$1,234.57` (the format of `tokenbook.render.usd`)."""
    return "$" + f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,}"


def amount(value: Decimal, floor: bool) -> str:
    """A dollar figure; `≥$X` when `floor` (part of it has no price), `unpriced` when no part
    of it has a price."""
    if not floor:
        return dollars(value)
    return "≥" + dollars(value) if value else "unpriced"


def money_text(m: Money) -> str:
    return amount(m.usd, not m.complete)


def models_text(models: Iterable[str]) -> str:
    names = sorted(models)
    shown = ", ".join(names[:NOTE_MODELS])
    more = len(names) - NOTE_MODELS
    return shown + (f" and {more} more" if more > 0 else "")


def unpriced_note(tokens: int, models: Iterable[str]) -> str:
    from tokenbook.escape import terminal

    models = [terminal(m, keep_newlines=False) for m in models]
    return _unpriced_note(tokens, models)


def _unpriced_note(tokens: int, models: Iterable[str]) -> str:
    """The line under a figure marked `≥`: which tokens and models it leaves out."""
    return (
        f"≥: {tokens:,} tokens of {models_text(models)} have no price in pricing/; "
        "figures marked ≥ count the priced part only (see `tokenbook check`)"
    )


def unpriced_json(tokens: int, models: Iterable[str]) -> dict[str, Any]:
    return {"unpriced_tokens": tokens, "unpriced_models": sorted(models)}
