"""GEOS prepared polygons are not thread-safe (libgeos/geos#825: their indexes are built lazily,
unguarded); the engine's batches run on threads, so every call on a shared prepared polygon
holds :data:`geoverify.engine.quadtree.PREPARED_LOCK`. An intermittent heap corruption
(``malloc(): unaligned tcache chunk detected``) in a 1M-row check was this race."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

from geoverify.engine import quadtree


def test_prepared_polygon_calls_hold_the_lock(embedded, monkeypatch):
    seen = []
    real_xy, real_dwithin = shapely.intersects_xy, shapely.dwithin

    def intersects_xy(*a, **k):
        seen.append(("intersects_xy", quadtree.PREPARED_LOCK.locked()))
        return real_xy(*a, **k)

    def dwithin(*a, **k):
        seen.append(("dwithin", quadtree.PREPARED_LOCK.locked()))
        return real_dwithin(*a, **k)

    monkeypatch.setattr(quadtree.shapely, "intersects_xy", intersects_xy)
    monkeypatch.setattr(quadtree.shapely, "dwithin", dwithin)
    eng = quadtree.engine_for(embedded)
    rng = np.random.default_rng(3)
    # the Sumy-Belgorod border (mixed cells) and the Sea of Azov coast (the coastal band)
    lon = np.concatenate([rng.uniform(35.0, 36.5, 3000), rng.uniform(35.0, 38.0, 3000)])
    lat = np.concatenate([rng.uniform(50.3, 50.9, 3000), rng.uniform(45.3, 47.2, 3000)])
    with ThreadPoolExecutor(max_workers=4) as pool:
        parts = list(pool.map(lambda s: eng.locate(lon[s:s + 500], lat[s:s + 500]),
                              range(0, len(lon), 500)))
    assert {name for name, _ in seen} == {"intersects_xy", "dwithin"}
    assert all(locked for _, locked in seen)
    whole = eng.locate(lon, lat)
    assert np.array_equal(np.concatenate([p.unit for p in parts]), whole.unit)
