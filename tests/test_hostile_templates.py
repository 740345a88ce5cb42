"""A vault template is code from a pull request: it sees plain data only, runs in the sandbox, and
reads only templates that really are inside the vault."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.helpers import EXAMPLE_VAULT
from tests.helpers import run
from tests.helpers import snapshot
from tokenbook import render
from tokenbook.plain import plain

SHIPPED = REPO / "templates" / "cost-dashboard.md.j2"
LEAF_TYPES = (str, int, bool, Decimal, date, datetime, type(None))


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The example vault with its ledgers: every part of the context has data."""
    root = tmp_path / "vault"
    shutil.copytree(EXAMPLE_VAULT, root, ignore=shutil.ignore_patterns(".tokenbook*"))
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return root


def _walk(value: Any, where: str, seen: list[str]) -> None:
    """Assert every value reachable from `value` is a plain leaf or a builtin container of them."""
    seen.append(where)
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            _walk(item, f"{where}[{i}]", seen)
    elif type(value) is dict:
        for key, item in value.items():
            _walk(key, f"{where} key {key!r}", seen)
            _walk(item, f"{where}.{key}", seen)
    else:
        assert type(value) in LEAF_TYPES, f"{where} is a {type(value).__name__}"
        if type(value) is datetime:
            assert value.tzinfo is None or type(value.tzinfo) is timezone, where


def test_templates_receive_plain_data_only(capsys, example, monkeypatch):
    """Every value the real `render` passes to a template, walked to its leaves."""
    contexts: list[dict[str, Any]] = []
    real = render._render

    def spy(env: Any, name: str, **context: Any) -> str:
        contexts.append(context)
        return real(env, name, **context)

    monkeypatch.setattr(render, "_render", spy)
    code, _, err = run(capsys, "render", "--vault", example, "--as-of", "2026-11-12")
    assert code == 0, err
    assert [sorted(c) for c in contexts] == [["d"]] + [["p"]] * 5
    seen: list[str] = []
    for context in contexts:
        for name, value in context.items():
            _walk(value, name, seen)
    # The walk reached deep into the data (bets, usage, pace, the vault's prices) ...
    assert "d.bets[0].usage.tokens.total" in seen
    assert "d.bets[0].pace.projected.usd_high" in seen
    assert "d.vault.models[0].entries[0].rates.input" in seen
    assert "p.bet.tasks[0].text" in seen
    # ... and the vault's location on this machine is not part of it.
    assert "root" not in contexts[0]["d"]["vault"]


def test_plain_keeps_fields_and_properties_drops_paths_and_methods():
    @dataclass
    class Record:
        root: Path
        n: int
        when: datetime
        tags: frozenset[str]

        @property
        def double(self) -> int:
            return self.n * 2

        def delete(self) -> None:
            raise AssertionError("a method must not be reachable")

    when = datetime(2026, 11, 3, 10, tzinfo=UTC)
    out = plain(Record(Path("/etc"), 2, when, frozenset({"b", "a"})))
    assert out == {"n": 2, "when": when, "tags": ["a", "b"], "double": 4}
    assert type(out["when"].tzinfo) is timezone
    with pytest.raises(TypeError, match="Path has no plain form"):
        plain([Path("/etc")])
    with pytest.raises(TypeError, match="object has no plain form"):
        plain({"x": object()})


def _vault_template(vault: Path, extra: str, name: str = SHIPPED.name) -> Path:
    folder = vault / "templates"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(SHIPPED.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


SECRET = "S3CRET-OUTSIDE-THE-VAULT"

ATTACKS = {
    "a Path's methods": "{{ d.vault.root.joinpath('secret.txt').read_text() }}",
    "the vault's location": "{{ d.vault.root }}",
    "Python internals": "{{ d.__class__.__mro__[1].__subclasses__() }}",
    "a string's class": "{{ ''.__class__.__base__.__subclasses__() }}",
    "globals of a Jinja helper": "{{ cycler.__init__.__globals__.os.listdir('/') }}",
    "format string internals": "{{ '{0.__class__}'.format(d) }}",
    "mutating the data": "{{ d.bets.append(1) }}",
    "a division by zero": "{{ 1 / 0 }}",
    "a bad format": "{{ '%d' % 'x' }}",
}


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_a_hostile_template_gets_a_located_error_and_writes_nothing(capsys, example, attack):
    (example.parent / "secret.txt").write_text(SECRET, encoding="utf-8")
    template = _vault_template(example, "\n" + attack + "\n")
    line = SHIPPED.read_text(encoding="utf-8").count("\n") + 2
    before = snapshot(example.parent)
    code, out, err = run(capsys, "render", "--vault", example)
    assert code == 1
    assert "Traceback" not in err
    assert err.startswith(f"{template}:{line}: "), err
    assert "fix the template" in err
    assert SECRET not in out + err
    assert snapshot(example.parent) == before


def test_a_dict_key_wins_over_the_dict_method_of_that_name(capsys, example):
    _vault_template(example, '\n{{ {"items": "ITEMS-KEY"}.items }}\n')
    assert run(capsys, "render", "--vault", example)[0] == 0
    assert "ITEMS-KEY" in (example / "cost-dashboard.md").read_text(encoding="utf-8")


def test_a_template_printing_a_lone_surrogate_still_renders(capsys, example):
    _vault_template(example, '\n{{ "\\ud800" }}\n')
    code, _, err = run(capsys, "render", "--vault", example)
    assert code == 0, err
    assert "\\ud800" in (example / "cost-dashboard.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("target", ["file", "folder"])
def test_an_include_through_a_symlink_out_of_the_vault_is_refused(capsys, example, target):
    secret = example.parent / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    folder = example / "templates"
    folder.mkdir()
    if target == "file":
        (folder / "part.j2").symlink_to(secret)
        include = "part.j2"
    else:
        (folder / "parts").symlink_to(example.parent)
        include = "parts/secret.txt"
    _vault_template(example, f'\n{{% include "{include}" %}}\n')
    before = snapshot(example)
    code, out, err = run(capsys, "render", "--vault", example)
    assert code == 1
    assert f"{folder / include}: leads out of the vault" in err
    assert SECRET not in out + err
    assert snapshot(example) == before


def test_an_include_of_a_device_or_a_folder_is_refused(capsys, example):
    folder = example / "templates"
    folder.mkdir()
    (folder / "dir.j2").mkdir()
    _vault_template(example, '\n{% include "dir.j2" %}\n')
    code, _, err = run(capsys, "render", "--vault", example)
    assert code == 1
    assert f"{folder / 'dir.j2'}: not a regular file" in err


def test_an_include_inside_the_vault_works(capsys, example):
    folder = example / "templates"
    folder.mkdir()
    (folder / "note.j2").write_text("INCLUDED {{ d.cycle.id | md }}\n", encoding="utf-8")
    _vault_template(example, '\n{% include "note.j2" %}\n')
    assert run(capsys, "render", "--vault", example)[0] == 0
    assert "INCLUDED 2026-11" in (example / "cost-dashboard.md").read_text(encoding="utf-8")


def test_a_template_that_is_not_utf8_is_a_located_error(capsys, example):
    path = _vault_template(example, "")
    path.write_bytes(b"\xff\xfe{{ d }}")
    code, _, err = run(capsys, "render", "--vault", example)
    assert code == 1
    assert f"{path}: not valid UTF-8" in err


def test_prepare_renders_in_memory_so_a_caller_can_stop_before_writing(example):
    """`render.prepare` raises a template's error before any file is written: sync can call it
    before it writes the ledgers, so a broken template does not leave them half-updated."""
    from tokenbook.errors import TokenbookError
    from tokenbook.store import load_ledgers
    from tokenbook.vault import load_vault

    vault = load_vault(example)
    ledgers = load_ledgers(vault)
    before = snapshot(example)
    rendered = render.prepare(vault, ledgers, None)
    assert snapshot(example) == before
    assert render.write_rendered(vault, rendered) == []  # the example is up to date
    _vault_template(example, "\n{{ 1 / 0 }}\n")
    with pytest.raises(TokenbookError, match="ZeroDivisionError"):
        render.prepare(load_vault(example), ledgers, None)
