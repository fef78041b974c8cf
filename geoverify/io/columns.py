"""Column roles of a claims table: which header names mean clip, frame, lat, lon, claimed...

Header names are compared case-insensitively after dropping spaces, dashes, underscores, dots
and brackets (:func:`column_key`). A *column mapping* (``--columns lat=latitude_deg,...`` on
the command line, ``columns = {lat = "latitude_deg"}`` in the configuration, ``columns=`` in
the API) names the column of a role when the header does not use one of the accepted names:
:func:`column_mapping` reads one, :func:`apply_column_mapping` applies it, and
:func:`require_coordinates` refuses a table in which no column can hold the coordinates, with
the columns it has, the closest matches and the fix.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from typing import Any

from geoverify.errors import ClaimsFileError, ConfigError

#: Column role -> accepted header names (compared after lower-casing and stripping
#: spaces, dashes and underscores).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "rowid", "uid", "identifier", "fid"),
    "clip": ("clip", "clipid", "video", "videoid", "videourl", "clipname", "videoname"),
    "frame": ("frame", "frametime", "timestamp", "time", "timecode", "framenumber", "frameno", "t"),
    "lat": ("lat", "latitude", "y", "latdd"),
    "lon": ("lon", "lng", "long", "longitude", "x", "londd"),
    "coordinates": ("coordinates", "coordinate", "coords", "coord", "latlon", "latlng",
                    "location", "position", "point", "geolocation"),
    "claimed": ("claimed", "claim", "claimedlocation", "claimedplace", "claimedregion",
                "claimedcountry"),
    "source": ("source", "sourceurl", "url", "link", "sourcelink"),
    "date": ("date", "eventdate", "day"),
    "precision_m": ("precisionm", "precision", "accuracym", "accuracy", "uncertaintym"),
    "role": ("role",),
}

#: Values of the ``role`` column.
ROLES = ("camera", "target")


def column_key(header: str) -> str:
    """A header name as compared against :data:`ALIASES`."""
    return re.sub(r"[\s_\-\.()\[\]]+", "", str(header).strip().lower())


def map_columns(columns: list[str]) -> dict[str, str]:
    """Role -> column name, for the columns that have a role."""
    found: dict[str, str] = {}
    keys = {c: column_key(c) for c in columns}
    for role, names in ALIASES.items():
        for name in names:
            hit = next((c for c in columns if keys[c] == name and c not in found.values()), None)
            if hit is not None:
                found[role] = hit
                break
    return found


def column_mapping(value: Any, where: str = "--columns") -> dict[str, str]:
    """A column mapping ``{role: column}`` from a mapping or from text such as
    ``"lat=latitude_deg,lon=longitude_deg"``; :class:`ConfigError` naming ``where`` when a role
    is unknown, a column is empty or one column is given two roles."""
    if value is None or value == "" or value == {}:
        return {}
    if isinstance(value, str):
        pairs: dict[str, str] = {}
        for part in value.split(","):
            if not part.strip():
                continue
            role, sep, col = part.partition("=")
            if not sep:
                raise ConfigError(f"{where}: {part.strip()!r} is not ROLE=COLUMN; write e.g. "
                                  "--columns lat=latitude_deg,lon=longitude_deg")
            pairs[role.strip()] = col.strip()
        value = pairs
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: columns must be a table such as "
                          '{lat = "Latitude", lon = "Longitude"}')
    out: dict[str, str] = {}
    for role, col in value.items():
        r = str(role).strip().lower().replace("-", "_")
        if r == "precision":
            r = "precision_m"
        if r not in ALIASES:
            near = difflib.get_close_matches(r, list(ALIASES), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise ConfigError(f"{where}: unknown role {role!r}{hint}; roles are "
                              + ", ".join(ALIASES))
        if not isinstance(col, str) or not col.strip():
            raise ConfigError(f"{where}: columns: {role} must name a column, got {col!r}")
        out[r] = col.strip()
    if len(set(out.values())) != len(out):
        raise ConfigError(f"{where}: one column is mapped to two roles: {out}")
    return out


def apply_column_mapping(raw, columns: dict[str, str], source: str | None = None):
    """A copy of a raw table whose mapped columns carry their role's name.

    Returns ``(table, original_name_of)``. A column that already had a role's name and is not
    the mapped one is renamed ``<name> (unmapped)`` so it cannot take the role. A mapped column
    the table does not have is a :class:`ClaimsFileError` listing the columns it has.
    ``table.meta["columns_mapped"]`` records the mapping applied and
    ``table.meta["columns_original"]`` each column's name in the file.
    """
    if not columns:
        return raw, {c: c for c in raw.data.columns}
    data = raw.data
    present = [str(c) for c in data.columns]
    missing = [c for c in columns.values() if c not in present]
    if missing:
        folded = {c.casefold(): c for c in present}
        fixed = {role: folded.get(col.casefold(), col) for role, col in columns.items()}
        if all(c in present for c in fixed.values()):
            columns = fixed  # a difference of case only
        else:
            near = {c: difflib.get_close_matches(c, present, n=1, cutoff=0.6) for c in missing}
            hints = "; ".join(f"{c!r}: did you mean {n[0]!r}?" for c, n in near.items() if n)
            raise ClaimsFileError(
                f"claims file {raw.path}: the column mapping{f' of {source}' if source else ''} "
                f"names {', '.join(map(repr, missing))}, which the file does not have; its "
                f"columns are {_listing(present)}" + (f" ({hints})" if hints else ""))
    rename: dict[str, str] = {}
    targets = {col: role for role, col in columns.items()}
    taken_keys = {a for role in columns for a in ALIASES.get(role, (role,))}
    for c in present:
        if c in targets:
            rename[c] = targets[c]
        elif column_key(c) in taken_keys or c in columns:
            rename[c] = f"{c} (unmapped)"
    new = dataclasses.replace(raw, data=data.rename(columns=rename), meta=dict(raw.meta))
    original = {rename.get(c, c): c for c in present}
    new.meta["columns_mapped"] = dict(columns)
    new.meta["columns_original"] = original
    return new, original


def has_coordinate_columns(columns: list[str], mapping: dict[str, str] | None = None) -> bool:
    """Whether a header (with ``mapping`` applied) has ``lat`` and ``lon`` or ``coordinates``."""
    cols = [str(c) for c in columns]
    roles = set(map_columns(cols))
    if mapping and all(c in cols for c in mapping.values()):
        roles |= set(mapping)
    return "coordinates" in roles or {"lat", "lon"} <= roles


def require_coordinates(raw) -> None:
    """Refuse a table in which no column can hold the coordinates (and that has no geometry).

    Raises :class:`ClaimsFileError` naming the file, the columns it has, the closest matches
    for ``lat``, ``lon``, ``coordinates`` (and ``claimed``), and the ``--columns`` that would
    map them. A table with no columns and no rows (``[]``) is left alone.
    """
    if raw.geometry is not None:
        return
    cols = [str(c) for c in raw.data.columns]
    if not cols and not len(raw.data):
        return
    if has_coordinate_columns(cols):
        return
    roles = map_columns(cols)
    guesses = closest_columns(cols, exclude=set(roles.values()))
    wanted = [r for r in ("lat", "lon", "coordinates", "claimed") if r not in roles]
    pairs = {r: guesses[r] for r in wanted if r in guesses}
    if "coordinates" in pairs and {"lat", "lon"} <= set(pairs):
        del pairs["coordinates"]
    have = "a lat column but no lon column" if "lat" in roles else (
        "a lon column but no lat column" if "lon" in roles else "no coordinate columns")
    msg = (f"claims file {raw.path}: {have}; geoverify reads lat and lon (also latitude, "
           "longitude, lng, y, x) or one coordinates column; the file's columns are "
           f"{_listing(cols)}")
    sheet = raw.meta.get("sheet")
    if sheet is not None and len(raw.meta.get("sheets") or ()) > 1:
        msg += (f" (sheet {sheet!r}; the workbook's sheets are "
                f"{', '.join(map(repr, raw.meta['sheets']))}, choose one with --sheet)")
    if pairs:
        closest = ", ".join(f"{c!r} for {r}" for r, c in pairs.items())
        fix = ",".join(f"{r}={c}" for r, c in pairs.items())
        msg += (f"; closest: {closest}; if those are right, map them with --columns {fix} (or "
                'columns = {' + ", ".join(f'{r} = "{c}"' for r, c in pairs.items())
                + "} in .geoverify.toml)")
    else:
        need = [r for r in ("lat", "lon") if r not in roles]
        example = ",".join(f"{r}=<column>" for r in need)
        msg += (f"; map the column(s) that hold them with --columns {example} (e.g. --columns "
                "lat=latitude_deg,lon=longitude_deg), or name a coordinates column with "
                "--columns coordinates=<column>")
    if raw.format in ("csv", "tsv") and len(cols) == 1:
        msg += "; the file was read as one column: is it a CSV file at all?"
    raise ClaimsFileError(msg)


def describe_input(raw, rows: int | None = None) -> dict[str, Any]:
    """The ``input`` record of a report for a table as read: path, sha256, rows, and how it was
    read: ``format``, ``schema`` (the adapter, or ``None``), ``columns`` (role -> the file's
    column that gave it, or what an adapter made it of: ``province, country (cir adapter)``),
    ``sheet`` (XLSX) and ``notes`` (what the reader wants the user to know: the sheet it
    chose, a duplicated column)."""
    cols = [str(c) for c in raw.data.columns]
    roles = map_columns(cols)
    mapped = raw.meta.get("columns_mapped") or {}
    derived = raw.meta.get("column_sources") or {}
    used = {role: mapped.get(role) or derived.get(col, col) for role, col in roles.items()}
    notes = list(raw.meta.get("notes") or [])
    for name, copies in (raw.meta.get("duplicate_columns") or {}).items():
        notes.append(f"the header has {len(copies)} columns named {name!r}; the first is read "
                     f"as {name!r}, the others as {', '.join(map(repr, copies[1:]))}")
    return {
        "path": raw.path,
        "sha256": raw.sha256,
        "rows": len(raw.data) if rows is None else rows,
        "format": raw.format,
        "schema": raw.schema,
        "columns": used,
        "sheet": raw.meta.get("sheet"),
        "notes": notes,
    }


def closest_columns(columns: list[str], exclude: set[str] = frozenset()) -> dict[str, str]:
    """Role -> the column most like one of its accepted names (for a hint, never applied)."""
    out: dict[str, str] = {}
    used: set[str] = set(exclude)
    for role in ("lat", "lon", "coordinates", "claimed", "clip", "frame"):
        best, score = None, 0.0
        for c in columns:
            if c in used:
                continue
            k = column_key(c)
            if not k:
                continue
            for alias in ALIASES[role]:
                if len(alias) < 3:
                    continue  # x, y, t match too much by accident
                if k.startswith(alias) or k.endswith(alias):
                    s = 0.9 + len(alias) / 100
                else:
                    s = difflib.SequenceMatcher(None, k, alias).ratio()
                if s > score:
                    best, score = c, s
        if best is not None and score >= 0.8:
            out[role] = best
            used.add(best)
    return out


def _listing(cols: list[str], limit: int = 20) -> str:
    shown = [repr(c if len(c) <= 40 else c[:39] + "\u2026") for c in cols[:limit]]
    more = f" and {len(cols) - limit} more" if len(cols) > limit else ""
    return (", ".join(shown) + more) if shown else "none"


__all__ = ["ALIASES", "ROLES", "apply_column_mapping", "closest_columns", "column_key",
           "column_mapping", "describe_input", "has_coordinate_columns", "map_columns",
           "require_coordinates"]
