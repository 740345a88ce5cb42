"""Which files git ignores. In a git work tree git itself answers (`git ls-files --others
--ignored --exclude-standard`), so every rule applies: nested .gitignore files,
.git/info/exclude and the global `core.excludesFile`. Elsewhere (or without git) this module's
own reading of `.gitignore` rules: comments, negation, directory-only and anchored patterns,
`*`, `?`, `[...]` and `**`, nested `.gitignore` files and `.git/info/exclude`. An excluded
directory excludes everything below it (git cannot re-include a file inside an excluded
directory)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from tokenbook import gitrun


@dataclass(frozen=True, slots=True)
class Rule:
    base: str  # the folder of the .gitignore, relative to the top, "" for the top
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    basename: bool  # a pattern without `/` matches a name at any depth


def _class(pattern: str, i: int) -> tuple[str, int] | None:
    """Translate `[...]` starting at i; None when it is not closed."""
    j = i + 1
    if j < len(pattern) and pattern[j] in "!^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    end = pattern.find("]", j)
    if end < 0:
        return None
    body = pattern[i + 1 : end]
    if body[:1] in ("!", "^"):
        body = "^" + body[1:]
    return "[" + body.replace("\\", "\\\\") + "]", end + 1


def translate(pattern: str) -> str:
    """A gitignore glob as a regex over `/`-separated paths."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i) and i + 2 == len(pattern) and i and pattern[i - 1] == "/":
            out.append(".*")
            i += 2
        elif pattern.startswith("**", i):
            out.append("[^/]*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (found := _class(pattern, i)):
            out.append(found[0])
            i = found[1]
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def parse_line(line: str, base: str) -> Rule | None:
    text = line.rstrip("\n").rstrip("\r")
    while text.endswith(" ") and not text.endswith("\\ "):
        text = text[:-1]
    if not text or text.startswith("#"):
        return None
    negate = text.startswith("!")
    if negate or text.startswith(("\\!", "\\#")):
        text = text[1:]
    dir_only = text.endswith("/")
    text = text.rstrip("/")
    if not text:
        return None
    basename = "/" not in text
    text = text.lstrip("/")
    return Rule(base, re.compile(translate(text) + r"\Z", re.DOTALL), negate, dir_only, basename)


@dataclass(slots=True)
class Ignore:
    """The rules that apply below `top` (a git work tree's top, or the scanned folder)."""

    top: Path
    rules: list[Rule] = field(default_factory=list)
    loaded: set[str] = field(default_factory=set)

    def load(self, folder: Path, base: str | None = None) -> None:
        """Add `folder/.gitignore` (once); `folder` is at or below `top`, `base` its path
        relative to `top` when the caller knows it."""
        if base is None:
            base = folder.resolve().relative_to(self.top).as_posix()
            base = "" if base == "." else base
        if base in self.loaded:
            return
        self.loaded.add(base)
        self.add_file(folder / ".gitignore", base)

    def add_file(self, path: Path, base: str) -> None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        for line in text.split("\n"):
            rule = parse_line(line, base)
            if rule is not None:
                self.rules.append(rule)

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether the path (relative to `top`, `/`-separated) is ignored by the last rule
        that matches it. Callers check folders before descending, so parents are covered."""
        result = False
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.base:
                if not rel.startswith(rule.base + "/"):
                    continue
                sub = rel[len(rule.base) + 1 :]
            else:
                sub = rel
            target = sub.rsplit("/", 1)[-1] if rule.basename else sub
            if rule.regex.match(target):
                result = not rule.negate
        return result


@dataclass(slots=True)
class GitIgnore:
    """git's own list of the ignored paths below the scanned folder."""

    top: Path
    paths: set[str]  # relative to `top`; wholly ignored folders end in `/`

    def load(self, folder: Path, base: str | None = None) -> None:
        """Nothing to load: git has read every rule already."""

    def ignored(self, rel: str, is_dir: bool) -> bool:
        if (rel + "/" if is_dir else rel) in self.paths:
            return True
        parts = rel.split("/")
        return any("/".join(parts[:i]) + "/" in self.paths for i in range(1, len(parts)))


Rules = Ignore | GitIgnore


def for_folder(folder: Path) -> Rules:
    """The rules for a scan of `folder`: git's when it is in a work tree, else our own reading
    of the .gitignore files from the top down to it."""
    folder = folder.resolve()
    top = gitrun.work_tree_top(folder)
    listed = gitrun.ignored_below(top, folder) if top is not None else None
    if top is not None and listed is not None:
        return GitIgnore(top, listed)
    return own_rules(folder)


def own_rules(folder: Path) -> Ignore:
    """The .gitignore files (and .git/info/exclude) from the work tree's top down to `folder`."""
    folder = folder.resolve()
    top = next((p for p in (folder, *folder.parents) if (p / ".git").exists()), None)
    if top is None:
        ignore = Ignore(folder)
        ignore.load(folder)
        return ignore
    ignore = Ignore(top)
    ignore.add_file(top / ".git" / "info" / "exclude", "")
    for p in reversed((folder, *folder.parents)):
        if p == top or top in p.parents:
            ignore.load(p)
    return ignore
