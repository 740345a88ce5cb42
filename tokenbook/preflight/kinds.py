"""Content types that tokenize differently: code, prose, JSON and other."""

from __future__ import annotations

import json
from pathlib import PurePath

KINDS = ("code", "prose", "json", "other")


def words(text: str) -> frozenset[str]:
    """A set written as one space-separated string."""
    return frozenset(text.split())


CODE_SUFFIXES = words(
    ".py .pyi .js .jsx .mjs .cjs .ts .tsx .go .rs .java .kt .kts .scala .c .h .cc .cpp .hpp .cs "
    ".rb .php .swift .m .mm .sh .bash .zsh .fish .ps1 .sql .r .jl .lua .pl .pm .ex .exs .erl .hs "
    ".ml .clj .dart .vue .svelte .html .htm .css .scss .sass .less .xml .proto .graphql .tf "
    ".toml .ini .cfg .yaml .yml .j2 .mk .cmake .gradle .dockerfile"
)
CODE_NAMES = frozenset({"Makefile", "Dockerfile", "Rakefile", "Gemfile", "Justfile"})
PROSE_SUFFIXES = words(".md .markdown .txt .rst .adoc .org .tex .csv .tsv")
PROSE_NAMES = frozenset({"README", "LICENSE", "NOTICE", "AUTHORS", "CHANGELOG", "COPYING"})
JSON_SUFFIXES = words(".json .jsonl .ndjson .geojson .ipynb .har")

_CODE_CHARS = frozenset("{}()[];=<>_/\\*&|$#:")


def kind_of_path(path: PurePath) -> str:
    """A file's content type from its name."""
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in CODE_SUFFIXES or path.name in CODE_NAMES:
        return "code"
    if suffix in PROSE_SUFFIXES or path.stem.upper() in PROSE_NAMES:
        return "prose"
    return "other"


def kind_of_text(text: str) -> str:
    """A nameless text's content type (a prompt, a tool result) from what it looks like."""
    sample = text[:4000].strip()
    if not sample:
        return "other"
    if sample[0] in "{[" and _is_json(text.strip()):
        return "json"
    letters = sum(ch.isalpha() for ch in sample)
    spaces = sample.count(" ")
    symbols = sum(ch in _CODE_CHARS for ch in sample)
    indented = sum(ln.startswith(("  ", "\t")) for ln in sample.splitlines())
    lines = max(1, sample.count("\n") + 1)
    if symbols * 12 >= len(sample) or (indented * 3 >= lines and lines >= 3):
        return "code"
    if (letters + spaces) * 10 >= len(sample) * 9:
        return "prose"
    return "other"


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        first = text.split("\n", 1)[0]
        try:
            json.loads(first)  # JSON lines
        except ValueError:
            return False
    return True
