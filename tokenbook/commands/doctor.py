"""`tokenbook doctor`: is usage being counted? Each check with its fix; exit 1 if one fails."""

from __future__ import annotations

import argparse
import json
import os
from datetime import date
from pathlib import Path

from tokenbook.commands.common import add_logs
from tokenbook.commands.common import add_vault
from tokenbook.commands.common import parse_day
from tokenbook.commands.common import vault_path
from tokenbook.doctor import Finding
from tokenbook.doctor import Setup
from tokenbook.doctor import diagnose
from tokenbook.errors import TokenbookError
from tokenbook.hooks import settings_file
from tokenbook.sources import claude_code
from tokenbook.vault import load_vault
from tokenbook.vault import require_vault

LABEL = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
WIDTH = len("unassigned")  # the longest check name: columns stay put when checks are skipped


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_vault(p)
    add_logs(p)
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--as-of", type=parse_day, help="the day taken as today (default: today)")


def _log_dirs(logs: list[Path], root: Path) -> list[Path]:
    """`--logs`, else the vault's `logs:` (if it loads), else Claude Code's default dirs."""
    if logs:
        return list(logs)
    try:
        configured = load_vault(root).settings.logs
    except TokenbookError:
        configured = ()
    if configured:
        return [Path(os.path.normpath(root / Path(d).expanduser())) for d in configured]
    return claude_code.default_dirs(os.environ, Path.home())


def _settings_files() -> list[Path]:
    """Where Claude Code reads hooks from: the user's settings and this project's."""
    home, cwd = Path.home(), Path.cwd()
    project = settings_file("project", home, cwd)
    files = [settings_file("user", home, cwd), project, project.with_name("settings.local.json")]
    return [files[0], *(f for f in files[1:] if f.exists() and f != files[0])]


def _text(findings: list[Finding]) -> str:
    width = max(WIDTH, *(len(f.check) for f in findings))
    lines = []
    for f in findings:
        lines.append(f"{LABEL[f.status]}  {f.check:<{width}}  {f.message}")
        if f.fix and f.status != "ok":
            lines.append(f"{'':4}  {'':<{width}}  fix: {f.fix}")
    counts = {s: sum(f.status == s for f in findings) for s in LABEL}
    lines.append(f"{counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failed")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault).expanduser()
    require_vault(root)
    setup = Setup(
        root=root.resolve(),
        settings=_settings_files(),
        logs=_log_dirs(args.logs, root),
        today=args.as_of or date.today(),
    )
    findings = diagnose(setup)
    failed = any(f.status == "fail" for f in findings)
    if args.json:
        data = {
            "vault": str(setup.root),
            "ok": not failed,
            "findings": [
                {"check": f.check, "status": f.status, "message": f.message, "fix": f.fix}
                for f in findings
            ],
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(_text(findings))
    return 1 if failed else 0
