"""Put a pre-flight together: the parts of the context, their tokens with the expected error,
the expected answer, the cost at the vault's prices and the share of what is left to spend.

New content (files, prompt) is priced as a 5-minute cache write and the conversation so far as
a cache read, as Claude Code sends them; the expected answer as output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal

from tokenbook.errors import TokenbookError
from tokenbook.events import Tokens
from tokenbook.ledger import LedgerRow
from tokenbook.ledger import prompt_band
from tokenbook.model import Vault
from tokenbook.preflight.count import Calibration
from tokenbook.preflight.count import tokens_for
from tokenbook.preflight.kinds import kind_of_text
from tokenbook.preflight.optimize import Suggestion
from tokenbook.preflight.optimize import file_tokens
from tokenbook.preflight.optimize import suggest
from tokenbook.preflight.scan import Found
from tokenbook.preflight.session import SessionContext
from tokenbook.preflight.shares import Share
from tokenbook.preflight.shares import shares
from tokenbook.preflight.shares import warnings
from tokenbook.pricing import PriceBook
from tokenbook.store import LedgerSet

START_LABEL = "new session: system prompt and tools"


@dataclass(frozen=True, slots=True)
class Part:
    label: str  # an argument (file or folder), "prompt" or "conversation"
    tokens: int
    files: int = 0
    measured: bool = False  # read from the logs, not estimated


@dataclass(frozen=True, slots=True)
class Request:
    paths: Sequence[Found]
    roots: Sequence[str]
    prompt: str | None
    session: SessionContext | None
    bet: str | None
    model: str | None
    as_of: date
    now: datetime


@dataclass(slots=True)
class Preflight:
    model: str
    model_source: str  # why this model: --model, the session's, the latest used, the first priced
    calibration: Calibration
    parts: list[Part]
    files: list[tuple[Found, int]]
    suggestions: list[tuple[Suggestion, Decimal | None]]
    tokens: Tokens  # the request as it would be priced
    estimated_tokens: int  # the part of the prompt that is an estimate
    cost: Decimal | None
    unpriced: str
    expected_output: int
    shares: list[Share] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        return self.tokens.prompt

    @property
    def error_pct(self) -> float:
        """Expected error of the total: the calibration's error on the estimated part only."""
        if not self.total_tokens:
            return 0.0
        return self.calibration.error_pct * self.estimated_tokens / self.total_tokens

    def kept(self) -> list[str]:
        cut = {p for s, _ in self.suggestions for p in s.files}
        return [f.path for f, _ in self.files if f.path not in cut]


def expected_output(ledgers: LedgerSet) -> int:
    """Median output tokens per response, weighting each ledger row's mean by its responses."""
    means = sorted(
        (p.row.tokens.output / p.row.responses, p.row.responses)
        for p in ledgers.rows.values()
        if p.row.responses
    )
    half = sum(n for _, n in means) / 2
    seen = 0
    for mean, n in means:
        seen += n
        if seen >= half:
            return math.ceil(mean)
    return 0


def _first_priced(vault: Vault, day: date) -> str | None:
    """The first model in pricing/ (files by name, models in file order) priced on `day`."""
    book = PriceBook(vault)
    for model in vault.models:
        name = next((p for p in model.patterns if not set(p) & set("*?[")), None)
        if name is not None and book.entry(name, day) is not None:
            return name
    return None


def pick_model(vault: Vault, request: Request, ledgers: LedgerSet) -> tuple[str, str]:
    """The model to price with, and why that one."""
    if request.model:
        return request.model, "from --model"
    if request.session:
        return request.session.model, f"the model of session {request.session.session}"
    latest = max(ledgers.rows.values(), key=lambda p: (p.row.last, p.row.key), default=None)
    if latest is not None:
        return latest.row.model, "the latest used in the ledgers; change it with --model"
    first = _first_priced(vault, request.as_of)
    if first is None:
        raise TokenbookError(
            "no usage in the ledgers and no price in pricing/ to pick a model from; "
            "name one with --model"
        )
    return first, "no usage yet, so the first priced in pricing/; change it with --model"


def _row(model: str, tokens: Tokens, request: Request) -> LedgerRow:
    return LedgerRow(
        date=request.as_of,
        session="preflight",
        model=model,
        agent="main",
        speed="standard",
        geo="",
        prompt_over=prompt_band(tokens.prompt),
        responses=1,
        tokens=tokens,
        web_search=0,
        web_fetch=0,
        first=request.now,
        last=request.now,
        project="",
        branch="",
    )


def build(
    vault: Vault, ledgers: LedgerSet, calibration: Calibration, request: Request
) -> Preflight:
    book = PriceBook(vault)
    model, model_source = pick_model(vault, request, ledgers)
    files = [(f, file_tokens(f, calibration)) for f in request.paths]
    by_path = {f.path: n for f, n in files}
    parts = [
        Part(
            root,
            sum(n for f, n in files if f.root == root),
            sum(1 for f, _ in files if f.root == root),
        )
        for root in request.roots
    ]
    if request.prompt:
        kind = kind_of_text(request.prompt)
        parts.append(Part("prompt", tokens_for({kind: len(request.prompt)}, calibration)))
    estimated = sum(p.tokens for p in parts)
    conversation, start = 0, 0
    if request.session:
        conversation = request.session.tokens
        parts.append(Part(f"conversation {request.session.session}", conversation, measured=True))
    elif calibration.session_start_tokens:
        start = calibration.session_start_tokens
        parts.append(Part(START_LABEL, start, measured=True))
    answer = expected_output(ledgers)
    tokens = Tokens(cache_write_5m=estimated + start, cache_read=conversation, output=answer)
    priced = book.price(_row(model, tokens, request))

    def saved_cost(saved: int) -> Decimal | None:
        rest = Tokens(
            cache_write_5m=estimated + start - saved, cache_read=conversation, output=answer
        )
        after = book.price(_row(model, rest, request)).usd
        return None if priced.usd is None or after is None else priced.usd - after

    suggestions = suggest(request.paths, lambda f: by_path[f.path])
    pre = Preflight(
        model=model,
        model_source=model_source,
        calibration=calibration,
        parts=parts,
        files=files,
        suggestions=[(s, saved_cost(s.tokens_saved)) for s in suggestions],
        tokens=tokens,
        estimated_tokens=estimated,
        cost=priced.usd,
        unpriced=priced.unpriced,
        expected_output=answer,
    )
    pre.shares = shares(vault, ledgers, pre, request)
    pre.warnings = warnings(pre, bool(ledgers.rows))
    return pre
