"""Unit polygons made on first use.

The embedded units layer holds 4.5 million vertices; as shapely polygons they take about
450 MB and half a second to make, while a run over one region touches a few hundred units.
:class:`UnitGeometry` keeps the layer as flat coordinate arrays (the compact encoding of
:mod:`geoverify.io.boundaries`, decoded) and makes a unit's polygon the first time it is asked
for (every made polygon is prepared, as the engine's are, and kept). :class:`UnitTree`
answers the queries of a shapely ``STRtree`` over those polygons from their bounding boxes,
making only the candidates' polygons for the exact test.

A layer already held as shapely objects (a user's layer, a worldview) is wrapped by
:meth:`UnitGeometry.of`: everything is made, and its tree is a plain ``STRtree``.
"""

from __future__ import annotations

import threading

import numpy as np
import shapely

#: Held around GEOS predicates on prepared unit polygons (see
#: :data:`geoverify.engine.quadtree.PREPARED_LOCK`, which is this lock).
PREPARED_LOCK = threading.Lock()


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """``concatenate([arange(a, b) for a, b in zip(starts, stops)])``, vectorised."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total, dtype=np.int64) + shift


class UnitGeometry:
    """The polygons of a units layer, made on first use (see the module docstring).

    Indexing works as on a numpy object array: an integer gives one polygon, an array of
    integers, a boolean mask or a slice an object array.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, scale: float, n_coords: np.ndarray,
                 n_rings: np.ndarray, n_parts: np.ndarray) -> None:
        self._x, self._y, self._scale = x, y, float(scale)
        self._n_coords = np.asarray(n_coords, dtype=np.int64)
        self._n_rings = np.asarray(n_rings, dtype=np.int64)
        self._n_parts = np.asarray(n_parts, dtype=np.int64)
        self._coord_off = np.concatenate([[0], np.cumsum(self._n_coords)])
        self._ring_off = np.concatenate([[0], np.cumsum(self._n_rings)])
        self._part_off = np.concatenate([[0], np.cumsum(self._n_parts)])
        self._n = len(self._n_parts)
        self._made = np.full(self._n, None, dtype=object)
        self._done = np.zeros(self._n, dtype=bool)
        self._lock = threading.RLock()
        self._bounds: np.ndarray | None = None
        self._tree = None

    @classmethod
    def of(cls, geoms) -> UnitGeometry:
        """Polygons already made (shapely objects, taken as they are)."""
        self = cls.__new__(cls)
        arr = np.asarray(geoms, dtype=object)
        self._n = len(arr)
        self._made = arr
        self._done = np.ones(self._n, dtype=bool)
        self._lock = threading.RLock()
        self._bounds = None
        self._tree = None
        self._x = None
        return self

    @property
    def lazy(self) -> bool:
        """Whether polygons are made on demand (False: all were given)."""
        return self._x is not None

    def __len__(self) -> int:
        return self._n

    def made_count(self) -> int:
        """How many polygons have been made so far."""
        return int(self._done.sum())

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            i = int(key)
            if i < 0:
                i += self._n
            if not self._done[i]:
                self._make(np.array([i], dtype=np.int64))
            return self._made[i]
        idx = np.arange(self._n)[key] if isinstance(key, slice) else np.asarray(key)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64, copy=False)
        missing = idx[~self._done[idx]]
        if len(missing):
            self._make(np.unique(missing))
        return self._made[idx]

    def all(self) -> np.ndarray:
        """Every polygon (all are made)."""
        if not self._done.all():
            self._make(np.flatnonzero(~self._done))
        return self._made

    def __array__(self, dtype=None, copy=None):
        return self.all()

    def passing(self) -> np.ndarray:
        """Every polygon, made for the caller alone and not kept (those already made are
        shared): a one-off pass over the whole layer, such as the engine's index build, then
        leaves only the polygons a run uses made and prepared. With all 4,487 embedded units
        kept, the batches of a first 1,000,000-row check ran at up to 1.3 GB; now (with the
        build's freed memory returned, :func:`~geoverify.engine.quadtree.engine_for`) at
        0.84-0.97 GB."""
        with self._lock:
            out = self._made.copy()
            todo = np.flatnonzero(~self._done)
        if len(todo):
            out[todo] = self._polygons(todo)
        return out

    def _make(self, units: np.ndarray) -> None:
        with self._lock:
            units = units[~self._done[units]]
            if len(units) == 0:
                return
            self._made[units] = self._polygons(units)
            self._done[units] = True

    def _polygons(self, units: np.ndarray) -> np.ndarray:
        """The prepared polygons of ``units`` (sorted unit numbers), made from the arrays."""
        parts = _ranges(self._part_off[units], self._part_off[units + 1])
        rings = _ranges(self._ring_off[parts], self._ring_off[parts + 1])
        coords_at = _ranges(self._coord_off[rings], self._coord_off[rings + 1])
        coords = np.empty((len(coords_at), 2))
        np.divide(self._x[coords_at], self._scale, out=coords[:, 0])
        np.divide(self._y[coords_at], self._scale, out=coords[:, 1])
        offsets = (np.concatenate([[0], np.cumsum(self._n_coords[rings])]),
                   np.concatenate([[0], np.cumsum(self._n_rings[parts])]),
                   np.concatenate([[0], np.cumsum(self._n_parts[units])]))
        geoms = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords, offsets)
        shapely.prepare(geoms)
        return geoms

    @property
    def bounds(self) -> np.ndarray:
        """``(n, 4)`` bounding boxes (minx, miny, maxx, maxy; NaN for an empty unit), from the
        coordinates: no polygon is made."""
        with self._lock:
            if self._bounds is None:
                self._bounds = self._compute_bounds()
            return self._bounds

    def _compute_bounds(self) -> np.ndarray:
        if not self.lazy:
            return shapely.bounds(self._made)
        out = np.full((self._n, 4), np.nan)
        start = self._coord_off[self._ring_off[self._part_off[:-1]]]
        stop = self._coord_off[self._ring_off[self._part_off[1:]]]
        has = stop > start
        if has.any() and len(self._x):
            s = start[has]
            for k, (arr, red) in enumerate(((self._x, np.minimum), (self._y, np.minimum),
                                            (self._x, np.maximum), (self._y, np.maximum))):
                out[has, k] = red.reduceat(arr, s) / self._scale
        return out

    def tree(self):
        """An STRtree over the polygons (made lazily: :class:`UnitTree`)."""
        with self._lock:
            if self._tree is None:
                self._tree = UnitTree(self) if self.lazy else shapely.STRtree(self._made)
            return self._tree

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_lock"] = None
        state["_tree"] = None
        if self.lazy:  # polygons are made again where the object lands
            state["_made"] = np.full(self._n, None, dtype=object)
            state["_done"] = np.zeros(self._n, dtype=bool)
        return state

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()


class UnitTree:
    """``STRtree.query`` over the polygons of a :class:`UnitGeometry`, answered from their
    bounding boxes: a tree of the boxes gives the candidates (the envelopes a tree of the
    polygons would use, in the same order), and only the candidates' polygons are made for
    the exact predicate (``intersects`` and ``dwithin``; no predicate: the boxes' answer)."""

    def __init__(self, geoms: UnitGeometry) -> None:
        self.geoms = geoms
        b = geoms.bounds
        boxes = np.full(len(b), None, dtype=object)
        ok = np.isfinite(b).all(axis=1)
        boxes[ok] = shapely.box(b[ok, 0], b[ok, 1], b[ok, 2], b[ok, 3])
        self._boxes = shapely.STRtree(boxes)

    def query(self, geometry, predicate: str | None = None, distance=None):
        scalar = not isinstance(geometry, (np.ndarray, list, tuple))
        if predicate is None:
            return self._boxes.query(geometry)
        if predicate not in ("intersects", "dwithin"):
            raise ValueError(f"predicate {predicate!r} is not supported here")
        if predicate == "dwithin":
            found = self._boxes.query(geometry, predicate="dwithin", distance=distance)
        else:
            found = self._boxes.query(geometry, predicate="intersects")
        if scalar:
            gi = found
            if len(gi) == 0:
                return gi
            g = self.geoms[gi]
            with PREPARED_LOCK:
                ok = (shapely.dwithin(g, geometry, distance) if predicate == "dwithin"
                      else shapely.intersects(g, geometry))
            return gi[ok]
        pi, gi = found
        if len(gi) == 0:
            return found
        src = np.asarray(geometry, dtype=object)[pi]
        g = self.geoms[gi]
        with PREPARED_LOCK:
            if predicate == "dwithin":
                dist = np.asarray(distance, dtype=float)
                dist = dist[pi] if dist.ndim else dist
                ok = shapely.dwithin(g, src, dist)
            else:
                ok = shapely.intersects(g, src)
        return found[:, ok]
