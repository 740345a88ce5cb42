"""The dependency direction of the package, read from the source with `ast`.

Records (`events`, `errors`, `model`) depend on nothing; log sources know nothing of the vault;
only the command line parses arguments, prints and asks for today's date (`scaffold` may too).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tokenbook"
RECORDS = ("tokenbook.events", "tokenbook.errors", "tokenbook.model")
SOURCES_MUST_NOT_IMPORT = (
    "tokenbook.vault",
    "tokenbook.vault_parse",
    "tokenbook.vault_prices",
    "tokenbook.ledger",
    "tokenbook.store",
    "tokenbook.render",
    "tokenbook.cli",
)
CLOCK = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today")}


@dataclass
class Module:
    name: str
    path: Path
    imports: set[str] = field(default_factory=set)  # every module named by an import
    prints: list[int] = field(default_factory=list)  # lines calling print(
    clock: list[int] = field(default_factory=list)  # lines calling date.today()/datetime.now()
    has_main: bool = False  # an `if __name__ == "__main__":` block

    def tokenbook_imports(self) -> set[str]:
        return {m for m in self.imports if m == "tokenbook" or m.startswith("tokenbook.")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(mod: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = mod.name.split(".")
    if mod.path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_main_guard(node: ast.AST) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    parts = [node.test.left, *node.test.comparators]
    names = {p.id for p in parts if isinstance(p, ast.Name)}
    values = {p.value for p in parts if isinstance(p, ast.Constant)}
    return names == {"__name__"} and values == {"__main__"}


def _clock_call(func: ast.expr) -> bool:
    if not isinstance(func, ast.Attribute):
        return False
    owner = func.value
    owner_name = (
        owner.id
        if isinstance(owner, ast.Name)
        else owner.attr
        if isinstance(owner, ast.Attribute)
        else ""
    )
    return (owner_name, func.attr) in CLOCK


def scan(path: Path) -> Module:
    mod = Module(module_name(path), path)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    mod.has_main = any(_is_main_guard(n) for n in tree.body)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mod.imports.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(mod, node)
            mod.imports.add(base)
            # `from tokenbook import fields` names the module tokenbook.fields.
            mod.imports.update(
                f"{base}.{a.name}"
                for a in node.names
                if (PACKAGE.parent / base.replace(".", "/") / a.name).is_dir()
                or (PACKAGE.parent / base.replace(".", "/") / f"{a.name}.py").is_file()
            )
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "print":
                mod.prints.append(node.lineno)
            if _clock_call(node.func):
                mod.clock.append(node.lineno)
    return mod


MODULES = {m.name: m for m in map(scan, sorted(PACKAGE.rglob("*.py")))}


def _is_cli(m: Module) -> bool:
    """The command line: `cli.py` and its one-module-per-command package."""
    return m.name == "tokenbook.cli" or m.name.startswith("tokenbook.commands")


def _entry_point(m: Module) -> bool:
    """The CLI, and the synthetic-log generator's own `python -m tests.synth` CLI."""
    return _is_cli(m) or (m.name == "tests.synth" and m.has_main)


def test_the_scanner_sees_what_is_there():
    """Guard against rules that pass because nothing was found."""
    cli = [m for m in MODULES.values() if _is_cli(m)]
    imports = set().union(*(m.imports for m in cli))
    assert {"argparse", "tokenbook.sync", "tokenbook.render", "tokenbook.errors"} <= imports
    assert any(m.prints for m in cli)
    assert any(m.clock for m in cli)
    assert "tokenbook.fields" in MODULES["tokenbook.vault_parse"].imports  # `from tokenbook ..`
    assert "tokenbook.commands.launch" in MODULES["tokenbook.__main__"].imports
    assert "tokenbook.sources.claude_code" in MODULES
    assert len(MODULES) >= 20


@pytest.mark.parametrize("name", RECORDS)
def test_records_import_nothing_but_records(name):
    imported = MODULES[name].tokenbook_imports()
    assert imported <= {"tokenbook.errors", "tokenbook.events"}, name


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("tokenbook.sources")))
def test_log_sources_know_nothing_of_the_vault(name):
    imported = MODULES[name].tokenbook_imports()
    bad = sorted(
        m for m in imported for x in SOURCES_MUST_NOT_IMPORT if m == x or m.startswith(x + ".")
    )
    assert bad == [], f"{name} imports {bad}"


def test_nothing_imports_the_cli():
    importers = sorted(
        m.name
        for m in MODULES.values()
        if not _is_cli(m)
        and m.name != "tokenbook.__main__"
        and any(i == "tokenbook.cli" or i.startswith("tokenbook.commands") for i in m.imports)
    )
    assert importers == []


def test_only_the_cli_parses_arguments():
    users = sorted(
        m.name
        for m in MODULES.values()
        if not _entry_point(m)
        and any(i == "argparse" or i.startswith("argparse.") for i in m.imports)
    )
    assert users == []


def test_only_the_cli_prints():
    printers = {
        f"{m.path}:{line}" for m in MODULES.values() if not _entry_point(m) for line in m.prints
    }
    assert sorted(printers) == []


def test_only_the_cli_and_scaffold_read_the_clock():
    callers = {
        f"{m.path}:{line}"
        for m in MODULES.values()
        if not _is_cli(m) and m.name != "tokenbook.scaffold"
        for line in m.clock
    }
    assert sorted(callers) == []
