"""Distances from millions of points to sets of boundary lines, computed in bulk.

A :class:`LineSet` holds short pieces of line (lon/lat degrees; a piece's vertices are joined
by straight segments in lon/lat, as shapely draws them) and answers, for arrays of points, the
geodesic distance to the nearest piece and which piece that is.

How a distance is found
-----------------------
Segments are cut so that none is longer than ``segment_m`` (inserted vertices lie on the
segment, so the line does not change) and every vertex is placed in Earth-centred
coordinates (:mod:`geoverify.engine.geodesy`) in a KD-tree. For a point P, the ``K`` nearest
vertices give candidate segments (the two segments at each vertex); the nearest of those by
chord distance, ``d``, is an upper bound. The nearest point F of the true nearest segment AB
lies within ``L/2`` of A or B (``L`` the longest segment), so one of A, B is within
``R = sqrt(d**2 + (L/2)**2)`` of P: when the K-th vertex is farther than ``R``, every segment
that could be nearer was among the candidates, and the answer is exact. Otherwise eight times
more vertices are fetched, and so on, until it is. The distance reported is the
geodesic length of that chord (:func:`~geoverify.engine.geodesy.arc_from_chord`: 0.1 mm at
25 km).

Distances are measured only within reach: :data:`NEAR_M` (25 km) by default, or a larger
``exact_within`` per point. The world is cut into grid cells (:data:`CELL_DEG`); a coarse copy
of the lines, simplified by Douglas-Peucker with :data:`COARSE_TOLERANCE_M`, gives each cell a
lower bound on the distance from any of its points (cached per cell). Points in cells whose
bound is beyond their reach get no distance, only that bound (``Nearest.lower_m``). The others
are answered exactly from a tree of the full-detail lines around their tile, built on first use
and kept while the trees of every line set together hold at most :data:`TILE_VERTICES` vertices
(least recently used go first); a tile tree is searched only within the reach it was built for.
Sets with few vertices use one full-detail tree for the points their cells leave.
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely
from pykdtree.kdtree import KDTree

from geoverify.arrowtext import native_allowed, unique_ints
from geoverify.engine import treecache
from geoverify.engine.geodesy import arc_from_chord, ecef
from geoverify.io.limits import DISTANCE_REACH_M

try:  # the compiled kernel (setup.py builds it where a C compiler is present)
    from geoverify.engine._segtree import SegTree
except ImportError:  # pragma: no cover - the NumPy code below gives the same answers
    SegTree = None

#: Within this distance (metres) of a line, distances are measured, exact to well under 0.1 m
#: (:data:`geoverify.io.limits.DISTANCE_REACH_M`); beyond it only a lower bound is known.
NEAR_M = DISTANCE_REACH_M
#: Douglas-Peucker tolerance of the coarse copy, metres: the error bound of far distances.
COARSE_TOLERANCE_M = 100.0
#: Longest segment (chord, metres) in the full-detail trees and in the coarse tree.
FINE_SEGMENT_M = 100.0
COARSE_SEGMENT_M = 2_000.0
#: Size (degrees) of the tiles that full-detail trees are built for. 1M-row regional stream,
#: three runs each (2026-12-03): 4-degree tiles 10.16 s and 816 MB peak, 2-degree tiles
#: 10.80 s and 946 MB, same bytes.
TILE_DEG = 4.0
#: Size (degrees) of the grid cells whose lower bound decides that a point is out of reach.
CELL_DEG = 1.0 / 16.0
#: Longest half-diagonal of a grid cell, metres (added to the reach of full-detail tiles).
CELL_REACH_M = 5_000.0
#: Line sets with fewer full-detail vertices than this use one exact tree for every point.
SMALL_SET_VERTICES = 300_000
#: Full-detail vertices kept in tile trees, all line sets of the process together (a tree
#: costs about 74 bytes a vertex in the compiled kernel: both ends of each segment, its number,
#: the nodes' boxes, the piece numbers; about 40 in the NumPy one). Trees are
#: dropped least recently used first. A regional stream (Ukraine and its neighbours, 200k
#: rows) keeps 0.85M in 67 trees; world-wide points rebuild trees instead of holding the
#: world's 12M densified vertices of every line set. A world-wide 50k-row stream
#: (2026-12-03, 2-degree tiles): 2.98 GB peak and 28.9 s with 48 trees per line set and every
#: tree of a query built before the first was used; 1.47 GB and 12.5 s with this budget (1.80
#: GB with 8M); with 4-degree tiles 1.47 GB and 11.6 s.
TILE_VERTICES = 4_000_000
#: Tiles of a query that count as few (:data:`FEW_POINTS`): 192 square degrees.
FEW_TILES = 12
#: Vertices fetched per point at first (8 times more, then 64 times, while a point's answer
#: cannot be proved).
K = 4
#: Points per block in vectorised queries (bounds the temporary arrays).
BLOCK = 32_768
#: A query of at most this many points in at most :data:`FEW_TILES` tiles skips the grid cells'
#: lower bounds: every point goes to the full-detail tree of its tile, which holds every piece
#: within its reach. A batch of the in-memory executor (at most 65,536 rows) over one region (eight
#: tiles of 4 degrees: Ukraine and its neighbours' border regions) is such a query; building the
#: coarse tree of a world-wide line set costs more than it saves there (1M rows: 24.6 s and
#: 1.69 GB instead of 25.2 s and 1.82 GB, same bytes). More tiles than :data:`FEW_TILES`, or
#: more points, take the cells' bounds.
FEW_POINTS = 70_000

_M_PER_DEG = 111_320.0  # longest metres in a degree of latitude or longitude (at the equator)


# ---------------------------------------------------------------------------------------------
# vertices


def densify(lon: np.ndarray, lat: np.ndarray, owner: np.ndarray, max_m: float):
    """Insert vertices so that no segment between consecutive vertices of the same owner is
    longer than ``max_m`` (chord metres). New vertices are on the segment (linear in lon/lat).

    Returns ``(lon, lat, owner, xyz)``.
    """
    n = len(lon)
    if n == 0:
        return lon, lat, owner, np.zeros((0, 3))
    xyz = ecef(lon, lat)
    same = owner[1:] == owner[:-1]
    seg = np.linalg.norm(xyz[1:] - xyz[:-1], axis=1)
    k = np.where(same, np.maximum(1, np.ceil(seg / max_m)), 1).astype(np.int64)
    if (k == 1).all():
        return lon, lat, owner, xyz
    counts = np.append(k, 1)
    rep = np.repeat(np.arange(n), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    t = (np.arange(len(rep)) - start) / np.repeat(counts, counts)
    nxt = np.minimum(rep + 1, n - 1)
    dlon = lon[nxt] - lon[rep]
    dlon = np.where(np.abs(dlon) > 180.0, (dlon + 180.0) % 360.0 - 180.0, dlon)
    new_lon = lon[rep] + t * dlon
    new_lon = np.where(new_lon > 180.0, new_lon - 360.0, np.where(new_lon < -180.0, new_lon + 360.0,
                                                                   new_lon))
    new_lat = lat[rep] + t * (lat[nxt] - lat[rep])
    exact = t == 0.0
    new_lon[exact] = lon[rep[exact]]
    new_lat[exact] = lat[rep[exact]]
    return new_lon, new_lat, owner[rep], ecef(new_lon, new_lat)


def native() -> bool:
    """Whether queries use the compiled kernel (:mod:`geoverify.engine._segtree`): when it
    was built, unless ``GEOVERIFY_NATIVE=0`` (:func:`geoverify.arrowtext.native_allowed`)."""
    return SegTree is not None and native_allowed()


class VertexTree:
    """Exact nearest-segment queries over densified line vertices (see the module docstring).

    Parameters
    ----------
    lon, lat
        Vertices in degrees, pieces one after another.
    owner
        Piece index of each vertex (consecutive vertices of one piece form its segments).
    max_m
        Longest segment wanted (chord metres); longer ones are cut.
    """

    def __init__(self, lon, lat, owner, max_m: float) -> None:
        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        owner = np.asarray(owner, np.int64)
        key = None
        if native() and len(lon) >= treecache.TREE_CACHE_MIN:
            # the same vertices built the same tree before: read it (see treecache)
            key = treecache.tree_key(lon, lat, owner, max_m)
            cached = None if key is None else treecache.load_tree(key)
            if cached is not None:
                self.owner, self.n, self.half, self.native = cached
                return
        lon, lat, owner, xyz = densify(lon, lat, owner, max_m)
        self.owner = owner.astype(np.int32)  # piece numbers in 32 bits (never 2**31 pieces)
        n = len(lon)
        self.n = n
        nxt = np.zeros(n, dtype=bool)
        if n > 1:
            nxt[:-1] = owner[1:] == owner[:-1]
        if n > 1 and nxt.any():
            seg = np.linalg.norm(xyz[1:] - xyz[:-1], axis=1)[nxt[:-1]]
            self.half = float(seg.max()) / 2.0
        else:
            self.half = 0.0
        self.native = None
        if native():
            # the compiled tree keeps its own copy of the vertices: nothing else is needed
            self.native = SegTree(np.ascontiguousarray(xyz), nxt.view(np.uint8))
            if key is not None:
                treecache.save_tree(key, self.owner, n, self.half, self.native)
            return
        # only what the NumPy queries need: the KD-tree keeps ``xyz`` (its data), segments
        # are read from views of it (a tree of a tile holds a million vertices or more)
        self.xyz = xyz
        self.x, self.y, self.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
        self.has_next = nxt
        self.has_prev = np.zeros(n, dtype=bool)
        self.has_prev[1:] = nxt[:-1]
        self.tree = KDTree(np.ascontiguousarray(xyz), leafsize=16) if n else None

    # -- geometry on candidate segments ------------------------------------------------------
    def _seg_dist(self, P: np.ndarray, S: np.ndarray):
        """Chord distance from P[i] to segments S[i, j] (start vertex; -1 for none) and the
        parameter t of the foot point."""
        valid = S >= 0
        s = np.where(valid, S, 0)
        e = np.where(valid & self.has_next[s], s + 1, s)
        X, Y, Z = self.x, self.y, self.z
        ax, ay, az = X[s], Y[s], Z[s]
        bx, by, bz = X[e] - ax, Y[e] - ay, Z[e] - az
        px = P[:, 0:1] - ax
        py = P[:, 1:2] - ay
        pz = P[:, 2:3] - az
        den = bx * bx + by * by + bz * bz
        num = px * bx + py * by + pz * bz
        np.maximum(den, 1e-300, out=den)
        t = num / den
        np.clip(t, 0.0, 1.0, out=t)
        px -= t * bx
        py -= t * by
        pz -= t * bz
        d = px * px + py * py + pz * pz
        d[~valid] = np.inf
        return np.sqrt(d, out=d), t

    def _segments_of(self, idx: np.ndarray) -> np.ndarray:
        """Candidate segments (start vertices) at each vertex in ``idx`` (n, k); -1 for none."""
        valid = idx < self.n
        v = np.where(valid, idx, 0)
        s1 = np.where(valid & self.has_prev[v], v - 1, -1)
        s2 = np.where(valid & self.has_next[v], v, -1)
        # a lone vertex (a piece of one point) is its own segment of length 0
        lone = valid & ~self.has_prev[v] & ~self.has_next[v]
        s2 = np.where(lone, v, s2)
        return np.concatenate([s1, s2], axis=1)

    def _query(self, P: np.ndarray, k: int, within: float | None = None):
        """The ``k`` nearest vertices (distance ``inf``, index ``n`` for none), only those
        within ``within`` metres when it is given."""
        if within is None:
            dd, ii = self.tree.query(np.ascontiguousarray(P), k=k)
        else:
            dd, ii = self.tree.query(np.ascontiguousarray(P), k=k, distance_upper_bound=within)
        if k == 1:
            dd, ii = dd[:, None], ii[:, None]
        return dd, ii.astype(np.int64)

    def nearest(self, P: np.ndarray, bound: float | None = None):
        """Chord distance, segment start vertex and foot parameter of the nearest segment to
        each row of ``P`` (n, 3). Exact; ``inf``/-1 when the tree is empty.

        ``bound`` (chord metres): a point whose nearest segment is farther gets ``inf``/-1.
        Only vertices within ``bound`` plus half the longest segment are searched (every
        segment within ``bound`` has an end there), which spares the KD-tree its long searches
        from points far from every line.
        """
        m = len(P)
        dist = np.full(m, np.inf)
        seg = np.full(m, -1, dtype=np.int64)
        tt = np.zeros(m)
        if self.n == 0 or m == 0:
            return dist, seg, tt
        if self.native is not None:
            self.native.nearest(np.ascontiguousarray(P, dtype=float),
                                math.inf if bound is None else float(bound), dist, seg, tt)
            return dist, seg, tt
        rows = np.arange(m)
        k = min(K, self.n)
        while len(rows):
            done = np.zeros(len(rows), dtype=bool)
            # the same number of candidates per block whatever k is: temporaries stay small
            step = max(256, BLOCK * K // k)
            for lo in range(0, len(rows), step):
                blk = rows[lo:lo + step]
                Pb = P[blk]
                dd, ii = self._query(Pb, k, None if bound is None else bound + self.half)
                S = self._segments_of(ii)
                d, t = self._seg_dist(Pb, S)
                j = np.argmin(d, axis=1)
                r = np.arange(len(blk))
                best = d[r, j]
                # every vertex that could start or end a nearer segment was fetched
                R = np.sqrt(best * best + self.half * self.half)
                ok = (dd[:, -1] >= R) | (k >= self.n)
                dist[blk[ok]], seg[blk[ok]], tt[blk[ok]] = best[ok], S[r, j][ok], t[r, j][ok]
                done[lo:lo + len(blk)] = ok
            rows = rows[~done]
            k = min(k * 8, self.n)
        if bound is not None:
            # fewer than k vertices within reach may leave a farther segment unproved: beyond
            # the bound, every answer is "farther than the bound", whichever way it was found
            beyond = dist > bound
            dist[beyond], seg[beyond], tt[beyond] = np.inf, -1, 0.0
        return dist, seg, tt


# ---------------------------------------------------------------------------------------------
# line sets


@dataclass
class Nearest:
    """Answer of :meth:`LineSet.nearest`.

    Attributes
    ----------
    distance_m
        Geodesic metres to the nearest piece, where it is within reach; NaN beyond (and for a
        point without coordinates).
    piece
        Index of that piece, -1 when it is not within reach.
    exact
        True where ``distance_m`` was measured.
    lower_m
        A lower bound on the distance (the distance itself where it was measured; ``inf`` when
        the set is empty).
    """

    distance_m: np.ndarray
    piece: np.ndarray
    exact: np.ndarray
    lower_m: np.ndarray


class _TileCache:
    """Tile trees of every line set, least recently used first, within a vertex budget."""

    def __init__(self) -> None:
        self.trees: OrderedDict = OrderedDict()
        self.vertices = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            tree = self.trees.get(key)
            if tree is not None:
                self.trees.move_to_end(key)
            return tree

    def __contains__(self, key) -> bool:  # without counting as a use
        with self._lock:
            return key in self.trees

    def put(self, key, tree: VertexTree) -> None:
        with self._lock:
            old = self.trees.pop(key, None)
            if old is not None:
                self.vertices -= old.n
            self.trees[key] = tree
            self.vertices += tree.n
            # the newest tree stays even alone over the budget: its query needs it
            while self.vertices > TILE_VERTICES and len(self.trees) > 1:
                _, gone = self.trees.popitem(last=False)
                self.vertices -= gone.n


_TILES = _TileCache()

#: Trees a query will need are built ahead on one helper thread, where the machine has more
#: than one core: the first batch of a run builds every tree of its region while the other
#: core would wait (see :func:`build_ahead`). At most this many tiles of one query go to it.
AHEAD_TILES = 6
_AHEAD: ThreadPoolExecutor | None = None
_AHEAD_LOCK = threading.Lock()


def build_ahead(fn, *args) -> None:
    """Run ``fn(*args)`` (a tree build) on the helper thread, after the builds already given
    to it; nothing on a single core. Whoever needs a tree first builds it (a build started
    elsewhere is waited for, never repeated), so a build handed over too late costs nothing
    but a cache lookup, and an error is raised by the query that needs the tree."""
    if (os.cpu_count() or 1) < 2:
        return
    global _AHEAD
    with _AHEAD_LOCK:
        if _AHEAD is None:
            _AHEAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="geoverify-trees")
        pool = _AHEAD
    pool.submit(_quietly, fn, *args)


def ahead_done() -> None:
    """Wait until the helper thread has finished the builds given to it so far."""
    with _AHEAD_LOCK:
        pool = _AHEAD
    if pool is not None:
        pool.submit(int).result()  # one thread: after everything before it


def _quietly(fn, *args) -> None:
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - the query that needs the tree builds it and raises
        pass


class LineSet:
    """Pieces of line with nearest-distance queries (see the module docstring).

    Parameters
    ----------
    pieces
        Array of shapely LineStrings in lon/lat degrees (short pieces are fastest to select).
    """

    def __init__(self, pieces) -> None:
        pieces = np.asarray(pieces, dtype=object)
        self.n_pieces = len(pieces)
        if self.n_pieces:
            coords, owner = shapely.get_coordinates(pieces, return_index=True)
            self.bounds = shapely.bounds(pieces)
        else:
            coords, owner = np.zeros((0, 2)), np.zeros(0, np.int64)
            self.bounds = np.zeros((0, 4))
        self._lon, self._lat, self._owner = coords[:, 0], coords[:, 1], owner.astype(np.int64)
        # shapely lists each piece's vertices together, pieces in order
        self._counts = np.bincount(self._owner, minlength=self.n_pieces)
        self._starts = np.cumsum(self._counts) - self._counts
        self._pieces = pieces
        self._coarse: VertexTree | None = None
        self._whole: VertexTree | None = None
        self._token = object()  # this set's part of the shared tile cache's keys
        self._cell_keys = np.zeros(0, dtype=np.int64)  # sorted grid cell keys (ix * 4096 + iy)
        self._cell_bounds = np.zeros(0)  # and their lower bounds
        self._lock = threading.RLock()
        self._pending: dict = {}  # tile trees being built: their futures, by key
        self.small = len(coords) < SMALL_SET_VERTICES // 4

    def __len__(self) -> int:
        return self.n_pieces

    # -- trees -------------------------------------------------------------------------------
    def _whole_tree(self) -> VertexTree:
        with self._lock:
            if self._whole is None:
                self._whole = VertexTree(self._lon, self._lat, self._owner, FINE_SEGMENT_M)
            return self._whole

    def _coarse_tree(self) -> VertexTree:
        with self._lock:
            return self._coarse_tree_locked()

    def _coarse_tree_locked(self) -> VertexTree:
        if self._coarse is None:
            tol = COARSE_TOLERANCE_M / _M_PER_DEG
            simple = shapely.simplify(self._pieces, tol, preserve_topology=False)
            coords, owner = shapely.get_coordinates(simple, return_index=True)
            self._coarse = VertexTree(coords[:, 0], coords[:, 1], owner, COARSE_SEGMENT_M)
        return self._coarse

    def prepare(self) -> None:
        """Build the tree a small set's queries use, now (a larger set builds its trees by
        tile as its queries need them)."""
        if self.small and self.n_pieces:
            self._whole_tree()

    def _tile_tree(self, ix: int, iy: int, reach_m: float) -> VertexTree:
        """Full-detail tree of the pieces within ``reach_m`` of tile (ix, iy): from the cache,
        from the thread already building it, or built here (two threads build two tiles at
        once, never one tile twice)."""
        key = (self._token, ix, iy, reach_m)
        tree = _TILES.get(key)
        if tree is not None:
            return tree
        with self._lock:
            tree = _TILES.get(key)
            if tree is not None:
                return tree
            pending = self._pending.get(key)
            mine = pending is None
            if mine:
                pending = self._pending[key] = Future()
        if not mine:
            return pending.result()
        try:
            tree = self._build_tile(ix, iy, reach_m)
            _TILES.put(key, tree)
        except BaseException as exc:
            pending.set_exception(exc)
            raise
        else:
            pending.set_result(tree)
        finally:
            with self._lock:
                del self._pending[key]
        return tree

    def _has_tile(self, ix: int, iy: int, reach_m: float) -> bool:
        key = (self._token, ix, iy, reach_m)
        with self._lock:
            return key in _TILES or key in self._pending

    def _build_tile(self, ix: int, iy: int, reach_m: float) -> VertexTree:
        x0 = -180.0 + ix * TILE_DEG
        y0 = -90.0 + iy * TILE_DEG
        dlat = reach_m / 110_000.0
        lat_far = min(90.0, max(abs(y0), abs(y0 + TILE_DEG)) + dlat)
        cosf = math.cos(math.radians(lat_far))
        dlon = 360.0 if cosf < 1e-6 else min(360.0, reach_m / (110_000.0 * cosf))
        b = self.bounds
        ymask = (b[:, 3] >= y0 - dlat) & (b[:, 1] <= y0 + TILE_DEG + dlat)
        lo, hi = x0 - dlon, x0 + TILE_DEG + dlon
        if hi - lo >= 360.0:
            xmask = np.ones(len(b), dtype=bool)
        else:
            xmask = np.zeros(len(b), dtype=bool)
            for shift in (-360.0, 0.0, 360.0):
                xmask |= (b[:, 2] >= lo + shift) & (b[:, 0] <= hi + shift)
        take = self._vertices_of(np.flatnonzero(xmask & ymask))
        return VertexTree(self._lon[take], self._lat[take], self._owner[take], FINE_SEGMENT_M)

    def _vertices_of(self, sel: np.ndarray) -> np.ndarray:
        """Positions of the vertices of pieces ``sel`` (sorted), in order: each piece's
        vertices are consecutive, so this is a gather of ranges, not a test of every vertex
        of the set (``np.isin`` over the world's 1.4M border vertices cost a fifth of a
        world-wide stream, once per tile tree built)."""
        start, count = self._starts[sel], self._counts[sel]
        total = int(count.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        # position within the output minus position within the piece, repeated per vertex
        shift = np.repeat(start - (np.cumsum(count) - count), count)
        return np.arange(total, dtype=np.int64) + shift

    # -- queries -----------------------------------------------------------------------------
    def _cell_lower(self, key: np.ndarray) -> np.ndarray:
        """A lower bound (m) on the distance from any point of each grid cell (``key``:
        ``ix * 4096 + iy``) to the lines: the coarse distance from the cell's centre, less the
        coarse tolerance and the cell's half-diagonal. Cached per cell (sorted cell keys and
        their bounds, looked up in bulk)."""
        out = np.empty(len(key))
        with self._lock:
            known, bound = self._cell_keys, self._cell_bounds
        pos = np.minimum(np.searchsorted(known, key), max(len(known) - 1, 0))
        hit = (known[pos] == key) if len(known) else np.zeros(len(key), dtype=bool)
        out[hit] = bound[pos[hit]]
        todo = np.flatnonzero(~hit)
        if len(todo):
            cx = (key[todo] // 4096 + 0.5) * CELL_DEG - 180.0
            cy = (key[todo] % 4096 + 0.5) * CELL_DEG - 90.0
            d, _ = self._answer(self._coarse_tree(), ecef(cx, cy), cx, cy)
            widest = np.radians(np.clip(np.abs(cy) - CELL_DEG / 2, 0.0, 90.0))
            half = 0.5 * np.hypot(CELL_DEG * _M_PER_DEG, CELL_DEG * _M_PER_DEG * np.cos(widest))
            lower = d - COARSE_TOLERANCE_M - half
            out[todo] = lower
            with self._lock:
                keys = np.concatenate([self._cell_keys, key[todo]])
                vals = np.concatenate([self._cell_bounds, lower])
                keys, first = np.unique(keys, return_index=True)
                self._cell_keys, self._cell_bounds = keys, vals[first]
        return out

    def nearest(self, lon, lat, exact_within=None) -> Nearest:
        """Nearest piece and geodesic distance for each point within reach.

        ``exact_within`` (metres, scalar or per point, at least :data:`NEAR_M`): a point whose
        nearest line is at most this far gets its exact distance and piece; a farther one gets
        none (``distance_m`` NaN, ``piece`` -1, ``exact`` False) and a lower bound in
        ``lower_m`` that is more than ``exact_within``.
        """
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        n = len(lon)
        dist = np.full(n, np.nan)
        lower = np.full(n, np.nan)
        piece = np.full(n, -1, dtype=np.int64)
        exact = np.zeros(n, dtype=bool)
        ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
        if len(ok) == 0:
            return Nearest(dist, piece, exact, lower)
        thr_all = np.maximum(NEAR_M, np.broadcast_to(
            np.asarray(NEAR_M if exact_within is None else exact_within, dtype=float),
            lon.shape))
        if self.n_pieces == 0:
            lower[ok] = np.inf
            return Nearest(dist, piece, exact, lower)
        x, y = lon[ok], lat[ok]
        thr = thr_all[ok]
        if not self.small and self._few(x, y):
            groups = self._tile_groups(x, y, thr, np.arange(len(ok)))
        else:
            cx = np.floor((x + 180.0) / CELL_DEG).astype(np.int64)
            cy = np.floor((y + 90.0) / CELL_DEG).astype(np.int64)
            # the cells numbered densely over the points' own box (the same order as
            # cx * 4096 + cy), then as _cell_lower keys them
            y0 = int(cy.min())
            ny = int(cy.max()) - y0 + 1
            cells, inv = unique_ints(cx * ny + (cy - y0))
            uniq = (cells // ny) * 4096 + cells % ny + y0
            cell_lower = self._cell_lower(uniq)[inv]
            far = cell_lower > thr
            lower[ok[far]] = cell_lower[far]
            near = np.flatnonzero(~far)
            if self.small:
                groups = [(self._whole_tree(), near, np.inf)] if len(near) else []
            else:
                groups = self._tile_groups(x, y, thr, near)
        for tree, sel, reach in groups:  # one tree at a time (a generator of tiles)
            # a tile tree holds the pieces within ``reach`` only, so nothing beyond it is
            # searched for (the chord is shorter than the arc: no nearer piece is missed)
            d, p = self._answer(tree, ecef(x[sel], y[sel]), x[sel], y[sel],
                                None if np.isinf(reach) else reach)
            within = d <= thr[sel]
            rows = ok[sel]
            dist[rows[within]] = d[within]
            piece[rows[within]] = p[within]
            exact[rows[within]] = True
            # a tree holds every piece within ``reach`` of its points: beyond that, only a bound
            lower[rows] = np.where(within, d, np.minimum(d, reach))
        return Nearest(dist, piece, exact, lower)

    def _few(self, x, y) -> bool:
        """Whether a query is small enough to skip the coarse tree (see :data:`FEW_POINTS`)."""
        with self._lock:
            if self._coarse is not None:  # built already: the bounds are cheap from now on
                return False
        if len(x) > FEW_POINTS:
            return False
        tiles = np.unique(np.floor((x + 180.0) / TILE_DEG) * 1000 + np.floor((y + 90.0) / TILE_DEG))
        return len(tiles) <= FEW_TILES

    def _tile_groups(self, x, y, thr, near):
        """(full-detail tile tree, points, reach) for the near points, by tile and reach.

        A generator: each tree is built (or taken from the cache) just before its points are
        answered, so a query over many tiles never holds more trees than the cache keeps
        (building them all first took a world-wide block of 16,384 rows to 2.2 GB)."""
        if len(near) == 0:
            return
        reach = thr[near] + 3.0 * COARSE_TOLERANCE_M + CELL_REACH_M
        bucket = np.ceil(reach / NEAR_M) * NEAR_M
        ix = np.clip(np.floor((x[near] + 180.0) / TILE_DEG).astype(np.int64), 0,
                     int(360 / TILE_DEG) - 1)
        iy = np.clip(np.floor((y[near] + 90.0) / TILE_DEG).astype(np.int64), 0,
                     int(180 / TILE_DEG) - 1)
        key = np.stack([ix, iy, bucket.astype(np.int64)], axis=1)
        order = np.lexsort((key[:, 2], key[:, 1], key[:, 0]))
        ks = key[order]
        cut = np.flatnonzero((ks[1:] != ks[:-1]).any(axis=1)) + 1
        parts = [(int(key[p[0], 0]), int(key[p[0], 1]), float(key[p[0], 2]), p)
                 for p in np.split(order, cut)]
        # the helper thread builds missing trees from the last tile back while this thread
        # goes from the first; they meet in the middle
        missing = [p[:3] for p in parts[1:] if not self._has_tile(*p[:3])]
        for kx, ky, kb in missing[::-1][:min(AHEAD_TILES, len(missing) // 2 + len(missing) % 2)]:
            build_ahead(self._tile_tree, kx, ky, kb)
        for kx, ky, kb, part in parts:
            yield self._tile_tree(kx, ky, kb), near[part], kb

    @staticmethod
    def _answer(tree: VertexTree, P, x, y, bound: float | None = None):
        chord, seg, _ = tree.nearest(P, bound)
        found = seg >= 0
        d = np.full(len(P), np.inf)
        p = np.full(len(P), -1, dtype=np.int64)
        d[found] = arc_from_chord(chord[found], y[found])
        p[found] = tree.owner[seg[found]]
        return d, p
