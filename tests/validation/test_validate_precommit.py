"""The pre-commit hook, installed for real: pre-commit (from PyPI) clones this repository's
working tree at a commit, builds the hook's environment and runs it on ``git commit`` in a
scratch dataset repository, configured as README.md shows (issue 14, items 3 and 4).

The hook repository is a committed copy of this working tree, so uncommitted changes are what
is tested. pre-commit installs geoverify and its dependencies into its own virtualenv with pip
(from the configured package index), once per test module.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from gv_validate_helpers import (
    clean_env,
    commit,
    copy_worktree,
    csv_text,
    fixed_rows,
    git,
    init_repo,
    make_row,
)

pytestmark = pytest.mark.slow

BAD = make_row("x1", "50.425192", "35.527879", claimed="Belgorod oblast")  # in Sumy oblast


def _pre_commit_available() -> str | None:
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        return "pre-commit is not installed (pip install -e '.[test]' installs it from PyPI)"
    return None


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    why = _pre_commit_available()
    if why:
        pytest.skip(why)
    src = copy_worktree(tmp_path_factory.mktemp("hook-repo") / "geoverify")
    init_repo(src)
    commit(src, "geoverify under test")
    return src, git(src, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    # one pre-commit cache for the module: the hook environment is built once
    return clean_env(PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
                     PRE_COMMIT_COLOR="never")


def _config(repo: str, rev: str, *, verbose: bool = False) -> str:
    # README.md: `repo:` this repository, `hooks: [{id: geoverify-validate}]`
    extra = "\n        verbose: true" if verbose else ""
    return (f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n"
            f"      - id: geoverify-validate{extra}\n")


def _pc(env, cwd, *args, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _commit(env, repo: Path, message: str) -> tuple[int, str]:
    """``git add -A && git commit``: the exit code and what was printed (git sends a hook's
    output to stderr)."""
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
    p = subprocess.run(["git", "commit", "-m", message], cwd=repo, env=env,
                       capture_output=True, text=True, timeout=900)
    return p.returncode, p.stdout + p.stderr


def _geoverify(env, repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geoverify", *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)


def _dataset(tmp_path: Path, env, hook_repo, **config) -> Path:
    repo = tmp_path / "dataset"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], env=env, check=True)
    (repo / ".pre-commit-config.yaml").write_text(_config(*map(str, hook_repo), **config),
                                                  encoding="utf-8")
    out = _pc(env, repo, "install")
    assert out.returncode == 0, out.stdout + out.stderr
    # build the hook environment now, so a commit's output is the hook's own
    out = _pc(env, repo, "install-hooks")
    assert out.returncode == 0, out.stdout + out.stderr
    return repo


def test_pre_commit__blocks_a_bad_row_and_lets_geoverifys_own_files_through(
        tmp_path, env, hook_repo):
    repo = _dataset(tmp_path, env, hook_repo)
    (repo / "data").mkdir()
    good = fixed_rows()[:5]
    (repo / "data" / "claims.csv").write_text(csv_text(good), encoding="utf-8")
    code, out = _commit(env, repo, "the dataset")
    assert code == 0, out
    assert re.search(r"geoverify validate\.+Passed", out), out

    # item 3: the baseline (and a JSON and a SARIF report) as README.md and VALIDATE.md make them
    for args in (["--write-baseline", ".geoverify-baseline.json"],
                 ["--format", "json", "-o", "reports/validate.json"],
                 ["--format", "sarif", "-o", "reports/geoverify.sarif.json"]):
        (repo / "reports").mkdir(exist_ok=True)
        made = _geoverify(env, repo, "validate", "data", *args)
        assert made.returncode == 0, made.stderr
    code, out = _commit(env, repo, "geoverify baseline and reports")
    assert code == 0, out
    assert git(repo, "ls-files", ".geoverify-baseline.json").strip() == ".geoverify-baseline.json"

    # a JSON file of the project's website, excluded in the configuration, is not claims
    (repo / "package.json").write_text('{"name": "dataset-site"}\n', encoding="utf-8")
    (repo / ".geoverify.toml").write_text('exclude = ["package.json"]\n', encoding="utf-8")
    code, out = _commit(env, repo, "website")
    assert code == 0, out

    # a bad row is blocked, with the file, line and reason
    (repo / "data" / "claims.csv").write_text(csv_text(good + [BAD]), encoding="utf-8")
    before = git(repo, "rev-parse", "HEAD")
    code, out = _commit(env, repo, "a row in the wrong oblast")
    assert code == 1, out
    assert re.search(r"geoverify validate\.+Failed", out), out
    assert "data/claims.csv:7:" in out and "claim-mismatch" in out
    assert git(repo, "rev-parse", "HEAD") == before

    # the corrected row passes
    fixed = dict(BAD, lat="50.595400", lon="36.587300")
    (repo / "data" / "claims.csv").write_text(csv_text(good + [fixed]), encoding="utf-8")
    code, out = _commit(env, repo, "x1 where it was claimed")
    assert code == 0, out
    assert git(repo, "rev-parse", "HEAD") != before


def test_pre_commit__allow_list_advice_on_staged_files_never_blocks(tmp_path, env, hook_repo):
    repo = _dataset(tmp_path, env, hook_repo, verbose=True)
    (repo / "data").mkdir()
    allowed = make_row("r06", "50.425192", "35.527879", claimed="Belgorod oblast")
    (repo / "data" / "a.csv").write_text(csv_text(fixed_rows()[:4] + [allowed]),
                                         encoding="utf-8")
    (repo / "data" / "b.csv").write_text(csv_text([make_row("b1", "50.450100", "30.523400")]),
                                         encoding="utf-8")
    (repo / ".geoverify.toml").write_text(
        '[[allow]]\nid = "r06"\ncode = "claim-mismatch"\nreason = "the MoD claim is false"\n',
        encoding="utf-8")
    code, out = _commit(env, repo, "the dataset")
    assert code == 0, out
    assert "unused allow entry" not in out  # r06's entry is used

    # item 4: only b.csv is staged; the entry for a.csv's row is none of this commit's business
    with (repo / "data" / "b.csv").open("a", encoding="utf-8") as fh:
        fh.write(csv_text([make_row("b2", "49.993500", "36.230400")]).split("\n", 1)[1])
    code, out = _commit(env, repo, "b2")
    assert code == 0, out
    assert "1 file(s), 2 row(s)" in out  # the hook's output is shown (verbose: true)
    assert "unused allow entry" not in out and "remove it" not in out

    # once r06 is fixed, a run over every file says the entry is unused, naming the
    # configuration as the repository names it; following that advice blocks nothing
    (repo / "data" / "a.csv").write_text(csv_text(fixed_rows()[:4] + [
        dict(allowed, lat="50.595400", lon="36.587300")]), encoding="utf-8")
    code, out = _commit(env, repo, "r06 fixed")
    assert code == 0, out
    assert "unused allow entry" not in out  # b.csv, not staged, might hold a row r06
    out = _pc(env, repo, "run", "--all-files")
    assert out.returncode == 0, out.stdout + out.stderr
    assert ("unused allow entry in .geoverify.toml: id r06 claim-mismatch (no such finding any "
            "more; remove it)") in out.stdout
    assert str(repo) not in out.stdout
    (repo / ".geoverify.toml").write_text("", encoding="utf-8")
    assert _commit(env, repo, "drop the unused allow entry")[0] == 0
    for name in ("a.csv", "b.csv"):
        with (repo / "data" / name).open("a", encoding="utf-8") as fh:
            fh.write(csv_text([make_row(f"n-{name}", "46.482500", "30.723300")]).split("\n", 1)[1])
    code, out = _commit(env, repo, "one more row in each file")
    assert code == 0, out
    assert "2 file(s), 9 row(s)" in out and "unused allow entry" not in out
