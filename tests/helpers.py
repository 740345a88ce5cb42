"""Builders for hand-made Claude Code log lines and a CLI runner for tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tokenbook.cli import main

EXAMPLE_VAULT = Path(__file__).resolve().parent.parent / "vault"


def fresh_vault(root: Path) -> Path:
    """Copy the example vault to `root` with no usage yet and no `logs:` setting."""
    shutil.copytree(
        EXAMPLE_VAULT,
        root,
        ignore=shutil.ignore_patterns("ledgers", "progress", "cost-dashboard.md", ".tokenbook*"),
    )
    settings = root / "tokenbook.md"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        "\n".join(ln for ln in text.split("\n") if not ln.startswith("logs:")), encoding="utf-8"
    )
    return root


def assistant(
    msg_id: str,
    request_id: str | None = "req",
    *,
    ts: str = "2026-11-03T10:00:00.000Z",
    session: str = "sess-1",
    model: str = "claude-opus-4-5-20251101",
    input: int = 10,
    output: int = 100,
    cache_write: int = 1000,
    cache_write_1h: int = 0,
    cache_read: int = 5000,
    split: bool = True,
    cwd: str = "/home/dev/src/webapp",
    branch: str = "feature/auth-login",
    sidechain: bool = False,
    agent_id: str | None = None,
    text: str = "Sure, here is the plan.",
    **usage_extra: Any,
) -> dict[str, Any]:
    """One assistant line as Claude Code writes it (one content block, the whole usage)."""
    usage: dict[str, Any] = {
        "input_tokens": input,
        "output_tokens": output,
        "cache_creation_input_tokens": cache_write,
        "cache_read_input_tokens": cache_read,
    }
    if split:
        usage["cache_creation"] = {
            "ephemeral_5m_input_tokens": cache_write - cache_write_1h,
            "ephemeral_1h_input_tokens": cache_write_1h,
        }
    usage |= usage_extra
    line: dict[str, Any] = {
        "parentUuid": None,
        "isSidechain": sidechain,
        "userType": "external",
        "cwd": cwd,
        "sessionId": session,
        "version": "2.0.55",
        "gitBranch": branch,
        "type": "assistant",
        "message": {
            "id": msg_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": usage,
        },
        "uuid": f"uuid-{msg_id}-{output}",
        "timestamp": ts,
    }
    if request_id is not None:
        line["requestId"] = request_id
    if agent_id is not None:
        line["agentId"] = agent_id
    return line


def user(
    text: str, *, session: str = "sess-1", ts: str = "2026-11-03T09:59:00.000Z"
) -> dict[str, Any]:
    return {
        "parentUuid": None,
        "type": "user",
        "sessionId": session,
        "timestamp": ts,
        "cwd": "/home/dev/src/webapp",
        "message": {"role": "user", "content": text},
        "uuid": f"user-{ts}",
    }


def write_log(config_dir: Path, name: str, lines: list[dict[str, Any] | str]) -> Path:
    """Write a JSONL file under `<config_dir>/projects/`; str items are written verbatim."""
    path = config_dir / "projects" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join((ln if isinstance(ln, str) else json.dumps(ln)) + "\n" for ln in lines)
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys: Any, *args: str | Path) -> tuple[int, str, str]:
    """Run the real CLI in-process; return exit code, stdout and stderr."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def report(capsys: Any, vault: Path, kind: str, *extra: str) -> dict[str, Any]:
    code, out, err = run(capsys, "report", kind, "--json", "--vault", vault, *extra)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file's bytes below root, by relative path (the git-ignored lock file and the
    disposable sync cache aside)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".tokenbook.lock" and ".tokenbook-cache" not in p.parts
    }
