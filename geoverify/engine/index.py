"""Everything the pipeline asks of a boundary set, answered for arrays of points.

:class:`BoundaryIndex` wraps one :class:`~geoverify.boundaries.BoundarySet` and is built once
per set (``boundary_index(bset)``); every structure in it is made on first use:

* :meth:`BoundaryIndex.locate`: the units holding each point (exact point-in-polygon: the
  quadtree engine of :mod:`geoverify.engine.quadtree` for large batches, an STRtree for small
  ones, same answers), the coastal band, territorial waters and disputed status;
* :meth:`BoundaryIndex.nearest_border` / :meth:`nearest_line`: distances to the nearest land
  border between countries and to the nearest boundary between any two units;
* :meth:`BoundaryIndex.unit_margin`: for points and one claimed unit, the stretch of the
  unit's shared boundary that decides a verdict (smallest distance minus stated accuracy) and
  :meth:`unit_distance`, the distance to the unit's whole outline, coasts included.

Stated accuracy is per piece of line (``borders.accuracy_m``; older sets without that column
take the set's accuracy for the piece's kind).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geoverify.arrowtext import factorize, member
from geoverify.engine import quadtree
from geoverify.engine.distance import explode_lines, local_distance_m
from geoverify.engine.lines import NEAR_M, LineSet, Nearest, build_ahead

#: Batches of at least this many points are located with the quadtree engine (same answers;
#: smaller ones use an STRtree, which needs no cache).
ENGINE_MIN_POINTS = 2_000
#: Grid cell (degrees) in which the dispute status of territorial sea is decided at once.
SEA_CELL_DEG = 1.0 / 32.0
#: Fewer points at sea than this are answered one by one.
SEA_CELL_MIN_POINTS = 200

#: Kind of a border piece -> key of its stated accuracy in ``BoundarySet.accuracy_m``.
KIND_ACCURACY = {"country": "country_border", "region": "region_border"}


@dataclass
class Location:
    """Where each point is, as arrays (one entry per point).

    Attributes
    ----------
    unit
        Unit index holding the point; -1 for none (at sea, off the map, no coordinates), -2 for
        several (on a shared edge: see ``multi``).
    multi
        ``{point: sorted unit indices}`` for the points with several candidate units.
    offshore_m
        Distance to the nearest unit for a point taken onto land by the coastal band; NaN else.
    country, adm1
        Codes (object arrays, None where not exactly one candidate).
    n_countries, n_adm1
        Number of distinct candidate countries / regions.
    waters
        For points in no unit: the country whose territorial sea holds it ("A|B" for an
        unresolved overlap), None on the high seas or on land.
    disputed_by, disputed_since
        The other claimant and since when, for points in a disputed area (None else).
    """

    unit: np.ndarray
    multi: dict[int, np.ndarray]
    offshore_m: np.ndarray
    country: np.ndarray
    adm1: np.ndarray
    n_countries: np.ndarray
    n_adm1: np.ndarray
    waters: np.ndarray
    disputed_by: np.ndarray
    disputed_since: np.ndarray

    def country_candidates(self, i: int, index: BoundaryIndex) -> list[str]:
        """Sorted candidate country codes of point ``i``."""
        u = int(self.unit[i])
        if u >= 0:
            return [index.unit_country[u]]
        if u == -2:
            return sorted({index.unit_country[g] for g in self.multi[i].tolist()})
        return []

    def adm1_candidates(self, i: int, index: BoundaryIndex) -> list[str]:
        """Sorted candidate region codes of point ``i``."""
        u = int(self.unit[i])
        if u >= 0:
            return [index.unit_code[u]] if index.unit_is_adm1[u] else []
        if u == -2:
            return sorted({index.unit_code[g] for g in self.multi[i].tolist()
                           if index.unit_is_adm1[g]})
        return []


@dataclass
class Margin:
    """Answer of :meth:`BoundaryIndex.unit_margin`, one entry per point.

    ``margin_m`` is ``min(distance - accuracy)`` over the pieces of the unit's shared boundary
    (``inf`` when it shares none); ``distance_m``, ``accuracy_m`` and ``piece`` describe the
    piece that gives it (the stretch that decides); ``nearest_m`` is the distance to the
    nearest piece whatever its accuracy. ``exact`` is False where distances are beyond
    :data:`~geoverify.engine.lines.NEAR_M` and came from the coarse lines.
    """

    margin_m: np.ndarray
    distance_m: np.ndarray
    accuracy_m: np.ndarray
    piece: np.ndarray
    nearest_m: np.ndarray
    exact: np.ndarray


@dataclass
class _UnitLines:
    classes: list[tuple[float, LineSet, np.ndarray]]  # (accuracy, lines, global piece index)


class BoundaryIndex:
    """Lazily built spatial structures over one boundary set (see the module docstring)."""

    def __init__(self, bset) -> None:
        self.bset = bset
        units = bset.unit_table  # attributes only: polygons are made as points reach them
        self.unit_code = units["code"].to_numpy(dtype=object)
        self.unit_level = units["level"].to_numpy(dtype=object)
        self.unit_country = units["country"].to_numpy(dtype=object)
        self.unit_name = units["name"].to_numpy(dtype=object)
        self.unit_is_adm1 = self.unit_level == "adm1"
        self.n_units = len(units)
        self.country_name = dict(zip(bset.countries["code"], bset.countries["name"]))
        self.unit_name_of = dict(zip(self.unit_code.tolist(), self.unit_name.tolist()))
        self.accuracy = dict(bset.accuracy_m)
        b = bset.borders
        self.b_a = b["a"].to_numpy(dtype=object)
        self.b_b = b["b"].to_numpy(dtype=object)
        self.b_a_country = b["a_country"].to_numpy(dtype=object)
        self.b_b_country = b["b_country"].to_numpy(dtype=object)
        self.b_kind = b["kind"].to_numpy(dtype=object)
        self.b_is_country = self.b_kind == "country"
        if "accuracy_m" in b.columns:
            acc = pd.to_numeric(b["accuracy_m"], errors="coerce").to_numpy(dtype=float)
        else:
            acc = np.full(len(b), np.nan)
        default = np.array([self.accuracy.get(KIND_ACCURACY.get(k, ""), 0.0) for k in self.b_kind],
                           dtype=float) if len(b) else np.zeros(0)
        self.b_accuracy = np.where(np.isnan(acc), default, acc)
        self.disputed_by_adm1: dict[str, dict[str, str]] = {}
        for row in bset.disputed.to_dict("records"):
            for code in str(row["adm1_codes"]).split("|"):
                if code.strip():
                    self.disputed_by_adm1[code.strip()] = {"by": row["claimant"],
                                                           "since": row["since"]}
        self._any: LineSet | None = None
        self._land: tuple[LineSet, np.ndarray] | None = None
        self._unit_lines: dict[tuple[str, str], _UnitLines] = {}
        self._outline: dict[tuple[str, str], LineSet] = {}
        self._tree = None
        self._geoms = None  # the set's UnitGeometry, on first use
        self._waters = None  # STRtree over the territorial waters, for few points
        self._water_code_array = None
        self._sea_cells: dict[tuple, tuple | None] = {}  # see _sea_disputes
        self._enclosing: dict[str, str] | None = None  # see enclosing_regions
        self._lock = threading.RLock()
        self._engine_lock = threading.Lock()
        self._engine_ready = False

    # -- units ---------------------------------------------------------------------------------
    @property
    def unit_geoms(self):
        """The unit polygons, indexed like an object array (made on first use for the
        embedded set: :class:`~geoverify.io.polygons.UnitGeometry`)."""
        if self._geoms is None:
            self._geoms = self.bset.unit_polygons
        return self._geoms

    @property
    def unit_tree(self):
        """An STRtree over the unit polygons (from their boxes, for polygons made lazily)."""
        with self._lock:
            if self._tree is None:
                self._tree = self.unit_geoms.tree()
            return self._tree

    def units_of(self, level: str, code: str) -> np.ndarray:
        """Indices of the units making up a claimed unit (all units of a country)."""
        owner = self.unit_country if level == "country" else self.unit_code
        return np.flatnonzero(owner == code)

    # -- locate --------------------------------------------------------------------------------
    def locate(self, lon, lat) -> Location:
        """Units, coastal band, territorial waters and disputed status of each point."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        n = len(lon)
        if n >= ENGINE_MIN_POINTS:
            res = self._engine().locate(lon, lat)
            unit, multi, offshore = res.unit, res.multi, res.offshore_m
        else:
            unit, multi, offshore = self._locate_exact(lon, lat)
        country = np.full(n, None, dtype=object)
        adm1 = np.full(n, None, dtype=object)
        n_c = np.zeros(n, dtype=np.int8)
        n_a = np.zeros(n, dtype=np.int8)
        single = unit >= 0
        us = unit[single]
        country[single] = self.unit_country[us]
        n_c[single] = 1
        is_a = self.unit_is_adm1[us]
        idx = np.flatnonzero(single)
        adm1[idx[is_a]] = self.unit_code[us[is_a]]
        n_a[idx[is_a]] = 1
        for i, units in multi.items():
            cs = sorted({self.unit_country[g] for g in units.tolist()})
            rs = sorted({self.unit_code[g] for g in units.tolist() if self.unit_is_adm1[g]})
            n_c[i], n_a[i] = len(cs), len(rs)
            country[i] = cs[0] if len(cs) == 1 else None
            adm1[i] = rs[0] if len(rs) == 1 else None
        waters = np.full(n, None, dtype=object)
        ok = np.isfinite(lon) & np.isfinite(lat)
        at_sea = np.flatnonzero(ok & (unit == -1))
        if len(at_sea):
            waters[at_sea] = self._territorial_waters(lon[at_sea], lat[at_sea])
        by = np.full(n, None, dtype=object)
        since = np.full(n, None, dtype=object)
        if self.disputed_by_adm1:
            ids, uniq = factorize(adm1)  # one pass; then a test per distinct region
            for k, code in enumerate(uniq.tolist()):
                d = self.disputed_by_adm1.get(code)
                if d is not None:
                    hit = ids == k
                    by[hit], since[hit] = d["by"], d["since"]
        # a territorial sea is disputed where the nearest coast of its country is
        owners = {self.unit_country[k] for k in np.flatnonzero(
            np.isin(self.unit_code, list(self.disputed_by_adm1)))}
        sea = np.flatnonzero(member(waters, owners)) if owners else np.zeros(0, int)
        if len(sea):
            for i, d in zip(sea.tolist(), self._sea_disputes(waters[sea], lon[sea], lat[sea])):
                if d:
                    by[i], since[i] = d
        return Location(unit, multi, offshore, country, adm1, n_c, n_a, waters, by, since)

    def _engine(self):
        """The quadtree engine of the units (loaded or built once; its own lock, so that
        loading it on the helper thread holds up no other structure)."""
        with self._engine_lock:
            eng = quadtree.engine_for(self.bset, tree=self.unit_tree)
            self._engine_ready = True
            return eng

    def load_ahead(self, n: int) -> None:
        """Have the helper thread (:func:`~geoverify.engine.lines.build_ahead`) load the
        engine that :meth:`locate` will need for ``n`` points, while the caller goes on with
        the line distances: the first batch of a run loads it (0.1 s: 84 MB read and checked)
        while it builds its first line trees."""
        if n >= ENGINE_MIN_POINTS and not self._engine_ready:
            build_ahead(self._engine)

    def warm_ahead(self) -> None:
        """Have the helper thread load, now, what a check of many points needs whatever its
        points are: the locating engine, the land borders' line set, then the line set of
        every border. Called when the boundaries are loaded while a large claims file is still
        being read (1,000,000 rows: the read ends about 0.1 s later), so that the first batch
        finds them built or under way (it builds one the helper has not reached itself)."""
        if not self._engine_ready:
            build_ahead(self._engine)
        build_ahead(self.land_lines)
        build_ahead(self.any_lines)

    def _locate_exact(self, lon, lat):
        """Candidate units by the plain predicate, plus the coastal band (as the engine does)."""
        n = len(lon)
        unit = np.full(n, -1, dtype=np.int32)
        multi: dict[int, np.ndarray] = {}
        offshore = np.full(n, np.nan)
        valid = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
        if len(valid) == 0:
            return unit, multi, offshore
        tree = self.unit_tree
        pi, gi = tree.query(shapely.points(lon[valid], lat[valid]), predicate="intersects")
        count = np.bincount(pi, minlength=len(valid))
        one = np.flatnonzero(count == 1)
        first = np.full(len(valid), -1, dtype=np.int64)
        first[pi[::-1]] = gi[::-1]
        unit[valid[one]] = first[one]
        for p in np.flatnonzero(count > 1).tolist():
            unit[valid[p]] = -2
            multi[int(valid[p])] = np.unique(gi[pi == p])
        band = float(self.accuracy.get("coastline", 0.0))
        if band > 0:
            geoms = self.unit_geoms
            for p in np.flatnonzero(count == 0).tolist():
                i = int(valid[p])
                reach = quadtree.reach_deg(band, lat[i])
                cand = tree.query(shapely.Point(lon[i], lat[i]), predicate="dwithin",
                                  distance=reach * 1.01)
                if len(cand) == 0:
                    continue
                d = local_distance_m(float(lon[i]), float(lat[i]), geoms[cand], band)
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
        return unit, multi, offshore

    def _water_codes(self) -> np.ndarray:
        """The territorial waters' codes as an object array (made once: each batch took its
        own copy of the column, Python strings and all, holding the GIL)."""
        codes = self._water_code_array
        if codes is None:
            codes = self._water_code_array = self.bset.waters["code"].to_numpy(dtype=object)
        return codes

    def _territorial_waters(self, lon, lat) -> np.ndarray:
        """Codes (``A|B`` where they overlap) of the territorial waters holding each point."""
        out = np.full(len(lon), None, dtype=object)
        if len(lon) == 0 or getattr(self.bset, "waters", None) is None:
            return out
        codes = self._water_codes()
        if len(lon) >= ENGINE_MIN_POINTS:
            with self._lock:
                eng = quadtree.engine_for(self.bset, layer="waters")
            res = eng.locate(lon, lat)
            one = res.unit >= 0
            out[one] = codes[res.unit[one]]
            for p, g in res.multi.items():
                out[p] = "|".join(sorted({codes[k] for k in g.tolist()}))
            return out
        with self._lock:
            if self._waters is None:
                geoms = np.asarray(self.bset.waters.geometry.values, dtype=object)
                shapely.prepare(geoms)
                self._waters = shapely.STRtree(geoms)
        # bounding boxes from the tree, then each candidate polygon's prepared test on its
        # points (the tree's own "intersects" tests every point against the whole polygon,
        # unprepared: 50 ms for a thousand points at sea)
        pi, gi = self._waters.query(shapely.points(lon, lat))
        hit = quadtree.intersects_pairs(self._waters.geometries, gi, lon[pi], lat[pi])
        pi, gi = pi[hit], gi[hit]
        found: dict[int, set[str]] = {}
        for p, g in zip(pi.tolist(), gi.tolist()):
            found.setdefault(p, set()).add(codes[g])
        for p, s in found.items():
            out[p] = "|".join(sorted(s))
        return out

    def _sea_disputes(self, country, lon, lat, reach_deg: float = 0.5) -> list:
        """``(by, since)`` of the disputed region of ``country[i]`` nearest to each point at
        sea, or None where its nearest region (within ``reach_deg``) is not disputed.

        Decided per grid cell of :data:`SEA_CELL_DEG` where a proof allows: from the cell's
        centre, the nearest region has dispute status L at distance d1 and every region of
        another status is at least d2 away; when ``d1 + h < d2 - h`` (``h`` the cell's
        half-diagonal, all in planar degrees as the per-point rule) and ``d1 + h <= reach``,
        every point of the cell has a nearest region of status L within reach. Other points
        are answered one by one (:meth:`_nearest_region_of`).
        """
        def status(code):
            d = self.disputed_by_adm1.get(code) if code else None
            return (d["by"], d["since"]) if d else None

        n = len(lon)
        out: list = [None] * n
        if n < SEA_CELL_MIN_POINTS:
            return [status(r) for r in self._nearest_region_of(country, lon, lat, reach_deg)]
        ix = np.floor((lon + 180.0) / SEA_CELL_DEG).astype(np.int64)
        iy = np.floor((lat + 90.0) / SEA_CELL_DEG).astype(np.int64)
        keys = list(zip(np.asarray(country, dtype=object).tolist(), ix.tolist(), iy.tolist()))
        with self._lock:
            todo = sorted({k for k in keys if k not in self._sea_cells})
        if todo:
            decided = self._sea_cell_status(todo, status, reach_deg)
            with self._lock:
                self._sea_cells.update(zip(todo, decided))
        cells = self._sea_cells
        open_rows = []
        for i, k in enumerate(keys):
            v = cells[k]
            if v == "open":
                open_rows.append(i)
            else:
                out[i] = v
        if open_rows:
            r = np.asarray(open_rows)
            region = self._nearest_region_of(np.asarray(country, dtype=object)[r], lon[r], lat[r],
                                             reach_deg)
            for i, code in zip(open_rows, region.tolist()):
                out[i] = status(code)
        return out

    def _sea_cell_status(self, cells, status, reach_deg: float) -> list:
        """Per cell ``(country, ix, iy)``: the status every point shares, or ``"open"``."""
        h = SEA_CELL_DEG * math.sqrt(2.0) / 2.0
        cx = np.array([(c[1] + 0.5) * SEA_CELL_DEG - 180.0 for c in cells])
        cy = np.array([(c[2] + 0.5) * SEA_CELL_DEG - 90.0 for c in cells])
        cc = np.array([c[0] for c in cells], dtype=object)
        reach = reach_deg + 2.0 * h
        pts = shapely.points(cx, cy)
        pi, gi = self.unit_tree.query(pts, predicate="dwithin", distance=reach)
        keep = self.unit_country[gi] == cc[pi]
        pi, gi = pi[keep], gi[keep]
        d = shapely.distance(self.unit_geoms[gi], pts[pi]) if len(pi) else np.zeros(0)
        out: list = ["open"] * len(cells)
        by_cell: dict[int, list] = {}
        for p, g, dist in zip(pi.tolist(), gi.tolist(), d.tolist()):
            by_cell.setdefault(p, []).append((dist, status(self.unit_code[g])))
        for p in range(len(cells)):
            cand = sorted(by_cell.get(p, []), key=lambda t: t[0])
            if not cand:
                out[p] = None  # nothing within reach + 2h of the centre: nothing within reach
                continue
            d1, s1 = cand[0]
            d2 = min((dist for dist, s in cand if s != s1), default=reach)
            if d1 - h > reach_deg:
                out[p] = None
            elif d1 + h <= reach_deg and d1 + h < d2 - h:
                out[p] = s1
        return out

    def _nearest_region_of(self, country, lon, lat, reach_deg: float = 0.5) -> np.ndarray:
        """Code of the unit of ``country[i]`` nearest to each point, within ``reach_deg``."""
        out = np.full(len(lon), None, dtype=object)
        pts = shapely.points(lon, lat)
        pi, gi = self.unit_tree.query(pts, predicate="dwithin", distance=reach_deg)
        keep = self.unit_country[gi] == np.asarray(country, dtype=object)[pi]
        pi, gi = pi[keep], gi[keep]
        if len(pi) == 0:
            return out
        d = shapely.distance(self.unit_geoms[gi], pts[pi])
        order = np.lexsort((gi, d, pi))
        first = np.ones(len(order), dtype=bool)
        first[1:] = pi[order][1:] != pi[order][:-1]
        out[pi[order][first]] = self.unit_code[gi[order][first]]
        return out

    # -- distances to lines ----------------------------------------------------------------------
    def any_lines(self) -> LineSet:
        """Every boundary shared by two units (country and region lines)."""
        with self._lock:
            if self._any is None:
                self._any = LineSet(self.bset.borders.geometry.values)
            return self._any

    def land_lines(self) -> tuple[LineSet, np.ndarray]:
        """Land borders between countries, and their indices among all border pieces."""
        with self._lock:
            if self._land is None:
                idx = np.flatnonzero(self.b_kind == "country")
                self._land = (LineSet(self.bset.borders.geometry.values[idx]), idx)
            return self._land

    def nearest_line(self, lon, lat) -> Nearest:
        """Nearest boundary between any two units (within :data:`NEAR_M`; a bound beyond)."""
        return self.any_lines().nearest(lon, lat)

    def nearest_border(self, lon, lat, hint: Nearest | None = None) -> Nearest:
        """Nearest land border between countries (within :data:`NEAR_M`; a bound beyond).

        ``hint`` is :meth:`nearest_line`'s answer for the same points: where the nearest line
        is itself a land border, it is the answer; where even the nearest line is out of
        reach, so is every land border.
        """
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        n = len(lon)
        out = Nearest(np.full(n, np.nan), np.full(n, -1, dtype=np.int64),
                      np.zeros(n, dtype=bool), np.full(n, np.nan))
        todo = np.arange(n)
        if hint is not None:
            known = ~hint.exact  # out of reach (or no coordinates)
            if len(self.b_kind):
                known |= (hint.piece >= 0) & self.b_is_country[np.maximum(hint.piece, 0)]
            for name in ("distance_m", "piece", "exact", "lower_m"):
                getattr(out, name)[known] = getattr(hint, name)[known]
            todo = np.flatnonzero(~known)
        if len(todo):
            lines, idx = self.land_lines()
            r = lines.nearest(lon[todo], lat[todo])
            out.distance_m[todo], out.exact[todo], out.lower_m[todo] = (
                r.distance_m, r.exact, r.lower_m)
            if len(idx):
                out.piece[todo] = np.where(r.piece >= 0, idx[np.maximum(r.piece, 0)], -1)
        return out

    def _lines_of(self, level: str, code: str) -> _UnitLines:
        """The claimed unit's shared boundary, grouped by stated accuracy.

        A country's lines are its land borders; a region's are every stretch it shares with
        another unit, country borders included.
        """
        key = (level, code)
        with self._lock:
            return self._lines_of_locked(key, level, code)

    def _lines_of_locked(self, key, level: str, code: str) -> _UnitLines:
        got = self._unit_lines.get(key)
        if got is None:
            if level == "country":
                mask = (self.b_kind == "country") & ((self.b_a_country == code)
                                                     | (self.b_b_country == code))
            else:
                mask = (self.b_a == code) | (self.b_b == code)
            got = self._unit_lines[key] = self._by_accuracy(np.flatnonzero(mask))
        return got

    def _by_accuracy(self, idx: np.ndarray) -> _UnitLines:
        """Border pieces ``idx`` grouped by stated accuracy, a :class:`LineSet` each."""
        geoms = self.bset.borders.geometry.values
        classes = []
        for acc in np.unique(self.b_accuracy[idx]).tolist():
            sel = idx[self.b_accuracy[idx] == acc]
            classes.append((float(acc), LineSet(geoms[sel]), sel))
        return _UnitLines(classes)

    def _group_lines(self, codes: tuple[str, ...]) -> _UnitLines:
        """The shared boundary of several regions taken as one (a region with the cities it
        encloses): the stretches with exactly one side in the group."""
        key = ("group", codes)
        with self._lock:
            got = self._unit_lines.get(key)
            if got is None:
                one_side = member(self.b_a, set(codes)) ^ member(self.b_b, set(codes))
                got = self._unit_lines[key] = self._by_accuracy(np.flatnonzero(one_side))
        return got

    def unit_margin(self, level: str, code: str, lon, lat, precision_m,
                    lower_m=None, group: tuple[str, ...] | None = None) -> Margin:
        """The stretch of a claimed unit's shared boundary that decides each point's verdict.

        For every piece ``p`` of the unit's shared boundary, ``distance(point, p) -
        accuracy(p)``; the smallest is the margin (the row's precision is not subtracted).
        Distances are exact where they are within :data:`NEAR_M` or within reach of the band.

        ``lower_m`` (per point) is a lower bound on the distance to any line (the nearest
        boundary between any two units): where even that is more than :data:`NEAR_M` beyond
        the widest band, no distance can decide, the margin is that bound minus the largest
        accuracy, and the deciding stretch is not measured (``distance_m`` NaN, ``piece`` -1).
        ``group``: judge the region together with these regions (the cities it encloses): the
        lines between members do not count.
        """
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        n = len(lon)
        prec = np.broadcast_to(np.asarray(precision_m, dtype=float), (n,))
        out = Margin(np.full(n, np.inf), np.full(n, np.inf), np.full(n, np.nan),
                     np.full(n, -1, dtype=np.int64), np.full(n, np.inf), np.ones(n, dtype=bool))
        classes = (self._group_lines(group) if group else self._lines_of(level, code)).classes
        if not classes:
            return out
        todo = np.arange(n)
        if lower_m is not None:
            widest = max(acc for acc, _, _ in classes)
            lower = np.asarray(lower_m, dtype=float)
            far = lower - widest - prec > NEAR_M
            out.margin_m[far] = lower[far] - widest
            out.distance_m[far] = np.nan
            out.nearest_m[far] = lower[far]
            out.exact[far] = False
            todo = np.flatnonzero(~far)
        if len(todo) == 0:
            return out
        sub = self._margin(classes, lon[todo], lat[todo], prec[todo])
        for name in ("margin_m", "distance_m", "accuracy_m", "piece", "nearest_m", "exact"):
            getattr(out, name)[todo] = getattr(sub, name)
        return out

    def _margin(self, classes, lon, lat, prec) -> Margin:
        n = len(lon)
        out = Margin(np.full(n, np.inf), np.full(n, np.inf), np.full(n, np.nan),
                     np.full(n, -1, dtype=np.int64), np.full(n, np.inf), np.ones(n, dtype=bool))
        for acc, lines, sel in classes:
            r = lines.nearest(lon, lat, exact_within=acc + prec + NEAR_M)
            d = np.where(r.exact, r.distance_m, r.lower_m)  # out of reach: a bound decides
            m = d - acc
            better = m < out.margin_m
            out.margin_m[better] = m[better]
            out.distance_m[better] = r.distance_m[better]
            out.accuracy_m[better] = acc
            out.piece[better] = np.where(r.piece[better] >= 0, sel[np.maximum(r.piece[better], 0)],
                                         -1)
            out.exact[better] = r.exact[better]
            out.nearest_m = np.fmin(out.nearest_m, d)
        return out

    def unit_distance(self, level: str, code: str, lon, lat, exact_within=None) -> Nearest:
        """Distance to the claimed unit's whole outline (coasts included), within reach
        (``exact_within``, at least :data:`NEAR_M`; a bound beyond).

        From outside a country, its internal lines are never the nearest, so the outline of a
        country is that of all its units.
        """
        return self._outline_lines(level, code).nearest(lon, lat, exact_within=exact_within)

    def _outline_lines(self, level: str, code: str) -> LineSet:
        key = (level, code)
        with self._lock:
            lines = self._outline.get(key)
            if lines is None:
                geoms = self.unit_geoms[self.units_of(level, code)]
                pieces, _ = explode_lines(shapely.boundary(geoms), 64) if len(geoms) else ([], [])
                lines = self._outline[key] = LineSet(pieces)
        return lines

    def build_ahead(self, units) -> None:
        """Have the helper thread (:func:`~geoverify.engine.lines.build_ahead`) prepare the
        lines of claimed units (``(level, code)`` pairs, in the order they will be judged):
        the last first, so that the judging thread, starting from the first, meets it
        halfway. Small line sets get their trees; larger ones build theirs by tile when
        queried."""
        for level, code in list(units)[:0:-1]:
            build_ahead(self._prepare_unit, level, code)

    def _prepare_unit(self, level: str, code: str) -> None:
        for _, lines, _ in self._lines_of(level, code).classes:
            lines.prepare()
        self._outline_lines(level, code).prepare()

    def other_side(self, piece: np.ndarray, code: np.ndarray) -> np.ndarray:
        """For border pieces and the claimed unit on one side: the unit (for a country-level
        claim across a land border: the country) on the other side."""
        piece = np.asarray(piece, dtype=np.int64)
        code = np.asarray(code, dtype=object)
        a, b = self.b_a[piece], self.b_b[piece]
        ac, bc = self.b_a_country[piece], self.b_b_country[piece]
        by_country = (self.b_kind[piece] == "country") & (code != a) & (code != b) & (
            (code == ac) | (code == bc))
        return np.where(by_country, np.where(ac == code, bc, ac), np.where(a == code, b, a))

    def enclosing_regions(self) -> dict[str, str]:
        """Cities with special status and the region that encloses each: for every unit of kind
        ``city``, the region of the same country that shares at least half of the city's land
        boundary and is at least four times its area (Kyiv -> Kyiv Oblast, Sevastopol ->
        Crimea, Moscow -> Moscow Oblast, Minsk -> Minsk Region, Saint Petersburg -> Leningrad
        Oblast). Derived from the boundary set, so a user set gets its own; computed once."""
        with self._lock:
            if self._enclosing is not None:
                return self._enclosing
            units = self.bset.unit_table
            kind = units["kind"].to_numpy(dtype=object) if "kind" in units.columns else \
                np.full(len(units), None, dtype=object)
            cities = set(self.unit_code[(kind == "city") & self.unit_is_adm1].tolist())
            country_of = dict(zip(self.unit_code.tolist(), self.unit_country.tolist()))
            region = set(self.unit_code[self.unit_is_adm1 & (kind != "city")].tolist())
            touch = np.flatnonzero(member(self.b_a, cities) | member(self.b_b, cities))
            got = {}
            if len(touch):
                geoms = self.bset.borders.geometry.values[touch]
                lengths = shapely.length(np.asarray(geoms, dtype=object))
                total: dict[str, float] = {}
                shared: dict[tuple[str, str], float] = {}
                for a, b, n in zip(self.b_a[touch].tolist(), self.b_b[touch].tolist(),
                                   lengths.tolist()):
                    for city, other in ((a, b), (b, a)):
                        if city in cities:
                            total[city] = total.get(city, 0.0) + n
                            if other in region and country_of.get(other) == country_of[city]:
                                shared[city, other] = shared.get((city, other), 0.0) + n
                pos = {c: i for i, c in enumerate(self.unit_code.tolist())}
                involved = sorted({pos[c] for pair in shared for c in pair})
                area = dict(zip(involved, shapely.area(self.unit_geoms[np.array(
                    involved, dtype=np.int64)]).tolist())) if involved else {}
                for (city, other), n in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0])):
                    # a city much smaller than the region around it (not a province that
                    # a source calls a city)
                    if city not in got and n >= 0.5 * total[city] \
                            and area[pos[city]] <= 0.25 * area[pos[other]]:
                        got[city] = other
            self._enclosing = got
            return got

    def piece_label(self, piece: int, code: str) -> tuple[str, str]:
        """(kind, the unit on the other side of border piece ``piece`` from ``code``)."""
        a, b = self.b_a[piece], self.b_b[piece]
        kind = self.b_kind[piece]
        if kind == "country" and code in (self.b_a_country[piece], self.b_b_country[piece]) \
                and code not in (a, b):
            other = self.b_b_country[piece] if self.b_a_country[piece] == code else \
                self.b_a_country[piece]
            return kind, other
        return kind, (b if a == code else a)


def boundary_index(bset) -> BoundaryIndex:
    """The (cached) :class:`BoundaryIndex` of a boundary set."""
    idx = bset._cache.get("index")
    if idx is None:
        idx = bset._cache["index"] = BoundaryIndex(bset)
    return idx
