"""The check pipeline: claims -> where each frame is -> verdicts -> per-clip tallies."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geoverify._version import __version__
from geoverify.core.claims import name_index
from geoverify.core.findings import FindingList
from geoverify.core.tally import tally_by_clip
from geoverify.core.verdicts import combine, disputed_verdict, judge_unit
from geoverify.engine.locate import classify_points, prepare

#: Finding that accompanies each verdict (same vocabulary as ``validate``).
VERDICT_FINDING = {
    "mismatch": "claim-mismatch",
    "ambiguous": "near-border",
    "outside": "outside-boundaries",
    "disputed": "disputed-area",
}

FRAME_FIELDS = (
    "row", "id", "clip", "frame", "lon", "lat", "coordinates_text", "notation", "country",
    "adm1", "waters", "disputed", "distance_to_border_m", "distance_to_region_border_m", "claimed",
    "claim", "distance_to_claimed_m", "verdict", "findings", "source", "date", "precision_m",
    "role", "controlled_by", "extra",
)


CLIP_COLUMNS = ["clip", "rows", "by_country", "by_adm1", "by_verdict", "by_role", "summary"]


def frames_frame(rows: list[dict[str, Any]]):
    """Frame dicts (the JSON contract) as a GeoDataFrame with point geometry, in order."""
    import geopandas as gpd

    geometry = gpd.points_from_xy(
        [r["lon"] if r["lon"] is not None else np.nan for r in rows],
        [r["lat"] if r["lat"] is not None else np.nan for r in rows], crs="EPSG:4326")
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=list(FRAME_FIELDS), dtype=object),
                            geometry=geometry)


def _round(v: float | None, nd: int = 1) -> float | None:
    if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
        return None
    return round(float(v), nd)


@dataclass
class CheckResult:
    """The outcome of :func:`geoverify.check`.

    Attributes
    ----------
    frames
        GeoDataFrame, one row per input row in input order (geometry empty when unlocated).
    clips
        DataFrame, one row per clip in order of first appearance.
    """

    frames: Any
    clips: pd.DataFrame
    input: dict[str, Any]
    boundaries: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (see ``geoverify/schema/report.schema.json``)."""
        return {
            "geoverify_version": __version__,
            "input": dict(self.input),
            "boundaries": [dict(b) for b in self.boundaries],
            "frames": frame_records(self.frames),
            "clips": self.clips.to_dict("records"),
        }


def frame_records(frames) -> list[dict[str, Any]]:
    """Frames as plain dicts in the JSON contract's field order."""
    recs = pd.DataFrame(frames[list(FRAME_FIELDS)]).to_dict("records")
    for r in recs:
        for k in ("lon", "lat", "precision_m", "distance_to_border_m",
                  "distance_to_region_border_m", "distance_to_claimed_m"):
            v = r[k]
            r[k] = None if v is None or (isinstance(v, float) and math.isnan(v)) else v
    return recs


def run_check(claims: pd.DataFrame, boundaries, *, input_info: dict[str, Any],
              control=None) -> CheckResult:
    """Classify and judge normalised claims (from :func:`geoverify.core.table.normalise_claims`).

    ``control`` is an optional dated control layer (GeoDataFrame with ``party``, ``valid_from``,
    ``valid_to``): each frame then gets ``controlled_by`` as of its own ``date``.
    """

    prepared = prepare(boundaries)
    names = name_index(boundaries)
    lon = claims["lon"].to_numpy(dtype=float)
    lat = claims["lat"].to_numpy(dtype=float)
    where = classify_points(prepared, lon, lat)
    adm0_names = dict(zip(boundaries.countries["code"], boundaries.countries["name"]))
    adm1_names = dict(zip(boundaries.units["code"], boundaries.units["name"]))
    resolutions: dict[str, Any] = {}
    controlled = [None] * len(claims)
    if control is not None:
        from geoverify.boundaries.control import controlled_by

        controlled = controlled_by(control, lon, lat, claims["date"].tolist())

    rows: list[dict[str, Any]] = []
    for i, c in enumerate(claims.itertuples(index=False)):
        row = c.row
        findings = FindingList(row, c.findings)
        add = findings.add

        located_pt = not (math.isnan(lon[i]) or math.isnan(lat[i]))
        w = where.iloc[i]
        country = w["country"]
        adm1 = w["adm1"]
        offshore = w["offshore_m"]
        if located_pt and offshore == offshore:  # not NaN
            add("near-coast", "coordinates", c.coordinates_text,
                f"row {row}: the point is {offshore:.0f} m off the simplified coastline, within "
                f"its stated accuracy of {boundaries.accuracy_m['coastline']:.0f} m; taken as on "
                "the nearest land")
        if located_pt and len(w["country_candidates"]) > 1:
            add("on-border", "coordinates", c.coordinates_text,
                f"row {row}: the point lies exactly on the border of "
                + " and ".join(w["country_candidates"]) + "; it is assigned to neither")
        elif located_pt and adm1 is None and len(w["adm1_candidates"]) > 1:
            add("on-border", "coordinates", c.coordinates_text,
                f"row {row}: the point lies exactly on the boundary of regions "
                + " and ".join(w["adm1_candidates"]) + "; it is assigned to neither")
        precision = float(c.precision_m) if c.precision_m is not None and not (
            isinstance(c.precision_m, float) and math.isnan(c.precision_m)) else 0.0
        claim_obj = None
        dist_claimed = None
        if not located_pt:
            verdict = "unlocated"
            if not any(f.code in ("missing-coordinates", "unparseable-coordinates", "out-of-range")
                       for f in findings):
                add("missing-coordinates", "coordinates", None, f"row {row}: no coordinates")
        elif c.claimed is None:
            verdict = "unclaimed"
        else:
            res = resolutions.get(c.claimed)
            if res is None:
                res = resolutions[c.claimed] = names.resolve(c.claimed)
            for code, message in res.problems:
                add(code, "claimed", c.claimed, f"row {row}: {message}")
            if not res.units:
                verdict = "unresolved"
            elif disputed_verdict(w["disputed"], res.units):
                verdict = "disputed"
                unit = res.units[0]
                claim_obj = unit.to_dict()
                dist_claimed = 0.0 if unit.code in (country, adm1) else None
                d = w["disputed"]
                owner = country or w.get("waters")
                place = (adm1_names.get(adm1, adm1) if adm1
                         else f"the territorial sea of {adm0_names.get(owner, owner)}")
                add("disputed-area", "claimed", c.claimed,
                    f"row {row}: the point is in {place}, internationally recognised as "
                    f"{adm0_names.get(owner, owner)} and claimed by {d['by']} since {d['since']}; "
                    "the claim names the other claimant")
            else:
                judgements = [judge_unit(prepared, u, float(lon[i]), float(lat[i]), w, precision)
                              for u in res.units]
                best = combine(judgements)
                verdict = best.verdict
                claim_obj = best.unit.to_dict()
                dist_claimed = best.distance_to_claimed_m
                if verdict in VERDICT_FINDING:
                    why = {"ambiguous": "; that is within the stated accuracy of the boundary "
                                        "data plus the row's precision, so it cannot be told",
                           "mismatch": "; the claim is contradicted",
                           "outside": "; the point is in no country's land area"}[verdict]
                    add(VERDICT_FINDING[verdict], "claimed", c.claimed, f"row {row}: {best.detail}{why}")
        rows.append({
            "row": row,
            "id": c.id,
            "clip": c.clip,
            "frame": c.frame,
            "lon": float(lon[i]) if located_pt else None,
            "lat": float(lat[i]) if located_pt else None,
            "coordinates_text": c.coordinates_text,
            "notation": c.notation,
            "country": {"code": country, "name": adm0_names.get(country, country)} if country else None,
            "adm1": {"code": adm1, "name": adm1_names.get(adm1, adm1)} if adm1 else None,
            "waters": ({"code": w["waters"], "name": adm0_names.get(w["waters"], w["waters"])}
                       if located_pt and w.get("waters") else None),
            "disputed": w["disputed"],
            "distance_to_border_m": _round(w["distance_to_border_m"]) if located_pt else None,
            "distance_to_region_border_m": _round(w["distance_to_region_border_m"]) if located_pt else None,
            "claimed": c.claimed,
            "claim": claim_obj,
            "distance_to_claimed_m": _round(dist_claimed),
            "verdict": verdict,
            "findings": [{"code": f.code, "severity": f.severity, "field": f.field,
                          "message": f.message} for f in findings],
            "source": c.source,
            "date": c.date,
            "precision_m": _round(c.precision_m, 3) if c.precision_m is not None else None,
            "role": c.role,
            "controlled_by": controlled[i],
            "extra": c.extra,
        })
    frames = frames_frame(rows)
    clips = pd.DataFrame(tally_by_clip(rows), dtype=object, columns=CLIP_COLUMNS)
    provenance = list(boundaries.provenance)
    if control is not None:
        provenance.append(_control_provenance(control))
    return CheckResult(frames=frames, clips=clips, input=input_info, boundaries=provenance)


def _control_provenance(control) -> dict[str, Any]:
    import hashlib

    import shapely

    h = hashlib.sha256()
    for wkb in shapely.to_wkb(control.geometry.values):
        h.update(wkb)
    h.update(control.drop(columns=control.geometry.name).to_csv(index=False).encode("utf-8"))
    digest = h.hexdigest()
    meta = control.attrs.get("provenance", {}) if hasattr(control, "attrs") else {}
    return {"name": meta.get("name", "control"), "level": "CONTROL",
            "source": meta.get("source", "user-supplied dated control layer"),
            "version": meta.get("version", ""), "licence": meta.get("licence", "unknown"),
            "attribution": meta.get("attribution", ""), "sha256": meta.get("sha256", digest),
            "accuracy_m": {}}
