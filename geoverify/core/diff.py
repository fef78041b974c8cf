"""Compare where frames fall under two boundary sets (``geoverify boundaries diff``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoverify.engine.index import boundary_index

DIFF_COLUMNS = ["row", "lon", "lat", "country_a", "country_b", "adm1_a", "adm1_b",
                "distance_to_border_a_m", "distance_to_border_b_m"]


def diff_sets(a, b, lon, lat, rows=None) -> pd.DataFrame:
    """Frames whose country or region differs between boundary sets ``a`` and ``b``.

    A frame on a border (several candidates) counts as ``"A|B"``. The distances are from the
    frame to the nearest border between units in each set (geodesic metres; None beyond
    :data:`geoverify.io.limits.DISTANCE_REACH_M`, which is not measured).
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    rows = np.arange(1, len(lon) + 1) if rows is None else np.asarray(rows)
    ia, ib = boundary_index(a), boundary_index(b)
    la, lb = ia.locate(lon, lat), ib.locate(lon, lat)
    da, db = ia.nearest_line(lon, lat).distance_m, ib.nearest_line(lon, lat).distance_m

    def label(cands):
        return "|".join(cands) if cands else None

    out = []
    for i in range(len(lon)):
        if np.isnan(lon[i]) or np.isnan(lat[i]):
            continue
        ka, kb = label(la.country_candidates(i, ia)), label(lb.country_candidates(i, ib))
        ra, rb = label(la.adm1_candidates(i, ia)), label(lb.adm1_candidates(i, ib))
        if ka != kb or ra != rb:
            out.append({"row": rows[i].item() if hasattr(rows[i], "item") else rows[i],
                        "lon": float(lon[i]), "lat": float(lat[i]),
                        "country_a": ka, "country_b": kb, "adm1_a": ra, "adm1_b": rb,
                        "distance_to_border_a_m": None if np.isnan(da[i]) else float(da[i]),
                        "distance_to_border_b_m": None if np.isnan(db[i]) else float(db[i])})
    return pd.DataFrame(out, columns=DIFF_COLUMNS, dtype=object)
