"""Log-side records: one counted API response, and one skipped log line.

No field exists for prompt text, code or tool output: privacy by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tokenbook.errors import Problem

TOKEN_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Tokens:
    input: int = 0
    output: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def prompt(self) -> int:
        """Whole prompt size of one request: what long-context thresholds compare against."""
        return self.input + self.cache_write + self.cache_read

    @property
    def total(self) -> int:
        return self.prompt + self.output

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(
            input=self.input + other.input,
            output=self.output + other.output,
            cache_write_5m=self.cache_write_5m + other.cache_write_5m,
            cache_write_1h=self.cache_write_1h + other.cache_write_1h,
            cache_read=self.cache_read + other.cache_read,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageEvent:
    """One API response, counted once.

    `key` is `message.id` + NUL + `requestId` (empty when the log has none).
    Times are timezone-aware UTC, taken from the earliest log line of the response.
    """

    key: str
    session: str
    at: datetime
    model: str
    tokens: Tokens
    project: str = ""
    branch: str = ""
    agent: str = "main"
    speed: str = "standard"
    geo: str = ""
    web_search: int = 0
    web_fetch: int = 0


# A log line that could not be counted: reported as `path:line: reason`, never fatal.
Skipped = Problem


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class LimitEvent:
    """Claude Code's "usage limit reached" line: when it was hit and when the limit resets (UTC)."""

    at: datetime
    reset_at: datetime
    session: str
