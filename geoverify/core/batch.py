"""The one batch function: claims in, frames out, column by column.

:func:`check_batch` takes a :class:`~geoverify.core.table.ClaimsBatch` and gives a
:class:`Frames`: for every input row, where the point is (country, region, territorial
waters, disputed status), its distances to the nearest land border and to the nearest
boundary between any two units, what the claim resolves to, the verdict, the boundary stretch
that decided it, and its findings. Every step works on whole arrays: locate, resolve each
distinct claim once, distances, verdicts, findings (messages are formatted for the rows that
have them, on whole columns too). The executors in :mod:`geoverify.run` (in memory, streaming,
Dask) only feed batches to it and collect the frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geoverify import arrowtext
from geoverify.arrowtext import factorize, member, text_array, unique_ints
from geoverify.boundaries.control import controlled_by
from geoverify.core.claims import Resolution, Unit, name_index
from geoverify.core.findings import FindingsBuilder
from geoverify.core.table import ClaimsBatch
from geoverify.core.verdicts import (
    JUDGED,
    MATCH,
    MISMATCH,
    OUTSIDE,
    PairUnits,
    best_pairs,
    disputed_rows,
    judge,
)
from geoverify.engine.index import BoundaryIndex, boundary_index
from geoverify.engine.lines import NEAR_M

#: Finding that accompanies each verdict (same vocabulary as ``validate``).
VERDICT_FINDING = {
    "mismatch": "claim-mismatch",
    "ambiguous": "near-border",
    "outside": "outside-boundaries",
    "disputed": "disputed-area",
}

#: ``seq`` of the findings added here (after those of :func:`~geoverify.core.table.normalise`).
SEQ_COAST, SEQ_ON_BORDER, SEQ_MISSING, SEQ_CLAIM, SEQ_VERDICT = 40, 50, 60, 70, 80

#: The flat frame columns (CSV, Parquet, DataFrame), in order; ``extra.<name>`` follow.
FRAME_COLUMNS = (
    "row", "id", "clip", "frame", "lon", "lat", "coordinates_text", "notation",
    "country_code", "country_name", "adm1_code", "adm1_name", "waters_code", "waters_name",
    "disputed_by", "disputed_since", "distance_to_border_m", "distance_to_region_border_m",
    "claimed", "claim_level", "claim_code", "claim_name", "distance_to_claimed_m",
    "decision_distance_m", "decision_band_m", "decision_line", "verdict", "source", "date",
    "precision_m", "role", "controlled_by",
)
#: Columns holding metres (rounded to 0.1 m in reports).
DISTANCE_COLUMNS = ("distance_to_border_m", "distance_to_region_border_m",
                    "distance_to_claimed_m", "decision_distance_m", "decision_band_m")


@dataclass
class CheckContext:
    """What every batch of one run shares: the boundary set, its index, the claim names
    (each distinct claim text is resolved once per run) and an optional control layer."""

    boundaries: Any
    index: BoundaryIndex
    names: Any
    control: Any = None
    #: count a point in a city with special status as in the region that encloses it (Kyiv in
    #: Kyiv Oblast) when the claim names that region: CLI ``--cities-in-regions``, config key
    #: ``cities_in_regions``; off by default (strict)
    cities_in_regions: bool = False
    _resolved: dict[str, Resolution] = field(default_factory=dict)

    def resolve(self, text: str) -> Resolution:
        res = self._resolved.get(text)
        if res is None:
            if len(self._resolved) > 200_000:  # endless distinct texts: bounded memory
                self._resolved.clear()
            res = self._resolved[text] = self.names.resolve(text)
        return res


def context(boundaries, control=None, *, cities_in_regions: bool = False) -> CheckContext:
    """A :class:`CheckContext` for a loaded boundary set."""
    return CheckContext(boundaries, boundary_index(boundaries), name_index(boundaries), control,
                        cities_in_regions=bool(cities_in_regions))


def settings_of(ctx: CheckContext) -> dict[str, Any]:
    """The settings that change verdicts, as a report records them."""
    return {"cities_in_regions": bool(ctx.cities_in_regions)}


@dataclass
class Frames:
    """Checked frames of one batch, column-wise.

    ``columns`` holds :data:`FRAME_COLUMNS` (numpy arrays for numbers, numpy object arrays or
    Arrow string arrays for text); ``extra`` the input's other columns; ``findings`` one row
    per finding (``pos`` is the 0-based position in this batch).
    """

    columns: dict[str, Any]
    extra: dict[str, pa.Array]
    findings: pd.DataFrame

    def __len__(self) -> int:
        return len(self.columns["row"])


# ---------------------------------------------------------------------------------------------
# text on whole columns


def _s(values) -> pa.Array:
    """Any array of text (or None) as an Arrow string array."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    return text_array(values)


def _join(*parts) -> pa.Array:
    """Concatenate text columns and constants element-wise (:func:`arrowtext.join`)."""
    return arrowtext.join(parts)


def fmt_metres(d: np.ndarray) -> pa.Array:
    """``730 m`` below 10 km, ``12.3 km`` from there on, for a column of metres; a distance
    that was not measured (NaN: beyond reach) reads ``more than 25 km``."""
    unknown = f"more than {NEAR_M / 1000:.0f} km"
    if arrowtext.native():
        return arrowtext.metres_text(d, unknown)
    return _fmt_metres_arrow(d, unknown)


def _fmt_metres_arrow(d: np.ndarray, unknown_text: str) -> pa.Array:
    raw = np.asarray(d, dtype=float)
    unknown = ~np.isfinite(raw)
    d = np.where(unknown, 0.0, raw)
    small = d < 10_000
    metres = pc.cast(pa.array(np.round(np.where(small, d, 0)).astype(np.int64)), pa.string())
    tenths = np.round(np.where(small, 0, d) / 100.0).astype(np.int64)
    km = _join(pc.cast(pa.array(tenths // 10), pa.string()), ".",
               pc.cast(pa.array(tenths % 10), pa.string()), " km")
    text = pc.if_else(pa.array(small), _join(metres, " m"), km)
    if unknown.any():
        text = pc.if_else(pa.array(unknown), pa.scalar(unknown_text), text)
    return text


def _labels(codes: np.ndarray, names: dict) -> pa.Array:
    """``Name (CODE)`` for a column of codes (null for None)."""
    return text_by_values(lambda c: None if c is None else f"{names.get(c, c)} ({c})", codes)


def text_by_values(fmt, *columns) -> pa.Array:
    """``fmt(*values)`` for each row of the columns (object arrays; None for a missing value)
    as an Arrow string array (``fmt`` may return None: null), called once per distinct
    combination of values instead of once per row."""
    n = len(columns[0])
    key = np.zeros(n, dtype=np.int64)
    sizes, values = [], []
    for col in columns:
        ids, uniq = factorize(col)
        size = len(uniq) + 1  # 0 for None
        key = key * size + (ids + 1)
        sizes.append(size)
        values.append([None, *uniq.tolist()])
    distinct, inverse = unique_ints(key)
    texts = []
    for k in distinct.tolist():
        row = []
        for size, vals in zip(reversed(sizes), reversed(values)):
            row.append(vals[k % size])
            k //= size
        texts.append(fmt(*reversed(row)))
    return pa.array(texts, type=pa.string()).take(pa.array(inverse))


# ---------------------------------------------------------------------------------------------
# the batch


def check_batch(batch: ClaimsBatch, ctx: CheckContext) -> Frames:
    """Check one batch of normalised claims (see the module docstring)."""
    index = ctx.index
    d = batch.data
    n = len(batch)
    rows = d["row"]
    lon, lat = d["lon"], d["lat"]
    located = np.isfinite(lon) & np.isfinite(lat)
    prec = np.where(np.isnan(d["precision_m"]), 0.0, d["precision_m"])
    index.load_ahead(n)  # first batch: the engine loads on the helper while lines are measured
    near_line = index.nearest_line(lon, lat)
    d_border = index.nearest_border(lon, lat, hint=near_line).distance_m
    d_region = near_line.distance_m
    loc = index.locate(lon, lat)

    # each distinct claim once
    claimed = d["claimed"]
    enc = pc.dictionary_encode(claimed)
    claim_of_row = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False),
                              dtype=np.int64)
    texts = enc.dictionary.to_pylist()
    resolutions = [ctx.resolve(t) for t in texts]
    units_of = [r.units for r in resolutions]
    # the distinct units the claims name, and each claim's as indices into them
    unit_ids: dict[Unit, int] = {}
    claim_uids = [[unit_ids.setdefault(u, len(unit_ids)) for u in units] for units in units_of]
    n_units = np.array([len(x) for x in claim_uids] + [0], dtype=np.int64)  # [-1]: no claim
    has_claim = claim_of_row >= 0
    resolved = n_units[claim_of_row] > 0

    verdict = np.full(n, None, dtype=object)
    verdict[~located] = "unlocated"
    verdict[located & ~has_claim] = "unclaimed"
    verdict[located & has_claim & ~resolved] = "unresolved"
    disputed = located & resolved & disputed_rows(loc.disputed_by, units_of, claim_of_row)
    verdict[disputed] = "disputed"
    judged = located & resolved & ~disputed

    # (row, unit) pairs of the judged rows; with cities_in_regions, a claimed region is
    # judged together with the cities it encloses
    groups: dict[str, tuple[str, ...]] = {}
    if ctx.cities_in_regions:
        for city, region in sorted(index.enclosing_regions().items()):
            groups[region] = groups.get(region, (region,)) + (city,)
    jrows = np.flatnonzero(judged)
    counts = n_units[claim_of_row[jrows]]
    pair_row = np.repeat(jrows, counts)
    flat = np.array([i for ids in claim_uids for i in ids], dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(n_units[:-1])])[claim_of_row[jrows]]
    within = np.arange(len(pair_row)) - np.repeat(np.cumsum(counts) - counts, counts)
    pairs = PairUnits(list(unit_ids), flat[np.repeat(first, counts) + within])
    j = judge(index, loc, lon, lat, prec, pair_row, pairs, near_line.lower_m, groups)
    best = best_pairs(j, pair_row, n)
    b = best[jrows]
    verdict[jrows] = np.asarray(JUDGED, dtype=object)[j.verdict[b]]

    # the claim each row is judged against
    claim_level = np.full(n, None, dtype=object)
    claim_code = np.full(n, None, dtype=object)
    claim_name = np.full(n, None, dtype=object)
    claim_country = np.full(n, None, dtype=object)
    dist_claimed = np.full(n, np.nan)
    decision_m = np.full(n, np.nan)
    band_m = np.full(n, np.nan)
    piece = np.full(n, -1, dtype=np.int64)
    if len(jrows):
        uid = pairs.uid[b]
        for arr, attr in ((claim_level, "level"), (claim_code, "code"), (claim_name, "name"),
                          (claim_country, "country")):
            arr[jrows] = np.array([getattr(u, attr) for u in pairs.units] or [None],
                                  dtype=object)[uid]
        dist_claimed[jrows] = j.distance_to_claimed_m[b]
        decision_m[jrows] = j.decided_m[b]
        band_m[jrows] = j.band_m[b]
        piece[jrows] = j.piece[b]
    for i in np.flatnonzero(disputed).tolist():
        u = units_of[claim_of_row[i]][0]
        claim_level[i], claim_code[i], claim_name[i], claim_country[i] = (
            u.level, u.code, u.name, u.country)
        dist_claimed[i] = 0.0 if u.code in (loc.country[i], loc.adm1[i]) else np.nan
    decision_m[~np.isfinite(decision_m)] = np.nan
    line = np.full(n, None, dtype=object)
    other = np.full(n, None, dtype=object)
    has = np.flatnonzero(piece >= 0)
    if len(has):
        side = claim_code[has].copy()  # the claimed unit's side (a member of its group)
        if groups:
            side_a, side_b = index.b_a[piece[has]], index.b_b[piece[has]]
            for t in np.flatnonzero(claim_level[has] == "adm1").tolist():
                members = groups.get(side[t])
                if members:
                    side[t] = side_a[t] if side_a[t] in members else side_b[t]
        other[has] = index.other_side(piece[has], side)
        a, o = side.astype(str), other[has].astype(str)
        line[has] = np.where(a < o, np.char.add(np.char.add(a, "|"), o),
                             np.char.add(np.char.add(o, "|"), a)).astype(object)

    # findings
    found = FindingsBuilder()
    found.extend(batch.findings)
    acc = index.accuracy
    off = np.flatnonzero(located & np.isfinite(loc.offshore_m))
    if len(off):
        found.add(off, "near-coast", "coordinates", _pick(d["coordinates_text"], off),
                  _join("row ", _num(rows[off]), ": the point is ", _num(np.round(
                      loc.offshore_m[off])), " m off the simplified coastline, within its "
                      f"stated accuracy of {acc.get('coastline', 0.0):.0f} m; taken as on the "
                      "nearest land").to_pylist(), SEQ_COAST)
    for i in np.flatnonzero(located & (loc.n_countries > 1)).tolist():
        found.add([i], "on-border", "coordinates", [_pick1(d["coordinates_text"], i)],
                  [f"row {rows[i]}: the point lies exactly on the border of "
                   + " and ".join(loc.country_candidates(i, index)) + "; it is assigned to "
                   "neither"], SEQ_ON_BORDER)
    for i in np.flatnonzero(located & (loc.n_countries <= 1) & (loc.adm1 == None)  # noqa: E711
                            & (loc.n_adm1 > 1)).tolist():
        found.add([i], "on-border", "coordinates", [_pick1(d["coordinates_text"], i)],
                  [f"row {rows[i]}: the point lies exactly on the boundary of regions "
                   + " and ".join(loc.adm1_candidates(i, index)) + "; it is assigned to "
                   "neither"], SEQ_ON_BORDER)
    if len(batch.findings):
        have = set(batch.findings.loc[batch.findings["code"].isin(
            ("missing-coordinates", "unparseable-coordinates", "out-of-range")), "pos"].tolist())
    else:
        have = set()
    miss = [i for i in np.flatnonzero(~located).tolist() if i not in have]
    if miss:
        found.add(miss, "missing-coordinates", "coordinates", None,
                  [f"row {rows[i]}: no coordinates" for i in miss], SEQ_MISSING)
    claimed_rows = np.flatnonzero(located & has_claim)
    for c in np.unique(claim_of_row[claimed_rows]).tolist():
        problems = resolutions[c].problems
        if not problems:
            continue
        idx = claimed_rows[claim_of_row[claimed_rows] == c]
        for code, message in problems:
            found.add(idx, code, "claimed", [texts[c]] * len(idx),
                      [f"row {r}: {message}" for r in rows[idx].tolist()], SEQ_CLAIM)
    _disputed_findings(found, np.flatnonzero(disputed), rows, loc, index, claimed, texts,
                       claim_of_row)
    hints = {} if ctx.cities_in_regions else _city_hints(verdict, loc, index, claim_code,
                                                         claim_name)
    _verdict_findings(found, verdict, jrows, rows, loc, index, claimed, claim_code, claim_name,
                      dist_claimed, decision_m, band_m, other, j, b, prec, hints)
    if groups:
        via = [i for i in jrows.tolist() if claim_level[i] == "adm1" and loc.adm1[i] is not None
               and loc.adm1[i] != claim_code[i] and loc.adm1[i] in groups.get(claim_code[i], ())]
        _city_findings(found, via, rows, loc, index, claimed, claim_code, claim_name)

    controlled = np.full(n, None, dtype=object)
    if ctx.control is not None:
        controlled[:] = controlled_by(ctx.control, lon, lat, d["date"].to_pylist())

    cols: dict[str, Any] = {
        "row": rows, "id": d["id"], "clip": d["clip"], "frame": d["frame"],
        "lon": np.where(located, lon, np.nan), "lat": np.where(located, lat, np.nan),
        "coordinates_text": d["coordinates_text"], "notation": d["notation"],
        "country_code": loc.country, "country_name": _names(loc.country, index.country_name),
        "adm1_code": loc.adm1, "adm1_name": _names(loc.adm1, index.unit_name_of),
        "waters_code": np.where(located, loc.waters, None),
        "waters_name": _names(np.where(located, loc.waters, None), index.country_name),
        "disputed_by": loc.disputed_by, "disputed_since": loc.disputed_since,
        "distance_to_border_m": np.where(located, d_border, np.nan),
        "distance_to_region_border_m": np.where(located, d_region, np.nan),
        "claimed": claimed, "claim_level": claim_level, "claim_code": claim_code,
        "claim_name": claim_name, "distance_to_claimed_m": dist_claimed,
        "decision_distance_m": decision_m,
        # the band goes with a measured distance (as in the JSON report's `decision`)
        "decision_band_m": np.where(np.isfinite(decision_m), band_m, np.nan), "decision_line": line,
        "verdict": verdict, "source": d["source"], "date": d["date"],
        "precision_m": d["precision_m"], "role": d["role"], "controlled_by": controlled,
    }
    return Frames(cols, dict(batch.extra), found.frame())


def _names(codes: np.ndarray, names: dict) -> np.ndarray:
    """The name of each code (the code itself when it has none; None for None), looked up
    once per distinct code."""
    ids, uniq = factorize(codes)
    table = np.array([names.get(c, c) for c in uniq.tolist()] + [None], dtype=object)
    return table[ids]  # -1 (no code) takes the trailing None


def _num(values) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values).astype(np.int64)), pa.string())


def _pick(arr: pa.Array, idx) -> list:
    return arr.take(pa.array(np.asarray(idx, dtype=np.int64))).to_pylist()


def _pick1(arr: pa.Array, i: int):
    return arr[i].as_py()


def _disputed_findings(found, idx, rows, loc, index, claimed, texts, claim_of_row) -> None:
    for i in idx.tolist():
        owner = loc.country[i] or loc.waters[i]
        owner_name = index.country_name.get(owner, owner)
        place = (index.unit_name_of.get(loc.adm1[i], loc.adm1[i]) if loc.adm1[i]
                 else f"the territorial sea of {owner_name}")
        found.add([i], "disputed-area", "claimed", [texts[claim_of_row[i]]],
                  [f"row {rows[i]}: the point is in {place}, internationally recognised as "
                   f"{owner_name} and claimed by {loc.disputed_by[i]} since "
                   f"{loc.disputed_since[i]}; the claim names the other claimant"],
                  SEQ_VERDICT)


def _city_findings(found, via_rows, rows, loc, index, claimed, claim_code, claim_name) -> None:
    """``city-in-region`` for rows counted in their claimed region through a city that the
    region encloses (``cities_in_regions`` on)."""
    for i in via_rows:
        city = loc.adm1[i]
        found.add([i], "city-in-region", "claimed", [claimed[i].as_py()],
                  [f"row {rows[i]}: the point is in {index.unit_name_of.get(city, city)} ({city}), a "
                   f"city with special status that {claim_name[i]} ({claim_code[i]}) encloses; "
                   "counted as part of it because cities_in_regions is on"], SEQ_VERDICT + 1)


def _city_hints(verdict, loc, index, claim_code, claim_name) -> dict[int, str]:
    """With ``cities_in_regions`` off: for each ``mismatch`` of a point in a city with special
    status that the claimed region encloses, a sentence naming the option."""
    cand = np.flatnonzero((verdict == "mismatch") & (loc.adm1 != None))  # noqa: E711
    if not len(cand):
        return {}
    enclosing = index.enclosing_regions()
    cand = cand[member(loc.adm1[cand], enclosing)]
    out = {}
    for i in cand.tolist():
        city = loc.adm1[i]
        if enclosing.get(city) == claim_code[i]:
            out[i] = (f"; {index.unit_name_of.get(city, city)} is a city with special status "
                      f"enclosed by {claim_name[i]}: to count such points as {claim_name[i]}, use "
                      "--cities-in-regions (config: cities_in_regions = true)")
    return out


def _verdict_findings(found, verdict, jrows, rows, loc, index, claimed, claim_code, claim_name,
                      dist_claimed, decision_m, band_m, other, j, b, prec,
                      hints: dict[int, str] | None = None) -> None:
    """``claim-mismatch``, ``near-border`` and ``outside-boundaries`` with the distance that
    decided and the band it was measured against, formatted on whole columns."""
    if len(jrows) == 0:
        return
    v = j.verdict[b]
    inside, on_land, sea = j.inside[b], j.on_land[b], j.sea[b]
    sel = v != MATCH
    if not sel.any():
        return
    r_all = jrows[sel]
    v_all, inside_all, land_all, sea_all = v[sel], inside[sel], on_land[sel], sea[sel]
    names = {**index.country_name, **index.unit_name_of}
    # one message shape per kind, each built on its own rows only
    kinds = (("claim-mismatch", v_all == MISMATCH),
             ("outside-boundaries", v_all == OUTSIDE),
             ("near-border", (v_all != MISMATCH) & (v_all != OUTSIDE)))
    for code, mask in kinds:
        if not mask.any():
            continue
        r = r_all[mask]
        head = _join("row ", _num(rows[r]), ": ")
        unit = _join(_s(claim_name[r]), " (", _s(claim_code[r]), ")")
        if code == "outside-boundaries":
            msg = _join(head, "at sea, ", fmt_metres(dist_claimed[r]), " from ", unit,
                        ", beyond the coastal band of ", fmt_metres(band_m[r]),
                        "; the point is in no country's land area")
        else:
            # the other side of the stretch that decided
            oth_label = _labels(other[r], names)
            line = pc.if_else(pc.is_null(oth_label), pa.scalar("its shared boundary", pa.string()),
                              _join("its border with ", oth_label))
            dec = fmt_metres(decision_m[r])
            band = fmt_metres(band_m[r])
            pr = prec[r]
            band_why = pc.if_else(
                pa.array(pr >= 0.5),
                _join(" (the stated accuracy of that line plus the row's precision of ",
                      fmt_metres(pr), ")"),
                pa.scalar(" (the stated accuracy of that line)", pa.string()))
            if code == "claim-mismatch":
                measured = pa.array(np.isfinite(decision_m[r]))
                decided = pc.if_else(
                    measured, _join(", ", dec, " from ", line, ", beyond the band of ", band,
                                    band_why),
                    pa.scalar(f", more than {NEAR_M / 1000:.0f} km from any stretch of its "
                              "shared boundary", pa.string()))
                msg = _join(head, fmt_metres(dist_claimed[r]), " outside ", unit, " (",
                            _where(r, loc, index), ")", decided, "; the claim is contradicted")
                if hints:
                    msg = _join(msg, _s([hints.get(i, "") for i in r.tolist()]))
            else:
                ins, land = inside_all[mask], land_all[mask]
                msg = pc.if_else(
                    pa.array(ins),
                    _join(head, pc.if_else(pa.array(sea_all[mask]),
                                           _join("in the territorial sea of ", unit),
                                           _join("inside ", unit)),
                          ", ", dec, " from ", line, ", within the band of ", band, band_why,
                          "; the boundary data cannot tell which side of the line the point "
                          "is on"),
                    pa.nulls(len(r), pa.string()))
                rest = ~ins
                if rest.any():
                    dc = fmt_metres(dist_claimed[r])
                    here = _where(r, loc, index)
                    amb_out = _join(head, dc, " outside ", unit, " (", here, "), ", dec, " from ",
                                    line, ", within the band of ", band, band_why,
                                    "; the boundary data cannot tell which side of the line the "
                                    "point is on")
                    amb_sea = _join(head, "at sea, ", dc, " from ", unit,
                                    ", within the coastal band of ", band,
                                    "; the point may be on its shore")
                    msg = pc.if_else(pa.array(ins), msg,
                                     pc.if_else(pa.array(land), amb_out, amb_sea))
        vals = claimed.take(pa.array(r, type=pa.int64()))
        found.add(r, code, "claimed", vals, msg, SEQ_VERDICT)


def _where(r, loc, index) -> pa.Array:
    """Where the points of rows ``r`` are: their region or country, or territorial sea."""
    names = {**index.country_name, **index.unit_name_of}

    def where(a, c, w):
        if a:
            return f"in {names.get(a, a)} ({a})"
        if c:
            return f"in {names.get(c, c)} ({c})"
        if w:
            return "in the territorial sea of " + " or ".join(
                f"{names.get(x, x)} ({x})" for x in w.split("|"))
        return "on the border"

    return text_by_values(where, loc.adm1[r], loc.country[r], loc.waters[r])
