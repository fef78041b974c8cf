"""From a raw table of text to claims: column roles, coordinates, precision, findings.

Column names are matched case-insensitively against common aliases. Columns with no role are
carried through untouched in ``extra``.
"""

from __future__ import annotations

import math
import re
from functools import partial
from typing import Any

import pandas as pd

from geoverify.core.findings import FindingList
from geoverify.errors import CoordinateError
from geoverify.io.columns import ALIASES, ROLES, map_columns


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    s = str(v).strip()
    return s or None


def _get(rec: dict[str, Any], roles: dict[str, str], role: str) -> str | None:
    col = roles.get(role)
    return _text(rec.get(col)) if col is not None else None


def _float(s: str | None) -> float | None:
    if s is None:
        return None
    try:
        v = float(s.replace(",", ".")) if re.fullmatch(r"\s*[-+]?\d+(,\d+)?\s*", s) else float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def normalise_claims(raw) -> pd.DataFrame:
    """Turn a :class:`geoverify.io.claims.RawTable` into one claims row per input row.

    Returns a DataFrame with columns ``row, id, clip, frame, lon, lat, coordinates_text,
    notation, claimed, source, date, precision_m, role, extra, findings`` (``findings`` holds
    lists of :class:`Finding`). Coordinates that cannot be used leave ``lon``/``lat`` NaN and
    add a finding; no row is ever dropped.
    """
    from geoverify.coords import parse_coordinates

    data = raw.data
    columns = list(data.columns)
    roles = map_columns(columns)
    used = set(roles.values())
    extra_cols = [c for c in columns if c not in used]
    n = len(data)
    out: dict[str, list[Any]] = {k: [] for k in (
        "row", "id", "clip", "frame", "lon", "lat", "coordinates_text", "notation", "claimed",
        "source", "date", "precision_m", "role", "extra", "findings")}
    records = data.to_dict("records") if n else []
    for i in range(n):
        rec = records[i]
        row = i + 1
        findings = FindingList(row)
        add = findings.add
        get = partial(_get, rec, roles)
        for note in raw.row_notes.get(i, ()):  # what the reader noticed: ragged-row...
            add(getattr(note, "code", "ragged-row"), getattr(note, "field", None),
                getattr(note, "value", None), str(note))

        lon = lat = math.nan
        text: str | None = None
        notation: str | None = None
        implied_precision: float | None = None
        geom = raw.geometry[i] if raw.geometry is not None else None
        if geom is not None:
            lon, lat, text = geom
            notation = "geojson"
            if i in raw.geometry_problems:
                add("unparseable-coordinates", "geometry", text, f"row {row}: {raw.geometry_problems[i]}")
                lon = lat = math.nan
            elif not (-180 <= lon <= 180 and -90 <= lat <= 90):
                add("out-of-range", "geometry", text,
                    f"row {row}: geometry point lon={lon}, lat={lat} is off the globe; check the "
                    "coordinate order is [lon, lat]")
                lon = lat = math.nan
        elif "lat" in roles or "lon" in roles:
            lat_t, lon_t = get("lat"), get("lon")
            text = ", ".join(t for t in (lat_t, lon_t) if t) or None
            if lat_t is None and lon_t is None and "coordinates" in roles and get("coordinates"):
                text = get("coordinates")
                lon, lat, notation, implied_precision = _parse(text, row, "coordinates", add, parse_coordinates)
            elif lat_t is None or lon_t is None:
                missing = "lat" if lat_t is None else "lon"
                add("missing-coordinates", roles.get(missing, missing), None,
                    f"row {row}: no {missing} value; fill in both {roles.get('lat', 'lat')} and "
                    f"{roles.get('lon', 'lon')}")
            else:
                flat, flon = _float(lat_t), _float(lon_t)
                if flat is not None and flon is not None:
                    notation = "decimal"
                    numeric = raw.numeric_columns
                    if not (roles["lat"] in numeric and roles["lon"] in numeric):
                        implied_precision = _decimal_precision(lat_t, lon_t)
                    if not -90 <= flat <= 90:
                        add("out-of-range", roles["lat"], lat_t,
                            f"row {row}: latitude {lat_t} is outside -90..90"
                            + ("; latitude and longitude look swapped" if -90 <= flon <= 90 else ""))
                    elif not -180 <= flon <= 180:
                        add("out-of-range", roles["lon"], lon_t,
                            f"row {row}: longitude {lon_t} is outside -180..180")
                    else:
                        lon, lat = flon, flat
                else:
                    lon, lat, notation, implied_precision = _parse(
                        f"{lat_t}, {lon_t}", row, roles["lat"], add, parse_coordinates)
        elif "coordinates" in roles:
            text = get("coordinates")
            if text is None:
                add("missing-coordinates", roles["coordinates"], None,
                    f"row {row}: the {roles['coordinates']} column is empty")
            else:
                lon, lat, notation, implied_precision = _parse(text, row, roles["coordinates"], add, parse_coordinates)
        else:
            add("missing-coordinates", None, None,
                f"row {row}: the file has no coordinate columns (lat/lon or coordinates)")

        stated = get("precision_m")
        precision = None
        if stated is not None:
            precision = _float(stated)
            if precision is None or precision < 0:
                add("invalid-precision", roles["precision_m"], stated,
                    f"row {row}: precision {stated!r} is not a non-negative number of metres; ignored")
                precision = None
        if implied_precision is not None:
            precision = max(precision or 0.0, implied_precision)
        role = get("role")
        if role is not None and role.lower() not in ROLES:
            add("invalid-role", roles["role"], role,
                f"row {row}: role {role!r} is neither 'camera' nor 'target'; kept as written")
        out["row"].append(row)
        out["id"].append(get("id"))
        out["clip"].append(get("clip"))
        out["frame"].append(get("frame"))
        out["lon"].append(float(lon))
        out["lat"].append(float(lat))
        out["coordinates_text"].append(text)
        out["notation"].append(notation)
        out["claimed"].append(get("claimed"))
        out["source"].append(get("source"))
        out["date"].append(get("date"))
        out["precision_m"].append(precision)
        out["role"].append(role.lower() if role and role.lower() in ROLES else role)
        out["extra"].append({c: ("" if rec.get(c) is None else str(rec.get(c))) for c in extra_cols})
        out["findings"].append(findings)
    df = pd.DataFrame(out, dtype=object)
    df["row"] = df["row"].astype(int)
    df["lon"] = df["lon"].astype(float)
    df["lat"] = df["lat"].astype(float)
    return df


def _decimal_precision(*texts: str) -> float:
    """Metres implied by the fewest decimals among the texts (one unit in the last place)."""
    decimals = []
    for t in texts:
        t = t.strip().replace(",", ".")
        decimals.append(len(t.split(".", 1)[1]) if "." in t else 0)
    return 111_320.0 * 10.0 ** (-min(decimals))


def _parse(text, row, field, add, parse_coordinates):
    try:
        c = parse_coordinates(text)
    except CoordinateError as exc:
        add(exc.code, field, text, f"row {row}, {field}: {exc.message}")
        return math.nan, math.nan, None, None
    for code, message in c.warnings:
        add(code, field, text, f"row {row}, {field}: {message}")
    return c.lon, c.lat, c.notation, c.precision_m



__all__ = ["ALIASES", "map_columns", "normalise_claims"]
