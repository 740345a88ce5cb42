"""Parse the vault's markdown files into typed records, reporting every problem at once (what
`vault.load_vault` does when its cache does not hold these files)."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from tokenbook import fields as f
from tokenbook.checks import cross_checks
from tokenbook.cycles import parse_repeat
from tokenbook.errors import Problem
from tokenbook.errors import VaultError
from tokenbook.estimate_fields import parse_estimate
from tokenbook.estimate_fields import percent_of_estimate
from tokenbook.fields import Fields
from tokenbook.guard_fields import parse_guard
from tokenbook.guard_fields import parse_session_budget
from tokenbook.model import BET_STATUSES
from tokenbook.model import ESTIMATE_ALERT
from tokenbook.model import PRICE_KINDS
from tokenbook.model import UNASSIGNED
from tokenbook.model import Appetite
from tokenbook.model import Bet
from tokenbook.model import Cycle
from tokenbook.model import Rule
from tokenbook.model import Settings
from tokenbook.model import Task
from tokenbook.model import Vault
from tokenbook.vault import SETTINGS_FILE
from tokenbook.vault_prices import parse_plan
from tokenbook.vault_prices import parse_pricing

if TYPE_CHECKING:  # YAML and markdown-it load only when a file is read
    from tokenbook.docs import Document

T = TypeVar("T")
THRESHOLD = f.at_most(1000, "percent")  # an alert threshold, as a share of the appetite


def parse_vault(root: Path) -> Vault:
    """Parse and validate every vault file; raise VaultError listing every problem."""
    problems: list[Problem] = []
    settings = parse_settings(root, problems)
    cycles = _load_all(root, "cycles", _parse_cycle, problems)
    bets = _load_all(root, "bets", _parse_bet, problems)
    pricing = _load_all(root, "pricing", parse_pricing, problems)
    plans = _load_all(root, "plans", parse_plan, problems)
    vault = Vault(
        root=root,
        settings=settings,
        cycles=tuple(sorted(cycles, key=lambda c: (c.start, c.id))),
        bets=tuple(sorted(bets, key=lambda b: b.id)),
        models=tuple(m for models, _ in pricing for m in models),
        web_search=tuple(sorted((w for _, ws in pricing for w in ws), key=lambda w: w.start)),
        plans=tuple(sorted(plans, key=lambda p: p.id)),
    )
    problems.extend(cross_checks(vault))
    if problems:
        raise VaultError(problems)
    return vault


def _read_document(path: Path, label: str) -> Document | Problem:
    from tokenbook.docs import read_document

    return read_document(path, label)


def _label(root: Path, path: Path) -> str:
    return str(root / path.relative_to(root))


def _load_all(
    root: Path,
    folder: str,
    parse: Callable[[Document, str, list[Problem]], T | None],
    problems: list[Problem],
) -> list[T]:
    out = []
    for path in sorted((root / folder).glob("*.md")):
        label = _label(root, path)
        doc = _read_document(path, label)
        if isinstance(doc, Problem):
            problems.append(doc)
            continue
        record = parse(doc, label, problems)
        if record is not None:
            out.append(record)
    return out


def parse_settings(root: Path, problems: list[Problem]) -> Settings:
    path = root / SETTINGS_FILE
    doc = _read_document(path, _label(root, path))
    if isinstance(doc, Problem):
        problems.append(doc)
        return Settings()
    r = Fields(doc, _label(root, path), problems)
    tz = r.get("timezone", _timezone)
    unit = r.get("iteration_unit", f.choice("session", "turn"))
    thresholds = r.get("alert_thresholds", f.list_of(THRESHOLD))
    kinds = r.get("token_budget_kinds", f.list_of(f.choice(*PRICE_KINDS)))
    logs = r.get("logs", f.list_of(f.text))
    alert_command = r.get("alert_command", f.text)
    cycle_repeat = r.get("cycle_repeat", parse_repeat)
    guard = parse_guard(r)
    links = r.get("links", f.choice("markdown", "wikilinks"))
    if unit == "turn":
        r.problem(
            "iteration_unit",
            "`iteration_unit: turn` is not supported yet (ledgers count sessions, not user "
            "turns); use `iteration_unit: session`",
        )
        unit = None
    r.close(f.OBSIDIAN_KEYS)
    defaults = Settings()
    return Settings(
        timezone=tz or defaults.timezone,
        iteration_unit=unit or defaults.iteration_unit,
        alert_thresholds=tuple(sorted(set(thresholds)))
        if thresholds
        else defaults.alert_thresholds,
        budget_kinds=kinds or defaults.budget_kinds,
        logs=logs or (),
        alert_command=alert_command or None,
        cycle_repeat=cycle_repeat,
        guard=guard or defaults.guard,
        links=links or defaults.links,
    )


def _timezone(value: Any) -> str:
    name = f.text(value)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise f.Invalid(f"unknown time zone {name!r}; use an IANA name such as UTC") from None
    return name


def _parse_cycle(doc: Document, label: str, problems: list[Problem]) -> Cycle | None:
    r = Fields(doc, label, problems)
    cycle_id = r.get("id", f.slug)
    if cycle_id is None and "id" not in doc.meta:
        cycle_id = _file_id(r, doc.path.stem, "cycle")
    start = r.get("start", f.day, required=True)
    end = r.get("end", f.day, required=True)
    budget_usd = r.get("budget_usd", f.money)
    budget_tokens = r.get("budget_tokens", f.count)
    reserve = r.get("reserve", f.share)
    repeat = r.get("repeat", parse_repeat)
    guard, session_budget = parse_guard(r), parse_session_budget(r)
    r.close(f.OBSIDIAN_KEYS)
    if start is None or end is None or cycle_id is None:
        return None
    if end < start:
        r.problem("end", f"`end` ({end}) is before `start` ({start}); swap them")
        return None
    return Cycle(
        id=cycle_id,
        start=start,
        end=end,
        budget_usd=budget_usd,
        budget_tokens=budget_tokens,
        reserve=reserve if reserve is not None else Decimal(0),
        repeat=repeat,
        guard=guard,
        session_budget=session_budget,
        path=label,
        line=doc.line("id") if "id" in doc.meta else 1,
    )


def _parse_bet(doc: Document, label: str, problems: list[Problem]) -> Bet | None:
    r = Fields(doc, label, problems)
    bet_id = doc.path.stem
    if bet_id == UNASSIGNED:
        r.problem(None, f"`{UNASSIGNED}` is reserved for usage no bet claims; rename the file")
        return None
    if _file_id(r, bet_id, "bet") is None:
        return None
    cycle = r.get("cycle", f.link, required=True)
    appetite = _parse_appetite(r)
    status = r.get("status", f.choice(*BET_STATUSES))
    rules = tuple(_parse_rule(m) for m in r.items("match"))
    sessions = r.get("sessions", f.list_of(f.text))
    max_iterations = r.get("max_iterations", f.at_most(100_000, "iterations"))
    tags = r.get("tags", f.list_of(f.text))
    thresholds = r.get("alert_thresholds", f.list_of(THRESHOLD))
    title = r.get("title", f.text)
    guard, session_budget = parse_guard(r), parse_session_budget(r)
    estimate = parse_estimate(r)
    estimate_alert = r.get("estimate_alert", percent_of_estimate)
    r.close(f.OBSIDIAN_KEYS)
    if cycle is None or appetite is None:
        return None
    return Bet(
        id=bet_id,
        cycle=cycle,
        appetite=appetite,
        status=status or "active",
        rules=rules,
        sessions=sessions or (),
        max_iterations=max_iterations,
        tags=tags or (),
        alert_thresholds=tuple(sorted(set(thresholds))) if thresholds else None,
        tasks=parse_tasks(doc),
        title=title or "",
        guard=guard,
        session_budget=session_budget,
        estimate=estimate,
        estimate_alert=estimate_alert or ESTIMATE_ALERT,
        path=label,
        lines=tuple(
            (k[0], v) for k, v in doc.lines.items() if len(k) == 1 and isinstance(k[0], str)
        ),
    )


def _file_id(r: Fields, stem: str, kind: str) -> str | None:
    """The id a file name gives; it appears in links and YAML, so it must be a plain slug."""
    try:
        return f.slug(stem)
    except f.Invalid:
        fixed = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._") or f"my-{kind}"
        r.problem(
            None,
            f"{stem!r} is not a valid {kind} id (the file name is the id); rename the file to "
            f"lowercase letters, digits, `.`, `_`, `-`, such as `{fixed[:64]}.md`",
        )
        return None


def _parse_appetite(r: Fields) -> Appetite | None:
    share = r.get("appetite", f.share)
    usd = r.get("appetite_usd", f.money)
    tokens = r.get("appetite_tokens", f.count)
    if share is None and usd is None and tokens is None:
        if {"appetite", "appetite_usd", "appetite_tokens"} & set(r.data):
            return None  # given but invalid: that problem is already reported
        r.problem(
            None,
            "no appetite; add `appetite: 40%` (share of the cycle budget), "
            "`appetite_usd: 200` or `appetite_tokens: 50000000`",
        )
        return None
    if share is not None and (usd is not None or tokens is not None):
        r.problem("appetite", "give the appetite either as a share or as amounts, not both")
        return None
    return Appetite(share=share, usd=usd, tokens=tokens)


def _parse_rule(r: Fields) -> Rule:
    project = r.get("project", f.text)
    branch = r.get("branch", f.text)
    r.close()
    if project is None and branch is None:
        r.problem(None, "a match rule needs `project:` and/or `branch:` (glob patterns)")
    return Rule(project=project, branch=branch, line=r.doc.line(*r.at))


def parse_tasks(doc: Document) -> tuple[Task, ...]:
    """The body's task list (`- [ ] ...` / `- [x] ...`), outside code blocks."""
    tasks = []
    from markdown_it import MarkdownIt  # only when the vault is parsed (not cached)

    tokens = MarkdownIt("commonmark").parse(doc.body)
    for i, tok in enumerate(tokens):
        if tok.type != "list_item_open" or tok.map is None:
            continue
        inline = next((t for t in tokens[i + 1 : i + 3] if t.type == "inline"), None)
        content = inline.content if inline else ""
        box, rest = content[:3], content[3:]
        if len(box) == 3 and box[0] + box[2] == "[]" and box[1] in " xX" and rest[:1] in " \t":
            tasks.append(
                Task(
                    text=content[3:].strip(),
                    done=content[1] != " ",
                    line=doc.body_line + tok.map[0],
                )
            )
    return tuple(tasks)
