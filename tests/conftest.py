from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_VAULT = REPO / "vault"


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A copy of the example vault with no usage yet and no `logs:` setting."""
    root = tmp_path / "vault"
    shutil.copytree(
        EXAMPLE_VAULT,
        root,
        ignore=shutil.ignore_patterns("ledgers", "progress", "cost-dashboard.md", ".tokenbook*"),
    )
    settings = root / "tokenbook.md"
    settings.write_text(
        "\n".join(ln for ln in settings.read_text().split("\n") if not ln.startswith("logs:")),
        encoding="utf-8",
    )
    return root


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
