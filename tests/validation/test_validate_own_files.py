"""geoverify's own files (baseline, configuration, reports) are never read as claims, even when
they are named on the command line, as pre-commit names every staged file (issue 14, item 3);
and the pre-commit hook leaves them out in the first place."""

from __future__ import annotations

import json
import re

import pytest
from gv_validate_helpers import ROOT, commit, csv_text, fixed_rows, init_repo, make_row, run

from geoverify.io.dataset import CLAIMS_SUFFIXES

yaml = pytest.importorskip("yaml")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A dataset repository with one clean claims file, committed; the working directory."""
    r = init_repo(tmp_path / "dataset")
    (r / "data").mkdir()
    (r / "data" / "claims.csv").write_text(csv_text(fixed_rows()[:5]), encoding="utf-8")
    commit(r, "data")
    monkeypatch.chdir(r)
    return r


def _report(result) -> dict:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_validate__named_baseline_is_skipped_not_read_as_claims(repo):
    # issue 14, item 3: pre-commit passes .geoverify-baseline.json, and it was read as
    # claims (exit 3, "could not be checked"), blocking the commit
    assert run("validate", "data", "--write-baseline", ".geoverify-baseline.json").exit_code == 0
    r = run("validate", ".geoverify-baseline.json", "data/claims.csv", "--format", "json")
    assert r.exit_code == 0, r.stdout + r.stderr
    rep = _report(r)
    assert [f["path"] for f in rep["files"]] == ["data/claims.csv"]
    assert rep["errors"] == []
    assert rep["skipped"] == [{"path": ".geoverify-baseline.json",
                               "reason": "a geoverify baseline, not a claims file"}]
    text = run("validate", ".geoverify-baseline.json", "data/claims.csv").stdout
    assert "skipped .geoverify-baseline.json: a geoverify baseline, not a claims file" in text


@pytest.mark.parametrize("args, name, reason", [
    (["--format", "json"], "reports/validate.json", "a geoverify report"),
    (["--format", "sarif"], "geoverify.sarif.json", "a SARIF report"),
    (["--format", "sarif"], "geoverify.sarif", "a SARIF report"),
])
def test_validate__named_reports_are_skipped(repo, args, name, reason):
    (repo / "reports").mkdir()
    assert run("validate", "data", *args, "-o", name).exit_code == 0
    r = run("validate", name, "data/claims.csv", "--format", "json")
    assert r.exit_code == 0, r.stdout + r.stderr
    rep = _report(r)
    assert [f["path"] for f in rep["files"]] == ["data/claims.csv"]
    assert rep["skipped"] == [{"path": name, "reason": f"{reason}, not a claims file"}]


def test_validate__named_check_reports_and_configuration_are_skipped(repo):
    for fmt, name in (("json", "out/check.json"), ("geojson", "out/check.geojson")):
        (repo / "out").mkdir(exist_ok=True)
        r = run("check", "data/claims.csv", "--format", fmt, "-o", name)
        assert r.exit_code in (0, 1), r.stderr
    (repo / ".geoverify.toml").write_text('min_date = "2014-01-01"\n', encoding="utf-8")
    r = run("validate", "out/check.json", "out/check.geojson", ".geoverify.toml",
            "data/claims.csv", "--format", "json")
    assert r.exit_code == 0, r.stdout + r.stderr
    rep = _report(r)
    assert [f["path"] for f in rep["files"]] == ["data/claims.csv"]
    assert [(s["path"], s["reason"]) for s in rep["skipped"]] == [
        ("out/check.json", "a geoverify report, not a claims file"),
        ("out/check.geojson", "a geoverify report, not a claims file"),
        (".geoverify.toml", "a geoverify configuration file, not a claims file")]


def test_validate__a_claims_json_that_mentions_geoverify_is_still_read(repo):
    # only the first keys of the document mark a geoverify file: a claims file whose rows
    # carry such names deeper down is still checked
    rows = [{"id": "j1", "lat": "50.4501", "lon": "30.5234", "claimed": "Ukraine",
             "source": "https://example.org/v/j1", "geoverify_version": "0.1.0",
             "geoverify_baseline": 1}]
    (repo / "data" / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
    rep = _report(run("validate", "data/rows.json", "--format", "json"))
    assert [f["path"] for f in rep["files"]] == ["data/rows.json"] and rep["skipped"] == []


def test_validate__force_exclude_skips_named_files_a_search_would_skip(repo):
    (repo / "data" / "README.md").write_text("# about the data\n", encoding="utf-8")
    (repo / "data" / "drafts").mkdir()
    (repo / "data" / "drafts" / "wip.csv").write_text(
        csv_text([make_row("w1", "0", "0")]), encoding="utf-8")
    (repo / ".geoverify.toml").write_text('exclude = ["data/drafts/*"]\n', encoding="utf-8")
    named = ["data/README.md", "data/drafts/wip.csv", "data/claims.csv"]
    # named files are read as given ...
    assert run("validate", *named).exit_code != 0
    # ... unless --force-exclude (the pre-commit hook's entry) applies the search's rules
    r = run("validate", "--force-exclude", *named, "--format", "json")
    assert r.exit_code == 0, r.stdout + r.stderr
    rep = _report(r)
    assert [f["path"] for f in rep["files"]] == ["data/claims.csv"]
    assert [(s["path"], s["reason"]) for s in rep["skipped"]] == [
        ("data/README.md", "not a claims file (.md)"),
        ("data/drafts/wip.csv", "excluded by data/drafts/* in .geoverify.toml")]


def test_validate__only_own_files_named_checks_nothing_and_passes(repo):
    assert run("validate", "data", "--write-baseline", ".geoverify-baseline.json").exit_code == 0
    r = run("validate", ".geoverify-baseline.json")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "0 file(s), 0 row(s)" in r.stdout


@pytest.fixture(scope="module")
def hook():
    (h,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return h


@pytest.mark.parametrize("path", [
    ".geoverify-baseline.json", "data/.geoverify-baseline.json", ".geoverify.toml",
    "geoverify.sarif.json", "reports/geoverify.sarif.json", ".vscode/settings.json",
    "node_modules/pkg/package.json", ".venv/lib/site.json", "data/.hidden.csv",
])
def test_pre_commit_hook__leaves_out_geoverify_and_hidden_files(hook, path):
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])
    assert not (files.search(path) and not exclude.search(path)), path


@pytest.mark.parametrize("path", [f"data/claims{s}" for s in CLAIMS_SUFFIXES]
                         + ["claims.csv", "data/2023/kharkiv.geojson", "sarif-notes.csv"])
def test_pre_commit_hook__passes_claims_files(hook, path):
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])
    assert files.search(path) and not exclude.search(path), path


def test_pre_commit_hook__entry_applies_exclusions_to_the_files_it_is_given(hook):
    # a configuration's `files: ^data/` replaces the hook's pattern: geoverify itself must then
    # skip README.md and excluded files, and users' `args:` must not drop that
    assert hook["entry"] == "geoverify validate --force-exclude"
    assert "args" not in hook


def test_docs__the_force_exclude_command_of_validate_md_works(repo):
    doc = (ROOT / "docs" / "VALIDATE.md").read_text(encoding="utf-8")
    (line,) = [x for x in doc.splitlines() if x.startswith("geoverify validate --force-exclude")]
    assert run("validate", "data", "--write-baseline", ".geoverify-baseline.json").exit_code == 0
    (repo / "data" / "README.md").write_text("# about the data\n", encoding="utf-8")
    r = run(*line.split()[1:], "--format", "json")
    assert r.exit_code == 0, r.stdout + r.stderr
    rep = _report(r)
    assert [f["path"] for f in rep["files"]] == ["data/claims.csv"]
    assert [s["path"] for s in rep["skipped"]] == ["data/README.md", ".geoverify-baseline.json"]
