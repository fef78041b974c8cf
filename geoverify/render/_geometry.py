"""Boundary layers cut down for display: clipped, simplified, rounded.

Display only. Nothing here is used to decide a verdict; the core does that
with the full-precision layers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from geopandas import GeoDataFrame

#: Douglas-Peucker tolerance (degrees) for country and region polygons.
POLYGON_SIMPLIFY_DEG = 0.005
#: Padding (degrees) added around the frames' bounding box before clipping.
BBOX_PAD_DEG = 1.5
#: Decimals kept for simplified polygons (1e-4 deg ~ 11 m, far below the
#: simplification tolerance) and for the precise border lines (1e-6 deg ~ 0.1 m).
POLYGON_DECIMALS = 4
BORDER_DECIMALS = 6

Bbox = tuple[float, float, float, float]


def padded_bbox(bounds: Bbox | None, pad: float = BBOX_PAD_DEG) -> Bbox | None:
    """``bounds`` grown by ``pad`` degrees on every side, clamped to the globe."""
    if bounds is None:
        return None
    min_lon, min_lat, max_lon, max_lat = bounds
    return (
        max(-180.0, min_lon - pad),
        max(-90.0, min_lat - pad),
        min(180.0, max_lon + pad),
        min(90.0, max_lat + pad),
    )


def _to_wgs84(gdf: GeoDataFrame) -> GeoDataFrame:
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        return gdf.to_crs(4326)
    return gdf


def _round_coords(coords: Any, ndigits: int) -> list[list[float]]:
    out = []
    last = None
    for x, y, *_ in coords:
        point = [round(x, ndigits), round(y, ndigits)]
        if point != last:  # rounding can make neighbours equal
            out.append(point)
            last = point
    return out


def _polygon_rings(polygon: Any, ndigits: int) -> list[list[list[float]]] | None:
    rings = [_round_coords(polygon.exterior.coords, ndigits)]
    if len(rings[0]) < 4:
        return None
    for interior in polygon.interiors:
        ring = _round_coords(interior.coords, ndigits)
        if len(ring) >= 4:
            rings.append(ring)
    return rings


def geometry_to_geojson(geom: Any, ndigits: int, keep: str | None = None) -> dict[str, Any] | None:
    """A (multi)polygon or (multi)line as a GeoJSON geometry with rounded
    coordinates; other parts (points, empties) are dropped, and so are lines
    when ``keep="polygon"`` and polygons when ``keep="line"``. ``None`` if
    nothing drawable is left."""
    polygons: list[Any] = []
    lines: list[Any] = []

    def collect(g: Any) -> None:
        if g is None or g.is_empty:
            return
        kind = g.geom_type
        if kind == "Polygon":
            rings = _polygon_rings(g, ndigits)
            if rings:
                polygons.append(rings)
        elif kind in ("LineString", "LinearRing"):
            coords = _round_coords(g.coords, ndigits)
            if len(coords) >= 2:
                lines.append(coords)
        elif hasattr(g, "geoms"):
            for part in g.geoms:
                collect(part)

    collect(geom)
    if keep == "polygon":
        lines = []
    elif keep == "line":
        polygons = []
    if polygons and not lines:
        if len(polygons) == 1:
            return {"type": "Polygon", "coordinates": polygons[0]}
        return {"type": "MultiPolygon", "coordinates": polygons}
    if lines and not polygons:
        if len(lines) == 1:
            return {"type": "LineString", "coordinates": lines[0]}
        return {"type": "MultiLineString", "coordinates": lines}
    if polygons and lines:
        return {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "MultiPolygon", "coordinates": polygons},
                {"type": "MultiLineString", "coordinates": lines},
            ],
        }
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


def _clip(gdf: GeoDataFrame, bbox: Bbox | None) -> tuple[list[int], list[Any]]:
    """Positions and geometries of the rows that touch ``bbox``."""
    import shapely

    geoms = gdf.geometry.values
    if bbox is None:
        positions = list(range(len(gdf)))
        return positions, [geoms[i] for i in positions]
    box = shapely.box(*bbox)
    positions = sorted(int(i) for i in gdf.sindex.query(box, predicate="intersects"))
    return positions, [geoms[i] for i in positions]


def prepare_polygons(
    gdf: GeoDataFrame | None,
    bbox: Bbox | None,
    *,
    fields: Iterable[str] = ("code", "name"),
    tolerance: float = POLYGON_SIMPLIFY_DEG,
    ndigits: int = POLYGON_DECIMALS,
) -> list[dict[str, Any]]:
    """Display features for a polygon layer.

    Each polygon is simplified on its own (topology between neighbours is not
    kept: slivers of up to ``tolerance`` are expected and harmless on a map
    whose precise border is drawn separately), then clipped to ``bbox``.
    Returns GeoJSON features ``{"type": "Feature", "properties": {...},
    "geometry": {...}}`` with the requested ``fields`` as properties.
    """
    if gdf is None or len(gdf) == 0:
        return []
    import shapely

    gdf = _to_wgs84(gdf)
    fields = [f for f in fields if f in gdf.columns]
    positions, geoms = _clip(gdf, bbox)
    if not positions:
        return []
    simplified = shapely.simplify(geoms, tolerance, preserve_topology=True)
    if bbox is not None:
        simplified = shapely.intersection(simplified, shapely.box(*bbox))
    features: list[dict[str, Any]] = []
    columns = {f: gdf[f].values for f in fields}
    for pos, geom in zip(positions, simplified):
        geometry = geometry_to_geojson(geom, ndigits, keep="polygon")
        if geometry is None:
            continue
        props = {f: _text(columns[f][pos]) for f in fields}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return features


def prepare_lines(
    gdf: GeoDataFrame | None,
    bbox: Bbox | None,
    *,
    ndigits: int = BORDER_DECIMALS,
) -> list[dict[str, Any]]:
    """The precise border lines inside ``bbox``: clipped, not simplified."""
    if gdf is None or len(gdf) == 0:
        return []
    import shapely

    gdf = _to_wgs84(gdf)
    positions, geoms = _clip(gdf, bbox)
    if not positions:
        return []
    if bbox is not None:
        geoms = shapely.intersection(geoms, shapely.box(*bbox))
    features = []
    for geom in geoms:
        if geom is not None and geom.geom_type in ("Polygon", "MultiPolygon"):
            geom = geom.boundary
        geometry = geometry_to_geojson(geom, ndigits, keep="line")
        if geometry is not None:
            features.append({"type": "Feature", "properties": {}, "geometry": geometry})
    return features
