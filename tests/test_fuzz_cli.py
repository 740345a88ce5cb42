"""A fuzz of the real CLI: every command, hostile arguments, hostile vaults.

Each example builds a world (a vault that may be hostile, Claude logs with hostile text, a
sibling folder with files an attacker wants, a scratch folder, a home) and runs one to three
commands through `tokenbook.cli.main`. Whatever happens:

- no exception escapes `main` (argparse's own usage errors aside): zero tracebacks;
- nothing outside the vault, the scratch folder (where `init` and `export --sqlite` may write
  when asked) and the home (where `hook` and `trust` keep their files) is written or deleted;
- the vault's `alert_command` never runs unless `tokenbook trust` was run first.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.conftest import REPO
from tests.helpers import assistant
from tests.helpers import fresh_vault
from tests.helpers import write_log
from tests.test_hostile import HOSTILE
from tests.test_plans import limit_line
from tokenbook.cli import main

VARIANTS = ("plain", "symlinked-progress", "symlinked-bet", "probing-template", "hostile-logs")
SECRET = "S3CRET-OF-THE-SIBLING"


@dataclass(frozen=True)
class World:
    root: Path
    vault: Path
    logs: Path
    outside: Path
    scratch: Path
    home: Path
    marker: Path


def _build(root: Path, variant: str) -> World:
    w = World(
        root=root,
        vault=root / "vault",
        logs=root / "claude",
        outside=root / "outside",
        scratch=root / "scratch",
        home=root / "home",
        marker=root / "outside" / "command-ran",
    )
    fresh_vault(w.vault)
    for folder in (w.outside, w.scratch, w.home, w.logs / "projects"):
        folder.mkdir(parents=True)
    (w.outside / "auth-login.md").write_text('---\nbet: "[[auth-login]]"\n---\nprecious\n')
    (w.outside / "secret.md").write_text(f"---\ntitle: {SECRET}\n---\n")
    settings_file = w.vault / "tokenbook.md"
    text = settings_file.read_text(encoding="utf-8")
    settings_file.write_text(text.replace("---\n", f'---\nalert_command: "touch {w.marker}"\n', 1))
    big = [
        assistant(f"m-{i}", f"r-{i}", output=10**6, ts=f"2026-11-0{i}T10:00:00Z") for i in (3, 4)
    ]
    write_log(w.logs, "p/a.jsonl", big)  # auth-login crosses 75%, 90% and 100% of its appetite
    if variant == "symlinked-progress":
        (w.vault / "progress").symlink_to(w.outside)
    elif variant == "symlinked-bet":
        (w.vault / "bets" / "evil.md").symlink_to(w.outside / "secret.md")
    elif variant == "probing-template":
        shipped = (REPO / "templates" / "cost-dashboard.md.j2").read_text(encoding="utf-8")
        probes = "{{ d.vault.root is defined }} {{ d.__class__ is defined }} {{ d.items }}\n"
        (w.vault / "templates").mkdir()
        (w.vault / "templates" / "cost-dashboard.md.j2").write_text(shipped + probes)
    elif variant == "hostile-logs":
        base = {k: HOSTILE[k] for k in ("session", "cwd", "branch")}
        lines: list[dict[str, Any] | str] = [
            assistant("h-1", "r-h1", model=HOSTILE["model"], **base),
            assistant("h-2", "r-h2", session="=HYPERLINK(1)", model="@SUM(1)", cwd="+1"),
            limit_line(1, "2026-11-05T12:00:00.000Z", _reset(), HOSTILE["session"]),
            '{"type": "assistant", "message": {"usage": {"input_tokens": 1e999}}}',
        ]
        write_log(w.logs, "p/h.jsonl", lines)
    return w


def _reset() -> Any:
    from datetime import UTC
    from datetime import datetime

    return datetime(2026, 11, 5, 15, tzinfo=UTC)


# --- hostile values ----------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "-",
    "--",
    "..",
    "../outside",
    "../../../../etc/passwd",
    "/dev/null",
    "a|b\nc",
    "<script>x</script>",
    "[[x]]",
    "{{ 7*7 }}",
    "=HYPERLINK(1)",
    "\x1b[2J\x1b]0;pwn\x07",
    "\x00",
    "\ud800",
    "\u202e",
    "x" * 300,
    "1e999",
    "NaN",
    "-1",
    "0",
    "99999999999999999999999999999",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "2026-11-03",
    "20261103",
    "2026-11-03T10:00:00Z",
    "auth-login",
    "unassigned",
    "claude-opus-4-5-20251101",
    "HEAD",
    "--output=/tmp/x",
]
value = st.one_of(
    st.sampled_from(NASTY), st.text(st.characters(blacklist_categories=()), max_size=8)
)


number = st.one_of(value, st.integers(-10, 10**30).map(str))


def _path(w: World, name: str) -> str:
    return {
        "vault": str(w.vault),
        "vault-rel": os.path.relpath(w.vault),
        "outside": str(w.outside),
        "secret": str(w.outside / "secret.md"),
        "missing": str(w.root / "missing"),
        "scratch-new": str(w.scratch / "new"),
        "scratch-db": str(w.scratch / "x.sqlite"),
        "root": "/",
        "devnull": "/dev/null",
        "progress": str(w.vault / "progress"),
    }[name]


paths = st.sampled_from(["vault"] * 6 + ["vault-rel", "outside", "secret", "missing", "root"])
# Where `init` and `export --sqlite` are asked to write: the scratch folder (allowed), or files
# and folders that must be refused (`init` into an existing folder fills it, as documented, so
# the sibling folder is not among its targets).
INIT_TARGETS = ["scratch-new", "vault", "secret", "devnull"]
EXPORT_TARGETS = ["scratch-db", "scratch-new", "vault", "secret", "outside", "devnull"]


def _options(options: dict[str, Any]) -> Any:
    """Any subset of `options` (flag -> None for a switch, or a strategy of its value)."""
    items = sorted(options.items())
    if not items:
        return st.just(())
    return st.lists(st.sampled_from(items), max_size=3, unique_by=lambda kv: kv[0]).flatmap(
        lambda chosen: st.tuples(
            *(st.just([k]) if v is None else v.map(lambda x, k=k: [k, x]) for k, v in chosen)
        )
    )


KINDS = ["daily", "weekly", "monthly", "session", "bet", "model", "project", "blocks", "x"]
COMMANDS: dict[str, tuple[Any, dict[str, Any]]] = {
    "sync": (
        st.just([]),
        {"--no-render": None, "--quiet": None, "--wait": number, "--logs": value},
    ),
    "render": (st.just([]), {"--check": None, "--as-of": value}),
    "check": (st.just([]), {}),
    "report": (
        st.sampled_from(KINDS).map(lambda k: [k]),
        {
            "--json": None,
            "--since": value,
            "--until": value,
            "--bet": value,
            "--project": value,
            "--breakdown": None,
            "--now": value,
        },
    ),
    "status": (st.just([]), {"--json": None, "--as-of": value, "--now": value}),
    "estimate": (
        st.just([]),
        {"--json": None, "--plan": value, "--like": value, "--as-model": value, "--bet": value},
    ),
    "preflight": (
        st.lists(st.sampled_from(["secret", "outside", "devnull", "missing"]), max_size=2),
        {
            "--prompt": value,
            "--session": value,
            "--bet": value,
            "--model": value,
            "--json": None,
            "--as-of": value,
        },
    ),
    "statusline": (st.just([]), {}),
    "diff": (value.map(lambda v: ["--", v]), {}),
    "log": (
        st.tuples(st.one_of(value, st.just("auth-login")), number).map(
            lambda bt: ["--bet", bt[0], "--tokens", bt[1]]
        ),
        {
            "--output": number,
            "--model": value,
            "--note": value,
            "--date": value,
            "--kind": st.sampled_from(["manual", "scheduled", "x"]),
        },
    ),
    "assign": (st.tuples(value, value).map(list), {}),
    "export": (
        st.one_of(
            st.sampled_from([["--csv"], ["--json"]]),
            st.sampled_from(EXPORT_TARGETS).map(lambda t: ["--sqlite", "TARGET:" + t]),
        ),
        {"--since": value, "--until": value, "--bet": value},
    ),
    "trust": (st.just([]), {"--show": None, "--revoke": None}),
    "init": (st.sampled_from(INIT_TARGETS).map(lambda t: ["TARGET:" + t]), {}),
    "hook": (
        st.sampled_from([["install"], ["uninstall"]]),
        {"--statusline": None, "--project": None},
    ),
}


@st.composite
def invocations(draw: Any) -> tuple[str, list[str], str]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    positional, options = COMMANDS[name]
    args = list(draw(positional))
    for pair in draw(_options(options)):
        args.extend(pair)
    return name, args, draw(paths)


def _argv(w: World, name: str, args: list[str], vault: str) -> list[str]:
    named = ("secret", "outside", "devnull", "missing")
    resolved = [_path(w, a) if a in named else a for a in args]
    resolved = [_path(w, a[7:]) if a.startswith("TARGET:") else a for a in resolved]
    if name == "sync" and "--logs" not in resolved:
        resolved += ["--logs", str(w.logs)]
    extra = [] if name in ("init", "hook") else ["--vault", _path(w, vault)]
    return [name, *extra, *resolved]


def _files(root: Path) -> dict[str, bytes | str]:
    """Every entry below `root` (files by bytes, links by target), not following links."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_file():
                out[rel] = p.read_bytes()
    return out


def _outside(files: dict[str, bytes | str]) -> dict[str, bytes | str]:
    """What must never change: everything but the vault, the scratch folder and the home."""
    allowed = ("vault/", "scratch/", "home/", "cwd/")
    return {
        k: v
        for k, v in files.items()
        if not k.startswith(allowed) and k not in {"vault", "scratch", "home", "cwd"}
    }


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    out = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse's usage error (2) or --help (0)
            code = e.code if isinstance(e.code, int) else 2
            assert code in (0, 2), argv
    assert "Traceback" not in err.getvalue()
    assert SECRET not in out.getvalue() + err.getvalue(), argv
    return code, err.getvalue()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(variant=st.sampled_from(VARIANTS), calls=st.lists(invocations(), min_size=1, max_size=3))
def test_fuzz_the_cli_with_hostile_vaults_and_arguments(tmp_path_factory, variant, calls):
    root = tmp_path_factory.mktemp("world")
    w = _build(root, variant)
    cwd = root / "cwd"
    cwd.mkdir()
    before = _outside(_files(root))
    trusted = False
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(w.home))
        mp.delenv("XDG_CONFIG_HOME", raising=False)
        mp.delenv("TOKENBOOK_VAULT", raising=False)
        mp.delenv("CLAUDE_CONFIG_DIR", raising=False)
        mp.chdir(cwd)
        for name, args, vault in calls:
            argv = _argv(w, name, args, vault)
            code, _ = _run(argv)
            event(f"{name}: exit {code}")  # --hypothesis-show-statistics shows the spread
            if name == "trust" and code == 0 and not {"--show", "--revoke"} & set(argv):
                trusted = True
            if name == "trust" and "--revoke" in argv:
                trusted = False
            if not trusted:
                assert not w.marker.exists(), ("ran untrusted", argv)
            w.marker.unlink(missing_ok=True)
    assert _outside(_files(root)) == before


def test_the_fuzz_world_really_alerts_and_really_is_hostile(capsys, tmp_path):
    """The fuzz would prove nothing if its sync never crossed a threshold."""
    w = _build(tmp_path / "w", "plain")
    code = main(["sync", "--vault", str(w.vault), "--logs", str(w.logs)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "alert: action required: bet auth-login crossed 100%" in out
    assert "`alert_command` was not run" in err
    assert not w.marker.exists()
    shutil.rmtree(tmp_path / "w")
