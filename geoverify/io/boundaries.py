"""Reading and writing boundary layer files and their manifest.

Embedded layers are Parquet files in a compact geometry encoding, chosen so that millions of
border vertices fit in a few megabytes and load in a fraction of a second: coordinates are
quantised to 1e-7 degree (about 1 cm) and stored as int64 lists with Parquet's
DELTA_BINARY_PACKED encoding and zstd. Columns:

``geom_type``  ``MultiPolygon`` or ``LineString`` (one type per file)
``n_parts``    polygons per multipolygon (polygon layers)
``n_rings``    list<int32>: rings per polygon (polygon layers)
``n_coords``   list<int32>: vertices per ring (or per line)
``x``, ``y``   list<int64>: quantised coordinates, rings closed
plus the layer's attribute columns. :func:`read_layer` returns an ordinary GeoDataFrame, and
:func:`read_layer` also reads GeoParquet written by geopandas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from geoverify.errors import BoundaryLayerError

SCALE = 1e7
_GEOM_COLUMNS = ("geom_type", "n_parts", "n_rings", "n_coords", "x", "y")


def write_layer(gdf, path: Path) -> None:
    """Write a GeoDataFrame of MultiPolygons (or of LineStrings) in the compact encoding."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    geoms = gdf.geometry.values
    types = set(shapely.get_type_id(geoms).tolist())
    attrs = gdf.drop(columns=gdf.geometry.name)
    cols: dict[str, Any] = {
        c: pa.array([None if isinstance(v, float) and v != v else v for v in attrs[c].tolist()])
        for c in attrs.columns}
    if types <= {3, 6}:  # Polygon, MultiPolygon
        geoms = np.array([g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])
                          for g in geoms], dtype=object)
        _, coords, (ring_off, poly_off, multi_off) = shapely.to_ragged_array(geoms)
        n_coords = np.diff(ring_off).astype(np.int32)
        n_rings = np.diff(poly_off).astype(np.int32)
        n_parts = np.diff(multi_off).astype(np.int32)
        rings_per_feature = _sum_by(n_rings, n_parts)
        cols["geom_type"] = pa.array(["MultiPolygon"] * len(geoms))
        cols["n_parts"] = pa.array(n_parts)
        cols["n_rings"] = _lists(n_rings, n_parts, pa.int32())
        cols["n_coords"] = _lists(n_coords, rings_per_feature, pa.int32())
        coords_per_feature = _sum_by(n_coords, rings_per_feature)
    elif types <= {1}:  # LineString
        _, coords, (line_off,) = shapely.to_ragged_array(geoms)
        n_coords = np.diff(line_off).astype(np.int32)
        cols["geom_type"] = pa.array(["LineString"] * len(geoms))
        cols["n_coords"] = _lists(n_coords, np.ones(len(geoms), dtype=np.int64), pa.int32())
        coords_per_feature = n_coords
    else:
        raise BoundaryLayerError(f"{path}: a layer holds MultiPolygons or LineStrings only")
    q = np.round(coords[:, :2] * SCALE).astype(np.int64)
    cols["x"] = _lists(q[:, 0], coords_per_feature, pa.int64())
    cols["y"] = _lists(q[:, 1], coords_per_feature, pa.int64())
    table = pa.table(cols)
    table = table.replace_schema_metadata({"geoverify:encoding": "quantised-1e-7-v1",
                                           "geoverify:crs": "EPSG:4326"})
    pq.write_table(table, path, compression="zstd", compression_level=19, use_dictionary=False,
                   column_encoding={"x": "DELTA_BINARY_PACKED", "y": "DELTA_BINARY_PACKED",
                                    "n_coords": "DELTA_BINARY_PACKED"})


def _sum_by(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    ends = np.cumsum(counts)
    csum = np.concatenate([[0], np.cumsum(values)])
    return csum[ends] - csum[ends - counts]


def _lists(values: np.ndarray, counts: np.ndarray, typ):
    import pyarrow as pa

    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(values, typ))


def _flat(table, name: str) -> np.ndarray:
    col = table.column(name).combine_chunks()
    return col.flatten().to_numpy(zero_copy_only=False)


def read_layer(path: Path, columns: list[str] | None = None):
    """Read one boundary layer as a GeoDataFrame in EPSG:4326.

    Raises
    ------
    BoundaryLayerError
        When the file is missing, unreadable or not a boundary layer.
    """
    import geopandas as gpd
    import pandas as pd
    import pyarrow.parquet as pq
    import shapely

    try:
        table = pq.read_table(path)
    except FileNotFoundError as exc:
        raise BoundaryLayerError(
            f"boundary layer file {path} is missing; reinstall geoverify or rebuild the "
            "layers with scripts/build_boundaries.py") from exc
    except Exception as exc:  # corrupt file, not parquet
        raise BoundaryLayerError(f"boundary layer file {path} cannot be read: {exc}") from exc
    meta = table.schema.metadata or {}
    if b"geoverify:encoding" not in meta:
        try:
            gdf = gpd.read_parquet(path, columns=columns)
        except Exception as exc:
            raise BoundaryLayerError(f"boundary layer file {path} is not a layer: {exc}") from exc
        return gdf.to_crs(4326) if gdf.crs is not None else gdf.set_crs(4326)
    n = table.num_rows
    x = _flat(table, "x").astype(np.float64) / SCALE
    y = _flat(table, "y").astype(np.float64) / SCALE
    coords = np.column_stack([x, y])
    n_coords = _flat(table, "n_coords").astype(np.int64)
    gtype = table.column("geom_type")[0].as_py() if n else "LineString"
    if gtype == "MultiPolygon":
        n_rings = _flat(table, "n_rings").astype(np.int64)
        n_parts = table.column("n_parts").to_numpy().astype(np.int64)
        offsets = (np.concatenate([[0], np.cumsum(n_coords)]),
                   np.concatenate([[0], np.cumsum(n_rings)]),
                   np.concatenate([[0], np.cumsum(n_parts)]))
        geoms = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords, offsets)
    else:
        offsets = (np.concatenate([[0], np.cumsum(n_coords)]),)
        geoms = shapely.from_ragged_array(shapely.GeometryType.LINESTRING, coords, offsets)
    keep = [c for c in table.column_names if c not in _GEOM_COLUMNS]
    if columns is not None:
        keep = [c for c in keep if c in columns]
    attrs = table.select(keep).to_pandas()
    for c in attrs.columns:
        if pd.api.types.is_string_dtype(attrs[c]):
            attrs[c] = attrs[c].astype(object).where(attrs[c].notna(), None)
    return gpd.GeoDataFrame(attrs, geometry=geoms, crs="EPSG:4326")


def read_table(path: Path):
    """Read a plain Parquet attribute table (no geometry) as a DataFrame of objects."""
    import pandas as pd

    try:
        df = pd.read_parquet(path)
    except FileNotFoundError as exc:
        raise BoundaryLayerError(f"boundary table {path} is missing") from exc
    except Exception as exc:
        raise BoundaryLayerError(f"boundary table {path} cannot be read: {exc}") from exc
    return df.astype(object).where(df.notna(), None)


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, read in blocks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


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
        return pd.read_csv(path, dtype=object, keep_default_na=False)
    except FileNotFoundError as exc:
        raise BoundaryLayerError(f"boundary table {path} is missing") from exc
