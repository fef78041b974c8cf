"""The GitHub Action, run step by step as a runner runs a composite action (issue 14, item 5).

:func:`run_action` reads ``action.yml`` and runs every ``run:`` step's script with bash as GitHub
does (``bash --noprofile --norc -eo pipefail``), in ``GITHUB_WORKSPACE``, with the variables a
runner sets (``GITHUB_WORKSPACE``, ``GITHUB_ACTION_PATH``, ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` files, ``RUNNER_TEMP``, ``INPUT_*``...), ``${{ inputs.* }}``,
``${{ github.* }}`` and ``${{ steps.*.outputs.* }}`` substituted, ``if:`` conditions evaluated
and the action's outputs computed from its steps' outputs.

Stand-ins, because the network is not there: ``uses:`` steps (``actions/setup-python``) are
not run; the runner's ``python`` is a fresh virtual environment that sees this test
environment's packages (so the action's ``pip install`` finds geoverify's dependencies
installed, with ``PIP_NO_INDEX``), and the action's checkout is a copy of this working tree.
The install step really builds and installs geoverify from that copy, and the validate step
runs the installed ``geoverify``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from gv_validate_helpers import commit, copy_worktree, csv_text, fixed_rows, init_repo, make_row

yaml = pytest.importorskip("yaml")

pytestmark = pytest.mark.slow

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class StepRun:
    name: str
    status: str  # success, failure, skipped
    code: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    steps: list[StepRun]
    outputs: dict[str, str]
    summary: str

    @property
    def failed(self) -> bool:
        return any(s.status == "failure" for s in self.steps)

    def step(self, name: str) -> StepRun:
        return next(s for s in self.steps if s.name == name)


def _lookup(ctx: dict, path: str) -> str:
    node: object = ctx
    for part in path.split("."):
        if not isinstance(node, dict):
            return ""
        node = node.get(part, "")
    return "" if node is None else str(node)


def _substitute(text: str, ctx: dict) -> str:
    def one(m):
        expr = m.group(1)
        if not re.fullmatch(r"[A-Za-z_][\w.-]*", expr):
            raise AssertionError(f"expression the emulator does not know: {expr!r}")
        return _lookup(ctx, expr)
    return _EXPR.sub(one, text)


def _condition(expr: str, ctx: dict) -> bool:
    expr = _EXPR.sub(lambda m: m.group(1), expr).strip()
    m = re.fullmatch(r"([\w.-]+)\s*(==|!=)\s*'([^']*)'", expr)
    if m:
        equal = _lookup(ctx, m.group(1)) == m.group(3)
        return equal if m.group(2) == "==" else not equal
    if re.fullmatch(r"[\w.-]+", expr):
        return _lookup(ctx, expr) not in ("", "false", "0")
    raise AssertionError(f"if: the emulator does not know {expr!r}")


def _read_outputs(path: Path) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIM`` blocks, as the runner reads GITHUB_OUTPUT."""
    out: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1:j])
            i = j + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


def run_action(action_dir: Path, workspace: Path, runner_bin: Path, tmp: Path,
               **inputs: str) -> ActionRun:
    """Run ``action_dir/action.yml`` with ``inputs`` (names with ``_`` for ``-``)."""
    action = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    given = {k.replace("_", "-"): v for k, v in inputs.items()}
    unknown = set(given) - set(action["inputs"])
    assert not unknown, f"inputs the action does not declare: {unknown}"
    values = {k: str(spec.get("default", "")) for k, spec in action["inputs"].items()}
    values.update(given)
    temp = tmp / "runner-temp"
    temp.mkdir(parents=True, exist_ok=True)
    summary = tmp / "step-summary.md"
    summary.write_text("", encoding="utf-8")
    ctx: dict = {"inputs": values, "steps": {}, "runner": {"temp": str(temp), "os": "Linux"},
                 "github": {"action_path": str(action_dir), "workspace": str(workspace),
                            "event_name": "pull_request"}}
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_", "GV_", "GIT_", "VIRTUAL_ENV"))}
    base.update(
        PATH=f"{runner_bin}{os.pathsep}{base.get('PATH', '')}",
        CI="true", GITHUB_ACTIONS="true", RUNNER_OS="Linux", RUNNER_TEMP=str(temp),
        GITHUB_WORKSPACE=str(workspace), GITHUB_ACTION_PATH=str(action_dir),
        GITHUB_STEP_SUMMARY=str(summary), GITHUB_ENV=str(temp / "env"),
        GITHUB_PATH=str(temp / "path"), GITHUB_EVENT_NAME="pull_request",
        # stand-ins for the network: dependencies are already importable (see the module doc)
        PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1",
        **{f"INPUT_{k.upper().replace(' ', '_')}": v for k, v in values.items()})
    runs: list[StepRun] = []
    failed = False
    for n, step in enumerate(action["runs"]["steps"]):
        name = step.get("name") or step.get("id") or f"step {n}"
        cond = step.get("if", "success()")
        if cond in ("success()", "always()", "failure()"):
            wanted = {"success()": not failed, "always()": True, "failure()": failed}[cond]
        else:
            wanted = not failed and _condition(cond, ctx)
        if not wanted or "uses" in step:
            runs.append(StepRun(name, "skipped"))
            continue
        assert step.get("shell") == "bash", f"{name}: shell {step.get('shell')!r}"
        out_file = temp / f"output-{n}"
        out_file.write_text("", encoding="utf-8")
        env = dict(base, GITHUB_OUTPUT=str(out_file))
        env.update({k: _substitute(str(v), ctx) for k, v in (step.get("env") or {}).items()})
        script = temp / f"step-{n}.sh"
        script.write_text(_substitute(step["run"], ctx), encoding="utf-8")
        cwd = workspace / step.get("working-directory", ".")
        p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                           cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        outputs = _read_outputs(out_file)
        if step.get("id"):
            ctx["steps"][step["id"]] = {"outputs": outputs}
        status = "success" if p.returncode == 0 else "failure"
        failed = failed or p.returncode != 0
        runs.append(StepRun(name, status, p.returncode, p.stdout, p.stderr, outputs))
    outputs = {k: _substitute(str(spec["value"]), ctx)
               for k, spec in (action.get("outputs") or {}).items()}
    return ActionRun(runs, outputs, summary.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def action_dir(tmp_path_factory) -> Path:
    return copy_worktree(tmp_path_factory.mktemp("action") / "geoverify")


@pytest.fixture(scope="module")
def runner_bin(tmp_path_factory) -> Path:
    """The runner's ``python``: a bare virtual environment (as setup-python leaves one) that can
    import this environment's packages, so the install step needs no network."""
    venv = tmp_path_factory.mktemp("runner") / "python"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True).stdout
    here = sysconfig.get_paths()["purelib"]
    (Path(site.strip()) / "geoverify-test-dependencies.pth").write_text(here + "\n",
                                                                       encoding="utf-8")
    return venv / "bin"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """The dataset repository: data/ is clean, other/ has a row outside its claimed oblast."""
    repo = init_repo(tmp_path_factory.mktemp("workspace") / "dataset")
    (repo / "data").mkdir()
    (repo / "data" / "claims.csv").write_text(csv_text(fixed_rows()[:5]), encoding="utf-8")
    (repo / "other").mkdir()
    (repo / "other" / "claims.csv").write_text(csv_text(fixed_rows()[:4] + [make_row(
        "x1", "50.425192", "35.527879", claimed="Belgorod oblast")]), encoding="utf-8")
    commit(repo, "dataset")
    return repo


def _annotations(run: ActionRun) -> list[str]:
    return [line for line in run.step("Validate").stdout.splitlines() if line.startswith("::")]


@pytest.mark.parametrize("paths", [
    "data other",                             # one line
    "data\nother\n",                          # a YAML block (`paths: |`)
    "  data\r\n\r\n  other  \r\n",            # indented, a blank line, Windows line ends
])
def test_action__paths_on_one_line_or_many_are_all_checked(action_dir, runner_bin, workspace,
                                                            tmp_path, paths):
    run = run_action(action_dir, workspace, runner_bin, tmp_path, paths=paths)
    assert run.step("Set up Python").status == "skipped"  # a `uses:` step
    assert run.step("Install geoverify").status == "success", run.step("Install geoverify").stderr
    validate = run.step("Validate")
    assert validate.status == "failure" and validate.code == 1, validate.stderr
    annotations = _annotations(run)
    assert [a.split("::")[1].split(",")[0] for a in annotations] == [
        "error file=other/claims.csv"]
    assert "2 file(s)" in validate.stdout
    assert run.outputs == {"exit-code": "1"}
    assert run.summary.startswith("## geoverify validate")
    assert run.failed


def test_action__a_path_that_does_not_exist_fails_the_job(action_dir, runner_bin, workspace,
                                                         tmp_path):
    # data/ is clean: a job that checked only the first line went green
    run = run_action(action_dir, workspace, runner_bin, tmp_path, paths="data\nmissing-dir\n")
    validate = run.step("Validate")
    assert validate.code == 3 and run.failed, validate.stdout + validate.stderr
    assert "missing-dir: no such file or directory" in validate.stderr
    assert run.outputs == {"exit-code": "3"}


def test_action__default_paths_check_the_whole_workspace(action_dir, runner_bin, workspace,
                                                        tmp_path):
    run = run_action(action_dir, workspace, runner_bin, tmp_path, fail_on="never",
                     summary="false")
    validate = run.step("Validate")
    assert validate.status == "success", validate.stderr
    assert "2 file(s)" in validate.stdout and len(_annotations(run)) == 1
    assert run.outputs == {"exit-code": "0"} and run.summary == ""


def test_action__names_the_cache_geoverify_uses_with_a_key_of_its_version_and_data(
        action_dir, runner_bin, workspace, tmp_path):
    import hashlib

    import geoverify

    run = run_action(action_dir, workspace, runner_bin, tmp_path, fail_on="never",
                     summary="false")
    step = run.step("Name geoverify's cache")
    assert step.status == "success", step.stderr
    got = subprocess.run([str(runner_bin / "python"), "-c",
                          "from geoverify.io.cache import cache_dir; print(cache_dir())"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert step.outputs["dir"] == got
    data = hashlib.sha256((action_dir / "data" / "boundaries" / "manifest.json")
                          .read_bytes()).hexdigest()[:16]
    assert step.outputs["key"] == f"geoverify-Linux-{geoverify.__version__}-{data}"
    assert run.step("Keep geoverify's cache").status == "skipped"  # a `uses:` step
    assert run.step("Validate").status == "success"


def test_action__cache_false_skips_the_cache_steps(action_dir, runner_bin, workspace, tmp_path):
    run = run_action(action_dir, workspace, runner_bin, tmp_path, fail_on="never",
                     summary="false", cache="false")
    assert run.step("Name geoverify's cache").status == "skipped"
    assert run.step("Validate").status == "success"
