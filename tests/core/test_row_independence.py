"""A row's frame does not depend on the other rows of its file: a few points near each other
(answered from full-detail tiles alone, without the grid cells' coarse bounds) and the same
points inside a large file spread over many tiles give the same columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

import geoverify
from geoverify.engine import lines

CLAIMS = ["Belgorod oblast", "Sumy oblast", "Kharkiv oblast", "Ukraine", "Russia", "Kursk oblast"]


def _frame(lon, lat, claims) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"p{i}" for i in range(len(lon))], "clip": "c",
                         "lat": [f"{v:.6f}" for v in lat], "lon": [f"{v:.6f}" for v in lon],
                         "claimed": claims})


def test_few_points_and_a_large_file_give_the_same_frames():
    rng = np.random.default_rng(11)
    # near the Belgorod-Sumy-Kharkiv borders: two tiles, close to and far from the lines
    n_few = 400
    lon = rng.uniform(34.05, 37.95, n_few)
    lat = rng.uniform(50.05, 51.95, n_few)
    claims = rng.choice(CLAIMS, n_few)
    few = _frame(lon, lat, claims)
    # spread over more tiles than the few-points path takes (24 tiles of 4 degrees)
    n_big = 20_000
    big_lon, big_lat = rng.uniform(22.0, 42.0, n_big), rng.uniform(44.0, 56.0, n_big)
    tiles = np.unique(np.floor((big_lon + 180) / lines.TILE_DEG) * 1000
                      + np.floor((big_lat + 90) / lines.TILE_DEG))
    assert len(tiles) > lines.FEW_TILES
    big = pd.concat([few, _frame(big_lon, big_lat, rng.choice(CLAIMS, n_big))],
                    ignore_index=True)
    a = geoverify.check(few).flat_table().to_pandas()
    b = geoverify.check(big).flat_table().to_pandas().iloc[:n_few].reset_index(drop=True)
    for col in a.columns:
        if col == "finding_messages":
            continue  # they quote the row number, equal here too, but say so below
        pd.testing.assert_series_equal(a[col], b[col], check_names=False, obj=col)
    assert (a["finding_messages"].fillna("") == b["finding_messages"].fillna("")).all()
    # the far rows exist in both, and carry neither a distance nor a band
    far = a["verdict"].eq("mismatch") & a["decision_distance_m"].isna()
    assert far.any()
    assert a.loc[far, "decision_band_m"].isna().all()
