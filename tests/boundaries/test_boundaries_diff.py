"""Diff between two sets: exactly the frames in the shifted strips differ."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import shapely
import shapely.affinity
from click.testing import CliRunner
from gv_boundaries_helpers import data_dir, two_countries, ua_regions  # noqa: F401

from geoverify.boundaries import load_boundaries
from geoverify.boundaries.layers import add_layer
from geoverify.cli.boundaries import boundaries_group
from geoverify.core.diff import diff_sets

SHIFT = 0.1
LONS = [27.95, 28.05, 29.0, 29.97, 30.05, 30.5, 31.05, 31.5, 32.05, 32.5]
EDGES = [28.0, 30.0, 31.0, 32.0]  # every vertical line of the original layers


def _shifted(g):
    s = g.copy()
    s["geometry"] = [shapely.affinity.translate(x, xoff=SHIFT) for x in g.geometry]
    return s


@pytest.fixture()
def sets(tmp_path):
    a0, a1 = two_countries(), ua_regions()
    for name, f in (("orig", lambda g: g), ("moved", _shifted)):
        f(a0).to_file(tmp_path / f"{name}0.geojson")
        f(a1).to_file(tmp_path / f"{name}1.geojson")
        add_layer(tmp_path / f"{name}0.geojson", name=name, level="ADM0", code_field="iso",
                  name_field="nm")
        add_layer(tmp_path / f"{name}1.geojson", name=name, level="ADM1", code_field="c",
                  name_field="n", country_field="cc")
    claims = pd.DataFrame({"id": [f"f{i}" for i in range(len(LONS))],
                           "coordinates": [f"45.5, {x}" for x in LONS],
                           "claimed": ["Ukraine"] * len(LONS)})
    path = tmp_path / "claims.csv"
    claims.to_csv(path, index=False)
    return path


def _in_strip(x):
    return any(e < x < e + SHIFT for e in EDGES)


def test_diff_sets__lists_exactly_the_frames_in_the_shifted_strip(sets):
    d = diff_sets(load_boundaries("orig"), load_boundaries("moved"), LONS, [45.5] * len(LONS))
    expected = [x for x in LONS if _in_strip(x)]
    assert sorted(d["lon"]) == expected
    row = d[d["lon"] == 30.05].iloc[0]
    assert (row["country_a"], row["country_b"], row["adm1_a"], row["adm1_b"]) == (
        "UA", "PL", "UA-W", None)
    # 0.05 deg of longitude at 45.5 N from the nearest border in A, 0.05 in B
    assert row["distance_to_border_a_m"] == pytest.approx(3900, rel=0.02)
    assert row["distance_to_border_b_m"] == pytest.approx(3900, rel=0.02)


def test_diff_sets__identical_sets_differ_nowhere(sets):
    a = load_boundaries("orig")
    assert diff_sets(a, a, LONS, [45.5] * len(LONS)).empty


def test_cli_diff__claims_file(sets):
    r = CliRunner().invoke(boundaries_group, ["diff", "orig", "moved", "--claims", str(sets),
                                              "-f", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["row"] for x in rows] == [i + 1 for i, x in enumerate(LONS) if _in_strip(x)]
    assert "4 of 10 frame(s) differ" in r.stderr
