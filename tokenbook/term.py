"""Terminal conventions: how wide the output may be, whether to colour it, and how wide text shows.

Nothing here prints or reads the environment on its own: the commands pass their stream and
`os.environ`, so the same output is produced for the same inputs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Protocol

PIPE_WIDTH = 100  # output that goes to a file or a pipe keeps this width unless $COLUMNS says
NARROWEST = 40  # below this, tables stop trying to fit and simply wrap
ANSI = re.compile(r"\x1b\[[0-9;]*m")

BOLD = "1"
DIM = "2"
RED = "31"
GREEN = "32"
YELLOW = "33"
ORANGE = "38;5;208"


class Stream(Protocol):
    def isatty(self) -> bool: ...


def _tty(stream: Stream | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):  # a closed or detached stream
        return False


def width(stream: Stream | None, env: Mapping[str, str]) -> int:
    """Columns to fit: `$COLUMNS` when set, else the terminal's width on a terminal, else 100."""
    columns = env.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), NARROWEST)
    if _tty(stream):
        import shutil  # with bz2 and lzma: only on a terminal

        return max(shutil.get_terminal_size((PIPE_WIDTH, 24)).columns, NARROWEST)
    return PIPE_WIDTH


def colour(stream: Stream | None, env: Mapping[str, str]) -> bool:
    """Colour on a terminal only. `NO_COLOR` (any non-empty value) turns it off everywhere and
    wins over `FORCE_COLOR`, which turns it on also for a pipe; `TERM=dumb` turns it off."""
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    return _tty(stream) and env.get("TERM") != "dumb"


def paint(text: str, code: str, on: bool) -> str:
    """`text` in an SGR colour or style when `on`; unchanged otherwise (and when empty)."""
    return f"\x1b[{code}m{text}\x1b[0m" if on and text else text


def plain(text: str) -> str:
    return ANSI.sub("", text)


def shown_width(text: str) -> int:
    """Columns a line takes on a terminal: wide characters (emoji, CJK) take two, combining
    marks and colour codes none."""
    n = 0
    for ch in plain(text):
        if unicodedata.combining(ch) or ch == "\ufe0f":
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


def level_colour(percent: float) -> str:
    """The alert colours of the status line: red at 100%, orange 90%, yellow 75%, else green."""
    for limit, code in ((100, RED), (90, ORANGE), (75, YELLOW)):
        if percent >= limit:
            return code
    return GREEN
