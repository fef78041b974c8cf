"""The coastal band's local distances: pairs at once give the bits of one point at a time."""

from __future__ import annotations

import math

import numpy as np
import shapely

from geoverify.engine.distance import _radii, local_distance_m, local_distances_m
from geoverify.engine.geodesy import geodesic_m


def _one_at_a_time(lon, lat, geoms, window_m):
    """The reference: each geometry clipped, moved into the point's frame and measured, one
    call after another (how the band was measured before it was done for many pairs)."""
    m, n = _radii(lat)
    kx = math.radians(1.0) * n * max(math.cos(math.radians(lat)), 1e-6)
    ky = math.radians(1.0) * m
    dx, dy = window_m / kx, window_m / ky
    out = np.full(len(geoms), np.inf)
    origin, scale = np.array([lon, lat]), np.array([kx, ky])
    for i, g in enumerate(geoms):
        part = shapely.clip_by_rect(g, lon - dx, lat - dy, lon + dx, lat + dy)
        if part.is_empty:
            continue
        local = shapely.transform(part, lambda c: (c - origin) * scale)
        d = float(shapely.distance(shapely.Point(0.0, 0.0), local))
        if d == 0.0:
            out[i] = 0.0
            continue
        qx, qy = np.asarray(shapely.shortest_line(shapely.Point(0.0, 0.0), local).coords)[1]
        out[i] = float(geodesic_m([lon], [lat], [lon + qx / kx], [lat + qy / ky])[0])
    return out


def test_local_distances_m__pairs_equal_one_point_at_a_time_to_the_bit():
    rng = np.random.default_rng(11)
    coast = shapely.Polygon(np.c_[30.0 + 0.3 * np.cos(np.linspace(0, 2 * np.pi, 400)),
                                  46.0 + 0.2 * np.sin(np.linspace(0, 2 * np.pi, 400))])
    island = shapely.MultiPolygon([shapely.box(30.5, 46.25, 30.51, 46.26),
                                   shapely.box(29.6, 45.7, 29.65, 45.71)])
    geoms = np.array([coast, island, shapely.box(31.0, 46.0, 31.5, 46.5)], dtype=object)
    n = 3000
    lon = 30.0 + rng.normal(0, 0.4, n)
    lat = 46.0 + rng.normal(0, 0.3, n)
    # a third of them within a few kilometres of the coast's outline
    t = rng.uniform(0, 2 * np.pi, n // 3)
    r = 1.0 + rng.normal(0, 0.02, n // 3)
    lon[: n // 3] = 30.0 + 0.3 * r * np.cos(t)
    lat[: n // 3] = 46.0 + 0.2 * r * np.sin(t)
    which = rng.integers(0, len(geoms), n)
    got = local_distances_m(lon, lat, geoms[which], 2000.0)
    want = np.concatenate([_one_at_a_time(float(x), float(y), geoms[[w]], 2000.0)
                           for x, y, w in zip(lon, lat, which)])
    np.testing.assert_array_equal(got, want)
    # every case is there: inside (0), within the window (metres), beyond it (inf)
    assert (got == 0).any() and np.isinf(got).any()
    assert ((got > 0) & (got < 2000.0)).sum() > 50
    # and one point against several geometries, as the plain path asks
    one = local_distance_m(30.29, 46.0, geoms, 5000.0)
    np.testing.assert_array_equal(one, _one_at_a_time(30.29, 46.0, geoms, 5000.0))
    assert len(local_distances_m([], [], [], 100.0)) == 0
