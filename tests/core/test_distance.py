"""Geodesic distances against pyproj.Geod, found by brute force over densely sampled lines."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geoverify.engine.distance import NearestIndex, explode_lines

GEOD = Geod(ellps="WGS84")


def brute_force_m(lon, lat, line_lons, line_lats):
    """Minimum geodesic distance from a point to many points sampled along a line."""
    n = len(line_lons)
    _, _, d = GEOD.inv(np.full(n, lon), np.full(n, lat), line_lons, line_lats)
    return float(d.min())


@pytest.mark.parametrize("lat", [-75.0, -45.0, -10.0, 0.0, 20.0, 50.4, 60.0, 70.0, 80.0])
@pytest.mark.parametrize("offset_deg", [0.002, 0.05, 0.7, 3.0])
def test_nearest__meridian_line_matches_geod(lat, offset_deg):
    # a meridian at lon 10 around the point's latitude (clipped to +-89), the point east of it;
    # the line is long enough that its ends are never the nearest points
    span = min(5.0, max(10 * offset_deg, 0.05))
    lats = np.linspace(max(lat - span, -89), min(lat + span, 89), 20_001)
    line = shapely.LineString(np.column_stack([np.full(3, 10.0), [lats[0], lat, lats[-1]]]))
    idx = NearestIndex([line])
    got = idx.distance(10.0 + offset_deg, lat)
    want = brute_force_m(10.0 + offset_deg, lat, np.full(len(lats), 10.0), lats)
    assert got == pytest.approx(want, rel=0.01)


@pytest.mark.parametrize("lat", [-60.0, -30.0, 0.0, 35.0, 50.4, 65.0])
@pytest.mark.parametrize("offset_deg", [0.003, 0.2, 1.5])
def test_nearest__parallel_segment_matches_geod(lat, offset_deg):
    # a short east-west segment (a few km: straight in lon/lat is close to the geodesic)
    lons = np.linspace(30.0, 30.05, 20_001)
    line = shapely.LineString([(30.0, lat), (30.05, lat)])
    idx = NearestIndex([line])
    plon, plat = 30.025, lat + offset_deg
    got = idx.distance(plon, plat)
    want = brute_force_m(plon, plat, lons, np.full(len(lons), lat))
    assert got == pytest.approx(want, rel=0.01)


def test_nearest__picks_metric_not_degree_nearest_at_high_latitude():
    # at 70N one degree of longitude is ~38 km; a line 0.5 deg east (19 km) is nearer in metres
    # than one 0.3 deg north (33 km) though farther in degrees
    east = shapely.LineString([(20.5, 69.0), (20.5, 71.0)])
    north = shapely.LineString([(19.0, 70.3), (21.0, 70.3)])
    d, k, _ = NearestIndex([north, east]).nearest(20.0, 70.0)
    assert k == 1
    assert d == pytest.approx(GEOD.inv(20.0, 70.0, 20.5, 70.0)[2], rel=0.01)


def test_nearest__point_on_line_is_zero():
    line = shapely.LineString([(0, 0), (1, 1)])
    assert NearestIndex([line]).distance(0.5, 0.5) == 0.0


def test_nearest__empty_index_is_infinite():
    assert NearestIndex([]).distance(1.0, 1.0) == float("inf")


def test_explode_lines__pieces_cover_the_line():
    coords = np.column_stack([np.linspace(0, 1, 1000), np.zeros(1000)])
    pieces, src = explode_lines([shapely.LineString(coords)], max_vertices=64)
    assert all(len(p.coords) <= 64 for p in pieces)
    assert set(src.tolist()) == {0}
    assert shapely.union_all(pieces).length == pytest.approx(1.0)
