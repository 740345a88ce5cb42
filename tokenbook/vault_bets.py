"""The vault's bet files (`bets/*.md`): fields, match rules, appetite and the task list."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tokenbook import fields as f
from tokenbook.errors import Problem
from tokenbook.estimate_fields import parse_estimate
from tokenbook.estimate_fields import percent_of_estimate
from tokenbook.fields import Fields
from tokenbook.guard_fields import parse_guard
from tokenbook.guard_fields import parse_session_budget
from tokenbook.model import BET_STATUSES
from tokenbook.model import ESTIMATE_ALERT
from tokenbook.model import UNASSIGNED
from tokenbook.model import Appetite
from tokenbook.model import Bet
from tokenbook.model import Rule
from tokenbook.model import Task

if TYPE_CHECKING:
    from tokenbook.docs import Document

THRESHOLD = f.at_most(1000, "percent")  # an alert threshold, as a share of the appetite


def parse_bet(doc: Document, label: str, problems: list[Problem]) -> Bet | None:
    r = Fields(doc, label, problems)
    bet_id = doc.path.stem
    if bet_id == UNASSIGNED:
        r.problem(None, f"`{UNASSIGNED}` is reserved for usage no bet claims; rename the file")
        return None
    if file_id(r, bet_id, "bet") is None:
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


def file_id(r: Fields, stem: str, kind: str) -> str | None:
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
