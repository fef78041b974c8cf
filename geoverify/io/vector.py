"""GeoPackage and FlatGeobuf (through pyogrio / GDAL), GeoParquet and Parquet (through pyarrow).

Attributes come back as text (integers without ``.0``, reals ``repr``, dates ISO 8601, null
as ``""``); a point geometry becomes ``(lon, lat, WKT)`` in :attr:`RawTable.geometry`, where
the WKT is the geometry as stored (in the file's own CRS) and ``lon``/``lat`` are WGS 84,
transformed with pyproj (``always_xy=True``) when the file declares another CRS. Any other
geometry type keeps its row with a geometry problem; a missing or empty geometry keeps its
row with no geometry. A Parquet file without GeoParquet metadata is read as a plain table.
"""

from __future__ import annotations

import io
import json
import warnings
from typing import Any

import pandas as pd

from geoverify.errors import ClaimsFileError
from geoverify.io.table import RawTable, cell_text, column_texts, shapely_points

_INTEGER_TYPES = ("OFTInteger", "OFTInteger64")
_NAMES = {"gpkg": "GeoPackage", "fgb": "FlatGeobuf"}


def _ogr_cell(v: Any, ogr_type: str) -> str:
    if ogr_type in _INTEGER_TYPES and isinstance(v, float):
        return "" if v != v else str(int(v))  # nullable integers arrive as float with NaN
    return cell_text(v)


def read_ogr(data: bytes, name: str, digest: str, fmt: str, *,
             layer: str | int | None = None) -> RawTable:
    """GeoPackage / FlatGeobuf bytes -> :class:`RawTable` (one layer)."""
    import pyogrio
    import shapely
    from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError
    from pyogrio.raw import read as ogr_read

    kind = _NAMES.get(fmt, fmt)
    errors = (DataSourceError, DataLayerError, FieldError, GeometryError, OSError, ValueError,
              RuntimeError)
    with warnings.catch_warnings():
        # GDAL warns that in-memory bytes have no ".gpkg" extension: irrelevant here.
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            layers = [str(n) for n, _ in pyogrio.list_layers(data)]
        except errors as exc:
            raise ClaimsFileError(f"claims file {name}: not a readable {kind} file ({exc})") from exc
        if not layers:
            raise ClaimsFileError(f"claims file {name}: the {kind} file has no layers")
        chosen = _pick_layer(layers, layer, name)
        try:
            meta, _fids, wkb, fields = ogr_read(data, layer=chosen, datetime_as_string=True)
        except errors as exc:
            raise ClaimsFileError(
                f"claims file {name}, layer {chosen!r}: cannot be read ({exc})") from exc
    columns = [str(c) for c in meta["fields"]]
    types = list(meta.get("ogr_types") or ["OFTString"] * len(columns))
    n = len(wkb) if wkb is not None else (len(fields[0]) if fields else 0)
    frame = pd.DataFrame({c: [_ogr_cell(v, t) for v in arr]
                          for c, t, arr in zip(columns, types, fields, strict=True)},
                         index=range(n), dtype=object)
    crs = meta.get("crs")
    geometry = problems = None
    if wkb is not None:
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        geometry, problems = shapely_points(list(geoms), crs, name)
        for i, (g, b) in enumerate(zip(geoms, wkb, strict=True)):
            if g is None and b is not None:
                geometry[i] = (float("nan"), float("nan"), bytes(b).hex()[:500])
                problems[i] = "geometry cannot be decoded (invalid WKB)"
    numeric = frozenset(c for c, t in zip(columns, types, strict=True)
                        if t in (*_INTEGER_TYPES, "OFTReal"))
    table = RawTable(frame.reset_index(drop=True), name, digest, fmt, geometry, problems or {},
                     crs, numeric_columns=numeric)
    table.meta.update({"layer": chosen, "layers": layers})
    return table


def _pick_layer(layers: list[str], layer: str | int | None, name: str) -> str:
    if layer is None:
        return layers[0]
    if isinstance(layer, int) and not isinstance(layer, bool):
        if not -len(layers) <= layer < len(layers):
            raise ClaimsFileError(
                f"claims file {name}: no layer at index {layer}; the file has {len(layers)} "
                f"({', '.join(layers)})")
        return layers[layer]
    if str(layer) in layers:
        return str(layer)
    raise ClaimsFileError(
        f"claims file {name}: no layer named {layer!r}; the file has {', '.join(layers)}")


def read_parquet(data: bytes, name: str, digest: str) -> RawTable:
    """(Geo)Parquet bytes -> :class:`RawTable`.

    The primary geometry column named in the ``geo`` metadata is read as geometry (WKB, or
    GeoArrow native encodings through geopandas); its ``crs`` (PROJJSON) is honoured, and a
    missing ``crs`` means OGC:CRS84 as the GeoParquet specification says. Other geometry
    columns come back as WKT text.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        arrow = pf.read()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ClaimsFileError(f"claims file {name}: not a readable Parquet file ({exc})") from exc
    spec = ParquetSpec(arrow.schema, name)
    native = None
    if spec.primary is not None and spec.encoding != "WKB":
        import geopandas as gpd
        native = gpd.read_parquet(io.BytesIO(data), columns=[spec.primary]).geometry.values
    return spec.table(arrow, name, digest, native)


def iter_parquet(path, batch_rows: int):
    """A (Geo)Parquet file as RawTables of at most ``batch_rows`` rows (WKB geometry only)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ClaimsFileError(f"claims file {path}: not a readable Parquet file ({exc})") from exc
    spec = ParquetSpec(pf.schema_arrow, str(path))
    if spec.primary is not None and spec.encoding != "WKB":
        raise ClaimsFileError(f"claims file {path}: streaming reads WKB GeoParquet only; check "
                              "it without --stream")
    for batch in pf.iter_batches(batch_size=batch_rows):
        yield spec.table(pa.Table.from_batches([batch]), str(path), "", None)


class ParquetSpec:
    """What a (Geo)Parquet schema says: its geometry column, CRS and numeric columns."""

    def __init__(self, schema, name: str) -> None:
        import pyarrow as pa

        md = schema.metadata or {}
        geo = None
        if b"geo" in md:
            try:
                geo = json.loads(md[b"geo"])
            except ValueError as exc:
                raise ClaimsFileError(
                    f"claims file {name}: broken GeoParquet metadata (not JSON: {exc})") from exc
        self.geo = geo
        self.geo_columns = (geo or {}).get("columns") or {}
        self.primary = (geo or {}).get("primary_column")
        if geo is not None and self.primary not in schema.names:
            raise ClaimsFileError(
                f"claims file {name}: GeoParquet metadata names geometry column "
                f"{self.primary!r}, which the file does not have")
        self.crs_text = None
        self.encoding = "WKB"
        if self.primary is not None:
            info = self.geo_columns.get(self.primary, {})
            crs = info.get("crs", "OGC:CRS84")
            if crs is not None:
                self.crs_text = crs if isinstance(crs, str) else json.dumps(crs)
            self.encoding = str(info.get("encoding", "WKB")).upper()
        self.numeric = frozenset(
            f.name for f in schema if f.name != self.primary and (
                pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
                or pa.types.is_decimal(f.type)))

    def table(self, arrow, name: str, digest: str, native_geoms) -> RawTable:
        import shapely

        attrs: dict[str, Any] = {}
        for col in arrow.column_names:
            if col == self.primary or (col.startswith("__index_level_") and col.endswith("__")):
                continue
            column = arrow.column(col)
            if col in self.geo_columns and \
                    self.geo_columns[col].get("encoding", "WKB").upper() == "WKB":
                attrs[col] = ["" if v is None else _wkt(shapely, v) for v in column.to_pylist()]
            else:
                attrs[col] = pd.Series(column_texts(column), dtype=pd.ArrowDtype(_pa_string()))
        frame = pd.DataFrame(attrs, index=range(arrow.num_rows))
        geometry = problems = None
        if self.primary is not None:
            if native_geoms is None:
                native_geoms = shapely.from_wkb(arrow.column(self.primary).to_pylist(),
                                                on_invalid="ignore")
            geometry, problems = shapely_points(list(native_geoms), self.crs_text, name)
        table = RawTable(frame, name, digest, "parquet", geometry, problems or {},
                         _short_crs(self.crs_text), numeric_columns=self.numeric)
        table.meta["geo"] = self.geo is not None
        return table


def _pa_string():
    import pyarrow as pa

    return pa.string()


def _wkt(shapely, v) -> str:
    try:
        return shapely.from_wkb(v).wkt
    except Exception:  # shapely.errors.GEOSException and friends: keep the bytes
        return bytes(v).hex()


def _short_crs(crs_text: str | None) -> str | None:
    """``EPSG:32636`` for a PROJJSON CRS pyproj can name, else the text as given."""
    if crs_text is None:
        return None
    try:
        from pyproj import CRS

        crs = CRS.from_user_input(json.loads(crs_text) if crs_text.startswith("{") else crs_text)
        auth = crs.to_authority()
        return ":".join(auth) if auth else crs_text
    except Exception:
        return crs_text


__all__ = ["iter_parquet", "read_ogr", "read_parquet"]
