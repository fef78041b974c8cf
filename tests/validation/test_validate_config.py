"""Configuration of ``validate``: where it is found, column mapping, severities, thresholds,
allow-list and exclusions, in .geoverify.toml, pyproject.toml and setup.cfg."""

from __future__ import annotations

import json

import pytest
from gv_validate_helpers import csv_text, fixed_rows, init_repo, make_row, run

from geoverify.errors import ClaimsFileError, ConfigError
from geoverify.io.dataset import display_path
from geoverify.validation.settings import (
    ValidateSettings,
    find_config,
    read_config,
    settings_from_mapping,
)
from geoverify.validation.validation import validate

NEAR = make_row("n1", "50.420067", "35.584381", claimed="Belgorod oblast")   # ~60 m from UA
OLD = make_row("d1", "50.450100", "30.523400", date="2019-06-01")


def codes(result) -> list[tuple[str, str]]:
    return sorted((f.key or "", f.code) for f in result.findings if f.status == "new")


@pytest.fixture
def repo(tmp_path):
    r = init_repo(tmp_path / "repo")
    (r / "data" / "sub").mkdir(parents=True)
    (r / "data" / "sub" / "claims.csv").write_text(
        csv_text(fixed_rows()[:5] + [NEAR, OLD]), encoding="utf-8")
    return r


CLAIMS = "data/sub/claims.csv"


@pytest.mark.parametrize("name, text", [
    (".geoverify.toml", 'min_date = "2020-01-01"\n[severity]\nnear-border = "error"\n'),
    (".geoverify.toml", '[tool.geoverify]\nmin_date = "2020-01-01"\n'
                        '[tool.geoverify.severity]\nnear-border = "error"\n'),
    ("pyproject.toml", '[project]\nname = "x"\n[tool.geoverify]\nmin-date = "2020-01-01"\n'
                       '[tool.geoverify.severity]\nnear-border = "error"\n'),
    ("setup.cfg", "[metadata]\nname = x\n[tool:geoverify]\nmin_date = 2020-01-01\n"
                  "severity = near-border = error\n"),
    ("setup.cfg", "[geoverify]\nmin_date = 2020-01-01\nseverity =\n    near-border: error\n"),
])
def test_find_config__from_the_dataset_directory_upward(repo, name, text):
    before = validate([repo / CLAIMS])
    assert ("n1", "near-border") in codes(before) and ("d1", "invalid-date") not in codes(before)
    assert next(f for f in before.findings if f.code == "near-border").severity == "warning"
    (repo / name).write_text(text, encoding="utf-8")
    after = validate([repo / CLAIMS])
    assert ("d1", "invalid-date") in codes(after)
    assert next(f for f in after.findings if f.code == "near-border").severity == "error"
    assert after.files[0].config == name  # relative to the repository, as reports show paths
    assert run("validate", str(repo / CLAIMS)).exit_code == 1


def test_find_config__nearest_wins_and_the_search_stops_at_the_repository(repo, tmp_path):
    (tmp_path / ".geoverify.toml").write_text('min_date = "2020-01-01"\n', encoding="utf-8")
    assert find_config(repo / CLAIMS).source is None  # above .git: not this dataset's
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert find_config(repo / CLAIMS).source is None  # no [tool.geoverify]: skipped
    (repo / ".geoverify.toml").write_text('min_date = "2000-01-01"\n', encoding="utf-8")
    (repo / "data" / ".geoverify.toml").write_text('min_date = "2021-01-01"\n', encoding="utf-8")
    s = find_config(repo / CLAIMS)
    assert s.source == str(repo / "data" / ".geoverify.toml")
    assert str(s.min_date) == "2021-01-01"


def test_config__explicit_file_overrides_discovery(repo, tmp_path):
    (repo / ".geoverify.toml").write_text('min_date = "2020-01-01"\n', encoding="utf-8")
    other = tmp_path / "ci.toml"
    other.write_text('[tool.geoverify.severity]\ninvalid-date = "off"\nnear-border = "off"\n',
                     encoding="utf-8")
    r = run("validate", str(repo / CLAIMS), "--config", str(other), "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["findings"] == []


def test_config__columns_mapping_renames_before_check(tmp_path):
    rows = [{"Nr": r["id"], "Breite": r["lat"], "Länge": r["lon"], "Behauptet": r["claimed"],
             "Quelle": r["source"], "Datum": r["date"], "lat": "0"} for r in fixed_rows()[:5]]
    rows.append({"Nr": "m1", "Breite": "50.425192", "Länge": "35.527879",
                 "Behauptet": "Belgorod oblast", "Quelle": "https://example.org/m1",
                 "Datum": "2023-01-01", "lat": "0"})
    path = tmp_path / "de.csv"
    path.write_text(csv_text(rows, header=list(rows[0])), encoding="utf-8")
    cfg = {"columns": {"id": "Nr", "lat": "Breite", "lon": "Länge", "claimed": "Behauptet",
                       "source": "Quelle", "date": "Datum"}}
    result = validate([path], config=cfg)
    assert codes(result) == [("m1", "claim-mismatch")]
    f = result.findings[0]
    assert f.field == "Behauptet" and f.line == 7
    assert f.column == len("m1,50.425192,35.527879,") + 1
    # without the mapping there is no lon column: the file is refused, saying what it has
    # (it used to pass with every row unlocated)
    with pytest.raises(ClaimsFileError, match=r"a lat column but no lon column.*'Breite', "
                                              r"'Länge'.*--columns lon=<column>"):
        validate([path])


def test_config__severity_off_drops_the_code_and_is_listed(repo):
    s = settings_from_mapping({"severity": {"near-border": "off", "invalid-date": "info"},
                               "min_date": "2020-01-01"})
    result = validate([repo / CLAIMS], config=s)
    assert [(f.key, f.code, f.severity) for f in result.findings] == [("d1", "invalid-date", "info")]
    assert result.failing("warning") == []
    checks = result.to_dict()["files"][0]["checks"]
    assert checks["near-border"] == {"severity": "off", "findings": 0}


def test_config__min_date_and_require_url(tmp_path):
    rows = fixed_rows()[:5] + [make_row("p1", "50.450100", "30.523400", source="Atlas News SITREP",
                                        date="1995-03-01")]
    path = tmp_path / "c.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    assert codes(validate([path])) == [("p1", "invalid-url")]
    relaxed = {"require_url": False, "min_date": "2000-01-01"}
    assert codes(validate([path], config=relaxed)) == [("p1", "invalid-date")]


def test_config__allow_list_by_id_by_hash_and_by_file(tmp_path):
    rows = fixed_rows()[:5] + [make_row("r42", "50.425192", "35.527879", claimed="Belgorod oblast")]
    no_id = {k: v for k, v in rows[-1].items() if k != "id"}
    (tmp_path / "a.csv").write_text(csv_text(rows), encoding="utf-8")
    (tmp_path / "b.csv").write_text(csv_text(rows), encoding="utf-8")
    (tmp_path / "c.csv").write_text(csv_text([{k: v for k, v in r.items() if k != "id"}
                                              for r in fixed_rows()[:5]] + [no_id],
                                             header=[h for h in rows[0] if h != "id"]),
                                    encoding="utf-8")
    first = validate([tmp_path / "c.csv"])
    hashed = first.findings[0].key
    assert hashed.startswith("sha256:") and len(hashed) == len("sha256:") + 16
    cfg = tmp_path / ".geoverify.toml"
    cfg.write_text(
        '[[allow]]\nid = "r42"\ncode = "claim-mismatch"\nfile = "a.csv"\n'
        'reason = "MoD claim; the point is right"\n'
        f'[[allow]]\nid = "{hashed}"\ncode = "*"\nreason = "known"\n'
        '[[allow]]\nid = "gone"\ncode = "invalid-url"\nreason = "fixed long ago"\n',
        encoding="utf-8")
    result = validate([tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"])
    status = sorted((f.file.split("/")[-1], f.status, f.reason) for f in result.findings)
    assert status == [("a.csv", "allowed", "MoD claim; the point is right"),
                      ("b.csv", "new", None), ("c.csv", "allowed", "known")]
    assert [a["id"] for a in result.allow_unused] == ["gone"]
    assert len(result.failing("error")) == 1
    text = run("validate", *(str(tmp_path / n) for n in ("a.csv", "b.csv", "c.csv"))).stdout
    assert "unused allow entry" in text and "id gone" in text
    # b.csv not checked: it might hold a row "gone", so the entry is not called unused
    text = run("validate", str(tmp_path / "a.csv"), str(tmp_path / "c.csv")).stdout
    assert "unused allow entry" not in text


def test_config__exclude_patterns_skip_files_in_directories(tmp_path):
    (tmp_path / "keep.csv").write_text(csv_text(fixed_rows()[:3]), encoding="utf-8")
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "wip.csv").write_text("broken,\n\"", encoding="utf-8")
    (tmp_path / "package.json").write_text('{"name": "x"}', encoding="utf-8")
    (tmp_path / ".geoverify.toml").write_text('exclude = ["drafts/*", "package.json"]\n',
                                             encoding="utf-8")
    result = validate([tmp_path])
    assert [fr.path.split("/")[-1] for fr in result.files] == ["keep.csv"]


def test_config__ini_allow_lines_and_columns(tmp_path):
    (tmp_path / "setup.cfg").write_text(
        "[tool:geoverify]\ncolumns =\n    claimed = Claim\nallow =\n"
        "    r42 claim-mismatch the publisher's claim is what we debunk\n", encoding="utf-8")
    s = read_config(tmp_path / "setup.cfg")
    assert s.columns == {"claimed": "Claim"}
    assert s.allow[0].id == "r42" and s.allow[0].reason == "the publisher's claim is what we debunk"


@pytest.mark.parametrize("mapping, words", [
    ({"columns": {"latitude": "Y"}}, "unknown role"),
    ({"columns": {"lat": "A", "lon": "A"}}, "mapped to two roles"),
    ({"precise_decimals": 1}, "must be below"),
    ({"conflict_tolerance_m": -5}, "non-negative"),
    ({"allow": [{"id": "x", "code": "not-a-code", "reason": "r"}]}, "not a finding code"),
    ({"allow": {"id": "x"}}, "list of tables"),
    ({"require_url": "maybe"}, "true or false"),
    ({"max_date": "2000-01-01", "min_date": "2010-01-01"}, "before min_date"),
])
def test_settings_from_mapping__refuses_bad_values(mapping, words):
    with pytest.raises(ConfigError, match=words):
        settings_from_mapping(mapping, "test.toml")


def test_settings__defaults_follow_the_codes_table():
    s = ValidateSettings()
    assert s.severity_of("claim-mismatch") == "error"
    assert s.severity_of("near-border") == "warning"
    assert s.severity_of("verdict-changed") == "info"
    assert str(s.min_date) == "1990-01-01"


def test_config__one_configuration_for_many_directories_lists_an_unused_entry_once(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "c.csv").write_text(csv_text(fixed_rows()[:3]), encoding="utf-8")
    (tmp_path / ".geoverify.toml").write_text(
        '[[allow]]\nid = "old"\ncode = "invalid-url"\nreason = "fixed"\n', encoding="utf-8")
    result = validate([tmp_path])
    assert len(result.files) == 2
    assert result.allow_unused == [{"config": display_path(tmp_path / ".geoverify.toml"),
                                    "id": "old", "code": "invalid-url", "file": None,
                                    "reason": "fixed"}]
