"""The wheel ships the templates and price lists, and an installed tokenbook uses them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHIPPED = (
    "tokenbook/_data/templates/cost-dashboard.md.j2",
    "tokenbook/_data/templates/iteration-progress.md.j2",
    "tokenbook/_data/pricing/anthropic.md",
)


def pip(*args: str | Path, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    pip("wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", out, REPO, cwd=out)
    (built,) = out.glob("tokenbook-*.whl")
    return built


def test_wheel_ships_templates_and_price_lists(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in SHIPPED:
        assert name in names
    assert "tokenbook/cli.py" in names
    assert "tokenbook/sources/claude_code.py" in names
    assert not [n for n in names if n.startswith(("tests/", "vault/", "templates/"))]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "tokenbook = tokenbook.commands.launch:main" in scripts


def test_installed_wheel_inits_and_renders_with_its_own_templates(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    pip("install", "--no-deps", "--quiet", "--no-compile", "--target", site, wheel, cwd=tmp_path)
    # Prove the shipped template is the one used: mark the installed copy.
    template = site / "tokenbook/_data/templates/cost-dashboard.md.j2"
    template.write_text(template.read_text() + "\nrendered-by-the-installed-template\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env |= {"PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}

    def python(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=work, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    where = python(
        "-c",
        "import tokenbook, tokenbook.resources as r; "
        "print(tokenbook.__file__); print(r.data_dir('templates')); print(r.data_dir('pricing'))",
    ).split("\n")
    assert Path(where[0]).is_relative_to(site)
    assert Path(where[1]) == site / "tokenbook/_data/templates"
    assert Path(where[2]) == site / "tokenbook/_data/pricing"

    assert "created a vault in v" in python("-m", "tokenbook", "init", "v")
    vault = work / "v"
    (cycle,) = (vault / "cycles").glob("*.md")
    dashboard = (vault / "cost-dashboard.md").read_text()
    assert f"## Cycle [{cycle.stem}](cycles/{cycle.stem}.md)" in dashboard
    assert "rendered-by-the-installed-template" in dashboard
    assert (vault / "pricing/anthropic.md").read_bytes() == (
        site / "tokenbook/_data/pricing/anthropic.md"
    ).read_bytes()
    python("-m", "tokenbook", "check", "--vault", "v")
    python("-m", "tokenbook", "render", "--check", "--vault", "v")
