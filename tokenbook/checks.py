"""Cross-file checks over a loaded vault: each returns located problems, none raises."""

from __future__ import annotations

from collections.abc import Callable

from tokenbook.errors import Problem
from tokenbook.model import Vault


def _bet_cycles_exist(vault: Vault) -> list[Problem]:
    known = ", ".join(c.id for c in vault.cycles) or "none yet (add a file under cycles/)"
    loaded = {c.path for c in vault.cycles}

    def unreadable(name: str) -> bool:
        """The cycle's file exists but has problems of its own, already reported."""
        path = vault.root / "cycles" / f"{name}.md"
        return path.is_file() and str(path) not in loaded

    return [
        Problem(bet.path, bet.line("cycle"), f"unknown cycle `{bet.cycle}`; known cycles: {known}")
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
