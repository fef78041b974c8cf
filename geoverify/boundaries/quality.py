"""How good is a boundary layer? Gaps, overlaps, regions outside their country, invalid shapes.

Every issue comes with the area involved in km², measured in an equal-area projection
(EPSG:6933, WGS 84 / NSIDC EASE-Grid 2.0 Global), and a representative point, so a user can
judge a layer before trusting its verdicts. Pure functions on GeoDataFrames; :func:`check_set`
reads an installed user set.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import shapely

#: Issues smaller than this (km²) are numerical noise, not gaps or overlaps.
MIN_AREA_KM2 = 1e-4
ISSUE_COLUMNS = ["issue", "layer", "features", "area_km2", "lon", "lat", "detail"]


@lru_cache(maxsize=1)
def _to_equal_area():
    import pyproj

    return pyproj.Transformer.from_crs(4326, 6933, always_xy=True)


def area_km2(geom) -> float:
    """Area of a lon/lat geometry in km², in the EPSG:6933 equal-area projection."""
    if geom is None or geom.is_empty:
        return 0.0
    t = _to_equal_area()

    def fn(c):
        x, y = t.transform(c[:, 0], np.clip(c[:, 1], -85.0, 85.0))
        return np.column_stack([x, y])

    return float(shapely.area(shapely.transform(geom, fn))) / 1e6


def _issue(issue: str, layer: str, features: list[str], geom, detail: str) -> dict[str, Any]:
    p = shapely.point_on_surface(geom) if geom is not None and not geom.is_empty else None
    return {"issue": issue, "layer": layer, "features": "|".join(features),
            "area_km2": area_km2(geom), "lon": p.x if p is not None else None,
            "lat": p.y if p is not None else None, "detail": detail}


def invalid_geometries(gdf, layer: str, code_col: str = "code") -> list[dict[str, Any]]:
    """Features whose geometry is invalid (self-intersections, bad rings), with the area of
    the repaired shape."""
    out = []
    geoms = gdf.geometry.values
    for i in np.flatnonzero(~shapely.is_valid(geoms)):
        fixed = shapely.make_valid(geoms[i])
        poly = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
        g = shapely.union_all(poly) if poly else None
        out.append(_issue("invalid", layer, [str(gdf[code_col].iloc[i])], g,
                          shapely.is_valid_reason(geoms[i])))
    return out


def _valid(gdf):
    geoms = np.array(gdf.geometry.values, dtype=object)
    bad = ~shapely.is_valid(geoms)
    geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def overlaps(gdf, layer: str, code_col: str = "code",
             min_area_km2: float = MIN_AREA_KM2) -> list[dict[str, Any]]:
    """Pairs of features that share area."""
    geoms = _valid(gdf)
    codes = gdf[code_col].astype(str).tolist()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    out = []
    for i, j in zip(left.tolist(), right.tolist()):
        if i >= j:
            continue
        inter = shapely.intersection(geoms[i], geoms[j])
        poly = [p for p in shapely.get_parts(inter) if p.geom_type in ("Polygon", "MultiPolygon")]
        if not poly:
            continue
        g = shapely.union_all(poly)
        a = area_km2(g)
        if a > min_area_km2:
            out.append(_issue("overlap", layer, [codes[i], codes[j]], g,
                              f"{codes[i]} and {codes[j]} both cover {a:.3f} km²"))
    return out


def gaps(gdf, layer: str, code_col: str = "code",
         min_area_km2: float = MIN_AREA_KM2) -> list[dict[str, Any]]:
    """Holes enclosed by the layer that are bordered by two or more features (a hole inside a
    single feature, such as a lake, is that feature's own business)."""
    geoms = _valid(gdf)
    codes = gdf[code_col].astype(str).to_numpy()
    tree = shapely.STRtree(geoms)
    union = shapely.union_all(geoms)
    out = []
    for poly in shapely.get_parts(union):
        if poly.geom_type != "Polygon":
            continue
        for ring in poly.interiors:
            hole = shapely.Polygon(ring)
            a = area_km2(hole)
            if a <= min_area_km2:
                continue
            around = sorted(set(codes[tree.query(hole, predicate="intersects")]))
            if len(around) >= 2:
                out.append(_issue("gap", layer, around, hole,
                                  f"{a:.3f} km² enclosed by {', '.join(around)} belongs to none"))
    return out


def regions_outside_country(adm0, adm1, min_area_km2: float = MIN_AREA_KM2) -> list[dict[str, Any]]:
    """Regions that reach beyond their country's polygon, and country area no region covers."""
    shape = dict(zip(adm0["code"], _valid(adm0)))
    regions = _valid(adm1)
    out = []
    for code, country, g in zip(adm1["code"], adm1["country"], regions):
        if country not in shape:
            out.append(_issue("no-country", "ADM1", [str(code)], g,
                              f"region {code}'s country {country} is not in the ADM0 layer"))
            continue
        beyond = shapely.difference(g, shape[country])
        a = area_km2(beyond)
        if a > min_area_km2:
            out.append(_issue("outside-country", "ADM1", [str(code), str(country)], beyond,
                              f"{a:.3f} km² of region {code} lies outside {country}"))
    for country, g in shape.items():
        mine = regions[(adm1["country"] == country).to_numpy()]
        if not len(mine):
            continue
        left = shapely.difference(g, shapely.union_all(mine))
        a = area_km2(left)
        if a > min_area_km2:
            out.append(_issue("uncovered", "ADM1", [str(country)], left,
                              f"{a:.3f} km² of {country} is in none of its regions"))
    return out


def check_layers(adm0=None, adm1=None, repaired: dict[str, list] | None = None) -> pd.DataFrame:
    """Every issue of an ADM0 and/or ADM1 layer (``code``, ``name``, [``country``], geometry).

    ``repaired`` lists, per level, the geometries repaired when the layer was added (from the
    set's manifest); they are reported as ``repaired`` issues.
    """
    rows: list[dict[str, Any]] = []
    for level, gdf in (("ADM0", adm0), ("ADM1", adm1)):
        if gdf is None:
            continue
        rows += invalid_geometries(gdf, level)
        for r in (repaired or {}).get(level, []):
            rows.append({"issue": "repaired", "layer": level, "features": r["feature"],
                         "area_km2": r.get("area_km2"), "lon": None, "lat": None,
                         "detail": f"invalid on input ({r['reason']}); repaired with make_valid"})
        rows += overlaps(gdf, level)
        rows += gaps(gdf, level)
    if adm0 is not None and adm1 is not None:
        rows += regions_outside_country(adm0, adm1)
    return pd.DataFrame(rows, columns=ISSUE_COLUMNS)
