"""Installing tokenbook: `--version`, one version everywhere, and the documented install lines."""

from __future__ import annotations

import re
import shutil
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


# --------------------------------------------------------------------------------- the docs

DOCS = ("install.md", "automation.md", "cycles.md")


def test_every_pinned_rev_is_this_version():
    """The tag to create for a release is v<version>; every snippet must pin exactly that."""
    tag = f"v{tokenbook.__version__}"
    install = (REPO / "docs" / "install.md").read_text(encoding="utf-8")
    urls = re.findall(r"git\+https://\S+", install)
    assert len(urls) >= 4
    assert all(u.endswith(f"@{tag}") for u in urls), urls
    for text in (
        (REPO / "docs" / "automation.md").read_text(encoding="utf-8"),
        (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"),
    ):
        revs = re.findall(r"rev: (\S+)", text)
        assert revs == [tag]


@pytest.mark.parametrize("name", DOCS)
def test_the_docs_name_only_commands_that_exist(name):
    from tokenbook.cli import COMMANDS

    text = (REPO / "docs" / name).read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"```.*?```", text, re.S) + re.findall(r"`[^`\n]+`", text))
    named = set(re.findall(r"(?:^|`|&& |\| )tokenbook ([a-z][\w-]*)", code, re.M))
    assert named
    assert named <= set(COMMANDS), named - set(COMMANDS)


def test_a_clean_checkout_installs_from_a_git_url(tmp_path):
    """What `pip install git+https://...@vX.Y.Z` does, from this repository's HEAD."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    site = tmp_path / "site"  # --target: pip leaves this venv's own tokenbook alone
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--target", str(site), f"git+file://{REPO}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (site / "tokenbook" / "_data" / "pricing" / "anthropic.md").is_file()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(site)}
    done = subprocess.run(
        [str(site / "bin" / "tokenbook"), "--version"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, f"tokenbook {tokenbook.__version__}\n")
