"""The source registry: every agent behind one interface, `--logs DIR` and `--logs AGENT:DIR`."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from tests.agents import codex_history
from tests.agents import gemini_gen
from tests.agents import opencode_history
from tokenbook.errors import TokenbookError
from tokenbook.sources import names
from tokenbook.sources import registry
from tokenbook.sources.base import Read


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("layouts")
    codex_history.build(root / "codex")
    opencode_history.build(root / "opencode")
    gemini_gen.build(root / "gemini")
    (root / "claude" / "projects").mkdir(parents=True)
    (root / "empty").mkdir()
    return {p.name: p for p in root.iterdir()}


def test_every_source_has_the_interface():
    assert set(registry.SOURCES) == {"codex", "opencode", "gemini"}
    assert registry.NAMES == ("claude-code", "codex", "gemini", "opencode")
    assert (names.CLAUDE_CODE, names.NAMES) == (registry.CLAUDE_CODE, registry.NAMES)
    for name, source in registry.SOURCES.items():
        assert name == source.NAME
        for function in ("default_dirs", "looks_like", "read"):
            assert inspect.isfunction(getattr(source, function)), (name, function)


@pytest.mark.parametrize("name", ["codex", "opencode", "gemini", "claude"])
def test_each_layout_is_recognised_as_its_own_agent(layouts, name):
    expected = "claude-code" if name == "claude" else name
    assert registry.detect_names(layouts[name]) == [expected]
    source = registry.detect(layouts[name])
    assert (source.NAME if source else "claude-code") == expected


def test_an_empty_folder_is_no_agent(layouts):
    assert registry.detect_names(layouts["empty"]) == []
    assert registry.detect(layouts["empty"]) is None


def test_each_source_reads_its_own_layout_and_nothing_from_the_others(layouts):
    for name, source in registry.SOURCES.items():
        own = source.read([layouts[name]])
        assert isinstance(own, Read)
        assert own.responses
        assert {r.source for r in own.responses} == {name}
        for other in layouts:
            if other != name:
                assert source.read([layouts[other]]).responses == [], (name, other)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("codex:/work/.codex", ("codex", Path("/work/.codex"))),
        ("gemini-cli:/g", ("gemini", Path("/g"))),
        ("claude:/c", ("claude-code", Path("/c"))),
        ("opencode:relative/dir", ("opencode", Path("relative/dir"))),
        ("/plain/dir", (None, Path("/plain/dir"))),
        ("C:\\logs", (None, Path("C:\\logs"))),
        ("  codex:~/x ", ("codex", Path("~/x"))),
    ],
)
def test_parse_logs_arg(text, expected):
    name, path = expected
    assert registry.parse_logs_arg(text) == (name, path.expanduser())


def test_an_unknown_agent_prefix_is_a_clear_error():
    with pytest.raises(TokenbookError) as e:
        registry.parse_logs_arg("cursor:/x")
    assert str(e.value) == (
        "--logs cursor:/x: 'cursor' is not an agent tokenbook reads; write AGENT:DIR with "
        "AGENT one of claude-code, codex, gemini, opencode, or give a folder"
    )


def test_an_existing_folder_with_a_colon_is_a_folder(tmp_path):
    odd = tmp_path / "logs:2026"
    odd.mkdir()
    assert registry.parse_logs_arg(str(odd)) == (None, odd)


def test_locate_sorts_folders_by_agent(layouts, tmp_path):
    entries = [str(layouts["codex"]), f"gemini:{layouts['gemini']}", str(layouts["empty"]),
               "opencode:rel", str(layouts["codex"])]  # fmt: skip
    assert registry.locate(entries, base=tmp_path) == {
        "codex": [layouts["codex"]],
        "gemini": [layouts["gemini"]],
        "claude-code": [layouts["empty"]],
        "opencode": [tmp_path / "rel"],
    }


def test_defaults_cover_every_agent():
    found = registry.defaults({}, Path("/h"))
    assert found == {
        "claude-code": [Path("/h/.config/claude"), Path("/h/.claude")],
        "codex": [Path("/h/.codex")],
        "gemini": [Path("/h/.gemini")],
        "opencode": [Path("/h/.local/share/opencode")],
    }
