"""Cities with special status (issue 11, item 5): strict by default, with the option named in
the mismatch; under ``cities_in_regions`` a claim of the enclosing region matches a point in
the city, with a ``city-in-region`` finding, and the setting is in every report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

import geoverify
from geoverify.boundaries import load_boundaries
from geoverify.cli.main import cli
from geoverify.engine.index import boundary_index

# real places: Kyiv's Maidan, Sevastopol's centre, the Kremlin, Minsk's centre; a village of
# Kyiv Oblast 1.5 km from the Kyiv City line; Kharkiv (nowhere near Kyiv Oblast)
ROWS = [
    ("kyiv", 50.4501, 30.5234, "Kyiv Oblast"),
    ("near-line", 50.5150, 30.2400, "Kyiv Oblast"),
    ("sevastopol", 44.6167, 33.5254, "Crimea"),
    ("kremlin", 55.7520, 37.6175, "Moscow Oblast"),
    ("minsk", 53.9006, 27.5590, "Minsk Region"),
    ("kharkiv", 49.9900, 36.2300, "Kyiv Oblast"),
]


def _claims(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame([{"id": i, "clip": "c", "lat": lat, "lon": lon, "claimed": claim}
                         for i, lat, lon, claim in rows])


def _frames(doc):
    return {f["id"]: f for f in doc["frames"]}


def test_enclosing_regions__the_cities_of_the_conflict_area_and_their_regions():
    index = boundary_index(load_boundaries("embedded"))
    enc = index.enclosing_regions()
    assert enc["UA-30"] == "UA-32"  # Kyiv in Kyiv Oblast
    assert enc["UA-40"] == "UA-43"  # Sevastopol in Crimea
    assert enc["RU-MOW"] == "RU-MOS"
    assert enc["RU-SPE"] == "RU-LEN"
    assert enc["BY-HM"] == "BY-MI"
    # only cities, and never a region enclosing itself
    kinds = dict(zip(index.unit_code.tolist(), load_boundaries("embedded").units["kind"].tolist()))
    assert all(kinds[c] == "city" and kinds[r] != "city" for c, r in enc.items())


def test_strict_by_default__mismatch_names_the_option():
    doc = geoverify.check(_claims()).to_dict()
    assert doc["settings"] == {"cities_in_regions": False}
    f = _frames(doc)
    for key in ("kyiv", "sevastopol", "kremlin", "minsk"):
        assert f[key]["verdict"] == "mismatch", key
        (m,) = [x for x in f[key]["findings"] if x["code"] == "claim-mismatch"]
        assert "--cities-in-regions" in m["message"] and "cities_in_regions = true" in m["message"]
    assert f["near-line"]["verdict"] == "ambiguous"  # within the band of the city line
    (m,) = [x for x in f["kharkiv"]["findings"] if x["code"] == "claim-mismatch"]
    assert "cities-in-regions" not in m["message"]  # not a city: no hint


def test_option__city_points_match_with_their_own_finding():
    doc = geoverify.check(_claims(), cities_in_regions=True).to_dict()
    assert doc["settings"] == {"cities_in_regions": True}
    f = _frames(doc)
    for key, city in (("kyiv", "UA-30"), ("sevastopol", "UA-40"), ("kremlin", "RU-MOW"),
                      ("minsk", "BY-HM")):
        assert f[key]["verdict"] == "match", key
        assert f[key]["adm1"]["code"] == city  # where the point is does not change
        (info,) = [x for x in f[key]["findings"] if x["code"] == "city-in-region"]
        assert info["severity"] == "info" and city in info["message"]
        assert f[key]["claim"]["code"] == {"UA-30": "UA-32", "UA-40": "UA-43", "RU-MOW": "RU-MOS",
                                           "BY-HM": "BY-MI"}[city]
    # the line between the region and its city no longer decides anything
    assert f["near-line"]["verdict"] == "match" and not f["near-line"]["findings"]
    assert f["kharkiv"]["verdict"] == "mismatch"


def test_option__the_city_line_with_a_third_region_still_decides():
    """Moscow borders Kaluga Oblast too: a point in Kaluga Oblast just across that line may be
    in Moscow, so for a Moscow Oblast claim it is ambiguous under the option, not a mismatch."""
    b = load_boundaries("embedded").borders
    piece = b[((b.a == "RU-MOW") & (b.b == "RU-KLU")) | ((b.a == "RU-KLU") & (b.b == "RU-MOW"))]
    line = piece.geometry.iloc[0]
    mid = line.interpolate(0.5, normalized=True)
    index = boundary_index(load_boundaries("embedded"))
    # step ~150 m to each side of the line, keep the point that is in Kaluga Oblast
    a, z = shapely.get_coordinates(line)[[0, -1]]
    dx, dy = z - a
    norm = (dx * dx + dy * dy) ** 0.5
    px, py = -dy / norm * 0.002, dx / norm * 0.002
    cands = [(mid.x + px, mid.y + py), (mid.x - px, mid.y - py)]
    loc = index.locate([c[0] for c in cands], [c[1] for c in cands])
    (lon, lat), = [c for c, code in zip(cands, loc.adm1.tolist()) if code == "RU-KLU"]
    rows = [("kaluga", lat, lon, "Moscow Oblast")]
    strict = _frames(geoverify.check(_claims(rows)).to_dict())["kaluga"]
    loose = _frames(geoverify.check(_claims(rows), cities_in_regions=True).to_dict())["kaluga"]
    assert strict["verdict"] == "mismatch"  # far from Moscow Oblast itself
    assert loose["verdict"] == "ambiguous"
    assert loose["decision"]["line"] == "RU-KLU|RU-MOW"
    assert "Kaluga" in loose["findings"][0]["message"]


def test_cli__flag_config_key_and_override(tmp_path):
    path = tmp_path / "claims.csv"
    _claims().to_csv(path, index=False)
    runner = CliRunner()

    def verdicts(*args):
        r = runner.invoke(cli, ["check", str(path), "--format", "json", *args],
                          catch_exceptions=False)
        assert r.exit_code == 0, r.output
        doc = json.loads(r.stdout)
        return doc["settings"]["cities_in_regions"], _frames(doc)["kyiv"]["verdict"]

    assert verdicts() == (False, "mismatch")
    assert verdicts("--cities-in-regions") == (True, "match")
    (tmp_path / ".geoverify.toml").write_text("cities_in_regions = true\n", encoding="utf-8")
    assert verdicts() == (True, "match")
    assert verdicts("--strict-cities") == (False, "mismatch")
    # validate reads the same key from the same file
    r = runner.invoke(cli, ["validate", str(path), "--format", "json"], catch_exceptions=False)
    codes = {(f["row"], f["code"]) for f in json.loads(r.stdout)["findings"]}
    assert (1, "city-in-region") in codes and (1, "claim-mismatch") not in codes
    # one reading of the key for every command: validate's yes/no words, text in setup.cfg
    (tmp_path / ".geoverify.toml").write_text('cities_in_regions = "maybe"\n', encoding="utf-8")
    r = runner.invoke(cli, ["check", str(path)])
    assert r.exit_code == 3 and "cities_in_regions = 'maybe' must be true or false" in r.output
    (tmp_path / ".geoverify.toml").unlink()
    (tmp_path / "setup.cfg").write_text("[tool:geoverify]\ncities_in_regions = true\n",
                                        encoding="utf-8")
    assert verdicts() == (True, "match")


def test_stream_records_the_setting(tmp_path):
    path = tmp_path / "claims.csv"
    _claims().to_csv(path, index=False)
    out = tmp_path / "out.csv"
    r = CliRunner().invoke(cli, ["check", str(path), "--stream", "-o", str(out), "--format",
                                 "json", "--cities-in-regions"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["settings"] == {"cities_in_regions": True}
    frames = pd.read_csv(out)
    assert frames.loc[frames["id"] == "kyiv", "verdict"].item() == "match"
    assert "city-in-region" in frames.loc[frames["id"] == "kyiv", "finding_codes"].item()


@pytest.mark.parametrize("value", [True, False])
def test_report_schema_accepts_the_settings(value):
    import jsonschema

    schema = json.loads((Path(geoverify.__file__).parent / "schema" / "report.schema.json")
                        .read_text(encoding="utf-8"))
    doc = geoverify.check(_claims(), cities_in_regions=value).to_dict()
    jsonschema.validate(json.loads(json.dumps(doc)), schema)
