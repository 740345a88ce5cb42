"""The guard reads a running session's transcript by finding `"usage"` in the buffer: it must
count exactly what taking every line one by one counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.synth import generate
from tokenbook import guard_spend


def every_line(path: Path) -> dict[str, list[Any]]:
    """The reference: every complete line split out and offered to `_take`."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    found: dict[str, list[Any]] = {}
    for raw in data[:end].split(b"\n"):
        guard_spend._take(found, raw)
    return found


def read(path: Path) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    guard_spend._read(path, [0, 0], found)
    return found


def test_found_in_the_buffer_equals_every_line(tmp_path: Path) -> None:
    generate(tmp_path / "logs", seed=3, sessions=12, max_payload=4000)
    files = sorted((tmp_path / "logs").rglob("*.jsonl"))
    assert files
    for path in files:
        assert read(path) == every_line(path), path


def test_odd_lines_equal_every_line(tmp_path: Path) -> None:
    usage = {"input_tokens": 5, "output_tokens": 7}
    good = {"type": "assistant", "timestamp": "2026-11-03T10:00:00.000Z", "requestId": "r",
            "message": {"id": "m", "model": "claude-opus-4-5", "usage": usage}}  # fmt: skip
    lines = [
        json.dumps(good),
        json.dumps({**good, "message": {**good["message"], "id": "m2"}}) + "\r",  # CRLF
        '{"type":"user","toolUseResult":"the word \\"usage\\" in tool output"}',
        '"usage" "assistant" not json',
        "",
        json.dumps({**good, "message": {**good["message"], "id": "m3"}}),
        json.dumps({**good, "message": {**good["message"], "id": "cut"}})[:40],  # unfinished
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert set(read(path)) == {"m\x00r", "m2\x00r", "m3\x00r"}
    assert read(path) == every_line(path)
