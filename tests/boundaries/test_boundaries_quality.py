"""Layer quality: seeded gap, overlap and self-intersection are each reported with their area."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from gv_boundaries_helpers import data_dir, geodesic_km2  # noqa: F401

from geoverify.boundaries.layers import add_layer, check_set
from geoverify.boundaries.quality import area_km2, check_layers
from geoverify.cli.boundaries import boundaries_group

NOTCH = shapely.box(0.9, 0.4, 1.0, 0.6)          # gap between AA and BB
OVERLAP = shapely.box(1.95, 0.0, 2.0, 1.0)      # BB and CC both cover it
BOWTIE = shapely.Polygon([(5, 0), (6, 1), (6, 0), (5, 1)])  # self-intersects at (5.5, 0.5)
LAKE = shapely.box(10.4, 0.4, 10.6, 0.6)         # a hole inside EE alone: not a gap


def seeded_layer():
    return gpd.GeoDataFrame(
        {"code": ["AA", "BB", "CC", "DD", "EE"], "name": list("abcde")},
        geometry=[shapely.box(0, 0, 1, 1).difference(NOTCH), shapely.box(1, 0, 2, 1),
                  shapely.box(1.95, 0, 3, 1), BOWTIE,
                  shapely.box(10, 0, 11, 1).difference(LAKE)], crs="EPSG:4326")


def _one(issues, kind):
    rows = issues[issues["issue"] == kind]
    assert len(rows) == 1, issues.to_string()
    return rows.iloc[0]


def test_area_km2__matches_geodesic_area():
    box = shapely.box(30, 45, 31, 46)
    assert area_km2(box) == pytest.approx(geodesic_km2(box), rel=1e-3)


def test_check_layers__seeded_gap_overlap_and_self_intersection_each_with_area():
    issues = check_layers(seeded_layer())
    gap = _one(issues, "gap")
    assert gap["features"] == "AA|BB"
    assert gap["area_km2"] == pytest.approx(geodesic_km2(NOTCH), rel=1e-3)
    over = _one(issues, "overlap")
    assert over["features"] == "BB|CC"
    assert over["area_km2"] == pytest.approx(geodesic_km2(OVERLAP), rel=1e-3)
    bad = _one(issues, "invalid")
    assert bad["features"] == "DD" and "Self-intersection" in bad["detail"]
    two_triangles = shapely.MultiPolygon([shapely.Polygon([(5, 0), (5.5, 0.5), (6, 0)]),
                                          shapely.Polygon([(5, 1), (5.5, 0.5), (6, 1)])])
    assert bad["area_km2"] == pytest.approx(geodesic_km2(two_triangles), rel=1e-3)
    assert set(issues["issue"]) == {"gap", "overlap", "invalid"}  # the lake is not a gap


def test_check_layers__clean_tiling_has_no_issues():
    g = gpd.GeoDataFrame({"code": ["A", "B"], "name": ["a", "b"]},
                         geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
    assert check_layers(g).empty


def test_check_layers__region_beyond_its_country_and_uncovered_country_area():
    adm0 = gpd.GeoDataFrame({"code": ["AA"], "name": ["a"]}, geometry=[shapely.box(0, 0, 2, 1)],
                            crs=4326)
    adm1 = gpd.GeoDataFrame({"code": ["AA-1"], "name": ["r"], "country": ["AA"]},
                            geometry=[shapely.box(-0.5, 0, 1, 1)], crs=4326)
    issues = check_layers(adm0, adm1)
    out = _one(issues, "outside-country")
    assert out["area_km2"] == pytest.approx(geodesic_km2(shapely.box(-0.5, 0, 0, 1)), rel=1e-3)
    left = _one(issues, "uncovered")
    assert left["area_km2"] == pytest.approx(geodesic_km2(shapely.box(1, 0, 2, 1)), rel=1e-3)


def test_check_set__stored_layer_reports_repair_gap_and_overlap(tmp_path):
    seeded_layer().to_file(tmp_path / "seeded.geojson")
    add_layer(tmp_path / "seeded.geojson", name="seeded", level="ADM0", code_field="code",
              name_field="name")
    issues = check_set("seeded")
    assert _one(issues, "repaired")["features"] == "DD"
    assert _one(issues, "gap")["area_km2"] == pytest.approx(geodesic_km2(NOTCH), rel=1e-3)
    assert _one(issues, "overlap")["features"] == "BB|CC"


def test_cli_check__lists_issues_and_exits_1(tmp_path):
    seeded_layer().to_file(tmp_path / "seeded.geojson")
    add_layer(tmp_path / "seeded.geojson", name="seeded", level="ADM0", code_field="code",
              name_field="name")
    r = CliRunner().invoke(boundaries_group, ["check", "seeded", "-f", "json"])
    assert r.exit_code == 1
    assert {x["issue"] for x in json.loads(r.stdout)} == {"repaired", "gap", "overlap"}
