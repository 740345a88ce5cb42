from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import fresh_vault

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
    """Tests never read the developer's own ~/.claude or ~/.config."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)  # trusted commands live under HOME
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("TOKENBOOK_VAULT", raising=False)
