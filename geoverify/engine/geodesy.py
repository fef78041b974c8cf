"""The ellipsoid: geodesic distances on WGS 84, and Earth-centred coordinates for searching.

Distances reported by geoverify are geodesic metres on the WGS 84 ellipsoid, measured by
:class:`pyproj.Geod` (Karney's algorithm, exact to a few nanometres). Nearest-line searches run
in Earth-centred, Earth-fixed Cartesian coordinates (ECEF, metres): the straight-line (chord)
distance between two points of the ellipsoid grows with their geodesic distance, and the
Euclidean metric that ECEF induces on the surface *is* the surface's own metric, so the segment
nearest by chord is the segment nearest by geodesic (to a relative error of about (d/R)^2 / 24:
1e-6 at 30 km), with no map projection, no antimeridian and no pole to treat specially.
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod

#: WGS 84 semi-major axis (m) and first eccentricity squared.
A = 6378137.0
E2 = 0.0066943799901413165
#: Smallest radius of curvature anywhere on the ellipsoid (meridional, at the equator), metres:
#: one degree of arc is never shorter than this times pi/180.
R_MIN = A * (1.0 - E2)

GEOD = Geod(ellps="WGS84")


def ecef(lon, lat) -> np.ndarray:
    """Earth-centred coordinates (n, 3) in metres of points on the ellipsoid surface."""
    lo = np.radians(np.asarray(lon, dtype=float))
    la = np.radians(np.asarray(lat, dtype=float))
    s = np.sin(la)
    c = np.cos(la)
    n = A / np.sqrt(1.0 - E2 * s * s)
    out = np.empty((lo.size, 3))
    out[:, 0] = n * c * np.cos(lo)
    out[:, 1] = n * c * np.sin(lo)
    out[:, 2] = n * (1.0 - E2) * s
    return out


def arc_from_chord(chord_m, lat) -> np.ndarray:
    """Geodesic length (m) of a short arc of the ellipsoid from its chord, at latitude ``lat``.

    Uses the sphere of the ellipsoid's Gaussian radius of curvature at ``lat``:
    ``2 rho asin(c / 2 rho)``. Checked against :data:`GEOD` over random points and directions:
    0.1 mm at 25 km, 7 mm at 100 km, 7 m at 1,000 km (7e-6), 0.03 % at 5,000 km.
    """
    c = np.asarray(chord_m, dtype=float)
    s = np.sin(np.radians(np.asarray(lat, dtype=float)))
    w2 = 1.0 - E2 * s * s
    rho = A * np.sqrt(1.0 - E2) / w2  # sqrt(M * N)
    with np.errstate(invalid="ignore"):
        return 2.0 * rho * np.arcsin(np.minimum(1.0, c / (2.0 * rho)))


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance (m) between point pairs, vectorised."""
    lon1 = np.asarray(lon1, dtype=float)
    if lon1.size == 0:
        return np.zeros(0)
    _, _, d = GEOD.inv(lon1, np.asarray(lat1, dtype=float), np.asarray(lon2, dtype=float),
                       np.asarray(lat2, dtype=float))
    return np.asarray(d, dtype=float)


def degrees_for_metres(d_m, lat) -> tuple[np.ndarray, np.ndarray]:
    """Half-widths in degrees (lon, lat) of a box that holds every point within ``d_m`` metres
    of points at latitude ``lat`` (conservative: the shortest degree anywhere in reach)."""
    d = np.asarray(d_m, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlat = np.degrees(d / R_MIN)
    far_lat = np.minimum(np.abs(lat) + dlat, 90.0)
    coslat = np.cos(np.radians(far_lat))
    with np.errstate(divide="ignore", invalid="ignore"):
        dlon = np.where(coslat > 1e-9, np.degrees(d / (R_MIN * coslat)), 360.0)
    return np.minimum(dlon, 360.0), dlat
