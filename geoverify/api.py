"""The Python API: :func:`read_claims` and :func:`check`."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import pandas as pd

from geoverify.core.result import CheckResult
from geoverify.core.table import claims_frame, normalise
from geoverify.errors import ClaimsFileError
from geoverify.run.memory import check_raw


def _load_boundaries(boundaries: Any):
    from geoverify.boundaries import load_boundaries

    return load_boundaries(boundaries)


def _raw_from_frame(df: pd.DataFrame):
    from geoverify.io.table import RawTable

    geometry = None
    problems: dict[int, str] = {}
    data = df
    if hasattr(df, "geometry") and getattr(df, "_geometry_column_name", None) in df.columns:
        gdf = df
        if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
            gdf = gdf.to_crs(4326)
        geometry = []
        for i, g in enumerate(gdf.geometry):
            if g is None or g.is_empty:
                geometry.append(None)
            elif g.geom_type == "Point":
                geometry.append((g.x, g.y, g.wkt))
            else:
                geometry.append((math.nan, math.nan, g.wkt))
                problems[i] = f"geometry is a {g.geom_type}, not a Point"
        data = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    numeric = frozenset(str(c) for c in data.columns if pd.api.types.is_numeric_dtype(data[c]))
    text = data.astype(object).where(pd.notna(data), "").astype(str)
    text.columns = [str(c) for c in text.columns]
    digest = hashlib.sha256(text.to_csv(index=False).encode("utf-8")).hexdigest()
    return RawTable(text.reset_index(drop=True), "<DataFrame>", digest, "dataframe", geometry,
                    problems, numeric_columns=numeric)


def _raw(claims: Any, fmt: str | None = None, *, columns: Any = None, **options: Any):
    """The raw table of ``claims``, with the column mapping applied; refused (ClaimsFileError)
    when no column can hold the coordinates."""
    from geoverify.io.claims import read_table
    from geoverify.io.columns import apply_column_mapping, column_mapping, require_coordinates

    if isinstance(claims, (str, Path)):
        raw = read_table(claims, fmt=fmt, columns=columns,
                         **{k: v for k, v in options.items() if v is not None})
    elif isinstance(claims, pd.DataFrame):
        raw, _ = apply_column_mapping(_raw_from_frame(claims), column_mapping(columns, "columns="))
    else:
        raise ClaimsFileError(
            f"claims must be a path, a DataFrame or a GeoDataFrame, not {type(claims).__name__}")
    require_coordinates(raw)
    return raw


def read_claims(source: str | Path | pd.DataFrame, *, fmt: str | None = None,
                sheet: str | int | None = None, schema: str | None = None,
                layer: str | None = None, encoding: str | None = None,
                columns: dict[str, str] | str | None = None):
    """Read claims into a GeoDataFrame, one row per input row (nothing dropped).

    Parameters
    ----------
    source
        Path to a claims file (CSV/TSV/GeoJSON/JSON/JSONL; ``-`` for stdin), or a DataFrame.
    fmt
        Force a format instead of sniffing it from the name and content.
    sheet, layer
        The XLSX sheet (name or 0-based index) or the GeoPackage layer to read.
    schema
        Force an export adapter (``geoconfirmed``, ``cir``, ``timemap``, ``acled``) or
        ``none``; by default adapters are sniffed.
    encoding
        Force a text encoding instead of detecting it.
    columns
        Column mapping for headers geoverify does not recognise: ``{"lat": "latitude_deg",
        "lon": "longitude_deg"}`` or ``"lat=latitude_deg,lon=longitude_deg"``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``row, id, clip, frame, lon, lat, coordinates_text, notation, claimed, source,
        date, precision_m, role, extra, findings`` and point geometry (empty when unlocated).
        ``attrs["input"]`` holds the path, sha256, row count, format, adapter and column
        mapping (as the report's ``input``).

    Raises
    ------
    ClaimsFileError
        The file cannot be read, or no column can hold the coordinates (the message lists
        the columns, the closest matches and the ``columns`` that would map them).
    """
    import geopandas as gpd

    from geoverify.io.columns import describe_input

    raw = _raw(source, fmt, sheet=sheet, schema=schema, layer=layer, encoding=encoding,
               columns=columns)
    df = claims_frame(normalise(raw))
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")
    gdf.attrs["input"] = describe_input(raw, len(df))
    return gdf


def check(claims: Any, *, boundaries: Any = "embedded", fmt: str | None = None,
          sheet: str | int | None = None, schema: str | None = None, layer: str | None = None,
          encoding: str | None = None, control: Any = None,
          columns: dict[str, str] | str | None = None, progress=None) -> CheckResult:
    """Check claims: where each frame is, whether that agrees with its claim, tallies per clip.

    Parameters
    ----------
    claims
        A path, a DataFrame, or a GeoDataFrame of points.
    boundaries
        Name of a boundary set (``"embedded"``) or a loaded :class:`BoundarySet`.
    fmt, sheet, schema, layer, encoding, columns
        Reading options, as for :func:`read_claims`.
    control
        Optional dated control layer (a path or a GeoDataFrame with ``party``,
        ``valid_from``, ``valid_to``): each frame gets ``controlled_by`` as of its own date.
    progress
        Optional object with ``total`` and ``advance(rows)`` (the CLI's progress line).

    Returns
    -------
    CheckResult
        ``.frames`` (GeoDataFrame, one row per input row), ``.clips`` (DataFrame) and
        ``.to_dict()`` (the JSON report).
    """
    raw = _raw(claims, fmt, sheet=sheet, schema=schema, layer=layer, encoding=encoding,
               columns=columns)
    bset = _load_boundaries(boundaries)
    if progress is not None:
        progress.total = len(raw.data)
    return check_raw(raw, bset, control=_control_layer(control),
                     progress=None if progress is None else progress.advance)


def _control_layer(control: Any):
    if control is None or not isinstance(control, (str, Path)):
        return control
    import hashlib

    from geoverify.io.boundaries import read_vector, to_wgs84

    gdf = to_wgs84(read_vector(control))
    gdf.attrs["provenance"] = {"name": Path(control).name, "source": str(control),
                               "sha256": hashlib.sha256(Path(control).read_bytes()).hexdigest()}
    return gdf


def _display_layers(report: dict[str, Any], bset, pad_deg: float = 2.0):
    """Country and region polygons and land borders around the frames, for a map."""
    import geopandas as gpd
    import numpy as np
    import shapely

    lons = [f["lon"] for f in report["frames"] if f["lon"] is not None]
    lats = [f["lat"] for f in report["frames"] if f["lat"] is not None]
    if not lons:
        return None, None, None
    box = (min(lons) - pad_deg, max(-90.0, min(lats) - pad_deg),
           max(lons) + pad_deg, min(90.0, max(lats) + pad_deg))
    units = bset.units
    idx = np.sort(shapely.STRtree(units.geometry.values).query(shapely.box(*box)))
    near = units.iloc[idx]
    # display only: the renderer clips and simplifies further
    shown = shapely.simplify(near.geometry.values, 0.002, preserve_topology=True)
    is_region = (near["level"] == "adm1").to_numpy()
    adm1 = gpd.GeoDataFrame(near[is_region][["code", "name", "country"]].copy(),
                            geometry=shown[is_region], crs="EPSG:4326")
    names = dict(zip(bset.countries["code"], bset.countries["name"]))
    countries = sorted(set(near["country"]))
    owner = near["country"].to_numpy()
    coarse = shapely.simplify(shown, 0.01, preserve_topology=True)
    adm0 = gpd.GeoDataFrame(
        {"code": countries, "name": [names.get(c, c) for c in countries]},
        geometry=[shapely.union_all(coarse[owner == c], grid_size=1e-6) for c in countries],
        crs="EPSG:4326")
    b = bset.borders
    land = b[b["kind"] == "country"]
    lidx = np.sort(shapely.STRtree(land.geometry.values).query(shapely.box(*box)))
    return adm0, adm1, land.iloc[lidx]


def build_map(claims: Any, *, boundaries: Any = "embedded", title: str | None = None,
              cdn: bool = False, tiles: str | None = None, tiles_attribution: str | None = None,
              **read_options: Any):
    """The evidence map of a check, as a folium Map (displays inline in notebooks).

    Parameters
    ----------
    claims
        A :class:`CheckResult`, its ``to_dict()``, or anything :func:`check` accepts.
    title, cdn, tiles, tiles_attribution
        As for ``geoverify map``: the page title, load Leaflet from a CDN instead of inlining
        it, and an optional tile basemap (none by default: the boundaries are the basemap).
    """
    from geoverify.render import build_map as render_map

    if isinstance(claims, CheckResult):
        report = claims.to_dict()
    elif isinstance(claims, dict) and "frames" in claims:
        report = claims
    else:
        report = check(claims, boundaries=boundaries, **read_options).to_dict()
    bset = _load_boundaries(boundaries)
    adm0, adm1, borders = _display_layers(report, bset)
    return render_map(report, adm0=adm0, adm1=adm1, borders=borders, title=title, cdn=cdn,
                      tiles=tiles, tiles_attribution=tiles_attribution)
