"""Decide which bet a group of usage belongs to: explicit sessions, then match rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase

from tokenbook.model import UNASSIGNED
from tokenbook.model import Bet
from tokenbook.model import Rule
from tokenbook.model import Vault


@dataclass(frozen=True, slots=True)
class Ambiguous:
    session: str
    project: str
    branch: str
    bets: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"session {self.session} (project {self.project or '-'}, branch {self.branch or '-'}) "
            f"matches bets {', '.join(self.bets)}; it went to `{UNASSIGNED}`. Add the session to "
            "one bet's `sessions:` list, or narrow the bets' `match:` rules"
        )


def _rule_matches(rule: Rule, project: str, branch: str) -> bool:
    if rule.project is not None and not fnmatchcase(project, rule.project):
        return False
    return rule.branch is None or fnmatchcase(branch, rule.branch)


class Attributor:
    """Explicit `sessions:` first; else the active bets whose cycle holds the day and whose rules
    match; else `unassigned`. More than one matching bet is ambiguous and goes to `unassigned`."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.explicit = {s: bet.id for bet in vault.bets for s in bet.sessions}
        self.ambiguous: dict[str, Ambiguous] = {}

    def explicit_bet(self, session: str) -> str | None:
        return self.explicit.get(session)

    def bet_for(self, session: str, day: date, project: str, branch: str) -> str:
        if session in self.explicit:
            return self.explicit[session]
        matches = [b.id for b in self.vault.bets if self._claims(b, day, project, branch)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            self.ambiguous.setdefault(session, Ambiguous(session, project, branch, tuple(matches)))
        return UNASSIGNED

    def _claims(self, bet: Bet, day: date, project: str, branch: str) -> bool:
        cycle = self.vault.cycle(bet.cycle)
        if bet.status != "active" or cycle is None or not cycle.contains(day):
            return False
        return any(_rule_matches(r, project, branch) for r in bet.rules)
