from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.helpers import fresh_vault
from tokenbook.sources import claude_read
from tokenbook.sources.claude_read import Job
from tokenbook.sources.claude_read import Progress

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A copy of the example vault with no usage yet and no `logs:` setting."""
    return fresh_vault(tmp_path / "vault")


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """An empty Claude config dir (tests write `projects/...jsonl` into it)."""
    root = tmp_path / "claude"
    (root / "projects").mkdir(parents=True)
    return root


@pytest.fixture(autouse=True)
def _no_real_claude_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's own ~/.claude."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("TOKENBOOK_VAULT", raising=False)


@pytest.fixture(autouse=True)
def both_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every log any test syncs is read by the typed decoder and by the checked reader alone;
    both must find the same (`test_fast_reader.py` has the line-by-line comparisons)."""
    real = claude_read.read_jobs

    def read_twice(
        jobs: Sequence[Job],
        sizes: dict[str, int],
        progress: Progress | None = None,
        *,
        fast: bool | None = None,
        cores: int | None = None,
    ) -> claude_read.Scanned:
        slow = real(jobs, sizes, fast=False, cores=1)
        quick = real(jobs, sizes, progress, fast=True, cores=cores)
        assert _seen(quick) == _seen(slow)
        return quick

    monkeypatch.setattr(claude_read, "read_jobs", read_twice)


def _seen(s: claude_read.Scanned) -> tuple[object, ...]:
    files = [(f.path, f.offset, f.lines, f.size, f.skipped, f.tail, f.mark) for f in s.files]
    return files, s.responses, s.limits
