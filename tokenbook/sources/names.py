"""The agents' names, without their readers (`registry.py` loads those; a test keeps both equal).

Arguments (`--source`) and folder lookups need only the names: importing every agent's reader
(SQLite for OpenCode, TOML for Codex) costs a report more than its own work.
"""

from __future__ import annotations

CLAUDE_CODE = "claude-code"
NAMES = (CLAUDE_CODE, "codex", "gemini", "opencode")
