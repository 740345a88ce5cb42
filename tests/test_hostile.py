"""Hostile names and broken vault files.

Values from logs (session ids, models, project paths, branches, agent types) and from the vault
(bet and cycle ids, titles) that hold `../`, `/`, table pipes, newlines, HTML, Jinja syntax or
wikilinks cannot write outside the vault, break a table or inject markup into a rendered file.
YAML is loaded safely. A vault file that cannot be read stops sync before it writes anything.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log
from tests.test_errors import ERRORS
from tests.test_errors import overlay
from tokenbook.events import Tokens
from tokenbook.ledger import LedgerRow
from tokenbook.ledger import format_ledger
from tokenbook.ledger import parse_ledger

# Each value carries HX1 before its newline and HX2 after it: if a newline survives into a file,
# some line holds HX2 without HX1. Jinja that ran would print G1G2 or ABCD.
JINJA = '{% for x in ["G1","G2"] %}{{ x }}{% endfor %}{{ "%s%s" % ("AB", "CD") }}'
HOSTILE = {
    "session": f"../../escaped-session|HX1\nHX2<script>alert(1)</script>{JINJA}[[evil-link]]",
    "model": f"claude/../../escaped-model|HX1\r\nHX2<img src=x onerror=alert(1)>{JINJA}",
    "cwd": f"/home/dev/../../escaped-cwd|HX1\nHX2 [[evil-link]] <b>x</b> {JINJA}",
    "branch": f"feature/auth-../../escaped-branch|HX1\u2028HX2<i>{JINJA}",
    "agent": f"../../escaped-agent|HX1\nHX2<u>{JINJA}[[evil-link]]",
}
# Unescaped markup (`\<b\>` and `\[\[x\]\]` are inert text), or template output.
MARKUP = re.compile(r"(?<!\\)<(script|img|b|i|u)\b|(?<!\\)\[\[evil-link|G1G2|ABCD")


def _hostile_logs(logs: Path) -> None:
    base = {"session": HOSTILE["session"], "cwd": HOSTILE["cwd"], "branch": HOSTILE["branch"]}
    write_log(
        logs,
        "p/hostile.jsonl",
        [
            assistant("m-1", "r-1", model=HOSTILE["model"], **base),
            assistant("m-2", "r-2", **base),
            assistant("m-3", "r-3", sidechain=True, agent_id="a1", **base),
        ],
    )
    meta = logs / "projects" / "p" / "agent-a1.meta.json"
    meta.write_text(json.dumps({"agentType": HOSTILE["agent"]}))


def _tables_are_whole(text: str) -> list[str]:
    """Rows whose count of unescaped pipes differs from their table's header."""
    bad, header = [], None
    for line in text.split("\n"):
        if not line.startswith("|"):
            header = None
            continue
        pipes = len(re.findall(r"(?<!\\)\|", line))
        if header is None:
            header = pipes
        elif pipes != header:
            bad.append(line)
    return bad


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_hostile_values_from_logs_stay_inert(capsys, vault, logs, tmp_path):
    _hostile_logs(logs)
    outside = _files(tmp_path) - {f"vault/{f}" for f in _files(vault)}
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err

    # Nothing written outside the vault, and inside it only the files sync writes.
    assert _files(tmp_path) - {f"vault/{f}" for f in _files(vault)} == outside
    assert not [p for p in tmp_path.rglob("*escaped*")]
    written = {f for f in _files(vault) if f.split("/")[0] in ("ledgers", "progress")}
    bets = {p.stem for p in (vault / "bets").glob("*.md")}
    ledgers = {f"ledgers/{b}{s}" for b in [*bets, "unassigned"] for s in (".md", ".tsv")}
    assert written <= ledgers | {f"progress/{b}.md" for b in bets}
    for name in written:
        if name.endswith(".tsv"):  # every line one record: no value split it
            lines = (vault / name).read_text(encoding="utf-8").split("\n")
            assert all(ln[:2] in ("c\t", "r\t", "l\t", "# ") for ln in lines if ln), name
    assert "ledgers/auth-login.md" in written  # the hostile branch matched `feature/auth-*`

    for name in sorted(_files(vault)):
        if not name.endswith(".md") or name.split("/")[0] in ("bets", "cycles", "pricing"):
            continue
        text = (vault / name).read_text(encoding="utf-8")
        for line in text.split("\n"):
            assert "HX2" not in line or "HX1" in line, f"{name}: a newline got through: {line}"
        assert not MARKUP.findall(text), f"{name}: markup reached the file unescaped"
        assert _tables_are_whole(text) == [], name

    # The values round-trip exactly through the ledger.
    rows = json.loads(run(capsys, "report", "session", "--json", "--vault", vault)[1])["rows"]
    assert [r["session"] for r in rows] == [HOSTILE["session"]]
    assert set(rows[0]["projects"]) == {HOSTILE["cwd"]}
    assert (
        HOSTILE["model"]
        in json.loads(run(capsys, "report", "monthly", "--json", "--vault", vault)[1])["totals"][
            "models"
        ]
    )
    assert run(capsys, "check", "--vault", vault)[0] == 0
    before = snapshot(vault)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert snapshot(vault) == before


HOSTILE_IDS = [
    "../../escaped",
    "a/b",
    "a|b",
    "a\nb",
    "<b>x</b>",
    "{{ 7*7 }}",
    "{% raw %}",
    "[[x]]",
    ".hidden",
    "Upper",
    "",
]


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_hostile_cycle_ids_are_refused_with_a_located_error(capsys, vault, logs, value):
    """A cycle's id may come from an `id:` key; a bet's id is its file name (next test)."""
    target = vault / "cycles" / "2026-11.md"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("---\n", f"---\nid: {json.dumps(value)}\n", 1), "utf-8")
    write_log(logs, "p/s.jsonl", [assistant("m-1")])
    before = snapshot(vault)
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 1
    assert "Traceback" not in err
    assert f"{target}:2: " in err
    assert snapshot(vault) == before
    assert not list(vault.parent.rglob("*escaped*"))


@pytest.mark.parametrize("name", ["{{ 7*7 }}", "a|b", "<b>", "[[x]]", "a b", "a\nb"])
def test_a_bet_file_with_a_hostile_name_is_refused(capsys, vault, name):
    (vault / "bets" / f"{name}.md").write_text(
        '---\ntitle: x\ncycle: "2026-11"\nappetite: 5%\n---\n', encoding="utf-8"
    )
    before = snapshot(vault)
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert f"{name}.md".replace("\n", "\\x0a") in err  # one problem, one line
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert snapshot(vault) == before


def test_a_bet_title_with_markup_is_rendered_inert(capsys, vault, logs):
    bet = vault / "bets" / "auth-login.md"
    title = f"Login <script>x</script> [[evil-link]] {JINJA} | pipe"
    text = bet.read_text(encoding="utf-8")
    bet.write_text(re.sub(r"(?m)^title: .*$", f"title: {json.dumps(title)}", text), "utf-8")
    write_log(logs, "p/s.jsonl", [assistant("m-1")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    for path in [vault / "cost-dashboard.md", *sorted((vault / "progress").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert not MARKUP.findall(text), f"{path.name}: markup reached the file unescaped"
        assert _tables_are_whole(text) == [], path.name


# --- YAML is loaded safely ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        '!!python/object/apply:os.system ["touch {marker}"]',
        "!!python/object/new:os.system [touch {marker}]",
        "!!python/name:os.system",
        '!!python/object:tests.test_hostile.Marker {{path: "{marker}"}}',
    ],
)
def test_python_yaml_tags_are_refused_with_a_located_error(capsys, vault, logs, tmp_path, value):
    marker = tmp_path / "pwned"
    bet = vault / "bets" / "auth-login.md"
    lines = bet.read_text(encoding="utf-8").split("\n")
    lines.insert(2, "title: " + value.format(marker=marker))
    lines = [ln for i, ln in enumerate(lines) if i == 2 or not ln.startswith("title:")]
    bet.write_text("\n".join(lines), encoding="utf-8")
    write_log(logs, "p/s.jsonl", [assistant("m-1")])
    before = snapshot(vault)
    for command in (["check"], ["sync", "--logs", logs]):
        code, _, err = run(capsys, *command, "--vault", vault)
        assert code == 1
        assert f"{bet}:2: invalid YAML: could not determine a constructor" in err
        assert "Traceback" not in err
    assert not marker.exists()
    assert snapshot(vault) == before


def test_yaml_aliases_are_refused_so_a_billion_laughs_file_cannot_hang(capsys, vault):
    """Fixed: nested aliases expand exponentially; reading such a bet hung every command."""
    lines = ["---", "title: x", 'cycle: "2026-11"', "appetite: 5%", "a0: &a0 [lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    (vault / "bets" / "bomb.md").write_text("\n".join([*lines, "---", ""]), encoding="utf-8")
    began = time.monotonic()
    code, _, err = run(capsys, "check", "--vault", vault)
    assert time.monotonic() - began < 30  # a bound against a hang, not a speed test
    assert code == 1
    assert f"{vault}/bets/bomb.md:6: YAML anchors and aliases" in err


def test_a_yaml_merge_key_is_refused_at_its_line(capsys, vault):
    text = '---\ntitle: x\ncycle: "2026-11"\nappetite: 5%\nbase: &b {branch: x}\nmatch:\n'
    text += "  - <<: *b\n    project: y\n---\n"
    (vault / "bets" / "merge.md").write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert f"{vault}/bets/merge.md:7: YAML anchors and aliases" in err


@pytest.mark.parametrize("nested", ["[" * 3000 + "]" * 3000, "{a: " * 3000 + "1" + "}" * 3000])
def test_deeply_nested_yaml_is_a_located_error(capsys, vault, nested):
    """Fixed: PyYAML recurses once per level; 3000 levels crashed with RecursionError."""
    text = f'---\ntitle: x\ncycle: "2026-11"\nappetite: 5%\nx: {nested}\n---\n'
    (vault / "bets" / "deep.md").write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert err == f"{vault}/bets/deep.md:1: frontmatter is nested too deeply to read; flatten it\n"


def test_a_vault_template_cannot_run_code(capsys, vault, tmp_path):
    marker = tmp_path / "pwned"
    shipped = Path(__file__).resolve().parent.parent / "templates" / "cost-dashboard.md.j2"
    (vault / "templates").mkdir()
    payload = f"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}\n"
    (vault / "templates" / shipped.name).write_text(shipped.read_text() + payload, "utf-8")
    _, _, err = run(capsys, "render", "--vault", vault)
    assert "Traceback" not in err
    assert not marker.exists()


# --- broken vault files: sync stops before writing anything ------------------------------------

# Every ledger case and one of each other kind run always; the rest with the slow tests.
QUICK = ("yaml-", "not-utf8", "duplicate-", "bet-missing-cycle", "bet-unknown-cycle", "ledger-")
BROKEN = [
    pytest.param(p.name, marks=() if p.name.startswith(QUICK) else pytest.mark.slow)
    for p in sorted(ERRORS.iterdir())
    if p.is_dir()
]


@pytest.mark.parametrize("case", BROKEN)
def test_sync_writes_nothing_when_a_vault_file_cannot_be_read(capsys, vault, logs, case):
    """Every case of the error corpus (broken YAML, wrong types, unknown keys, duplicate ids,
    missing cycles, hand-edited ledger rows, conflict markers...): sync exits 1 with the same
    located messages as `check`, and not one byte of the vault changes, ledgers included."""
    overlay(ERRORS / case, vault)
    write_log(logs, "p/s.jsonl", [assistant("m-1"), assistant("m-2", session="other")])
    before = snapshot(vault)
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert "Traceback" not in err
    assert code == 1, err
    expected = (ERRORS / case / "expected.txt").read_text(encoding="utf-8")
    first = expected.split("\n")[0].replace("{vault}", str(vault))
    assert first.split(": ", 1)[0] in err  # the same file and line as check reports
    assert snapshot(vault) == before


def test_a_ledger_for_a_bet_that_no_longer_exists_is_kept(capsys, vault, logs):
    """A ledger whose bet file was deleted still holds counted usage: sync keeps it (and its
    rows count in reports) rather than dropping history."""
    write_log(logs, "p/s.jsonl", [assistant("m-1")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    ledger = vault / "ledgers" / "auth-login.md"
    kept = ledger.read_bytes()
    (vault / "bets" / "auth-login.md").unlink()
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    assert ledger.read_bytes() == kept
    rows = json.loads(run(capsys, "report", "session", "--json", "--vault", vault)[1])["rows"]
    assert [r["responses"] for r in rows] == [1]


def test_a_cycle_a_bet_references_is_deleted(capsys, vault):
    shutil.move(vault / "cycles" / "2026-11.md", vault.parent / "2026-11.md")
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert "Traceback" not in err
    assert f"{vault}/bets/auth-login.md:" in err
    assert "2026-11" in err


# --- any text a log can hold round-trips through a ledger, one row per line --------------------

any_text = st.text(
    alphabet=st.characters(blacklist_categories=()),  # every code point, surrogates included
    max_size=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=any_text, model=any_text, agent=any_text, project=any_text, branch=any_text)
def test_any_text_round_trips_through_a_ledger(
    tmp_path_factory, session, model, agent, project, branch
):
    """Fixed: a lone surrogate made the ledger unwritable (UnicodeEncodeError), and U+2028,
    U+0085 or a form feed split a row for any reader that honours them as line ends."""
    at = datetime(2026, 11, 3, 10, tzinfo=UTC)
    row = LedgerRow(
        date=at.date(),
        session=session,
        model=model,
        agent=agent,
        speed="standard",
        geo="",
        prompt_over=0,
        responses=1,
        tokens=Tokens(input=1, output=2),
        web_search=0,
        web_fetch=0,
        first=at,
        last=at,
        project=project,
        branch=branch,
    )
    text = format_ledger("a-bet", "UTC", [row])
    assert len(text.encode("utf-8").splitlines()) == len(text.splitlines()) == 15
    path = tmp_path_factory.mktemp("ledger") / "a-bet.md"
    path.write_text(text, encoding="utf-8")
    parsed = parse_ledger(path, str(path), "UTC")
    assert not isinstance(parsed, list), parsed
    assert parsed.rows == (row,)


def test_ledgers_deleted_or_edited_behind_the_cache_are_restored_or_kept(capsys, vault, logs):
    """The sync cache remembers what was counted; the ledgers stay the state. A ledger deleted
    by hand comes back whole from the logs, and a row added by hand is kept."""
    write_log(logs, "p/s.jsonl", [assistant("m-1"), assistant("m-2", session="s2", branch="x")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert (vault / ".tokenbook-cache").is_dir()
    before = snapshot(vault)
    (vault / "ledgers" / "auth-login.md").unlink()
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert snapshot(vault) == before
    for suffix in (".md", ".tsv"):
        (vault / "ledgers" / f"auth-login{suffix}").unlink()
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert snapshot(vault) == before
    records = vault / "ledgers" / "unassigned.tsv"
    added = "\t".join(
        [
            *["l", "2026-11-05", "by-hand", "m", "main", "standard", "", "0", "1", "1", "1", "1"],
            *["0", "1", "0", "0", "2026-11-05T10:00:00Z", "2026-11-05T10:00:00Z", "p", "b"],
        ]
    )
    records.write_text(records.read_text(encoding="utf-8") + added + "\n", encoding="utf-8")
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert "\tby-hand\t" in records.read_text(encoding="utf-8")
    assert "| by-hand |" in (vault / "ledgers" / "unassigned.md").read_text(encoding="utf-8")


# --- a pull request, through real git ----------------------------------------------------------


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_pulled_pull_request_cannot_reach_out_of_the_teammates_vault(
    capsys, tmp_path, logs, monkeypatch
):
    """A teammate trusted the team's `alert_command`. A pull request changes it, links
    `progress/` to the teammate's documents and adds a template that reaches for the file
    system. After `git pull`, the teammate's next sync runs nothing, writes nothing outside the
    vault and deletes nothing there; it says why, with the path and how to allow the command."""
    from tests.gitenv import Git
    from tests.helpers import fresh_vault

    git = Git(tmp_path / "git-home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    origin = tmp_path / "origin"
    fresh_vault(origin)
    ran = tmp_path / "ran"
    settings_file = origin / "tokenbook.md"
    text = settings_file.read_text(encoding="utf-8")
    settings_file.write_text(text.replace("---\n", f'---\nalert_command: "touch {ran}"\n', 1))
    git(origin, "init")
    git.commit_all(origin, "the team's vault")
    mine = tmp_path / "mine"
    git(tmp_path, "clone", origin, mine)
    assert run(capsys, "trust", "--vault", mine)[0] == 0

    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "taxes.md").write_text('---\nbet: "[[taxes]]"\n---\nprecious\n')
    pwned = tmp_path / "pwned"
    settings_file.write_text(settings_file.read_text().replace(f"touch {ran}", f"touch {pwned}"))
    (origin / "progress").symlink_to(documents)
    (origin / "templates").mkdir()
    shipped = Path(__file__).resolve().parent.parent / "templates" / "cost-dashboard.md.j2"
    (origin / "templates" / shipped.name).write_text(
        shipped.read_text() + "{{ d.vault.root.joinpath('../documents/taxes.md').read_text() }}\n"
    )
    git.commit_all(origin, "a pull request")
    git(mine, "pull", "--no-rebase")
    assert (mine / "progress").is_symlink()

    write_log(logs, "p/s.jsonl", [assistant(f"m-{i}", f"r-{i}", output=10**6) for i in (1, 2)])
    before = snapshot(documents)
    code, out, err = run(capsys, "sync", "--vault", mine, "--logs", logs)
    assert code == 1
    assert f"{mine / 'progress'}:0: a symbolic link (to {documents})" in err
    assert snapshot(documents) == before
    assert not pwned.exists()

    (mine / "progress").unlink()  # the teammate removes the link; the template still fails
    code, out, err = run(capsys, "render", "--vault", mine)
    assert code == 1
    assert f"{mine / 'templates' / shipped.name}:" in err
    assert "has no attribute 'root'; fix the template" in err
    assert "precious" not in out + err

    shutil.rmtree(mine / "templates")  # ... and the template: the alerts come, the command not
    code, out, err = run(capsys, "sync", "--vault", mine, "--logs", logs)
    assert code == 0, err
    assert "alert: action required: bet auth-login crossed 100%" in out
    assert "`alert_command` was not run" in err
    assert not pwned.exists()
    assert not ran.exists()
    assert snapshot(documents) == before
