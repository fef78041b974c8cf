"""Verdicts: does a located point agree with the place its publisher claimed?

Precedence (first that applies wins):

1. ``unlocated``  -- no usable coordinates;
2. ``unclaimed``  -- no claim (the point is still classified);
3. ``unresolved`` -- the claim names nothing known;
4. ``disputed``   -- the point is in a disputed area and the claim names the other claimant;
5. for each unit the claim names: with ``d`` the distance from the point to a stretch of the
   unit's boundary shared with another unit (coasts do not count), ``a`` that stretch's stated
   accuracy and ``p`` the row's precision, the *margin* is the smallest ``d - a - p`` over the
   stretches; the stretch that gives it *decides*. Inside the unit and margin > 0 -> ``match``;
   outside it on land and margin > 0 -> ``mismatch``; otherwise ``ambiguous``. A point in no
   polygon (at sea) is ``outside`` unless it lies within ``max(coastline, country border
   accuracy) + p`` of the claimed unit (then ``ambiguous``); a point in a country's territorial
   sea is judged for a country-level claim as if on that country's land.

A claim naming several units takes the most favourable verdict (match, ambiguous, mismatch,
outside), then the nearest unit. Everything here works on arrays of (row, unit) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geoverify.core.claims import Unit
from geoverify.engine.lines import NEAR_M

VERDICTS = ("match", "mismatch", "ambiguous", "outside", "disputed", "unresolved",
            "unclaimed", "unlocated")

#: Verdict codes of a judged pair, in order of preference when a claim names several units.
MATCH, AMBIGUOUS, MISMATCH, OUTSIDE = 0, 1, 2, 3
JUDGED = ("match", "ambiguous", "mismatch", "outside")


@dataclass
class Judgements:
    """The verdict of each (row, unit) pair and what it rests on.

    ``inside``: the point is in the unit; ``on_land``: in some unit or, for a country-level
    claim, in a territorial sea; ``sea``: in a territorial sea (no unit) yet judged as land.
    ``margin_m`` is the smallest distance minus stated accuracy minus precision (for a point
    at sea: the distance to the unit minus the coastal band); ``decided_m``, ``band_m`` and
    ``piece`` describe the stretch of boundary that decided (``piece`` -1 at sea or when the
    unit shares no boundary); ``distance_to_claimed_m`` is 0 inside, else the distance to the
    unit's outline.
    """

    verdict: np.ndarray
    inside: np.ndarray
    on_land: np.ndarray
    sea: np.ndarray
    margin_m: np.ndarray
    decided_m: np.ndarray
    band_m: np.ndarray
    piece: np.ndarray
    nearest_m: np.ndarray
    distance_to_claimed_m: np.ndarray
    order_m: np.ndarray  # distance to the claimed unit, or its lower bound where out of reach


class PairUnits:
    """The claimed unit of each (row, unit) pair, as an index into a short list of distinct
    units: ``uid`` the index of each pair's unit in ``units``; ``level`` and ``code`` arrays
    over the pairs."""

    def __init__(self, units: list[Unit], uid) -> None:
        self.units = list(units)
        self.uid = np.asarray(uid, dtype=np.int64)
        lv = np.array([u.level for u in self.units] or [None], dtype=object)
        cd = np.array([u.code for u in self.units] or [None], dtype=object)
        self.level = lv[self.uid] if len(self.uid) else np.zeros(0, dtype=object)
        self.code = cd[self.uid] if len(self.uid) else np.zeros(0, dtype=object)


def _contains(codes_single, multi_sets, pair_row, code) -> np.ndarray:
    """Whether each pair's row has ``code[k]`` among its candidates."""
    out = codes_single[pair_row] == code
    for k in np.flatnonzero(np.isin(pair_row, list(multi_sets))).tolist():
        out[k] = code[k] in multi_sets[int(pair_row[k])]
    return out


def judge(index, loc, lon, lat, precision, pair_row, pairs: PairUnits,
          lower_m=None, groups: dict[str, tuple[str, ...]] | None = None) -> Judgements:
    """Judge every (row, unit) pair (step 5 of the precedence).

    ``pair_row`` is each pair's row and ``pairs`` its claimed unit; ``loc`` is
    :meth:`~geoverify.engine.index.BoundaryIndex.locate`'s answer for the rows; ``precision``
    the rows' precision in metres (0 when none); ``lower_m`` an optional lower bound per row
    on the distance to any boundary line (see
    :meth:`~geoverify.engine.index.BoundaryIndex.unit_margin`); ``groups`` maps a region's
    code to the codes judged as one with it (itself and the cities it encloses, with
    ``cities_in_regions``): inside any member is inside, lines between members do not count.
    """
    pair_row = np.asarray(pair_row, dtype=np.int64)
    m = len(pair_row)
    level, code = pairs.level, pairs.code
    is_country = level == "country"
    # candidates of each row (sets only for the few rows on a shared edge)
    multi_c = {i: set(loc.country_candidates(i, index)) for i in loc.multi}
    multi_a = {i: set(loc.adm1_candidates(i, index)) for i in loc.multi}
    single_c = np.where(loc.unit >= 0, index.unit_country[np.maximum(loc.unit, 0)], None)
    single_a = np.where((loc.unit >= 0) & index.unit_is_adm1[np.maximum(loc.unit, 0)],
                        index.unit_code[np.maximum(loc.unit, 0)], None)
    in_country = _contains(single_c, multi_c, pair_row, code)
    in_adm1 = _contains(single_a, multi_a, pair_row, code)
    groups = groups or {}
    if groups:
        grouped = np.flatnonzero(~is_country & np.isin(code, list(groups)))
        for k in grouped.tolist():
            if not in_adm1[k]:
                r = int(pair_row[k])
                members = groups[code[k]]
                in_adm1[k] = (single_a[r] in members) if r not in multi_a else bool(
                    multi_a[r] & set(members))
    inside = np.where(is_country, in_country, in_adm1)
    located = loc.unit[pair_row] != -1
    sea = np.zeros(m, dtype=bool)
    for k in np.flatnonzero(is_country & ~located).tolist():
        w = loc.waters[pair_row[k]]
        if w:
            sea[k] = True
            inside[k] = code[k] in w.split("|")
    on_land = located | sea
    prec = precision[pair_row]

    margin = np.full(m, np.inf)
    decided = np.full(m, np.inf)
    band = np.full(m, np.nan)
    piece = np.full(m, -1, dtype=np.int64)
    nearest = np.full(m, np.inf)
    dist_claimed = np.zeros(m)  # NaN: farther than could be measured (``claimed_lower``)
    claimed_lower = np.zeros(m)
    acc = index.accuracy
    u_sea = max(acc.get("coastline", 0.0), acc.get("country_border", 0.0)) + prec
    order = np.argsort(pairs.uid, kind="stable")
    cuts = np.flatnonzero(np.diff(pairs.uid[order])) + 1
    runs = np.split(order, cuts) if m else []
    # the lines of the units judged last are prepared on the helper thread meanwhile
    index.build_ahead([(pairs.units[int(pairs.uid[ks[0]])].level,
                        pairs.units[int(pairs.uid[ks[0]])].code) for ks in runs])
    for ks in runs:
        unit = pairs.units[int(pairs.uid[ks[0]])]
        lv, cd = unit.level, unit.code
        rows = pair_row[ks]
        group = groups.get(cd) if lv == "adm1" else None
        r = index.unit_margin(lv, cd, lon[rows], lat[rows], prec[ks],
                              None if lower_m is None else lower_m[rows], group=group)
        margin[ks] = r.margin_m - prec[ks]
        decided[ks] = r.distance_m
        band[ks] = r.accuracy_m + prec[ks]
        piece[ks] = r.piece
        nearest[ks] = r.nearest_m
        out = ks[~inside[ks]]
        if len(out):
            r = index.unit_distance(lv, cd, lon[pair_row[out]], lat[pair_row[out]],
                                    exact_within=u_sea[out] + NEAR_M)
            dist_claimed[out] = r.distance_m
            claimed_lower[out] = r.lower_m
            for member in (group or ())[1:]:  # the nearest member of the group
                r = index.unit_distance(lv, member, lon[pair_row[out]], lat[pair_row[out]],
                                        exact_within=u_sea[out] + NEAR_M)
                dist_claimed[out] = np.fmin(dist_claimed[out], r.distance_m)
                claimed_lower[out] = np.minimum(claimed_lower[out], r.lower_m)
    at_sea = ~on_land & ~inside
    margin = np.where(at_sea, np.where(np.isnan(dist_claimed), claimed_lower, dist_claimed)
                      - u_sea, margin)
    decided = np.where(at_sea, dist_claimed, decided)
    band = np.where(at_sea, u_sea, band)
    piece = np.where(at_sea, -1, piece)
    positive = margin > 0
    order_m = np.where(np.isnan(dist_claimed), claimed_lower, dist_claimed)
    verdict = np.where(inside, np.where(positive, MATCH, AMBIGUOUS),
                       np.where(on_land, np.where(positive, MISMATCH, AMBIGUOUS),
                                np.where(positive, OUTSIDE, AMBIGUOUS))).astype(np.int8)
    return Judgements(verdict, inside, on_land, sea, margin, decided, band, piece, nearest,
                      dist_claimed, order_m)


def best_pairs(j: Judgements, pair_row: np.ndarray, n_rows: int) -> np.ndarray:
    """For each row, the index of its most favourable pair (-1 for rows without pairs):
    lowest verdict code, then smallest distance to the claimed unit, then first named."""
    best = np.full(n_rows, -1, dtype=np.int64)
    if len(pair_row) == 0:
        return best
    order = np.lexsort((np.arange(len(pair_row)), j.order_m, j.verdict, pair_row))
    rows = pair_row[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    best[rows[first]] = order[first]
    return best


def disputed_rows(by: np.ndarray, claim_units: list[list[Unit]], claim_of_row: np.ndarray
                  ) -> np.ndarray:
    """Rows in a disputed area whose claim names the other claimant (a country, or one of its
    regions)."""
    out = np.zeros(len(by), dtype=bool)
    for i in np.flatnonzero((claim_of_row >= 0) & (by != None)).tolist():  # noqa: E711
        who = by[i]
        units = claim_units[claim_of_row[i]]
        out[i] = any(u.level == "country" and u.code == who for u in units) or any(
            u.level == "adm1" and u.country == who for u in units)
    return out
