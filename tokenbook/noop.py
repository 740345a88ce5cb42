"""`tokenbook sync` with nothing new, answered before the CLI, Jinja2 or YAML are loaded.

A sync changes nothing when the vault, the ledgers, every log and meta file and the other
agents' files are exactly as the last sync left them (`syncindex.Index` holds what it saw), and
the command finds its log folders as it did then. This module checks exactly that, with the
standard library's smallest parts and one stat per file, and prints what the full sync would
print; at the first difference, or for any argument it does not know, it answers None and the
full sync runs (and records what it saw for the next time).

How the command found its folders is kept as `(key, claude dirs, other dirs, candidates,
layout)`: `key` is the arguments, working directory and environment that choose them;
`candidates` every folder the choice looked at (the `--logs` values, the vault's `logs:`
setting, each agent's default folders); `layout` what `sources.registry` looks at to tell the
agents apart in each of them (`layout()` below must cover every `looks_like`).
"""

from __future__ import annotations

import os

from tokenbook.syncindex import Index
from tokenbook.syncindex import ledger_fingerprint
from tokenbook.syncindex import load_index
from tokenbook.syncindex import others_fingerprint
from tokenbook.syncindex import stat_of
from tokenbook.syncindex import vault_fingerprint
from tokenbook.syncindex import walk_logs

TYPE_CHECKING = False  # `typing` and `pathlib` cost this check more than its own work
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

# What chooses the log folders besides the arguments (see each source's `default_dirs`).
ENVIRONMENT = (
    "HOME",
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "GEMINI_DATA_DIR",
    "GEMINI_CLI_HOME",
    "OPENCODE_DATA_DIR",
    "XDG_DATA_HOME",
)
_FLAGS = {"--quiet": "quiet", "-q": "quiet", "--no-render": "no_render"}
_VALUES = ("--vault", "--logs", "--wait")


def key(vault: str, logs: list[str]) -> tuple[Any, ...]:
    """What chose the log folders: the vault, `--logs` as given, where, and the environment."""
    cwd = os.getcwd()
    where = os.path.normpath(os.path.join(cwd, vault))
    # The settings file too: its `logs:` chooses the folders (and may need trust again).
    try:
        st = os.stat(os.path.join(where, "tokenbook.md"))
        settings: tuple[int, ...] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    except OSError:
        settings = ()
    return (cwd, where, tuple(logs), tuple(os.environ.get(n) for n in ENVIRONMENT), settings)


def known_dirs(vault: str, logs: list[str]) -> list[str] | None:
    """Claude Code's log folders as the last sync found them for the same vault, `--logs` and
    environment, when nothing they were chosen by changed; None when not known (find them)."""
    found = known_resolution(vault, logs)
    return None if found is None else list(found[1])


def known_resolution(vault: str, logs: list[str]) -> tuple[Any, ...] | None:
    """The last sync's `resolution()` when it holds for the same vault, `--logs`, environment
    and folder layout (`known_dirs`); None when the folders must be found again."""
    index = load_index(vault)
    if index is None or index.resolution is None:
        return None
    known, _, _, candidates, seen = index.resolution
    if known != key(vault, [as_path(p) for p in logs]):
        return None
    return index.resolution if [layout(c) for c in candidates] == seen else None


def layout(folder: str) -> tuple[Any, ...]:
    """What telling the agents apart looks at in a folder: its entries and their kinds (Claude
    Code's `projects/`, Codex's `sessions/`, `archived_sessions/` and rollout files, OpenCode's
    databases), `tmp/`'s entries, which folders of the base hold `chats/` (Gemini), and
    `storage/message` (OpenCode)."""
    entries = _entries(folder)
    if entries is None:
        return (folder, None)
    tmp = _entries(os.path.join(folder, "tmp"))
    base = os.path.join(folder, "tmp") if tmp is not None else folder
    chats = [
        name
        for name, is_dir, _ in (tmp if tmp is not None else entries)
        if is_dir and os.path.isdir(os.path.join(base, name, "chats"))
    ]
    storage = os.path.isdir(os.path.join(folder, "storage", "message"))
    return (folder, entries, tmp, chats, storage)


def _entries(folder: str) -> list[tuple[str, bool, bool]] | None:
    try:
        with os.scandir(folder) as it:
            return sorted((e.name, e.is_dir(), e.is_file()) for e in it)
    except OSError:
        return None


def quiet_sync(argv: list[str]) -> tuple[str, str] | None:
    """What `tokenbook sync ARGS` prints (stdout, stderr) when nothing changed; None: nothing
    is known to be unchanged, run the full sync."""
    args = _arguments(argv) if os.sep == "/" else None
    if args is None:
        return None
    root = args.get("vault") or as_path(os.environ.get("TOKENBOOK_VAULT") or "vault")
    index = load_index(root)
    if index is None or index.resolution is None or not index.vault:
        return None
    if not (args.get("no_render") or index.rendered):
        return None
    found = _unchanged(index, root, key(root, args.get("logs", [])))
    if found is None:
        return None
    return _report(index, found) if not args.get("quiet") else ("", "")


def _arguments(argv: list[str]) -> dict[str, Any] | None:
    """The arguments of `sync` this check knows (as argparse reads them); None for any other."""
    out: dict[str, Any] = {}
    i = 0
    while i < len(argv):
        word = argv[i]
        name, eq, value = word.partition("=")
        if word in _FLAGS:
            out[_FLAGS[word]] = True
        elif name in _VALUES:
            if not eq:
                i += 1
                if i == len(argv) or argv[i].startswith("-"):
                    return None
                value = argv[i]
            if name == "--logs":
                out.setdefault("logs", []).append(as_path(value))
            elif name == "--vault":
                out["vault"] = as_path(value)
            elif not _number(value):
                return None
        else:
            return None
        i += 1
    return out


def as_path(text: str) -> str:
    """`str(pathlib.Path(text))` on POSIX: no empty or `.` parts, no trailing slash, and a
    leading `//` kept (as argparse's `type=Path` gives it to the full sync)."""
    lead = "/" if text.startswith("/") else ""
    if text.startswith("//") and not text.startswith("///"):
        lead = "//"
    parts = [p for p in text.split("/") if p not in ("", ".")]
    return lead + "/".join(parts) if lead or parts else "."


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _unchanged(index: Index, root: str, chosen: tuple[Any, ...]) -> int | None:
    """The number of log files when everything is as the last sync saw it, else None."""
    known, claude, others, candidates, seen = index.resolution or (None,) * 5
    if known != chosen or [layout(c) for c in candidates] != seen:
        return None
    if not others and not any(os.path.isdir(os.path.join(d, "projects")) for d in claude):
        return None  # the full sync warns about it
    if ledger_fingerprint(root) != index.ledgers:
        return None
    logs, metas, unreadable = walk_logs([os.path.abspath(d) for d in claude])
    if unreadable or len(logs) != len(index.files):
        return None
    for path, st in logs.items():
        e = index.files.get(path)
        if e is None or (e[0], e[1], e[2], e[3], e[9]) != (
            st.st_dev,
            st.st_ino,
            st.st_size,
            st.st_mtime_ns,
            st.st_ctime_ns,
        ):
            return None
    if {m: stat_of(st) for m, st in metas.items()} != index.metas:
        return None
    if others_fingerprint(others) != index.others:
        return None
    if vault_fingerprint(root) != index.vault:
        return None
    return len(logs)


def _report(index: Index, files: int) -> tuple[str, str]:
    """What `commands.sync` prints for a sync that found nothing new (without `--quiet`)."""
    out = (
        f"read 0 of {files} log file(s), 0 new bytes: 0 new API response(s), 0 updated; "
        f"the ledgers count {index.responses:,}\n"
    )
    err = []
    skipped = sum(len(e[7]) + len(e[8]) for e in index.files.values())
    skipped += len(index.other_problems)
    if skipped:
        err.append(f"{skipped} log line(s) skipped in earlier syncs (`tokenbook check` lists them)")
    err += [f"unpriced: {reason}; add a price under pricing/" for reason in index.unpriced]
    return out, "".join(line + "\n" for line in err)


def resolution(
    vault: Path, logs: list[Path], found: dict[str, list[Path]], configured: tuple[str, ...]
) -> tuple[Any, ...]:
    """What the full sync keeps for the next check: how `commands.common.source_dirs` chose
    `found` (folders per agent) from `--logs` (`logs`), else the vault's `logs:` setting
    (`configured`), else each agent's default folders."""
    from pathlib import Path

    from tokenbook.sources.registry import CLAUDE_CODE
    from tokenbook.sources.registry import defaults
    from tokenbook.sources.registry import parse_logs_arg

    if logs or configured:
        base = None if logs else vault
        paths = [parse_logs_arg(str(p))[1] for p in (logs or configured)]
        candidates = [str(p if base is None or p.is_absolute() else base / p) for p in paths]
    else:
        candidates = [str(p) for ps in defaults(os.environ, Path.home()).values() for p in ps]
    claude = [str(p) for p in found.get(CLAUDE_CODE, [])]
    others = {k: [str(p) for p in v] for k, v in found.items() if k != CLAUDE_CODE and v}
    chosen = key(str(vault), [str(p) for p in logs])
    return (chosen, claude, others, candidates, [layout(c) for c in candidates])
