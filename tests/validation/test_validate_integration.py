"""The integration files: the composite GitHub Action (its validate script run here as a
runner would) and the pre-commit hook definition."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from gv_validate_helpers import commit, csv_text, init_repo, seeded_rows

from geoverify.io.dataset import CLAIMS_SUFFIXES

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def action():
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_action__composite_steps_install_from_the_action_path_and_run_validate(action):
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    install = next(s for s in steps if s.get("name") == "Install geoverify")
    assert "pip install" in install["run"] and "github.action_path" in install["env"][
        "GEOVERIFY_SOURCE"]
    run_steps = [s for s in steps if "run" in s]
    assert all(s["shell"] == "bash" for s in run_steps)
    # inputs reach the scripts through env only (no expression expanded inside a script)
    assert all("${{" not in s["run"] for s in run_steps)
    assert set(action["inputs"]) == {"paths", "fail-on", "config", "baseline", "since",
                                     "summary", "python-version", "cache"}
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.validate.outputs.exit-code }}"


@pytest.fixture
def runner_env(tmp_path):
    """What a runner provides: geoverify on PATH, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "geoverify"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m geoverify "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GV_"))}
    env.update(PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}",
               GITHUB_OUTPUT=str(tmp_path / "output"), GITHUB_STEP_SUMMARY=str(tmp_path / "summary"))
    (tmp_path / "summary").write_text("", encoding="utf-8")
    return env


def _run_validate_step(action, env, cwd, **inputs):
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "validate")
    defaults = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    defaults.update({k.replace("_", "-"): v for k, v in inputs.items()})
    names = {"GV_PATHS": "paths", "GV_FAIL_ON": "fail-on", "GV_CONFIG": "config",
             "GV_BASELINE": "baseline", "GV_SINCE": "since", "GV_SUMMARY": "summary"}
    assert set(step["env"]) == set(names)
    full = dict(env, **{var: defaults[name] for var, name in names.items()})
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=300)


def test_action__validate_step_annotates_summarises_and_fails(action, runner_env, tmp_path):
    repo = init_repo(tmp_path / "dataset")
    (repo / "data").mkdir()
    (repo / "data" / "claims.csv").write_text(csv_text(seeded_rows()), encoding="utf-8")
    commit(repo, "data")
    out = _run_validate_step(action, runner_env, repo, paths="data")
    assert out.returncode == 1, out.stderr
    annotations = [line for line in out.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 15
    assert any(a.startswith("::error file=data/claims.csv,line=7,col=43,title=geoverify "
                            "claim-mismatch (row 6)::") for a in annotations)
    assert Path(runner_env["GITHUB_OUTPUT"]).read_text(encoding="utf-8") == "exit-code=1\n"
    summary = Path(runner_env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.startswith("## geoverify validate") and "`latlon-swapped`" in summary

    out = _run_validate_step(action, runner_env, repo, paths="data", fail_on="never",
                             summary="false", since="HEAD")
    assert out.returncode == 0, out.stderr
    assert [line for line in out.stdout.splitlines() if line.startswith("::")] == []


def test_action__cannot_run_is_exit_3(action, runner_env, tmp_path):
    out = _run_validate_step(action, runner_env, tmp_path, paths="missing-dir")
    assert out.returncode == 3
    assert "no such file or directory" in out.stderr


def test_pre_commit_hook__runs_validate_on_every_claims_suffix():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "geoverify-validate"
    assert hook["entry"] == "geoverify validate --force-exclude" and hook["language"] == "python"
    rx = re.compile(hook["files"])
    assert all(rx.search(f"data/claims{s}") for s in CLAIMS_SUFFIXES)
    assert not any(rx.search(f"x{s}") for s in (".txt", ".md", ".py", ".csv.bak"))


def test_docs__validate_md_shows_every_code_and_the_ci_snippet():
    from geoverify.codes import DESCRIPTIONS

    doc = (ROOT / "docs" / "VALIDATE.md").read_text(encoding="utf-8")
    missing = [code for code in DESCRIPTIONS if f"`{code}`" not in doc]
    assert missing == []
    assert "geoverify-validate" in doc and "uses: " in doc and "--since" in doc
