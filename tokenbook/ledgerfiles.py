"""The ledger files of a vault (`ledgers/<bet>.tsv` records and `ledgers/<bet>.md` summaries),
read and checked: what `store.load_ledgers` builds the ledger set from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tokenbook.errors import Problem
from tokenbook.ledger import ParsedLedger
from tokenbook.ledger import parse_ledger

TYPE_CHECKING = False
if TYPE_CHECKING:  # the record and summary formats load only when a file is read
    from tokenbook.recordfile import ParsedRecords

LEDGER_DIR = "ledgers"


@dataclass(slots=True)
class LedgerFiles:
    """What one ledger's files hold: its records file and its markdown file (either may miss)."""

    name: str
    summary: ParsedLedger | None = None
    records: ParsedRecords | None = None
    format1: bool = False  # read from the cache: a format-1 ledger (its files are not kept)

    @property
    def migrating(self) -> bool:
        return self.format1 or (self.records is None and self.summary is not None)


def read_ledgers(root: Path, timezone: str) -> tuple[dict[str, LedgerFiles], list[Problem]]:
    """Parse every ledger file (`.md` and `.tsv`), collecting the problems of all of them."""
    from tokenbook.recordfile import read_records

    folder = root / LEDGER_DIR
    problems: list[Problem] = []
    files: dict[str, LedgerFiles] = {}
    paths = sorted(folder.glob("*.md")) + sorted(folder.glob("*.tsv")) if folder.is_dir() else []
    for path in paths:
        entry = files.setdefault(path.stem, LedgerFiles(path.stem))
        if path.suffix == ".md":
            parsed = parse_ledger(path, str(path), timezone)
            if isinstance(parsed, list):
                problems.extend(parsed)
            else:
                entry.summary = parsed
        else:
            found = read_records(path, str(path))
            if isinstance(found, list):
                problems.extend(found)
            else:
                entry.records = found
    for entry in files.values():
        summary = entry.summary
        missing = not (folder / f"{entry.name}.tsv").exists()
        if missing and summary and _has_rows(summary.text):
            problems.append(Problem(str(summary.path), 1, _MISSING_RECORDS))
    return files, problems


def _has_rows(summary: str) -> bool:
    from tokenbook.summary import RULE

    _, rule, rest = summary.partition("\n" + RULE + "\n")
    return bool(rule) and rest.startswith("| ") and "no usage yet" not in rest.split("\n", 1)[0]


_MISSING_RECORDS = (
    "this summary has rows but its records file (same name, `.tsv`) is missing; restore it "
    "from git (`git checkout -- ledgers/`)"
)
