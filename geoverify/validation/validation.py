"""``validate``: guard a geolocation dataset, row by row and across rows.

:func:`validate` runs :func:`geoverify.check`'s pipeline on every claims file (so codes and
verdicts are the same vocabulary), keeps the findings it attached to rows, and adds the
dataset checks ``check`` does not make: null-island points, swapped latitude/longitude (tested
by checking the swapped point with geoverify itself), low precision, duplicated rows, one frame
placed in two places, dates, sources and URLs. Findings are keyed by a stable row identity
(the ``id`` column, else a hash of the row's source, clip, frame and coordinates text), never by
row number, so a baseline survives rows being inserted above.

A bad row is a finding; an exception means a file could not be checked at all.

Example
-------
>>> from geoverify.validation.validation import validate
>>> result = validate(["data/"])                # doctest: +SKIP
>>> result.failing("error")                     # doctest: +SKIP
>>> result.to_dict()                            # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from geoverify._version import __version__
from geoverify.codes import CHECKS, FIX, RANK
from geoverify.core.swap import decide
from geoverify.core.table import claims_frame, normalise
from geoverify.errors import ClaimsFileError, ConfigError, GeoverifyError
from geoverify.io.columns import apply_column_mapping, column_mapping, require_coordinates
from geoverify.io.table import raw_from_frame
from geoverify.run.memory import check_raw, take_raw
from geoverify.validation import detectors
from geoverify.validation.settings import ValidateSettings, settings_from_mapping

#: Codes of ``check``'s verdicts, which a diagnosed root cause (null island, swapped
#: coordinates) replaces on its row.
VERDICT_CODES = frozenset({"claim-mismatch", "near-border", "outside-boundaries", "disputed-area",
                           "on-border", "multiple-units"})


# ---------------------------------------------------------------------------
# result types


@dataclass
class ValidationFinding:
    """One finding of ``validate``.

    Attributes
    ----------
    code, severity
        Finding code and its severity after the configuration.
    file
        The dataset file, relative to its repository (as annotations want it).
    row
        1-based data row (header excluded), ``None`` for a file-level finding.
    line, column
        1-based physical line and character column of the cell, where the format has lines.
    field
        The column the finding is about, as named in the file.
    value
        The offending value as text.
    message
        What is wrong and what to do.
    key
        Stable row identity (``id`` column value, else ``sha256:...``; ``#n`` for the n-th
        repeat of the same identity).
    status
        ``new``; ``baselined`` (recorded in the baseline) or ``allowed`` (allow-listed, with
        ``reason``). Only ``new`` findings can fail a run.
    data
        Facts behind the finding (distances, the related row...).
    """

    code: str
    severity: str
    file: str
    row: int | None
    line: int | None
    column: int | None
    field: str | None
    value: str | None
    message: str
    key: str | None
    status: str = "new"
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "file": self.file,
                "row": self.row, "line": self.line, "column": self.column, "field": self.field,
                "value": self.value, "message": self.message, "key": self.key,
                "status": self.status, "reason": self.reason, "data": dict(self.data)}

    @property
    def fingerprint(self) -> tuple[str, str, str]:
        """What a baseline remembers: file, row identity and code."""
        return (self.file, self.key or "", self.code)


@dataclass
class FileReport:
    """What ``validate`` learned about one file."""

    path: str
    format: str
    sha256: str
    rows: int
    config: str | None
    severities: dict[str, str]
    counts: dict[str, int]
    changes: dict[str, Any] | None = None
    row_states: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "sha256": self.sha256,
                "rows": self.rows, "config": self.config,
                "checks": {c: {"severity": sev, "findings": self.counts.get(c, 0)}
                           for c, sev in self.severities.items()},
                "changes": self.changes}


@dataclass
class ValidationResult:
    """The outcome of :func:`validate`: findings, per-file reports, errors and comparisons."""

    files: list[FileReport]
    findings: list[ValidationFinding]
    errors: list[dict[str, str]]
    boundaries: list[dict[str, Any]]
    since: str | None = None
    baseline: dict[str, Any] | None = None
    allow_unused: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def failing(self, fail_on: str = "error") -> list[ValidationFinding]:
        """New findings at or above ``fail_on`` (``error``, ``warning``, ``info``; ``never``)."""
        if fail_on == "never":
            return []
        if fail_on not in RANK:
            raise ConfigError(f"fail_on={fail_on!r}; use error, warning, info or never")
        return [f for f in self.findings
                if f.status == "new" and RANK[f.severity] >= RANK[fail_on]]

    def summary(self) -> dict[str, Any]:
        new = [f for f in self.findings if f.status == "new"]
        by_sev = {s: sum(1 for f in new if f.severity == s) for s in ("error", "warning", "info")}
        by_code = dict(sorted(Counter(f.code for f in new).items()))
        by_status = {s: sum(1 for f in self.findings if f.status == s)
                     for s in ("new", "baselined", "allowed")}
        return {"files": len(self.files), "rows": sum(fr.rows for fr in self.files),
                "findings": len(new), "by_severity": by_sev, "by_code": by_code,
                "by_status": by_status, "errors": len(self.errors),
                "changes": self.changes(), "headline": self.headline()}

    def changes(self) -> dict[str, Any]:
        """Totals of the comparisons made: ``since`` (a git ref) and ``baseline``."""
        out: dict[str, Any] = {}
        for kind in ("since", "baseline"):
            parts = [fr.changes[kind] for fr in self.files if fr.changes and kind in fr.changes]
            if not parts:
                continue
            total: dict[str, Any] = {}
            for c in parts:
                for k, v in c.items():
                    if isinstance(v, bool):
                        total["new_files" if k == "file_new" else k] = (
                            total.get("new_files" if k == "file_new" else k, 0) + int(v))
                    elif isinstance(v, int):
                        total[k] = total.get(k, 0) + v
            if kind == "since":
                total = {"ref": self.since, **total}
            out[kind] = total
        return out

    def headline(self) -> str:
        new = [f for f in self.findings if f.status == "new"]
        errors = sum(1 for f in new if f.severity == "error")
        warnings = sum(1 for f in new if f.severity == "warning")
        rows = sum(fr.rows for fr in self.files)
        text = (f"{len(self.files)} file(s), {rows} row(s): {errors} error(s), "
                f"{warnings} warning(s)")
        others = [f"{n} {s}" for s, n in (
            ("baselined", sum(1 for f in self.findings if f.status == "baselined")),
            ("allowed", sum(1 for f in self.findings if f.status == "allowed"))) if n]
        if others:
            text += " (" + ", ".join(others) + " not counted)"
        for kind, c in self.changes().items():
            against = f"since {self.since}" if kind == "since" else "since the baseline"
            if kind == "since":
                text += (f"; {c.get('new_rows', 0)} row(s) added and "
                         f"{c.get('changed_rows', 0)} changed {against}")
            text += (f"; {c.get('region_changed', 0)} frame(s) changed oblast and "
                     f"{c.get('verdict_changed', 0)} changed verdict {against}")
        if self.baseline and self.baseline.get("boundaries_changed"):
            text += "; the boundary layers changed since the baseline"
        if self.errors:
            text += f"; {len(self.errors)} file(s) could not be checked"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (``geoverify validate --format json`` prints exactly this)."""
        return {
            "geoverify_version": __version__,
            "command": "validate",
            "boundaries": [dict(b) for b in self.boundaries],
            "since": self.since,
            "baseline": None if self.baseline is None else dict(self.baseline),
            "files": [fr.to_dict() for fr in self.files],
            "findings": [f.to_dict() for f in self.findings],
            "errors": [dict(e) for e in self.errors],
            "allow_unused": [dict(a) for a in self.allow_unused],
            "skipped": [dict(x) for x in self.skipped],
            "summary": self.summary(),
        }


# ---------------------------------------------------------------------------
# row identity


def _h(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_keys(frames: list[dict[str, Any]]) -> list[str]:
    """Stable identity of each row: its ``id``; else ``sha256:`` + 16 hex digits of its source,
    clip, frame and coordinates text. A repeated identity gets ``#2``, ``#3``..."""
    seen: Counter = Counter()
    out = []
    for f in frames:
        if f.get("id"):
            base = str(f["id"])
        else:
            parts = [f.get("source"), f.get("clip"), f.get("frame"), f.get("coordinates_text")]
            base = "sha256:" + _h("\x1f".join("" if p is None else str(p) for p in parts))[:16]
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


def row_contents(raw) -> list[str]:
    """Hash of everything in each row (cells by column name, and its geometry text)."""
    cols = list(raw.data.columns)
    recs = raw.data.to_dict("records")
    out = []
    for i, r in enumerate(recs):
        g = raw.geometry[i] if raw.geometry is not None else None
        doc = {"cells": {c: str(r.get(c, "")) for c in sorted(cols)},
               "geometry": None if g is None else g[2]}
        out.append(_h(json.dumps(doc, sort_keys=True, ensure_ascii=False)))
    return out


# ---------------------------------------------------------------------------
# one table


def rename_columns(raw, columns: dict[str, str], source: str | None = None):
    """A copy of a raw table whose mapped columns carry their role's name: ``(table,
    original_name_of)`` (see :func:`geoverify.io.columns.apply_column_mapping`). A table the
    reader mapped already is returned as it is."""
    if raw.meta.get("columns_mapped") is not None:
        original = raw.meta.get("columns_original") or {}
        return raw, {c: original.get(c, c) for c in raw.data.columns}
    return apply_column_mapping(raw, columns, source)


def _as_read(raw):
    """The table with the column names of the file (before a column mapping), for positions."""
    original = raw.meta.get("columns_original")
    if not original:
        return raw
    return replace(raw, data=raw.data.set_axis([original.get(c, c) for c in raw.data.columns],
                                               axis=1))


def _check_table(raw, bset, cities_in_regions: bool = False):
    """``geoverify.check``'s pipeline on a table already read (and possibly renamed)."""
    result = check_raw(raw, bset, cities_in_regions=cities_in_regions)
    return result, result.records()


def _num(v: Any) -> float:
    return math.nan if v is None else float(v)


def _place(f: dict[str, Any]) -> str:
    parts = []
    if f.get("adm1"):
        parts.append(f"{f['adm1']['name']} ({f['adm1']['code']})")
    if f.get("country"):
        parts.append(f"{f['country']['name']}")
    return ", ".join(parts) or "no country (at sea or off the map)"


def _km(m: float | None) -> str:
    if m is None:
        return "?"
    return f"{m / 1000:.1f} km" if m >= 1000 else f"{m:.0f} m"


@dataclass
class TableOutcome:
    """Findings of one table before baselines and allow-lists, plus what comparisons need."""

    findings: list[ValidationFinding]
    frames: list[dict[str, Any]]
    keys: list[str]
    contents: list[str]
    counts: Counter


def validate_table(raw, settings: ValidateSettings, bset, *, file: str,
                   positions=None, today: _dt.date | None = None) -> TableOutcome:
    """All findings of one claims table (a :class:`geoverify.io.claims.RawTable`).

    ``positions`` (from :func:`geoverify.io.dataset.record_positions`) adds lines and columns.
    """
    from geoverify.core.table import map_columns

    table, original = rename_columns(raw, settings.columns, settings.source)
    _, frames = _check_table(table, bset, settings.cities_in_regions)
    roles = map_columns(list(table.data.columns))
    cells = table.data.to_dict("records")
    keys = row_keys(frames)
    contents = row_contents(table)
    n = len(frames)
    today = today or _dt.date.today()
    max_date = settings.max_date or (today + _dt.timedelta(days=1))

    def column_of(fld: str | None) -> str | None:
        if fld is None:
            return None
        if fld in roles:
            return original.get(roles[fld], roles[fld])
        return original.get(fld, fld)

    coord_col = roles.get("lat") or roles.get("coordinates")
    per_row: list[list[ValidationFinding]] = [[] for _ in range(n)]
    file_level: list[ValidationFinding] = []

    def make(i: int | None, code: str, fld: str | None, value: Any, message: str,
             data: dict[str, Any] | None = None) -> ValidationFinding | None:
        sev = settings.severity_of(code)
        if sev == "off":
            return None
        col = column_of(fld)
        line = column = None
        if i is not None and positions is not None and i < len(positions) and positions[i]:
            pos = positions[i]
            line = pos.line
            if col is not None and col in pos.columns:
                line, column = pos.columns[col]
        f = ValidationFinding(code, sev, file, None if i is None else i + 1, line, column, col,
                              None if value is None else str(value), message,
                              None if i is None else keys[i], data=data or {})
        (file_level if i is None else per_row[i]).append(f)
        return f

    # 1. what check found on each row
    for i, fr in enumerate(frames):
        for x in fr["findings"]:
            code = x["code"]
            if code in ("claim-mismatch", "near-border", "outside-boundaries", "disputed-area"):
                msg, data = _verdict_message(code, fr, x["message"])
                make(i, code, "claimed", fr.get("claimed"), msg, data)
                continue
            fld = x.get("field")
            value = _cell(cells[i], roles, fld, fr)
            msg = x["message"]
            if code in FIX and not _says_what_to_do(msg):
                msg = f"{msg.rstrip('.')}; {FIX[code]}"
            make(i, code, fld, value, msg)

    # 2. null island and swapped coordinates replace the verdict they cause
    lon = [_num(f["lon"]) for f in frames]
    lat = [_num(f["lat"]) for f in frames]
    t = settings.null_island_deg
    null_rows = {i for i in range(n) if not math.isnan(lat[i])
                 and abs(lat[i]) < t and abs(lon[i]) < t}
    for i in sorted(null_rows):
        _drop(per_row[i], VERDICT_CODES)
        make(i, "null-island", coord_col, frames[i]["coordinates_text"],
             f"row {i + 1}: the point ({lat[i]:g}, {lon[i]:g}) is at 0°N 0°E ('null island'), the "
             "value a tool writes when it has no location; fill in the real coordinates")
    if not settings.is_off("latlon-swapped"):
        for i, (slat, slon, verdict, place) in _swapped_rows(frames, cells, roles, bset,
                                                             skip=null_rows).items():
            _drop(per_row[i], VERDICT_CODES | {"out-of-range"})
            lat_t, lon_t = _lat_lon_text(cells[i], roles, frames[i])
            make(i, "latlon-swapped", coord_col, frames[i]["coordinates_text"],
                 f"row {i + 1}: latitude and longitude look swapped: ({lat_t}, {lon_t}) is "
                 f"{_where_now(frames[i])}, while ({lon_t}, {lat_t}) is in {place}"
                 + (f" and matches the claim {frames[i]['claimed']!r}"
                    if verdict == "match" else "")
                 + "; swap the two values",
                 {"swapped": {"lat": slat, "lon": slon, "verdict": verdict, "place": place}})

    # the whole file, or most of a clip, swapped: said once
    if not settings.is_off("latlon-swapped-file"):
        for g in _swapped_file(frames, per_row):
            make(None, "latlon-swapped-file", coord_col, None,
                 g.message(column_of("lat"), column_of("lon")), {"rows": list(g.rows)})

    # 3. precision
    if not settings.is_off("low-precision"):
        decs = []
        for i, fr in enumerate(frames):
            if math.isnan(lat[i]) or i in null_rows:
                decs.append(None)
                continue
            lat_t, lon_t = _lat_lon_raw(cells[i], roles)
            decs.append(detectors.coordinate_decimals(lat_t, lon_t, fr["coordinates_text"],
                                                      fr["notation"]))
        for i in detectors.low_precision_rows(decs, settings.low_precision_decimals,
                                              settings.precise_decimals):
            make(i, "low-precision", coord_col, frames[i]["coordinates_text"],
                 f"row {i + 1}: coordinates ({frames[i]['coordinates_text']}) have {decs[i]} "
                 f"decimal(s), about {_km(111_320 * 10 ** -decs[i])} of uncertainty, while the "
                 "file's other rows have at least "
                 f"{settings.precise_decimals}; give the geolocated point's full precision")

    # 4. repeated rows and frames in two places
    id_col = roles.get("id")
    if not settings.is_off("duplicate-row"):
        dup_keys = []
        for i, rec in enumerate(cells):
            g = table.geometry[i] if table.geometry is not None else None
            dup_keys.append((tuple((c, str(v)) for c, v in rec.items() if c != id_col),
                             None if g is None else g[2]))
        for later, first in detectors.duplicate_rows(dup_keys).items():
            make(later, "duplicate-row", None, None,
                 f"row {later + 1} repeats row {first + 1}"
                 + (" (only the id differs)" if id_col and cells[later].get(id_col)
                    != cells[first].get(id_col) else "")
                 + "; delete the repeated row",
                 {"first_row": first + 1, "first_key": keys[first]})
    if not settings.is_off("conflicting-location"):
        groups = []
        for fr in frames:
            who = (fr.get("source"), fr.get("clip"))
            if fr.get("frame") is None or who == (None, None):
                groups.append(None)
            else:
                groups.append((*who, fr["frame"], fr.get("role")))
        prec = [float(f["precision_m"] or 0.0) for f in frames]
        for later, earlier, d, allowed in detectors.conflicting_rows(
                groups, lon, lat, prec, settings.conflict_tolerance_m):
            if later in null_rows or earlier in null_rows:
                continue
            fr = frames[later]
            what = " and ".join(x for x in (
                f"source {fr['source']}" if fr.get("source") else "",
                f"clip {fr['clip']!r}" if fr.get("clip") else "") if x)
            make(later, "conflicting-location", coord_col, fr["coordinates_text"],
                 f"row {later + 1} places frame {fr['frame']!r} of {what} {_km(d)} away from row "
                 f"{earlier + 1} (their precision allows {_km(allowed)}); one frame cannot be in "
                 "two places: correct one of them, or give them different frames or roles",
                 {"other_row": earlier + 1, "other_key": keys[earlier], "distance_m": round(d, 1)})

    # 5. dates, sources
    if "date" in roles and not settings.is_off("invalid-date"):
        for i, fr in enumerate(frames):
            if fr.get("date") is None:
                continue
            problem = detectors.date_problem(fr["date"], settings.min_date, max_date)
            if problem:
                make(i, "invalid-date", "date", fr["date"], f"row {i + 1}: {problem}")
    if "source" not in roles:
        if n:
            make(None, "missing-source", None, None,
                 "the file has no source column; add one (source, url or link) with the link "
                 "each geolocation was made from")
    else:
        for i, fr in enumerate(frames):
            src = fr.get("source")
            if src is None:
                make(i, "missing-source", "source", None,
                     f"row {i + 1}: no source; add the link the geolocation was made from")
                continue
            problem = detectors.url_problem(src, require_url=settings.require_url)
            if problem:
                make(i, "invalid-url", "source", src, f"row {i + 1}: {problem}")

    findings = file_level + [f for fs in per_row for f in fs]
    counts = Counter(f.code for f in findings)
    return TableOutcome(findings, frames, keys, contents, counts)


_IMPERATIVE = re.compile(r"[;:,.]\s*(?:please\s+)?(fill|write|check|use|give|save|fix|remove|add|"
                         r"expand|replace|swap|correct|delete|convert|export|make|put)\b", re.I)


def _says_what_to_do(message: str) -> bool:
    return bool(_IMPERATIVE.search(message))


def _drop(fs: list[ValidationFinding], codes) -> None:
    fs[:] = [f for f in fs if f.code not in codes]


def _cell(rec: dict[str, Any], roles: dict[str, str], fld: str | None, fr: dict[str, Any]):
    if fld is None:
        return None
    if fld in rec:
        return rec[fld] or None
    if fld in roles:
        return rec.get(roles[fld]) or None
    if fld == "geometry":
        return fr.get("coordinates_text")
    return None


def _lat_lon_raw(rec, roles) -> tuple[str | None, str | None]:
    if "lat" in roles and "lon" in roles:
        a, b = rec.get(roles["lat"]), rec.get(roles["lon"])
        return (str(a).strip() or None if a is not None else None,
                str(b).strip() or None if b is not None else None)
    return None, None


def _lat_lon_text(rec, roles, fr) -> tuple[str, str]:
    a, b = _lat_lon_raw(rec, roles)
    if a is not None and b is not None:
        return a, b
    return repr(float(fr["lat"])), repr(float(fr["lon"]))


def _where_now(fr: dict[str, Any]) -> str:
    if fr["lat"] is None:
        return "off the globe"
    if fr.get("country") is None:
        return "at sea or off the map"
    return "in " + _place(fr)


def _verdict_message(code: str, fr: dict[str, Any], check_message: str):
    row = fr["row"]
    claim = fr.get("claim") or {}
    claim_label = f"{claim.get('name', fr.get('claimed'))} ({claim.get('code', '?')})"
    dist = fr.get("distance_to_claimed_m")
    data = {"verdict": fr["verdict"], "distance_to_claimed_m": dist,
            "distance_to_border_m": fr.get("distance_to_border_m"),
            "country": (fr.get("country") or {}).get("code"),
            "adm1": (fr.get("adm1") or {}).get("code")}
    point = f"({fr['coordinates_text']})" if fr.get("coordinates_text") else ""
    if code == "claim-mismatch":
        msg = (f"row {row}: the point {point} is in {_place(fr)}, {_km(dist)} outside the "
               f"claimed {claim_label}; fix the coordinates or the claim, or, if the claim is "
               "known to be false, allow-list the row with the reason")
    elif code == "near-border":
        msg = (f"row {row}: the point {point} is {_km(fr.get('distance_to_border_m'))} from a "
               f"border, within the boundary data's accuracy plus the row's precision, so "
               f"whether it is in {claim_label} cannot be told; geolocate it more precisely or "
               "accept the ambiguity")
    elif code == "outside-boundaries":
        msg = (f"row {row}: the point {point} is in no country's land area (at sea or off the "
               f"map), {_km(dist)} from the claimed {claim_label}; check the coordinates")
    else:  # disputed-area
        msg = f"{check_message.rstrip('.')}; nothing to fix unless the claim is wrong"
    return msg, data


def _swapped_file(frames, per_row) -> list:
    """:class:`~geoverify.core.swap.SwappedGroup` for the file, or for each clip, where most
    judged rows with a claim are ``latlon-swapped`` (the rule of :func:`geoverify.core.swap.decide`)."""
    judged = [i for i, fr in enumerate(frames) if fr["claimed"] is not None
              and fr["verdict"] in ("match", "mismatch", "ambiguous", "outside")]
    flagged = [i for i in judged if any(f.code == "latlon-swapped" for f in per_row[i])]
    return decide(flagged, len(judged), lambda: Counter(frames[i].get("clip") for i in judged),
                  lambda i: frames[i].get("clip"), lambda i: i + 1)


def _swapped_rows(frames, cells, roles, bset, *, skip) -> dict[int, tuple[float, float, str, str]]:
    """Rows whose point is implausible while the swapped point fits: row -> (lat, lon,
    verdict, place) of the swapped point."""
    countries = Counter((f.get("country") or {}).get("code") for f in frames
                        if f.get("country"))
    cand: list[int] = []
    pts: list[tuple[float, float]] = []
    for i, fr in enumerate(frames):
        if i in skip:
            continue
        lat, lon = fr.get("lat"), fr.get("lon")
        if lat is None:
            # unlocated: only an out-of-range latitude whose longitude would make a latitude
            if not any(x["code"] == "out-of-range" for x in fr["findings"]):
                continue
            a, b = _lat_lon_raw(cells[i], roles)
            try:
                lat, lon = float(str(a).replace(",", ".")), float(str(b).replace(",", "."))
            except (TypeError, ValueError):
                continue
            if not (abs(lon) <= 90 and abs(lat) <= 180):
                continue
        elif fr["claimed"] is not None:
            if fr["verdict"] not in ("mismatch", "outside"):
                continue
        else:
            own = (fr.get("country") or {}).get("code")
            if own is not None and countries[own] > 1:
                continue  # in a country the rest of the file uses: plausible
        if abs(lat - lon) < 1e-9:
            continue
        cand.append(i)
        pts.append((lon, lat))  # swapped: the longitude becomes the latitude
    if not cand:
        return {}
    probe = pd.DataFrame({
        "lat": [repr(p[0]) for p in pts], "lon": [repr(p[1]) for p in pts],
        "claimed": [frames[i]["claimed"] or "" for i in cand],
        "precision_m": [repr(float(frames[i]["precision_m"] or 0.0)) for i in cand],
    })
    swapped = check_raw(raw_from_frame(probe), bset).records()
    out = {}
    for i, s in zip(cand, swapped):
        if s["lat"] is None or s.get("country") is None:
            continue
        fr = frames[i]
        code = s["country"]["code"]
        if fr["claimed"] is not None:
            ok = s["verdict"] in ("match", "ambiguous")
        else:
            own = (fr.get("country") or {}).get("code")
            ok = countries[code] - (1 if code == own else 0) > 0
        if ok:
            out[i] = (s["lat"], s["lon"], s["verdict"], _place(s))
    return out


# ---------------------------------------------------------------------------
# comparisons: since a git ref, against a baseline


def _state(fr: dict[str, Any]) -> dict[str, Any]:
    return {"verdict": fr["verdict"], "country": (fr.get("country") or {}).get("code"),
            "adm1": (fr.get("adm1") or {}).get("code"),
            "adm1_name": (fr.get("adm1") or {}).get("name")}


def _describe(state: dict[str, Any]) -> str:
    where = state.get("adm1_name") or state.get("adm1") or state.get("country") or "no region"
    if state.get("adm1") and state.get("adm1_name"):
        where = f"{state['adm1_name']} ({state['adm1']})"
    return f"{where}, verdict {state['verdict']}"


def _changes(old: dict[str, dict[str, Any]], outcome: TableOutcome, settings, file: str,
             against: str, positions=None):
    """Compare row states with earlier ones; returns (counts, verdict-changed findings)."""
    notes = []
    region = verdict = 0
    sev = settings.severity_of("verdict-changed")
    for i, (k, fr) in enumerate(zip(outcome.keys, outcome.frames)):
        was = old.get(k)
        if was is None:
            continue
        now = _state(fr)
        moved = (was.get("adm1"), was.get("country")) != (now["adm1"], now["country"])
        changed = was.get("verdict") != now["verdict"]
        region += moved
        verdict += changed
        if (moved or changed) and sev != "off":
            line = positions[i].line if positions and i < len(positions) and positions[i] else None
            notes.append(ValidationFinding(
                "verdict-changed", sev, file, i + 1, line, None, None, None,
                f"row {i + 1} (id {k}): was in {_describe(was)} {against}; now in "
                f"{_describe(now)}", k, data={"was": was, "now": now}))
    return {"region_changed": region, "verdict_changed": verdict}, notes


# ---------------------------------------------------------------------------
# the whole run


def validate(paths, *, config: Any = None, baseline: Any = None, since: str | None = None,
             boundaries: Any = None, today: _dt.date | None = None, on_error: str = "raise",
             skip=(), force_exclude: bool = False, columns: Any = None,
             sheet: str | int | None = None,
             cities_in_regions: bool | None = None) -> ValidationResult:
    """Validate claims files and directories of claims files.

    Parameters
    ----------
    paths
        Files, or directories searched recursively for claims files (.csv .tsv .geojson
        .json .jsonl .kml .kmz .xlsx .gpkg .parquet .fgb; hidden files and directories are
        skipped, and so are the configuration's ``exclude`` patterns). A named file that is
        one of geoverify's own (configuration, baseline, report) is skipped, not read; the
        result's ``skipped`` says so.
    config
        ``None`` to find each file's configuration from its directory upward; a path to a
        configuration file; a :class:`ValidateSettings`; or a mapping like ``[tool.geoverify]``.
    baseline
        A baseline (path or loaded dict, see :func:`baseline_document`): findings it records
        are ``baselined`` and do not fail; rows whose verdict or region changed since get a
        ``verdict-changed`` finding; a changed boundary layer is reported.
    since
        A git ref: only rows added or changed since then are reported, plus a
        ``verdict-changed`` finding for each row whose verdict or region differs from then.
    boundaries
        Boundary set (name or loaded) instead of the configuration's.
    today
        The date "in the future" is measured from (default: today).
    on_error
        ``"raise"`` (default): a file that cannot be checked raises; ``"collect"``: it is
        recorded in ``errors`` and the other files are still checked.
    skip
        Files never to check (e.g. the baseline itself).
    force_exclude
        Skip named files that a directory search would skip too (hidden, not a claims suffix,
        the configuration's ``exclude``): for pre-commit, which names every staged file.
    columns
        A column mapping (``{role: column}`` or ``"lat=latitude_deg,lon=longitude_deg"``)
        used for every file instead of the configuration's ``columns``.
    sheet
        XLSX files: the sheet to read (name or 0-based index); default the first sheet with
        coordinate columns.
    cities_in_regions
        ``True``/``False`` to set ``cities_in_regions`` for every file (``--cities-in-regions``
        / ``--strict-cities``); ``None``: each file's configuration decides (default off).

    A file in which no column can hold the coordinates is an error of that file (with its
    columns and the closest matches), as is a file that cannot be read; with
    ``on_error="collect"`` the other files are still checked, whatever went wrong.

    Raises
    ------
    ClaimsFileError, ConfigError, BoundaryLayerError
        A file cannot be read or checked, the configuration is invalid, a ref is unknown.
    """
    from geoverify.boundaries import BoundarySet, load_boundaries
    from geoverify.io import dataset
    from geoverify.io.baseline import read_baseline
    from geoverify.io.claims import read_table
    from geoverify.validation.settings import find_config, read_config

    if on_error not in ("raise", "collect"):
        raise ConfigError(f"on_error={on_error!r}; use 'raise' or 'collect'")
    forced_columns = column_mapping(columns, "--columns") if columns else None
    if isinstance(paths, (str, Path)):
        paths = [paths]
    cache: dict[Path, ValidateSettings] = {}
    if config is None:
        def settings_for(p: Path) -> ValidateSettings:
            return find_config(p, cache)
    else:
        if isinstance(config, ValidateSettings):
            fixed = config
        elif isinstance(config, dict):
            fixed = settings_from_mapping(config, None)
        else:
            fixed = read_config(config)

        def settings_for(p: Path) -> ValidateSettings:
            return fixed

    def exclude_for(d: Path):
        s = settings_for(d)
        base = Path(s.source).parent if s.source else d
        return base, s.exclude, dataset.display_path(s.source) if s.source else None

    base_doc = None
    if baseline is not None:
        base_doc = (check_baseline(baseline, "(given as a dict)") if isinstance(baseline, dict)
                    else check_baseline(read_baseline(baseline), str(baseline)))
        if isinstance(baseline, (str, Path)):
            skip = (*skip, baseline)
    found = dataset.find_claims_files(paths, exclude_for=exclude_for, skip=skip,
                                      force_exclude=force_exclude)
    files = found.files

    bsets: dict[str, Any] = {}

    def bset_for(s: ValidateSettings):
        if isinstance(boundaries, BoundarySet):
            return boundaries
        name = boundaries or s.boundaries
        if name not in bsets:
            bsets[name] = load_boundaries(name)
        return bsets[name]

    reports: list[FileReport] = []
    findings: list[ValidationFinding] = []
    errors: list[dict[str, str]] = []
    used_rules: set[tuple[str | None, int]] = set()
    checked: set[Path] = set()
    all_rules: list[tuple[ValidateSettings, int]] = []
    seen_settings: set[Any] = set()
    provenance: list[dict[str, Any]] | None = None
    base_counts = Counter(tuple(x) for x in (base_doc or {}).get("findings_index", []))

    for path in files:
        shown = dataset.display_path(path)
        try:
            s = settings_for(path)
            if forced_columns is not None:
                s = replace(s, columns=forced_columns)
            if cities_in_regions is not None:
                s = replace(s, cities_in_regions=bool(cities_in_regions))
            which = s.source or id(s)
            if which not in seen_settings:
                seen_settings.add(which)
                all_rules.extend((s, j) for j in range(len(s.allow)))
            bset = bset_for(s)
            provenance = provenance or bset.provenance
            xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
            raw = read_table(path, sheet=sheet if xlsx else None, columns=s.columns or None,
                             columns_source=s.source)
            require_coordinates(raw)
            positions = dataset.record_positions(path, _as_read(raw))
            outcome = validate_table(raw, s, bset, file=shown, positions=positions, today=today)
            changes: dict[str, Any] = {}
            file_findings = outcome.findings
            if since is not None:
                file_findings, changes["since"] = _since(path, since, raw, s, bset, outcome,
                                                         shown, positions)
            if base_doc is not None:
                known = base_doc.get("files", {}).get(shown)
                if known is None:
                    changes["baseline"] = {"file_new": True, "region_changed": 0,
                                           "verdict_changed": 0}
                else:
                    counts, notes = _changes(known.get("rows", {}), outcome, s, shown,
                                             "in the baseline", positions)
                    changes["baseline"] = {"file_new": False, **counts}
                    noted = {f.row for f in file_findings if f.code == "verdict-changed"}
                    file_findings = file_findings + [f for f in notes if f.row not in noted]
            rel = dataset.relative_to(path, Path(s.source).parent) if s.source else None
            # every finding of the file, reported or not (--since keeps only changed rows'),
            # tells which allow entries are still needed
            every = {id(f): f for f in (*outcome.findings, *file_findings)}
            for f in every.values():
                for j, rule in enumerate(s.allow):
                    if f.key is not None and rule.matches(f.key, f.code, rel):
                        f.status, f.reason = "allowed", rule.reason
                        used_rules.add((s.source, j))
                        break
            for f in file_findings:
                if f.status == "new" and base_counts[f.fingerprint] > 0:
                    base_counts[f.fingerprint] -= 1
                    f.status = "baselined"
            findings.extend(file_findings)
            checked.add(path.resolve())
            reports.append(FileReport(
                shown, raw.format, raw.sha256, len(raw.data),
                dataset.display_path(s.source) if s.source else None,
                {c: s.severity_of(c) for c in (*CHECKS, *sorted(
                    {f.code for f in file_findings} - set(CHECKS)))},
                Counter(f.code for f in file_findings),
                changes or None, {k: _state(fr) for k, fr in zip(outcome.keys, outcome.frames)}))
        except GeoverifyError as exc:
            if on_error == "raise" or not isinstance(exc, (ClaimsFileError, ConfigError)):
                raise
            errors.append({"file": shown, "message": str(exc)})
        except Exception as exc:  # a bug or an exhausted resource: lose this file, not the run
            if on_error == "raise":
                raise
            errors.append({"file": shown, "message": (
                f"{shown}: internal error while checking this file ({type(exc).__name__}: "
                f"{exc}); the other files were checked; please report it")})
    if provenance is None:
        try:
            provenance = bset_for(settings_for(Path.cwd())).provenance
        except GeoverifyError:
            provenance = []
    base_info = None
    if base_doc is not None:
        was = {b["name"]: b["sha256"] for b in base_doc.get("boundaries", [])}
        now = {b["name"]: b["sha256"] for b in provenance}
        base_info = {
            "boundaries_changed": [{"name": k, "was": was[k], "now": now.get(k)}
                                   for k in sorted(was) if was[k] != now.get(k)],
            "recorded_findings": len(base_doc.get("findings_index", [])),
        }
    pending = [(s, j) for s, j in all_rules if (s.source, j) not in used_rules]
    unused = _unused_allow_entries(pending, checked, files, fixed=config is not None,
                                   settings_for=settings_for, exclude_for=exclude_for)
    skipped_files = [{"path": dataset.display_path(p), "reason": why}
                     for p, why in found.skipped]
    return ValidationResult(reports, findings, errors, provenance, since, base_info, unused,
                            skipped_files)


def _unused_allow_entries(pending, checked: set[Path], files: list[Path], *, fixed: bool,
                          settings_for, exclude_for) -> list[dict[str, Any]]:
    """The allow entries in ``pending`` (matched by no finding) that are unused for sure.

    An entry can only be called unused when every file it applies to was checked: the claims
    files a search of its configuration's directory finds, governed by that configuration
    (for a configuration given with ``config=``, those of the checked files' repositories),
    narrowed by the entry's ``file`` pattern. pre-commit checks only the staged files, so an
    entry for another file's row says nothing about that row.
    """
    from geoverify.io import dataset

    scopes: dict[Any, list[tuple[Path, str | None]]] = {}

    def scope(s: ValidateSettings) -> list[tuple[Path, str | None]]:
        key = s.source if s.source else id(s)
        if key in scopes:
            return scopes[key]
        if not fixed and s.source:
            roots = [Path(s.source).parent]
        else:
            roots = sorted({dataset.repo_root(f) or f.resolve().parent for f in files})
        found: dict[Path, Path] = {}
        for root in roots:
            for f in dataset.claims_files_under(root, exclude_for):
                found.setdefault(f.resolve(), f)
        governed = []
        for r, f in found.items():
            if not fixed:
                try:
                    if settings_for(f).source != s.source:
                        continue  # a nearer configuration governs it
                except GeoverifyError:
                    pass  # a broken nearer configuration: count the file, to be safe
            base = Path(s.source).parent if s.source else None
            governed.append((r, dataset.relative_to(r, base)))
        scopes[key] = governed
        return governed

    out = []
    for s, j in pending:
        rule = s.allow[j]
        applies = [r for r, rel in scope(s) if rule.file is None
                   or (rel is not None and fnmatch.fnmatchcase(rel, rule.file))]
        if all(r in checked for r in applies):
            out.append({"config": dataset.display_path(s.source) if s.source else None,
                        "id": rule.id, "code": rule.code, "file": rule.file,
                        "reason": rule.reason})
    return out


def _since(path, ref, raw, settings, bset, outcome: TableOutcome, shown, positions):
    """Keep findings of rows added or changed since ``ref``; note changed verdicts."""
    from geoverify.io.dataset import read_old_table

    old_raw = read_old_table(path, ref)
    n = len(outcome.frames)
    if old_raw is None:
        return outcome.findings, {"ref": ref, "file_new": True, "new_rows": n,
                                  "changed_rows": 0, "removed_rows": 0, "unchanged_rows": 0,
                                  "region_changed": 0, "verdict_changed": 0}
    try:
        old_table, _ = rename_columns(old_raw, settings.columns, settings.source)
    except (ConfigError, ClaimsFileError):  # the mapped columns are not there yet: all new
        old_table = None
    if old_table is not None:
        old_claims = claims_frame(normalise(old_table))
        old_keys = row_keys(old_claims[["id", "source", "clip", "frame",
                                        "coordinates_text"]].to_dict("records"))
        old_contents = dict(zip(old_keys, row_contents(old_table)))
    else:
        old_claims, old_keys, old_contents = None, [], {}
    novel = set()
    new_rows = changed_rows = 0
    changed_keys = set()
    for i, (k, c) in enumerate(zip(outcome.keys, outcome.contents)):
        if k not in old_contents:
            novel.add(i + 1)
            new_rows += 1
        elif old_contents[k] != c:
            novel.add(i + 1)
            changed_rows += 1
            changed_keys.add(k)
    # where the changed rows were then (unchanged rows are where they were: same boundaries)
    old_states: dict[str, dict[str, Any]] = {}
    then = [j for j, k in enumerate(old_keys) if k in changed_keys]
    if then:
        res = check_raw(take_raw(old_table, then), bset)
        old_states = {old_keys[j]: _state(fr) for j, fr in zip(then, res.records())}
    header_changed = list(old_raw.data.columns) != list(raw.data.columns)
    def in_scope(f: ValidationFinding) -> bool:
        if f.row is None:
            return header_changed
        # a repeat or a conflict counts when either row of the pair is new
        partner = f.data.get("first_row") or f.data.get("other_row")
        return f.row in novel or partner in novel

    kept = [f for f in outcome.findings if in_scope(f)]
    counts, notes = _changes(old_states, outcome, settings, shown, f"at {ref}", positions)
    removed = len(set(old_keys) - set(outcome.keys))
    return kept + notes, {"ref": ref, "file_new": False, "new_rows": new_rows,
                          "changed_rows": changed_rows, "removed_rows": removed,
                          "unchanged_rows": n - new_rows - changed_rows, **counts}


# ---------------------------------------------------------------------------
# baselines

BASELINE_VERSION = 1


def baseline_document(result: ValidationResult) -> dict[str, Any]:
    """The baseline of a run: every finding not allow-listed (file, row identity, code), the
    verdict and region of every row, and the boundary layers' hashes."""
    index = sorted({(f.file, f.key or "", f.code) for f in result.findings
                    if f.status != "allowed" and f.code != "verdict-changed"})
    counts = Counter((f.file, f.key or "", f.code) for f in result.findings
                     if f.status != "allowed" and f.code != "verdict-changed")
    return {
        "geoverify_baseline": BASELINE_VERSION,
        "geoverify_version": __version__,
        "boundaries": [{"name": b["name"], "sha256": b["sha256"]} for b in result.boundaries],
        "findings_index": [list(k) for k in index for _ in range(counts[k])],
        "files": {fr.path: {"sha256": fr.sha256, "rows": dict(sorted(fr.row_states.items()))}
                  for fr in sorted(result.files, key=lambda r: r.path)},
    }


def check_baseline(doc: Any, source: str) -> dict[str, Any]:
    """Check the shape of a baseline document (raises :class:`ConfigError`)."""
    if not isinstance(doc, dict) or doc.get("geoverify_baseline") != BASELINE_VERSION:
        raise ConfigError(f"baseline {source}: not a geoverify baseline (version "
                          f"{BASELINE_VERSION}); write one with --write-baseline")
    idx = doc.get("findings_index")
    if not isinstance(idx, list) or not all(
            isinstance(x, list) and len(x) == 3 and all(isinstance(y, str) for y in x)
            for x in idx):
        raise ConfigError(f"baseline {source}: findings_index must be a list of "
                          "[file, key, code] lists")
    if not isinstance(doc.get("files", {}), dict) or not isinstance(doc.get("boundaries", []), list):
        raise ConfigError(f"baseline {source}: files must be an object and boundaries a list")
    return doc


__all__ = ["CHECKS", "FileReport", "ValidationFinding", "ValidationResult", "baseline_document",
           "check_baseline", "rename_columns", "row_keys", "validate", "validate_table"]
