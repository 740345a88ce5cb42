"""`tokenbook pricing update [--write]`: prices for the models in the ledgers, from an offline
price database (genai-prices), shown as a diff before anything is written."""

from __future__ import annotations

import argparse

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path
from tokenbook.pricing_update import apply_update
from tokenbook.pricing_update import plan_update
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    text = (
        "add dated prices for the models in the ledgers that no pricing/*.md file prices "
        "(and newer entries to blocks it imported before), from the genai-prices database; "
        "shows the diff, writes only with --write, never changes a price you set"
    )
    u = sub.add_parser("update", help=text, description=text)
    add_vault(u)
    u.add_argument("--write", action="store_true", help="write the changes shown (default: no)")
    u.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="ID",
        help="a model id to price even if no ledger row has it yet (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    vault = load_vault(root)
    models = {placed.row.model for placed in load_ledgers(vault).rows.values()}
    models |= {m.strip() for m in args.model if m.strip()}
    plan = plan_update(root, models)
    diff = plan.diff()
    if diff:
        print(diff, end="")
    for note in plan.notes:
        print(f"note: {note}")
    if not plan.changes:
        print(f"prices: nothing to add for {len(models)} model(s) ({plan.database})")
    elif args.write:
        written = apply_update(root, plan)
        print(f"prices: wrote {', '.join(written)} ({plan.database})")
    else:
        print(f"prices: nothing written; run again with --write to apply ({plan.database})")
    return 0
