"""End to end: a dataset kept in a throwaway git repository, guarded by ``geoverify validate``
as CI would run it (CLI, JSON report, exit codes, baseline, ``--since``)."""

from __future__ import annotations

import json

import pytest
from gv_validate_helpers import (
    SEEDED,
    commit,
    csv_text,
    fixed_rows,
    git,
    init_repo,
    make_row,
    run,
    seeded_rows,
)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repository holding data/claims.csv with one instance of every finding, committed."""
    r = init_repo(tmp_path / "dataset")
    (r / "data").mkdir()
    (r / "data" / "claims.csv").write_text(csv_text(seeded_rows()), encoding="utf-8")
    (r / "README.md").write_text("a dataset\n", encoding="utf-8")
    commit(r, "add the dataset")
    monkeypatch.chdir(r)
    return r


def report_of(result) -> dict:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_validate__finds_every_seeded_finding_with_row_and_severity(repo):
    r = run("validate", "data", "--format", "json")
    assert r.exit_code == 1, r.stderr
    rep = report_of(r)
    got = sorted((f["row"], f["code"], f["severity"]) for f in rep["findings"])
    assert got == sorted(SEEDED)
    assert {f["file"] for f in rep["findings"]} == {"data/claims.csv"}
    assert all(f["status"] == "new" for f in rep["findings"])
    # one header line and no multi-line cells: the physical line is row + 1
    assert all(f["line"] == f["row"] + 1 for f in rep["findings"])
    # every code of the issue is seeded once
    assert len({code for _, code, _ in SEEDED}) == len(SEEDED) == 15
    assert "1 new finding" not in r.stderr and "10 new finding(s) at or above --fail-on error" in r.stderr


def test_validate__finding_details_name_field_value_and_distance(repo):
    rep = report_of(run("validate", "data/claims.csv", "--format", "json"))
    by = {(f["row"], f["code"]): f for f in rep["findings"]}
    mismatch = by[(6, "claim-mismatch")]
    assert mismatch["field"] == "claimed" and mismatch["value"] == "Belgorod oblast"
    assert mismatch["column"] == len("r06,clip r06,00:00:05,50.425192,35.527879,") + 1
    assert 3000 < mismatch["data"]["distance_to_claimed_m"] < 4500
    assert "km outside the claimed Belgorod Oblast (RU-BEL)" in mismatch["message"]
    assert "Sumy Oblast" in mismatch["message"]
    assert by[(17, "invalid-date")]["value"] == "1527"
    assert by[(19, "invalid-url")]["value"] == "javascript:alert(1)"
    assert by[(13, "latlon-swapped")]["field"] == "lat"
    assert by[(15, "duplicate-row")]["data"]["first_row"] == 1
    assert by[(16, "conflicting-location")]["data"]["other_row"] == 2
    assert by[(15, "duplicate-row")]["key"] == "r01#2"


def test_validate__fixed_dataset_exits_0(repo):
    (repo / "data" / "claims.csv").write_text(csv_text(fixed_rows()), encoding="utf-8")
    commit(repo, "fix every row")
    r = run("validate", "data", "--format", "json")
    assert r.exit_code == 0, r.stdout
    assert report_of(r)["findings"] == []


def test_validate__baseline_passes_until_a_new_bad_row_is_committed(repo):
    r = run("validate", "data", "--write-baseline", ".geoverify-baseline.json")
    assert r.exit_code == 0, r.stderr
    assert "wrote the baseline" in r.stderr
    doc = json.loads((repo / ".geoverify-baseline.json").read_text(encoding="utf-8"))
    assert len(doc["findings_index"]) == len(SEEDED)
    assert doc["boundaries"] and all(len(b["sha256"]) == 64 for b in doc["boundaries"])
    commit(repo, "record the baseline")

    r = run("validate", "data", "--baseline", ".geoverify-baseline.json", "--format", "json")
    assert r.exit_code == 0, r.stdout
    rep = report_of(r)
    assert {f["status"] for f in rep["findings"]} == {"baselined"}
    assert rep["summary"]["by_status"]["baselined"] == len(SEEDED)

    # a new row above the others shifts every row number: identities keep the baseline valid
    rows = seeded_rows()
    bad = make_row("r21", "50.425192", "35.527879", claimed="Belgorod oblast")
    text = csv_text([bad, *rows])
    (repo / "data" / "claims.csv").write_text(text, encoding="utf-8")
    commit(repo, "add r21")
    r = run("validate", "data", "--baseline", ".geoverify-baseline.json", "--format", "json")
    assert r.exit_code == 1
    rep = report_of(r)
    new = [f for f in rep["findings"] if f["status"] == "new"]
    assert [(f["key"], f["row"], f["code"]) for f in new] == [("r21", 1, "claim-mismatch")]
    assert sum(f["status"] == "baselined" for f in rep["findings"]) == len(SEEDED)


def test_validate__since_reports_only_the_new_row(repo):
    rows = seeded_rows()
    rows.insert(3, make_row("r21", "50.425192", "35.527879", claimed="Belgorod oblast"))
    (repo / "data" / "claims.csv").write_text(csv_text(rows), encoding="utf-8")
    commit(repo, "add r21")
    r = run("validate", "data", "--since", "HEAD~1", "--format", "json")
    assert r.exit_code == 1
    rep = report_of(r)
    assert [(f["key"], f["row"], f["line"], f["code"]) for f in rep["findings"]] == [
        ("r21", 4, 5, "claim-mismatch")]
    since = rep["summary"]["changes"]["since"]
    assert since["ref"] == "HEAD~1"
    assert (since["new_rows"], since["changed_rows"], since["removed_rows"]) == (1, 0, 0)
    # against the commit itself nothing is new
    r = run("validate", "data", "--since", "HEAD", "--format", "json")
    assert r.exit_code == 0 and report_of(r)["findings"] == []


def test_validate__since_counts_frames_that_changed_oblast(repo):
    rows = seeded_rows()
    rows[0].update(lat="50.907700", lon="34.798100")   # r01 moves from Kyiv to Sumy
    rows[14].update(lat="50.907700", lon="34.798100")  # and so does its repeat
    rows[2].update(lat="50.425192", lon="35.527879")   # r03 moves into Sumy oblast
    (repo / "data" / "claims.csv").write_text(csv_text(rows), encoding="utf-8")
    commit(repo, "move three frames")
    r = run("validate", "data", "--since", "main~1", "--format", "json")
    rep = report_of(r)
    changed = [f for f in rep["findings"] if f["code"] == "verdict-changed"]
    assert sorted(f["key"] for f in changed) == ["r01", "r01#2", "r03"]
    assert rep["summary"]["changes"]["since"]["region_changed"] == 3
    assert "3 frame(s) changed oblast" in rep["summary"]["headline"]
    assert r.exit_code == 1  # r03 now contradicts its claim
    # changed rows carry all their findings (the repeat is still a repeat); unchanged rows none
    assert {(f["key"], f["code"]) for f in rep["findings"] if f["code"] != "verdict-changed"} == {
        ("r03", "claim-mismatch"), ("r01#2", "duplicate-row")}
    text = run("validate", "data", "--since", "main~1").stdout
    assert "3 frame(s) changed oblast" in text


def test_validate__baseline_reports_a_boundary_update(repo):
    assert run("validate", "data", "--write-baseline", "base.json").exit_code == 0
    doc = json.loads((repo / "base.json").read_text(encoding="utf-8"))
    doc["boundaries"][0]["sha256"] = "0" * 64
    # as if row 1 had been in another region under the old boundaries
    doc["files"]["data/claims.csv"]["rows"]["r01"]["adm1"] = "UA-32"
    (repo / "base.json").write_text(json.dumps(doc), encoding="utf-8")
    r = run("validate", "data", "--baseline", "base.json", "--format", "json")
    assert r.exit_code == 0
    rep = report_of(r)
    assert rep["baseline"]["boundaries_changed"][0]["was"] == "0" * 64
    notes = [f for f in rep["findings"] if f["code"] == "verdict-changed"]
    assert [(f["key"], f["severity"]) for f in notes] == [("r01", "info")]
    assert "boundary layers changed since the baseline" in rep["summary"]["headline"]
    md = run("validate", "data", "--baseline", "base.json", "--format", "markdown").stdout
    assert "changed since the baseline" in md


def test_validate__baseline_file_is_not_read_as_a_dataset(repo):
    # the baseline is JSON, in the searched tree: it must not be taken for a claims file
    assert run("validate", ".", "--write-baseline", "data/known.json").exit_code == 0
    r = run("validate", ".", "--baseline", "data/known.json", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert [f["path"] for f in report_of(r)["files"]] == ["data/claims.csv"]


def test_validate__git_history_is_untouched(repo):
    before = git(repo, "rev-parse", "HEAD")
    run("validate", "data", "--since", "HEAD")
    assert git(repo, "rev-parse", "HEAD") == before
    assert git(repo, "status", "--porcelain") == ""


def test_validate__since_reports_a_repeat_inserted_above_its_original(repo):
    rows = seeded_rows()
    rows.insert(0, dict(rows[3]))  # r04 again, at the top: the later copy is the old row
    (repo / "data" / "claims.csv").write_text(csv_text(rows), encoding="utf-8")
    commit(repo, "paste r04 at the top")
    rep = report_of(run("validate", "data", "--since", "HEAD~1", "--format", "json"))
    assert [(f["key"], f["code"], f["data"]["first_row"]) for f in rep["findings"]] == [
        ("r04#2", "duplicate-row", 1)]
