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


def test_load_ahead__the_engine_loads_once_on_the_helper_thread(tiny, monkeypatch):
    """The first batch has the helper thread load the locating engine while it measures
    lines; a later locate takes that engine (not loaded twice), with the same answers."""
    import os
    import threading

    import pytest

    from geoverify.engine import lines
    from geoverify.engine.index import ENGINE_MIN_POINTS, BoundaryIndex

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: there is no helper thread")
    calls = []
    real = quadtree.engine_for

    def spy(*a, **k):
        calls.append(threading.current_thread().name)
        return real(*a, **k)

    monkeypatch.setattr(quadtree, "engine_for", spy)
    index = BoundaryIndex(tiny)
    index.load_ahead(ENGINE_MIN_POINTS - 1)  # too few points for the engine: nothing
    lines.ahead_done()
    assert calls == []
    index.load_ahead(ENGINE_MIN_POINTS)
    lines.ahead_done()
    assert len(calls) == 1 and calls[0].startswith("geoverify-trees")
    index.load_ahead(ENGINE_MIN_POINTS)  # loaded: not handed over again
    lines.ahead_done()
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(-2, 4, ENGINE_MIN_POINTS), rng.uniform(-2, 3, ENGINE_MIN_POINTS)
    ahead = index.locate(lon, lat)
    alone = BoundaryIndex(tiny).locate(lon, lat)
    np.testing.assert_array_equal(ahead.unit, alone.unit)
    np.testing.assert_array_equal(ahead.country, alone.country)
    assert calls[1:] == [threading.current_thread().name] * (len(calls) - 1)


def test_a_large_claims_file_warms_the_engine_while_it_is_read(monkeypatch, tmp_path):
    """geoverify.check loads the boundaries while it reads the claims; for a large input it
    then has the helper thread load the engine and the land lines (warm_ahead), for a small
    one nothing. The answers are the same either way."""
    import pandas as pd
    import pytest

    import geoverify
    from geoverify import api
    from geoverify.engine import lines
    from geoverify.engine.index import BoundaryIndex

    calls = []
    real = BoundaryIndex.warm_ahead
    monkeypatch.setattr(BoundaryIndex, "warm_ahead",
                        lambda self: (calls.append(self), real(self))[1])
    src = geoverify.example_claims()
    small = geoverify.check(str(src))
    assert calls == []
    monkeypatch.setattr(api, "WARM_BYTES", src.stat().st_size)
    warmed = geoverify.check(str(src))
    lines.ahead_done()
    assert len(calls) == 1
    assert list(warmed.table.columns["verdict"]) == list(small.table.columns["verdict"])
    with pytest.raises(geoverify.ClaimsFileError):  # a missing file: the reader says so
        geoverify.check(str(tmp_path / "missing.csv"))
    # a DataFrame: by its rows
    frame = pd.read_csv(src, dtype=str, keep_default_na=False)
    geoverify.check(frame)
    assert len(calls) == 1
    monkeypatch.setattr(api, "ENGINE_MIN_POINTS", len(frame))
    geoverify.check(frame)
    lines.ahead_done()
    assert len(calls) == 2
