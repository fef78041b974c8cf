"""Geodesic distances from points to lines and polygons.

Distances are found in two steps. Candidates come from an STRtree in degrees: the geometry
nearest in degrees bounds the search, since one degree of longitude is never longer than one
of latitude (up to the ellipsoid's flattening), so anything nearer in metres lies within
``g0 / cos(lat)`` degrees. Among the candidates the nearest point is found in a local
equirectangular frame scaled by the ellipsoid's radii of curvature at the point, and the
distance to that nearest point is then measured on the WGS84 ellipsoid with
:class:`pyproj.Geod`. Within a few hundred kilometres this is exact to well under 0.1 %; the
tests hold it to 1 % against ``pyproj.Geod`` at several latitudes.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from pyproj import Geod

_GEOD = Geod(ellps="WGS84")
_A = 6378137.0
_E2 = 0.00669437999014


def _radii(lat_deg: float) -> tuple[float, float]:
    """Meridional (M) and prime-vertical (N) radii of curvature in metres."""
    s = math.sin(math.radians(lat_deg))
    w = math.sqrt(1.0 - _E2 * s * s)
    n = _A / w
    m = _A * (1.0 - _E2) / (w**3)
    return m, n


def geodesic_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance on WGS84 in metres."""
    return float(_GEOD.inv(lon1, lat1, lon2, lat2)[2])


class NearestIndex:
    """Geodesic nearest-distance queries against a fixed array of geometries.

    Parameters
    ----------
    geoms
        Array of shapely geometries in lon/lat degrees (lines or polygons). For speed, long
        lines should be cut into short pieces beforehand.
    """

    def __init__(self, geoms) -> None:
        self.geoms = np.asarray(geoms, dtype=object)
        self.tree = shapely.STRtree(self.geoms)

    def __len__(self) -> int:
        return len(self.geoms)

    def nearest(self, lon: float, lat: float) -> tuple[float, int, tuple[float, float]]:
        """Geodesic distance (m), index of the nearest geometry, and the nearest point.

        Returns ``(inf, -1, (nan, nan))`` when the index is empty.
        """
        if len(self.geoms) == 0:
            return math.inf, -1, (math.nan, math.nan)
        pt = shapely.Point(lon, lat)
        idx = self.tree.query_nearest(pt, all_matches=False)
        g0 = float(shapely.distance(pt, self.geoms[idx[0]]))
        coslat = max(math.cos(math.radians(min(abs(lat), 89.0))), 1e-3)
        reach = g0 / coslat * 1.0001 + 1e-9
        cand = self.tree.query(pt, predicate="dwithin", distance=reach)
        if len(cand) == 0:
            cand = idx
        m, n = _radii(lat)
        kx = math.radians(1.0) * n * math.cos(math.radians(lat))
        ky = math.radians(1.0) * m
        origin = np.array([lon, lat])
        scale = np.array([kx, ky])

        def to_local(coords: np.ndarray) -> np.ndarray:
            d = coords - origin
            # wrap longitudes across the antimeridian
            d[:, 0] = (d[:, 0] + 180.0) % 360.0 - 180.0
            return d * scale

        local = shapely.transform(self.geoms[cand], to_local)
        zero = shapely.Point(0.0, 0.0)
        dist = shapely.distance(zero, local)
        k = int(np.argmin(dist))
        if dist[k] == 0.0:
            return 0.0, int(cand[k]), (lon, lat)
        line = shapely.shortest_line(zero, local[k])
        qx, qy = np.asarray(line.coords)[1]
        qlon = lon + qx / kx
        qlat = lat + qy / ky
        return geodesic_m(lon, lat, qlon, qlat), int(cand[k]), (qlon, qlat)

    def distance(self, lon: float, lat: float) -> float:
        """Geodesic distance in metres to the nearest geometry (``inf`` when empty)."""
        return self.nearest(lon, lat)[0]


def explode_lines(geoms, max_vertices: int = 64):
    """Cut (multi)lines into pieces of at most ``max_vertices`` vertices.

    Returns ``(pieces, source_index)`` so attributes can follow the pieces.
    """
    parts, src = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    out, out_src = [], []
    for g, i in zip(parts, src):
        coords = shapely.get_coordinates(g)
        if len(coords) <= max_vertices:
            out.append(g)
            out_src.append(i)
            continue
        step = max_vertices - 1
        for start in range(0, len(coords) - 1, step):
            out.append(shapely.LineString(coords[start:start + max_vertices]))
            out_src.append(i)
    return np.asarray(out, dtype=object), np.asarray(out_src, dtype=np.int64)


def local_distance_m(lon: float, lat: float, geoms, window_m: float) -> np.ndarray:
    """Geodesic-accurate distances (m) from a point to each geometry, looking only within
    ``window_m`` of the point (farther geometries get ``inf``). Polygons give 0 inside.
    """
    m, n = _radii(lat)
    kx = math.radians(1.0) * n * max(math.cos(math.radians(lat)), 1e-6)
    ky = math.radians(1.0) * m
    dx, dy = window_m / kx, window_m / ky
    out = np.full(len(geoms), np.inf)
    zero = shapely.Point(0.0, 0.0)
    origin = np.array([lon, lat])
    scale = np.array([kx, ky])
    for i, g in enumerate(geoms):
        part = shapely.clip_by_rect(g, lon - dx, lat - dy, lon + dx, lat + dy)
        if part.is_empty:
            continue
        local = shapely.transform(part, lambda c: (c - origin) * scale)
        d = float(shapely.distance(zero, local))
        if d == 0.0:
            out[i] = 0.0
            continue
        qx, qy = np.asarray(shapely.shortest_line(zero, local).coords)[1]
        out[i] = geodesic_m(lon, lat, lon + qx / kx, lat + qy / ky)
    return out
