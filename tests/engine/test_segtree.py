"""The compiled nearest-segment kernel (``geoverify.engine._segtree``) against the NumPy
queries it replaces and against a brute force over every segment: the same distances to the
bit, the same segments and foot parameters, within a bound and without one."""

from __future__ import annotations

import numpy as np
import pytest

from geoverify.engine import lines as lines_module
from geoverify.engine.geodesy import ecef
from geoverify.engine.lines import FINE_SEGMENT_M, VertexTree


def test_the_kernel_is_built():
    """The project's install compiles the kernel (setup.py); without it every distance is
    still right but slower, so a machine that lost its compiler should hear of it here."""
    assert lines_module.SegTree is not None
    assert lines_module.native()


def tree_pair(lon, lat, owner, monkeypatch, max_m=FINE_SEGMENT_M):
    monkeypatch.setenv("GEOVERIFY_NATIVE", "1")
    compiled = VertexTree(lon, lat, owner, max_m)
    monkeypatch.setenv("GEOVERIFY_NATIVE", "0")
    reference = VertexTree(lon, lat, owner, max_m)
    monkeypatch.delenv("GEOVERIFY_NATIVE")
    assert compiled.native is not None and reference.native is None
    return compiled, reference


def random_pieces(rng, n_pieces, box=(30.0, 48.0, 34.0, 52.0), step=0.01, longest=30):
    lon, lat, owner = [], [], []
    for p in range(n_pieces):
        k = int(rng.integers(1, longest))  # pieces of one vertex included
        x0, y0 = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
        lon.append(x0 + np.cumsum(rng.normal(0, step, k)))
        lat.append(y0 + np.cumsum(rng.normal(0, step, k)))
        owner.append(np.full(k, p))
    return np.concatenate(lon), np.concatenate(lat), np.concatenate(owner)


def brute_force(tree: VertexTree, P):
    """Chord distance to every segment of the NumPy tree, the smallest, its segment (lowest
    start vertex among equals) and foot parameter."""
    n = tree.n
    starts = np.flatnonzero(tree.has_next | (~tree.has_prev & ~tree.has_next))
    S = np.broadcast_to(starts, (len(P), len(starts)))
    d, t = tree._seg_dist(P, np.ascontiguousarray(S))
    j = np.argmin(d, axis=1)  # first of equal minima: the lowest start vertex
    r = np.arange(len(P))
    assert n > 0
    return d[r, j], S[r, j], t[r, j]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kernel__same_bits_as_numpy_with_and_without_a_bound(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    lon, lat, owner = random_pieces(rng, 400)
    compiled, reference = tree_pair(lon, lat, owner, monkeypatch)
    P = ecef(rng.uniform(29.5, 34.5, 20_000), rng.uniform(47.5, 52.5, 20_000))
    for bound in (None, 30.0, 1_500.0, 25_000.0):
        d, s, t = compiled.nearest(P, bound)
        d0, s0, t0 = reference.nearest(P, bound)
        np.testing.assert_array_equal(d, d0)
        np.testing.assert_array_equal(s, s0)
        np.testing.assert_array_equal(t, t0)
        if bound is not None:
            assert np.isinf(d).any() and np.isfinite(d).any()
            assert (d[np.isfinite(d)] <= bound).all()
            assert (s[np.isinf(d)] == -1).all() and (t[np.isinf(d)] == 0.0).all()


def test_kernel__matches_a_brute_force_over_every_segment(monkeypatch):
    rng = np.random.default_rng(7)
    lon, lat, owner = random_pieces(rng, 60, step=0.02)
    compiled, reference = tree_pair(lon, lat, owner, monkeypatch, max_m=400.0)
    # points anywhere, on vertices, and on segments
    P = np.concatenate([
        ecef(rng.uniform(29.0, 35.0, 1500), rng.uniform(47.0, 53.0, 1500)),
        reference.xyz[rng.integers(0, reference.n, 200)],
    ])
    d, s, t = compiled.nearest(P)
    bd, bs, bt = brute_force(reference, P)
    np.testing.assert_array_equal(d, bd)
    np.testing.assert_array_equal(s, bs)
    np.testing.assert_array_equal(t, bt)
    assert (d[1500:] == 0.0).all()


@pytest.mark.parametrize("points", [2000, 6000])  # points sorted by qsort, and by radix
def test_kernel__equal_distances_go_to_the_lowest_segment(monkeypatch, points):
    """Two pieces through the same points (a shared border drawn twice, in the same
    direction): every point is exactly as near to both, and the answer is the first piece's
    segment, whatever the tree's order."""
    x = np.linspace(30.0, 30.5, 40)
    y = 50.0 + 0.01 * np.sin(x * 50.0)
    lon = np.concatenate([x, x])
    lat = np.concatenate([y, y])
    owner = np.repeat([0, 1], 40)
    compiled, reference = tree_pair(lon, lat, owner, monkeypatch)
    rng = np.random.default_rng(3)
    P = ecef(rng.uniform(29.9, 30.6, points), rng.uniform(49.9, 50.1, points))
    d, s, t = compiled.nearest(P)
    np.testing.assert_array_equal(d, reference.nearest(P)[0])
    assert (compiled.owner[s] == 0).all()
    bd, bs, _ = brute_force(reference, P)
    np.testing.assert_array_equal(s, bs)


def test_kernel__missing_points_empty_trees_and_lone_vertices(monkeypatch):
    lon = np.array([30.0, 30.5, 31.0])
    lat = np.array([50.0, 50.0, 50.0])
    owner = np.array([0, 1, 2])  # three pieces of one vertex: segments of length 0
    compiled, reference = tree_pair(lon, lat, owner, monkeypatch)
    P = np.vstack([ecef(np.array([30.4, 31.2]), np.array([50.0, 50.1])),
                   [[np.nan, 0.0, 0.0], [np.inf, 1.0, 1.0]]])
    d, s, t = compiled.nearest(P)
    d0, s0, _ = reference.nearest(P[:2])
    np.testing.assert_array_equal(d[:2], d0)
    np.testing.assert_array_equal(s[:2], [1, 2])
    assert np.isinf(d[2:]).all() and (s[2:] == -1).all()
    monkeypatch.setenv("GEOVERIFY_NATIVE", "1")
    empty = VertexTree(np.zeros(0), np.zeros(0), np.zeros(0, np.int64), FINE_SEGMENT_M)
    d, s, t = empty.nearest(P)
    assert np.isinf(d).all() and (s == -1).all()


def test_kernel__rejects_buffers_of_the_wrong_shape():
    SegTree = lines_module.SegTree
    tree = SegTree(np.zeros((4, 3)), np.ones(4, np.uint8))
    with pytest.raises(ValueError):
        SegTree(np.zeros((3, 3)), np.ones(4, np.uint8))
    out = np.empty(2), np.empty(2, np.int64), np.empty(2)
    with pytest.raises(ValueError):
        tree.nearest(np.zeros((2, 2)), 1.0, *out)
    with pytest.raises(ValueError):
        tree.nearest(np.zeros((3, 3)), 1.0, *out)
    with pytest.raises(ValueError):
        tree.nearest(np.zeros((2, 3)), 1.0, np.empty(2), np.empty(2, np.int32), np.empty(2))
    with pytest.raises(RuntimeError):
        tree.__init__(np.zeros((4, 3)), np.ones(4, np.uint8))
