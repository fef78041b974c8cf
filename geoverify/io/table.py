"""The table a claims reader returns, and the cell and geometry helpers every reader shares.

Readers never interpret values: every cell is text (``""`` when empty), so nothing is lost and
the core decides what is valid.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geoverify.arrowtext import rounded_text
from geoverify.io import limits
from geoverify.io.columns import map_columns

#: Largest decompressed member read from a KMZ or XLSX archive (a zip-bomb guard).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class RowNote:
    """What a reader noticed about one row: a finding in the making (``ragged-row``,
    ``cell-too-long``, ``duplicate-column``), with the field, the value and the message."""

    code: str
    field: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class RawTable:
    """The text of a claims file.

    Attributes
    ----------
    data
        DataFrame of strings, one row per data row, columns as in the file.
    path
        The path as given (``-`` for stdin), for messages and reports.
    sha256
        Hash of the bytes read.
    format
        The format that was read (one of :data:`FORMATS`, or ``dataframe``).
    geometry
        Optional list (one per row) of ``(lon, lat, text)`` or ``None`` for formats that carry
        geometry; ``text`` is the original coordinate text (KML ``coordinates``, GeoJSON
        geometry, WKT in the file's own CRS). A row whose geometry is not a point has
        ``(nan, nan, text)`` and an entry in ``geometry_problems``.
    geometry_problems
        Row index (0-based) -> message, for geometry that could not be used.
    crs
        The CRS the file declared for its geometry (``None`` when it declared none). Points in
        ``geometry`` are always WGS 84 longitude/latitude, transformed if needed.
    schema
        The adapter applied (``"geoconfirmed"``, ``"cir"``, ``"timemap"``, ``"acled"``), or
        ``None``.
    row_notes
        Row index (0-based) -> list of :class:`RowNote`: what the reader had to do to keep the
        row (a ragged CSV row, a cell cut to :data:`~geoverify.io.limits.MAX_CELL_CHARS`, two
        columns of the same name that disagree). Each becomes a finding on its row.
    meta
        What the reader learned about the file: ``encoding``, ``delimiter``, ``sheet``,
        ``sheets``, ``header_row``, ``layer``, ``layers``, ``document``, ``member``...
    numeric_columns
        Columns whose non-empty values were all stored as numbers (JSON numbers, XLSX number
        cells, numeric GeoPackage/Parquet fields) rather than typed text: their text is the
        number's shortest form, so its count of decimals says nothing about precision.
    """

    data: pd.DataFrame
    path: str
    sha256: str
    format: str
    geometry: list[tuple[float, float, str] | None] | None = None
    geometry_problems: dict[int, str] = field(default_factory=dict)
    crs: str | None = None
    schema: str | None = None
    row_notes: dict[int, list[RowNote]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    numeric_columns: frozenset[str] = frozenset()

    def note(self, i: int, code: str, field: str | None, value: str | None,
             message: str) -> None:
        """Record a :class:`RowNote` on row ``i`` (0-based)."""
        self.row_notes.setdefault(i, []).append(RowNote(code, field, value, message))



# cells


class _JSONFloat(float):
    """A float read from JSON that remembers how it was written (``50.430050`` stays so)."""

    text: str

    def __new__(cls, text: str) -> _JSONFloat:
        obj = super().__new__(cls, text)
        obj.text = text
        return obj


def cell_text(v: Any) -> str:
    """The text of one value from a structured format (JSON, Parquet, GeoPackage...)."""
    if v is None:
        return ""
    if isinstance(v, str):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, _JSONFloat):
        return v.text
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):  # numpy.float64 too: repr(float(...)) is plain "1.5"
        return "" if math.isnan(v) else repr(float(v))
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, _dt.timedelta):
        return format_duration(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if hasattr(v, "item") and not isinstance(v, (list, dict, tuple)):  # numpy scalars
        try:
            return cell_text(v.item())
        except (TypeError, ValueError):
            pass
    if hasattr(v, "tolist"):
        v = v.tolist()
    try:
        return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(v)


def format_duration(td: _dt.timedelta) -> str:
    """``H:MM:SS`` (hours may exceed 24; fraction kept) for an elapsed time."""
    total = td.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    whole = int(total)
    frac = total - whole
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    text = f"{sign}{h:02d}:{m:02d}:{s:02d}"
    if frac:
        text += f"{frac:.6f}"[1:].rstrip("0")
    return text


def unique_header(header: list[str], duplicates: dict[str, list[str]] | None = None) -> list[str]:
    """Header names made unique (``name``, ``name_2``...); blanks become ``column_<n>``.

    When ``duplicates`` is given, it receives ``{name: [the unique names it became]}`` for
    every name the header holds more than once (so a reader can say so instead of renaming
    silently).
    """
    seen: dict[str, int] = {}
    taken = set(header)
    out = []
    became: dict[str, list[str]] = {}
    for i, h in enumerate(header):
        h = h or f"column_{i + 1}"
        if h in seen:
            n = seen[h] + 1
            while f"{h}_{n}" in taken:
                n += 1
            seen[h] = n
            h2 = f"{h}_{n}"
            taken.add(h2)
            out.append(h2)
            became[h].append(h2)
            continue
        seen[h] = 1
        became[h] = [h]
        out.append(h)
    if duplicates is not None:
        duplicates.update({h: names for h, names in became.items() if len(names) > 1})
    return out


def note_duplicate_columns(table: RawTable, duplicates: dict[str, list[str]],
                           first_row: int = 1) -> None:
    """Say what happened to a header name given twice or more.

    ``table.meta["duplicate_columns"]`` records ``{name: [unique names]}``; when the name is a
    column role (``lat``, ``claimed``...), every row whose copies disagree gets a
    ``duplicate-column`` note (the first copy is the one used).
    """
    if not duplicates:
        return
    table.meta["duplicate_columns"] = {k: list(v) for k, v in duplicates.items()}
    data = table.data
    for name, copies in duplicates.items():
        if not map_columns([name]):
            continue  # not a role: both columns travel in ``extra``
        cols = [data[c].tolist() for c in copies if c in data.columns]
        if len(cols) < 2:
            continue
        for i, values in enumerate(zip(*cols, strict=True)):
            distinct = [v for v in dict.fromkeys(str(v).strip() for v in values) if v]
            if len(distinct) > 1:
                shown = " and ".join(repr(short_text(v, 60)) for v in distinct)
                table.note(i, "duplicate-column", name, distinct[0],
                           f"row {first_row + i}: the file has {len(copies)} columns named {name!r} "
                           f"holding different values ({shown}); the first is used and the "
                           f"others are kept as {', '.join(copies[1:])}; remove one, or choose "
                           f"with --columns {map_columns([name]).popitem()[0]}={copies[1]}")


def cap_cells(table: RawTable) -> None:
    """Cut every cell longer than :data:`~geoverify.io.limits.MAX_CELL_CHARS` to that length,
    in place, with a ``cell-too-long`` note on its row (the file is still read)."""
    cap = limits.MAX_CELL_CHARS
    data = table.data
    for col in data.columns:
        values = data[col]
        long_rows = [i for i, v in enumerate(values.tolist())
                     if isinstance(v, str) and len(v) > cap]
        if not long_rows:
            continue
        values = values.copy()
        for i in long_rows:
            text = values.iat[i]
            values.iat[i] = text[:cap]
            table.note(i, "cell-too-long", str(col), short_text(text, 60),
                       f"row {i + 1}, {col}: the cell holds {len(text):,} characters, more than "
                       f"the {cap:,} geoverify keeps; only the first {cap:,} are used")
        data[col] = values


def records_table(records: list[dict], name: str, digest: str, fmt: str, geometry=None,
                  problems=None, crs=None) -> RawTable:
    """A :class:`RawTable` from dicts: columns in order of first appearance, every cell text."""
    columns: list[str] = []
    seen: set[str] = set()
    for r in records:
        for k in r:
            if k not in seen:
                seen.add(k)
                columns.append(k)
    if columns:
        data = pd.DataFrame([[cell_text(r.get(c)) for c in columns] for r in records],
                            columns=[str(c) for c in columns], dtype=object)
    else:
        data = pd.DataFrame(index=range(len(records)))
    numeric = frozenset(str(c) for c in columns
                        if is_numeric_column([r.get(c) for r in records]))
    return RawTable(data, name, digest, fmt, geometry, problems or {}, crs,
                    numeric_columns=numeric)


def is_numeric_column(values: list[Any]) -> bool:
    """True when every non-null value is a number (not a bool) and there is at least one."""
    found = False
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float, decimal.Decimal)):
            return False
        found = True
    return found



# ---------------------------------------------------------------------------
# geometry helpers shared by the geometry-carrying readers


def reproject(geometry: list, problems: dict[int, str], crs_text: str | None, name: str) -> None:
    """Transform the ``(x, y, text)`` entries of ``geometry`` to WGS 84 lon/lat, in place.

    The text keeps the original coordinates. A CRS pyproj does not know, or a point it cannot
    transform, becomes a geometry problem on the row (the rows are all kept).
    """
    if crs_text is None:
        return
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError, ProjError

    try:
        src = CRS.from_user_input(crs_text)
    except CRSError:
        for i, g in enumerate(geometry):
            if g is not None and i not in problems:
                geometry[i] = (math.nan, math.nan, g[2])
                problems[i] = (f"the file declares the coordinate reference system {crs_text!r}, "
                               "which is unknown; save it in WGS 84 (EPSG:4326)")
        return
    if src.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return
    transformer = Transformer.from_crs(src, 4326, always_xy=True)
    for i, g in enumerate(geometry):
        if g is None or i in problems:
            continue
        x, y, text = g
        try:
            lon, lat = transformer.transform(x, y, errcheck=True)
        except ProjError:
            lon = lat = math.inf
        if not (math.isfinite(lon) and math.isfinite(lat)):
            geometry[i] = (math.nan, math.nan, text)
            problems[i] = f"point ({x}, {y}) in {crs_text} cannot be transformed to WGS 84"
        else:
            geometry[i] = (float(lon), float(lat), text)


def shapely_points(geoms, crs_text: str | None, name: str):
    """``(geometry, problems)`` from shapely geometries (``None`` for missing ones)."""
    geometry: list[tuple[float, float, str] | None] = []
    problems: dict[int, str] = {}
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            geometry.append(None)
            continue
        text = short_text(g.wkt)
        if g.geom_type == "MultiPoint" and len(g.geoms) == 1:
            g = g.geoms[0]
        if g.geom_type == "Point":
            geometry.append((float(g.x), float(g.y), text))
        else:
            geometry.append((math.nan, math.nan, text))
            problems[i] = f"geometry is a {g.geom_type}, not a Point"
    reproject(geometry, problems, crs_text, name)
    return geometry, problems


def short_text(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def column_texts(arr):
    """The text of every cell of an Arrow column, as :func:`cell_text` writes it: an Arrow
    string array (``""`` for null). Strings, integers and ordinary floats are converted on the
    whole column; other types and unusual floats cell by cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pc.fill_null(arr.cast(pa.string()), "")
    if pa.types.is_integer(t):
        return pc.fill_null(pc.cast(arr, pa.string()), "")
    if pa.types.is_floating(t):
        return float_texts(arr)
    return pa.array([cell_text(v) for v in arr.to_pylist()], type=pa.string())


def float_texts(arr):
    """Floats as Python's ``repr`` writes them (``278.3``, ``0.0``, ``1e-05``), ``""`` for
    null and NaN, on the whole column: Arrow's shortest round-trip text where Arrow writes no
    exponent and Python would not either (between 1e-4 and 1e15), with ``.0`` added to whole
    numbers; the other values are converted one by one."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    vals = arr.cast(pa.float64())
    x = vals.to_numpy(zero_copy_only=False)  # nulls are NaN
    fast = rounded_text(x)  # a column of rounded values: the compiled helper writes them
    if fast is not None:
        return fast
    a = np.abs(x)
    finite = np.isfinite(x)
    with np.errstate(invalid="ignore"):
        plain = finite & ((a == 0) | ((a >= 1e-4) & (a < 1e15)))
        whole = plain & (x == np.floor(x))
    text = pc.cast(vals, pa.string())
    if len(text) and (text.buffers()[2] is not None
                      and b"e" in text.buffers()[2].to_pybytes()):
        # Arrow writes some values in the range with an exponent where Python does not
        expo = np.asarray(pc.fill_null(pc.match_substring(text, "e"), False), dtype=bool)
        plain &= ~expo
        whole &= ~expo
    if whole.any():
        text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)
    blank = np.isnan(x)
    if blank.any():
        text = pc.if_else(pa.array(blank), pa.scalar("", pa.string()), text)
    odd = np.flatnonzero(~blank & ~plain)  # infinities too: "inf", as repr
    if len(odd):
        mask = np.zeros(len(x), dtype=bool)
        mask[odd] = True
        text = pc.replace_with_mask(text, pa.array(mask), pa.array(
            [cell_text(float(v)) for v in x[odd].tolist()], type=pa.string()))
    return text


def raw_from_frame(df: pd.DataFrame) -> RawTable:
    """A :class:`RawTable` from a DataFrame or GeoDataFrame of points (every cell as text)."""
    import hashlib

    geometry = None
    problems: dict[int, str] = {}
    data = df
    if hasattr(df, "geometry") and getattr(df, "_geometry_column_name", None) in df.columns:
        gdf = df
        if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
            gdf = gdf.to_crs(4326)
        geometry = []
        for i, g in enumerate(gdf.geometry):
            if g is None or g.is_empty:
                geometry.append(None)
            elif g.geom_type == "Point":
                geometry.append((g.x, g.y, g.wkt))
            else:
                geometry.append((math.nan, math.nan, g.wkt))
                problems[i] = f"geometry is a {g.geom_type}, not a Point"
        data = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    numeric = frozenset(str(c) for c in data.columns if pd.api.types.is_numeric_dtype(data[c]))
    text = data.astype(object).where(pd.notna(data), "").astype(str)
    text.columns = [str(c) for c in text.columns]
    digest = hashlib.sha256(text.to_csv(index=False).encode("utf-8")).hexdigest()
    return RawTable(text.reset_index(drop=True), "<DataFrame>", digest, "dataframe", geometry,
                    problems, numeric_columns=numeric)
