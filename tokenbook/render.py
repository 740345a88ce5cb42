"""Render the dashboard and per-bet progress files from Jinja2 templates, byte-stable."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from tokenbook.dashboard import Dashboard
from tokenbook.dashboard import bet_view
from tokenbook.dashboard import build_dashboard
from tokenbook.errors import TokenbookError
from tokenbook.fileio import write_if_changed
from tokenbook.model import Vault
from tokenbook.pricing import PriceBook
from tokenbook.progress import ProgressView
from tokenbook.progress import build_progress
from tokenbook.reports import Usage
from tokenbook.resources import data_dir
from tokenbook.statusline import SUMMARY
from tokenbook.statusline import bet_summary
from tokenbook.statusline import build_summary
from tokenbook.statusline import recent_sessions
from tokenbook.statusline import summary_text
from tokenbook.store import LedgerSet

if TYPE_CHECKING:
    import jinja2

DASHBOARD = "cost-dashboard.md"
PROGRESS_DIR = "progress"


def md(value: object) -> str:
    """Text from logs or files, safe inside a markdown table cell and an Obsidian note."""
    text = " ".join(str(value).split())
    for ch in "\\`*_[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text


def num(value: int | Decimal | None) -> str:
    return "—" if value is None else f"{int(value):,}"


def usd(value: Decimal | None) -> str:
    if value is None:
        return "unpriced"
    return "$" + f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def cost(usage: Usage) -> str:
    """The priced cost; `≥ $X` when part of the usage has no price, never `$0` for it."""
    if not usage.unpriced:
        return usd(usage.priced_usd)
    if usage.priced_usd:
        return "≥" + usd(usage.priced_usd)
    return "unpriced"


def pct(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value.quantize(Decimal('1'), rounding=ROUND_HALF_UP)}%"


def bar(value: Decimal | float | None, width: int = 10) -> str:
    """A text progress bar for a percentage (clamped to 0..100)."""
    percent = Decimal(str(value or 0))
    share = min(max(percent, Decimal(0)), Decimal(100)) / 100
    filled = int((share * width).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return "█" * filled + "░" * (width - filled)


def compact(value: int | None) -> str:
    if value is None:
        return "—"
    for size, unit in ((10**9, "B"), (10**6, "M"), (10**3, "k")):
        if abs(value) >= size:
            return f"{Decimal(value) / size:.1f}{unit}"
    return str(value)


def alerts(thresholds: tuple[int, ...]) -> str:
    return ", ".join(f"{t}%" for t in thresholds) or "—"


def environment(vault: Vault) -> jinja2.Environment:
    """The vault's own `templates/` first, then the shipped ones, in Jinja's sandbox: a template
    from a pull request can format data but cannot reach Python internals or run commands."""
    import jinja2  # here: the commands that only format numbers (tables, status) need not load it
    from jinja2.sandbox import SandboxedEnvironment

    from tokenbook.jinjacache import template_cache

    folders = [vault.root / "templates", data_dir("templates")]
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders if f.is_dir()]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        bytecode_cache=template_cache(vault.root, "sandboxed, strict, trim and lstrip blocks"),
    )
    env.filters |= {
        "md": md,
        "num": num,
        "usd": usd,
        "pct": pct,
        "bar": bar,
        "compact": compact,
        "alerts": alerts,
        "cost": cost,
    }
    return env


def _tidy(text: str) -> str:
    """LF endings, no trailing spaces, exactly one final newline: pre-commit hooks stay quiet."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def _render(env: jinja2.Environment, name: str, **context: object) -> str:
    """Render one template; a template error becomes `template:line: message`."""
    import jinja2

    try:
        return _tidy(env.get_template(name).render(**context))
    except jinja2.TemplateSyntaxError as e:
        raise TokenbookError(
            f"{e.filename or name}:{e.lineno}: {e.message}; fix the template"
        ) from None
    except jinja2.TemplateError as e:
        where = _template_line(e, name)
        raise TokenbookError(f"{where}: {e}; fix the template") from None


def _template_line(error: Exception, name: str) -> str:
    """The template file and line of a render error, from its traceback."""
    tb = error.__traceback__
    found = f"{name}:0"
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def render_files(vault: Vault, ledgers: LedgerSet, as_of: date | None = None) -> dict[Path, str]:
    return _render_files(vault, ledgers, build_dashboard(vault, ledgers, as_of))


def _render_files(vault: Vault, ledgers: LedgerSet, dash: Dashboard) -> dict[Path, str]:
    env = environment(vault)
    files = {vault.root / DASHBOARD: _render(env, "cost-dashboard.md.j2", d=dash)}
    for view in build_progress(vault, ledgers, dash):
        path = vault.root / PROGRESS_DIR / f"{view.bet.id}.md"
        files[path] = progress_frontmatter(view) + _render(env, "iteration-progress.md.j2", p=view)
    return files


def _yaml_number(value: Decimal | int | None, places: int | None = None) -> str:
    if value is None:
        return "null"
    if places is None:
        return str(int(value))
    return f"{Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}"


def progress_frontmatter(p: ProgressView) -> str:
    """Properties Obsidian and Dataview read as typed values (links, numbers, text), so a query
    can list bets by `percent_used`. Written by render, like the rest of the file."""
    v = p.view
    lines = [
        "---",
        f'bet: "[[{p.bet.id}]]"',
        f'cycle: "[[{p.cycle.id}]]"' if p.cycle else "cycle: null",
        f"status: {p.bet.status}",
        f"percent_used: {_yaml_number(v.percent, 1)}",
        f"used_usd: {_yaml_number(v.usage.priced_usd, 2)}",
        f"appetite_usd: {_yaml_number(v.appetite_usd, 2)}",
        f"used_tokens: {_yaml_number(v.used_tokens)}",
        f"appetite_tokens: {_yaml_number(v.appetite_tokens)}",
        f"iterations: {v.iterations}",
        f"max_iterations: {_yaml_number(p.bet.max_iterations)}",
        f"tasks_done: {v.tasks_done}",
        f"tasks_total: {v.tasks_total}",
        "---",
    ]
    return "\n".join(lines) + "\n"


def orphans(vault: Vault, files: dict[Path, str]) -> list[Path]:
    """Progress files of bets that no longer exist."""
    folder = vault.root / PROGRESS_DIR
    return sorted(p for p in folder.glob("*.md") if p not in files) if folder.is_dir() else []


def render_all(vault: Vault, ledgers: LedgerSet, as_of: date | None = None) -> list[str]:
    """Write every rendered file whose bytes changed; return their vault-relative paths.
    The status line's summary cache is refreshed too (git-ignored, so not listed)."""
    dash = build_dashboard(vault, ledgers, as_of)
    files = _render_files(vault, ledgers, dash)
    written = [
        str(p.relative_to(vault.root)) for p, text in files.items() if write_if_changed(p, text)
    ]
    for path in orphans(vault, files):
        path.unlink()
        written.append(str(path.relative_to(vault.root)))
    # A disposable cache: when it cannot be written the status line says so; render goes on.
    with contextlib.suppress(OSError):
        write_if_changed(vault.root / SUMMARY, summary_text(_summary(vault, ledgers, dash)))
    return sorted(written)


def _summary(vault: Vault, ledgers: LedgerSet, dash: Dashboard) -> dict[str, Any]:
    """What `tokenbook statusline` needs: every bet's share of its appetite, the rules that
    attribute a new session, and where recent sessions already are."""
    book = PriceBook(vault)
    by_ledger = ledgers.by_ledger()
    known = {v.id: v for v in dash.bets}
    bets = []
    for bet in vault.bets:
        v = known.get(bet.id) or bet_view(vault, bet, bet.id, by_ledger.get(bet.id, []), book)
        bets.append(
            bet_summary(
                bet,
                v.percent,
                v.usage.priced_usd,
                v.appetite_usd,
                v.used_tokens,
                v.appetite_tokens,
                unpriced_tokens=v.usage.unpriced_tokens,
                unpriced=bool(v.usage.unpriced),
            )
        )
    rows = [(p.row.date, p.row.session, p.ledger) for p in ledgers.rows.values()]
    return build_summary(vault, bets, recent_sessions(rows, dash.as_of), dash.as_of)


def stale_files(vault: Vault, ledgers: LedgerSet, as_of: date | None = None) -> list[str]:
    """Rendered files that differ from what render would write (for `render --check`)."""
    files = render_files(vault, ledgers, as_of)
    stale = [p for p, text in files.items() if not p.exists() or p.read_bytes() != text.encode()]
    stale.extend(orphans(vault, files))
    return sorted(str(p.relative_to(vault.root)) for p in stale)
