"""Worldviews and dated control layers.

A *worldview* decides which country a disputed area counts as:

``de-jure`` (default)
    the set as built: disputed areas count as their de-jure country (``de_jure`` column);
``de-facto``
    every disputed area counts as the party that holds it (``de_facto`` column of the disputed
    table when it has one, else ``claimant``);
a country code (``RU``, ``UA``, ...)
    that country's view: the areas it claims count as its own;
an area name from the disputed table (``Sevastopol``)
    only that area counts as its claimant.

:func:`apply_worldview` returns a modified :class:`~geoverify.boundaries.BoundarySet`; the unit
geometry is unchanged, only the country each disputed region belongs to (and therefore which
border lines are country borders). In the returned set the disputed table's ``claimant`` is the
*other* party, so a claim naming it is still reported as ``disputed``.

A *control layer* is a user's polygons of who controlled what and when: columns ``party`` (or
``controlled_by``), ``valid_from`` and ``valid_to`` (dates; empty = open-ended; ``valid_to`` is
exclusive). :func:`controlled_by` tells, for each frame, the party in control *on the frame's own
date*.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geoverify.boundaries.registry import embedded_countries
from geoverify.errors import ConfigError
from geoverify.io.boundaries import file_sha256, read_vector, to_wgs84

WORLDVIEWS = ("de-jure", "de-facto")


def worldview_names(disputed) -> list[str]:
    """Every worldview a disputed table allows: de-jure, de-facto, its claimants, its areas."""
    out = list(WORLDVIEWS)
    if disputed is not None and len(disputed):
        out += sorted(set(disputed["claimant"].astype(str)) | set(disputed["de_jure"].astype(str)))
        out += list(disputed["area"].astype(str))
    return out


def _assignments(disputed, worldview: str) -> dict[int, str]:
    """Disputed-table row -> country it counts as under ``worldview`` (rows that change only)."""
    wv = worldview.strip()
    out: dict[int, str] = {}
    if wv.lower() == "de-jure":
        return out
    has_facto = "de_facto" in disputed.columns
    areas = {str(a).casefold(): i for i, a in enumerate(disputed["area"])}
    parties = set(disputed["claimant"].astype(str)) | set(disputed["de_jure"].astype(str))
    for i, row in enumerate(disputed.to_dict("records")):
        if wv.lower() == "de-facto":
            holder = (row.get("de_facto") if has_facto else None) or row["claimant"]
            out[i] = holder
        elif wv.upper() in parties:
            if row["claimant"] == wv.upper():
                out[i] = wv.upper()
        elif wv.casefold() in areas:
            if areas[wv.casefold()] == i:
                out[i] = row["claimant"]
        else:
            raise ConfigError(
                f"unknown worldview {worldview!r}; choose one of "
                f"{', '.join(worldview_names(disputed))}")
    return {i: c for i, c in out.items() if c and c != disputed.iloc[i]["de_jure"]}


def apply_worldview(bset, worldview: str):
    """A copy of ``bset`` in which disputed areas count as the country ``worldview`` says.

    Raises
    ------
    ConfigError
        When the worldview is not ``de-jure``, ``de-facto``, a party or an area of the set's
        disputed table.
    """
    disputed = bset.disputed
    if disputed is None or not len(disputed):
        if worldview.strip().lower() in WORLDVIEWS:
            return bset
        raise ConfigError(f"unknown worldview {worldview!r}: the set {bset.name!r} has no "
                          "disputed areas; choose de-jure or de-facto")
    switch = _assignments(disputed, worldview)
    if not switch and worldview.strip().lower() == "de-jure":
        return bset
    unit_country: dict[str, str] = {}
    d = disputed.copy().astype(object)
    d["counted_as"] = d["de_jure"]
    for i, target in switch.items():
        row = disputed.iloc[i]
        for code in str(row["adm1_codes"]).split("|"):
            if code.strip():
                unit_country[code.strip()] = target
        d.iloc[i, d.columns.get_loc("counted_as")] = target
        other = row["de_jure"] if target == row["claimant"] else row["claimant"]
        d.iloc[i, d.columns.get_loc("claimant")] = other
    units = bset.units.copy()
    units["country"] = [unit_country.get(c, k) if lv == "adm1" else k
                        for c, k, lv in zip(units["code"], units["country"], units["level"])]
    country_of = dict(zip(units["code"], units["country"]))
    borders = bset.borders.copy()
    borders["a_country"] = borders["a"].map(country_of)
    borders["b_country"] = borders["b"].map(country_of)
    borders["kind"] = np.where(borders["a_country"] == borders["b_country"], "region", "country")
    countries = bset.countries
    missing = sorted(set(units["country"]) - set(countries["code"]))
    if missing:
        known = embedded_countries()
        extra = known[known["code"].isin(missing)]
        countries = pd.concat([countries, extra], ignore_index=True)
    digest = hashlib.sha256(d.to_csv(index=False).encode("utf-8")).hexdigest()
    prov = [*bset.provenance, {
        "name": "worldview", "level": "ADM1",
        "source": f"worldview {worldview!r}: disputed areas counted as "
                  + ", ".join(f"{r['area']} -> {r['counted_as']}" for r in d.to_dict("records")),
        "version": worldview, "licence": "MIT (written for geoverify)", "attribution": "",
        "sha256": digest, "accuracy_m": {}}]
    return dataclasses.replace(bset, name=f"{bset.name}@{worldview}", countries=countries,
                               units=units, borders=borders, disputed=d, provenance=prov,
                               names=None, _cache={})


# --------------------------------------------------------------------------- control layers

def _to_dates(values) -> pd.Series:
    return pd.to_datetime(pd.Series(list(values), dtype=object), errors="coerce", utc=False,
                          format="mixed")


def prepare_control(control_gdf):
    """Validate a control layer and normalise it to ``party``, ``valid_from``, ``valid_to``."""
    g = control_gdf
    party = "party" if "party" in g.columns else "controlled_by" if "controlled_by" in g.columns \
        else None
    missing = [c for c in ("valid_from", "valid_to") if c not in g.columns]
    if party is None or missing:
        raise ConfigError(
            "a control layer needs the columns party (or controlled_by), valid_from and "
            f"valid_to; it has {', '.join(c for c in g.columns if c != g.geometry.name)}")
    if g.crs is not None and g.crs.to_epsg() != 4326:
        g = to_wgs84(g)
    out = pd.DataFrame({"party": g[party].astype(object).to_numpy(),
                        "valid_from": _to_dates(g["valid_from"]).to_numpy(),
                        "valid_to": _to_dates(g["valid_to"]).to_numpy()})
    bad = out["valid_to"].notna() & out["valid_from"].notna() & (out["valid_to"] <= out["valid_from"])
    if bad.any():
        raise ConfigError(f"control layer features {np.flatnonzero(bad.to_numpy()).tolist()} end "
                          "before they start (valid_to <= valid_from)")
    return out, np.asarray(g.geometry.values)


def controlled_by(control_gdf, lon, lat, dates) -> list[str | None]:
    """The party controlling each point on its own date.

    A feature applies when the point is in (or on the edge of) its polygon and
    ``valid_from <= date < valid_to`` (an empty bound is open). Several parties at once give
    ``"A|B"`` (sorted); no feature, no date or no coordinates give ``None``.
    """
    table, geoms = prepare_control(control_gdf)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    when = _to_dates(dates)
    out: list[str | None] = [None] * len(lon)
    ok = ~(np.isnan(lon) | np.isnan(lat)) & when.notna().to_numpy()
    if not ok.any() or not len(geoms):
        return out
    idx = np.flatnonzero(ok)
    pi, gi = shapely.STRtree(geoms).query(shapely.points(lon[idx], lat[idx]),
                                          predicate="intersects")
    found: dict[int, set[str]] = {}
    vf = table["valid_from"].to_numpy()
    vt = table["valid_to"].to_numpy()
    parties = table["party"].to_numpy()
    for p, g in zip(pi.tolist(), gi.tolist()):
        i = int(idx[p])
        t = when.iloc[i]
        if not pd.isna(vf[g]) and t < vf[g]:
            continue
        if not pd.isna(vt[g]) and t >= vt[g]:
            continue
        found.setdefault(i, set()).add(str(parties[g]))
    for i, s in found.items():
        out[i] = "|".join(sorted(s))
    return out


def control_report(control_gdf, claims) -> list[dict[str, Any]]:
    """``row``, ``date``, ``lon``, ``lat``, ``controlled_by`` for every row of a claims frame."""
    res = controlled_by(control_gdf, claims["lon"].astype(float), claims["lat"].astype(float),
                        claims["date"])
    return [{"row": int(r), "date": d, "lon": x, "lat": y, "controlled_by": c}
            for r, d, x, y, c in zip(claims["row"], claims["date"], claims["lon"], claims["lat"],
                                     res)]


def read_control(control):
    """A control layer given as a path (read, reprojected to WGS 84, its provenance recorded
    in ``attrs``) or a GeoDataFrame (returned as it is); ``None`` stays ``None``."""
    if control is None or not isinstance(control, (str, Path)):
        return control
    gdf = to_wgs84(read_vector(control))
    gdf.attrs["provenance"] = {"name": Path(control).name, "source": str(control),
                               "sha256": file_sha256(control)}
    return gdf
