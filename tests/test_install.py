"""Installing tokenbook: `--version`, one version everywhere, and the documented install lines."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import tokenbook
from tests.helpers import run
from tokenbook.cli import version

REPO = Path(__file__).resolve().parent.parent


def test_version_flag_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "--version")
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"tokenbook {version()}\n"


def test_the_version_is_the_same_in_pyproject_the_package_and_the_metadata():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", declared)
    assert tokenbook.__version__ == declared
    assert version() == declared  # this checkout is installed (editable) in the test venv


def test_the_version_falls_back_to_the_package_when_not_installed(tmp_path):
    """Run from a source tree that no installer recorded: the package's own version."""
    code = (
        "import importlib.metadata as m\n"
        "def missing(name): raise m.PackageNotFoundError(name)\n"
        "m.version = missing\n"
        "from tokenbook.cli import main\n"
        "main(['--version'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (0, f"tokenbook {tokenbook.__version__}\n")


def test_the_console_script_answers_version():
    script = Path(sys.executable).parent / "tokenbook"
    if not script.exists():
        pytest.skip("tokenbook script missing")
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, f"tokenbook {tokenbook.__version__}\n")
