"""Whole files (or clips) with latitude and longitude swapped.

A file whose columns are swapped does not fail row by row in a way anyone notices: every
point lands somewhere real (50.4, 35.6 becomes a point in Iran) and every row is a plain
``mismatch``. :func:`swapped_groups` checks the rows that contradict their claims a second
time with the two values exchanged; when most of the file's judged rows (or most of a clip's)
fit their claims only that way, the columns are swapped, and the report says so once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geoverify.arrowtext import member

#: At least this many rows must fit only when swapped, and this share of the judged rows.
MIN_ROWS = 3
MIN_SHARE = 0.8
#: Rows probed at most (the first ones in file order): enough to tell, bounded work.
MAX_PROBE = 5_000

_JUDGED = ("match", "mismatch", "ambiguous", "outside")


@dataclass(frozen=True)
class SwappedGroup:
    """``clip`` None: the whole file. ``fits`` rows fit their claims only when swapped, of
    ``judged`` rows that have a located point and a known claim (of ``probed`` probed)."""

    clip: str | None
    fits: int
    judged: int
    rows: tuple[int, ...]

    def message(self, lat_col: str | None = None, lon_col: str | None = None) -> str:
        where = f"in clip {self.clip!r}, " if self.clip is not None else ""
        fix = (f"--columns lat={lon_col},lon={lat_col}" if lat_col and lon_col else
               "--columns lat=<the longitude column>,lon=<the latitude column>")
        return (f"{where}{self.fits} of {self.judged} rows with a located point and a known "
                "claim contradict it but fit it with latitude and longitude swapped: the "
                f"coordinate columns look swapped (swap them in the file, or read them with {fix})")


def swapped_groups(columns, check) -> list[SwappedGroup]:
    """The file or clips whose rows fit their claims only with lat/lon swapped.

    ``columns``: frame columns (``row``, ``clip``, ``lat``, ``lon``, ``claimed``,
    ``precision_m``, ``verdict``; numpy or Arrow arrays, as :class:`~geoverify.core.batch.Frames`
    holds them); ``check``: a function from a probe DataFrame (``lat``, ``lon``, ``claimed``,
    ``precision_m`` as text) to its verdicts (a sequence). Work on whole columns; only the
    probed rows become Python objects.
    """
    verdict = np.asarray(columns["verdict"], dtype=object)
    judged = member(verdict, set(_JUDGED))  # a few distinct verdicts: one test each
    if judged.sum() < MIN_ROWS:
        return []
    lat = np.asarray(columns["lat"], dtype=float)
    lon = np.asarray(columns["lon"], dtype=float)
    cand = np.flatnonzero(member(verdict, {"mismatch", "outside"}) & (lat != lon)
                          & (np.abs(lon) <= 90.0))[:MAX_PROBE]
    if len(cand) < MIN_ROWS:
        return []
    clip = columns["clip"]
    clip = clip if isinstance(clip, (pa.Array, pa.ChunkedArray)) else pa.array(
        np.asarray(clip, dtype=object), type=pa.string(), from_pandas=True)

    def per_clip(idx) -> Counter:
        vc = pc.value_counts(clip.take(pa.array(idx, type=pa.int64())))
        return Counter(dict(zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist())))

    n_judged = int(judged[: cand[-1] + 1].sum()) if len(cand) == MAX_PROBE else int(judged.sum())
    if len(cand) < MIN_SHARE * n_judged:
        # even if every candidate fit, only a clip could reach the share: is there one?
        judged_per, cand_per = per_clip(np.flatnonzero(judged)), per_clip(cand)
        if not any(c is not None and k >= MIN_ROWS and k >= MIN_SHARE * judged_per[c]
                   for c, k in cand_per.items()):
            return []
    claimed = columns["claimed"]
    claimed = (claimed.take(pa.array(cand, type=pa.int64())).to_pylist()
               if isinstance(claimed, (pa.Array, pa.ChunkedArray))
               else np.asarray(claimed, dtype=object)[cand].tolist())
    prec = np.asarray(columns["precision_m"], dtype=float)[cand]
    probe = pd.DataFrame({
        "lat": [repr(float(v)) for v in lon[cand]], "lon": [repr(float(v)) for v in lat[cand]],
        "claimed": pd.Series(claimed, dtype=object),
        "precision_m": [repr(float(p)) if np.isfinite(p) else "" for p in prec],
    })
    fits_now = np.isin(np.asarray(check(probe), dtype=object), ("match", "ambiguous"))
    fit_rows = cand[fits_now]
    rows = np.asarray(columns["row"])
    if len(fit_rows) < MIN_ROWS:
        return []
    fit_clip = dict(zip(fit_rows.tolist(),
                        clip.take(pa.array(fit_rows, type=pa.int64())).to_pylist()))
    return decide(fit_rows.tolist(), n_judged, lambda: per_clip(np.flatnonzero(judged)),
                  fit_clip.__getitem__, lambda i: int(rows[i]))


def decide(fits: list[int], n_judged: int, judged_per_clip: Callable[[], Mapping[Any, int]],
           clip_of: Callable[[int], Any], row_of: Callable[[int], int]) -> list[SwappedGroup]:
    """The swapped groups among rows ``fits`` (indices of rows that fit their claims only when
    swapped) of ``n_judged`` judged rows: the whole file when enough of it fits, else each clip
    where enough of its judged rows (``judged_per_clip()``, asked only then) fit."""
    if len(fits) >= MIN_ROWS and len(fits) >= MIN_SHARE * n_judged:
        return [SwappedGroup(None, len(fits), n_judged,
                             tuple(row_of(i) for i in sorted(fits)[:20]))]
    if len(fits) < MIN_ROWS:
        return []
    per_clip = judged_per_clip()
    by_clip: dict[Any, list[int]] = {}
    for i in fits:
        by_clip.setdefault(clip_of(i), []).append(i)
    return [SwappedGroup(str(c), len(idx), per_clip[c], tuple(row_of(i) for i in idx[:20]))
            for c, idx in by_clip.items()
            if c is not None and len(idx) >= MIN_ROWS and len(idx) >= MIN_SHARE * per_clip[c]]
