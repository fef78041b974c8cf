"""Territorial waters: the few-points path (tree boxes, then the prepared polygons) and the
engine path give the same codes."""

from __future__ import annotations

import numpy as np

from geoverify.boundaries import load_boundaries
from geoverify.engine.index import ENGINE_MIN_POINTS, boundary_index


def test_few_points_at_sea_match_the_engine() -> None:
    index = boundary_index(load_boundaries("embedded"))
    rng = np.random.default_rng(5)
    # the Black Sea, the Sea of Azov, the Baltic and the Gulf of Finland: territorial seas of
    # several countries, overlaps, the high seas; plus points on land
    boxes = [(28.0, 41.0, 42.0, 47.5), (33.5, 45.0, 39.5, 47.5), (9.0, 53.5, 30.0, 60.5)]
    lon = np.concatenate([rng.uniform(a, c, 600) for a, b, c, d in boxes])
    lat = np.concatenate([rng.uniform(b, d, 600) for a, b, c, d in boxes])
    assert len(lon) < ENGINE_MIN_POINTS
    few = index._territorial_waters(lon, lat)
    reps = -(-ENGINE_MIN_POINTS // len(lon))
    many = index._territorial_waters(np.tile(lon, reps), np.tile(lat, reps))[:len(lon)]
    assert few.tolist() == many.tolist()
    codes = {c for c in few.tolist() if c}
    assert {"UA", "RU", "TR"} <= {x for c in codes for x in c.split("|")}
    assert sum(c is None for c in few.tolist()) > 100  # high seas (and land) stay None
