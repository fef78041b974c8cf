"""From a raw table of text to claims: column roles, coordinates, precision, findings.

:func:`normalise` turns a :class:`~geoverify.io.table.RawTable` into a :class:`ClaimsBatch`:
columns, not rows. Plain decimal coordinates (the bulk of every large file) are parsed on whole
columns with Arrow compute functions; any other notation goes through
:func:`geoverify.coords.parse_coordinates` one cell at a time, and only for the cells that
need it. Every input row is kept; a value that cannot be used becomes a finding on its row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geoverify.arrowtext import plain_decimals, text_array
from geoverify.coords import parse_coordinates
from geoverify.core.findings import Finding, FindingsBuilder, column_list, empty_findings
from geoverify.errors import CoordinateError
from geoverify.io.columns import ALIASES, ROLES, map_columns

#: Columns of :attr:`ClaimsBatch.data`, in order.
CLAIM_COLUMNS = ("row", "id", "clip", "frame", "lon", "lat", "coordinates_text", "notation",
                 "claimed", "source", "date", "precision_m", "role")

#: Text columns of a claims batch (Arrow strings, null when empty).
TEXT_COLUMNS = ("id", "clip", "frame", "coordinates_text", "notation", "claimed", "source",
                "date", "role")

#: Metres of one unit in the last decimal place of a degree (as :mod:`geoverify.coords`).
M_PER_DEGREE = 111_320.0

#: ``seq`` of the findings :func:`normalise` adds (see :class:`FindingsBuilder`).
SEQ_READ, SEQ_COORDINATES, SEQ_PRECISION, SEQ_ROLE = 5, 10, 20, 30

_PLAIN = r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_COMMA = r"^[-+]?[0-9]+,[0-9]+$"
_COMMA_RE = re.compile(r"\s*[-+]?\d+(,\d+)?\s*")


@dataclass
class ClaimsBatch:
    """Normalised claims, column-wise.

    Attributes
    ----------
    data
        ``row`` (1-based, global), ``lon``/``lat`` (NaN when unusable), ``precision_m`` (NaN
        when none) as numpy arrays, and the :data:`TEXT_COLUMNS` as Arrow string arrays.
    extra
        The input's other columns, unchanged (Arrow strings, ``""`` for an empty cell), by
        column name, in file order.
    findings
        One row per finding (:data:`~geoverify.core.findings.FINDING_COLUMNS`); ``pos`` is
        the 0-based position in this batch.
    roles
        Role -> input column name, for the columns that have a role.
    """

    data: dict[str, Any]
    extra: dict[str, pa.Array]
    findings: pd.DataFrame
    roles: dict[str, str]

    def __len__(self) -> int:
        return len(self.data["row"])


def _col(data: pd.DataFrame, name: str) -> pa.Array:
    values = data[name]
    arr = pa.array(values.to_numpy(dtype=object, na_value=None)
                   if values.dtype == object else values, type=pa.string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _text(arr: pa.Array) -> pa.Array:
    """Trimmed text, null where empty."""
    t = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t)


def _null_text(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def _pylist(arr: pa.Array, idx: np.ndarray) -> list:
    return arr.take(pa.array(idx, type=pa.int64())).to_pylist() if len(idx) else []


def _float(s: str | None) -> float | None:
    """A number as ``check`` reads one from text (a decimal comma is allowed)."""
    if s is None:
        return None
    try:
        v = float(s.replace(",", ".")) if _COMMA_RE.fullmatch(s) else float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _numbers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values of a text column read as numbers: ``(value, decimals, plain)``.

    ``plain`` marks cells written as a plain decimal number (``50.43005``, ``-7``, ``50,43``),
    read here on the whole column; the other non-null cells are read one by one as
    :func:`_float` does (``1e5``, Unicode digits...) with ``decimals`` -1.
    """
    n = len(arr)
    value = np.full(n, np.nan)
    decimals = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return value, decimals, np.zeros(0, dtype=bool)
    read = plain_decimals(arr)  # one pass of the compiled helper, where it is built
    if read is not None:
        value, decimals, state = read
        mask = state > 0
        rest = state == 2  # too many digits to read exactly there: Arrow reads them
    else:
        plain_dot = pc.fill_null(pc.match_substring_regex(arr, _PLAIN), False)
        plain_comma = pc.fill_null(pc.match_substring_regex(arr, _COMMA), False)
        mask = np.asarray(pc.or_(plain_dot, plain_comma).to_numpy(zero_copy_only=False),
                          dtype=bool)
        rest = mask
    if rest.any():
        dotted = pc.replace_substring(arr.filter(pa.array(rest)), ",", ".")
        value[rest] = pc.cast(dotted, pa.float64()).to_numpy(zero_copy_only=False)
        pos = pc.find_substring(dotted, ".").to_numpy(zero_copy_only=False)
        length = pc.utf8_length(dotted).to_numpy(zero_copy_only=False)
        decimals[rest] = np.where(pos >= 0, length - pos - 1, 0)
    other = np.flatnonzero(~mask & np.asarray(arr.is_valid().to_numpy(zero_copy_only=False)))
    for i, s in zip(other.tolist(), _pylist(arr, other)):
        v = _float(s)
        value[i] = np.nan if v is None else v
    ok = np.isfinite(value)
    value[~ok] = np.nan
    return value, decimals, mask


def _decimal_precision(lat_t: str, lon_t: str) -> float:
    """Metres implied by the fewest decimals of two texts (one unit in the last place)."""
    decimals = []
    for t in (lat_t, lon_t):
        t = t.strip().replace(",", ".")
        decimals.append(len(t.split(".", 1)[1]) if "." in t else 0)
    return M_PER_DEGREE * 10.0 ** (-min(decimals))


def normalise(raw, *, first_row: int = 1) -> ClaimsBatch:
    """Normalise a :class:`~geoverify.io.table.RawTable` into a :class:`ClaimsBatch`.

    ``first_row`` is the global number of the table's first row (a slice of a larger input
    keeps the input's numbering, in ``row`` and in every message).
    """
    data = raw.data
    columns = [str(c) for c in data.columns]
    roles = map_columns(columns)
    used = set(roles.values())
    n = len(data)
    rows = np.arange(first_row, first_row + n, dtype=np.int64)
    found = FindingsBuilder()
    text = {c: _text(_col(data, c)) for c in columns}

    def role_text(role: str) -> pa.Array:
        col = roles.get(role)
        return text[col] if col is not None else _null_text(n)

    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    precision = np.full(n, np.nan)
    coord_text: list | pa.Array = _null_text(n)
    notation: list | pa.Array = _null_text(n)

    for i, notes in sorted(getattr(raw, "row_notes", {}).items()):
        if i >= n:
            continue
        for note in (notes if isinstance(notes, list) else [notes]):
            # what the reader noticed (ragged-row, cell-too-long, duplicate-column...)
            found.add([i], getattr(note, "code", "ragged-row"), getattr(note, "field", None),
                      [getattr(note, "value", None)], [str(note)], SEQ_READ)

    col_found = FindingsBuilder()
    if "lat" in roles or "lon" in roles:
        lon, lat, precision, coord_text, notation = _from_lat_lon(
            raw, roles, role_text, rows, col_found, n)
    elif "coordinates" in roles:
        coord_text = role_text("coordinates")
        notation_l = [None] * n
        texts = coord_text.to_pylist()
        col = roles["coordinates"]
        for i, t in enumerate(texts):
            if t is None:
                col_found.add([i], "missing-coordinates", col, [None],
                              [f"row {rows[i]}: the {col} column is empty"], SEQ_COORDINATES)
                continue
            lon[i], lat[i], notation_l[i], p = _parse(t, int(rows[i]), col, i, col_found)
            if p is not None:
                precision[i] = p
        notation = pa.array(notation_l, type=pa.string())
    elif n:
        col_found.add(np.arange(n), "missing-coordinates", None, None,
                      [f"row {r}: the file has no coordinate columns (lat/lon or coordinates)"
                       for r in rows.tolist()], SEQ_COORDINATES)
    col_table = col_found.frame()
    if raw.geometry is not None:
        # a row's own geometry wins; rows without one fall back to the columns
        has_geo = np.array([g is not None for g in raw.geometry], dtype=bool)
        glon, glat, gtext, gnot = _from_geometry(raw, rows, found)
        lon = np.where(has_geo, glon, lon)
        lat = np.where(has_geo, glat, lat)
        precision = np.where(has_geo, np.nan, precision)
        mask = pa.array(has_geo)
        coord_text = pc.if_else(mask, gtext, _as_arrow(coord_text))
        notation = pc.if_else(mask, gnot, _as_arrow(notation))
        col_table = col_table[~has_geo[col_table["pos"].to_numpy()]]
    found.extend(col_table)
    # the same value in both fields: one was copied into the other (0, 0 is null island)
    same = np.flatnonzero(np.isfinite(lat) & (lat == lon) & (lat != 0.0))
    if len(same):
        fld = roles.get("lat") or roles.get("coordinates")
        found.add(same, "equal-coordinates", fld, _as_arrow(coord_text).take(pa.array(same)),
                  [f"row {rows[i]}: latitude and longitude are both {lat[i]:g}; one of them was "
                   "probably copied into the other: check the coordinates" for i in same.tolist()],
                  SEQ_COORDINATES)

    # precision: the larger of the stated one and the one the notation implies
    stated_t = role_text("precision_m")
    if "precision_m" in roles and n:
        stated, _, _ = _numbers(stated_t)
        present = np.asarray(stated_t.is_valid().to_numpy(zero_copy_only=False))
        bad = present & ~(stated >= 0)
        if bad.any():
            idx = np.flatnonzero(bad)
            vals = _pylist(stated_t, idx)
            found.add(idx, "invalid-precision", roles["precision_m"], vals,
                      [f"row {rows[i]}: precision {v!r} is not a non-negative number of metres; "
                       "ignored" for i, v in zip(idx.tolist(), vals)], SEQ_PRECISION)
        stated = np.where(bad, np.nan, stated)
        precision = np.where(np.isnan(precision), stated,
                             np.where(np.isnan(stated), precision, np.maximum(precision, stated)))

    role = role_text("role")
    if "role" in roles and n:
        low = pc.utf8_lower(role)
        known = pc.fill_null(pc.is_in(low, value_set=pa.array(ROLES)), False)
        bad = np.asarray(pc.and_(role.is_valid(), pc.invert(known)).to_numpy(zero_copy_only=False))
        if bad.any():
            idx = np.flatnonzero(bad)
            vals = _pylist(role, idx)
            found.add(idx, "invalid-role", roles["role"], vals,
                      [f"row {rows[i]}: role {v!r} is neither 'camera' nor 'target'; kept as "
                       "written" for i, v in zip(idx.tolist(), vals)], SEQ_ROLE)
        role = pc.if_else(known, low, role)

    out = {
        "row": rows, "lon": lon, "lat": lat, "precision_m": precision,
        "id": role_text("id"), "clip": role_text("clip"), "frame": role_text("frame"),
        "coordinates_text": _as_arrow(coord_text), "notation": _as_arrow(notation),
        "claimed": role_text("claimed"), "source": role_text("source"),
        "date": role_text("date"), "role": role,
    }
    extra = {c: pc.fill_null(_col(data, c), "") for c in columns if c not in used}
    return ClaimsBatch(out, extra, found.frame() if found._parts else empty_findings(), roles)


def _as_arrow(values) -> pa.Array:
    return values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())


def _parse(text: str, row: int, field: str, pos: int, found: FindingsBuilder):
    """One coordinate text through :func:`parse_coordinates`; findings for what it says."""
    try:
        c = parse_coordinates(text)
    except CoordinateError as exc:
        found.add([pos], exc.code, field, [text], [f"row {row}, {field}: {exc.message}"],
                  SEQ_COORDINATES)
        return math.nan, math.nan, None, None
    for code, message in c.warnings:
        found.add([pos], code, field, [text], [f"row {row}, {field}: {message}"], SEQ_COORDINATES)
    return c.lon, c.lat, c.notation, c.precision_m


def _from_geometry(raw, rows, found):
    n = len(rows)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    texts: list[str | None] = [None] * n
    notation: list[str | None] = [None] * n
    for i, geom in enumerate(raw.geometry):
        if geom is None:
            continue
        x, y, t = geom
        texts[i] = t
        notation[i] = "geojson"
        if i in raw.geometry_problems:
            found.add([i], "unparseable-coordinates", "geometry", [t],
                      [f"row {rows[i]}: {raw.geometry_problems[i]}"], SEQ_COORDINATES)
        elif not (-180 <= x <= 180 and -90 <= y <= 90):
            found.add([i], "out-of-range", "geometry", [t],
                      [f"row {rows[i]}: geometry point lon={x}, lat={y} is off the globe; "
                       "check the coordinate order is [lon, lat]"], SEQ_COORDINATES)
        else:
            lon[i], lat[i] = x, y
    return lon, lat, pa.array(texts, type=pa.string()), pa.array(notation, type=pa.string())


def _from_lat_lon(raw, roles, role_text, rows, found, n):
    lat_t, lon_t = role_text("lat"), role_text("lon")
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    precision = np.full(n, np.nan)
    notation = np.full(n, None, dtype=object)
    lat_ok = np.asarray(lat_t.is_valid().to_numpy(zero_copy_only=False))
    lon_ok = np.asarray(lon_t.is_valid().to_numpy(zero_copy_only=False))
    # "lat, lon" as written (either alone when the other is missing)
    both_t = pc.binary_join_element_wise(lat_t, lon_t, ", ")
    coord_text = pc.if_else(lat_t.is_valid(), pc.if_else(lon_t.is_valid(), both_t, lat_t),
                            lon_t)
    lat_col, lon_col = roles.get("lat", "lat"), roles.get("lon", "lon")

    # neither: maybe a coordinates column
    neither = np.flatnonzero(~lat_ok & ~lon_ok)
    handled = np.zeros(n, dtype=bool)
    if len(neither) and "coordinates" in roles:
        ctext = role_text("coordinates")
        vals = _pylist(ctext, neither)
        texts = coord_text.to_pylist()
        for i, t in zip(neither.tolist(), vals):
            if t:
                texts[i] = t
                handled[i] = True
                lon[i], lat[i], notation[i], p = _parse(t, int(rows[i]), "coordinates", i, found)
                if p is not None:
                    precision[i] = p
        coord_text = pa.array(texts, type=pa.string())
    missing_rows = np.flatnonzero((~lat_ok | ~lon_ok) & ~handled)
    if len(missing_rows):
        by_field: dict[str, tuple[list[int], list[str]]] = {}
        for i in missing_rows.tolist():
            missing = "lat" if not lat_ok[i] else "lon"
            f = roles.get(missing, missing)
            msg = (f"row {rows[i]}: no {missing} value; fill in both "
                   f"{roles.get('lat', 'lat')} and {roles.get('lon', 'lon')}")
            by_field.setdefault(f, ([], []))
            by_field[f][0].append(i)
            by_field[f][1].append(msg)
        for f, (idx, msgs) in by_field.items():
            found.add(idx, "missing-coordinates", f, None, msgs, SEQ_COORDINATES)

    both = lat_ok & lon_ok
    if not both.any():
        return lon, lat, precision, coord_text, notation_array(notation)
    vlat, dlat, plat = _numbers(lat_t)
    vlon, dlon, plon = _numbers(lon_t)
    numeric = raw.numeric_columns
    implied = not (roles.get("lat") in numeric and roles.get("lon") in numeric)

    # rows whose two numbers read: decimal notation
    nums = both & np.isfinite(vlat) & np.isfinite(vlon)
    idx = np.flatnonzero(nums)
    if len(idx):
        fast = plat[idx] & plon[idx]
        dec = np.minimum(dlat[idx], dlon[idx])
        prec = np.where(dec >= 0, M_PER_DEGREE * 10.0 ** (-np.maximum(dec, 0).astype(float)),
                        np.nan)
        slow = idx[~fast]
        if implied:
            precision[idx[fast]] = prec[fast]
            for i, a, b in zip(slow.tolist(), _pylist(lat_t, slow), _pylist(lon_t, slow)):
                precision[i] = _decimal_precision(a, b)
        la, lo = vlat[idx], vlon[idx]
        bad_lat = ~((la >= -90) & (la <= 90))
        bad_lon = ~bad_lat & ~((lo >= -180) & (lo <= 180))
        good = idx[~bad_lat & ~bad_lon]
        lon[good], lat[good] = vlon[good], vlat[good]
        notation[idx] = "decimal"  # in range or not: two numbers
        if bad_lat.any():
            b = idx[bad_lat]
            texts = _pylist(lat_t, b)
            found.add(b, "out-of-range", lat_col, texts,
                      [f"row {rows[i]}: latitude {t} is outside -90..90"
                       + ("; latitude and longitude look swapped" if -90 <= vlon[i] <= 90 else "")
                       for i, t in zip(b.tolist(), texts)], SEQ_COORDINATES)
        if bad_lon.any():
            b = idx[bad_lon]
            texts = _pylist(lon_t, b)
            found.add(b, "out-of-range", lon_col, texts,
                      [f"row {rows[i]}: longitude {t} is outside -180..180"
                       for i, t in zip(b.tolist(), texts)], SEQ_COORDINATES)
    # rows whose values are not two numbers: any other notation, from "lat, lon"
    other = np.flatnonzero(both & ~nums)
    if len(other):
        for i, a, b in zip(other.tolist(), _pylist(lat_t, other), _pylist(lon_t, other)):
            lon[i], lat[i], notation[i], p = _parse(f"{a}, {b}", int(rows[i]), lat_col, i, found)
            if p is not None and implied:
                precision[i] = p
            elif p is not None:
                precision[i] = p
    return lon, lat, precision, coord_text, notation_array(notation)


def notation_array(values) -> pa.Array:
    """The notation column (a list or object array of str or None) as Arrow strings."""
    return text_array(values)


def claims_frame(batch: ClaimsBatch) -> pd.DataFrame:
    """A :class:`ClaimsBatch` as one row per claim (``findings`` as lists of
    :class:`~geoverify.core.findings.Finding`, ``extra`` as dicts): the shape
    :func:`geoverify.read_claims` returns."""
    d = batch.data
    n = len(batch)
    out = {}
    for c in CLAIM_COLUMNS:
        v = d[c]
        out[c] = v.to_pylist() if isinstance(v, pa.Array) else v
    out["precision_m"] = [None if (p != p) else float(p) for p in d["precision_m"].tolist()]
    names = list(batch.extra)
    cols = [batch.extra[c].to_pylist() for c in names]
    out["extra"] = [dict(zip(names, vals)) for vals in zip(*cols)] if names else [{}] * n
    per_row: list[list[Finding]] = [[] for _ in range(n)]
    rows = out["row"]
    f = batch.findings
    for pos, code, severity, field, value, message in zip(
            *(column_list(f[c]) for c in ("pos", "code", "severity", "field", "value",
                                          "message"))):
        per_row[pos].append(Finding(code, severity, int(rows[pos]), field, value, message))
    out["findings"] = per_row
    df = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in out.items()})
    df["row"] = df["row"].astype(np.int64)
    return df


__all__ = ["ALIASES", "CLAIM_COLUMNS", "ClaimsBatch", "claims_frame", "map_columns", "normalise"]
