"""The Jinja environment templates run in: the sandbox, plain data, and templates read only from
inside the vault.

A vault's `templates/` arrives by pull request and `sync` renders on every teammate's machine, so
a template is untrusted code. It runs in Jinja's immutable sandbox (no `__class__`, no
`__globals__`, no mutating the data), sees only plain data (`tokenbook.plain`), and can include
only templates that really are inside the vault: a symlink that leads out of it, or to something
that is not a regular file, is refused before it is read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEMPLATE_BYTES = 1_000_000


class PlainEnvironment(ImmutableSandboxedEnvironment):
    """`d.x` reads the key `x` of a plain dict first, so a key such as `items` or `values` is
    never shadowed by the dict method of that name."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


class VaultTemplates(jinja2.BaseLoader):
    """Templates under `<vault>/templates/`, each checked to be a regular file inside the vault."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / "templates"

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        real = path.resolve()
        base = self.root.resolve()
        if not real.is_relative_to(base):
            raise jinja2.TemplateError(
                f"{path}: leads out of the vault (to {real}); a vault template must be a file "
                "inside the vault: replace the link with the template itself"
            )
        if not real.is_file():
            raise jinja2.TemplateError(f"{path}: not a regular file; make it a template file")
        size = real.stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise jinja2.TemplateError(
                f"{path}: {size:,} bytes is too large for a template "
                f"(at most {MAX_TEMPLATE_BYTES:,}); shorten it"
            )
        try:
            source = real.read_bytes().decode("utf-8")
        except UnicodeDecodeError as e:
            message = f"{path}: not valid UTF-8 ({e.reason}); save it as UTF-8"
            raise jinja2.TemplateError(message) from None
        mtime = real.stat().st_mtime
        return source, str(path), lambda: _mtime(real) == mtime


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def environment(
    root: Path, shipped: Path, filters: dict[str, Callable[..., Any]]
) -> PlainEnvironment:
    """The vault's own `templates/` first, then the shipped ones; compiled templates are kept
    in the vault's cache (`jinjacache`: only ever loaded from files this machine wrote)."""
    from tokenbook.jinjacache import template_cache

    env = PlainEnvironment(
        loader=jinja2.ChoiceLoader([VaultTemplates(root), jinja2.FileSystemLoader(str(shipped))]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        bytecode_cache=template_cache(root, "immutable plain sandbox, strict, trim and lstrip"),
    )
    env.filters |= filters
    return env
