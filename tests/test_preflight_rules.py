"""What to cut: every rule of the context optimizer, .gitignore parsing, the count cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run
from tokenbook.preflight import gitignore
from tokenbook.preflight.cache import CountCache
from tokenbook.preflight.optimize import IMAGE_TOKENS
from tokenbook.preflight.optimize import LARGE_TOKENS
from tokenbook.preflight.optimize import SUMMARY_TOKENS
from tokenbook.preflight.scan import Scanner

CODE = "def f(x):\n    return x\n"  # 23 chars; default ratio for code is 3.0 chars/token


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def preflight(capsys: Any, vault: Path, *args: str | Path) -> dict[str, Any]:
    code, out, err = run(
        capsys, "preflight", *args, "--json", "--vault", vault, "--model", "claude-opus-4-5"
    )
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def by_path(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["path"]: s for s in result["suggestions"]}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    return root


def test_clean_files_are_counted_and_not_flagged(capsys, vault, repo):
    write(repo, "src/a.py", "x = 1\n" * 100)  # 600 chars of code → 200 tokens
    write(repo, "docs/guide.md", "word " * 76)  # 380 chars of prose → 100 tokens
    write(repo, "data.json", '{"a": [' + "1, " * 86 + "1]}")  # 8 + 258 + 3 = 269 chars → 104
    result = preflight(capsys, vault, repo)
    files = {Path(f["path"]).relative_to(repo).as_posix(): f for f in result["files"]}
    assert files["src/a.py"]["tokens"] == 200
    assert files["src/a.py"]["kind"] == "code"
    assert files["docs/guide.md"]["tokens"] == 100
    assert files["data.json"]["kind"] == "json"
    assert files["data.json"]["tokens"] == -(-269 // 2.6)
    assert result["total_tokens"] == 200 + 100 + 104
    assert result["suggestions"] == []


def test_dependency_and_build_folders_are_one_suggestion_each(capsys, vault, repo):
    write(repo, "src/a.py", CODE)
    for name in ("node_modules/left-pad/index.js", "node_modules/x/y.js"):
        write(repo, name, "a" * 300)
    write(repo, ".venv/lib/site.py", "b" * 30)
    write(repo, "dist/bundle.js", "c" * 600)
    write(repo, "src/__pycache__/a.cpython-311.pyc", b"\0" * 28)
    found = by_path(preflight(capsys, vault, repo))
    nm = found[f"{repo}/node_modules/"]
    assert nm["rule"] == "dependency"
    assert nm["files"] == 2
    assert nm["tokens_saved"] == 2 * 100  # two 300-byte scripts at 3 chars per token
    assert found[f"{repo}/.venv/"]["rule"] == "dependency"
    assert found[f"{repo}/src/__pycache__/"]["rule"] == "dependency"
    assert found[f"{repo}/dist/"]["rule"] == "build"
    assert found[f"{repo}/dist/"]["tokens_saved"] == 200


def test_lock_files_maps_and_minified_bundles_are_generated(capsys, vault, repo):
    write(repo, "package-lock.json", '{"lockfileVersion": 3}')
    write(repo, "Cargo.lock", "[[package]]\n")
    write(repo, "app.js.map", '{"version":3}')
    write(repo, "vendor.min.js", "var a=1;")
    write(repo, "bundle.js", "var a=1;" * 400)  # one 3,200-char line: minified
    write(repo, "api_pb2.py", CODE)
    write(repo, "normal.js", "const a = 1;\n" * 300)
    found = by_path(preflight(capsys, vault, repo))
    rules = {Path(p).name: s["rule"] for p, s in found.items()}
    assert rules == {
        "package-lock.json": "lock",
        "Cargo.lock": "lock",
        "app.js.map": "generated",
        "api_pb2.py": "generated",
        "vendor.min.js": "minified",
        "bundle.js": "minified",
    }


def test_binaries_and_images(capsys, vault, repo):
    write(repo, "logo.png", b"\x89PNG" + b"x" * 5000)
    write(repo, "tool", b"ELF\0" + b"y" * 2796)  # NUL byte, no known suffix: binary by content
    write(repo, "src/a.py", CODE)
    result = preflight(capsys, vault, repo)
    found = by_path(result)
    assert found[f"{repo}/logo.png"]["rule"] == "image"
    assert found[f"{repo}/logo.png"]["tokens_saved"] == IMAGE_TOKENS
    assert found[f"{repo}/tool"]["rule"] == "binary"
    assert found[f"{repo}/tool"]["tokens_saved"] == 1000  # 2,800 bytes at 2.8 (other)
    kinds = {Path(f["path"]).name: f["kind"] for f in result["files"]}
    assert kinds["tool"] == "binary"


def test_duplicates_keep_the_first_path(capsys, vault, repo):
    write(repo, "a/one.py", CODE * 10)
    write(repo, "b/two.py", CODE * 10)
    write(repo, "c/three.py", CODE * 10)
    found = by_path(preflight(capsys, vault, repo))
    assert set(found) == {f"{repo}/b/two.py", f"{repo}/c/three.py"}
    assert found[f"{repo}/b/two.py"]["reason"] == f"same content as {repo}/a/one.py"
    assert found[f"{repo}/b/two.py"]["tokens_saved"] == 77  # 230 chars / 3, rounded up


def test_very_large_files_suggest_a_summary(capsys, vault, repo):
    chars = (LARGE_TOKENS + 1) * 3
    write(repo, "big.py", ("x" * 59 + "\n") * (chars // 60 + 1))
    write(repo, "edge.py", "y" * (LARGE_TOKENS * 3))  # exactly at the limit: not flagged
    found = by_path(preflight(capsys, vault, repo))
    big = found[f"{repo}/big.py"]
    tokens = -(-((chars // 60 + 1) * 60) // 3)
    assert big["rule"] == "large"
    assert big["tokens_saved"] == tokens - SUMMARY_TOKENS
    assert f"{repo}/edge.py" not in found


def test_gitignore_is_respected(capsys, vault, repo):
    write(repo, ".gitignore", "*.log\n!keep.log\nsecret/\n/top.txt\n")
    write(repo, "debug.log", "a" * 28)
    write(repo, "keep.log", "b" * 28)
    write(repo, "secret/key.txt", "c" * 28)
    write(repo, "top.txt", "d" * 28)
    write(repo, "sub/top.txt", "e" * 28)
    write(repo, "sub/.gitignore", "local.txt\n")
    write(repo, "sub/local.txt", "f" * 28)
    found = by_path(preflight(capsys, vault, repo))
    assert set(found) == {
        f"{repo}/debug.log",
        f"{repo}/secret/",
        f"{repo}/top.txt",
        f"{repo}/sub/local.txt",
    }
    assert found[f"{repo}/secret/"]["rule"] == "gitignore"


def test_gitignore_of_the_enclosing_work_tree_applies(capsys, vault, repo):
    (repo / ".git").mkdir()
    write(repo, ".gitignore", "generated/\n")
    write(repo, "pkg/generated/out.py", CODE)
    write(repo, "pkg/main.py", CODE)
    found = by_path(preflight(capsys, vault, repo / "pkg"))
    assert set(found) == {f"{repo}/pkg/generated/"}


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "ignored"),
    [
        ("*.log", "a/b/x.log", False, True),
        ("*.log", "x.logs", False, False),
        ("/build", "build", True, True),
        ("/build", "src/build", True, False),
        ("build/", "src/build", True, True),
        ("build/", "src/build", False, False),
        ("doc/*.txt", "doc/a.txt", False, True),
        ("doc/*.txt", "doc/sub/a.txt", False, False),
        ("**/foo", "a/b/foo", False, True),
        ("**/foo", "foo", False, True),
        ("a/**/b", "a/b", False, True),
        ("a/**/b", "a/x/y/b", False, True),
        ("abc/**", "abc/x/y", False, True),
        ("abc/**", "abc", True, False),
        ("file?.txt", "file1.txt", False, True),
        ("file[0-9].txt", "filex.txt", False, False),
        ("file[!0-9].txt", "filex.txt", False, True),
        ("\\#hash", "#hash", False, True),
        ("# comment", "# comment", False, False),
        ("trailing   ", "trailing", False, True),
    ],
)
def test_gitignore_patterns(tmp_path, pattern, path, is_dir, ignored):
    (tmp_path / ".gitignore").write_text(pattern + "\n", encoding="utf-8")
    rules = gitignore.for_folder(tmp_path)
    assert rules.ignored(path, is_dir) is ignored


def test_gitignore_negation_order(tmp_path):
    (tmp_path / ".gitignore").write_text("*.txt\n!important.txt\nsub/important.txt\n")
    rules = gitignore.for_folder(tmp_path)
    assert rules.ignored("a.txt", False)
    assert not rules.ignored("important.txt", False)
    assert rules.ignored("sub/important.txt", False)


def test_gitignore_agrees_with_git(tmp_path):
    """The parser against `git check-ignore` on a mixed set of patterns."""
    patterns = "*.tmp\n!keep.tmp\nlogs/\n/root-only\ndocs/**/draft*\n**/cache\n"
    paths = [
        "a.tmp", "keep.tmp", "x/keep.tmp", "logs/a", "src/logs/b", "root-only",
        "src/root-only", "docs/a/b/draft1.md", "docs/draft.md", "lib/cache/x", "cache",
    ]  # fmt: skip
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text(patterns)
    for p in paths:
        write(tmp_path, p, "x")
    out = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout.split()
    rules = gitignore.own_rules(tmp_path)  # our parser, not git's answer

    def ours(p: str) -> bool:
        parts = p.split("/")
        dirs = ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]
        return any(rules.ignored(d, True) for d in dirs) or rules.ignored(p, False)

    assert sorted(p for p in paths if ours(p)) == sorted(out)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def git_repo(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    git(repo, "init", "-q")
    return repo


def test_git_global_excludes_apply(capsys, vault, git_repo):
    """Rules no .gitignore in the tree holds: git's default global file, or core.excludesFile."""
    home = Path.home()  # a temp folder (autouse fixture)
    write(home, ".config/git/ignore", "*.secret\n")
    write(git_repo, "a.secret", "s" * 28)
    write(git_repo, "sub/b.secret", "t" * 28)
    write(git_repo, "scratch/notes.md", "n" * 28)
    write(git_repo, "src/main.py", CODE)
    found = by_path(preflight(capsys, vault, git_repo))
    assert set(found) == {f"{git_repo}/a.secret", f"{git_repo}/sub/b.secret"}
    assert {s["rule"] for s in found.values()} == {"gitignore"}
    # One file given on its own is judged the same way.
    found = by_path(preflight(capsys, vault, git_repo / "sub" / "b.secret"))
    assert set(found) == {f"{git_repo}/sub/b.secret"}
    # core.excludesFile names another file (which replaces the default one).
    write(home, ".gitignore_mine", "scratch/\n")
    write(home, ".gitconfig", f"[core]\n\texcludesFile = {home}/.gitignore_mine\n")
    found = by_path(preflight(capsys, vault, git_repo))
    assert set(found) == {f"{git_repo}/scratch/"}


def test_tracked_files_are_not_ignored_as_in_git(capsys, vault, git_repo):
    write(git_repo, ".gitignore", "*.log\n")
    write(git_repo, "kept.log", "k" * 28)
    write(git_repo, "other.log", "o" * 28)
    git(git_repo, "add", "-f", "kept.log")
    found = by_path(preflight(capsys, vault, git_repo))
    assert set(found) == {f"{git_repo}/other.log"}


def test_without_git_our_own_reading_of_gitignore_applies(capsys, vault, git_repo, monkeypatch):
    write(git_repo, ".gitignore", "*.log\n")
    write(git_repo, "debug.log", "d" * 28)
    monkeypatch.setenv("PATH", "")  # no git to ask
    assert isinstance(gitignore.for_folder(git_repo), gitignore.Ignore)
    found = by_path(preflight(capsys, vault, git_repo))
    assert set(found) == {f"{git_repo}/debug.log"}


def test_a_repository_cannot_run_a_command_through_git(capsys, vault, git_repo):
    """A cloned repository's config is not ours to run: core.fsmonitor stays off."""
    marker = git_repo.parent / "RAN"
    git(git_repo, "config", "core.fsmonitor", f"touch {marker}; false")
    write(git_repo, ".gitignore", "*.log\n")
    write(git_repo, "debug.log", "d" * 28)
    found = by_path(preflight(capsys, vault, git_repo))
    assert set(found) == {f"{git_repo}/debug.log"}
    assert not marker.exists()


def test_apply_prints_the_trimmed_list(capsys, vault, repo):
    write(repo, "src/a.py", CODE)
    write(repo, "src/b.py", CODE + "# b\n")
    write(repo, "src/a_copy.py", CODE)
    write(repo, "yarn.lock", "lock\n")
    write(repo, "node_modules/x.js", "x")
    code, out, err = run(capsys, "preflight", repo, "--apply", "--vault", vault, "--model", "m")
    assert code == 0, err
    assert out.splitlines() == [f"{repo}/src/a.py", f"{repo}/src/b.py"]
    assert "left out 3 of 5 files" in err


def test_suggestions_carry_cost(capsys, vault, repo):
    write(repo, "a.py", "z" * 3000)  # 1,000 tokens
    write(repo, "yarn.lock", "9" * 2800)  # digits: 1,000 tokens of "other"
    result = preflight(capsys, vault, repo, "--as-of", "2026-11-20")
    (lock,) = result["suggestions"]
    # Opus 4.5 writes to the 5-minute cache at $6.25 per million tokens.
    assert lock["tokens_saved"] == 1000
    assert lock["cost_saved"] == "0.00625"
    assert result["cost_usd"] == "0.0125"


def test_second_run_reads_no_file_and_a_change_is_seen(tmp_path):
    root = tmp_path / "tree"
    for i in range(20):
        write(root, f"m{i}.py", CODE * (i + 1))
    cache_dir = tmp_path / "cache" / "preflight"
    first = Scanner(CountCache(cache_dir))
    a = first.scan(root)
    first.cache.save()
    assert first.read == 20
    second = Scanner(CountCache(cache_dir))
    assert second.scan(root) == a
    assert second.read == 0
    (root / "m3.py").write_text(CODE * 50)
    os.utime(root / "m3.py", ns=(1, 1))
    third = Scanner(CountCache(cache_dir))
    changed = {f.path: f for f in third.scan(root)}
    assert third.read == 1
    assert changed[f"{root}/m3.py"].facts.chars == len(CODE) * 50
    assert (tmp_path / "cache" / ".gitignore").read_text() == "*\n"


def test_the_cache_lives_in_the_vault_and_holds_no_text(capsys, vault, repo):
    secret = "SENTINEL-PRIVATE-TEXT = 42\n"
    write(repo, "a.py", secret)
    preflight(capsys, vault, repo)
    cache = vault / ".tokenbook-cache" / "preflight" / "counts.json"
    assert cache.is_file()
    assert "SENTINEL" not in cache.read_text()
    assert (vault / ".tokenbook-cache" / ".gitignore").read_text() == "*\n"


def test_a_broken_cache_is_ignored(capsys, vault, repo):
    write(repo, "a.py", CODE)
    folder = vault / ".tokenbook-cache" / "preflight"
    folder.mkdir(parents=True)
    (folder / "counts.json").write_text("{not json")
    assert preflight(capsys, vault, repo)["total_tokens"] == 8


def test_a_file_under_two_arguments_counts_once(capsys, vault, repo):
    write(repo, "src/a.py", CODE * 3)  # 69 chars → 23 tokens
    write(repo, "src/b.py", CODE * 3 + "\n")
    result = preflight(capsys, vault, repo / "src", repo / "src" / "a.py", repo)
    assert [f["path"] for f in result["files"]] == [f"{repo}/src/a.py", f"{repo}/src/b.py"]
    assert [p["tokens"] for p in result["parts"]] == [23 + 24, 0, 0]
    assert result["total_tokens"] == 47
