"""Command, skill, run kind and agent type of each response (sources/claude_turns + resolve),
on transcripts written from the documented shapes, against labels counted by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.label_reference import fast_key
from tests.transcripts import Transcript
from tests.transcripts import agent_call
from tests.transcripts import new_command
from tests.transcripts import skill_call
from tests.turn_fixtures import EXPECTED
from tests.turn_fixtures import OUTPUT
from tests.turn_fixtures import key
from tests.turn_fixtures import write_project
from tokenbook.sources import claude_code
from tokenbook.sources.claude_lines import command_of
from tokenbook.sources.claude_lines import key_of
from tokenbook.sources.claude_resolve import Meta
from tokenbook.sources.claude_resolve import Resolved
from tokenbook.sources.claude_resolve import resolve
from tokenbook.sources.claude_turns import labels

SUBAGENTS = ("ax", "agp", "aplan", "afk", "abg")


def _everything(
    files: dict[str, Path], metas: dict[str, Meta] | None = None
) -> dict[str, Resolved]:
    out = resolve(labels(files["s1"]), [labels(files[a]) for a in SUBAGENTS], metas)
    out |= resolve(None, [labels(files["warmup"])])
    for name in ("h1", "q1", "o1", "k1"):
        out |= resolve(labels(files[name]), [])
    return out


@pytest.mark.parametrize("compact", [True, False], ids=["claude-json", "spaced-json"])
def test_every_response_gets_the_labels_counted_by_hand(tmp_path, compact):
    files = write_project(tmp_path, compact)
    found = _everything(files)
    got = {k.split("\x00")[0]: (r.command, r.skill, r.run, r.agent) for k, r in found.items()}
    assert got == EXPECTED
    assert set(found) == {key(m) for m in EXPECTED}


def test_labels_cover_exactly_the_responses_the_scanner_counts(tmp_path):
    files = write_project(tmp_path)
    counted = claude_code.collect([tmp_path]).events
    assert {e.key for e in counted} == set(_everything(files))


def test_a_subagent_keeps_its_spawning_turn_when_its_file_is_all_that_is_left(tmp_path):
    """The main file gone: the `agent_progress` copy and promptId are gone too; only the
    meta file's type is left (unknown labels, never a guess by time)."""
    files = write_project(tmp_path)
    alone = resolve(None, [labels(files["ax"])], {"ax": Meta(agent_type="Explore")})
    assert {k: (r.command, r.agent) for k, r in alone.items()} == {
        key("x1"): ("", "Explore"),
        key("x2"): ("", "Explore"),
    }


def test_a_copy_stands_in_for_a_deleted_subagent_file(tmp_path):
    files = write_project(tmp_path)
    found = resolve(labels(files["s1"]), [])
    assert found[key("g1")] == Resolved("", "pdf", "interactive", "general-purpose")


def test_the_meta_file_names_the_type_and_joins_a_spawn_without_a_result(tmp_path):
    m = Transcript("s2")
    m.prompt(new_command("triage"))
    m.response("a1", 5, tools=[agent_call("call-1", "Explore")])  # its result never written
    sub = Transcript("s2", agent_id="aq")
    sub.response("a2", 6)  # no prompt line either (R: agent-c8d9b115.jsonl:1)
    main = labels(m.write(tmp_path / "s2.jsonl"))
    other = labels(sub.write(tmp_path / "s2" / "subagents" / "agent-aq.jsonl"))
    meta = {"aq": Meta(agent_type="my-explorer", tool_use_id="call-1")}
    assert resolve(main, [other], meta)[key("a2")] == Resolved(
        "/triage", "", "interactive", "my-explorer"
    )
    assert resolve(main, [other])[key("a2")] == Resolved("", "", "interactive", "")


def test_an_unjoined_subagent_takes_the_turn_its_prompt_id_names(tmp_path):
    m = Transcript("s3")
    m.prompt(new_command("audit"), promptId="pa")
    m.response("a1", 5)
    sub = Transcript("s3", agent_id="az")
    sub.prompt("go", promptId="pa")
    sub.response("a2", 6)
    found = resolve(
        labels(m.write(tmp_path / "s3.jsonl")),
        [labels(sub.write(tmp_path / "a" / "agent-az.jsonl"))],
    )
    assert found[key("a2")] == Resolved("/audit", "", "interactive", "")


def test_a_later_skill_call_replaces_the_active_one_and_the_next_turn_clears_it(tmp_path):
    m = Transcript("s4")
    m.prompt("first")
    m.response("a1", 1, tools=[skill_call("c1", "alpha")])
    m.meta("Base directory for this skill: /a", sourceToolUseID="c1")
    m.response("a2", 2, tools=[skill_call("c2", "beta")])
    m.meta("Base directory for this skill: /b", sourceToolUseID="c2")
    m.response("a3", 3)
    m.prompt("second")
    m.response("a4", 4)
    m.response("a5", 5, tools=[skill_call("c3", "gamma")])
    m.result("c3", "Error: Unknown skill: gamma")  # a failed call activates nothing
    m.response("a6", 6)
    got = {k[:2]: r.skill for k, r in resolve(labels(m.write(tmp_path / "s4.jsonl")), []).items()}
    assert got == {"a1": "", "a2": "alpha", "a3": "beta", "a4": "", "a5": "", "a6": ""}


def test_claude_codes_own_skill_stamp_fills_in_where_the_rule_finds_none(tmp_path):
    m = Transcript("s5")
    m.prompt("go")
    m.response("a1", 1, attributionSkill="stamped")
    m.response("a2", 2)
    found = resolve(labels(m.write(tmp_path / "s5.jsonl")), [])
    assert [found[key(x)].skill for x in ("a1", "a2")] == ["stamped", ""]


@pytest.mark.parametrize(
    ("prompt", "name"),
    [
        (
            "<command-name>/doctor</command-name>\n  <command-message>doctor</command-message>",
            "/doctor",
        ),
        ("<command-message>x is running…</command-message>\n<command-name>/x</command-name>", "/x"),
        ("<command-name>clear</command-name>", "/clear"),
        (
            "<command-name>/livecheck:run</command-name><command-args>a b</command-args>",
            "/livecheck:run",
        ),
        ("<command-message>only-message</command-message>", "/only-message"),
        ("  <command-name> /spaced </command-name>", "/spaced"),
        ("please run <command-name>/x</command-name>", ""),
        ("/not-an-echo", ""),
    ],
)
def test_command_names_never_carry_arguments(prompt, name):
    assert command_of(prompt) == name


def test_the_fast_key_agrees_with_the_parsed_line_or_defers_to_it():
    t = Transcript("s")
    t.response("msg_01", 3)
    t.response("msg_02", 4, tools=[{"id": "t", "name": "Bash", "input": {"requestId": "x"}}])
    t.lines.append({"type": "assistant", "message": {"model": "m", "id": "msg_03", "usage": {}}})
    inner = [{"type": "tool_use", "input": {"message": {"id": "inner"}}}]
    t.lines.append({"type": "assistant", "message": {"content": inner, "id": "m4", "usage": {}}})
    t.lines.append({"type": "assistant", "message": {"content": inner, "usage": {}}})
    expected = ["msg_01\x00req_msg_01", None, "msg_03\x00", None, None]
    for line, want in zip(t.lines, expected, strict=True):
        assert isinstance(line, dict)
        for seps in ((",", ":"), (", ", ": ")):
            raw = json.dumps(line, separators=seps).encode()
            assert fast_key(raw) == want, raw
            assert want is None or want == key_of(line)


def test_no_text_is_kept(tmp_path):
    files = write_project(tmp_path)
    kept = repr([labels(p) for p in files.values()])
    for secret in ("private", "secret args", "fix the login", "Base directory", "Deploy the app"):
        assert secret not in kept


def test_an_unreadable_file_has_no_labels(tmp_path):
    assert labels(tmp_path / "gone.jsonl").responses == {}


@pytest.mark.parametrize("kind", ["command", "skill", "agent", "run"])
def test_sync_records_the_labels_and_reports_them_to_the_token(capsys, tmp_path, vault, kind):
    """Through the real CLI: `tokenbook sync` labels every response it records, and `report
    command|skill|agent|run` equal the hand count (output tokens per label)."""
    from collections import Counter

    from tests.helpers import run

    logs = tmp_path / "claude"
    write_project(logs)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    column = {"command": 0, "skill": 1, "run": 2, "agent": 3}[kind]
    want: Counter[str] = Counter()
    for msg, labels_ in EXPECTED.items():
        label = labels_[column]
        if kind == "agent":  # the main thread is `main`; a subagent of no known type `subagent`
            side = msg.startswith(("x", "g", "n", "f", "b", "w"))
            label = (label or "subagent") if side else "main"
        want[label] += OUTPUT[msg]
    code, out, err = run(capsys, "report", kind, "--json", "--vault", vault)
    assert code == 0, err
    got = Counter({r[kind] or "": r["output_tokens"] for r in json.loads(out)["rows"]})
    got = Counter({("" if k.startswith("(") else k): v for k, v in got.items()})
    assert +got == +want
