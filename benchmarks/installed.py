"""Benchmarks measure tokenbook as installed.

pip writes every module's `.pyc` at install time; an editable checkout run with
PYTHONDONTWRITEBYTECODE set (as on some CI machines) would compile every module at every start
and show import times no installed copy has.
"""

from __future__ import annotations

import compileall
from pathlib import Path


def compile_package() -> None:
    import tokenbook

    compileall.compile_dir(Path(tokenbook.__file__).parent, quiet=1)
