"""Small geometric helpers: cutting lines into pieces, and exact local distances for the
coastal band.

Bulk distances to boundary lines are :mod:`geoverify.engine.lines`'s job; this module serves
the few points that need a distance to whole polygons (points just off a simplified coast).
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from geoverify.engine.geodesy import E2, A, geodesic_m


def _radii(lat_deg: float) -> tuple[float, float]:
    """Meridional (M) and prime-vertical (N) radii of curvature in metres."""
    s = math.sin(math.radians(lat_deg))
    w = math.sqrt(1.0 - E2 * s * s)
    return A * (1.0 - E2) / (w**3), A / w


def explode_lines(geoms, max_vertices: int = 64):
    """Cut (multi)lines into pieces of at most ``max_vertices`` vertices.

    Returns ``(pieces, source_index)`` so attributes can follow the pieces.
    """
    parts, src = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    coords, owner = shapely.get_coordinates(parts, return_index=True)
    n = np.bincount(owner, minlength=len(parts)).astype(np.int64)
    if len(parts) == 0 or (n < 2).any() or max_vertices < 2:
        return _explode_each(parts, src, max_vertices)
    # all at once: a part of more than max_vertices vertices is cut every max_vertices - 1
    # (consecutive pieces share a vertex), as _explode_each does one part at a time
    step = max_vertices - 1
    count = np.where(n <= max_vertices, 1, -(-(n - 1) // step))
    part = np.repeat(np.arange(len(parts)), count)
    j = np.arange(len(part)) - np.repeat(np.cumsum(count) - count, count)
    whole = n[part] <= max_vertices
    start = np.where(whole, 0, j * step)
    stop = np.where(whole, n[part], np.minimum(start + max_vertices, n[part]))
    pieces = parts[part]  # a part short enough is its own piece, as it is
    cut = np.flatnonzero(~whole)
    if len(cut):
        first = np.concatenate([[0], np.cumsum(n)[:-1]])[part[cut]] + start[cut]
        length = stop[cut] - start[cut]
        at = np.repeat(first - (np.cumsum(length) - length), length) + np.arange(
            int(length.sum()))
        pieces[cut] = shapely.linestrings(coords[at],
                                          indices=np.repeat(np.arange(len(cut)), length))
    return np.asarray(pieces, dtype=object), np.asarray(src[part], dtype=np.int64)


def _explode_each(parts, src, max_vertices: int):
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

    The geometries are clipped to the window and measured in an equirectangular frame scaled
    by the ellipsoid's radii at the point; the nearest point found is then measured on the
    ellipsoid.
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
        out[i] = float(geodesic_m([lon], [lat], [lon + qx / kx], [lat + qy / ky])[0])
    return out
