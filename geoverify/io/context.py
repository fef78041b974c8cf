"""Reading the embedded context layers (settlements) shipped with geoverify."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

from geoverify.errors import BoundaryLayerError

#: Credit shown wherever the settlement names appear.
PLACES_ATTRIBUTION = "Place names: GeoNames (CC BY 4.0)"


def context_dir() -> Path:
    """Directory of the embedded context layers (works installed and in a checkout)."""
    try:
        path = Path(str(resources.files("geoverify._data") / "context"))
        if (path / "manifest.json").exists():
            return path
    except ModuleNotFoundError:
        pass
    checkout = Path(__file__).resolve().parents[2] / "data" / "context"
    if (checkout / "manifest.json").exists():
        return checkout
    raise BoundaryLayerError(
        "the embedded context layers are not installed (data/context/manifest.json not found); "
        "reinstall geoverify")


@functools.cache
def _places_table() -> Any:
    import pandas as pd

    return pd.read_parquet(context_dir() / "places.parquet",
                           columns=["name", "country", "population", "lon", "lat"])


def read_places() -> tuple[Any, str]:
    """The embedded settlements (``name, country, population, lon, lat``) and their credit.

    Built by ``scripts/build_places.py``; provenance in ``data/context/manifest.json``.
    """
    return _places_table(), PLACES_ATTRIBUTION


def context_manifest() -> dict[str, Any]:
    return json.loads((context_dir() / "manifest.json").read_text(encoding="utf-8"))


@functools.cache
def read_world() -> Any:
    """Coarse country outlines for the map's backdrop (``code, colour, geometry``), from
    ``scripts/build_world.py``."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    table = pd.read_parquet(context_dir() / "world.parquet")
    return gpd.GeoDataFrame(table[["code", "colour"]], geometry=shapely.from_wkb(table["geometry"].to_numpy()),
                            crs="EPSG:4326")


@functools.cache
def read_world_borders() -> Any:
    """Coarse land borders between countries (``a, b, geometry``), from ``scripts/build_world.py``."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    table = pd.read_parquet(context_dir() / "world_borders.parquet")
    return gpd.GeoDataFrame(table[["a", "b"]], geometry=shapely.from_wkb(table["geometry"].to_numpy()),
                            crs="EPSG:4326")


@functools.cache
def _regions_far() -> tuple[Any, Any, str | None, float] | None:
    from geoverify.io.boundaries import read_polygons_lazily

    entry = context_manifest().get("regions_far")
    path = context_dir() / "regions_far.parquet"
    if not entry or not path.exists():
        return None
    got = read_polygons_lazily(path)
    if got is None:
        return None
    attrs, polygons = got
    return (attrs, polygons, (entry.get("input") or {}).get("sha256"),
            float((entry.get("parameters") or {}).get("coverage_simplify_deg", 0.0)))


def regions_far(units_sha256: str | None, codes: Any, levels: Any) -> tuple[Any, float] | None:
    """The far tier of the embedded units, simplified once as one coverage
    (``scripts/build_far_tier.py``), as ``(polygons, tolerance)``: a
    :class:`~geoverify.io.polygons.UnitGeometry` in the units' order (each polygon made on
    first use) and its tolerance in degrees. Only for the units file it was built from:
    ``units_sha256`` (the set's provenance) must be the one the manifest records, and the
    units' ``codes`` and ``levels`` must be the file's, row for row; None otherwise (the map then
    simplifies the exact polygons itself).
    """
    got = _regions_far()
    if got is None or units_sha256 is None:
        return None
    attrs, polygons, built_from, tolerance = got
    if built_from != units_sha256 or len(attrs) != len(codes):
        return None
    if attrs["code"].tolist() != list(codes) or attrs["level"].tolist() != list(levels):
        return None
    return polygons, tolerance
