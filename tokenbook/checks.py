"""Cross-file checks over a loaded vault: each returns located problems, none raises."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tokenbook.cycles import derived_ids
from tokenbook.cycles import repeat_of
from tokenbook.errors import Problem
from tokenbook.model import Bet
from tokenbook.model import Cycle
from tokenbook.model import Vault


def _bet_cycles_exist(vault: Vault) -> list[Problem]:
    known = ", ".join(c.id for c in vault.cycles) or "none yet (add a file under cycles/)"
    loaded = {c.path for c in vault.cycles}
    upcoming = derived_ids(vault)

    def unreadable(name: str) -> bool:
        """The cycle's file exists but has problems of its own, already reported."""
        path = vault.root / "cycles" / f"{name}.md"
        return path.is_file() and str(path) not in loaded

    def message(name: str) -> str:
        if name in upcoming:
            source = vault.cycle(upcoming[name].derived_from)
            repeat = repeat_of(vault, source) if source else None
            return (
                f"cycle `{name}` has no file yet (it is the one `{upcoming[name].derived_from}` "
                f"repeats into, {repeat}); run `tokenbook cycle next` to write it"
            )
        return f"unknown cycle `{name}`; known cycles: {known}"

    return [
        Problem(bet.path, bet.line("cycle"), message(bet.cycle))
        for bet in vault.bets
        if vault.cycle(bet.cycle) is None and not unreadable(bet.cycle)
    ]


def _cycle_ids_unique(vault: Vault) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for cycle in vault.cycles:
        if cycle.id in seen:
            problems.append(
                Problem(
                    cycle.path,
                    cycle.line,
                    f"cycle id `{cycle.id}` is also used by {seen[cycle.id]}; rename one",
                )
            )
        seen.setdefault(cycle.id, cycle.path)
    return problems


def _sessions_assigned_once(vault: Vault) -> list[Problem]:
    owner: dict[str, str] = {}
    problems = []
    for bet in vault.bets:
        for session in bet.sessions:
            if session in owner and owner[session] != bet.id:
                problems.append(
                    Problem(
                        bet.path,
                        bet.line("sessions"),
                        f"session {session} is also assigned to bet `{owner[session]}`; "
                        "keep it in one bet's `sessions:`",
                    )
                )
            owner.setdefault(session, bet.id)
    return problems


def _shares_need_budget(vault: Vault) -> list[Problem]:
    problems = []
    for bet in vault.bets:
        cycle = vault.cycle(bet.cycle)
        if bet.appetite.share is None or cycle is None:
            continue
        if cycle.budget_usd is None and cycle.budget_tokens is None:
            problems.append(
                Problem(
                    bet.path,
                    bet.line("appetite"),
                    f"the appetite is a share, but cycle `{cycle.id}` has no budget; "
                    f"add `budget_usd:` or `budget_tokens:` to {cycle.path}",
                )
            )
    return problems


def _patterns_unique(vault: Vault) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for model in vault.models:
        for pattern in model.patterns:
            if pattern in seen:
                problems.append(
                    Problem(
                        model.path,
                        model.line,
                        f"model pattern `{pattern}` is also priced at {seen[pattern]}; keep one",
                    )
                )
            seen.setdefault(pattern, f"{model.path}:{model.line}")
    return problems


CHECKS: tuple[Callable[[Vault], list[Problem]], ...] = (
    _bet_cycles_exist,
    _cycle_ids_unique,
    _sessions_assigned_once,
    _shares_need_budget,
    _patterns_unique,
)


def cross_checks(vault: Vault) -> list[Problem]:
    return [p for check in CHECKS for p in check(vault)]


def appetite_share(bet: Bet, cycle: Cycle) -> Decimal | None:
    """The part of the cycle budget a bet's appetite takes (the larger of USD and tokens)."""
    a = bet.appetite
    if a.share is not None:
        return a.share
    shares = []
    if a.usd is not None and cycle.budget_usd:
        shares.append(a.usd / cycle.budget_usd)
    if a.tokens is not None and cycle.budget_tokens:
        shares.append(Decimal(a.tokens) / Decimal(cycle.budget_tokens))
    return max(shares) if shares else None


def _appetites_fit(vault: Vault) -> list[Problem]:
    problems = []
    for cycle in vault.cycles:
        bets = [b for b in vault.bets if b.cycle == cycle.id and b.status != "dropped"]
        shares = [(b, appetite_share(b, cycle)) for b in bets]
        total = sum((s for _, s in shares if s is not None), Decimal(0))
        room = 1 - cycle.reserve
        if total > room:
            parts = ", ".join(f"{b.id} {_pc(s)}" for b, s in shares if s is not None)
            problems.append(
                Problem(
                    cycle.path,
                    cycle.line,
                    f"the appetites of cycle `{cycle.id}` add up to {_pc(total)} ({parts}), "
                    f"more than the {_pc(room)} left after the {_pc(cycle.reserve)} reserve; "
                    "lower an appetite, move a bet to another cycle, or raise the budget",
                )
            )
    return problems


def _cycles_apart(vault: Vault) -> list[Problem]:
    problems = []
    for i, a in enumerate(vault.cycles):
        for b in vault.cycles[i + 1 :]:
            if a.id != b.id and b.start <= a.end and a.start <= b.end:
                problems.append(
                    Problem(
                        b.path,
                        b.line,
                        f"cycle `{b.id}` ({b.start} → {b.end}) overlaps cycle `{a.id}` "
                        f"({a.start} → {a.end}); move `start:` after {a.end}",
                    )
                )
    return problems


def _pc(share: Decimal) -> str:
    return f"{(share * 100).quantize(Decimal('0.1')).normalize():f}%"


WARNINGS: tuple[Callable[[Vault], list[Problem]], ...] = (_appetites_fit, _cycles_apart)


def plan_warnings(vault: Vault) -> list[Problem]:
    """Budget-planning problems: reported by `check`, never blocking (a budget is a signal)."""
    return [p for check in WARNINGS for p in check(vault)]
