"""Deriving what classification needs from polygons: shared border lines, a BoundarySet.

Used by ``scripts/build_boundaries.py`` for the embedded layers, and by anyone who brings their
own polygons (tests build tiny layers in code with :func:`boundary_set_from_frames`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from geoverify.boundaries.model import BoundarySet

DEFAULT_ACCURACY_M = {"country_border": 200.0, "region_border": 1800.0, "coastline": 200.0}


def chunk_lines(geom, max_vertices: int = 64) -> list:
    """Cut a (multi)line into pieces of at most ``max_vertices`` vertices."""
    out = []
    for part in shapely.get_parts(geom):
        coords = shapely.get_coordinates(part)
        for start in range(0, max(len(coords) - 1, 1), max_vertices - 1):
            piece = coords[start:start + max_vertices]
            if len(piece) >= 2:
                out.append(shapely.LineString(piece))
    return out


def shared_lines(geoms: list, labels: list[str]) -> list[tuple[str, str, Any]]:
    """The stretches of boundary shared by each pair of touching polygons, as merged lines."""
    arr = np.array(geoms, dtype=object)
    tree = shapely.STRtree(arr)
    left, right = tree.query(arr, predicate="intersects")
    bounds = [shapely.boundary(g) for g in geoms]
    out = []
    for i, j in zip(left.tolist(), right.tolist()):
        if i >= j:
            continue
        line = shapely.intersection(bounds[i], bounds[j])
        parts = [p for p in shapely.get_parts(line) if p.geom_type == "LineString" and p.length > 0]
        if not parts:
            continue
        merged = shapely.line_merge(shapely.union_all(parts))
        if merged.is_empty or merged.length == 0:
            continue
        a, b = sorted((labels[i], labels[j]))
        out.append((a, b, merged))
    return out


UNIT_COLUMNS = ["code", "level", "country", "name", "names", "adm1_code", "iso_3166_2", "geometry"]


def make_units(adm0, adm1):
    """One polygon layer: every region, plus each country that has no region as a unit of its own.

    ``adm0`` needs ``code``, ``name`` and geometry; ``adm1`` needs ``code``, ``name``,
    ``country`` and geometry (``names``, ``adm1_code``, ``iso_3166_2`` optional). Regions must
    tile their country; the country layer's polygons are used only for countries without
    regions.
    """
    import geopandas as gpd

    with_regions = set(adm1["country"])
    rows = []
    for r in adm1.to_dict("records"):
        rows.append({"code": r["code"], "level": "adm1", "country": r["country"],
                     "name": r["name"], "names": r.get("names"), "adm1_code": r.get("adm1_code"),
                     "iso_3166_2": r.get("iso_3166_2"), "geometry": r["geometry"]})
    for r in adm0.to_dict("records"):
        if r["code"] not in with_regions:
            rows.append({"code": r["code"], "level": "country", "country": r["code"],
                         "name": r["name"], "names": None, "adm1_code": None,
                         "iso_3166_2": None, "geometry": r["geometry"]})
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=UNIT_COLUMNS, dtype=object),
                            geometry="geometry", crs="EPSG:4326")


def border_lines(units):
    """Every boundary shared by two units, tagged ``country`` or ``region``, cut in pieces."""
    import geopandas as gpd

    country_of = dict(zip(units["code"], units["country"]))
    rows = []
    for a, b, geom in shared_lines(list(units.geometry), list(units["code"])):
        kind = "country" if country_of[a] != country_of[b] else "region"
        for piece in chunk_lines(geom):
            rows.append({"a": a, "b": b, "a_country": country_of[a], "b_country": country_of[b],
                         "kind": kind, "geometry": piece})
    cols = ["a", "b", "a_country", "b_country", "kind", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs="EPSG:4326")


def boundary_set_from_frames(adm0, adm1, *, name: str = "custom", disputed=None,
                             accuracy_m: dict[str, float] | None = None,
                             provenance: list[dict[str, Any]] | None = None):
    """A :class:`~geoverify.boundaries.BoundarySet` from country and region GeoDataFrames.

    ``adm0`` needs ``code`` and ``name`` (``iso_a3``, ``names`` optional); ``adm1`` needs
    ``code``, ``name`` and ``country`` (``adm1_code``, ``names`` optional). Regions must tile
    their country.
    """
    adm0 = adm0.copy()
    for col in ("iso_a3", "names"):
        if col not in adm0:
            adm0[col] = None
    units = make_units(adm0, adm1)
    if disputed is None:
        disputed = pd.DataFrame(columns=["area", "adm1_codes", "de_jure", "claimant", "since", "sources"])
    countries = pd.DataFrame(adm0.drop(columns=adm0.geometry.name))
    return BoundarySet(
        name=name, countries=countries, units=units, borders=border_lines(units),
        disputed=disputed, accuracy_m=dict(accuracy_m or DEFAULT_ACCURACY_M),
        provenance=list(provenance or []), aliases=None)
