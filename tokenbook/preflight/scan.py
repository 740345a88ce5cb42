"""Walk the given files and folders: every file's size, content type and characters.

Files inside folders that are cut anyway (dependencies, build output, git-ignored folders) are
not read: their characters are their size. Everything else is read once, hashed, and its facts
cached by hash; the text is dropped as soon as it is measured.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from pathlib import PurePosixPath

from tokenbook.errors import TokenbookError
from tokenbook.preflight import gitignore
from tokenbook.preflight.cache import CountCache
from tokenbook.preflight.cache import Facts
from tokenbook.preflight.kinds import kind_of_path
from tokenbook.preflight.kinds import kind_of_text
from tokenbook.preflight.kinds import words

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".tokenbook-cache"})  # never context, never listed
DEPENDENCY_DIRS = words(
    "node_modules vendor .venv venv env __pycache__ site-packages bower_components .tox .nox "
    "jspm_packages Pods .bundle .yarn .pnpm-store elm-stuff"
)
BUILD_DIRS = words(
    "dist build out target .next .nuxt .svelte-kit .parcel-cache .turbo coverage htmlcov "
    ".pytest_cache .mypy_cache .ruff_cache .gradle .cache _build"
)
IMAGE_SUFFIXES = words(".png .jpg .jpeg .gif .webp .bmp .ico .tif .tiff .heic .psd")
BINARY_SUFFIXES = words(
    ".pdf .zip .gz .tgz .bz2 .xz .7z .rar .jar .war .whl .so .dylib .dll .exe .bin .o .a .class "
    ".pyc .pyo .wasm .woff .woff2 .ttf .otf .eot .mp3 .mp4 .mov .avi .wav .flac .ogg .webm "
    ".sqlite .db .parquet .pkl .npy .npz .pt .onnx .dmg .iso"
)
MINIFIABLE = frozenset({".js", ".mjs", ".cjs", ".css"})
MINIFIED_LINE = 500  # average characters per line above which a script counts as minified


@dataclass(frozen=True, slots=True)
class Found:
    """One file: where it is, what it holds, and why its folder is cut (if it is)."""

    path: str  # as shown: the argument joined with the path below it
    root: str  # the argument it was found under
    size: int
    facts: Facts
    digest: str  # "" when not read
    folder_reason: str = ""  # dependency | build | gitignore: the folder is cut
    folder: str = ""  # that folder, as shown
    ignored: bool = False  # the file itself matches .gitignore


def _facts(data: bytes, name: PurePosixPath) -> Facts:
    suffix = name.suffix.lower()
    binary = suffix in IMAGE_SUFFIXES or suffix in BINARY_SUFFIXES or b"\0" in data[:8192]
    if binary:
        return Facts(len(data), "other", True, False)
    text = data.decode("utf-8", errors="replace")
    kind = kind_of_path(name)
    if kind == "other":
        kind = kind_of_text(text)
    lines = text.count("\n") + 1
    minified = suffix in MINIFIABLE and (
        ".min." in name.name or (len(text) > 2000 and len(text) / lines > MINIFIED_LINE)
    )
    return Facts(len(text), kind, False, minified)


class Scanner:
    def __init__(self, cache: CountCache) -> None:
        self.cache = cache
        self.read = 0
        self.seen: set[str] = set()  # absolute paths: a file under two arguments counts once

    def scan(self, arg: Path) -> list[Found]:
        if not arg.exists():
            raise TokenbookError(f"{arg}: no such file or folder; check the path")
        full = arg.resolve()
        if full.is_file():
            ignore = gitignore.for_folder(full.parent)
            rel = full.relative_to(ignore.top).as_posix()
            if str(full) in self.seen:
                return []
            return [self._file(str(full), str(arg), str(arg), "", "", ignore.ignored(rel, False))]
        ignore = gitignore.for_folder(full)
        rel = full.relative_to(ignore.top).as_posix()
        walk = _Walk(str(arg), ignore)
        found = self._walk(walk, str(full), str(arg), "" if rel == "." else rel, "", "")
        return sorted(found, key=lambda f: f.path)

    def _walk(
        self, walk: _Walk, folder: str, shown: str, rel: str, reason: str, cut: str
    ) -> Iterator[Found]:
        """`folder` is absolute, `shown` as the user sees it, `rel` relative to the rules' top."""
        if not reason:
            walk.ignore.load(Path(folder), rel)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as e:
            raise TokenbookError(f"{shown}: cannot list this folder ({e.strerror})") from None
        for entry in entries:
            child = walk.join(shown, entry.name)
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir(follow_symlinks=False):
                if entry.name in SKIP_DIRS:
                    continue
                sub_reason, sub_cut = reason, cut
                if not reason:
                    sub_reason = _folder_reason(entry.name, child_rel, walk.ignore)
                    sub_cut = child if sub_reason else ""
                yield from self._walk(walk, entry.path, child, child_rel, sub_reason, sub_cut)
            elif entry.is_file() and entry.path not in self.seen:
                ignored = not reason and walk.ignore.ignored(child_rel, False)
                yield self._file(entry.path, child, walk.root, reason, cut, ignored)

    def _file(
        self, path: str, shown: str, root: str, reason: str, cut: str, ignored: bool
    ) -> Found:
        """`path` is absolute: the cache's key."""
        self.seen.add(path)
        st = os.stat(path)
        name = PurePosixPath(os.path.basename(path))
        if reason:  # the folder is cut: size is enough
            suffix = name.suffix.lower()
            binary = suffix in IMAGE_SUFFIXES or suffix in BINARY_SUFFIXES
            facts = Facts(st.st_size, kind_of_path(name), binary, False)
            return Found(shown, root, st.st_size, facts, "", reason, cut, ignored)
        key = path
        digest = self.cache.digest(key, st.st_size, st.st_mtime_ns)
        cached = self.cache.get(digest) if digest else None
        if cached is not None and digest is not None:
            facts = cached
        else:
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as e:
                raise TokenbookError(
                    f"{shown}: cannot read this file ({e.strerror}); fix its permissions or "
                    "leave it out"
                ) from None
            self.read += 1
            digest = hashlib.sha256(data).hexdigest()
            facts = self.cache.get(digest) or _facts(data, name)
            self.cache.put(key, st.st_size, st.st_mtime_ns, digest, facts)
        return Found(shown, root, st.st_size, facts, digest, ignored=ignored)


@dataclass(frozen=True, slots=True)
class _Walk:
    root: str  # the argument, as given
    ignore: gitignore.Rules

    def join(self, shown: str, name: str) -> str:
        return name if shown == "." else f"{shown.rstrip('/')}/{name}"


def _folder_reason(name: str, rel: str, ignore: gitignore.Rules) -> str:
    if name in DEPENDENCY_DIRS:
        return "dependency"
    if name in BUILD_DIRS:
        return "build"
    if ignore.ignored(rel, True):
        return "gitignore"
    return ""
