"""Git stores symlinks, so a pulled vault can hold one where tokenbook writes: it must never read,
write or delete through it, and says so with the path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log
from tokenbook.confine import OutsideVault
from tokenbook.confine import confined


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the vault, with files an attacker would like overwritten or deleted."""
    root = tmp_path / "outside"
    root.mkdir()
    (root / "auth-login.md").write_text("precious\n", encoding="utf-8")
    (root / "other.md").write_text('---\nbet: "[[other]]"\n---\nlooks rendered\n', "utf-8")
    (root / "secret.md").write_text("---\ntitle: S3CRET\n---\n", encoding="utf-8")
    return root


def _commands(logs: Path) -> list[list[str | Path]]:
    return [
        ["sync", "--logs", logs],
        ["render"],
        ["check"],
        ["log", "--bet", "auth-login", "--tokens", "5", "--date", "2026-11-03"],
        ["report", "daily"],
        ["export", "--csv"],
    ]


LINKS = {
    "progress": "progress",
    "ledgers": "ledgers",
    "dashboard": "cost-dashboard.md",
    "limits": "limits.md",
    "cache": ".tokenbook-cache",
    "lock": ".tokenbook.lock",
    "templates": "templates",
    "a bet file": "bets/evil.md",
    "a ledger file": "ledgers/auth-login.md",
    "a progress file": "progress/auth-login.md",
}


@pytest.mark.parametrize("name", LINKS.values(), ids=LINKS.keys())
def test_a_symlink_where_tokenbook_reads_or_writes_stops_every_command(
    capsys, vault, logs, outside, name
):
    write_log(logs, "p/s.jsonl", [assistant("m-1")])
    link = vault / name
    link.parent.mkdir(exist_ok=True)
    link.unlink(missing_ok=True)
    target = outside / "secret.md" if name.endswith(".md") else outside
    link.symlink_to(target)
    before, inside = snapshot(outside), snapshot(vault)
    for command in _commands(logs):
        code, out, err = run(capsys, command[0], "--vault", vault, *command[1:])
        assert code == 1, command
        assert f"{link}:0: a symbolic link (to {target}); " in err, command
        assert "Traceback" not in err
        assert "S3CRET" not in out + err
        assert snapshot(outside) == before
        assert snapshot(vault) == inside
        assert link.is_symlink()


def test_a_folder_linked_to_another_vault_folder_is_refused(capsys, vault):
    """`progress -> ledgers` would overwrite ledgers with progress files and delete the rest."""
    (vault / "ledgers").mkdir()
    (vault / "ledgers" / "keep.md").write_text("mine\n", encoding="utf-8")
    (vault / "progress").symlink_to("ledgers")
    code, _, err = run(capsys, "render", "--vault", vault)
    assert code == 1
    assert f"{vault / 'progress'}:0: a symbolic link (to ledgers)" in err
    assert (vault / "ledgers" / "keep.md").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in (vault / "ledgers").iterdir()) == ["keep.md"]


def test_render_deletes_only_progress_files_it_wrote(capsys, vault):
    assert run(capsys, "render", "--vault", vault)[0] == 0
    progress = vault / "progress"
    mine = progress / "notes.md"
    mine.write_text("# my own notes, not a rendered file\n", encoding="utf-8")
    lookalike = progress / "gone.md"  # rendered frontmatter, but for another id than its name
    lookalike.write_text('---\nbet: "[[other]]"\n---\n', encoding="utf-8")
    (vault / "bets" / "billing-fix.md").unlink()
    code, out, err = run(capsys, "render", "--vault", vault)
    assert code == 0, err
    assert "rendered progress/billing-fix.md" in out  # deleted: render wrote it
    assert not (progress / "billing-fix.md").exists()
    assert mine.exists()
    assert lookalike.exists()
    assert run(capsys, "render", "--check", "--vault", vault)[0] == 0


def test_confined_refuses_any_link_and_any_way_out(tmp_path):
    root = tmp_path / "vault"
    (root / "real").mkdir(parents=True)
    (root / "link").symlink_to(root / "real")
    assert confined(root, root / "real" / "x.md") == root / "real" / "x.md"
    with pytest.raises(OutsideVault, match="link:0: a symbolic link"):
        confined(root, root / "link" / "x.md")
    with pytest.raises(OutsideVault, match="leads out of the vault"):
        confined(root, root / ".." / "x.md")
    with pytest.raises(OutsideVault, match="not inside the vault"):
        confined(root, tmp_path / "x.md")


def test_a_vault_reached_through_a_symlink_works(capsys, vault, tmp_path):
    """The vault folder itself may be a link (a dotfiles setup): only links inside it count."""
    alias = tmp_path / "alias"
    alias.symlink_to(vault)
    code, _, err = run(capsys, "render", "--vault", alias)
    assert code == 0, err
    assert (vault / "cost-dashboard.md").is_file()
