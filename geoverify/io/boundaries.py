"""Reading boundary layer files (GeoParquet) and their manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geoverify.errors import BoundaryLayerError


def read_layer(path: Path, columns: list[str] | None = None):
    """Read one GeoParquet boundary layer as a GeoDataFrame in EPSG:4326."""
    import geopandas as gpd

    try:
        gdf = gpd.read_parquet(path, columns=columns)
    except FileNotFoundError as exc:
        raise BoundaryLayerError(
            f"boundary layer file {path} is missing; reinstall geoverify or rebuild the "
            "layers with scripts/build_boundaries.py") from exc
    except Exception as exc:  # corrupt file, wrong format
        raise BoundaryLayerError(f"boundary layer file {path} cannot be read: {exc}") from exc
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        gdf = gdf.set_crs(4326, allow_override=True) if gdf.crs is None else gdf.to_crs(4326)
    return gdf


def read_manifest(path: Path) -> dict[str, Any]:
    """Read a layer manifest (JSON)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BoundaryLayerError(f"boundary manifest {path} is missing") from exc
    except ValueError as exc:
        raise BoundaryLayerError(f"boundary manifest {path} is not valid JSON: {exc}") from exc


def read_csv_table(path: Path):
    """Read a small committed CSV table (disputed areas, aliases) as a DataFrame of strings."""
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, comment=None)
    except FileNotFoundError as exc:
        raise BoundaryLayerError(f"boundary table {path} is missing") from exc
