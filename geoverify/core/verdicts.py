"""Verdicts: does a located point agree with the place its publisher claimed?

Precedence (first that applies wins):

1. ``unlocated``  -- no usable coordinates;
2. ``unclaimed``  -- no claim (the point is still classified);
3. ``unresolved`` -- the claim names nothing known;
4. ``disputed``   -- the point is in a disputed area and the claim names the other claimant;
5. with ``d`` the distance from the point to the claimed unit's boundary shared with other
   units (coasts do not count) and ``u`` the row's uncertainty (stated accuracy of that kind of
   line + the row's ``precision_m``): inside and ``d > u`` -> ``match``; outside (on land) and
   ``d > u`` -> ``mismatch``; otherwise ``ambiguous``. A point in no polygon (at sea) is
   ``outside`` unless it lies within ``u`` of the claimed unit (then ``ambiguous``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from geoverify.core.claims import Unit
from geoverify.engine.locate import KIND_ACCURACY, PreparedBoundaries

VERDICTS = ("match", "mismatch", "ambiguous", "outside", "disputed", "unresolved",
            "unclaimed", "unlocated")


@dataclass
class Judgement:
    """The verdict for one row against one claimed unit."""

    verdict: str
    unit: Unit
    distance_to_claimed_m: float
    margin_m: float  # smallest d - u over the unit's kinds of line (negative: within band)
    detail: str


def judge_unit(prepared: PreparedBoundaries, unit: Unit, lon: float, lat: float,
               where: dict[str, Any], precision_m: float) -> Judgement:
    """Judge one point against one claimed unit (step 5 of the precedence).

    ``where`` is the point's row from :func:`geoverify.engine.locate.locate`.
    """
    acc = prepared.boundaries.accuracy_m
    located = bool(where["country_candidates"])
    waters = where.get("waters")
    if unit.level == "country":
        inside = unit.code in where["country_candidates"]
        if not located and waters:
            # at sea in a territorial sea: judged as that country's (its own lines decide)
            located = True
            inside = unit.code in waters.split("|")
    else:
        inside = unit.code in where["adm1_candidates"]
    kinds = ("country",) if unit.level == "country" else ("country", "region")
    margin = math.inf
    nearest_d = math.inf
    for kind in kinds:
        d = prepared.unit_lines(unit.level, unit.code, kind).distance(lon, lat)
        u = acc[KIND_ACCURACY[kind]] + precision_m
        nearest_d = min(nearest_d, d)
        margin = min(margin, d - u)
    if inside:
        dist_claimed = 0.0
    else:
        dist_claimed = prepared.unit_outline(unit.level, unit.code).distance(lon, lat)
    if inside and not where["country_candidates"]:
        verdict = "match" if margin > 0 else "ambiguous"
        detail = (f"in the territorial sea of {unit.name} ({unit.code}), {nearest_d:.0f} m from "
                  "its nearest land border")
    elif inside:
        verdict = "match" if margin > 0 else "ambiguous"
        detail = (f"inside {unit.name} ({unit.code}), {nearest_d:.0f} m from its nearest border "
                  "with another unit")
    elif located:
        verdict = "mismatch" if margin > 0 else "ambiguous"
        where_text = (f"in the territorial sea of {waters}, " if not where["country_candidates"]
                      else "")
        detail = f"{where_text}{dist_claimed:.0f} m outside {unit.name} ({unit.code})"
    else:
        u_sea = max(acc["coastline"], acc["country_border"]) + precision_m
        margin = dist_claimed - u_sea
        verdict = "outside" if margin > 0 else "ambiguous"
        detail = f"at sea or outside every unit, {dist_claimed:.0f} m from {unit.name} ({unit.code})"
    return Judgement(verdict, unit, dist_claimed, margin, detail)


_RANK = {"match": 0, "ambiguous": 1, "mismatch": 2, "outside": 3}


def combine(judgements: list[Judgement]) -> Judgement:
    """One verdict for a claim that names several units: the most favourable one wins."""
    return min(judgements, key=lambda j: (_RANK[j.verdict], j.distance_to_claimed_m))


def disputed_verdict(disputed: dict[str, Any] | None, units: list[Unit]) -> bool:
    """True when the point lies in a disputed area and the claim names the other claimant."""
    if not disputed:
        return False
    return any(u.level == "country" and u.code == disputed["by"] for u in units) or any(
        u.level == "adm1" and u.country == disputed["by"] for u in units)
