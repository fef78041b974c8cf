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
    ellipsoid (:func:`local_distances_m`, for one point).
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    return local_distances_m(np.full(n, float(lon)), np.full(n, float(lat)), geoms, window_m)


def _frame_scales(lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres per degree of longitude and of latitude at each latitude (``math``, one value
    at a time: the same bits whatever the array)."""
    kx, ky = np.empty(len(lat)), np.empty(len(lat))
    for i, la in enumerate(lat.tolist()):
        m, n = _radii(la)
        kx[i] = math.radians(1.0) * n * max(math.cos(math.radians(la)), 1e-6)
        ky[i] = math.radians(1.0) * m
    return kx, ky


def _clip(geoms, x0, y0, x1, y1):
    """``shapely.clip_by_rect`` of each geometry by its own rectangle (shapely's function takes
    one rectangle; its compiled function takes arrays)."""
    fn = getattr(getattr(shapely, "lib", None), "clip_by_rect", None)
    if isinstance(fn, np.ufunc):
        return fn(geoms, x0, y0, x1, y1)
    return np.array([shapely.clip_by_rect(g, *r) for g, *r in zip(
        geoms, x0.tolist(), y0.tolist(), x1.tolist(), y1.tolist())], dtype=object)


def local_distances_m(lon, lat, geoms, window_m: float) -> np.ndarray:
    """:func:`local_distance_m` of pairs: the distance (m) from point ``(lon[i], lat[i])`` to
    ``geoms[i]`` within ``window_m`` of the point (``inf`` beyond; 0 inside a polygon).

    Each geometry is clipped to the window around its point, put in an equirectangular frame
    centred on the point and scaled by the ellipsoid's radii there, and measured from the
    origin; the nearest point found is then measured on the ellipsoid. Every step works
    element by element, so a pair gets the same bits alone or among others."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), np.inf)
    if len(geoms) == 0:
        return out
    kx, ky = _frame_scales(lat)
    dx, dy = window_m / kx, window_m / ky
    parts = _clip(geoms, lon - dx, lat - dy, lon + dx, lat + dy)
    idx = np.flatnonzero(~shapely.is_empty(parts))
    if len(idx) == 0:
        return out
    sub = np.array(parts[idx], dtype=object)
    coords, owner = shapely.get_coordinates(sub, return_index=True)
    origin = np.stack([lon[idx], lat[idx]], axis=1)[owner]
    scale = np.stack([kx[idx], ky[idx]], axis=1)[owner]
    local = shapely.set_coordinates(sub, (coords - origin) * scale)
    zero = shapely.Point(0.0, 0.0)
    d = shapely.distance(zero, local)
    out[idx[d == 0.0]] = 0.0
    far = np.flatnonzero(~(d == 0.0))
    if len(far):
        q = shapely.get_coordinates(shapely.shortest_line(zero, local[far]))[1::2]
        j = idx[far]
        out[j] = geodesic_m(lon[j], lat[j], lon[j] + q[:, 0] / kx[j], lat[j] + q[:, 1] / ky[j])
    return out
