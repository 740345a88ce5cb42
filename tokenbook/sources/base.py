"""What every source (one agent's logs) gives the rest of tokenbook: counted API responses.

A source module (`tokenbook/sources/<agent>.py`) exposes:

- `NAME`: the agent's name as the ledgers record it (`claude-code`, `codex`, `opencode`, `gemini`);
- `default_dirs(env, home) -> list[Path]`: where its logs live by default (environment overrides
  first);
- `looks_like(path) -> bool`: whether a folder given with `--logs` holds this agent's layout;
- `read(dirs) -> Read`: every billed response found below `dirs`, each exactly once (the agent's
  own duplicate rules applied), and the input it had to skip.

Token fields keep one meaning across agents: `input` is input not read from a cache, `cache_read`
is cached input, `cache_write_5m`/`cache_write_1h` are cache writes, `output` includes reasoning.
Only metadata is ever kept: ids, times, models, counts, paths of working directories, branch and
agent names; never prompt text, code or tool output.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from tokenbook.events import Skipped
from tokenbook.events import Tokens


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """One billed API response of one agent, counted once."""

    source: str  # the agent: `claude-code`, `codex`, ...
    key: str  # stable and unique within the source (same on every machine that reads the log)
    at: datetime  # timezone-aware UTC
    session: str
    model: str
    tokens: Tokens
    project: str = ""  # the working directory
    branch: str = ""  # git branch, "" when the log has none
    main: bool = True  # False for a subagent / sidechain response
    agent_id: str = ""  # the subagent's id, when the log gives one
    agent: str = ""  # the subagent's type (`Explore`, ...), "" when unknown or main
    speed: str = "standard"  # pricing tier: `standard`, `fast`, `priority`, `flex`
    geo: str = ""  # data-residency region with its own price ("" = standard)
    web_search: int = 0
    web_fetch: int = 0


@dataclass(slots=True)
class Read:
    """What one source found: responses, skipped input (`path:line: reason`), files seen."""

    responses: list[Response] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
