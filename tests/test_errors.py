"""The error corpus: each folder under tests/errors/ breaks a copy of the example vault.

A case folder holds the file(s) to drop into the vault at their relative path and
`expected.txt`, the exact stderr of `tokenbook check` with `{vault}` for the vault's path.
A file named `*.latin-1` is dropped in without that suffix, re-encoded from UTF-8 to Latin-1
(the repository itself holds only UTF-8 text).
To add a case, add a folder; to see what a case prints, run `tokenbook check` on a vault
copy with its files dropped in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import run

ERRORS = Path(__file__).parent / "errors"
CASES = sorted(p.name for p in ERRORS.iterdir() if p.is_dir())
VALID_LEDGER = ERRORS / "valid-ledger.md"


def overlay(case: Path, vault: Path) -> None:
    for src in sorted(case.rglob("*")):
        if not src.is_file() or src.name == "expected.txt":
            continue
        dest = vault / src.relative_to(case)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".latin-1":
            dest.with_suffix("").write_bytes(src.read_text("utf-8").encode("latin-1"))
        else:
            shutil.copyfile(src, dest)


@pytest.mark.parametrize("name", CASES)
def test_error_case(capsys, vault, name):
    case = ERRORS / name
    overlay(case, vault)
    expected = (case / "expected.txt").read_text(encoding="utf-8").replace("{vault}", str(vault))
    code, out, err = run(capsys, "check", "--vault", vault)
    assert "Traceback" not in err
    assert err == expected
    assert out == ""
    assert code == 1


def test_every_case_has_files_and_an_expectation():
    assert len(CASES) >= 40
    for name in CASES:
        files = [p for p in (ERRORS / name).rglob("*") if p.is_file()]
        assert (ERRORS / name / "expected.txt") in files, name
        assert len(files) >= 2, name
        lines = (ERRORS / name / "expected.txt").read_text().splitlines()
        assert lines, name
        assert all(ln.startswith("{vault}/") for ln in lines), name
        assert lines == sorted(lines, key=_path_line), name


def _path_line(line: str) -> tuple[str, int]:
    path, number, _ = line.split(":", 2)
    return path, int(number)


def test_the_ledger_the_ledger_cases_start_from_is_valid(capsys, vault):
    """Each ledger case is this file with one defect, so its message is the only one."""
    (vault / "ledgers").mkdir()
    shutil.copyfile(VALID_LEDGER, vault / "ledgers/auth-login.md")
    code, out, err = run(capsys, "check", "--vault", vault)
    # The example cycle's appetites are over-committed on purpose: that warning is no ledger's.
    assert (code, [ln for ln in err.splitlines() if "appetites of cycle" not in ln]) == (0, [])
    assert "2 ledger row(s) in 1 ledger(s)" in out
