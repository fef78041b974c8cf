"""A fast classification engine that gives exactly the answers of the exact polygon test.

:func:`geoverify.engine.locate.locate` tests every point against the unit polygons with
``STRtree.query(..., predicate="intersects")``. This module answers the same question for
millions of points at a time with a precomputed quadtree over the units and falls back to the
exact predicate only where the quadtree cannot decide.

How the index is built (once per unit layer, then cached on disk)
-----------------------------------------------------------------
Space is cut into cells: a 1 degree grid (level 0), each cell split into four down to level
``depth`` (``2**-depth`` degrees). Every segment of every unit's outline is cut into pieces no
longer than half a finest cell; each piece's bounding box, widened by ``EPS`` degrees, marks the
cells it overlaps. An unmarked cell therefore has no unit outline within ``EPS`` of it, so every
unit holds either all of it (and a margin around it) in its interior or none of it: one test of
the cell's centre says which. A marked cell is split again; at the finest level it stays
"mixed" and keeps the list of units whose outline crosses it. Off ``REGION`` cells stop at
``OUTSIDE_DEPTH``, so there the marks are kept at that level only, and a segment that lies
in one such cell is not cut at all (:func:`_fine_pairs`; the same index, from half the
pieces).

A leaf is one of

``inside``   the units holding the whole cell (usually exactly one): every point in the cell has
             exactly those candidates, answered by indexing;
``far sea``  no unit holds it and no outline is within the coastline band's reach: no
             candidates, no offshore distance;
``coast``    no unit holds it but an outline may be within reach: the coastal band logic of
             ``locate`` runs on its points;
``mixed``    finest-level cell crossed by outlines: each point is tested with
             ``shapely.intersects_xy`` against the prepared polygons of the cell's units (points
             grouped by unit, one call per unit), plus the units that hold the whole cell.

Why results never change
------------------------
Cells are located with exact power-of-two arithmetic on ``lon + 180`` and ``lat + 90``; the only
rounding (that addition, about 1e-14 degrees) is far inside the ``EPS`` = 1e-9 degree margin by
which outlines are kept away from an undecided cell. Every decision that is not "the whole
cell is inside / outside" is the same exact predicate ``locate`` uses, on the same prepared
polygons, and the coastal band runs the same code (the same reach, ``dwithin`` query and
:func:`~geoverify.engine.distance.local_distance_m`). Points outside lon -180..180 / lat -90..90
take the plain exact path.

The index depends only on the unit polygons: it is cached under the user cache directory
(``$GEOVERIFY_CACHE_DIR`` or platformdirs' ``geoverify``), keyed by the units layer's sha256 from
the boundary set's provenance (or a hash of the polygons' WKB for a custom set) and by the
engine's version and parameters, so a changed layer never reuses a stale index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geoverify.engine.distance import local_distances_m
from geoverify.heap import give_back
from geoverify.io import polygons as _units
from geoverify.io.cache import cache_dir, drop_resident, mapped_npz
from geoverify.io.tempfiles import sweep_stale, temp_path

log = logging.getLogger("geoverify")

#: Bump when the index format or the build rules change (part of the cache key).
ENGINE_VERSION = 1
#: Margin (degrees) by which unit outlines are kept away from cells decided as a whole.
EPS = 1e-9
#: Default finest level: cells of 2**-8 degree (about 430 m of latitude).
DEPTH = 8
#: Where cells are split down to ``DEPTH`` (lon0, lat0, lon1, lat1): the theatre geoverify is
#: mostly used for. Elsewhere cells stop at ``OUTSIDE_DEPTH``; answers are exact everywhere.
REGION = (20.0, 40.0, 50.0, 60.0)
OUTSIDE_DEPTH = 4
#: Level of the flat root table used for lookups (2**-3 degree cells).
ROOT_LEVEL = 3

INSIDE, FAR_SEA, COAST, MIXED = 0, 1, 2, 3


# ----------------------------------------------------------------------------------------------
# small helpers


def _group_slices(sorted_keys: np.ndarray):
    """Yield (key, start, stop) runs of equal values in a sorted array."""
    if len(sorted_keys) == 0:
        return
    cut = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    starts = np.concatenate(([0], cut))
    stops = np.concatenate((cut, [len(sorted_keys)]))
    for s, e in zip(starts.tolist(), stops.tolist()):
        yield int(sorted_keys[s]), s, e


#: Held around every GEOS call that uses a shared *prepared* polygon. GEOS builds a prepared
#: geometry's indexes lazily on first use and does not guard that (libgeos/geos#825): two
#: threads using one prepared polygon at once can corrupt the heap. Calls on unprepared or
#: freshly made geometries need no lock.
PREPARED_LOCK = _units.PREPARED_LOCK  # one lock for every prepared unit polygon


def intersects_pairs(geoms: np.ndarray, unit: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``intersects(geoms[unit[i]], Point(x[i], y[i]))`` for every i, one shapely call per unit."""
    out = np.zeros(len(unit), dtype=bool)
    if len(unit) == 0:
        return out
    order = np.argsort(unit, kind="stable")
    us = unit[order]
    with PREPARED_LOCK:
        for u, s, e in _group_slices(us):
            sel = order[s:e]
            out[sel] = shapely.intersects_xy(geoms[u], x[sel], y[sel])
    return out


def _unique_sorted(a: np.ndarray) -> np.ndarray:
    """Sorted unique values (sort-based: faster than hashing for large int64 arrays)."""
    if len(a) == 0:
        return a
    keep = np.ones(len(a), dtype=bool)
    keep[1:] = a[1:] != a[:-1]
    a = np.sort(a[keep])  # drop runs first: neighbouring pieces share cells
    keep = np.ones(len(a), dtype=bool)
    keep[1:] = a[1:] != a[:-1]
    return a[keep]


def _csr(owner: np.ndarray, value: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Compressed rows: ``value`` grouped by ``owner`` (0..n-1)."""
    order = np.argsort(owner, kind="stable")
    counts = np.bincount(owner, minlength=n)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr, value[order].astype(np.int32)


def _expand_csr(ptr: np.ndarray, idx: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each position p of ``rows``, the pairs (p, v) with v in row ``rows[p]``."""
    start = ptr[rows]
    count = (ptr[rows + 1] - start).astype(np.int64)
    total = int(count.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), count)
    offs = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    return owner, idx[np.repeat(start, count) + offs]


def reach_deg(band: float, lat: float) -> float:
    """The coastal band in degrees at ``lat``, computed exactly as :func:`locate` does."""
    return band / (111_320.0 * max(np.cos(np.radians(min(abs(lat), 89.0))), 1e-3))


# ----------------------------------------------------------------------------------------------
# building


def _split_region(ix: np.ndarray, iy: np.ndarray, level: int, region) -> np.ndarray:
    """Which cells (ix, iy) at ``level`` lie on ``region`` (lon0, lat0, lon1, lat1, edges
    included): the cells :func:`build_index` splits below ``OUTSIDE_DEPTH``. The same
    arithmetic as there, so both agree to the last bit."""
    c = 2.0 ** -level
    x0 = ix * c - 180.0
    y0 = iy * c - 90.0
    return ((x0 + c >= region[0]) & (x0 <= region[2])
            & (y0 + c >= region[1]) & (y0 <= region[3]))


#: Outline pieces cut at a time while the index is built: bounds the build's memory.
PIECES_AT_A_TIME = 1 << 19


def _segments(geoms: np.ndarray):
    """Every segment of every outline: the outlines' vertices (n, 2), each segment's first
    vertex (segment i joins ``coords[first[i]]`` to ``coords[first[i] + 1]``) and unit."""
    parts, unit_of_part = shapely.get_parts(geoms, return_index=True)
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    del parts
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    del rings
    first = np.flatnonzero(ring_of[1:] == ring_of[:-1])
    unit = unit_of_part[part_of_ring[ring_of[first]]].astype(np.int32)
    return coords, first, unit


def _cell_range(lo: np.ndarray, hi: np.ndarray, scale: float, n: int):
    """First and last cell (of ``n``, ``1/scale`` wide) of the boxes ``lo..hi`` (degrees from
    the grid's origin), widened by EPS."""
    c0 = np.clip(np.floor((lo - EPS) * scale), 0, n - 1).astype(np.int64)
    c1 = np.clip(np.floor((hi + EPS) * scale), 0, n - 1).astype(np.int64)
    return c0, c1


def _fine_pairs(geoms: np.ndarray, depth: int, region=None, outside_depth: int | None = None):
    """Unique (finest cell ix, iy, unit), sorted by cell then unit: the cells that the
    widened box of some piece of the unit's outline overlaps.

    Every segment is cut into pieces no longer than half a finest cell (``k`` pieces: the
    points ``a + (b - a) * (j / k)``), a few million at a time. Where cells stop at
    ``outside_depth`` (off ``region``), the finer cells are never made, so a mark there is
    kept as the finest cell at the lower left corner of its cell at ``outside_depth``: every
    level up to that one gets the same marks, and the build keeps hundreds of thousands of
    pairs, not tens of millions. A segment whose box lies in one such cell is not cut at all
    (its pieces lie in its box). On the embedded units this leaves 12.9 of 24.6 million pieces
    to cut.
    """
    coords, first, unit = _segments(geoms)
    off = (180.0, 90.0)
    scale = 2.0 ** depth
    nx, ny = 360 * 2 ** depth, 180 * 2 ** depth
    coarse = region is not None and outside_depth is not None and outside_depth < depth
    shift = depth - outside_depth if coarse else 0

    def collapse(ix, iy):
        """Marks in cells that stop at ``outside_depth``: at their corner."""
        if not coarse:
            return ix, iy
        cx, cy = ix >> shift, iy >> shift
        stop = ~_split_region(cx, cy, outside_depth, region)
        return np.where(stop, cx << shift, ix), np.where(stop, cy << shift, iy)

    codes = []

    def mark(ix0, ix1, iy0, iy1, u):
        if (ix1 - ix0).max(initial=0) > 1 or (iy1 - iy0).max(initial=0) > 1:
            raise AssertionError("outline pieces longer than a cell")
        dx, dy = ix1 > ix0, iy1 > iy0
        both = dx & dy
        xs = np.concatenate([ix0, ix1[dx], ix0[dy], ix1[both]])
        ys = np.concatenate([iy0, iy0[dx], iy1[dy], iy1[both]])
        us = np.concatenate([u, u[dx], u[dy], u[both]]).astype(np.int64)
        xs, ys = collapse(xs, ys)
        codes.append(_unique_sorted((ys * nx + xs) * 8192 + us))

    step = 2.0 ** -depth / 2.0
    d = np.abs(coords[first + 1] - coords[first])
    k = np.maximum(1, np.ceil(np.maximum(d[:, 0], d[:, 1]) / step)).astype(np.int64)
    del d
    ends = np.cumsum(k)
    start = 0
    while start < len(k):
        # segments start..stop-1: about PIECES_AT_A_TIME pieces (at least one segment)
        stop = max(start + 1, int(np.searchsorted(ends, ends[start] - k[start] + PIECES_AT_A_TIME,
                                                  side="right")))
        kk, su = k[start:stop], unit[start:stop]
        sa, sb = coords[first[start:stop]], coords[first[start:stop] + 1]
        start = stop
        if coarse:
            # segments in one cell that stops at outside_depth: one mark, no cutting
            ix0, ix1 = _cell_range(np.minimum(sa[:, 0], sb[:, 0]) + off[0],
                                   np.maximum(sa[:, 0], sb[:, 0]) + off[0], scale, nx)
            iy0, iy1 = _cell_range(np.minimum(sa[:, 1], sb[:, 1]) + off[1],
                                   np.maximum(sa[:, 1], sb[:, 1]) + off[1], scale, ny)
            cx, cy = ix0 >> shift, iy0 >> shift
            one = (cx == (ix1 >> shift)) & (cy == (iy1 >> shift))
            one[one] = ~_split_region(cx[one], cy[one], outside_depth, region)
            mark(ix0[one], ix0[one], iy0[one], iy0[one], su[one])
            kk, sa, sb, su = kk[~one], sa[~one], sb[~one], su[~one]
        seg = np.repeat(np.arange(len(kk)), kk)
        kr = kk[seg]
        j = np.arange(len(seg)) - (np.cumsum(kk) - kk)[seg]
        t0, t1 = j / kr, (j + 1) / kr
        short = kr == 1
        rng = []
        for c, n in ((0, nx), (1, ny)):
            ac, bc = sa[seg, c], sb[seg, c]
            d = bc - ac
            p0, p1 = ac + d * t0, ac + d * t1
            # a piece of a segment left whole has the segment's own end points
            p0, p1 = np.where(short, ac, p0), np.where(short, bc, p1)
            rng.append(_cell_range(np.minimum(p0, p1) + off[c], np.maximum(p0, p1) + off[c],
                                   scale, n))
        mark(rng[0][0], rng[0][1], rng[1][0], rng[1][1], su[seg])
    code = _unique_sorted(np.concatenate(codes)) if codes else np.zeros(0, np.int64)
    cell = code // 8192
    return cell % nx, cell // nx, (code % 8192).astype(np.int32)


def _level_pairs(fx, fy, fu, depth: int, level: int):
    """(cell key, unit) pairs at ``level`` from the finest ones, sorted and unique."""
    s = depth - level
    nx = 360 * 2 ** level
    key = (fy >> s) * nx + (fx >> s)
    code = _unique_sorted(key * 8192 + fu)
    return code // 8192, (code % 8192).astype(np.int32)


def _centres_in_units(geoms, tree, level: int, keys: np.ndarray, exclude: set | None,
                      cand_cell: np.ndarray | None = None, cand_unit: np.ndarray | None = None):
    """Pairs (i, unit): the centre of cell ``keys[i]`` is in ``unit``.

    Candidates are the units whose bounding box holds the centre (``cand_*`` None), or the
    given candidate pairs.
    """
    nx = 360 * 2 ** level
    c = 2.0 ** -level
    cx = (keys % nx + 0.5) * c - 180.0
    cy = (keys // nx + 0.5) * c - 90.0
    if cand_cell is None:
        cand_cell, cand_unit = tree.query(shapely.points(cx, cy))
        cand_unit = cand_unit.astype(np.int32)
    hit = intersects_pairs(geoms, cand_unit, cx[cand_cell], cy[cand_cell])
    return cand_cell[hit], cand_unit[hit]


def _member(a_keys: np.ndarray, sorted_b: np.ndarray) -> np.ndarray:
    if len(sorted_b) == 0:
        return np.zeros(len(a_keys), dtype=bool)
    pos = np.clip(np.searchsorted(sorted_b, a_keys), 0, len(sorted_b) - 1)
    return sorted_b[pos] == a_keys


def _coast_flags(keys: np.ndarray, level: int, marked_sorted: np.ndarray, band: float) -> np.ndarray:
    """For empty leaves: may a point of the cell be within the coastal band of some outline?"""
    out = np.ones(len(keys), dtype=bool)
    if band <= 0:
        out[:] = False
        return out
    nx, ny = 360 * 2 ** level, 180 * 2 ** level
    c = 2.0 ** -level
    ix, iy = keys % nx, keys // nx
    y0 = iy * c - 90.0
    latmax = np.minimum(np.maximum(np.abs(y0), np.abs(y0 + c)), 89.0)
    r = band / (111_320.0 * np.maximum(np.cos(np.radians(latmax)), 1e-3)) * 1.01 * 1.05 + 1e-7
    k = np.ceil(r / c).astype(np.int64)
    for kk in range(1, 5):
        sel = np.flatnonzero(k == kk)
        if len(sel) == 0:
            continue
        near = np.zeros(len(sel), dtype=bool)
        for dy in range(-kk, kk + 1):
            yy = iy[sel] + dy
            okay = (yy >= 0) & (yy < ny)
            for dx in range(-kk, kk + 1):
                xx = (ix[sel] + dx) % nx  # wraps across the antimeridian
                near |= okay & _member(np.where(okay, yy, 0) * nx + xx, marked_sorted)
        out[sel] = near
    return out  # k > 4 (near the poles): conservatively "coast"


@dataclass
class QuadIndex:
    """The arrays of a built index (what is cached)."""

    depth: int
    root: np.ndarray        # (180*2**R, 360*2**R) int32: >= 0 node block, < 0 -> leaf -1-v
    child: np.ndarray       # int32, 4 entries per node block, same encoding
    leaf_kind: np.ndarray   # int8
    leaf_unit: np.ndarray   # int32: the one unit of an "inside" leaf with one unit, else -1
    w_ptr: np.ndarray       # units holding the whole cell
    w_idx: np.ndarray
    b_ptr: np.ndarray       # units whose outline crosses a mixed cell
    b_idx: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in ("root", "child", "leaf_kind", "leaf_unit",
                                              "w_ptr", "w_idx", "b_ptr", "b_idx")}


def build_index(geoms: np.ndarray, band: float, *, depth: int = DEPTH, tree=None,
                region: tuple[float, float, float, float] | None = REGION,
                outside_depth: int = OUTSIDE_DEPTH) -> QuadIndex:
    """Build the quadtree over unit polygons ``geoms`` (see the module docstring).

    Cells are split down to ``depth`` inside ``region`` (lon0, lat0, lon1, lat1; None: the
    world) and down to ``outside_depth`` elsewhere; an undecided cell that is not split further
    is a "mixed" leaf, which is still exact, only slower to answer.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) >= 8192:
        raise ValueError(f"too many units ({len(geoms)}); the engine handles up to 8191")
    shapely.prepare(geoms)
    tree = tree if tree is not None else shapely.STRtree(geoms)
    fx, fy, fu = _fine_pairs(geoms, depth, region, outside_depth)

    leaves: list[tuple] = []  # per level: (level, keys, kind, w_cell, w_unit, b_cell, b_unit)
    internal: list[tuple[int, np.ndarray]] = []
    # level 0: every 1-degree cell
    keys = np.arange(360 * 180, dtype=np.int64)
    bk, bu = _level_pairs(fx, fy, fu, depth, 0)
    cand_cell, cand_unit = None, None
    wc, wu = None, None
    prev_w = (np.zeros(0, np.int64), np.zeros(0, np.int32))
    for level in range(0, depth + 1):
        nunits = 8192
        b_codes = bk * nunits + bu  # sorted
        if level == 0:
            cc, cu = tree.query(shapely.points((keys % 360 + 0.5) - 180.0, (keys // 360 + 0.5) - 90.0))
            cu = cu.astype(np.int32)
        else:
            cc, cu = cand_cell, cand_unit
        # candidates whose outline does not touch the cell: the centre decides
        not_b = ~_member(keys[cc] * nunits + cu, b_codes)
        hc, hu = _centres_in_units(geoms, tree, level, keys, None, cc[not_b], cu[not_b])
        wc = np.concatenate([prev_w[0], hc])
        wu = np.concatenate([prev_w[1], hu])
        marked = _member(keys, _unique_sorted(bk))
        w_count = np.bincount(wc, minlength=len(keys))
        split = marked.copy() if level < depth else np.zeros(len(keys), dtype=bool)
        if level >= outside_depth and region is not None:
            nxl = 360 * 2 ** level
            split &= _split_region(keys % nxl, keys // nxl, level, region)
        last = not split.any()
        leaf = ~split
        # leaves of this level
        lk = keys[leaf]
        kind = np.full(len(lk), INSIDE, dtype=np.int8)
        empty = (w_count[leaf] == 0)
        is_mixed = marked[leaf]
        kind[is_mixed] = MIXED
        sea = empty & ~is_mixed
        if sea.any():
            marked_sorted = _unique_sorted(bk)
            coast = _coast_flags(lk[sea], level, marked_sorted, band)
            kind[np.flatnonzero(sea)[~coast]] = FAR_SEA
            kind[np.flatnonzero(sea)[coast]] = COAST
        leaf_pos = np.full(len(keys), -1, dtype=np.int64)
        leaf_pos[leaf] = np.arange(len(lk))
        wsel = leaf[wc]
        bpos = np.searchsorted(keys, bk)
        bsel = leaf[bpos]
        leaves.append((level, lk, kind, leaf_pos[wc[wsel]], wu[wsel],
                       leaf_pos[bpos[bsel]], bu[bsel]))
        if last:
            break
        # split marked cells into four children
        parents = keys[split]
        internal.append((level, parents))
        nx = 360 * 2 ** level
        px, py = parents % nx, parents // nx
        cx = (2 * px)[:, None] + np.array([0, 1, 0, 1])
        cy = (2 * py)[:, None] + np.array([0, 0, 1, 1])
        child_keys = (cy * (2 * nx) + cx).ravel()  # sorted: parents sorted by (py, px)? not needed
        order = np.argsort(child_keys, kind="stable")
        child_keys = child_keys[order]
        # children inherit the parent's whole-cell units
        ppos = np.full(len(keys), -1, dtype=np.int64)
        ppos[split] = np.arange(len(parents))
        wsel = split[wc]
        # map parent -> its children positions
        child_pos_of_parent = np.empty((len(parents), 4), dtype=np.int64)
        child_pos_of_parent.ravel()[order] = np.arange(len(child_keys))
        pw_owner = ppos[wc[wsel]]
        prev_w = (child_pos_of_parent[pw_owner].ravel(),
                  np.repeat(wu[wsel], 4))
        # candidates for the children's centre tests: the parent's outline units
        bsel = split[np.searchsorted(keys, bk)]
        pb_owner = ppos[np.searchsorted(keys, bk[bsel])]
        cand_cell = child_pos_of_parent[pb_owner].ravel()
        cand_unit = np.repeat(bu[bsel], 4)
        keys = child_keys
        bk, bu = _level_pairs(fx, fy, fu, depth, level + 1)
        inside = _member(bk, keys)  # outlines in cells that are split further
        bk, bu = bk[inside], bu[inside]
    return _assemble(leaves, internal, depth)


def _assemble(leaves, internal, depth: int) -> QuadIndex:
    """Lay the leaves and internal nodes out as a root table plus 4-way node blocks."""
    # number the leaves
    kinds, wcs, wus, bcs, bus = [], [], [], [], []
    base = 0
    leaf_base = {}
    for level, lk, kind, wc, wu, bc, bu in leaves:
        leaf_base[level] = base
        kinds.append(kind)
        wcs.append(wc + base)
        wus.append(wu)
        bcs.append(bc + base)
        bus.append(bu)
        base += len(lk)
    nleaves = base
    leaf_kind = np.concatenate(kinds)
    wc, wu = np.concatenate(wcs), np.concatenate(wus)
    bc, bu = np.concatenate(bcs), np.concatenate(bus)
    w_ptr, w_idx = _csr(wc, wu, nleaves)
    b_ptr, b_idx = _csr(bc, bu, nleaves)
    w_count = np.diff(w_ptr)
    leaf_unit = np.full(nleaves, -1, dtype=np.int32)
    one = (leaf_kind == INSIDE) & (w_count == 1)
    leaf_unit[one] = w_idx[w_ptr[:-1][one]]

    leaf_by_level = {lv: (lk, leaf_base[lv]) for lv, lk, *_ in leaves}
    depth = max(lv for lv, *_ in leaves)
    empty = np.zeros(0, np.int64)
    for lv in range(depth + 1):
        leaf_by_level.setdefault(lv, (empty, nleaves))
    internal_by_level = dict(internal)
    # root table at ROOT_LEVEL: upsample coarser leaves
    R = min(ROOT_LEVEL, depth)
    grid = None
    for level in range(0, R + 1):
        nx, ny = 360 * 2 ** level, 180 * 2 ** level
        if grid is None:
            grid = np.zeros(nx * ny, dtype=np.int64)
        else:
            grid = grid.reshape(ny // 2, nx // 2).repeat(2, 0).repeat(2, 1).ravel()
        lk, lb = leaf_by_level[level]
        grid[lk] = -1 - (lb + np.arange(len(lk)))
    ny_r, nx_r = 180 * 2 ** R, 360 * 2 ** R
    # node blocks for internal cells at levels >= R
    blocks: dict[int, tuple[np.ndarray, int]] = {}
    nblocks = 0
    for level in range(R, depth):
        parents = internal_by_level.get(level, np.zeros(0, np.int64))
        blocks[level] = (parents, nblocks)
        nblocks += len(parents)
    child = np.zeros(4 * nblocks, dtype=np.int64)
    parents_r, b0 = blocks.get(R, (np.zeros(0, np.int64), 0))
    grid[parents_r] = b0 + np.arange(len(parents_r))
    for level in range(R, depth):
        parents, pb = blocks[level]
        if len(parents) == 0:
            continue
        nx = 360 * 2 ** level
        px, py = parents % nx, parents // nx
        for q, (ox, oy) in enumerate(((0, 0), (1, 0), (0, 1), (1, 1))):
            ck = (2 * py + oy) * (2 * nx) + (2 * px + ox)
            val = np.zeros(len(parents), dtype=np.int64)
            lk, lb = leaf_by_level[level + 1]
            pos = np.searchsorted(lk, ck)
            pos_c = np.clip(pos, 0, max(len(lk) - 1, 0))
            is_leaf = (len(lk) > 0) & (lk[pos_c] == ck) if len(lk) else np.zeros(len(ck), bool)
            val[is_leaf] = -1 - (lb + pos_c[is_leaf])
            if level + 1 < depth:
                nparents, nb = blocks[level + 1]
                npos = np.clip(np.searchsorted(nparents, ck), 0, max(len(nparents) - 1, 0))
                is_int = (~is_leaf) & (nparents[npos] == ck) if len(nparents) else np.zeros(len(ck), bool)
                val[is_int] = nb + npos[is_int]
                if not (is_leaf | is_int).all():
                    raise AssertionError("quadtree child neither leaf nor node")
            elif not is_leaf.all():
                raise AssertionError("quadtree child at the finest level is not a leaf")
            child[4 * (pb + np.arange(len(parents))) + q] = val
    return QuadIndex(depth=depth, root=grid.astype(np.int32).reshape(ny_r, nx_r),
                     child=child.astype(np.int32), leaf_kind=leaf_kind, leaf_unit=leaf_unit,
                     w_ptr=w_ptr, w_idx=w_idx, b_ptr=b_ptr, b_idx=b_idx)


# ----------------------------------------------------------------------------------------------
# querying


@dataclass
class Located:
    """Candidate units per point, compactly.

    Attributes
    ----------
    unit
        int32 per point: the only candidate unit, -1 for none, -2 for several (see ``multi``).
    multi
        ``{point index: sorted array of unit indices}`` for the points with several candidates.
    offshore_m
        Distance (m) to the nearest unit for points taken into a unit by the coastal band,
        NaN elsewhere (as :func:`~geoverify.engine.locate.locate`'s ``offshore_m``).
    """

    unit: np.ndarray
    multi: dict[int, np.ndarray]
    offshore_m: np.ndarray


class Engine:
    """Exact point-in-unit classification backed by a :class:`QuadIndex`.

    Parameters
    ----------
    geoms
        The unit polygons (lon/lat degrees), in the order of the units layer.
    band
        The coastline accuracy in metres (``accuracy_m["coastline"]``).
    index
        A built index for exactly these polygons (see :func:`engine_for`).
    tree
        Optional STRtree over ``geoms`` (reused from :class:`PreparedBoundaries`).
    """

    def __init__(self, geoms, band: float, index: QuadIndex, tree=None) -> None:
        if isinstance(geoms, _units.UnitGeometry) and geoms.lazy:
            self.geoms = geoms  # polygons made (and prepared) as points reach them
            self.tree = tree if tree is not None else geoms.tree()
        else:
            self.geoms = np.asarray(geoms, dtype=object)
            shapely.prepare(self.geoms)
            self.tree = tree if tree is not None else shapely.STRtree(self.geoms)
        self.band = float(band)
        self.index = index
        #: Set by :func:`engine_for` for an index loaded from the cache: rebuilds it.
        self._rebuild = None

    # -- lookups -------------------------------------------------------------------------------
    def leaves(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Leaf id of each point (points must be finite and within lon/lat range)."""
        ix = self.index
        d = ix.depth
        scale = 2.0 ** d
        fx = np.floor((lon + 180.0) * scale).astype(np.int64)
        fy = np.floor((lat + 90.0) * scale).astype(np.int64)
        np.clip(fx, 0, 360 * 2 ** d - 1, out=fx)
        np.clip(fy, 0, 180 * 2 ** d - 1, out=fy)
        R = min(ROOT_LEVEL, d)
        v = ix.root[fy >> (d - R), fx >> (d - R)]
        act = np.flatnonzero(v >= 0)
        level = R
        while len(act):
            if level >= d:
                raise IndexError("quadtree node below the finest level: damaged index")
            level += 1
            s = d - level
            q = ((fy[act] >> s) & 1) * 2 + ((fx[act] >> s) & 1)
            nv = ix.child[4 * v[act].astype(np.int64) + q]
            v[act] = nv
            act = act[nv >= 0]
        return -1 - v

    def locate(self, lon, lat) -> Located:
        """Candidate units of every point: the exact ``intersects`` answer plus the coastal band.

        An index loaded from the cache that fails in use (an ``IndexError`` or ``ValueError``
        from arrays that passed the checksum but do not fit) is rebuilt once and the query run
        again, so a damaged cache never changes an answer or stops a run.
        """
        try:
            return self._locate(lon, lat)
        except (IndexError, ValueError):
            if self._rebuild is None:
                raise
            rebuild, self._rebuild = self._rebuild, None
            log.info("engine cache failed in use; rebuilding the index")
            self.index = rebuild()
            return self._locate(lon, lat)

    def _locate(self, lon, lat) -> Located:
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        n = len(lon)
        unit = np.full(n, -1, dtype=np.int32)
        offshore = np.full(n, np.nan)
        multi: dict[int, np.ndarray] = {}
        inrange = (lon >= -180.0) & (lon <= 180.0) & (lat >= -90.0) & (lat <= 90.0)
        pts = np.flatnonzero(inrange)
        leaf = self.leaves(lon[pts], lat[pts])
        ix = self.index
        lu = ix.leaf_unit[leaf]
        unit[pts] = lu
        kind = ix.leaf_kind[leaf]
        slow = (lu < 0) & (kind != FAR_SEA)
        sp, sl = pts[slow], leaf[slow]
        # pairs (point, unit) that hold: whole-cell units, and outline units that test true
        wo, wu = _expand_csr(ix.w_ptr, ix.w_idx, sl)
        bo, bu = _expand_csr(ix.b_ptr, ix.b_idx, sl)
        hit = intersects_pairs(self.geoms, bu, lon[sp[bo]], lat[sp[bo]])
        own = np.concatenate([wo, bo[hit]])
        uu = np.concatenate([wu, bu[hit]])
        count = np.bincount(own, minlength=len(sp))
        one = count == 1
        first = np.full(len(sp), -1, dtype=np.int32)
        first[own] = uu
        res = np.where(one, first, np.where(count == 0, -1, -2)).astype(np.int32)
        unit[sp] = res
        if (count > 1).any():
            order = np.lexsort((uu, own))
            for o, s, e in _group_slices(own[order]):
                if count[o] > 1:
                    multi[int(sp[o])] = np.unique(uu[order[s:e]])
        # outside the grid's range: the plain predicate
        out = np.flatnonzero(~inrange & ~(np.isnan(lon) | np.isnan(lat)))
        if len(out):
            pi, gi = self.tree.query(shapely.points(lon[out], lat[out]), predicate="intersects")
            cnt = np.bincount(pi, minlength=len(out))
            for p in np.flatnonzero(cnt == 1):
                unit[out[p]] = gi[pi == p][0]
            for p in np.flatnonzero(cnt > 1):
                unit[out[p]] = -2
                multi[int(out[p])] = np.unique(gi[pi == p])
        # the coastal band for points in no unit that may be near one
        coast = np.concatenate([sp[count == 0], out[np.bincount(pi, minlength=len(out)) == 0]
                                if len(out) else np.zeros(0, np.int64)])
        if self.band > 0 and len(coast):
            self._coastal(lon, lat, np.sort(coast), unit, multi, offshore)
        return Located(unit=unit, multi=multi, offshore_m=offshore)

    def _dwithin_pairs(self, x, y, pi, gi, dist, per_pair: bool = False) -> np.ndarray:
        ok = np.zeros(len(pi), dtype=bool)
        order = np.argsort(gi, kind="stable")
        with PREPARED_LOCK:
            for g, s, e in _group_slices(gi[order]):
                sel = order[s:e]
                d = dist[sel] if per_pair else dist[pi[sel]]
                ok[sel] = shapely.dwithin(self.geoms[g], shapely.points(x[pi[sel]], y[pi[sel]]),
                                          d)
        return ok

    def _coastal(self, lon, lat, idx, unit, multi, offshore) -> None:
        band = self.band
        x, y = lon[idx], lat[idx]
        # a slightly wider reach (vectorised) first; then the exact reach of locate, per point,
        # for the few pairs left. Boxes give a superset of STRtree's dwithin candidates and the
        # prepared unit polygons answer dwithin exactly.
        wide = band / (111_320.0 * np.maximum(np.cos(np.radians(np.minimum(np.abs(y), 89.0))),
                                              1e-3)) * 1.01 * 1.001 + 1e-12
        pi, gi = self.tree.query(shapely.box(x - wide, y - wide, x + wide, y + wide))
        if len(pi) == 0:
            return
        ok = self._dwithin_pairs(x, y, pi, gi, wide)
        pi, gi = pi[ok], gi[ok]
        if len(pi) == 0:
            return
        exact = np.array([reach_deg(band, y[p]) * 1.01 for p in pi.tolist()])
        ok = self._dwithin_pairs(x, y, pi, gi, exact, per_pair=True)
        pi, gi = pi[ok], gi[ok]
        if len(pi) == 0:
            return
        order = np.argsort(pi, kind="stable")
        pi, gi = pi[order], gi[order]
        rows = idx[pi]
        dist = local_distances_m(lon[rows], lat[rows], self.geoms[gi], band)
        for p, s, e in _group_slices(pi):
            i = int(idx[p])
            cand = gi[s:e]
            d = dist[s:e]
            near = cand[d <= band]
            if len(near) == 0:
                continue
            offshore[i] = float(d[d <= band].min())
            near = np.unique(near)
            if len(near) == 1:
                unit[i] = near[0]
            else:
                unit[i] = -2
                multi[i] = near


def units_hash(geoms) -> str:
    """sha256 of the polygons' WKB (the cache key of a boundary set without provenance)."""
    h = hashlib.sha256()
    for chunk in np.array_split(np.asarray(geoms, dtype=object), max(1, len(geoms) // 256)):
        for w in shapely.to_wkb(chunk, hex=False):
            h.update(w)
    return h.hexdigest()


def _layer_key(boundaries, layer: str = "units") -> str:
    for p in getattr(boundaries, "provenance", None) or []:
        if p.get("name") == layer and p.get("sha256"):
            return f"{layer}-" + str(p["sha256"])
    return f"wkb-{layer}-" + units_hash(_layer_geoms(boundaries, layer))


def _layer_geoms(boundaries, layer: str):
    if layer == "units" and hasattr(boundaries, "unit_polygons"):
        return boundaries.unit_polygons  # made on first use (UnitGeometry)
    frame = boundaries.units if layer == "units" else getattr(boundaries, layer)
    return np.asarray(frame.geometry.values, dtype=object)


def _cache_path(boundaries, band: float, depth: int, layer: str = "units") -> Path:
    key = f"{_layer_key(boundaries, layer)}-b{band:g}-d{depth}-v{ENGINE_VERSION}"
    return cache_dir() / "engine" / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".npz")


_ARRAYS = ("root", "child", "leaf_kind", "leaf_unit", "w_ptr", "w_idx", "b_ptr", "b_idx")


def index_checksum(index: QuadIndex) -> str:
    """sha256 over the names, dtypes, shapes and bytes of an index's arrays."""
    h = hashlib.sha256()
    for k in _ARRAYS:
        a = np.ascontiguousarray(getattr(index, k))
        h.update(f"{k}:{a.dtype.str}:{a.shape};".encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def check_index(index: QuadIndex, n_units: int | None = None) -> None:
    """Raise ``ValueError`` unless the index's arrays fit together: shapes, dtypes, pointer
    ranges and unit numbers (what a damaged or foreign cache file would get wrong)."""
    R = min(ROOT_LEVEL, index.depth)
    root, child = index.root, index.child
    arrays = index.arrays()
    if any(not np.issubdtype(a.dtype, np.integer) for a in arrays.values()):
        raise ValueError("non-integer array")
    if root.shape != (180 * 2 ** R, 360 * 2 ** R) or child.ndim != 1 or len(child) % 4:
        raise ValueError("root or child table of the wrong shape")
    nleaves = len(index.leaf_kind)
    nblocks = len(child) // 4
    if index.leaf_unit.shape != (nleaves,):
        raise ValueError("leaf arrays of different lengths")
    for ptr, idx in ((index.w_ptr, index.w_idx), (index.b_ptr, index.b_idx)):
        if ptr.shape != (nleaves + 1,) or idx.ndim != 1 or ptr[0] != 0 or ptr[-1] != len(idx):
            raise ValueError("pointer array of the wrong shape")
        if len(ptr) > 1 and (np.diff(ptr) < 0).any():
            raise ValueError("pointer array not sorted")
        if len(idx) and (idx.min() < 0 or (n_units is not None and idx.max() >= n_units)):
            raise ValueError("unit number out of range")
    if len(index.leaf_kind) and (index.leaf_kind.min() < INSIDE or index.leaf_kind.max() > MIXED):
        raise ValueError("unknown leaf kind")
    lu = index.leaf_unit
    if len(lu) and (lu.min() < -1 or (n_units is not None and lu.max() >= n_units)):
        raise ValueError("leaf unit out of range")
    for table in (root, child):
        if table.size and (table.max() >= nblocks or table.min() < -nleaves):
            raise ValueError("node or leaf pointer out of range")


def load_index(path: Path, depth: int, *, layer: str | None = None,
               n_units: int | None = None) -> QuadIndex | None:
    """The cached index at ``path``, or ``None`` when it cannot be trusted.

    A cache file carries the engine version, the depth, the layer key it was built for and a
    checksum of its arrays (:func:`index_checksum`); any mismatch, a missing or misshapen
    array (:func:`check_index`), a truncated or unreadable file makes it ``None``, and the
    caller rebuilds the index.
    """
    try:
        try:  # mapped from the file (read-only views): no copy, no zipfile loop
            z = mapped_npz(path)
        except ValueError:  # a member it cannot map (compressed, say): read it all
            with np.load(path, allow_pickle=False) as f:
                z = {k: f[k] for k in ("meta", *_ARRAYS)}
        meta = json.loads(bytes(z["meta"]).decode("utf-8"))
        arrays = {k: z[k] for k in _ARRAYS}
        built_depth = meta.get("depth")
        if (meta.get("engine_version") != ENGINE_VERSION or not isinstance(built_depth, int)
                or not 0 <= built_depth <= depth
                or (layer is not None and meta.get("layer") != layer)):
            return None
        index = QuadIndex(depth=built_depth, **arrays)  # cells stop at their finest level
        if meta.get("checksum") != index_checksum(index):
            return None
        check_index(index, n_units)
        drop_resident(*arrays.values())  # the checks read every page; keep those used
        return index
    except Exception:  # unreadable, truncated, foreign or stale cache: rebuild
        return None


def save_index(index: QuadIndex, path: Path, *, layer: str = "") -> None:
    """Write the index atomically with its checksum and the layer key it belongs to."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path.parent)
    meta = json.dumps({"engine_version": ENGINE_VERSION, "depth": index.depth, "layer": layer,
                       "checksum": index_checksum(index)})
    tmp = temp_path(path)
    try:
        with open(tmp, "wb") as f:
            np.savez(f, meta=np.frombuffer(meta.encode("utf-8"), dtype=np.uint8),
                     **index.arrays())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def engine_for(boundaries, *, depth: int = DEPTH, cache: bool = True, tree=None,
               layer: str = "units") -> Engine:
    """The engine of a boundary set's polygon layer: built once per process, cached on disk
    between runs.

    ``layer`` is ``units`` (with the coastline band) or ``waters`` (the territorial waters,
    no band). ``cache=False`` builds in memory only. Layers without provenance are keyed by a
    hash of their polygons.
    """
    store = boundaries._cache
    key = ("engine", depth) if layer == "units" else ("engine", depth, layer)
    if key in store:
        return store[key]
    geoms = _layer_geoms(boundaries, layer)
    band = float(boundaries.accuracy_m.get("coastline", 0.0)) if layer == "units" else 0.0
    index = None
    path = None
    layer_key = ""
    if cache:
        path = _cache_path(boundaries, band, depth, layer)
        layer_key = f"{_layer_key(boundaries, layer)}-b{band:g}"
        if path.exists():
            index = load_index(path, depth, layer=layer_key, n_units=len(geoms))
            if index is None:
                log.info("engine cache %s cannot be trusted (damaged or stale); rebuilding it",
                         path)

    def build() -> QuadIndex:
        # building reads every polygon, with a tree of the polygons themselves
        lazy = isinstance(geoms, _units.UnitGeometry) and geoms.lazy
        built = build_index(geoms.passing() if lazy else np.asarray(geoms, dtype=object), band,
                            depth=depth, tree=None if lazy else tree)
        if path is not None:
            try:
                save_index(built, path, layer=layer_key)
            except OSError:
                pass  # a read-only cache is not an error: the index is rebuilt next time
            else:
                # the saved file's pages rather than a second copy in the heap (86 MB for the
                # embedded units), as a later run has it; load_index checks them against the
                # checksum save_index took of the built arrays
                mapped = load_index(path, depth, layer=layer_key, n_units=len(geoms))
                if mapped is not None:
                    built = mapped
        give_back()  # what the build freed (hundreds of MB) goes back before the batches
        return built

    from_cache = index is not None
    if index is None:
        index = build()
    engine = Engine(geoms, band, index, tree=tree)
    if from_cache:
        engine._rebuild = build  # an error in use rebuilds the index once (see Engine.locate)
    store[key] = engine
    return engine


def locate_frame(engine: Engine, unit_codes, unit_level, unit_country, lon, lat) -> pd.DataFrame:
    """The DataFrame of :func:`geoverify.engine.locate.locate`, from the engine."""
    res = engine.locate(lon, lat)
    codes = np.asarray(unit_codes, dtype=object)
    is_adm1 = np.asarray(unit_level, dtype=object) == "adm1"
    ctry = np.asarray(unit_country, dtype=object)
    u = res.unit
    single = u >= 0
    us = np.where(single, u, 0)
    country = np.where(single, ctry[us], None)
    adm1 = np.where(single & is_adm1[us], codes[us], None)
    cc = [[c] if c is not None else [] for c in country.tolist()]
    rc = [[c] if c is not None else [] for c in adm1.tolist()]
    country = country.tolist()
    adm1 = adm1.tolist()
    for i, units in res.multi.items():
        cset = sorted({ctry[g] for g in units.tolist()})
        rset = sorted({codes[g] for g in units.tolist() if is_adm1[g]})
        cc[i], rc[i] = cset, rset
        country[i] = cset[0] if len(cset) == 1 else None
        adm1[i] = rset[0] if len(rset) == 1 else None
    return pd.DataFrame({
        "country": country,
        "country_candidates": cc,
        "adm1": adm1,
        "adm1_candidates": rc,
        "offshore_m": res.offshore_m,
    }, dtype=object)
