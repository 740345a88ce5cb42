"""`tokenbook report KIND` answered from what it printed last time, before the CLI loads.

A report (every kind but `blocks`, which reads the logs and the clock, and `bet`, which reads
git) prints what the vault's files, the arguments and the environment decide, nothing else. So
its output is kept in `<vault>/.tokenbook-cache/answers.bin` under the exact arguments, working
directory, the environment that shapes it (the vault, time zone, colour, width) and whether
stdout is a terminal (and its width); the whole file is valid only while one stat of every
vault file (path, type, inode, size, mtime, ctime: `.git` and the cache aside) and of
tokenbook's own code is as it was when the answers were made. At the first difference, or for
an argument this module does not know, the full command runs and its output is kept for next
time. A file that came from elsewhere (a pull request) cannot match: inodes and ctimes are this
machine's. Like every cache it can be deleted at any time.

Only the standard library's smallest parts load here (this is the whole answer's cost).
"""

from __future__ import annotations

import marshal
import os
import sys

TYPE_CHECKING = False  # `typing` costs the early answer more than its own work
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TextIO

CACHE_DIR = ".tokenbook-cache"
CACHE_FILE = "answers.bin"
MAGIC = b"tokenbook answers 1\n"
SKIP = {".git", CACHE_DIR, "__pycache__", ".tokenbook.lock"}
# Every kind `report` prints from the vault's files alone (tests/test_answers.py checks the list).
KINDS = {
    "daily",
    "weekly",
    "monthly",
    "session",
    "model",
    "project",
    "command",
    "skill",
    "agent",
    "run",
    "source",
}
PARTS = {"model", "agent", "run", "command", "skill", "source"}  # `--breakdown`'s choices
_VALUES = {"--vault", "--since", "--until", "--bet", "--source", "--project", "--order"}
_VALUES |= {"--logs", "--now"}  # read by `blocks` alone
# What shapes a report besides its arguments: the default vault, colour, width, the time zone.
ENVIRONMENT = ("TOKENBOOK_VAULT", "NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "TZ")
RACY_NS = 2_000_000_000  # a file changed this recently may change again within one clock tick
MAX_ANSWERS = 32
MAX_BYTES = 8_000_000


class Request:
    """A report this module can answer: its vault folder and the key of its output."""

    __slots__ = ("key", "root")

    def __init__(self, root: str, key: str) -> None:
        self.root, self.key = root, key


def request(argv: list[str]) -> Request | None:
    """`tokenbook ARGV` as an answerable report; None for any other command or argument."""
    vault = _arguments(argv)
    if vault is None:
        return None
    try:
        cwd = os.getcwd()
    except OSError:  # the working directory is gone: the full command says what that means
        return None
    root = os.path.join(cwd, vault or os.environ.get("TOKENBOOK_VAULT") or "vault")
    tty = _tty()
    env = tuple(os.environ.get(name) for name in ENVIRONMENT)
    stream = (getattr(sys.stdout, "encoding", None), getattr(sys.stdout, "errors", None))
    key = repr((tuple(argv), cwd, env, tty, stream, sys.executable, sys.version))
    return Request(root, key)


def _tty() -> tuple[bool, int]:
    """Whether stdout is a terminal, and the width `shutil.get_terminal_size` finds there (what
    `term.width` and `term.colour` see)."""
    try:
        if not sys.stdout.isatty():
            return False, 0
    except (OSError, ValueError, AttributeError):
        return False, 0
    try:
        found = sys.__stdout__
        return True, os.get_terminal_size(found.fileno()).columns if found is not None else 0
    except (OSError, ValueError):
        return True, 0


def _arguments(argv: list[str]) -> str | None:
    """The `--vault` value ('' when not given) of `report KIND [options]` exactly as argparse
    reads it; None for anything else (another command or kind, an abbreviation, help)."""
    if argv[:1] != ["report"]:
        return None
    kinds, vault, i = [], "", 1
    while i < len(argv):
        word = argv[i]
        name, eq, value = word.partition("=")
        if word == "--json" or (name == "--breakdown" and (not eq or value in PARTS)):
            if word == "--breakdown" and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                if argv[i + 1] not in PARTS:
                    return None
                i += 1
        elif name in _VALUES:
            if not eq:
                i += 1
                if i == len(argv) or argv[i].startswith("-"):
                    return None
                value = argv[i]
            vault = value if name == "--vault" else vault
        elif word.startswith("-"):
            return None
        else:
            kinds.append(word)
        i += 1
    return vault if len(kinds) == 1 and kinds[0] in KINDS else None


def stats(root: str) -> tuple[bytes, int]:
    """One stat of every vault file and of tokenbook's code, as bytes; and the latest change
    time among the vault's files (a ledger written the same clock tick could look the same)."""
    out: list[str] = [sys.version]
    latest = _walk(root, "", out, True)
    _walk(os.path.dirname(__file__), "<tokenbook>/", out, False)
    return "\n".join(out).encode("utf-8", "surrogateescape"), latest


def _walk(folder: str, prefix: str, out: list[str], local: bool) -> int:
    latest = 0
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        out.append(f"{prefix}\0missing")
        return latest
    for e in entries:
        if e.name in SKIP:
            continue
        try:
            st = e.stat(follow_symlinks=False)
        except OSError:
            out.append(f"{prefix}{e.name}\0gone")
            continue
        if local:
            out.append(
                f"{prefix}{e.name}\0{st.st_mode}\0{st.st_ino}\0{st.st_size}\0"
                f"{st.st_mtime_ns}\0{st.st_ctime_ns}"
            )
            latest = max(latest, st.st_mtime_ns, st.st_ctime_ns)
        else:
            out.append(f"{prefix}{e.name}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}")
        if e.is_dir(follow_symlinks=False):
            latest = max(latest, _walk(e.path, f"{prefix}{e.name}/", out, local))
    return latest


def lookup(req: Request) -> str | None:
    """What the report printed for this key, when every file is as it was then."""
    answers = _load(req.root, stats(req.root)[0])
    found = answers.get(req.key) if answers is not None else None
    return found if type(found) is str else None


def _load(root: str, seen: bytes) -> dict[str, str] | None:
    """The answers made while the files were exactly `seen`; None when there are none."""
    try:
        with open(os.path.join(root, CACHE_DIR, CACHE_FILE), "rb") as f:
            if f.read(len(MAGIC)) != MAGIC:
                return None
            size = int.from_bytes(f.read(8), "little")
            if size != len(seen) or f.read(size) != seen:
                return None
            data = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if type(data) is not dict:
        return None
    return {k: v for k, v in data.items() if type(k) is str and type(v) is str}


def record(req: Request, run: Callable[[], int], now_ns: int) -> int:
    """Run the full command (`run`), and keep what it printed when it succeeded, printed
    nothing on stderr and read files that were not changed in the last moments."""
    seen, latest = stats(req.root)
    out, err = _Tee(sys.stdout), _Tee(sys.stderr)
    sys.stdout, sys.stderr = out, err
    try:
        code = run()
    finally:
        sys.stdout, sys.stderr = out.stream, err.stream
    text = "".join(out.parts)
    if code == 0 and not err.parts and latest < now_ns - RACY_NS and len(text) < MAX_BYTES:
        _save(req.root, seen, req.key, text)
    return code


class _Tee:
    """A text stream that writes through and keeps what was written."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


def _save(root: str, seen: bytes, key: str, text: str) -> None:
    answers = _load(root, seen) or {}
    answers.pop(key, None)
    while len(answers) >= MAX_ANSWERS:
        del answers[next(iter(answers))]
    answers[key] = text
    folder = os.path.join(root, CACHE_DIR)
    path = os.path.join(folder, CACHE_FILE)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(folder, exist_ok=True)
        ignore = os.path.join(folder, ".gitignore")
        if not os.path.exists(ignore):
            with open(ignore, "w") as f:
                f.write("*\n")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # as the other caches
        with open(fd, "wb") as f:
            f.write(MAGIC + len(seen).to_bytes(8, "little") + seen + marshal.dumps(answers))
        os.replace(tmp, path)
    except OSError:  # an answer that cannot be kept only costs time next time
        _remove(tmp)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        return
