"""Exit codes of ``geoverify validate``: 0 ok, 1 findings at or above --fail-on, 2 usage error,
3 cannot run. A crash never looks like a finding, nor a finding like a crash."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from gv_validate_helpers import commit, csv_text, fixed_rows, init_repo, make_row, run

NEAR_ONLY = "near.csv"


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(csv_text(fixed_rows()[:5]), encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text(fixed_rows()[:5] + [
        make_row("x1", "50.425192", "35.527879", claimed="Belgorod oblast")]), encoding="utf-8")
    warn = tmp_path / "warn.csv"
    warn.write_text(csv_text(fixed_rows()[:5] + [
        make_row("x2", "50.450100", "30.523400", source="")]), encoding="utf-8")
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is not a workbook")
    return {"good": good, "bad": bad, "warn": warn, "corrupt": corrupt, "dir": tmp_path}


def test_exit__0_when_nothing_reaches_fail_on(files):
    r = run("validate", str(files["good"]))
    assert r.exit_code == 0, r.output
    assert "0 error(s), 0 warning(s)" in r.stdout


def test_exit__1_on_an_error_finding(files):
    r = run("validate", str(files["bad"]))
    assert r.exit_code == 1
    assert "claim-mismatch" in r.stdout
    assert "1 new finding(s) at or above --fail-on error" in r.stderr


@pytest.mark.parametrize("fail_on, code", [("error", 0), ("warning", 1), ("never", 0)])
def test_exit__fail_on_speaks_in_severities(files, fail_on, code):
    assert run("validate", str(files["warn"]), "--fail-on", fail_on).exit_code == code
    expected_bad = 0 if fail_on == "never" else 1
    assert run("validate", str(files["bad"]), "--fail-on", fail_on).exit_code == expected_bad


@pytest.mark.parametrize("args, words", [
    (["--bogus"], "No such option"),
    ([], "Missing argument"),
    (["--format", "xml"], "Invalid value for '-f' / '--format'"),
    (["--fail-on", "mismatch"], "Invalid value for '--fail-on'"),
])
def test_exit__2_on_usage_errors(files, args, words):
    paths = [] if args == [] else [str(files["good"])]
    r = run("validate", *args, *paths)
    assert r.exit_code == 2
    assert words in r.stderr


def test_exit__2_when_a_baseline_would_miss_rows(files):
    r = run("validate", str(files["good"]), "--since", "HEAD", "--write-baseline", "b.json")
    assert r.exit_code == 2 and "cannot be combined with --since" in r.stderr


def test_exit__2_when_the_output_exists_without_overwrite(files):
    out = files["dir"] / "out.txt"
    out.write_text("keep me", encoding="utf-8")
    r = run("validate", str(files["bad"]), "-o", str(out))
    assert r.exit_code == 2 and "--overwrite" in r.stderr
    assert out.read_text(encoding="utf-8") == "keep me"


def test_exit__3_on_a_corrupt_file_even_next_to_findings(files):
    r = run("validate", str(files["bad"]), str(files["corrupt"]), "--format", "json")
    assert r.exit_code == 3
    rep = json.loads(r.stdout)
    # the other file was still checked, and its finding reported as a finding
    assert [f["code"] for f in rep["findings"]] == ["claim-mismatch"]
    # the corrupt file is an error, not a finding
    assert [e["file"].endswith("corrupt.xlsx") for e in rep["errors"]] == [True]
    assert "corrupt.xlsx" in r.stderr and "geoverify: error:" in r.stderr


def test_exit__3_on_a_missing_path_and_an_empty_directory(files, tmp_path):
    r = run("validate", str(tmp_path / "nope.csv"))
    assert r.exit_code == 3 and "no such file or directory" in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a claims file", encoding="utf-8")
    r = run("validate", str(empty))
    assert r.exit_code == 3 and "no claims files" in r.stderr


@pytest.mark.parametrize("text, words", [
    ("[tool.geoverify\n", "not valid TOML"),
    ("[tool.geoverify]\nmin-dat = '2000-01-01'\n", "unknown setting 'min-dat'"),
    ("[tool.geoverify.severity]\nnear-boarder = 'error'\n", "unknown finding code 'near-boarder'"),
    ("[tool.geoverify.severity]\nnear-border = 'fatal'\n", "use error, warning, info or off"),
    ("[[tool.geoverify.allow]]\nid = 'r1'\ncode = 'claim-mismatch'\n", "needs a reason"),
    ("[tool.geoverify]\nmin_date = 'last year'\n", "is not a date"),
    ("[tool.geoverify]\ncolumns = {lat = 'Breite'}\n", "does not have"),
])
def test_exit__3_on_a_bad_configuration(files, text, words):
    (files["dir"] / "pyproject.toml").write_text(text, encoding="utf-8")
    r = run("validate", str(files["good"]))
    assert r.exit_code == 3, r.output
    assert words in r.stderr and "pyproject.toml" in r.stderr


def test_exit__3_on_a_missing_config_or_baseline(files):
    r = run("validate", str(files["good"]), "--config", str(files["dir"] / "none.toml"))
    assert r.exit_code == 3 and "no such file" in r.stderr
    r = run("validate", str(files["good"]), "--baseline", str(files["dir"] / "none.json"))
    assert r.exit_code == 3 and "write one with --write-baseline" in r.stderr
    (files["dir"] / "fake.json").write_text('{"findings": []}', encoding="utf-8")
    r = run("validate", str(files["good"]), "--baseline", str(files["dir"] / "fake.json"))
    assert r.exit_code == 3 and "not a geoverify baseline" in r.stderr


def test_exit__3_on_an_unknown_git_ref_or_no_repository(files, tmp_path):
    r = run("validate", str(files["good"]), "--since", "main")
    assert r.exit_code == 3 and "not in a git repository" in r.stderr
    repo = init_repo(tmp_path / "repo")
    (repo / "c.csv").write_text(csv_text(fixed_rows()[:3]), encoding="utf-8")
    commit(repo, "one")
    r = run("validate", str(repo / "c.csv"), "--since", "no-such-branch")
    assert r.exit_code == 3 and "no such commit" in r.stderr
    r = run("validate", str(repo / "c.csv"), "--since", "--upload-pack=evil")
    assert r.exit_code == 3 and "not a git ref" in r.stderr


def test_exit__3_on_an_internal_error_not_1(files, monkeypatch):
    import geoverify.validation.validation as v

    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(v, "validate", broken)
    r = run("validate", str(files["good"]))
    assert r.exit_code == 3
    assert "internal error" in r.stderr and "boom" in r.stderr


def test_exit__python_dash_m_geoverify_validate(files):
    out = subprocess.run([sys.executable, "-m", "geoverify", "validate", str(files["bad"]),
                          "--format", "json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["summary"]["by_code"] == {"claim-mismatch": 1}
