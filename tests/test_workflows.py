"""Exactly once under any workflow: random sequences of log growth (mid-response and mid-line),
syncs, deleted caches, fresh clones, union merges through real git and log cleanups, on two
machines, end equal to one clean sync of everything any sync saw (an independent count)."""

from __future__ import annotations

import json
import os
import shutil
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.gitenv import Git
from tests.helpers import fresh_vault
from tests.workflow_universe import FILES
from tests.workflow_universe import NAMES
from tests.workflow_universe import exported
from tests.workflow_universe import meta_of
from tests.workflow_universe import reference
from tokenbook.cli import main
from tokenbook.scaffold import GITATTRIBUTES
from tokenbook.scaffold import GITIGNORE

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
MACHINES = ("A", "B")


@dataclass
class Machine:
    name: str
    vault: Path
    logs: Path
    have: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    deleted: set[str] = field(default_factory=set)


@dataclass
class World:
    git: Git
    root: Path
    origin: Path
    machines: dict[str, Machine]
    seen: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    typed: set[str] = field(default_factory=set)
    ops: list[str] = field(default_factory=list)

    def cli(self, *args: str | Path) -> int:
        code = main([str(a) for a in args])
        assert code == 0, (args, self.ops)
        return code

    # ----- the logs

    def write(self, m: Machine, name: str, partial: bool = False) -> None:
        path = m.logs / "projects" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = FILES[name][: m.have[name]]
        text = "".join(ln + "\n" for ln in lines)
        if partial and m.have[name] < len(FILES[name]):
            text += FILES[name][m.have[name]][:25]  # the agent is writing this line right now
        path.write_text(text, encoding="utf-8")
        meta = meta_of(name)
        if meta and lines:
            (m.logs / "projects" / meta[0]).write_text(json.dumps({"agentType": meta[1]}))

    def grow(self, m: Machine, name: str, k: int) -> None:
        if name in m.deleted:
            return
        m.have[name] = min(len(FILES[name]), m.have[name] + k)
        self.write(m, name)

    def partial(self, m: Machine, name: str) -> None:
        if name not in m.deleted:
            self.write(m, name, partial=True)

    def cleanup(self, m: Machine, name: str) -> None:
        """Claude Code's 30-day cleanup: the log and its meta file go."""
        m.deleted.add(name)
        for target in (name, (meta_of(name) or ("",))[0]):
            if target:
                (m.logs / "projects" / target).unlink(missing_ok=True)

    # ----- tokenbook and git

    def sync(self, m: Machine) -> None:
        self.cli("sync", "--vault", m.vault, "--logs", m.logs, "--quiet", "--no-render")
        for name in NAMES:
            present = name not in m.deleted and m.have[name] > 0
            if present:
                self.seen[name] = max(self.seen[name], m.have[name])
                meta = meta_of(name)
                if meta:
                    self.typed.add(meta[0].rsplit("agent-", 1)[1].removesuffix(".meta.json"))

    def push(self, m: Machine) -> None:
        self.git(m.vault, "add", "-A")
        self.git(m.vault, "commit", "-q", "-m", "sync", check=False)
        out = self.git(m.vault, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
        assert "CONFLICT" not in out, (out, self.ops)
        self.git(m.vault, "push", "-q", "origin", "HEAD:main")

    def pull(self, m: Machine) -> None:
        self.git(m.vault, "add", "-A")
        self.git(m.vault, "commit", "-q", "-m", "local", check=False)
        out = self.git(m.vault, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
        assert "CONFLICT" not in out, (out, self.ops)

    def reclone(self, m: Machine) -> None:
        """A fresh clone on this machine: what was pushed, no sync cache."""
        self.push(m)
        shutil.rmtree(m.vault)
        self.git(self.root, "clone", "-q", self.origin, m.vault)

    def drop_cache(self, m: Machine) -> None:
        shutil.rmtree(m.vault / ".tokenbook-cache", ignore_errors=True)

    def apply(self, op: tuple[str, int, int, int]) -> None:
        kind, mi, fi, k = op
        m, name = self.machines[MACHINES[mi]], NAMES[fi]
        self.ops.append(f"{kind} {m.name} {name.rsplit('/', 1)[-1]} {k}")
        {
            "grow": lambda: self.grow(m, name, k),
            "partial": lambda: self.partial(m, name),
            "cleanup": lambda: self.cleanup(m, name),
            "sync": lambda: self.sync(m),
            "nocache": lambda: self.drop_cache(m),
            "push": lambda: self.push(m),
            "pull": lambda: self.pull(m),
            "reclone": lambda: self.reclone(m),
        }[kind]()

    def converge(self) -> None:
        """Every machine syncs and shares until nobody has anything new."""
        for _ in range(3):
            for m in self.machines.values():
                self.sync(m)
                self.push(m)
        for m in self.machines.values():
            self.pull(m)

    def totals(self, m: Machine) -> Any:
        rows = []
        code = main(["export", "--json", "--vault", str(m.vault)])
        assert code == 0
        return rows


def _world(root: Path) -> World:
    git = Git(root / "git-home")
    seed = fresh_vault(root / "seed")
    (seed / ".gitattributes").write_text(GITATTRIBUTES)
    (seed / ".gitignore").write_text(GITIGNORE)
    git(root, "init", "-q", seed)
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "vault")
    origin = root / "origin.git"
    git(root, "clone", "-q", "--bare", seed, origin)
    machines = {}
    for name in MACHINES:
        vault = root / f"vault-{name}"
        git(root, "clone", "-q", origin, vault)
        machines[name] = Machine(name, vault, root / f"claude-{name}")
    return World(git, root, origin, machines)


KINDS = ("grow", "grow", "grow", "partial", "cleanup", "sync", "sync", "nocache", "push", "pull")
OPS = st.tuples(
    st.sampled_from((*KINDS, "reclone")),
    st.integers(0, len(MACHINES) - 1),
    st.integers(0, len(NAMES) - 1),
    st.integers(1, 4),
)


def _export(capsys: Any, vault: Path) -> Any:
    capsys.readouterr()
    assert main(["export", "--json", "--vault", str(vault)]) == 0
    return json.loads(capsys.readouterr().out)["rows"]


# CI runs 30 fixed examples; TOKENBOOK_WORKFLOW_EXAMPLES=N runs N random ones (a longer hunt).
HUNT = int(os.environ.get("TOKENBOOK_WORKFLOW_EXAMPLES", "0"))


@settings(
    max_examples=HUNT or 30,
    deadline=None,
    derandomize=not HUNT,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failure prints its operations
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, min_size=4, max_size=18))
def test_any_workflow_counts_every_response_exactly_once(
    capsys: Any, tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int, int, int]]
) -> None:
    world = _world(tmp_path_factory.mktemp("world"))
    for op in ops:
        world.apply(op)
    world.converge()
    want = reference(world.seen, world.typed)
    first = None
    for m in world.machines.values():
        got = exported(_export(capsys, m.vault))
        assert got == want, world.ops
        capsys.readouterr()
        assert main(["check", "--vault", str(m.vault)]) == 0, (capsys.readouterr(), world.ops)
        ledgers = {p.name: p.read_bytes() for p in sorted((m.vault / "ledgers").iterdir())}
        assert first is None or ledgers == first, world.ops  # clones agree byte for byte
        first = ledgers


def test_a_simulated_30_day_cleanup_leaves_the_ledgers_byte_identical(
    capsys: Any, tmp_path: Path
) -> None:
    world = _world(tmp_path)
    a = world.machines["A"]
    for name in NAMES:
        world.grow(a, name, 99)
    world.sync(a)
    before = {p.name: p.read_bytes() for p in sorted((a.vault / "ledgers").iterdir())}
    for name in NAMES:
        world.cleanup(a, name)
    world.sync(a)
    world.drop_cache(a)
    world.sync(a)
    after = {p.name: p.read_bytes() for p in sorted((a.vault / "ledgers").iterdir())}
    assert after == before
    assert exported(_export(capsys, a.vault)) == reference(world.seen, world.typed)
