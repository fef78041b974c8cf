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

from geoverify.core.distance import NearestIndex, explode_lines

KIND_ACCURACY = {"country": "country_border", "region": "region_border"}


@dataclass
class PreparedBoundaries:
    """Spatial indexes over one :class:`~geoverify.boundaries.BoundarySet`, built once."""

    boundaries: Any
    adm0_geoms: np.ndarray
    adm0_codes: np.ndarray
    adm0_tree: shapely.STRtree
    adm1_geoms: np.ndarray
    adm1_codes: np.ndarray
    adm1_country: np.ndarray
    adm1_tree: shapely.STRtree
    land_borders: NearestIndex
    region_borders: NearestIndex
    disputed_by_adm1: dict[str, dict[str, str]]
    _unit_lines: dict[tuple[str, str, str], NearestIndex] = field(default_factory=dict)
    _unit_outline: dict[tuple[str, str], NearestIndex] = field(default_factory=dict)

    # ---- unit lookups -------------------------------------------------------------------
    def unit_geometry(self, level: str, code: str):
        if level == "country":
            idx = np.flatnonzero(self.adm0_codes == code)
            geoms = self.adm0_geoms
        else:
            idx = np.flatnonzero(self.adm1_codes == code)
            geoms = self.adm1_geoms
        if len(idx) == 0:
            return None
        return geoms[idx[0]]

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
        """Index of the whole outline of a unit (coasts included), for distances from outside."""
        key = (level, code)
        if key not in self._unit_outline:
            geom = self.unit_geometry(level, code)
            pieces, _ = explode_lines([shapely.boundary(geom)]) if geom is not None else ([], [])
            self._unit_outline[key] = NearestIndex(pieces)
        return self._unit_outline[key]


def prepare(boundaries) -> PreparedBoundaries:
    """Build (once per boundary set) the indexes used by :func:`classify_points`."""
    cached = boundaries._cache.get("prepared")
    if cached is not None:
        return cached
    adm0 = boundaries.adm0
    adm1 = boundaries.adm1
    borders = boundaries.borders
    kinds = borders["kind"].values
    disputed = {}
    for _, row in boundaries.disputed.iterrows():
        for code in str(row["adm1_codes"]).split("|"):
            if code.strip():
                disputed[code.strip()] = {"by": row["claimant"], "since": row["since"]}
    prepared = PreparedBoundaries(
        boundaries=boundaries,
        adm0_geoms=adm0.geometry.values,
        adm0_codes=adm0["code"].to_numpy(dtype=object),
        adm0_tree=shapely.STRtree(adm0.geometry.values),
        adm1_geoms=adm1.geometry.values,
        adm1_codes=adm1["code"].to_numpy(dtype=object),
        adm1_country=adm1["country"].to_numpy(dtype=object),
        adm1_tree=shapely.STRtree(adm1.geometry.values),
        land_borders=NearestIndex(borders.geometry.values[kinds == "country"]),
        region_borders=NearestIndex(borders.geometry.values),
        disputed_by_adm1=disputed,
    )
    boundaries._cache["prepared"] = prepared
    return prepared


def locate(prepared: PreparedBoundaries, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
    """Country and region of each point by exact point-in-polygon, with on-border candidates.

    Returns a DataFrame with ``country``, ``country_candidates``, ``adm1``, ``adm1_candidates``
    (codes; candidates list every unit whose closed polygon holds the point).
    """
    n = len(lon)
    pts = shapely.points(lon, lat)
    country: list[Any] = [None] * n
    country_cand: list[list[str]] = [[] for _ in range(n)]
    adm1: list[Any] = [None] * n
    adm1_cand: list[list[str]] = [[] for _ in range(n)]
    valid = ~(np.isnan(lon) | np.isnan(lat))
    if valid.any():
        vi = np.flatnonzero(valid)
        pi, gi = prepared.adm0_tree.query(pts[vi], predicate="intersects")
        for p, g in zip(pi, gi):
            country_cand[vi[p]].append(prepared.adm0_codes[g])
        pi, gi = prepared.adm1_tree.query(pts[vi], predicate="intersects")
        for p, g in zip(pi, gi):
            adm1_cand[vi[p]].append(prepared.adm1_codes[g])
    for i in range(n):
        cc = sorted(set(country_cand[i]))
        country_cand[i] = cc
        if len(cc) == 1:
            country[i] = cc[0]
        rc = sorted(set(adm1_cand[i]))
        if country[i] is not None:
            own = [c for c in rc if _region_country(prepared, c) == country[i]]
            rc = own or rc
        adm1_cand[i] = rc
        if len(rc) == 1:
            adm1[i] = rc[0]
    return pd.DataFrame({
        "country": country, "country_candidates": country_cand,
        "adm1": adm1, "adm1_candidates": adm1_cand,
    })


def _region_country(prepared: PreparedBoundaries, code: str) -> str | None:
    idx = np.flatnonzero(prepared.adm1_codes == code)
    return prepared.adm1_country[idx[0]] if len(idx) else None


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
    out["disputed"] = [prepared.disputed_by_adm1.get(c) if c else None for c in out["adm1"]]
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
