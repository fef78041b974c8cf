"""Nearest-line distances against a brute-force geodesic reference (pyproj.Geod over lines
densified to 2 m): exact to 0.1 m within reach (25 km); beyond it no distance, only a lower
bound that is beyond reach and never above the truth."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geoverify.engine import lines as lines_module
from geoverify.engine.geodesy import ecef
from geoverify.engine.lines import NEAR_M, LineSet

GEOD = Geod(ellps="WGS84")


def brute_force_m(lon, lat, pieces, step_m: float = 2.0) -> np.ndarray:
    """Minimum geodesic distance from each point to the pieces sampled every ``step_m``
    (linear in lon/lat, as the lines are drawn)."""
    dense = shapely.segmentize(np.asarray(pieces, dtype=object), step_m / 111_320.0)
    c = shapely.get_coordinates(dense)
    out = np.empty(len(lon))
    for i, (x, y) in enumerate(zip(lon, lat)):
        _, _, d = GEOD.inv(np.full(len(c), x), np.full(len(c), y), c[:, 0], c[:, 1])
        out[i] = d.min()
    return out


def assert_close(got, ref):
    """``got`` a :class:`Nearest`: exact within reach, a true lower bound beyond it."""
    near = ref < NEAR_M - 1.0
    np.testing.assert_array_less(np.abs(got.distance_m[near] - ref[near]), 0.1)
    assert got.exact[near].all()
    np.testing.assert_array_less(np.abs(got.lower_m[near] - ref[near]), 0.1)
    far = ref > NEAR_M + 1.0
    assert np.isnan(got.distance_m[far]).all() and not got.exact[far].any()
    assert (got.piece[far] == -1).all()
    assert (got.lower_m[far] > NEAR_M).all()
    assert (got.lower_m[far] <= ref[far] + 0.1).all()


@pytest.mark.parametrize("lat", [-80.0, -45.0, 0.0, 50.4, 70.0, 85.0])
def test_nearest__meridian_and_parallel_lines_match_geod(lat):
    rng = np.random.default_rng(int(lat * 10) % 1000)
    lats = np.linspace(max(lat - 1, -89.5), min(lat + 1, 89.5), 50)
    meridian = shapely.LineString(np.column_stack([np.full(50, 10.0), lats]))
    parallel = shapely.LineString([(9.0, lat + 0.3), (11.0, lat + 0.3)])  # one long segment
    pieces = np.array([meridian, parallel], dtype=object)
    lon = 10.0 + rng.uniform(-0.4, 0.4, 40)
    pts_lat = lat + rng.uniform(-0.25, 0.25, 40)
    got = LineSet(pieces).nearest(lon, pts_lat)
    ref = brute_force_m(lon, pts_lat, pieces)
    assert_close(got, ref)


def test_nearest__wiggly_lines_exact_to_a_millimetre():
    rng = np.random.default_rng(1)
    pieces = []
    for k in range(4):
        x = np.linspace(34.0 + 0.1 * k, 36.0, 300)
        y = 50.0 + 0.3 * k + 0.02 * np.sin(x * 37) + rng.normal(0, 0.001, len(x))
        coords = np.column_stack([x, y])
        pieces += [shapely.LineString(coords[i:i + 16]) for i in range(0, 299, 15)]
    lon, lat = rng.uniform(33.5, 36.5, 60), rng.uniform(49.7, 51.3, 60)
    got = LineSet(np.array(pieces, dtype=object)).nearest(lon, lat)
    ref = brute_force_m(lon, lat, pieces, step_m=1.0)
    assert_close(got, ref)
    near = ref < NEAR_M
    assert near.sum() >= 40
    np.testing.assert_array_less(np.abs(got.distance_m[near] - ref[near]), 0.01)


def test_nearest__point_on_a_vertex_or_a_segment_is_zero():
    line = shapely.LineString([(30.0, 50.0), (30.1, 50.05), (30.2, 50.0)])
    got = LineSet(np.array([line], dtype=object)).nearest([30.1, 30.05], [50.05, 50.025])
    np.testing.assert_allclose(got.distance_m, [0.0, 0.0], atol=1e-3)  # chords: sub-mm


def test_nearest__empty_set_is_out_of_reach_and_missing_point_is_nan():
    got = LineSet(np.array([], dtype=object)).nearest([1.0, np.nan], [1.0, 2.0])
    assert np.isnan(got.distance_m).all() and not got.exact.any()
    assert got.lower_m[0] == np.inf
    assert np.isnan(got.lower_m[1])
    assert got.piece.tolist() == [-1, -1]


def test_nearest__across_the_antimeridian():
    # a line just west of the antimeridian; points on both sides of it, 90 m apart
    line = shapely.LineString([(179.9, 66.5), (179.9, 67.5)])
    got = LineSet(np.array([line], dtype=object)).nearest([179.999, -179.999], [67.0, 67.0])
    ref = brute_force_m([179.999, -179.999], [67.0, 67.0], [line], step_m=1.0)
    np.testing.assert_allclose(got.distance_m, ref, atol=0.1)


def test_nearest__coarse_far_and_tiled_near_paths(monkeypatch):
    """A set large enough for the grid cells and the tiles: exact within reach, a bound
    beyond it, exact again with a wider reach."""
    monkeypatch.setattr(lines_module, "SMALL_SET_VERTICES", 0)
    rng = np.random.default_rng(5)
    pieces = []
    for k in range(6):
        x = np.linspace(20 + 3 * k, 23 + 3 * k, 400)
        y = 48 + 0.5 * np.sin(x * 2 + k) + rng.normal(0, 0.0005, len(x))
        coords = np.column_stack([x, y])
        pieces += [shapely.LineString(coords[i:i + 16]) for i in range(0, 399, 15)]
    pieces = np.array(pieces, dtype=object)
    lon = np.concatenate([rng.uniform(20, 38, 40), rng.uniform(20, 38, 20)])
    lat = np.concatenate([48 + rng.uniform(-0.3, 0.3, 40), rng.uniform(40, 56, 20)])
    ls = LineSet(pieces)
    assert not ls.small
    got = ls.nearest(lon, lat)
    ref = brute_force_m(lon, lat, pieces, step_m=5.0)
    assert (ref > NEAR_M).sum() >= 5 and (ref < NEAR_M).sum() >= 20  # both paths are tested
    assert_close(got, ref)
    # a wider reach per point measures the far points too
    wide = ls.nearest(lon, lat, exact_within=np.full(len(lon), 2_000_000.0))
    assert wide.exact.all()
    np.testing.assert_array_less(np.abs(wide.distance_m - ref), 0.1 + 1e-5 * ref)  # 1 cm/km


def test_nearest_border__antimeridian_points_on_embedded_layers_agree(embedded):
    """Issue 13: (67.0, 179.999) and (67.0, -179.999), 90 m apart, got 3,261,726 m and
    1,673,244 m; both are about 1,606 km from the nearest land border, so both are out of
    reach, with lower bounds that are true; a reach past 1,606 km measures both alike."""
    from geoverify.engine.index import boundary_index

    index = boundary_index(embedded)
    got = index.nearest_border([179.999, -179.999], [67.0, 67.0])
    assert np.isnan(got.distance_m).all()
    land = embedded.borders[embedded.borders["kind"] == "country"]
    c = shapely.get_coordinates(land.geometry.values)
    truth = []
    for x in (179.999, -179.999):
        _, _, g = GEOD.inv(np.full(len(c), x), np.full(len(c), 67.0), c[:, 0], c[:, 1])
        truth.append(g.min())  # vertices only: an upper bound on the distance
    assert (got.lower_m > NEAR_M).all() and (got.lower_m <= np.array(truth)).all()
    lines, _ = index.land_lines()
    wide = lines.nearest([179.999, -179.999], [67.0, 67.0], exact_within=2_000_000.0)
    assert wide.exact.all() and abs(wide.distance_m[0] - wide.distance_m[1]) < 200
    for got_m, t in zip(wide.distance_m, truth):
        assert t - 0.01 * t <= got_m <= t * (1 + 1e-5)  # a vertex is no nearer than the line


def _tiled_lines():
    """Lines across 16 degrees (several tiles) and points near them."""
    rng = np.random.default_rng(9)
    pieces = []
    for k in range(8):
        x = np.linspace(-8 + 2 * k, -6 + 2 * k, 200)
        y = 10 + 0.3 * np.cos(x * 3 + k) + rng.normal(0, 0.0005, len(x))
        coords = np.column_stack([x, y])
        pieces += [shapely.LineString(coords[i:i + 12]) for i in range(0, 199, 11)]
    pieces = np.array(pieces, dtype=object)
    lon = rng.uniform(-8, 8, 300)
    lat = 10 + rng.uniform(-0.25, 0.25, 300)
    return pieces, lon, lat


def test_tile_trees__built_ahead_on_the_helper_thread_once_each_same_answers(monkeypatch):
    """With the helper thread building tiles from the last one back while the query goes
    from the first, every tree is built once (a tree another thread is building is waited
    for), and the answers are those of one thread."""
    import threading

    monkeypatch.setattr(lines_module, "SMALL_SET_VERTICES", 0)
    pieces, lon, lat = _tiled_lines()
    built = []
    build = LineSet._build_tile

    def recording_build(self, ix, iy, reach_m):
        built.append(((ix, iy, reach_m), threading.current_thread().name))
        return build(self, ix, iy, reach_m)

    monkeypatch.setattr(LineSet, "_build_tile", recording_build)
    monkeypatch.setattr(lines_module, "_TILES", lines_module._TileCache())
    ahead = LineSet(pieces).nearest(lon, lat)
    lines_module.ahead_done()
    keys = [k for k, _ in built]
    assert len(keys) >= 4 and len(set(keys)) == len(keys)
    monkeypatch.setattr(lines_module, "build_ahead", lambda fn, *args: None)
    monkeypatch.setattr(lines_module, "_TILES", lines_module._TileCache())
    built.clear()
    alone = LineSet(pieces).nearest(lon, lat)
    assert sorted(k for k, _ in built) == sorted(keys)
    assert {name for _, name in built} == {threading.current_thread().name}
    for name in ("distance_m", "piece", "exact", "lower_m"):
        np.testing.assert_array_equal(getattr(ahead, name), getattr(alone, name))


def test_tile_trees__an_error_in_a_build_reaches_the_query_that_needs_the_tree(monkeypatch):
    monkeypatch.setattr(lines_module, "SMALL_SET_VERTICES", 0)
    monkeypatch.setattr(lines_module, "_TILES", lines_module._TileCache())
    pieces, lon, lat = _tiled_lines()

    def failing_build(self, ix, iy, reach_m):
        raise MemoryError("no room for the tree")

    monkeypatch.setattr(LineSet, "_build_tile", failing_build)
    ls = LineSet(pieces)
    with pytest.raises(MemoryError):
        ls.nearest(lon, lat)
    lines_module.ahead_done()
    assert ls._pending == {}  # nothing left waiting


def test_tile_trees__a_small_budget_gives_the_same_answers_and_holds_to_it(monkeypatch):
    """Tile trees of every line set share one vertex budget: a query over many tiles with a
    budget of a couple of trees answers as with room for all, and never keeps more than the
    budget (beyond the one tree in use)."""
    monkeypatch.setattr(lines_module, "SMALL_SET_VERTICES", 0)
    lines_module.ahead_done()  # nothing of another test's left to build
    monkeypatch.setattr(lines_module, "_TILES", lines_module._TileCache())
    # one thread: the order of the builds is that of the tiles (the helper thread's builds
    # ahead are tested below)
    monkeypatch.setattr(lines_module, "build_ahead", lambda fn, *args: None)
    pieces, lon, lat = _tiled_lines()
    kept = []
    put = lines_module._TileCache.put

    def counting_put(self, key, tree):
        put(self, key, tree)
        kept.append((len(self.trees), self.vertices, tree.n))

    monkeypatch.setattr(lines_module._TileCache, "put", counting_put)
    roomy = LineSet(pieces).nearest(lon, lat)
    sizes = [n for _, _, n in kept]
    assert len(sizes) >= 4  # a tree per tile and reach
    budget = sum(sizes) // 2  # room for some of the trees, not for all
    kept.clear()
    monkeypatch.setattr(lines_module, "TILE_VERTICES", budget)
    monkeypatch.setattr(lines_module, "_TILES", lines_module._TileCache())
    tight = LineSet(pieces).nearest(lon, lat)
    assert [n for _, _, n in kept] == sizes  # the same trees, built once each
    assert max(t for t, _, _ in kept) >= 2  # some stayed beside a new one ...
    assert kept[-1][0] < len(sizes)  # ... and some were dropped
    for trees, vertices, _ in kept:
        assert vertices <= budget or trees == 1
    for name in ("distance_m", "piece", "exact", "lower_m"):
        np.testing.assert_array_equal(getattr(tight, name), getattr(roomy, name))
    assert roomy.exact.sum() > 200


def test_vertices_of_pieces_gathers_their_ranges():
    rng = np.random.default_rng(2)
    pieces = np.array([shapely.LineString(rng.uniform(0, 1, (int(n), 2)))
                       for n in rng.integers(2, 9, 50)], dtype=object)
    ls = LineSet(pieces)
    for k in (0, 1, 7, 50):
        sel = np.sort(rng.choice(50, k, replace=False))
        np.testing.assert_array_equal(ls._vertices_of(sel), np.flatnonzero(np.isin(ls._owner, sel)))


def test_vertex_tree__a_bound_answers_as_without_it_within_it_and_inf_beyond():
    """``VertexTree.nearest(P, bound)`` searches only vertices within the bound (plus half the
    longest segment): every point whose nearest segment is within the bound gets the same
    answer as an unbounded search, every other point ``inf`` and -1, whichever way it was
    proved (few vertices within reach, or the K-th vertex far enough)."""
    from geoverify.engine.lines import FINE_SEGMENT_M, VertexTree

    rng = np.random.default_rng(11)
    x = np.linspace(30.0, 31.0, 300)
    y = 50.0 + 0.05 * np.sin(x * 40.0) + rng.normal(0, 0.0003, len(x))
    owner = np.repeat(np.arange(20), 15)
    tree = VertexTree(x, y, owner, FINE_SEGMENT_M)
    lon = rng.uniform(29.5, 31.5, 3000)
    lat = 50.0 + rng.uniform(-0.6, 0.6, 3000)
    P = ecef(lon, lat)
    d0, s0, t0 = tree.nearest(P)
    for bound in (50.0, 2_000.0, 25_000.0, 40_000.0):
        d, s, t = tree.nearest(P, bound)
        inside = d0 <= bound
        assert 0 < inside.sum() < len(P) or bound == 40_000.0
        np.testing.assert_array_equal(d[inside], d0[inside])
        np.testing.assert_array_equal(s[inside], s0[inside])
        np.testing.assert_array_equal(t[inside], t0[inside])
        assert np.isinf(d[~inside]).all() and (s[~inside] == -1).all()


def test_nearest__small_set_skips_far_cells_with_the_same_answers(monkeypatch):
    """A small set (one tree for every point) first takes the grid cells' lower bounds: far
    points are answered by a bound, never searched in the tree, and every point within reach
    gets the distance and piece the tree alone gives."""
    rng = np.random.default_rng(12)
    x = np.linspace(35.0, 36.0, 200)
    line = shapely.LineString(np.column_stack([x, 50.0 + 0.02 * np.cos(x * 30.0)]))
    pieces = np.array([line], dtype=object)
    lon = rng.uniform(33.0, 38.0, 400)
    lat = 50.0 + rng.uniform(-1.5, 1.5, 400)
    ls = LineSet(pieces)
    assert ls.small
    searched = []
    nearest = lines_module.VertexTree.nearest

    def counting(self, P, bound=None):
        searched.append((self, len(P)))
        return nearest(self, P, bound)

    monkeypatch.setattr(lines_module.VertexTree, "nearest", counting)
    got = ls.nearest(lon, lat)
    ref = brute_force_m(lon, lat, pieces, step_m=5.0)
    assert_close(got, ref)
    assert (ref > NEAR_M + 10_000).sum() > 100
    in_whole = sum(n for tree, n in searched if tree is ls._whole)
    assert 0 < in_whole <= (ref < NEAR_M + 10_000).sum()  # the far points were not searched
    d, p = LineSet._answer(ls._whole, ecef(lon, lat), lon, lat)
    near = got.exact
    np.testing.assert_array_equal(got.distance_m[near], d[near])
    np.testing.assert_array_equal(got.piece[near], p[near])


def test_explode_lines__pieces_as_cut_one_part_at_a_time():
    """Cutting every part at once gives the pieces (vertices, order, source) that cutting
    each part in turn gives, for parts of every length around the cut, lines and rings, and
    multi-part geometries; a part too short for a line goes the one-at-a-time way."""
    from geoverify.engine.distance import _explode_each, explode_lines

    rng = np.random.default_rng(21)
    geoms = []
    for n in (2, 3, 63, 64, 65, 126, 127, 128, 200, 1000):
        xy = np.cumsum(rng.normal(0, 0.01, (n, 2)), axis=0)
        geoms.append(shapely.LineString(xy))
    ring = shapely.Polygon(np.cumsum(rng.normal(0, 0.01, (150, 2)), axis=0)).exterior
    geoms.append(ring)
    geoms.append(shapely.MultiLineString([g.coords for g in geoms[:4]]))
    geoms = np.array(geoms, dtype=object)
    for max_vertices in (2, 3, 64, 100, 5000):
        got, got_src = explode_lines(geoms, max_vertices)
        parts, src = shapely.get_parts(geoms, return_index=True)
        want, want_src = _explode_each(parts, src, max_vertices)
        assert len(got) == len(want)
        np.testing.assert_array_equal(got_src, want_src)
        gc, gi = shapely.get_coordinates(got, return_index=True)
        wc, wi = shapely.get_coordinates(want, return_index=True)
        np.testing.assert_array_equal(gc, wc)
        np.testing.assert_array_equal(gi, wi)
        assert all(len(p.coords) <= max_vertices for p in got)
