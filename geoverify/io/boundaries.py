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
import logging
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from geoverify.errors import BoundaryLayerError
from geoverify.heap import give_back
from geoverify.io.cache import drop_resident

log = logging.getLogger("geoverify")

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


def _open_layer(path: Path):
    """The Parquet table of a layer file, with the errors a user should see."""
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path)
    except FileNotFoundError as exc:
        raise BoundaryLayerError(
            f"boundary layer file {path} is missing; reinstall geoverify or rebuild the "
            "layers with scripts/build_boundaries.py") from exc
    except Exception as exc:  # corrupt file, not parquet
        raise BoundaryLayerError(f"boundary layer file {path} cannot be read: {exc}") from exc


def _attributes(table, columns: list[str] | None = None):
    import pandas as pd

    keep = [c for c in table.column_names if c not in _GEOM_COLUMNS]
    if columns is not None:
        keep = [c for c in keep if c in columns]
    attrs = table.select(keep).to_pandas()
    for c in attrs.columns:
        if pd.api.types.is_string_dtype(attrs[c]):
            attrs[c] = attrs[c].astype(object).where(attrs[c].notna(), None)
    return attrs


def read_layer(path: Path, columns: list[str] | None = None):
    """Read one boundary layer as a GeoDataFrame in EPSG:4326.

    Raises
    ------
    BoundaryLayerError
        When the file is missing, unreadable or not a boundary layer.
    """
    import geopandas as gpd
    import shapely

    table = _open_layer(path)
    meta = table.schema.metadata or {}
    if b"geoverify:encoding" not in meta:
        try:
            gdf = gpd.read_parquet(path, columns=columns)
        except Exception as exc:
            raise BoundaryLayerError(f"boundary layer file {path} is not a layer: {exc}") from exc
        return gdf.to_crs(4326) if gdf.crs is not None else gdf.set_crs(4326)
    n = table.num_rows
    xs, ys = _flat(table, "x"), _flat(table, "y")
    coords = np.empty((len(xs), 2))
    np.divide(xs, SCALE, out=coords[:, 0])  # integers to degrees in one pass per axis
    np.divide(ys, SCALE, out=coords[:, 1])
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
    attrs = _attributes(table, columns)
    del table, xs, ys
    give_back()
    return gpd.GeoDataFrame(attrs, geometry=geoms, crs="EPSG:4326")


#: Version of the decoded units cache's layout (:func:`read_polygons_lazily`).
UNITS_CACHE_VERSION = 1
_UNITS_ARRAYS = ("x", "y", "n_coords", "n_rings", "n_parts")


def read_polygons_lazily(path: Path, cache: Path | None = None):
    """A polygon layer in the compact encoding as ``(attributes, UnitGeometry)``: the
    attribute columns as a DataFrame, and the polygons kept as coordinates, each made on first
    use (:class:`~geoverify.io.polygons.UnitGeometry`). ``None`` for a file in another
    encoding or of lines (read those with :func:`read_layer`).

    ``cache``: a directory for the decoded coordinates (the embedded layer's, in the user
    cache: :func:`geoverify.io.cache.cache_dir`). Decoding 4.5 million vertices from Parquet
    takes 0.3-0.8 s and 300 MB of fresh memory a run; from the cache they are mapped from the
    file, checked (CRC-32 of every array, sizes, the layer file's size and time) and read as
    the polygons that points reach are made. A cache that fails a check is written again.
    """
    from geoverify.io.polygons import UnitGeometry

    if cache is not None:
        got = _cached_units(path, cache)
        if got is not None:
            return got
    table = _open_layer(path)
    meta = table.schema.metadata or {}
    if b"geoverify:encoding" not in meta:
        return None
    if table.num_rows == 0 or table.column("geom_type")[0].as_py() != "MultiPolygon":
        return None
    xs, ys = _flat(table, "x"), _flat(table, "y")
    small = (len(xs) == 0 or max(abs(int(xs.min())), abs(int(xs.max())), abs(int(ys.min())),
                                 abs(int(ys.max()))) < 2**31)
    # copies that own their memory (quantised degrees fit 32 bits: half the memory), so
    # that the table's buffers can go
    xs, ys = (xs.astype(np.int32), ys.astype(np.int32)) if small else (xs.copy(), ys.copy())
    arrays = (xs, ys, np.array(_flat(table, "n_coords")), np.array(_flat(table, "n_rings")),
              np.array(table.column("n_parts").to_numpy()))
    geometry = UnitGeometry(*arrays[:2], SCALE, *arrays[2:])
    attrs = _attributes(table)
    del table
    give_back()
    if cache is not None:
        _save_units(path, cache, arrays)
    return attrs, geometry


def _units_stamp(path: Path) -> dict[str, int]:
    st = os.stat(path)
    return {"version": UNITS_CACHE_VERSION, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _cached_units(path: Path, cache: Path):
    """``(attributes, UnitGeometry)`` from the decoded cache, or None when it is missing,
    stale or damaged (see :func:`read_polygons_lazily`)."""
    import pyarrow.parquet as pq

    from geoverify.io.polygons import UnitGeometry

    try:
        meta = json.loads((cache / "meta.json").read_text(encoding="utf-8"))
        if {k: meta.get(k) for k in ("version", "size", "mtime_ns")} != _units_stamp(path):
            return None
        arrays = []
        for name in _UNITS_ARRAYS:
            a = np.load(cache / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            if a.ndim != 1 or a.dtype.kind != "i" or zlib.crc32(
                    memoryview(np.ascontiguousarray(a)).cast("B")) != meta["crc32"][name]:
                return None
            arrays.append(a)
        x, y, n_coords, n_rings, n_parts = arrays
        if not (len(x) == len(y) == int(n_coords.sum()) and len(n_coords) == int(n_rings.sum())
                and len(n_rings) == int(n_parts.sum())):
            return None
        drop_resident(x, y)  # the checks read every page; only the units made need theirs
        schema = pq.read_schema(path)
        keep = [c for c in schema.names if c not in _GEOM_COLUMNS]
        attrs = _attributes(pq.ParquetFile(path).read(columns=keep))
        if len(attrs) != len(n_parts):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    geometry = UnitGeometry(x, y, SCALE, np.array(n_coords), np.array(n_rings),
                            np.array(n_parts))
    return attrs, geometry


def _save_units(path: Path, cache: Path, arrays) -> None:
    """Write the decoded cache: a new directory renamed into place (a reader sees all of it
    or none); a cache that cannot be written is not an error."""
    import shutil
    import tempfile

    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{cache.name}.", dir=cache.parent))
        try:
            crc = {}
            for name, a in zip(_UNITS_ARRAYS, arrays):
                a = np.ascontiguousarray(a)
                np.save(tmp / f"{name}.npy", a, allow_pickle=False)
                crc[name] = zlib.crc32(memoryview(a).cast("B"))
            (tmp / "meta.json").write_text(json.dumps({**_units_stamp(path), "crc32": crc}),
                                           encoding="utf-8")
            if cache.exists():  # stale or damaged: replaced
                shutil.rmtree(cache, ignore_errors=True)
            os.rename(tmp, cache)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        pass


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


def decode_topojson(topo: dict[str, Any], obj: str | None = None):
    """A GeoDataFrame from a TopoJSON ``Topology`` (one object; the first when not named)."""
    import geopandas as gpd
    import pandas as pd
    import shapely.geometry

    objects = topo.get("objects") or {}
    if not objects:
        raise BoundaryLayerError("TopoJSON has no objects")
    if obj is None:
        obj = next(iter(objects))
    if obj not in objects:
        raise BoundaryLayerError(f"TopoJSON has no object {obj!r}; it has {', '.join(objects)}")
    tf = topo.get("transform")
    arcs = []
    for arc in topo.get("arcs", []):
        a = np.asarray(arc, dtype=float)[:, :2] if len(arc) else np.zeros((0, 2))
        if tf:
            a = np.cumsum(a, axis=0) * np.asarray(tf["scale"], float) + np.asarray(
                tf["translate"], float)
        arcs.append(a)

    def line(indices):
        pts = []
        for k in indices:
            a = arcs[k] if k >= 0 else arcs[~k][::-1]
            pts.extend(a.tolist() if not pts else a[1:].tolist())
        return pts

    def point(p):
        p = np.asarray(p, float)
        if tf:
            p = p * np.asarray(tf["scale"], float) + np.asarray(tf["translate"], float)
        return p.tolist()

    def geom(g):
        t, a = g.get("type"), g.get("arcs")
        if t == "Polygon":
            return {"type": t, "coordinates": [line(r) for r in a]}
        if t == "MultiPolygon":
            return {"type": t, "coordinates": [[line(r) for r in p] for p in a]}
        if t == "LineString":
            return {"type": t, "coordinates": line(a)}
        if t == "MultiLineString":
            return {"type": t, "coordinates": [line(r) for r in a]}
        if t == "Point":
            return {"type": t, "coordinates": point(g["coordinates"])}
        if t == "MultiPoint":
            return {"type": t, "coordinates": [point(p) for p in g["coordinates"]]}
        return None

    root = objects[obj]
    members = root["geometries"] if root.get("type") == "GeometryCollection" else [root]
    rows, geoms = [], []
    for g in members:
        rows.append(dict(g.get("properties") or {}))
        gj = geom(g)
        geoms.append(shapely.geometry.shape(gj) if gj else None)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def read_vector(path: str | Path, layer: str | None = None):
    """Read a polygon layer: GeoJSON, TopoJSON, GeoPackage, Shapefile (zipped too), FlatGeobuf,
    GeoParquet. Returns the GeoDataFrame in its own CRS."""
    import geopandas as gpd

    p = Path(path)
    if not p.exists():
        raise BoundaryLayerError(f"layer file {p} does not exist")
    suffix = "".join(p.suffixes[-2:]).lower() if p.suffix.lower() == ".zip" else p.suffix.lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            return gpd.read_parquet(p)
        if suffix in (".json", ".topojson", ".geojson"):
            with open(p, "rb") as f:
                head = f.read(4096)
            if b'"Topology"' in head or suffix == ".topojson":
                return decode_topojson(json.loads(p.read_text(encoding="utf-8")), layer)
        if p.suffix.lower() == ".zip":
            with zipfile.ZipFile(p) as z:
                shp = [n for n in z.namelist() if n.lower().endswith(".shp")]
            if not shp:
                raise BoundaryLayerError(f"{p}: the zip file holds no .shp file")
            return gpd.read_file(f"/vsizip/{p.resolve()}/{shp[0]}", engine="pyogrio")
        return gpd.read_file(p, layer=layer, engine="pyogrio")
    except BoundaryLayerError:
        raise
    except Exception as exc:
        raise BoundaryLayerError(f"cannot read layer file {p}: {exc}") from exc


def to_wgs84(gdf):
    """Reproject to EPSG:4326 with pyproj (always_xy); a layer without CRS is taken as 4326."""
    import geopandas as gpd
    import pyproj

    if gdf.crs is None:
        log.warning("the layer has no CRS; assuming EPSG:4326 (lon/lat)")
        return gdf.set_crs(4326)
    crs = pyproj.CRS.from_user_input(gdf.crs)
    if crs.equals(pyproj.CRS.from_epsg(4326)):
        return gdf
    t = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)

    def fn(c):
        x, y = t.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    import shapely

    geoms = shapely.transform(gdf.geometry.values, fn)
    return gpd.GeoDataFrame(gdf.drop(columns=gdf.geometry.name), geometry=np.asarray(geoms),
                            crs="EPSG:4326")
