"""Labels a response gets do not depend on which syncs saw it.

A resumed session opens with copies of the old session's lines, `agent_progress` copies of a
subagent's responses among them; the old session's own files name the subagent's type (its
spawning call), the resumed one's do not. A sync that reads both, one that reads them in two
steps, and one that reads them again after its cache was deleted must write the same bytes:
every view of a response is joined, and a subagent's type, once known for one of its
responses, is every one of its responses' type in the same sync.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import fresh_vault
from tests.helpers import run
from tests.synth import generate

# A corpus where a resumed session copies the agent_progress lines of a typed subagent (found
# by searching seeds; a smaller one has no such pair).
SEED, SESSIONS = 8, 60


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    logs = tmp_path_factory.mktemp("labels") / "logs"
    generate(logs, seed=SEED, sessions=SESSIONS, max_payload=3000)
    return logs


def ledgers(vault: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((vault / "ledgers").iterdir())}


def sync(capsys: Any, vault: Path, logs: Path) -> None:
    code, _, err = run(capsys, "sync", "--quiet", "--no-render", "--vault", vault, "--logs", logs)
    assert code == 0, err


def test_a_deleted_cache_changes_no_label(capsys: Any, tmp_path: Path, corpus: Path) -> None:
    vault = fresh_vault(tmp_path / "vault")
    sync(capsys, vault, corpus)
    first = ledgers(vault)
    assert any("\tExplore\t" in b.decode() for b in first.values())
    shutil.rmtree(vault / ".tokenbook-cache")
    sync(capsys, vault, corpus)
    assert ledgers(vault) == first


def test_sessions_synced_in_steps_label_as_one_sync(
    capsys: Any, tmp_path: Path, corpus: Path
) -> None:
    whole = fresh_vault(tmp_path / "whole")
    sync(capsys, whole, corpus)
    steps = fresh_vault(tmp_path / "steps")
    logs = tmp_path / "logs"
    folders = sorted(p for p in (corpus / "projects").rglob("*") if p.is_file())
    for half in (folders[1::2], folders[::2]):  # each session's files may arrive in two steps
        for src in half:
            dest = logs / src.relative_to(corpus)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
        sync(capsys, steps, logs)
    assert ledgers(steps) == ledgers(whole)


def test_two_sessions_views_of_one_response_are_joined_in_any_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whichever session's files come first, a key seen in both gets the larger of each label
    (the rule records join by), never just the last session's view."""
    from tokenbook import labelling
    from tokenbook.sources.claude_resolve import Resolved

    old = {"m\x00r": Resolved(command="/review", skill="", run="", agent="Explore")}
    resumed = {"m\x00r": Resolved(command="", skill="pdf", run="", agent="")}
    want = Resolved(command="/review", skill="pdf", run="", agent="Explore")
    for order in ([old, resumed], [resumed, old]):
        monkeypatch.setattr(labelling, "_resolved", lambda groups, order=order: order)
        assert labelling.labels_of([]) == {"m\x00r": want}
