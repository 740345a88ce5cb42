"""One project of Claude Code transcripts covering the shapes of the attribution rule, with the
labels each response must get, counted by hand (tests/test_claude_turns.py, test_actions.py).

Session s1 (2.1.114, interactive) turn by turn; output counts in brackets:
  t1  typed prompt                       m1 [11] (two lines), m2 [12]
  t2  /init (message-first echo + meta)  m3 [13] spawns Explore (x1 [31], x2 [32]);
                                         an interruption line; m4 [14]
      /model (name-first, local)         no response; its system/local_command copy
  t3  typed prompt                       m5 [15] calls Skill pdf; m6 [16] pdf; auto compaction;
                                         m7 [17] pdf; m8 [18] spawns an agent without
                                         subagent_type: g1 [41], g2 [42] calls Skill xlsx,
                                         g3 [43] xlsx, g4 [44] spawns Plan (n1 [51])
  t4  /review-helper (a skill, typed)    m9 [19], m10 [20]
  t5  /deploy (a command)                m11 [21] forks skill code-review (f1 [61], f2 [62]);
                                         m12 [22] starts test-runner in the background (b1 [71]);
                                         m13 [23]
  t6  typed prompt                       m14 [24]
      task notification from test-runner m15 [25] (back in t5's command)
  t7  scheduled task fires               m16 [26]
      a malformed line
  t8  typed prompt                       m17 [27]; a truncated last line (m18)
A 2.0.44 warmup sidechain: w1 [81]. Session h1 (`claude -p`, sdk-cli): h1 [91].
Session q1 (2.1.17 `claude -p`, no entrypoint, bare dequeue first): /review q1 [95].
Session o1 (1.0.24): bare `clear`, then a prompt: o1 [97]; then name-first /review: o2 [98].
Session k1 (`claude --bg`: sessionKind bg): k1 [99].
"""

from __future__ import annotations

from pathlib import Path

from tests.transcripts import Transcript
from tests.transcripts import agent_call
from tests.transcripts import new_command
from tests.transcripts import old_command
from tests.transcripts import skill_call

PROJECT = "-home-dev-src-webapp"
IA = "interactive"
# message id → (command, skill, run, agent type)
EXPECTED: dict[str, tuple[str, str, str, str]] = {
    "m1": ("", "", IA, ""),
    "m2": ("", "", IA, ""),
    "m3": ("/init", "", IA, ""),
    "m4": ("/init", "", IA, ""),
    "x1": ("/init", "", IA, "Explore"),
    "x2": ("/init", "", IA, "Explore"),
    "m5": ("", "", IA, ""),
    "m6": ("", "pdf", IA, ""),
    "m7": ("", "pdf", IA, ""),
    "m8": ("", "pdf", IA, ""),
    "g1": ("", "pdf", IA, "general-purpose"),
    "g2": ("", "pdf", IA, "general-purpose"),
    "g3": ("", "xlsx", IA, "general-purpose"),
    "g4": ("", "xlsx", IA, "general-purpose"),
    "n1": ("", "xlsx", IA, "Plan"),
    "m9": ("/review-helper", "review-helper", IA, ""),
    "m10": ("/review-helper", "review-helper", IA, ""),
    "m11": ("/deploy", "", IA, ""),
    "f1": ("/deploy", "code-review", IA, ""),
    "f2": ("/deploy", "code-review", IA, ""),
    "m12": ("/deploy", "", IA, ""),
    "b1": ("/deploy", "", IA, "test-runner"),
    "m13": ("/deploy", "", IA, ""),
    "m14": ("", "", IA, ""),
    "m15": ("/deploy", "", IA, ""),
    "m16": ("", "", "scheduled", ""),
    "m17": ("", "", IA, ""),
    "w1": ("", "", "", "warmup"),
    "h1": ("", "", "headless", ""),
    "q1": ("/review", "", "headless", ""),
    "o1": ("", "", "", ""),
    "o2": ("/review", "", "", ""),
    "k1": ("", "", "background", ""),
}
OUTPUT = {
    **{f"m{n}": 10 + n for n in range(1, 18)},
    "x1": 31,
    "x2": 32,
    "g1": 41,
    "g2": 42,
    "g3": 43,
    "g4": 44,
    "n1": 51,
    "f1": 61,
    "f2": 62,
    "b1": 71,
    "w1": 81,
    "h1": 91,
    "q1": 95,
    "o1": 97,
    "o2": 98,
    "k1": 99,
}


def key(msg: str) -> str:
    return f"{msg}\x00req_{msg}"


def main_session(compact: bool) -> Transcript:
    m = Transcript("s1", compact=compact)
    m.prompt("fix the login bug", promptSource="typed", promptId="p1")
    m.response("m1", 11, parts=2, tools=[{"id": "t-read", "name": "Read", "input": {}}])
    m.response("m2", 12)
    m.prompt(new_command("init", message="init is analyzing your codebase…"), promptId="p2")
    m.meta("Please analyze this codebase and create a CLAUDE.md file")
    m.response("m3", 13, tools=[agent_call("call-x", "Explore", tool="Task")])
    m.result("call-x", {"status": "completed", "agentId": "ax", "usage": {"output_tokens": 500}})
    m.prompt([{"type": "text", "text": "[Request interrupted by user for tool use]"}])
    m.response("m4", 14)
    m.meta("<local-command-caveat>Caveat: The messages below were generated</local-command-caveat>")
    m.prompt(old_command("model"), promptId="p2")
    m.prompt("<local-command-stdout>Set model to sonnet</local-command-stdout>", promptId="p2")
    m.system("local_command", content=old_command("model"), level="info")
    _skills_turn(m)
    m.prompt(new_command("review-helper", args="the secret args"), promptId="p4")
    m.meta(
        "Base directory for this skill: /home/dev/.claude/skills/review-helper", turnCompanion=True
    )
    m.response("m9", 19)
    m.response("m10", 20)
    _deploy_turn(m)
    m.prompt("run lint", promptSource="typed", promptId="p6")
    m.response("m14", 24)
    note = "<task-notification><task-id>abg</task-id><status>completed</status></task-notification>"
    m.prompt(note, origin={"kind": "task-notification"})
    m.response("m15", 25)
    m.system("scheduled_task_fire", content="check the build", cronKind="loop")
    m.prompt("check the build", promptSource="system")
    m.response("m16", 26)
    m.raw('{"type":"assistant","message":{"id":"broken","usage":')
    m.prompt("last one", promptSource="typed")
    m.response("m17", 27)
    m.raw('{"type":"assistant","requestId":"req_m18","message":{"id":"m18","usage":{"input_')
    return m


def _skills_turn(m: Transcript) -> None:
    m.prompt("make a pdf of the report", promptSource="typed", promptId="p3")
    m.response("m5", 15, tools=[skill_call("call-pdf", "pdf")])
    m.result("call-pdf", {"success": True, "commandName": "pdf"}, text="Launching skill: pdf")
    m.meta(
        "Base directory for this skill: /home/dev/.claude/skills/pdf", sourceToolUseID="call-pdf"
    )
    m.response("m6", 16)
    m.system("compact_boundary", compactMetadata={"trigger": "auto", "preTokens": 1000})
    m.prompt("This session is being continued from a previous conversation.", isCompactSummary=True)
    m.response("m7", 17)
    m.response("m8", 18, tools=[agent_call("call-gp", None)])
    m.result("call-gp", {"status": "completed", "agentId": "agp", "totalTokens": 7})
    m.lines.append(_progress_copy("g1", 41, "agp"))


def _deploy_turn(m: Transcript) -> None:
    m.prompt(new_command("deploy"), promptId="p5")
    m.meta("Deploy the app to staging, then run the smoke tests.")
    m.response("m11", 21, tools=[skill_call("call-cr", "code-review")])
    forked = {"success": True, "commandName": "code-review", "status": "forked", "agentId": "afk"}
    m.result("call-cr", forked, text="Running in the background")
    m.response("m12", 22, tools=[agent_call("call-bg", "test-runner", run_in_background=True)])
    m.result("call-bg", {"isAsync": True, "status": "async_launched", "agentId": "abg"})
    m.response("m13", 23)


def _progress_copy(msg: str, output: int, agent: str) -> dict[str, object]:
    nested = Transcript("s1", agent_id=agent)
    nested.response(msg, output)
    return {
        "type": "progress",
        "sessionId": "s1",
        "cwd": "/home/dev/src/webapp",
        "timestamp": "2026-11-03T09:30:00.000Z",
        "data": {"type": "agent_progress", "agentId": agent, "message": nested.lines[0]},
        "uuid": "progress-1",
    }


def subagents(compact: bool) -> dict[str, Transcript]:
    x = Transcript("s1", agent_id="ax", compact=compact)
    x.prompt("a private prompt", promptId="p2")
    x.response("x1", 31)
    x.response("x2", 32)
    g = Transcript("s1", agent_id="agp", compact=compact)
    g.prompt("another private prompt", promptId="p3")
    g.response("g1", 41)
    g.response("g2", 42, tools=[skill_call("call-xlsx", "xlsx")])
    g.result("call-xlsx", None, text="Launching skill: xlsx")  # no toolUseResult in subagents
    g.meta("Base directory for this skill: /x/skills/xlsx", sourceToolUseID="call-xlsx")
    g.response("g3", 43)
    g.response("g4", 44, tools=[agent_call("call-plan", "Plan", tool="Task")])
    g.result("call-plan", {"status": "completed", "agentId": "aplan", "agentType": "Plan"})
    n = Transcript("s1", agent_id="aplan", compact=compact)
    n.prompt("plan it", promptId="p3")
    n.response("n1", 51)
    f = Transcript("s1", agent_id="afk", compact=compact)
    f.prompt("review the diff", promptId="p5")
    f.response("f1", 61)
    f.response("f2", 62)
    b = Transcript("s1", agent_id="abg", compact=compact)
    b.prompt("run the tests", promptId="p5")
    b.response("b1", 71)
    return {"ax": x, "agp": g, "aplan": n, "afk": f, "abg": b}


def others(compact: bool) -> dict[str, Transcript]:
    w = Transcript("s1", version="2.0.44", entrypoint=None, agent_id="3ea04571", compact=compact)
    w.prompt("Warmup")
    w.response("w1", 81)
    h = Transcript("h1", entrypoint="sdk-cli", compact=compact)
    h.prompt("summarise the repo", promptSource="sdk")
    h.response("h1", 91)
    q = Transcript("q1", version="2.1.17", entrypoint=None, compact=compact)
    q.lines.append({"type": "queue-operation", "operation": "dequeue", "sessionId": "q1"})
    q.prompt(new_command("review"))
    q.meta("Review the pull request")
    q.response("q1", 95)
    o = Transcript("o1", version="1.0.24", entrypoint=None, compact=compact)
    o.prompt(old_command("clear", slash=False, indent=10))
    o.prompt("hello")
    o.response("o1", 97)
    o.prompt(old_command("review", indent=10))
    o.meta("Review the pull request")
    o.response("o2", 98)
    k = Transcript("k1", compact=compact)
    k.prompt("watch the queue")
    k.response("k1", 99, sessionKind="bg")
    return {"warmup": w, "h1": h, "q1": q, "o1": o, "k1": k}


def write_project(config: Path, compact: bool = True) -> dict[str, Path]:
    """Write every file in the layouts Claude Code uses; return them by name."""
    folder = config / "projects" / PROJECT
    files = {"s1": main_session(compact).write(folder / "s1.jsonl")}
    for agent, t in subagents(compact).items():
        files[agent] = t.write(folder / "s1" / "subagents" / f"agent-{agent}.jsonl")
    rest = others(compact)
    files["warmup"] = rest.pop("warmup").write(folder / "agent-3ea04571.jsonl")
    for name, t in rest.items():
        files[name] = t.write(folder / f"{name}.jsonl")
    return files
