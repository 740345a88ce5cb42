"""Private by default: no prompt, code, tool output, thinking or file path from the logs reaches
the vault or the sync cache. Only the metadata the README lists ("What tokenbook stores") does.

Each text field of the logs gets its own sentinel, so a failure names the field that leaked. The
cache may compress what it stores, so every zlib stream found in a cache file is searched too.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import user
from tests.helpers import write_log
from tests.synth import SENTINEL
from tests.synth import generate

ZLIB_HEADER = re.compile(rb"\x78[\x01\x5e\x9c\xda]")
FIELDS = (
    "PROMPT",
    "PROMPT-BLOCK",
    "ASSISTANT-TEXT",
    "THINKING",
    "TOOL-PATH",
    "TOOL-COMMAND",
    "TOOL-PATTERN",
    "TOOL-EDIT",
    "TOOL-OUTPUT",
    "TOOL-STDOUT",
    "FILE-CONTENT",
    "SUMMARY",
    "CUSTOM-TITLE",
    "META-DESCRIPTION",
    "AGENT-PROMPT",
    "AGENT-TEXT",
    "COMPACT-SUMMARY",
    "SYSTEM-MESSAGE",
    "TODO",
    "SNAPSHOT",
    "TRUNCATED-PROMPT",
    "SKIPPED-LINE",
)


def _secret(field: str) -> str:
    return f"PRIVATE-{field}-7f3a"


def _haystacks(root: Path) -> dict[str, bytes]:
    """Every file below root, plus the decompressed zlib streams inside the cache's files."""
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        name = str(path.relative_to(root))
        found[name] = data = path.read_bytes()
        if ".tokenbook-cache" not in path.parts:
            continue
        for m in ZLIB_HEADER.finditer(data):
            try:
                found[f"{name}@zlib{m.start()}"] = zlib.decompressobj().decompress(
                    data[m.start() :]
                )
            except zlib.error:
                continue
    return found


def _leaks(root: Path, secrets: list[str]) -> list[str]:
    return sorted(
        f"{secret} in {where}"
        for where, data in _haystacks(root).items()
        for secret in secrets
        if secret.encode() in data or secret.encode("utf-16-le") in data
    )


def _private_session(logs: Path) -> None:
    s = _secret
    tool_uses: list[dict[str, Any]] = [
        {"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": s("TOOL-PATH")}},
        {"type": "tool_use", "id": "t2", "name": "Bash", "input": {"command": s("TOOL-COMMAND")}},
        {"type": "tool_use", "id": "t3", "name": "Grep", "input": {"pattern": s("TOOL-PATTERN")}},
        {
            "type": "tool_use",
            "id": "t4",
            "name": "Edit",
            "input": {"file_path": "x", "old_string": s("TOOL-EDIT"), "new_string": "y"},
        },
    ]
    answer = assistant("msg_1", "req_1", text=s("ASSISTANT-TEXT"))
    answer["message"]["content"] = [
        {"type": "thinking", "thinking": s("THINKING"), "signature": "sig"},
        {"type": "text", "text": s("ASSISTANT-TEXT")},
        *tool_uses,
    ]
    block_prompt = user("x", ts="2026-11-03T09:59:30.000Z")
    block_prompt["message"]["content"] = [{"type": "text", "text": s("PROMPT-BLOCK")}]
    tool_result = user("x", ts="2026-11-03T10:00:01.000Z")
    tool_result["message"]["content"] = [
        {"type": "tool_result", "tool_use_id": "t1", "content": s("TOOL-OUTPUT")}
    ]
    tool_result["toolUseResult"] = {
        "stdout": s("TOOL-STDOUT"),
        "file": {"filePath": s("TOOL-PATH"), "content": s("FILE-CONTENT")},
    }
    agent_progress = {
        "type": "progress",
        "sessionId": "sess-1",
        "timestamp": "2026-11-03T10:00:02.000Z",
        "data": {
            "type": "agent_progress",
            "agentId": "a1",
            "prompt": s("AGENT-PROMPT"),
            "message": assistant(
                "msg_2", "req_2", ts="2026-11-03T10:00:02.000Z", text=s("AGENT-TEXT"), agent_id="a1"
            ),
        },
    }
    compact = user(s("COMPACT-SUMMARY"), ts="2026-11-03T10:00:03.000Z")
    compact["isCompactSummary"] = True
    write_log(
        logs,
        "-home-dev-src-webapp/sess-1.jsonl",
        [
            user(s("PROMPT")),
            block_prompt,
            answer,
            tool_result,
            agent_progress,
            compact,
            {"type": "summary", "summary": s("SUMMARY"), "leafUuid": "u"},
            {"type": "custom-title", "customTitle": s("CUSTOM-TITLE"), "sessionId": "sess-1"},
            {"type": "system", "content": s("SYSTEM-MESSAGE"), "sessionId": "sess-1"},
            {
                "type": "file-history-snapshot",
                "snapshot": {"trackedFileBackups": {s("SNAPSHOT"): {}}},
            },
            {"type": "user", "todos": [{"content": s("TODO"), "status": "pending"}]},
            # A malformed line is reported by number, never quoted into the vault or the cache.
            json.dumps(assistant("msg_3", "req_3", text=s("SKIPPED-LINE"), input=-5)),
            json.dumps(user(s("TRUNCATED-PROMPT")))[:-10],
        ],
    )
    meta = logs / "projects" / "-home-dev-src-webapp" / "sess-1" / "subagents"
    meta.mkdir(parents=True)
    (meta / "agent-a1.meta.json").write_text(
        json.dumps({"agentType": "Explore", "description": s("META-DESCRIPTION")})
    )


def test_no_private_text_from_any_log_field_reaches_the_vault_or_the_cache(capsys, vault, logs):
    _private_session(logs)
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    # The usage itself was counted: the main response and the subagent's.
    assert report(capsys, vault, "session")["totals"]["responses"] == 2
    secrets = [_secret(f) for f in FIELDS]
    assert _leaks(vault, secrets) == []
    # The terminal may name the skipped lines, never their text.
    assert not [s for s in secrets if s in err]


def test_no_sentinel_from_a_realistic_corpus_reaches_the_vault_or_the_cache(
    capsys, vault, tmp_path
):
    """The synthetic generator plants SENTINEL-PRIVATE-TEXT in prompts, code, tool output, paths
    in tool inputs, thinking, summaries and agent descriptions of every kind of log line."""
    logs = tmp_path / "claude"
    generate(logs, seed=3, sessions=12)
    corpus = b"".join(p.read_bytes() for p in logs.rglob("*") if p.is_file())
    assert corpus.count(SENTINEL.encode()) > 100
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    assert _leaks(vault, [SENTINEL]) == []
    # And again after an incremental sync that reads only appended bytes.
    for path in sorted(logs.rglob("*.jsonl"))[:3]:
        with path.open("ab") as f:
            line = assistant(f"msg-{path.stem}", "r", text=SENTINEL, session=path.stem)
            f.write(json.dumps(user(SENTINEL, session=path.stem)).encode() + b"\n")
            f.write(json.dumps(line).encode() + b"\n")
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert _leaks(vault, [SENTINEL]) == []


def test_the_ledger_holds_exactly_the_documented_columns(capsys, vault, logs):
    """docs/ledgers.md's list of stored fields is the summary's header and the record fields: a
    new column needs a line there."""
    write_log(logs, "p/sess-1.jsonl", [assistant("msg_1")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    header = next(
        ln for ln in (vault / "ledgers" / "auth-login.md").read_text().split("\n") if ln[:1] == "|"
    )
    columns = [c.strip() for c in header.strip("|").split("|")]
    columns += ["source", "session", "project", "branch", "agent_id", "agent", "model", "speed"]
    columns += ["geo", "main", "input", "output", "cache_write_5m", "cache_write_1h", "cache_read"]
    columns += ["web_search", "web_fetch", "copy", "prompt_over", "first", "last", "command"]
    columns += ["skill", "run"]
    docs = (Path(__file__).resolve().parent.parent / "docs" / "ledgers.md").read_text()
    section = docs.split("### What tokenbook stores", 1)[1].split("\n## ", 1)[0]
    for column in columns:
        assert f"`{column}`" in section, f"ledger column {column} is not documented"
    fields = [
        len(ln.split("\t")) for ln in (vault / "ledgers" / "auth-login.tsv").read_text().split("\n")
    ]
    assert set(fields) == {1, 12, 15}  # the header, `r` and `c` lines: the fields listed above


def test_skip_reasons_never_quote_the_log(capsys, vault, logs):
    """A malformed timestamp or usage-limit text is named, never copied into the sync cache."""
    bad_time = assistant("m1", "r")
    bad_time["timestamp"] = "SENTINEL-TIME-TEXT"
    limit = assistant("m2", None, model="<synthetic>", output=0)
    limit["message"]["content"] = [
        {"type": "text", "text": "Claude AI usage limit reached|SENTINEL-LIMIT"}
    ]
    write_log(logs, "p/s.jsonl", [bad_time, limit])
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0
    assert "s.jsonl:1: timestamp is not an ISO-8601 time" in err
    assert "s.jsonl:2: usage-limit line whose reset time is not a number of seconds" in err
    assert "SENTINEL" not in err
    for path in (vault / ".tokenbook-cache").rglob("*"):
        assert not path.is_file() or b"SENTINEL" not in path.read_bytes()
