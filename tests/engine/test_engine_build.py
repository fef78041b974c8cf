"""The index build's shortcuts change nothing: the same index as cutting every segment."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geoverify.engine import quadtree
from geoverify.engine.quadtree import EPS, build_index, index_checksum

REGION = (1.0, 0.25, 2.5, 1.25)


def _cut_everything(geoms, depth, region=None, outside_depth=None):
    """The reference: every segment of every outline cut into pieces no longer than half a
    finest cell, each piece's box widened by EPS marking the finest cells it overlaps."""
    scale = 2.0 ** depth
    nx, ny = 360 * 2 ** depth, 180 * 2 ** depth
    codes = set()
    for u, g in enumerate(geoms):
        for part in shapely.get_parts(g):
            for ring in shapely.get_rings(part):
                xy = shapely.get_coordinates(ring)
                for a, b in zip(xy[:-1], xy[1:]):
                    k = max(1, int(np.ceil(np.abs(b - a).max() / (2.0 ** -depth / 2.0))))
                    t = np.arange(k + 1) / k
                    p = a + (b - a) * t[:, None] if k > 1 else np.array([a, b])
                    lo = np.minimum(p[:-1], p[1:]) + (180.0, 90.0) - EPS
                    hi = np.maximum(p[:-1], p[1:]) + (180.0, 90.0) + EPS
                    ix0 = np.clip(np.floor(lo[:, 0] * scale), 0, nx - 1).astype(int)
                    ix1 = np.clip(np.floor(hi[:, 0] * scale), 0, nx - 1).astype(int)
                    iy0 = np.clip(np.floor(lo[:, 1] * scale), 0, ny - 1).astype(int)
                    iy1 = np.clip(np.floor(hi[:, 1] * scale), 0, ny - 1).astype(int)
                    for x0, x1, y0, y1 in zip(ix0, ix1, iy0, iy1):
                        for x in {x0, x1}:
                            for y in {y0, y1}:
                                codes.add((y, x, u))
    cells = np.array(sorted(codes), dtype=np.int64).reshape(-1, 3)
    return cells[:, 1], cells[:, 0], cells[:, 2].astype(np.int32)


def _layer():
    """Units with long diagonal edges across the region's edge, edges on grid lines (lat 1.0,
    lon 2.0), a hole, short edges off the region and a unit far from it."""
    return np.array([
        shapely.Polygon([(0.0, 0.0), (1.9, 0.2), (2.7, 1.7), (0.3, 1.0)]),
        shapely.box(2.0, 0.0, 3.0, 1.0).difference(shapely.box(2.3, 0.3, 2.45, 0.55)),
        shapely.Polygon([(-1.0, -1.0), (-0.3, -0.97), (-0.31, -0.2), (-0.9, -0.25)]),
        shapely.Polygon(shapely.get_coordinates(shapely.Point(5.0, 5.0).buffer(0.4, 64))),
        shapely.MultiPolygon([shapely.box(3.03, 0.51, 3.04, 0.52),
                              shapely.box(0.7, 1.3, 4.6, 1.31)]),
    ], dtype=object)


def test_fine_pairs__cells_that_stop_early_keep_every_mark_up_to_their_level():
    geoms = _layer()
    depth, outside = 6, 3
    fx, fy, fu = quadtree._fine_pairs(geoms, depth, REGION, outside)
    rx, ry, ru = _cut_everything(geoms, depth)
    for level in range(outside + 1):
        got = quadtree._level_pairs(fx, fy, fu, depth, level)
        want = quadtree._level_pairs(rx, ry, ru, depth, level)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    # below that level, the cells on the region keep their marks cell for cell
    s = depth - outside
    on = quadtree._split_region(rx >> s, ry >> s, outside, REGION)
    keep = quadtree._split_region(fx >> s, fy >> s, outside, REGION)
    assert on.any() and (~on).any()
    for g, w in zip((fx[keep], fy[keep], fu[keep]), (rx[on], ry[on], ru[on])):
        np.testing.assert_array_equal(g, w)
    # and the shortcut did shorten: far fewer pairs than cells crossed
    assert len(fx) < len(rx) / 2


def test_build_index__same_index_as_cutting_every_segment(monkeypatch):
    geoms = _layer()
    monkeypatch.setattr(quadtree, "PIECES_AT_A_TIME", 97)  # many chunks, some of one segment
    for region in (REGION, None):
        fast = build_index(geoms, 500.0, depth=6, region=region, outside_depth=3)
        with monkeypatch.context() as m:
            m.setattr(quadtree, "_fine_pairs", _cut_everything)
            ref = build_index(geoms, 500.0, depth=6, region=region, outside_depth=3)
        assert index_checksum(fast) == index_checksum(ref)
        assert (fast.leaf_kind == quadtree.MIXED).any()


@pytest.mark.slow
def test_build_index__embedded_units_unchanged_by_the_shortcuts():
    """The embedded units' index, built at full depth near the theatre, is the one every
    earlier build made (the checksum of the index built by cutting every segment, as the
    engine did up to the shortcuts of 2026-12-04)."""
    from geoverify.boundaries import load_boundaries

    b = load_boundaries()
    geoms = np.asarray(quadtree._layer_geoms(b, "units"), dtype=object)
    index = build_index(geoms, float(b.accuracy_m.get("coastline", 0.0)))
    assert index_checksum(index) == (
        "39d9623acff88986e0700c2072f507b21f8383372decc203908b7761e303f005")
