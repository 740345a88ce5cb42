"""Budget alerts: which thresholds of which bet's appetite are crossed, and which are new.

Alerts are derived from the ledgers, never stored: a threshold is new when the ledgers after a
sync cross it and the ledgers before did not. A re-run, or history merged from another clone,
crosses nothing new, so each threshold alerts once per bet and cycle.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from decimal import Decimal
from pathlib import Path

from tokenbook.dashboard import BetView
from tokenbook.dashboard import bet_view
from tokenbook.dashboard import level
from tokenbook.model import Vault
from tokenbook.pricing import PriceBook
from tokenbook.reports import usd_text
from tokenbook.store import LedgerSet
from tokenbook.trust import check as check_trust

COMMAND_TIMEOUT = 10.0  # seconds an `alert_command` may run


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    bet: str
    title: str
    cycle: str
    threshold: int
    percent: Decimal
    used_usd: Decimal
    used_tokens: int
    appetite_usd: Decimal | None
    appetite_tokens: int | None
    estimate_usd: Decimal | None = None  # set on an alert about the estimate on record

    @property
    def key(self) -> tuple[str, str, int]:
        """Once per bet, cycle and threshold; an estimate's threshold apart from the appetite's
        (`estimate:` cannot start a cycle id)."""
        cycle = self.cycle if self.estimate_usd is None else f"estimate:{self.cycle}"
        return (self.bet, cycle, self.threshold)

    @property
    def level(self) -> str:
        return "warning" if self.estimate_usd is not None else level(self.threshold)

    def __str__(self) -> str:
        pct = self.percent.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        if self.estimate_usd is not None:
            return (
                f"{self.level}: bet {self.bet} passed {self.threshold}% of its estimate "
                f"(now {pct}%: ${self.used_usd:,.2f} of ${self.estimate_usd:,.2f}, "
                f"cycle {self.cycle})"
            )
        return (
            f"{self.level}: bet {self.bet} crossed {self.threshold}% of its appetite "
            f"(now {pct}%, cycle {self.cycle})"
        )


def alerts_of(view: BetView) -> list[Alert]:
    bet = view.bet
    if bet is None or view.percent is None:
        return []
    return [
        Alert(
            bet=bet.id,
            title=bet.title,
            cycle=bet.cycle,
            threshold=t,
            percent=view.percent,
            used_usd=view.usage.priced_usd,
            used_tokens=view.used_tokens,
            appetite_usd=view.appetite_usd,
            appetite_tokens=view.appetite_tokens,
        )
        for t in view.alerts
    ]


def estimate_alert(view: BetView) -> list[Alert]:
    """The bet's usage (its priced part) at or past `estimate_alert` (110%) of the estimate on
    record."""
    bet = view.bet
    if bet is None or bet.estimate is None or not bet.estimate.usd:
        return []
    percent = view.usage.priced_usd * 100 / bet.estimate.usd
    if percent < bet.estimate_alert:
        return []
    return [
        Alert(
            bet=bet.id,
            title=bet.title,
            cycle=bet.cycle,
            threshold=bet.estimate_alert,
            percent=percent,
            used_usd=view.usage.priced_usd,
            used_tokens=view.used_tokens,
            appetite_usd=view.appetite_usd,
            appetite_tokens=view.appetite_tokens,
            estimate_usd=bet.estimate.usd,
        )
    ]


def active_alerts(vault: Vault, ledgers: LedgerSet) -> list[Alert]:
    """Every crossed threshold of every bet (all cycles), from the ledgers as they are now:
    the appetite's thresholds, then the estimate's."""
    book = PriceBook(vault)
    by_ledger = ledgers.by_ledger()
    views = [bet_view(vault, bet, bet.id, by_ledger.get(bet.id, []), book) for bet in vault.bets]
    return [alert for view in views for alert in alerts_of(view) + estimate_alert(view)]


def new_alerts(before: Iterable[Alert], after: Iterable[Alert]) -> list[Alert]:
    known = {a.key for a in before}
    return [a for a in after if a.key not in known]


def alert_env(alert: Alert, vault: Path) -> dict[str, str]:
    """What an `alert_command` gets, as TOKENBOOK_* environment variables (an estimate's
    alert adds TOKENBOOK_ESTIMATE_USD)."""
    estimate = {"TOKENBOOK_ESTIMATE_USD": usd_text(alert.estimate_usd) or ""}
    return {
        "TOKENBOOK_VAULT": str(vault),
        "TOKENBOOK_BET": alert.bet,
        "TOKENBOOK_TITLE": alert.title,
        "TOKENBOOK_CYCLE": alert.cycle,
        "TOKENBOOK_THRESHOLD": str(alert.threshold),
        "TOKENBOOK_LEVEL": alert.level,
        "TOKENBOOK_PERCENT": str(alert.percent.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)),
        "TOKENBOOK_USED_USD": usd_text(alert.used_usd) or "",
        "TOKENBOOK_USED_TOKENS": str(alert.used_tokens),
        "TOKENBOOK_APPETITE_USD": usd_text(alert.appetite_usd) or "",
        "TOKENBOOK_APPETITE_TOKENS": ""
        if alert.appetite_tokens is None
        else str(alert.appetite_tokens),
        "TOKENBOOK_MESSAGE": str(alert),
    } | (estimate if alert.estimate_usd is not None else {})


def run_alert_command(
    command: str,
    alert: Alert,
    vault: Path,
    timeout: float | None = None,
    trusted_store: Path | None = None,
) -> str | None:
    """Run the user's command for one alert (a shell, in the vault); return why it failed or
    was not run. It runs only when this machine trusted this exact command for this vault
    (`tokenbook trust`): a vault setting can come from a pull request."""
    untrusted = check_trust("alert_command", command, vault, trusted_store)
    if untrusted is not None:
        return str(untrusted)
    timeout = COMMAND_TIMEOUT if timeout is None else timeout
    env = os.environ | alert_env(alert, vault)
    try:
        proc = subprocess.Popen(
            command,
            shell=True,
            cwd=vault,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # so a timeout can stop the command's children too
        )
    except OSError as e:
        return f"`alert_command` could not start: {e}"
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"`alert_command` timed out after {timeout:g} s for {alert.bet} {alert.threshold}%"
    done = subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        return f"`alert_command` exited {done.returncode} for {alert.bet} {alert.threshold}%" + (
            f": {tail[0]}" if tail[0] else ""
        )
    return None
