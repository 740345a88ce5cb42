"""Compiled templates (`jinjacache.py`): a render compiles each template once per template file,
an edited template is compiled again, and a vault copied elsewhere compiles its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest

from tests.helpers import run
from tests.helpers import snapshot
from tokenbook.cachefile import CACHE_DIR
from tokenbook.jinjacache import FOLDER


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates compiled (not loaded from the cache)."""
    names: list[str] = []
    real = jinja2.Environment.compile

    def compile_(self: jinja2.Environment, source: str, name: str | None = None, *a, **k):  # type: ignore[no-untyped-def]
        names.append(name or "")
        return real(self, source, name, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", compile_)
    return names


def test_a_second_render_loads_compiled_templates(capsys, vault: Path, compiled: list[str]):
    assert run(capsys, "render", "--vault", vault)[0] == 0
    assert sorted(set(compiled)) == ["cost-dashboard.md.j2", "iteration-progress.md.j2"]
    assert len(list((vault / CACHE_DIR / FOLDER).glob("*.cache"))) == 2
    before = snapshot(vault)
    compiled.clear()
    for path in [vault / "cost-dashboard.md", *(vault / "progress").glob("*.md")]:
        path.unlink()
    assert run(capsys, "render", "--vault", vault)[0] == 0
    assert compiled == []
    assert snapshot(vault) == before


def test_an_edited_template_is_compiled_again(capsys, vault: Path, compiled: list[str]):
    assert run(capsys, "render", "--vault", vault)[0] == 0
    (vault / "templates").mkdir(exist_ok=True)
    (vault / "templates" / "cost-dashboard.md.j2").write_text("# mine {{ d.as_of }}\n")
    compiled.clear()
    assert run(capsys, "render", "--vault", vault)[0] == 0
    assert compiled == ["cost-dashboard.md.j2"]
    assert (vault / "cost-dashboard.md").read_text().startswith("# mine ")
    (vault / "templates" / "cost-dashboard.md.j2").write_text("# yours {{ d.as_of }}\n")
    assert run(capsys, "render", "--vault", vault)[0] == 0
    assert (vault / "cost-dashboard.md").read_text().startswith("# yours ")


def test_a_copied_vault_never_loads_the_copied_compiled_templates(
    capsys, tmp_path: Path, vault: Path, compiled: list[str]
):
    (vault / "templates").mkdir(exist_ok=True)
    (vault / "templates" / "cost-dashboard.md.j2").write_text("# mine {{ d.as_of }}\n")
    assert run(capsys, "render", "--vault", vault)[0] == 0
    copy = tmp_path / "copy"
    shutil.copytree(vault, copy)  # caches included: as if committed and checked out elsewhere
    compiled.clear()
    assert run(capsys, "render", "--vault", copy)[0] == 0
    assert "cost-dashboard.md.j2" in compiled
