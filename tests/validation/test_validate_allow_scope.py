"""Allow-list bookkeeping speaks only of files that were checked (issue 14, item 4).

pre-commit passes only the staged files, and ``--since`` reports only changed rows: an allow
entry for a row of a file that was not checked (or not reported) is not "unused", and
following the advice to remove it must never block the next commit. The configuration is
named by its path relative to the repository."""

from __future__ import annotations

import json

import pytest
from gv_validate_helpers import commit, csv_text, fixed_rows, git, init_repo, make_row, run

#: r06 is in Sumy oblast, not the claimed Belgorod oblast: a claim-mismatch, allow-listed below
MISMATCH = make_row("r06", "50.425192", "35.527879", claimed="Belgorod oblast")

CLEAN_B = [make_row("b1", "50.450100", "30.523400"), make_row("b2", "49.993500", "36.230400"),
           make_row("b3", "46.482500", "30.723300")]

ALLOW = ('[[allow]]\nid = "r06"\ncode = "claim-mismatch"\n'
         'reason = "the MoD claim is the one being debunked"\n'
         '[[allow]]\nid = "k1"\ncode = "claim-mismatch"\nfile = "data/a.csv"\n'
         'reason = "same, with a file pattern"\n')


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """data/a.csv holds the allow-listed rows r06 and k1, data/b.csv is clean; committed."""
    r = init_repo(tmp_path / "dataset")
    (r / "data").mkdir()
    k1 = dict(MISMATCH, id="k1", clip="clip k1")
    (r / "data" / "a.csv").write_text(csv_text(fixed_rows()[:4] + [MISMATCH, k1]),
                                      encoding="utf-8")
    (r / "data" / "b.csv").write_text(csv_text(CLEAN_B), encoding="utf-8")
    (r / ".geoverify.toml").write_text(ALLOW, encoding="utf-8")
    commit(r, "dataset")
    monkeypatch.chdir(r)
    return r


def _report(result) -> dict:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_allow__entries_for_files_not_checked_are_not_unused(repo):
    # what pre-commit does when only b.csv is staged
    r = run("validate", "data/b.csv", "--format", "json")
    assert r.exit_code == 0, r.stdout
    assert _report(r)["allow_unused"] == []
    text = run("validate", "data/b.csv").stdout
    assert "unused allow entry" not in text and "remove it" not in text


def test_allow__following_the_advice_never_blocks_the_next_commit(repo):
    r = run("validate", "data/b.csv")
    advice = [line for line in r.stdout.splitlines() if "unused allow entry" in line]
    # do what it says ...
    cfg = (repo / ".geoverify.toml").read_text(encoding="utf-8")
    for line in advice:
        rid = line.split(" id ", 1)[1].split()[0]
        blocks = cfg.split("[[allow]]")
        cfg = "[[allow]]".join(b for b in blocks if f'id = "{rid}"' not in b)
    (repo / ".geoverify.toml").write_text(cfg, encoding="utf-8")
    git(repo, "commit", "-q", "--allow-empty", "-am", "remove the entries geoverify called unused")
    # ... and the next commit, touching a.csv, must still pass
    with (repo / "data" / "a.csv").open("a", encoding="utf-8") as fh:
        fh.write(csv_text([make_row("a9", "50.450100", "30.523400")]).split("\n", 1)[1])
    r = run("validate", "data/a.csv")
    assert r.exit_code == 0, r.stdout


def test_allow__a_stale_entry_is_reported_when_its_files_were_all_checked(repo):
    rows = fixed_rows()[:4] + [dict(MISMATCH, lat="50.595400", lon="36.587300"),
                               dict(MISMATCH, id="k1", clip="clip k1")]
    (repo / "data" / "a.csv").write_text(csv_text(rows), encoding="utf-8")  # r06 fixed
    commit(repo, "fix r06")
    # a partial run cannot tell (b.csv might hold a row r06) ...
    assert _report(run("validate", "data/a.csv", "--format", "json"))["allow_unused"] == []
    # ... a run over the dataset can, and names the configuration relative to the repository
    for args in (["data"], ["data/a.csv", "data/b.csv"], ["."]):
        rep = _report(run("validate", *args, "--format", "json"))
        assert rep["allow_unused"] == [{
            "config": ".geoverify.toml", "id": "r06", "code": "claim-mismatch",
            "file": None, "reason": "the MoD claim is the one being debunked"}], args
    text = run("validate", "data").stdout
    assert ("unused allow entry in .geoverify.toml: id r06 claim-mismatch (no such finding any "
            "more; remove it)") in text
    assert str(repo) not in text


def test_allow__a_file_pattern_entry_is_judged_on_its_own_files(repo):
    rows = fixed_rows()[:4] + [MISMATCH, dict(MISMATCH, id="k1", clip="clip k1",
                                              lat="50.595400", lon="36.587300")]
    (repo / "data" / "a.csv").write_text(csv_text(rows), encoding="utf-8")  # k1 fixed
    commit(repo, "fix k1")
    rep = _report(run("validate", "data/a.csv", "--format", "json"))
    # k1's entry applies to data/a.csv only, which was checked: it is unused
    assert [(a["id"], a["file"]) for a in rep["allow_unused"]] == [("k1", "data/a.csv")]


def test_allow__since_keeps_entries_of_unchanged_rows(repo):
    with (repo / "data" / "b.csv").open("a", encoding="utf-8") as fh:
        fh.write(csv_text([make_row("b9", "50.450100", "30.523400")]).split("\n", 1)[1])
    commit(repo, "add b9")
    rep = _report(run("validate", "data", "--since", "HEAD~1", "--format", "json"))
    # r06 and k1 did not change, so their findings are not reported, but they still exist
    assert rep["allow_unused"] == []
    assert rep["findings"] == []
