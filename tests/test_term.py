"""Terminal conventions: width from $COLUMNS or the terminal, colour on a TTY unless NO_COLOR."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE_VAULT
from tokenbook.term import PIPE_WIDTH
from tokenbook.term import colour
from tokenbook.term import paint
from tokenbook.term import shown_width
from tokenbook.term import width


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "tty", "want"),
    [
        ({}, False, False),
        ({}, True, True),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # empty means unset (no-color.org)
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),  # NO_COLOR wins
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_only_on_a_terminal_unless_told(env, tty, want):
    assert colour(Tty() if tty else io.StringIO(), env) is want


def test_width_from_columns_else_the_terminal_else_100(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert width(io.StringIO(), {}) == PIPE_WIDTH == 100
    assert width(io.StringIO(), {"COLUMNS": "80"}) == 80
    assert width(io.StringIO(), {"COLUMNS": "wide"}) == 100
    assert width(io.StringIO(), {"COLUMNS": "10"}) == 40  # narrower than any table can be
    monkeypatch.setenv("COLUMNS", "132")  # shutil.get_terminal_size reads it on a terminal
    assert width(Tty(), {}) == 132


def test_shown_width_counts_wide_characters_twice_and_colour_codes_not_at_all():
    assert shown_width("🟢 auth") == 7
    assert shown_width("≥$1.00…") == 7
    assert shown_width(paint("42%", "31", True)) == 3
    assert paint("42%", "31", False) == "42%"
    assert paint("", "31", True) == ""


def _tokenbook(*args: str, env: dict[str, str], tty: bool) -> str:
    """Run the real console script with stdout on a pseudo-terminal (or a pipe)."""
    cmd = [str(Path(sys.executable).parent / "tokenbook"), *args]
    full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")} | env
    if not tty:
        return subprocess.run(cmd, capture_output=True, text=True, env=full, check=True).stdout
    leader, follower = pty.openpty()
    done = subprocess.run(cmd, stdout=follower, stderr=subprocess.PIPE, env=full, check=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert done.returncode == 0
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_report_is_coloured_and_fitted_on_a_terminal_only():
    args = ("report", "session", "--vault", str(EXAMPLE_VAULT))
    piped = _tokenbook(*args, env={"COLUMNS": "80"}, tty=False)
    assert "\x1b[" not in piped
    assert max(map(shown_width, piped.splitlines())) <= 80
    on_tty = _tokenbook(*args, env={"COLUMNS": "80", "TERM": "xterm"}, tty=True)
    assert on_tty.startswith("\x1b[1mSession")  # the header in bold
    assert "\x1b[" not in _tokenbook(*args, env={"NO_COLOR": "1", "TERM": "xterm"}, tty=True)
    forced = _tokenbook(*args, env={"FORCE_COLOR": "1"}, tty=False)
    assert forced.startswith("\x1b[1mSession")
