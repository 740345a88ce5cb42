"""The synthetic corpus generator: deterministic files, every log quirk, and a truth that holds.

The truth is cross-checked against a small reference counter written here from the counting
rules, run on the files actually written (the generator itself never reads them back).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.synth import MALFORMED_KINDS
from tests.synth import SENTINEL
from tests.synth import Corpus
from tests.synth import encode_cwd
from tests.synth import generate
from tests.synth import main
from tests.synth import parse_size
from tokenbook.events import Tokens
from tokenbook.events import UsageEvent

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Line:
    rel: str
    no: int
    obj: dict[str, Any]


@dataclass(frozen=True)
class Parsed:
    corpus: Corpus
    lines: list[Line]
    bad: dict[tuple[str, int], bytes]

    def of_type(self, kind: str) -> list[Line]:
        return [ln for ln in self.lines if ln.obj.get("type") == kind]

    def usage_lines(self) -> list[Line]:
        return [ln for ln in self.of_type("assistant") if "usage" in ln.obj["message"]]


def raw_lines(root: Path) -> Iterator[tuple[str, int, bytes]]:
    for path in sorted(root.rglob("*.jsonl")):
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        parts = data.split(b"\n")
        if parts[-1] == b"":
            parts.pop()
        for no, raw in enumerate(parts, 1):
            yield rel, no, raw


def parse(corpus: Corpus) -> Parsed:
    lines: list[Line] = []
    bad: dict[tuple[str, int], bytes] = {}
    for rel, no, raw in raw_lines(corpus.root):
        try:
            obj = json.loads(raw.decode("utf-8"))
        except ValueError:
            bad[(rel, no)] = raw
            continue
        lines.append(Line(rel, no, obj))
    return Parsed(corpus, lines, bad)


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> Parsed:
    return parse(generate(tmp_path_factory.mktemp("corpus"), seed=7, sessions=10))


# ----------------------------------------------------------------- reference counter


def _valid(line: dict[str, Any]) -> tuple[dict[str, Any], datetime] | None:
    msg = line.get("message")
    usage = msg.get("usage") if isinstance(msg, dict) else None
    if (
        not isinstance(msg, dict)
        or not isinstance(usage, dict)
        or not isinstance(msg.get("id"), str)
    ):
        return None
    counts = [usage.get("input_tokens"), usage.get("output_tokens")]
    if not all(type(v) is int and v >= 0 for v in counts):
        return None
    try:
        return msg, datetime.fromisoformat(line["timestamp"])
    except ValueError:
        return None


def _tokens(u: dict[str, Any]) -> Tokens:
    total = u.get("cache_creation_input_tokens", 0)
    split = u.get("cache_creation") or {}
    w1 = split.get("ephemeral_1h_input_tokens", 0)
    w5 = split.get("ephemeral_5m_input_tokens", 0)
    w5 += max(0, total - w1 - w5)  # absent split: everything is a 5m write
    return Tokens(
        input=u["input_tokens"],
        output=u["output_tokens"],
        cache_write_5m=w5,
        cache_write_1h=w1,
        cache_read=u.get("cache_read_input_tokens", 0),
    )


def _candidates(obj: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    if obj.get("type") == "assistant":
        yield obj, False
    data = obj.get("data") or {}
    if obj.get("type") == "progress" and data.get("type") == "agent_progress":
        yield data["message"], True


def reference(p: Parsed) -> list[UsageEvent]:
    """The counting rules, applied to the files as written."""
    root = p.corpus.root
    metas = {
        m.name.removeprefix("agent-").removesuffix(".meta.json"): json.loads(m.read_text())[
            "agentType"
        ]
        for m in root.rglob("agent-*.meta.json")
    }
    best: dict[str, tuple[int, dict[str, Any]]] = {}
    first: dict[str, tuple[datetime, dict[str, Any]]] = {}
    main_side: dict[str, bool] = defaultdict(bool)
    for ln in p.lines:
        for line, nested in _candidates(ln.obj):
            ok = _valid(line)
            if ok is None or ok[0]["model"] == "<synthetic>":
                continue
            msg, at = ok
            key = f"{msg['id']}\x00{line.get('requestId') or ''}"
            side = nested or line.get("isSidechain", False)
            main_side[key] |= not side
            if key not in best or msg["usage"]["output_tokens"] > best[key][0]:
                best[key] = (msg["usage"]["output_tokens"], line)
            if key not in first or at < first[key][0]:
                agent = metas.get(line.get("agentId"), "subagent") if side else "main"
                first[key] = (at, {"line": line, "agent": agent})
    by_id: dict[str, list[str]] = defaultdict(list)
    for key in best:
        by_id[key.split("\x00")[0]].append(key)
    events = []
    for key, (_, line) in best.items():
        siblings = by_id[key.split("\x00")[0]]
        if not main_side[key] and any(main_side[k] for k in siblings):
            continue  # a /btw replay
        at, env = first[key]
        u = line["message"]["usage"]
        geo = (u.get("inference_geo") or "").lower()
        web = u.get("server_tool_use", {})
        events.append(
            UsageEvent(
                key=key,
                session=env["line"]["sessionId"],
                at=at,
                model=line["message"]["model"],
                tokens=_tokens(u),
                project=env["line"]["cwd"],
                branch=env["line"].get("gitBranch", ""),
                agent=env["agent"],
                speed="fast" if u.get("speed") == "fast" else "standard",
                geo="" if geo == "global" else geo,
                web_search=web.get("web_search_requests", 0),
                web_fetch=web.get("web_fetch_requests", 0),
            )
        )
    return sorted(events, key=lambda e: (e.at, e.key))


# ----------------------------------------------------------------- truth


def test_truth_matches_the_rules_applied_to_the_written_files(parsed: Parsed) -> None:
    assert reference(parsed) == list(parsed.corpus.responses)


def test_truth_excludes_what_it_must(parsed: Parsed) -> None:
    truth = parsed.corpus.responses
    keys = [e.key for e in truth]
    assert len(keys) == len(set(keys)) == parsed.corpus.unique_responses
    assert list(truth) == sorted(truth, key=lambda e: (e.at, e.key))
    assert all(e.at.tzinfo is not None and e.at.utcoffset() == UTC.utcoffset(None) for e in truth)
    assert "<synthetic>" not in {e.model for e in truth}
    recorded = set(parsed.corpus.malformed)
    malformed_ids = {
        ln.obj["message"].get("id") for ln in parsed.lines if (ln.rel, ln.no) in recorded
    }
    assert not {k.split("\x00")[0] for k in keys} & malformed_ids
    sidechain_keys = {
        f"{ln.obj['message']['id']}\x00{ln.obj.get('requestId') or ''}"
        for ln in parsed.usage_lines()
        if ln.obj.get("isSidechain") and "aside_question" in ln.rel
    }
    assert sidechain_keys - set(keys)  # the /btw replays are not in the truth
    total = sum((e.tokens for e in truth), Tokens())
    assert total == parsed.corpus.totals


def test_truth_covers_long_prompts_agents_and_unpriced_models(parsed: Parsed) -> None:
    truth = parsed.corpus.responses
    assert sum(e.tokens.prompt > 100_000 for e in truth) >= 3
    assert sum(e.tokens.prompt > 200_000 for e in truth) >= 3
    assert {"main", "subagent"} <= {e.agent for e in truth}
    assert {e.agent for e in truth} - {"main", "subagent"}  # from a meta.json
    assert "claude-experimental-9" in {e.model for e in truth}
    assert any(e.speed == "fast" for e in truth)
    assert any(e.geo == "us" for e in truth)
    assert any(e.web_search for e in truth)
    assert any(e.tokens.cache_write_1h for e in truth)
    assert "" in {e.branch for e in truth}
    assert 0.05 < sum(e.key.endswith("\x00") for e in truth) / len(truth) < 0.6


def test_keep_truth_false_keeps_counts_and_writes_the_same_files(
    parsed: Parsed, tmp_path: Path
) -> None:
    light = generate(tmp_path, seed=7, sessions=10, keep_truth=False)
    assert light.responses == ()
    assert light.unique_responses == parsed.corpus.unique_responses
    assert light.totals == parsed.corpus.totals
    assert light.malformed == parsed.corpus.malformed
    assert (light.files, light.bytes, light.lines) == (
        parsed.corpus.files,
        parsed.corpus.bytes,
        parsed.corpus.lines,
    )


# ----------------------------------------------------------------- files


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=3, sessions=4)
    b = generate(tmp_path / "b", seed=3, sessions=4)
    c = generate(tmp_path / "c", seed=4, sessions=4)
    assert snapshot(a.root) == snapshot(b.root)
    assert a.responses == b.responses
    assert a.malformed == b.malformed
    assert snapshot(a.root) != snapshot(c.root)


def test_counts_describe_the_jsonl_files_on_disk(parsed: Parsed) -> None:
    c = parsed.corpus
    jsonl = list(c.root.rglob("*.jsonl"))
    assert c.files == len(jsonl)
    assert c.bytes == sum(p.stat().st_size for p in jsonl)
    assert c.lines == sum(1 for _ in raw_lines(c.root))


def test_refuses_a_config_dir_that_already_has_projects(tmp_path: Path) -> None:
    (tmp_path / "projects" / "x").mkdir(parents=True)
    with pytest.raises(FileExistsError):
        generate(tmp_path, sessions=1)


def test_target_bytes_lands_near_the_target(tmp_path: Path) -> None:
    corpus = generate(tmp_path, seed=1, target_bytes=5_000_000, keep_truth=False)
    assert 4_250_000 <= corpus.bytes <= 5_750_000
    assert corpus.responses == ()
    assert corpus.unique_responses > 200
    assert corpus.totals.total > 0


# ----------------------------------------------------------------- quirks


def _key(ln: Line) -> str:
    return f"{ln.obj['message'].get('id')}\x00{ln.obj.get('requestId') or ''}"


def _groups(p: Parsed) -> dict[str, list[Line]]:
    groups: dict[str, list[Line]] = defaultdict(list)
    for ln in p.usage_lines():
        groups[_key(ln)].append(ln)
    return groups


def test_responses_are_split_over_lines_with_placeholders(parsed: Parsed) -> None:
    by_file: dict[tuple[str, str], list[Line]] = defaultdict(list)
    for ln in parsed.usage_lines():  # per file: resumed sessions repeat some lines elsewhere
        by_file[(ln.rel, _key(ln))].append(ln)
    groups = list(by_file.values())
    assert any(len(g) >= 3 for g in groups)
    assert all(len(ln.obj["message"]["content"]) == 1 for g in groups for ln in g)
    outs = [[ln.obj["message"]["usage"]["output_tokens"] for ln in g] for g in groups]
    placeholder = [o for o in outs if len(set(o)) > 1]
    assert any(o[-1] == max(o) and min(o) <= 6 for o in placeholder)
    assert any(o[0] == max(o) > o[-1] for o in placeholder)  # max line written first
    assert any(len(o) > 1 and len(set(o)) == 1 and o[0] <= 3 for o in outs)  # placeholder only
    assert any(len({ln.obj["message"]["model"] for ln in g}) == 2 for g in groups)  # fallback


def test_request_ids_missing_and_cache_split_by_version(parsed: Parsed) -> None:
    lines = [ln.obj for ln in parsed.usage_lines() if ln.obj["message"]["model"] != "<synthetic>"]
    assert any("requestId" not in o for o in lines)
    old = [o for o in lines if o["version"].startswith("1.0.4")]
    assert old
    assert all("cache_creation" not in o["message"]["usage"] for o in old)
    new = [o["message"]["usage"] for o in lines if o["version"].startswith("2.")]
    assert all("cache_creation" in u for u in new)
    assert any(u["cache_creation"]["ephemeral_1h_input_tokens"] for u in new)
    assert any(  # cache_creation_input_tokens above the split's sum
        u["cache_creation_input_tokens"] > sum(u["cache_creation"].values()) for u in new
    )
    assert any(u.get("speed") == "fast" for u in new)
    assert any(u.get("inference_geo") == "us" for u in new)
    assert any(u.get("server_tool_use", {}).get("web_fetch_requests") for u in new)
    assert all(u["service_tier"] == "standard" for u in new)


def test_every_line_type_is_present(parsed: Parsed) -> None:
    types = {ln.obj.get("type") for ln in parsed.lines}
    assert {"user", "assistant", "system", "summary", "file-history-snapshot"} <= types
    assert {"queue-operation", "progress", "attachment", "custom-title"} <= types
    assert "shiny-new-thing" in types
    system = {ln.obj.get("subtype") for ln in parsed.of_type("system")}
    assert {"compact_boundary", "turn_duration"} <= system
    progress = {ln.obj["data"]["type"] for ln in parsed.of_type("progress")}
    assert {"hook_progress", "bash_progress", "agent_progress"} <= progress


def test_synthetic_lines_and_non_assistant_usage_lookalikes(parsed: Parsed) -> None:
    synthetic = [
        ln.obj for ln in parsed.usage_lines() if ln.obj["message"]["model"] == "<synthetic>"
    ]
    assert synthetic
    assert all(o["isApiErrorMessage"] for o in synthetic)
    assert all(UUID.match(o["message"]["id"]) for o in synthetic)
    texts = [o["message"]["content"][0]["text"] for o in synthetic]
    assert any(re.fullmatch(r"Claude AI usage limit reached\|\d{10}", t) for t in texts)
    assert any(t.startswith("API Error") for t in texts)
    users = parsed.of_type("user")
    task = [
        u.obj["toolUseResult"] for u in users if "totalTokens" in u.obj.get("toolUseResult", {})
    ]
    assert task
    assert all("usage" in t for t in task)
    bait = [u for u in users if isinstance(u.obj["message"]["content"], str)]
    assert any(
        "input_tokens" in u.obj["message"]["content"] and "assistant" in u.obj["message"]["content"]
        for u in bait
    )


def test_subagent_layouts_and_meta_files(parsed: Parsed) -> None:
    root = parsed.corpus.root
    legacy = [
        p
        for p in root.glob("projects/*/agent-*.jsonl")
        if re.fullmatch(r"agent-[0-9a-f]{8}", p.stem)
    ]
    assert legacy
    new = list(root.glob("projects/*/*/subagents/agent-*.jsonl"))
    metas = {
        p.name.removesuffix(".meta.json") for p in root.glob("projects/*/*/subagents/*.meta.json")
    }
    assert metas
    assert {p.stem for p in new} - metas  # and some without meta
    sessions = {p.stem for p in root.glob("projects/*/*.jsonl")}
    for path in legacy + new:
        side = [ln.obj for ln in parsed.lines if ln.rel == path.relative_to(root).as_posix()]
        convo = [o for o in side if "sessionId" in o]
        assert all(o["isSidechain"] and o["sessionId"] in sessions for o in convo)
        assert all(o["agentId"] == path.stem.removeprefix("agent-") for o in convo)
    warmups = [ln for ln in parsed.of_type("user") if ln.obj["message"]["content"] == "Warmup"]
    assert warmups
    assert all(ln.obj["isSidechain"] for ln in warmups)


def test_agent_progress_nests_the_subagent_line(parsed: Parsed) -> None:
    in_files = {
        (_key(ln), json.dumps(ln.obj)) for ln in parsed.usage_lines() if "subagents" in ln.rel
    }
    nested = [
        ln.obj["data"]["message"]
        for ln in parsed.of_type("progress")
        if ln.obj["data"]["type"] == "agent_progress"
        and ln.obj["data"]["message"]["type"] == "assistant"
    ]
    assert nested
    for inner in nested:
        key = f"{inner['message']['id']}\x00{inner.get('requestId') or ''}"
        assert (key, json.dumps(inner)) in in_files  # an exact copy, same agentId


def test_btw_replay_reuses_message_id_with_a_new_request_id(parsed: Parsed) -> None:
    main_ids = {
        ln.obj["message"].get("id"): ln.obj.get("requestId")
        for ln in parsed.usage_lines()
        if not ln.obj["isSidechain"]
    }
    replays = [ln.obj for ln in parsed.usage_lines() if "aside_question" in ln.rel]
    replayed = [o for o in replays if o["message"]["id"] in main_ids]
    assert replayed
    assert all(o["isSidechain"] for o in replayed)
    assert all(o["requestId"] != main_ids[o["message"]["id"]] for o in replayed)


def test_resumed_session_starts_with_verbatim_copies(parsed: Parsed) -> None:
    raw = {(rel, no): data for rel, no, data in raw_lines(parsed.corpus.root)}
    by_bytes: dict[bytes, set[str]] = defaultdict(set)
    for (rel, _), data in raw.items():
        by_bytes[data].add(rel)
    resumed = []
    for path in parsed.corpus.root.glob("projects/*/*.jsonl"):
        rel = path.relative_to(parsed.corpus.root).as_posix()
        ids = [
            ln.obj["sessionId"] for ln in parsed.lines if ln.rel == rel and "sessionId" in ln.obj
        ]
        if ids and ids[0] != path.stem and path.stem in ids:
            resumed.append(rel)
            first = raw[(rel, 1)]
            assert len(by_bytes[first]) == 2  # the same line in the old session's file
    assert resumed


def test_compaction_continues_in_the_same_file(parsed: Parsed) -> None:
    boundaries = [ln for ln in parsed.of_type("system") if ln.obj["subtype"] == "compact_boundary"]
    assert boundaries
    for b in boundaries:
        nxt = [ln for ln in parsed.lines if ln.rel == b.rel and ln.no > b.no]
        assert nxt[0].obj.get("isCompactSummary") is True
        assert any(ln.obj.get("type") == "assistant" for ln in nxt[1:])


def test_non_jsonl_files_and_empty_transcripts(parsed: Parsed) -> None:
    root = parsed.corpus.root
    assert any(p.stat().st_size == 0 for p in root.rglob("*.jsonl"))
    assert list(root.glob("projects/*/sessions-index.json"))
    assert list(root.glob("projects/*/*/tool-results/*.txt"))
    assert list(root.glob("projects/*/memory/MEMORY.md"))


def test_timestamps_dirs_and_midnight(parsed: Parsed) -> None:
    stamps: dict[str, list[str]] = defaultdict(list)
    recorded = set(parsed.corpus.malformed)
    for ln in parsed.lines:
        ts = ln.obj.get("timestamp")
        if ts is not None and (ln.rel, ln.no) not in recorded:
            assert ISO.match(ts), ts
            stamps[ln.rel].append(ts)
    assert all(s == sorted(s) for s in stamps.values())
    assert any(s[0][:10] != s[-1][:10] for s in stamps.values())  # a session across midnight
    for ln in parsed.lines:
        cwd = ln.obj.get("cwd")
        if cwd and ln.rel.count("/") == 2:  # a moved cwd is a subdir of the project
            assert encode_cwd(cwd).startswith(ln.rel.split("/")[1])
    split_days = [
        g for g in _groups(parsed).values() if len({ln.obj["timestamp"][:10] for ln in g}) == 2
    ]
    assert split_days
    truth = {e.key: e for e in parsed.corpus.responses}
    for g in split_days:
        earliest = min(datetime.fromisoformat(ln.obj["timestamp"]) for ln in g)
        assert truth[_key(g[0])].at == earliest


def test_private_text_carries_the_sentinel(parsed: Parsed) -> None:
    for ln in parsed.lines:
        msg = ln.obj.get("message")
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, str) and content != "Warmup":
            assert SENTINEL in content
        for block in content if isinstance(content, list) else []:
            if block["type"] == "thinking":
                assert SENTINEL in block["thinking"]
            if block["type"] == "tool_use" and "file_path" in block["input"]:
                assert SENTINEL in block["input"]["file_path"]
            if block["type"] == "tool_result":
                assert SENTINEL in json.dumps(block["content"], ensure_ascii=False)


# ----------------------------------------------------------------- malformed


def _kind(raw: bytes, *, last: bool) -> str:
    """Which defect a recorded line has (each assistant line has exactly one)."""
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "bad-utf8"
    except ValueError:
        return "truncated-last" if last else "truncated"
    usage = obj["message"]["usage"]
    if isinstance(usage["input_tokens"], str):
        return "string-tokens"
    if usage["output_tokens"] < 0:
        return "negative-tokens"
    if "id" not in obj["message"]:
        return "missing-id"
    return "none" if ISO.match(obj["timestamp"]) and _valid(obj) else "bad-timestamp"


def test_malformed_lines_are_at_the_recorded_positions(parsed: Parsed) -> None:
    root = parsed.corpus.root
    recorded = set(parsed.corpus.malformed)
    kinds = []
    for rel, no in parsed.corpus.malformed:
        data = (root / rel).read_bytes()
        lines = data.split(b"\n")
        unterminated = no == len(lines) and not data.endswith(b"\n")
        kinds.append(_kind(lines[no - 1], last=unterminated))
    assert set(kinds) == set(MALFORMED_KINDS)  # at least one of each once sessions >= 10
    assert set(parsed.bad) <= recorded
    for ln in parsed.usage_lines():  # every other usage line is well formed
        if (ln.rel, ln.no) not in recorded:
            assert _valid(ln.obj) is not None, (ln.rel, ln.no)


# ----------------------------------------------------------------- CLI


def test_cli_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "c"), "--sessions", "2", "--seed", "5", "--days", "3"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\d+ files, \d+ lines, \d+ bytes, \d+ unique responses, \d+ malformed", out)
    assert main([str(tmp_path / "c")]) == 2


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("100MB", 100_000_000),
        ("1GB", 1_000_000_000),
        ("1GiB", 2**30),
        ("512k", 512_000),
        ("42", 42),
    ],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size
