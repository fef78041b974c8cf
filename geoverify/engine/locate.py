"""Where each point is: country, region, disputed status and distances to borders.

A point on the shared edge of two units belongs to neither: its ``country`` (or ``adm1``) is
left empty and the candidates are returned, so the verdict can say ``ambiguous`` instead of
assigning it silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geoverify.engine.distance import NearestIndex, explode_lines, local_distance_m

KIND_ACCURACY = {"country": "country_border", "region": "region_border"}

# --- engine (geoverify/core/engine.py): begin -------------------------------------------------
from geoverify.engine import quadtree as _engine  # noqa: E402

#: ``locate`` answers batches of at least this many points with the engine (identical results).
ENGINE_MIN_POINTS = 50_000
# --- engine: end ------------------------------------------------------------------------------


@dataclass
class PreparedBoundaries:
    """Spatial indexes over one :class:`~geoverify.boundaries.BoundarySet`, built once."""

    boundaries: Any
    unit_geoms: np.ndarray
    unit_codes: np.ndarray
    unit_level: np.ndarray
    unit_country: np.ndarray
    unit_tree: shapely.STRtree
    land_borders: NearestIndex
    region_borders: NearestIndex
    disputed_by_adm1: dict[str, dict[str, str]]
    _unit_lines: dict[tuple[str, str, str], NearestIndex] = field(default_factory=dict)
    _waters_tree: Any = None
    _unit_outline: dict[tuple[str, str], NearestIndex] = field(default_factory=dict)

    def nearest_region_of(self, country: str, lon: float, lat: float,
                          reach_deg: float = 0.5) -> str | None:
        """Code of ``country``'s unit nearest to the point, looking ``reach_deg`` around it."""
        pt = shapely.Point(lon, lat)
        cand = self.unit_tree.query(pt, predicate="dwithin", distance=reach_deg)
        cand = [k for k in cand.tolist() if self.unit_country[k] == country]
        if not cand:
            return None
        d = shapely.distance(self.unit_geoms[cand], pt)
        return self.unit_codes[cand[int(np.argmin(d))]]

    def waters_tree(self):
        """STRtree over the territorial-waters layer (None when the set has none)."""
        if self._waters_tree is None:
            waters = getattr(self.boundaries, "waters", None)
            self._waters_tree = False if waters is None else shapely.STRtree(waters.geometry.values)
        return self._waters_tree or None

    def unit_lines(self, level: str, code: str, kind: str) -> NearestIndex:
        """Index of the stretches of ``code``'s boundary shared with other units, by kind."""
        key = (level, code, kind)
        if key not in self._unit_lines:
            b = self.boundaries.borders
            if level == "country":
                mask = (b["kind"].values == "country") & (
                    (b["a_country"].values == code) | (b["b_country"].values == code))
            else:
                mask = (b["kind"].values == kind) & (
                    (b["a"].values == code) | (b["b"].values == code))
            self._unit_lines[key] = NearestIndex(b.geometry.values[mask])
        return self._unit_lines[key]

    def unit_outline(self, level: str, code: str) -> NearestIndex:
        """Index of the whole outline of a unit (coasts included), for distances from outside.

        A country's outline is that of all its units: from outside the country the internal
        lines are never the nearest.
        """
        key = (level, code)
        if key not in self._unit_outline:
            owner = self.unit_country if level == "country" else self.unit_codes
            geoms = self.unit_geoms[owner == code]
            pieces, _ = explode_lines(shapely.boundary(geoms)) if len(geoms) else ([], [])
            self._unit_outline[key] = NearestIndex(pieces)
        return self._unit_outline[key]


def prepare(boundaries) -> PreparedBoundaries:
    """Build (once per boundary set) the indexes used by :func:`classify_points`."""
    cached = boundaries._cache.get("prepared")
    if cached is not None:
        return cached
    units = boundaries.units
    borders = boundaries.borders
    kinds = borders["kind"].values
    disputed = {}
    for _, row in boundaries.disputed.iterrows():
        for code in str(row["adm1_codes"]).split("|"):
            if code.strip():
                disputed[code.strip()] = {"by": row["claimant"], "since": row["since"]}
    prepared = PreparedBoundaries(
        boundaries=boundaries,
        unit_geoms=units.geometry.values,
        unit_codes=units["code"].to_numpy(dtype=object),
        unit_level=units["level"].to_numpy(dtype=object),
        unit_country=units["country"].to_numpy(dtype=object),
        unit_tree=shapely.STRtree(units.geometry.values),
        land_borders=NearestIndex(borders.geometry.values[kinds == "country"]),
        region_borders=NearestIndex(borders.geometry.values),
        disputed_by_adm1=disputed,
    )
    boundaries._cache["prepared"] = prepared
    return prepared


def locate(prepared: PreparedBoundaries, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
    """Country and region of each point by exact point-in-polygon, with on-border candidates.

    A point in no polygon but within the stated coastline accuracy of land (the coasts are
    simplified) takes the units within that reach as candidates; ``offshore_m`` then gives its
    distance to the nearest of them (NaN for points inside a polygon or far at sea).

    Returns a DataFrame with ``country``, ``country_candidates``, ``adm1``, ``adm1_candidates``
    (codes; candidates list every unit whose closed polygon holds the point; ``country`` and
    ``adm1`` are set only when there is exactly one candidate), ``offshore_m``, and ``waters``:
    for a point at sea, the country whose territorial sea holds it (None on the high seas).
    """
    n = len(lon)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    # --- engine (geoverify/core/engine.py): begin ---------------------------------------------
    # Same results, from a cached quadtree index, for large inputs.
    if n >= ENGINE_MIN_POINTS:
        eng = _engine.engine_for(prepared.boundaries, tree=prepared.unit_tree)
        out = _engine.locate_frame(eng, prepared.unit_codes, prepared.unit_level,
                                   prepared.unit_country, lon, lat)
        ok = ~(np.isnan(lon) | np.isnan(lat))
        at_sea = [i for i, c in enumerate(out["country_candidates"]) if not c and ok[i]]
        out["waters"] = pd.Series(territorial_waters(prepared, lon, lat, at_sea, n),
                                  index=out.index, dtype=object)
        return out
    # --- engine: end; below, the exact per-point path (small inputs) ----------------------------
    country_cand: list[set[str]] = [set() for _ in range(n)]
    adm1_cand: list[set[str]] = [set() for _ in range(n)]
    valid = ~(np.isnan(lon) | np.isnan(lat))
    if valid.any():
        vi = np.flatnonzero(valid)
        pi, gi = prepared.unit_tree.query(shapely.points(lon[vi], lat[vi]), predicate="intersects")
        for p, g in zip(pi.tolist(), gi.tolist()):
            i = vi[p]
            country_cand[i].add(prepared.unit_country[g])
            if prepared.unit_level[g] == "adm1":
                adm1_cand[i].add(prepared.unit_codes[g])
    offshore = np.full(n, np.nan)
    band = prepared.boundaries.accuracy_m.get("coastline", 0.0)
    if band > 0:
        for i in np.flatnonzero(valid):
            if country_cand[i]:
                continue
            # at sea by the (simplified) coastline: within its stated accuracy the point may be
            # on land, and the only land it can be on is that of the units within reach
            reach = band / (111_320.0 * max(np.cos(np.radians(min(abs(lat[i]), 89.0))), 1e-3))
            cand = prepared.unit_tree.query(shapely.Point(lon[i], lat[i]), predicate="dwithin",
                                            distance=reach * 1.01)
            if len(cand) == 0:
                continue
            d = local_distance_m(float(lon[i]), float(lat[i]), prepared.unit_geoms[cand], band)
            near = cand[d <= band]
            if len(near) == 0:
                continue
            offshore[i] = float(d[d <= band].min())
            for g in near.tolist():
                country_cand[i].add(prepared.unit_country[g])
                if prepared.unit_level[g] == "adm1":
                    adm1_cand[i].add(prepared.unit_codes[g])
    waters: list[str | None] = [None] * n
    at_sea = [i for i in np.flatnonzero(valid) if not country_cand[i]]
    if at_sea:
        waters = territorial_waters(prepared, lon, lat, at_sea, n)
    cc = [sorted(c) for c in country_cand]
    rc = [sorted(c) for c in adm1_cand]
    return pd.DataFrame({
        "country": [c[0] if len(c) == 1 else None for c in cc],
        "country_candidates": cc,
        "adm1": [c[0] if len(c) == 1 else None for c in rc],
        "adm1_candidates": rc,
        "offshore_m": offshore,
        "waters": waters,
    }, dtype=object)


def territorial_waters(prepared: PreparedBoundaries, lon, lat, rows, n: int) -> list[str | None]:
    """Country whose territorial sea holds each listed point (None on the high seas).

    Several countries (an unresolved overlap) are joined with ``|``.
    """
    out: list[str | None] = [None] * n
    tree = prepared.waters_tree()
    if tree is None:
        return out
    rows = np.asarray(rows, dtype=np.int64)
    codes = prepared.boundaries.waters["code"].to_numpy(dtype=object)
    pi, gi = tree.query(shapely.points(lon[rows], lat[rows]), predicate="intersects")
    found: dict[int, set[str]] = {}
    for p, g in zip(pi.tolist(), gi.tolist()):
        found.setdefault(int(rows[p]), set()).add(codes[g])
    for i, s in found.items():
        out[i] = "|".join(sorted(s))
    return out


def classify_points(prepared: PreparedBoundaries, lon, lat, *, distances: bool = True) -> pd.DataFrame:
    """Locate points and measure their distances to the nearest borders.

    Parameters
    ----------
    prepared
        From :func:`prepare`.
    lon, lat
        Arrays of degrees; NaN marks a row without coordinates.
    distances
        Measure ``distance_to_border_m`` (nearest land border between countries) and
        ``distance_to_region_border_m`` (nearest boundary shared between regions). Both are
        geodesic metres; NaN where the point has no coordinates.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = locate(prepared, lon, lat)
    disputed = [prepared.disputed_by_adm1.get(c) if c else None for c in out["adm1"]]
    if prepared.disputed_by_adm1:
        for i, w in enumerate(out["waters"]):
            if w and "|" not in w:
                # territorial sea: disputed when the nearest coast of that country is
                region = prepared.nearest_region_of(w, float(lon[i]), float(lat[i]))
                disputed[i] = prepared.disputed_by_adm1.get(region) if region else None
    out["disputed"] = disputed
    if distances:
        d0 = np.full(len(lon), np.nan)
        d1 = np.full(len(lon), np.nan)
        for i in range(len(lon)):
            if math.isnan(lon[i]) or math.isnan(lat[i]):
                continue
            d0[i] = prepared.land_borders.distance(lon[i], lat[i])
            d1[i] = prepared.region_borders.distance(lon[i], lat[i])
        out["distance_to_border_m"] = d0
        out["distance_to_region_border_m"] = d1
    return out
