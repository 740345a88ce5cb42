"""`tokenbook doctor`: everything a user would otherwise find out late, each with its fix.

Each check returns findings: `ok`, `warn` (worth knowing, nothing is lost) or `fail` (usage is
not being counted, or not priced). Checks never write and never run the hook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tokenbook.doctor.finding import Finding
from tokenbook.doctor.machine import check_cache
from tokenbook.doctor.machine import check_git
from tokenbook.doctor.machine import check_hook
from tokenbook.doctor.machine import check_logs
from tokenbook.doctor.usage import check_cycle
from tokenbook.doctor.usage import check_unassigned
from tokenbook.doctor.usage import check_usage
from tokenbook.doctor.usage import check_vault

__all__ = ["Finding", "Setup", "diagnose"]


@dataclass(frozen=True, slots=True)
class Setup:
    """Where to look: the vault, Claude Code's settings files, its log dirs, and the day."""

    root: Path
    settings: Sequence[Path]
    logs: Sequence[Path]
    today: date


def diagnose(setup: Setup) -> list[Finding]:
    """Every check, in the order a user would fix them."""
    findings, loaded = check_vault(setup.root)
    findings += check_hook(setup.settings, setup.root)
    findings += check_logs(setup.logs)
    if loaded is not None:
        vault, ledgers = loaded
        findings += check_usage(vault, ledgers, setup.root)
        findings += check_cycle(vault, setup.today)
        findings += check_unassigned(vault, ledgers, setup.today)
    findings += check_git(setup.root)
    findings += check_cache(setup.root)
    return findings
