"""The engine gives exactly the answers of the plain polygon predicate (and of ``locate``)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import shapely

from geoverify.engine import index as engine_index
from geoverify.engine.index import boundary_index
from geoverify.engine.quadtree import Engine, build_index, engine_for


def prepare(boundaries):
    return boundary_index(boundaries)


def _frame(loc, idx) -> pd.DataFrame:
    n = len(loc.unit)
    return pd.DataFrame({
        "country": loc.country, "country_candidates": [loc.country_candidates(i, idx)
                                                       for i in range(n)],
        "adm1": loc.adm1, "adm1_candidates": [loc.adm1_candidates(i, idx) for i in range(n)],
        "offshore_m": loc.offshore_m}, dtype=object)


def _exact_locate(prepared, lon, lat, monkeypatch):
    monkeypatch.setattr(engine_index, "ENGINE_MIN_POINTS", 10**15)
    out = _frame(prepared.locate(lon, lat), prepared)
    monkeypatch.undo()
    return out


def _engine_locate(prepared, lon, lat, monkeypatch):
    monkeypatch.setattr(engine_index, "ENGINE_MIN_POINTS", 0)
    out = _frame(prepared.locate(lon, lat), prepared)
    monkeypatch.undo()
    return out


def _same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    for col in ("country", "adm1", "country_candidates", "adm1_candidates"):
        bad = [i for i, (x, y) in enumerate(zip(a[col], b[col])) if x != y]
        assert not bad, f"{col} differs at rows {bad[:10]}"
    oa = a["offshore_m"].to_numpy(dtype=float)
    ob = b["offshore_m"].to_numpy(dtype=float)
    np.testing.assert_array_equal(oa, ob)


def test_engine__tiny_set_matches_exact_locate_on_edges_vertices_holes_and_coast(tiny, monkeypatch):
    prepared = prepare(tiny)
    g = np.arange(-0.5, 4.5001, 0.05)
    h = np.arange(-0.5, 1.5001, 0.025)
    lon, lat = (a.ravel() for a in np.meshgrid(np.round(g, 6), np.round(h, 6)))
    # exact shared edge, vertices, hole corners and points just off the coast (band 100 m)
    extra_lon = np.array([1.0, 1.0, 0.0, 2.0, 3.4, 3.5, 4.0005, -0.0005, 1.0, np.nan, 181.0])
    extra_lat = np.array([0.5, 1.0, 0.5, 1.0, 0.4, 0.5, 0.5, 0.2, 1.0005, 1.0, 0.0])
    lon = np.concatenate([lon, extra_lon])
    lat = np.concatenate([lat, extra_lat])
    ref = _exact_locate(prepared, lon, lat, monkeypatch)
    eng = _engine_locate(prepared, lon, lat, monkeypatch)
    _same_frames(eng, ref)
    # the test is not vacuous: it holds on-border, in-hole and coastal points
    assert any(len(c) > 1 for c in ref["country_candidates"])
    assert any(len(c) > 1 for c in ref["adm1_candidates"])
    assert np.isfinite(ref["offshore_m"].to_numpy(dtype=float)).any()


def test_engine__index_built_in_memory_equals_cached(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOVERIFY_CACHE_DIR", str(tmp_path))
    geoms = tiny.units.geometry.values
    a = build_index(geoms, 100.0)
    tiny._cache.pop(("engine", 8), None)
    engine_for(tiny)  # builds and writes the cache
    tiny._cache.pop(("engine", 8), None)
    b = engine_for(tiny).index  # loads it
    for k, v in a.arrays().items():
        np.testing.assert_array_equal(v, b.arrays()[k])
    assert list((tmp_path / "engine").glob("*.npz"))
    tiny._cache.pop(("engine", 8), None)


def _border_samples(boundaries, n, rng, max_offset_m=1000.0):
    """Points along the shared boundaries in lon 30-42 / lat 46-54, offset by up to 1 km."""
    b = boundaries.borders
    b = b[b.intersects(shapely.box(29.5, 45.5, 42.5, 54.5))]
    coords = shapely.get_coordinates(b.geometry.values)
    i = rng.integers(0, len(coords) - 1, n)
    t = rng.uniform(0, 1, n)
    p = coords[i] + (coords[i + 1] - coords[i]) * t[:, None]
    r = rng.uniform(0, max_offset_m, n)
    ang = rng.uniform(0, 2 * np.pi, n)
    lat = p[:, 1] + r * np.sin(ang) / 111_320.0
    lon = p[:, 0] + r * np.cos(ang) / (111_320.0 * np.cos(np.radians(p[:, 1])))
    return lon, lat, coords


def _plain_predicate(geoms, tree, lon, lat):
    """Candidate units per point by shapely's intersects: bounding boxes from the STRtree, then
    ``intersects_xy`` on each candidate (vectorised per unit). Returns (point, unit) pairs."""
    pi, gi = tree.query(shapely.points(lon, lat))
    ok = np.zeros(len(pi), dtype=bool)
    order = np.argsort(gi, kind="stable")
    gs = gi[order]
    cut = np.flatnonzero(np.diff(gs)) + 1
    for s, e in zip(np.r_[0, cut], np.r_[cut, len(gs)]):
        sel = order[s:e]
        ok[sel] = shapely.intersects_xy(geoms[gs[s]], lon[pi[sel]], lat[pi[sel]])
    return pi[ok], gi[ok]


@pytest.mark.slow
def test_engine__embedded_million_points_identical_to_plain_predicate(monkeypatch):
    from geoverify.boundaries import load_boundaries

    t0 = time.perf_counter()
    boundaries = load_boundaries()
    prepared = prepare(boundaries)
    engine: Engine = engine_for(boundaries, tree=prepared.unit_tree)  # cached after the first run
    rng = np.random.default_rng(20240224)
    n_uniform, n_border = 600_000, 380_000
    blon, blat, coords = _border_samples(boundaries, n_border, rng)
    # plus 20,000 exact outline vertices (on-border points with several candidates)
    inbox = (coords[:, 0] > 30) & (coords[:, 0] < 42) & (coords[:, 1] > 46) & (coords[:, 1] < 54)
    vx = coords[inbox][rng.integers(0, inbox.sum(), 20_000)]
    lon = np.concatenate([rng.uniform(30, 42, n_uniform), blon, vx[:, 0]])
    lat = np.concatenate([rng.uniform(46, 54, n_uniform), blat, vx[:, 1]])
    n = len(lon)
    assert n >= 1_000_000

    got = engine.locate(lon, lat)
    pi, gi = _plain_predicate(engine.geoms, prepared.unit_tree, lon, lat)
    count = np.bincount(pi, minlength=n)
    ref = np.full(n, -1, dtype=np.int64)
    one = count[pi] == 1
    ref[pi[one]] = gi[one]
    ref[count > 1] = -2
    in_land = count > 0
    assert np.array_equal(got.unit[in_land], ref[in_land]), np.flatnonzero(
        got.unit[in_land] != ref[in_land])[:10]
    multi_ref = {}
    for p, g in zip(pi[count[pi] > 1].tolist(), gi[count[pi] > 1].tolist()):
        multi_ref.setdefault(p, set()).add(g)
    assert {k: set(v.tolist()) for k, v in got.multi.items() if in_land[k]} == multi_ref
    assert len(multi_ref) > 1000  # on-border points are really tested
    # points in no polygon: the coastal band, compared with locate's own exact path
    sea = np.flatnonzero(~in_land)
    assert np.all(np.isnan(got.offshore_m[in_land]))
    sub = sea[np.isfinite(got.offshore_m[sea])]
    sub = np.concatenate([sub[:1500], sea[:1500]])
    ref_frame = _exact_locate(prepared, lon[sub], lat[sub], monkeypatch)
    eng_frame = _engine_locate(prepared, lon[sub], lat[sub], monkeypatch)
    _same_frames(eng_frame, ref_frame)
    assert np.isfinite(ref_frame["offshore_m"].to_numpy(dtype=float)).sum() > 100
    elapsed = time.perf_counter() - t0
    print(f"{n:,} points compared in {elapsed:.1f} s")


def test_engine__locate_frame_identical_to_exact_locate_near_borders(monkeypatch):
    """The full ``locate`` frame (STRtree ``intersects`` path) on 20,000 near-border points."""
    from geoverify.boundaries import load_boundaries

    boundaries = load_boundaries()
    prepared = prepare(boundaries)
    rng = np.random.default_rng(7)
    blon, blat, coords = _border_samples(boundaries, 15_000, rng, max_offset_m=300.0)
    vx = coords[rng.integers(0, len(coords), 5_000)]
    lon = np.concatenate([blon, vx[:, 0]])
    lat = np.concatenate([blat, vx[:, 1]])
    ref = _exact_locate(prepared, lon, lat, monkeypatch)
    eng = _engine_locate(prepared, lon, lat, monkeypatch)
    _same_frames(eng, ref)
    assert sum(len(c) > 1 for c in ref["adm1_candidates"]) > 1000
