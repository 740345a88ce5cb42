"""An independent reference count of Gemini CLI chats, written for the tests from the documented
rules (other-agents.md, Gemini §3-§4) without tokenbook's reader.

Rows: (session, day, model, input, cache_read, output, project, main).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, int, int, int, str, bool]


def _objects(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".json":
        doc = json.loads(path.read_text())
        return [{"sessionId": doc["sessionId"]}, *doc["messages"]]
    out = []
    for raw in path.read_text().splitlines():
        try:
            out.append(json.loads(raw))
        except ValueError:
            continue
    return out


def _billed(t: dict[str, int]) -> tuple[int, int, int]:
    i, c, o = t.get("input", 0), t.get("cached", 0), t.get("output", 0)
    th, tool, total = t.get("thoughts", 0), t.get("tool", 0), t.get("total", 0)
    inclusive = not (c > i or (c and total == i + c + o + th + tool))
    return (i - c if inclusive else i) + tool, c, o + th


def reference(gemini: Path) -> list[Row]:
    roots = {
        v: k for k, v in json.loads((gemini / "projects.json").read_text())["projects"].items()
    }
    latest: dict[tuple[str, str], tuple[dict[str, Any], str, str, str]] = {}
    files = sorted((gemini / "tmp").glob("*/chats/**/*.json*"))
    for f in sorted(files, key=lambda f: f.suffix == ".jsonl"):
        project_dir = f.relative_to(gemini / "tmp").parts[0]
        marker = gemini / "tmp" / project_dir / ".project_root"
        project = marker.read_text().strip() if marker.exists() else roots.get(project_dir, "")
        parent = f.parent.name if f.parent.name != "chats" else ""
        session, model = f.stem, ""
        for obj in _objects(f):
            messages = obj.get("$set", {}).get("messages", []) if "$set" in obj else [obj]
            for m in messages:
                if "id" not in m:
                    session = m.get("sessionId", session)
                    continue
                model = m.get("model") or model
                latest[(session, m["id"])] = (m, model, project, parent)
    rows: list[Row] = []
    for (session, _), (m, model, project, parent) in sorted(latest.items()):
        t = m.get("tokens")
        if not t or any(v < 0 for v in t.values()):
            continue
        billed = _billed(t)
        if any(billed):
            day = datetime.fromisoformat(m["timestamp"]).date().isoformat()
            rows.append((parent or session, day, model, *billed, project, not parent))
    return rows


def naive(gemini: Path) -> int:
    """Every record with tokens, input taken as billed: repeats and cached counted again."""
    total = 0
    for f in sorted((gemini / "tmp").glob("*/chats/**/*.json*")):
        for obj in _objects(f):
            for m in obj.get("$set", {}).get("messages", []) if "$set" in obj else [obj]:
                t = m.get("tokens") or {}
                total += t.get("input", 0) + t.get("output", 0) + t.get("cached", 0)
    return total
