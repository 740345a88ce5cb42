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
from datetime import timedelta
from decimal import Decimal

from tokenbook.dashboard import bet_view
from tokenbook.dashboard import build_dashboard
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
from tokenbook.pricing import PriceBook
from tokenbook.store import LedgerSet

HUNDRED = Decimal(100)
WARN_SHARE = Decimal(50)  # percent of a remaining appetite
START_LABEL = "new session: system prompt and tools"


@dataclass(frozen=True, slots=True)
class Part:
    label: str  # an argument (file or folder), "prompt" or "conversation"
    tokens: int
    files: int = 0
    measured: bool = False  # read from the logs, not estimated


@dataclass(frozen=True, slots=True)
class Share:
    name: str  # "bet auth-login", "cycle 2026-11", "plan max-5x 5-hour window"
    remaining_usd: Decimal | None
    remaining_tokens: int | None
    percent: Decimal | None  # the larger of the dollar and token shares; None if nothing left


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


def _percent(
    cost: Decimal | None, tokens: int, left_usd: Decimal | None, left_tokens: int | None
) -> Decimal | None:
    found = []
    if left_usd is not None and left_usd > 0 and cost is not None:
        found.append(cost * HUNDRED / left_usd)
    if left_tokens is not None and left_tokens > 0:
        found.append(Decimal(tokens) * HUNDRED / Decimal(left_tokens))
    return max(found) if found else None


def shares(vault: Vault, ledgers: LedgerSet, pre: Preflight, request: Request) -> list[Share]:
    kinds = vault.settings.budget_kinds
    tokens = sum(getattr(pre.tokens, k) for k in kinds)
    out = []
    bet_id = request.bet or _session_bet(ledgers, request.session)
    if bet_id is not None:
        bet = vault.bet(bet_id)
        if bet is None:
            known = ", ".join(sorted(b.id for b in vault.bets))
            raise TokenbookError(f"unknown bet `{bet_id}`; known: {known}")
        view = bet_view(vault, bet, bet.id, ledgers.by_ledger().get(bet.id, []), PriceBook(vault))
        left_usd = None if view.appetite_usd is None else view.appetite_usd - view.usage.priced_usd
        left_tokens = (
            None if view.appetite_tokens is None else view.appetite_tokens - view.used_tokens
        )
        out.append(
            Share(
                f"bet {bet.id}",
                left_usd,
                left_tokens,
                _percent(pre.cost, tokens, left_usd, left_tokens),
            )
        )
    dash = build_dashboard(vault, ledgers, request.as_of)
    cycle = dash.cycle
    if cycle is not None and (cycle.budget_usd is not None or cycle.budget_tokens is not None):
        used_tokens = dash.used.budget_tokens(kinds)
        left_usd = None if cycle.budget_usd is None else cycle.budget_usd - dash.used.priced_usd
        left_tokens = None if cycle.budget_tokens is None else cycle.budget_tokens - used_tokens
        out.append(
            Share(
                f"cycle {cycle.id}",
                left_usd,
                left_tokens,
                _percent(pre.cost, tokens, left_usd, left_tokens),
            )
        )
    out.extend(_plan_shares(vault, ledgers, pre, request, tokens))
    return out


def _session_bet(ledgers: LedgerSet, session: SessionContext | None) -> str | None:
    if session is None:
        return None
    found = {p.ledger for p in ledgers.rows.values() if p.row.session == session.session}
    found.discard("unassigned")
    return min(found) if len(found) == 1 else None


def _plan_shares(
    vault: Vault, ledgers: LedgerSet, pre: Preflight, request: Request, tokens: int
) -> list[Share]:
    """Each plan window with a limit: what the rows that ended inside the window used (a
    ledger row is a day's aggregate, so a row counts whole when its last response is inside)."""
    book = PriceBook(vault)
    kinds = vault.settings.budget_kinds
    out = []
    for plan in vault.plans:
        for w in plan.windows:
            if w.limit_tokens is None and w.limit_usd is None:
                continue
            start = request.now - timedelta(hours=w.hours)
            rows = [p.row for p in ledgers.rows.values() if start <= p.row.last <= request.now]
            used_tokens = sum(sum(getattr(r.tokens, k) for k in kinds) for r in rows)
            used_usd = sum((book.price(r).usd or Decimal(0) for r in rows), Decimal(0))
            left_usd = None if w.limit_usd is None else w.limit_usd - used_usd
            left_tokens = None if w.limit_tokens is None else w.limit_tokens - used_tokens
            out.append(
                Share(
                    f"plan {plan.id} {w.name} window",
                    left_usd,
                    left_tokens,
                    _percent(pre.cost, tokens, left_usd, left_tokens),
                )
            )
    return out


def warnings(pre: Preflight, history: bool) -> list[str]:
    out = []
    total = pre.total_tokens
    if total > 200_000:
        out.append(
            f"the prompt is over 200K tokens ({total:,}): beyond most models' context window, "
            "and long-context prices apply where the price list has them; cut it down"
        )
    elif total > 100_000:
        out.append(
            f"the prompt is over 100K tokens ({total:,}): every later request re-reads it; "
            "leave out what it does not need"
        )
    out.extend(w for w in map(_share_warning, pre.shares) if w)
    if not pre.calibration.fitted:
        out.append(
            f"token counts use the default ratios (±{pre.calibration.error_pct:.0f}%); "
            "run `tokenbook preflight --calibrate` to fit them to your logs"
        )
    if not history:
        out.append("no usage in the ledgers yet: the expected answer size is 0 until you sync")
    if pre.unpriced:
        out.append(f"no cost: {pre.unpriced}")
    return out


def _share_warning(s: Share) -> str:
    if s.percent is None:
        empty = (s.remaining_usd is not None and s.remaining_usd <= 0) or (
            s.remaining_tokens is not None and s.remaining_tokens <= 0
        )
        return f"the {s.name} has no appetite left" if empty else ""
    if s.percent > HUNDRED:
        return f"this is more than the {s.name}'s remaining appetite ({s.percent:.0f}%)"
    if s.percent > WARN_SHARE:
        return f"this uses {s.percent:.0f}% of the {s.name}'s remaining appetite"
    return ""
