"""Labels read on two cores (`labelling.labels_of` of a big read) are the labels read on one."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.synth import generate
from tests.turn_fixtures import write_project
from tokenbook import forked
from tokenbook import labelling
from tokenbook.events import Tokens
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.sources.claude_resolve import Resolved


def test_labels_on_two_cores_equal_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path, seed=5, sessions=12, max_payload=100)
    write_project(tmp_path)  # commands, skills, subagents and their spawning calls
    paths = sorted((tmp_path / "projects").rglob("*.jsonl"))
    monkeypatch.setattr(labelling, "PARALLEL_BYTES", 10**12)
    one = labelling.labels_of(paths)
    assert any(r.command for r in one.values())
    assert any(r.skill for r in one.values())
    monkeypatch.setattr(labelling, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(forked, "can_fork", lambda: True)
    assert list(labelling.labels_of(paths).items()) == list(one.items())


def test_a_failed_child_labels_its_share_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_project(tmp_path)
    generate(tmp_path / "more", seed=6, sessions=3, max_payload=100)
    paths = sorted(tmp_path.rglob("*.jsonl"))
    one = labelling.labels_of(paths)
    monkeypatch.setattr(labelling, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(forked, "in_two", lambda theirs, own: (None, own()))
    assert list(labelling.labels_of(paths).items()) == list(one.items())


LABELS = st.sampled_from(["", "/review", "/zz", "pdf", "interactive", "headless"])


@settings(max_examples=300, deadline=None)
@given(
    have=st.tuples(LABELS, LABELS, LABELS, LABELS, st.booleans()),
    found=st.tuples(LABELS, LABELS, LABELS, LABELS),
)
def test_labelling_many_records_joins_as_labelling_one(have, found) -> None:
    command, skill, run, agent, main = have
    ctx = Context(session="s", command=command, skill=skill, run=run, agent=agent, main=main)
    at = datetime(2026, 11, 3, tzinfo=UTC)
    recs = [Rec(id=f"{i:024x}", ctx=ctx, at=at, tokens=Tokens(output=i)) for i in range(3)]
    res = Resolved(*found)
    label = labelling.Labeller()
    for rec in recs:
        got = label(rec, res)
        assert got == labelling.labelled(rec, res)
        assert (got is rec) == (labelling.labelled(rec, res) == rec)
