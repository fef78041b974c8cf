"""Compare where frames fall under two boundary sets (``geoverify boundaries diff``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoverify.engine.locate import classify_points, prepare

DIFF_COLUMNS = ["row", "lon", "lat", "country_a", "country_b", "adm1_a", "adm1_b",
                "distance_to_border_a_m", "distance_to_border_b_m"]


def diff_sets(a, b, lon, lat, rows=None) -> pd.DataFrame:
    """Frames whose country or region differs between boundary sets ``a`` and ``b``.

    A frame on a border (several candidates) counts as ``"A|B"``. The distances are from the
    frame to the nearest border between units in each set (geodesic metres).
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    rows = np.arange(1, len(lon) + 1) if rows is None else np.asarray(rows)
    ca = classify_points(prepare(a), lon, lat)
    cb = classify_points(prepare(b), lon, lat)

    def label(cands):
        return "|".join(cands) if cands else None

    out = []
    for i in range(len(lon)):
        if np.isnan(lon[i]) or np.isnan(lat[i]):
            continue
        ka, kb = label(ca["country_candidates"][i]), label(cb["country_candidates"][i])
        ra, rb = label(ca["adm1_candidates"][i]), label(cb["adm1_candidates"][i])
        if ka != kb or ra != rb:
            out.append({"row": rows[i].item() if hasattr(rows[i], "item") else rows[i],
                        "lon": float(lon[i]), "lat": float(lat[i]),
                        "country_a": ka, "country_b": kb, "adm1_a": ra, "adm1_b": rb,
                        "distance_to_border_a_m": float(ca["distance_to_region_border_m"][i]),
                        "distance_to_border_b_m": float(cb["distance_to_region_border_m"][i])})
    return pd.DataFrame(out, columns=DIFF_COLUMNS, dtype=object)
