"""The map's far tier taken from the units simplified beforehand (data/context/regions_far.parquet,
scripts/build_far_tier.py) instead of from the exact polygons."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from geoverify.io.boundaries import read_layer
from geoverify.io.context import context_dir, regions_far
from geoverify.render._layers import FAR_TOLERANCE_DEG, display_layers

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "data" / "boundaries" / "units.parquet"


@pytest.fixture(scope="module")
def units():
    return read_layer(UNITS)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_file_is_recorded_and_built_from_the_units_file(units) -> None:
    entry = json.loads((context_dir() / "manifest.json").read_text())["regions_far"]
    assert entry["sha256"] == _sha(context_dir() / "regions_far.parquet")
    assert entry["input"]["sha256"] == _sha(UNITS)
    assert entry["parameters"]["coverage_simplify_deg"] == FAR_TOLERANCE_DEG
    assert entry["generated_by"] == "scripts/build_far_tier.py"
    far = read_layer(context_dir() / "regions_far.parquet")
    assert far["code"].tolist() == units["code"].tolist()
    assert far["level"].tolist() == units["level"].tolist()
    assert int(shapely.get_num_coordinates(far.geometry.values).sum()) == entry["vertices"]


def test_only_for_the_units_it_was_built_from(units) -> None:
    sha = _sha(UNITS)
    codes, levels = units["code"].tolist(), units["level"].tolist()
    got = regions_far(sha, codes, levels)
    assert got is not None and got[1] == FAR_TOLERANCE_DEG and len(got[0]) == len(units)
    assert regions_far("0" * 64, codes, levels) is None  # another units file
    assert regions_far(None, codes, levels) is None  # a set without provenance
    assert regions_far(sha, codes[::-1], levels[::-1]) is None  # other rows
    assert regions_far(sha, codes[:-1], levels[:-1]) is None


def test_the_far_polygons_are_a_coverage_close_to_the_exact_ones(units) -> None:
    polygons, _ = regions_far(_sha(UNITS), units["code"].tolist(), units["level"].tolist())
    pick = np.flatnonzero(units["country"].isin(["UA", "BY", "MD"]).to_numpy())
    far = polygons[pick]
    exact = units.geometry.values[pick]
    # no overlaps between neighbours: the areas add up to the area of their union
    total = shapely.area(far).sum()
    assert abs(total - shapely.area(shapely.union_all(far))) < 1e-6 * total
    # each is its exact polygon, simplified: same area within a few percent for sizeable units
    big = shapely.area(exact) > 1.0
    ratio = shapely.area(far[big]) / shapely.area(exact[big])
    assert np.all(np.abs(ratio - 1) < 0.05)
    assert np.median(shapely.hausdorff_distance(far, exact)) < 5 * FAR_TOLERANCE_DEG


def _layers(units, idx, lon, lat, with_far: bool):
    import geopandas as gpd

    sub = units.iloc[idx].reset_index(drop=True)
    is_region = (sub["level"] == "adm1").to_numpy()
    kw = {}
    if with_far:
        polygons, tol = regions_far(_sha(UNITS), units["code"].tolist(), units["level"].tolist())
        sub = gpd.GeoDataFrame(sub.drop(columns="geometry").assign(far=list(polygons[idx])),
                               geometry=list(sub.geometry.values), crs="EPSG:4326")
        kw["far_base_tolerance"] = tol
    keep = ["far"] if with_far else []
    adm1 = sub[is_region][["code", "name", "country", *keep, "geometry"]]
    adm0 = sub[~is_region][["code", "name", *keep, "geometry"]]
    return display_layers(lon, lat, adm0=adm0, adm1=adm1, **kw)


@pytest.mark.parametrize("lon,lat", [([36.6, 35.1], [50.6, 50.9]),  # near Belgorod: tolerance 0.02
                                     ([24.0, 60.0], [46.0, 55.0])])  # wide: simplified further
def test_the_map_draws_the_same_regions_with_either_far_tier(units, lon, lat) -> None:
    idx = np.flatnonzero(units["country"].isin(["UA", "BY", "MD"])
                         .to_numpy())
    plain = _layers(units, idx, lon, lat, with_far=False)
    based = _layers(units, idx, lon, lat, with_far=True)
    assert [r["code"] for r in plain["regions"]] == [r["code"] for r in based["regions"]]
    assert [c["code"] for c in plain["countries"]] == [c["code"] for c in based["countries"]]
    for key in ("borders", "places", "extent", "zones"):
        assert plain[key] == based[key]
    # labels stay in their region
    for r in based["regions"]:
        for x, y, _ in r["anchors"]:
            code = r["code"]
            geom = units.geometry.values[units["code"].to_numpy() == code][0]
            assert shapely.distance(geom, shapely.Point(x, y)) < 0.2


@pytest.mark.parametrize("lon,lat,far_calls", [([36.6, 35.1], [50.6, 50.9], 0),
                                               ([24.0, 60.0], [46.0, 55.0], 1)])
def test_the_far_tier_comes_from_the_simplified_polygons(units, monkeypatch, lon, lat,
                                                         far_calls) -> None:
    """At the base tolerance the far tier is the simplified polygons as they are; at a larger
    one they (not the exact polygons) are simplified further."""
    polygons, _ = regions_far(_sha(UNITS), units["code"].tolist(), units["level"].tolist())
    idx = np.flatnonzero(units["country"].isin(["UA", "BY", "MD"]).to_numpy())
    base_vertices = int(shapely.get_num_coordinates(polygons[idx]).sum())
    calls: list[int] = []
    real = shapely.coverage_simplify

    def spy(geoms, tolerance, **kw):
        if tolerance != 0.001:  # not the mid tier
            calls.append(int(shapely.get_num_coordinates(np.asarray(geoms)).sum()))
        return real(geoms, tolerance, **kw)

    monkeypatch.setattr(shapely, "coverage_simplify", spy)
    _layers(units, idx, lon, lat, with_far=True)
    assert len(calls) == far_calls
    assert all(c == base_vertices for c in calls)
    calls.clear()
    _layers(units, idx, lon, lat, with_far=False)
    assert len(calls) == 1 and calls[0] > base_vertices


def test_a_map_makes_only_the_units_of_its_box() -> None:
    from geoverify import api
    from geoverify.boundaries.registry import load_embedded

    bset = load_embedded.__wrapped__()  # a fresh set: nothing made yet
    box = (30.0, 46.0, 42.0, 54.0)
    picked = api._display_layers(bset, box)
    made = bset.unit_geometry.made_count()
    assert "units" not in bset.__dict__ and 0 < made < len(bset.unit_geometry) // 4
    assert picked["far_base_tolerance"] == FAR_TOLERANCE_DEG
    assert "far" in picked["adm1"].columns
    nothing = api._display_layers(bset, None)  # no located frame: no unit
    assert len(nothing["adm1"]) == 0 and len(nothing["adm0"]) == 0
    assert bset.unit_geometry.made_count() == made
    everything = api._display_layers(bset)  # the whole units layer, no far tier
    assert "far_base_tolerance" not in everything
    area = shapely.box(*box)
    for key in ("adm1", "adm0"):
        full = everything[key]
        reach = full[shapely.intersects(full.geometry.values, area)]
        assert set(reach["code"]) <= set(picked[key]["code"])
        # the same polygons
        mine = dict(zip(picked[key]["code"], picked[key].geometry.values))
        assert all(mine[c].equals_exact(g, 0.0) for c, g in zip(reach["code"], reach.geometry.values))
