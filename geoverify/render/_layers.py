"""Boundary and context layers for display, at the precision of the verdicts.

Display only: nothing here decides a verdict. What the page shows, and why:

* **Zones.** The frames define two zones made of grid cells: the *near* zone
  (cells of :data:`NEAR_CELL_DEG` holding a frame, grown by one cell, so every
  frame is at least one cell from its edge) and the *mid* zone (cells of
  :data:`MID_CELL_DEG`, likewise). Everything else inside the context extent
  is *far*.
* **Tiers.** Region polygons are simplified *as a coverage*
  (``shapely.coverage_simplify``: shared edges are simplified once, so
  neighbours never open slivers between them) at a mid and a far tolerance.
  Each region is then drawn exactly (the geometry the verdicts used) inside
  the near zone, at the mid tolerance inside the mid zone and at the far
  tolerance elsewhere. The pieces of all regions still tile the land without
  gaps, because each zone is cut from one coverage. The mid coverage holds
  only the regions that reach into the mid zone outside the near zone (the
  others have nothing to draw at that tier); its edges towards the regions
  left out lie outside that ring.
* **Borders.** The land borders between countries (the lines the distances
  were measured to) get the same three tiers, so in the near zone the drawn
  border *is* the one the verdicts used, and the region fills meet it there.
* **Labels.** Each region and country gets one anchor per sizeable part, its
  pole of inaccessibility (``shapely.maximum_inscribed_circle``): always inside
  the polygon, never in a hole (Kyiv City inside Kyiv oblast).
* **Places.** Settlements within :data:`PLACES_RADIUS_DEG` of a frame, with
  a rank from their population (the page shows them by zoom and declutters).

Coordinates are encoded compactly for the page: each ring or line is a flat
list of integers in micro-degrees, the first pair absolute and the rest
deltas (``[lon0, lat0, dlon1, dlat1, ...]``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from geopandas import GeoDataFrame

#: Near-zone grid cell (degrees): exact geometry within one cell of a frame.
NEAR_CELL_DEG = 0.1
#: Mid-zone grid cell (degrees).
MID_CELL_DEG = 1.0
#: Coverage-simplification tolerance in the mid zone (degrees, ~100 m).
MID_TOLERANCE_DEG = 0.001
#: Smallest far-zone tolerance (degrees, ~2 km); grows with the extent.
FAR_TOLERANCE_DEG = 0.02
#: Context drawn around the frames (degrees of padding on every side).
CONTEXT_PAD_DEG = 4.0
#: Settlements shown within this distance (degrees) of any frame.
PLACES_RADIUS_DEG = 0.6
#: Encoding scale: coordinates are integers in 1/SCALE degrees (0.1 m).
SCALE = 1_000_000

Bbox = tuple[float, float, float, float]


def encode_line(coords: Any) -> list[int]:
    """``[(lon, lat), ...]`` as ``[lon0, lat0, dlon, dlat, ...]`` in micro-degrees.

    Consecutive points that round to the same integers are dropped.
    """
    import numpy as np

    xy = np.asarray(coords, dtype=float)
    if xy.size == 0:
        return []
    # np.rint rounds half to even, as Python's round() of the same product does
    ints = np.rint(xy[:, :2] * SCALE).astype(np.int64)
    steps = np.diff(ints, axis=0)
    steps = steps[(steps != 0).any(axis=1)]  # a point equal to the one before it is dropped
    return [*ints[0].tolist(), *steps.ravel().tolist()]


def decode_line(flat: Sequence[int]) -> list[tuple[float, float]]:
    """Inverse of :func:`encode_line` (for tests and the static figure)."""
    points = []
    x = y = 0
    for k in range(0, len(flat), 2):
        x += flat[k]
        y += flat[k + 1]
        points.append((x / SCALE, y / SCALE))
    return points


def encode_polygons(geom: Any, min_area: float = 0.0) -> list[list[list[int]]]:
    """A (multi)polygon as ``[[ring, hole, ...], ...]`` of encoded rings.

    Parts smaller than ``min_area`` (square degrees) are dropped; so are
    degenerate rings.
    """
    polys: list[list[list[int]]] = []
    for part in _polygon_parts(geom):
        if min_area and part.area < min_area:
            continue
        shell = encode_line(part.exterior.coords)
        if len(shell) < 8:
            continue
        rings = [shell]
        for hole in part.interiors:
            ring = encode_line(hole.coords)
            if len(ring) >= 8:
                rings.append(ring)
        polys.append(rings)
    return polys


def encode_lines(geom: Any) -> list[list[int]]:
    out = []
    for part in _line_parts(geom):
        line = encode_line(part.coords)
        if len(line) >= 4:
            out.append(line)
    return out


def _polygon_parts(geom: Any) -> list[Any]:
    if geom is None or geom.is_empty:
        return []
    kind = geom.geom_type
    if kind == "Polygon":
        return [geom]
    if hasattr(geom, "geoms"):
        parts: list[Any] = []
        for g in geom.geoms:
            parts += _polygon_parts(g)
        return parts
    return []


def _line_parts(geom: Any) -> list[Any]:
    if geom is None or geom.is_empty:
        return []
    kind = geom.geom_type
    if kind in ("LineString", "LinearRing"):
        return [geom]
    if kind == "Polygon":
        return [geom.exterior, *geom.interiors]
    if hasattr(geom, "geoms"):
        parts: list[Any] = []
        for g in geom.geoms:
            parts += _line_parts(g)
        return parts
    return []


@dataclass(frozen=True)
class Zones:
    """The near and mid zones and the context extent of a set of frames."""

    near: Any  # shapely geometry (or None: no frames)
    mid: Any
    extent: Bbox | None
    far_tolerance: float


def _cells(lon: Any, lat: Any, size: float) -> Any:
    """Union of the grid cells of ``size`` holding a point, grown by one cell."""
    import numpy as np
    import shapely

    ix = np.floor(np.asarray(lon) / size).astype(np.int64)
    iy = np.floor(np.asarray(lat) / size).astype(np.int64)
    cells = set(zip(ix.tolist(), iy.tolist()))
    grown = {(x + dx, y + dy) for x, y in cells for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    ordered = sorted(grown)
    xs = np.array([c[0] for c in ordered], dtype=float)
    ys = np.array([c[1] for c in ordered], dtype=float)
    boxes = shapely.box(xs * size, np.maximum(ys * size, -90.0), (xs + 1) * size, np.minimum((ys + 1) * size, 90.0))
    # Distinct grid cells never overlap: a valid coverage, dissolved fast.
    return shapely.coverage_union_all(boxes)


def context_extent(lon: Sequence[float], lat: Sequence[float]) -> Bbox | None:
    """The context extent of the located frames: their bounding box grown by
    :data:`CONTEXT_PAD_DEG` (None without frames). Only boundaries that reach into it are
    drawn in detail."""
    import numpy as np

    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    if lon_a.size == 0:
        return None
    return (
        max(-180.0, float(lon_a.min()) - CONTEXT_PAD_DEG),
        max(-85.0, float(lat_a.min()) - CONTEXT_PAD_DEG),
        min(180.0, float(lon_a.max()) + CONTEXT_PAD_DEG),
        min(85.0, float(lat_a.max()) + CONTEXT_PAD_DEG),
    )


def zones_of(lon: Sequence[float], lat: Sequence[float]) -> Zones:
    """The display zones of the located frames (see the module docstring)."""
    import numpy as np

    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    extent = context_extent(lon_a, lat_a)
    if extent is None:
        return Zones(None, None, None, FAR_TOLERANCE_DEG)
    span = max(extent[2] - extent[0], extent[3] - extent[1])
    far = max(FAR_TOLERANCE_DEG, round(span / 2000.0, 4))
    return Zones(_cells(lon_a, lat_a, NEAR_CELL_DEG), _cells(lon_a, lat_a, MID_CELL_DEG), extent, far)


def _to_wgs84(gdf: GeoDataFrame) -> GeoDataFrame:
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        return gdf.to_crs(4326)
    return gdf


def _in_extent(gdf: GeoDataFrame | None, extent: Bbox) -> GeoDataFrame | None:
    import numpy as np
    import shapely

    if gdf is None or len(gdf) == 0:
        return None
    gdf = _to_wgs84(gdf)
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    idx = np.sort(shapely.STRtree(gdf.geometry.values).query(shapely.box(*extent), predicate="intersects"))
    return gdf.iloc[idx] if len(idx) else None


def _tiered(exact: Any, mid: Any, far: Any, zones: Zones) -> Any:
    """Exact inside the near zone, ``mid`` inside the mid zone, ``far`` elsewhere (arrays)."""
    import shapely

    box = shapely.box(*zones.extent)
    mid_ring = shapely.difference(zones.mid, zones.near)
    outer = shapely.difference(box, zones.mid)
    near_part = shapely.intersection(exact, zones.near)
    mid_part = shapely.intersection(mid, mid_ring)
    far_part = shapely.intersection(far, outer)
    return near_part, mid_part, far_part


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _anchors(geom: Any, min_area: float, limit: int = 3) -> list[list[float]]:
    """Label anchors: pole of inaccessibility of the largest parts (lon, lat, radius)."""
    import shapely

    parts = sorted(_polygon_parts(geom), key=lambda p: -p.area)[:limit]
    anchors = []
    for k, part in enumerate(parts):
        if k and part.area < min_area:
            break
        tolerance = max(1e-4, math.sqrt(part.area) / 200.0)
        line = shapely.maximum_inscribed_circle(part, tolerance)
        centre = shapely.get_point(line, 0)
        radius = shapely.length(line)
        anchors.append([round(centre.x, 5), round(centre.y, 5), round(radius, 4)])
    return anchors


def _valid(geoms: Any) -> Any:
    """Repair only the invalid geometries (coverage simplification needs valid input)."""
    import numpy as np
    import shapely

    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
    return np.asarray(geoms, dtype=object)


def display_layers(
    lon: Sequence[float],
    lat: Sequence[float],
    *,
    adm0: GeoDataFrame | None = None,
    adm1: GeoDataFrame | None = None,
    borders: GeoDataFrame | None = None,
    places: pd.DataFrame | None = None,
    fills: Sequence[str] = ("#f4efe1",),
    outline_codes: Sequence[str] = (),
    world: pd.DataFrame | None = None,
    world_borders: pd.DataFrame | None = None,
    country_names: dict[str, str] | None = None,
    far_base_tolerance: float | None = None,
) -> dict[str, Any]:
    """The page's boundary and context layers for frames at ``lon``/``lat``.

    Parameters
    ----------
    lon, lat
        The located frames.
    adm0, adm1
        Country and region polygons (``code``, ``name``; ``adm1`` may have
        ``country``). Regions are drawn when given; countries are drawn for
        codes that have no regions, and give the country labels and outlines.
    borders
        Land borders (lines). With ``a_country``/``b_country`` columns only
        lines between two different countries are kept.
    places
        Settlements: ``name``, ``population``, ``lon``, ``lat``.
    fills
        Fill colours, assigned to countries in sorted order of their codes.
    outline_codes
        Countries whose dissolved outline the page needs (claimed at country
        level); every country gets its label anchors.
    world
        Coarse country outlines (``code``, ``colour``, ``geometry``) drawn
        outside the context extent, so the map never ends at a rectangle;
        ``colour`` indexes ``fills`` (neighbours differ) for every country.
    world_borders
        Coarse land borders between countries (``a``, ``b``, ``geometry``),
        drawn thin beyond the mid zone (the precise borders are drawn near
        the frames), so the map has no edge where the detail ends.
    country_names
        Country code -> name, for labels (default: the ``adm0`` names).
    far_base_tolerance
        When ``adm1`` and ``adm0`` carry a ``far`` column: the tolerance (degrees) at which
        those polygons were simplified, as one coverage, from the exact ones
        (``scripts/build_far_tier.py``). The far tier is then taken from them (simplified
        further when the extent's far tolerance is larger) instead of from the exact polygons.

    Returns
    -------
    dict
        ``{"regions": [...], "countries": [...], "borders": [...],
        "places": [...], "zones": {...}}``, JSON-able (see the module docstring).
    """
    import numpy as np
    import shapely

    zones = zones_of(lon, lat)
    empty: dict[str, Any] = {"regions": [], "countries": [], "borders": [], "places": [], "backdrop": [],
                             "thinBorders": [],
                             "extent": None,
                             "zones": {"near": NEAR_CELL_DEG, "mid": MID_CELL_DEG, "midTolerance": MID_TOLERANCE_DEG,
                                       "farTolerance": zones.far_tolerance}}
    if zones.extent is None:
        return empty
    min_far_area = (zones.far_tolerance * 3) ** 2

    import zlib

    palette: dict[str, str] = {}
    world_outline: dict[str, Any] = {}
    world_geoms = None
    if world is not None and len(world):
        world_geoms = world.geometry.values if hasattr(world, "geometry") else shapely.from_wkb(world["geometry"])
        for code, colour_index, geom in zip(world["code"], world["colour"], world_geoms):
            palette[str(code)] = fills[int(colour_index) % len(fills)]
            world_outline[str(code)] = geom

    def fill_of(code: str) -> str:
        return palette.get(code) or fills[zlib.crc32(code.encode("utf-8")) % len(fills)]

    regions_gdf = _in_extent(adm1, zones.extent)
    countries_gdf = _in_extent(adm0, zones.extent)

    # one table of drawable units: regions, plus countries that have no regions
    units: list[dict[str, Any]] = []
    geoms: list[Any] = []
    far_base: list[Any] = []  # the far tier simplified beforehand, where given
    if regions_gdf is not None:
        far_base += list(regions_gdf["far"]) if "far" in regions_gdf.columns else [None] * len(regions_gdf)
        has_country = "country" in regions_gdf.columns
        for code, name, country, geom in zip(
            regions_gdf["code"] if "code" in regions_gdf.columns else [None] * len(regions_gdf),
            regions_gdf["name"] if "name" in regions_gdf.columns else [None] * len(regions_gdf),
            regions_gdf["country"] if has_country else [None] * len(regions_gdf),
            regions_gdf.geometry.values,
        ):
            units.append({"code": _text(code), "name": _text(name), "country": _text(country), "level": "adm1"})
            geoms.append(geom)
    covered = {u["country"] for u in units if u["country"]}
    adm0_names: dict[str, str | None] = {}
    far_of: dict[str, Any] = {}
    if countries_gdf is not None and "far" in countries_gdf.columns:
        far_of = {_text(c): g for c, g in zip(countries_gdf["code"], countries_gdf["far"])}
    if countries_gdf is not None:
        for code, name, geom in zip(countries_gdf["code"], countries_gdf["name"] if "name" in countries_gdf.columns
                                    else [None] * len(countries_gdf), countries_gdf.geometry.values):
            code = _text(code)
            if code is None:
                continue
            adm0_names[code] = _text(name)
            if code not in covered:
                units.append({"code": code, "name": _text(name), "country": code, "level": "adm0"})
                geoms.append(geom)
                far_base.append(far_of.get(code))

    regions: list[dict[str, Any]] = []
    countries: list[dict[str, Any]] = []
    exact = _valid(np.array(geoms, dtype=object)) if units else None
    with ThreadPoolExecutor(max_workers=2) as pool:
        # the far tier of every region (it also places their labels) is the largest piece of
        # GEOS work: it runs on its own thread while the layers that do not need it are cut
        simplifying = None
        if units and far_base_tolerance is not None and all(g is not None for g in far_base):
            # the far tier from the coverage simplified beforehand: a few vertices to go
            base = np.array(far_base, dtype=object)
            simplifying = (pool.submit(shapely.coverage_simplify, base, zones.far_tolerance)
                           if zones.far_tolerance > far_base_tolerance else None)
            far = base
        elif units:
            simplifying = pool.submit(shapely.coverage_simplify, exact, zones.far_tolerance)
        # the layers that do not depend on the units are cut on the helper thread too (after
        # the far tier, if it is simplified), while this one makes the units' mid tier
        backdrop_f = pool.submit(_backdrop, world, world_geoms, palette, zones)
        lines_f = pool.submit(_land_border_lines, borders, zones)
        thin_f = pool.submit(_thin_border_lines, world_borders, zones)
        shown_places: list[list[Any]] = []
        if places is not None and len(places):
            shown_places = _places_near(places, np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        if units:
            # the mid tier only for the regions the mid zone's ring crosses (a wide extent
            # holds hundreds of regions that are drawn only at the far tier)
            in_ring = shapely.intersects(exact, shapely.difference(zones.mid, zones.near))
            mid = np.full(len(exact), shapely.Polygon(), dtype=object)
            if in_ring.any():
                mid[in_ring] = shapely.coverage_simplify(exact[in_ring], MID_TOLERANCE_DEG)
        if simplifying is not None:
            far = simplifying.result()
        elif not units:
            far = None
        if units:
            near_part, mid_part, far_part = _tiered(exact, mid, far, zones)
            _cut_units(units, exact, far, near_part, mid_part, far_part, zones, outline_codes, fill_of,
                       world_outline, country_names or {}, adm0_names, min_far_area, pool, regions, countries)
        backdrop, lines, thin = backdrop_f.result(), lines_f.result(), thin_f.result()
    result = dict(empty)
    result.update({"regions": regions, "countries": countries, "borders": lines, "places": shown_places,
                   "backdrop": backdrop, "extent": list(zones.extent), "thinBorders": thin})
    return result


def _cut_units(units: list[dict[str, Any]], exact: Any, far: Any, near_part: Any, mid_part: Any, far_part: Any,
               zones: Zones, outline_codes: Sequence[str], fill_of: Any, world_outline: dict[str, Any],
               country_names: dict[str, str], adm0_names: dict[str, str | None], min_far_area: float,
               pool: ThreadPoolExecutor, regions: list[dict[str, Any]], countries: list[dict[str, Any]]) -> None:
    """The drawn regions and the countries' outlines and labels (appended to ``regions`` and
    ``countries``). The outlines of the countries claimed as a whole (a dissolve of every piece
    of their regions: the largest GEOS work left) are made on ``pool`` while the regions are
    encoded here."""
    import shapely

    box = shapely.box(*zones.extent)
    by_country: dict[str, list[int]] = {}
    for k, unit in enumerate(units):
        by_country.setdefault(unit["country"] or unit["code"] or "", []).append(k)
    wanted = [code for code in sorted(by_country) if code and code in outline_codes]
    outlines = {code: pool.submit(_outline, [g for k in by_country[code] for g in (near_part[k], mid_part[k], far_part[k])],
                                  world_outline.get(code), box)
                for code in wanted}
    detail = set(outline_codes)
    near_hit = shapely.intersects(exact, zones.near)
    for k, unit in enumerate(units):
        if near_hit[k]:
            detail.add(unit["country"] or unit["code"] or "")
    far_in_box = shapely.intersection(far, box)  # one call for all
    for k, unit in enumerate(units):
        polys = (encode_polygons(near_part[k]) + encode_polygons(mid_part[k])
                 + encode_polygons(far_part[k], min_area=min_far_area))
        if not polys:
            continue
        regions.append({
            "code": unit["code"], "name": unit["name"], "country": unit["country"], "level": unit["level"],
            "fill": fill_of(unit["country"] or unit["code"] or ""),
            # region lines only in the countries of the frames (and claimed ones)
            "stroke": (unit["country"] or unit["code"] or "") in detail,
            "polys": polys,
            "anchors": _anchors(far_in_box[k], min_far_area * 50),
        })
    # countries: dissolved from their drawn pieces (claimed outline and labels)
    for code in sorted(by_country):
        if not code:
            continue
        members = by_country[code]
        if code in world_outline:  # already dissolved at build time
            far_outline = world_outline[code]
        else:
            far_outline = shapely.union_all(shapely.simplify(far[members], zones.far_tolerance * 5))
        far_outline = shapely.intersection(far_outline, box)
        countries.append({
            "code": code,
            "name": country_names.get(code) or adm0_names.get(code) or code,
            "polys": outlines[code].result() if code in outlines else [],
            "anchors": _anchors(far_outline, min_far_area * 50),
        })


def _outline(pieces: list[Any], world_geom: Any, box: Any) -> list[list[list[int]]]:
    """A claimed country's outline, encoded: its drawn pieces dissolved, and beyond the detailed
    area its coarse outline, so that no cut shows."""
    import shapely

    parts = [g for g in pieces if not g.is_empty]
    if world_geom is not None:
        parts.append(shapely.difference(world_geom, box))
    # one dissolve of everything: the same area as dissolving the pieces first and the coarse
    # rest after, in half the time (Russia of a 100,000-frame page: 0.46 s instead of 0.89 s)
    return encode_polygons(shapely.union_all(parts))


def _backdrop(world: Any, world_geoms: Any, palette: dict[str, str], zones: Zones) -> list[dict[str, Any]]:
    """Coarse country outlines around the context extent (30 degrees either side)."""
    import numpy as np
    import shapely

    backdrop: list[dict[str, Any]] = []
    if world_geoms is None:
        return backdrop
    wide = (max(-180.0, zones.extent[0] - 30), -85.0, min(180.0, zones.extent[2] + 30), 85.0)
    outside = shapely.difference(shapely.box(*wide), shapely.box(*zones.extent))
    near_idx = np.sort(shapely.STRtree(world_geoms).query(shapely.box(*wide), predicate="intersects"))
    parts = shapely.intersection(np.asarray(world_geoms, dtype=object)[near_idx], outside)  # one call
    codes = world["code"].to_numpy(dtype=object)
    for k, part in zip(near_idx.tolist(), parts):
        code = str(codes[k])
        polys = encode_polygons(part, min_area=0.05)
        if polys:
            backdrop.append({"code": code, "fill": palette[code], "polys": polys})
    return backdrop


def _land_border_lines(borders: GeoDataFrame | None, zones: Zones) -> list[list[int]]:
    """The land borders between countries, exact in the near zone and simplified in the mid
    zone (beyond it the thin world borders take over)."""
    import shapely

    lines: list[list[int]] = []
    borders_gdf = _in_extent(borders, zones.extent)
    if borders_gdf is None:
        return lines
    if {"a_country", "b_country"} <= set(borders_gdf.columns):
        keep = borders_gdf["a_country"].astype(str) != borders_gdf["b_country"].astype(str)
        borders_gdf = borders_gdf[keep.to_numpy()]
    if "kind" in borders_gdf.columns:
        borders_gdf = borders_gdf[(borders_gdf["kind"].astype(str) == "country").to_numpy()]
    if len(borders_gdf):
        # the border pieces are shared edges, each drawn once and noded where they meet: they
        # are joined end to end as they are (a snapping union of them took 0.3 s and more on a
        # wide extent, for the same lines)
        geoms_b = shapely.line_merge(shapely.MultiLineString(
            list(shapely.get_parts(borders_gdf.geometry.values))))
        # only the part inside the mid zone is simplified (a topology-preserving
        # simplification of every border in a wide extent took seconds)
        near_part = shapely.intersection(geoms_b, zones.near)
        mid_b = shapely.simplify(shapely.intersection(geoms_b, zones.mid), MID_TOLERANCE_DEG)
        mid_part = shapely.intersection(mid_b, shapely.difference(zones.mid, zones.near))
        for part in (near_part, mid_part):
            for line in encode_lines(shapely.line_merge(part) if not part.is_empty else part):
                lines.append(line)
    return lines


def _thin_border_lines(world_borders: Any, zones: Zones) -> list[list[int]]:
    """Coarse land borders beyond the mid zone (30 degrees either side of the extent)."""
    import numpy as np
    import shapely

    thin: list[list[int]] = []
    if world_borders is None or not len(world_borders):
        return thin
    wb_geoms = (world_borders.geometry.values if hasattr(world_borders, "geometry")
                else shapely.from_wkb(world_borders["geometry"]))
    wide = shapely.box(max(-180.0, zones.extent[0] - 30), -85.0, min(180.0, zones.extent[2] + 30), 85.0)
    beyond = shapely.difference(wide, zones.mid)
    hit = np.sort(shapely.STRtree(wb_geoms).query(wide, predicate="intersects"))
    for part in shapely.intersection(np.asarray(wb_geoms, dtype=object)[hit], beyond):  # one call
        thin += encode_lines(part)
    return thin


#: Population thresholds of the place ranks (rank 0 = biggest).
PLACE_RANKS: tuple[int, ...] = (1_000_000, 250_000, 50_000, 10_000, 3_000, 0)


def place_rank(population: int) -> int:
    for rank, threshold in enumerate(PLACE_RANKS):
        if population >= threshold:
            return rank
    return len(PLACE_RANKS) - 1


def _places_near(places: pd.DataFrame, lon: Any, lat: Any) -> list[list[Any]]:
    """``[[name, lon, lat, rank, population], ...]`` near the frames, biggest first."""
    import numpy as np

    size = PLACES_RADIUS_DEG
    cells = set(zip(np.floor(lon / size).astype(np.int64).tolist(), np.floor(lat / size).astype(np.int64).tolist()))
    grown = {(x + dx, y + dy) for x, y in cells for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    plon = places["lon"].to_numpy(dtype=float)
    plat = places["lat"].to_numpy(dtype=float)
    px = np.floor(plon / size).astype(np.int64)
    py = np.floor(plat / size).astype(np.int64)
    keys = px * 10_000_000 + py
    wanted = np.array(sorted(x * 10_000_000 + y for x, y in grown), dtype=np.int64)
    mask = np.isin(keys, wanted)
    chosen = places[mask]
    chosen = chosen.sort_values(["population", "name"], ascending=[False, True], kind="mergesort")
    out = []
    for name, x, y, pop in zip(chosen["name"], chosen["lon"], chosen["lat"], chosen["population"]):
        if not isinstance(name, str) or not name:
            continue
        pop = int(pop)
        out.append([name, round(float(x), 5), round(float(y), 5), place_rank(pop), pop])
    return out
