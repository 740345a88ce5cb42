"""Render the dashboard and per-bet progress files from Jinja2 templates, byte-stable."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import jinja2

from tokenbook import sandbox
from tokenbook.dashboard import Dashboard
from tokenbook.dashboard import bet_view
from tokenbook.dashboard import build_dashboard
from tokenbook.errors import TokenbookError
from tokenbook.fileio import confined
from tokenbook.fileio import remove_in_vault
from tokenbook.fileio import write_in_vault
from tokenbook.filters import FILTERS
from tokenbook.filters import compact as compact
from tokenbook.filters import cost as cost
from tokenbook.filters import pct as pct
from tokenbook.filters import round_half_up
from tokenbook.filters import usd as usd
from tokenbook.model import Vault
from tokenbook.plain import plain
from tokenbook.pricing import book_for
from tokenbook.progress import PROGRESS_DIR
from tokenbook.progress import ProgressView
from tokenbook.progress import build_progress
from tokenbook.progress import orphans
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


def environment(vault: Vault) -> jinja2.Environment:
    """The vault's own `templates/` first, then the shipped ones, sandboxed (`tokenbook.sandbox`):
    a template from a pull request can format plain data but cannot reach the file system,
    Python internals or a process."""
    return sandbox.environment(vault.root, data_dir("templates"), FILTERS)


def _tidy(text: str) -> str:
    """LF endings, no trailing spaces, exactly one final newline: pre-commit hooks stay quiet.
    A lone surrogate (a vault template printing raw log text) is written as `\\udXXX` text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
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
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as e:
        # A template is code from the vault: what it does wrong is its own error, located.
        where = _template_line(e, name)
        raise TokenbookError(f"{where}: {type(e).__name__}: {e}; fix the template") from None


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
    files = {vault.root / DASHBOARD: _render(env, "cost-dashboard.md.j2", d=plain(dash))}
    for view in build_progress(vault, ledgers, dash):
        path = vault.root / PROGRESS_DIR / f"{view.bet.id}.md"
        text = _render(env, "iteration-progress.md.j2", p=plain(view))
        files[path] = progress_frontmatter(view) + text
    return files


def _yaml_number(value: Decimal | int | None, places: int | None = None) -> str:
    if value is None:
        return "null"
    if places is None:
        return str(int(value))
    return f"{round_half_up(Decimal(value), places)}"


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


@dataclass(frozen=True, slots=True)
class Rendered:
    """Every rendered file's text, checked to be writable inside the vault, not yet written."""

    files: dict[Path, str]
    orphans: list[Path]
    summary: str


def prepare(vault: Vault, ledgers: LedgerSet, as_of: date | None = None) -> Rendered:
    """Render everything in memory: a template error or a symlinked target stops here, before
    a caller (sync) writes anything else."""
    dash = build_dashboard(vault, ledgers, as_of)
    files = _render_files(vault, ledgers, dash)
    gone = orphans(vault, files)
    for path in [*files, *gone]:
        confined(vault.root, path)
    return Rendered(files, gone, summary_text(_summary(vault, ledgers, dash)))


def write_rendered(vault: Vault, rendered: Rendered) -> list[str]:
    """Write the files whose bytes changed and delete the orphans; return their vault-relative
    paths. The status line's summary cache is refreshed too (git-ignored, so not listed)."""
    root = vault.root
    changed = [p for p, text in rendered.files.items() if write_in_vault(root, p, text)]
    for path in rendered.orphans:
        remove_in_vault(root, path)
    written = [str(p.relative_to(root)) for p in [*changed, *rendered.orphans]]
    # A disposable cache: when it cannot be written the status line says so; render goes on.
    with contextlib.suppress(OSError):
        write_in_vault(root, root / SUMMARY, rendered.summary)
    return sorted(written)


def render_all(vault: Vault, ledgers: LedgerSet, as_of: date | None = None) -> list[str]:
    """Render, then write every file whose bytes changed (`prepare` + `write_rendered`).
    Nothing is written or deleted through a symlink (`fileio.confined`)."""
    return write_rendered(vault, prepare(vault, ledgers, as_of))


def _summary(vault: Vault, ledgers: LedgerSet, dash: Dashboard) -> dict[str, Any]:
    """What `tokenbook statusline` needs: every bet's share of its appetite, the rules that
    attribute a new session, and where recent sessions already are."""
    book = book_for(vault)  # the dashboard's: its rows are priced already
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
