"""Located problems and the one exception family the CLI catches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """`path:line: what is wrong, and how to fix it` (line 0 means the whole file)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class TokenbookError(Exception):
    """A user-fixable error: the CLI prints it and exits 1, without a traceback."""


class VaultError(TokenbookError):
    """Every problem found in one run, sorted by path and line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(p) for p in self.problems))


class VaultLocked(TokenbookError):
    """Another sync holds the vault lock."""
