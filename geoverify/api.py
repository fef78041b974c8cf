"""The Python API: :func:`read_claims` and :func:`check`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from geoverify.boundaries.control import read_control
from geoverify.core.result import CheckResult, float_column, record_columns, text_column
from geoverify.core.table import claims_frame, normalise
from geoverify.engine.index import ENGINE_MIN_POINTS, boundary_index
from geoverify.errors import ClaimsFileError, ConfigError
from geoverify.heap import gc_paused
from geoverify.io.context import (
    PLACES_ATTRIBUTION,
    read_places,
    read_world,
    read_world_borders,
    regions_far,
)
from geoverify.io.table import raw_from_frame
from geoverify.run.memory import check_raw, swapped_notes


def example_claims() -> Path:
    """Path of the embedded example claims file (``belgorod-2023.csv``), to try things on."""
    from geoverify.boundaries import examples_dir

    return examples_dir() / "belgorod-2023.csv"


def _load_boundaries(boundaries: Any):
    from geoverify.boundaries import load_boundaries

    return load_boundaries(boundaries)


#: A claims file at least this large (bytes; about 25,000 rows of a plain CSV) is checked with
#: the locating engine: it is loaded while the file is still being read.
WARM_BYTES = 1 << 20


def _load_and_warm(boundaries: Any, claims: Any):
    """The boundary set; for a large claims input, the engine and the line sets then load on
    the helper thread (:meth:`~geoverify.engine.index.BoundaryIndex.warm_ahead`)."""
    bset = _load_boundaries(boundaries)
    if isinstance(claims, (str, Path)):
        try:
            many = Path(claims).stat().st_size >= WARM_BYTES
        except OSError:  # stdin, a missing file: the reader says what is wrong
            many = False
    else:
        many = len(claims) >= ENGINE_MIN_POINTS if isinstance(claims, pd.DataFrame) else False
    if many:
        boundary_index(bset).warm_ahead()
    return bset


def _raw(claims: Any, fmt: str | None = None, *, columns: Any = None, **options: Any):
    """The raw table of ``claims``, with the column mapping applied; refused (ClaimsFileError)
    when no column can hold the coordinates."""
    from geoverify.io.claims import read_table
    from geoverify.io.columns import apply_column_mapping, column_mapping, require_coordinates

    if isinstance(claims, (str, Path)):
        raw = read_table(claims, fmt=fmt, columns=columns,
                         **{k: v for k, v in options.items() if v is not None})
    elif isinstance(claims, pd.DataFrame):
        raw, _ = apply_column_mapping(raw_from_frame(claims), column_mapping(columns, "columns="))
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
          columns: dict[str, str] | str | None = None, cities_in_regions: bool = False,
          progress=None, sink=None) -> CheckResult:
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
    cities_in_regions
        Count a point in a city with special status as in the region that encloses it (Kyiv
        in Kyiv Oblast, Sevastopol in Crimea, Moscow in Moscow Oblast...) when the claim names
        that region; such rows get the info finding ``city-in-region``. Off by default (strict:
        a point in Kyiv claimed as Kyiv Oblast is a ``mismatch`` whose message names this
        option). Recorded in the report's ``settings``.
    progress
        Optional object with ``total`` and ``advance(rows)`` (the CLI's progress line).
    sink
        Optional open :class:`geoverify.run.sink.FrameSink`: the frames are written to it, in
        input order, as they are checked, and the result's table keeps only the columns of
        :data:`geoverify.run.memory.SLIM_COLUMNS` (memory stays that of the input, not of the
        report).

    Returns
    -------
    CheckResult
        ``.frames`` (GeoDataFrame, one row per input row), ``.clips`` (DataFrame) and
        ``.to_dict()`` (the JSON report).
    """
    # the boundaries load (mostly Parquet decoding, which releases the GIL) while the claims
    # are read
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(_load_and_warm, boundaries, claims)
        raw = _raw(claims, fmt, sheet=sheet, schema=schema, layer=layer, encoding=encoding,
                   columns=columns)
        bset = loading.result()
    if progress is not None:
        progress.total = len(raw.data)
    result = check_raw(raw, bset, control=_control_layer(control),
                       progress=None if progress is None else progress.advance,
                       cities_in_regions=cities_in_regions, sink=sink)
    notes = swapped_notes(result, bset, cities_in_regions=cities_in_regions)
    if notes:
        result.input["notes"] = [*(result.input.get("notes") or []), *notes]
    return result


def _control_layer(control: Any):
    return read_control(control)


#: ``_display_layers(extent=WHOLE)``: every unit (the static figure draws its own extent).
WHOLE = ("whole",)


def _display_layers(bset, extent: Any = WHOLE) -> dict[str, Any]:
    """The boundary layers of ``bset`` a map draws from (cut in the renderer).

    Regions (``units`` of level adm1), countries without regions (level
    country) and the land borders between countries, as GeoDataFrames, plus
    the embedded settlements and their credit. With an ``extent`` (the page's
    context extent: a box, or None for a page without located frames), only the
    units whose bounding box reaches into it: the renderer draws no other, and
    the others' polygons are never made.
    """
    extra: dict[str, Any] = {}
    if extent is WHOLE:
        units = bset.units
    else:
        import geopandas as gpd
        import numpy as np

        polygons = bset.unit_polygons
        b = polygons.bounds
        if extent is None:  # nothing located: nothing drawn
            near = np.zeros(0, dtype=np.int64)
        else:
            with np.errstate(invalid="ignore"):
                near = np.flatnonzero((b[:, 2] >= extent[0]) & (b[:, 0] <= extent[2])
                                      & (b[:, 3] >= extent[1]) & (b[:, 1] <= extent[3]))
        attrs = pd.DataFrame(bset.unit_table).drop(columns="geometry", errors="ignore")
        data = attrs.iloc[near].reset_index(drop=True)
        # the far tier simplified once for the embedded units (scripts/build_far_tier.py)
        sha = next((p.get("sha256") for p in bset.provenance if p.get("name") == "units"), None)
        far = regions_far(sha, attrs["code"], attrs["level"])
        if far is not None:
            data["far"] = list(far[0][near])
            extra["far_base_tolerance"] = far[1]
        units = gpd.GeoDataFrame(data, geometry=list(polygons[near]), crs="EPSG:4326")
    is_region = (units["level"] == "adm1").to_numpy()
    keep = ["far"] if "far" in units.columns else []
    adm1 = units[is_region][["code", "name", "country", *keep, "geometry"]]
    adm0 = units[~is_region][["code", "name", *keep, "geometry"]]
    borders = bset.borders
    land = borders[(borders["kind"] == "country").to_numpy()]

    places, credit = read_places()
    names = dict(zip(bset.countries["code"], bset.countries["name"]))
    return {"adm0": adm0, "adm1": adm1, "borders": land, "places": places, "context_attribution": credit,
            "world": read_world(), "world_borders": read_world_borders(), "country_names": names,
            **extra}


def _checked(claims: Any, boundaries: Any, read_options: dict[str, Any]) -> CheckResult | dict[str, Any]:
    """``claims`` as a :class:`CheckResult` or a JSON report: as given when it is one, else
    checked."""
    if isinstance(claims, CheckResult) or (isinstance(claims, dict) and "frames" in claims):
        return claims
    return check(claims, boundaries=boundaries, **read_options)


def _report_of(claims: Any, boundaries: Any, read_options: dict[str, Any]) -> dict[str, Any]:
    checked = _checked(claims, boundaries, read_options)
    return checked.to_dict() if isinstance(checked, CheckResult) else checked


@gc_paused()  # the page is made of many small objects and lists
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

    Returns
    -------
    folium.Map
        Write it with ``geoverify.render.render_html(m)``; in a notebook it displays inline.
    """
    from geoverify.render import build_map as render_map
    from geoverify.render import check_tiles
    from geoverify.render._cutting import LayerCutting, country_claim_codes
    from geoverify.render._data import FrameColumns, coordinate_lists
    from geoverify.render._layers import context_extent

    checked = _checked(claims, boundaries, read_options)
    bset = _load_boundaries(boundaries)
    if not isinstance(checked, CheckResult):
        columns = FrameColumns.of_report(checked)
        lat, lon = columns.coordinates()
        extent = context_extent([v for v in lon if v is not None], [v for v in lat if v is not None])
        return render_map(checked, **_display_layers(bset, extent), title=title, cdn=cdn,
                          tiles=tiles, tiles_attribution=tiles_attribution, columns=columns)
    check_tiles(tiles, tiles_attribution)
    # the boundary layers are cut on a thread of their own from here on (mostly GEOS, which
    # releases the GIL), while this one gathers and packs the frame columns (100,000 frames:
    # about 3 s of Python); folium and branca (0.25 s to import) are loaded by then, not before
    table = checked.table
    lat, lon = coordinate_lists(float_column(table, "lat"), float_column(table, "lon"))
    located_lon = [v for v in lon if v is not None]
    located_lat = [v for v in lat if v is not None]
    extent = context_extent(located_lon, located_lat)
    outline = country_claim_codes(text_column(table, "claim_level"),
                                  text_column(table, "claim_code"))
    # the layers are read and selected on the cutting thread too (100,000 frames: 0.17 s)
    cutting = LayerCutting(located_lon, located_lat, outline,
                           prepare=lambda: _display_layers(bset, extent))
    try:
        # the page reads each clip's name and summary (36,000 clips: 0.01 s; the whole
        # records 0.10-0.26 s)
        clips = checked.clips
        report = {**checked.header(),
                  "clips": [{"clip": c, "summary": s}
                            for c, s in zip(clips["clip"].tolist(), clips["summary"].tolist())]}
        # the page packs the frame columns directly: no dict per frame (100,000 frames: ~15 s)
        columns = FrameColumns.of_fields(*record_columns(checked.table, shared=True, arrow=True),
                                         coordinates=(lat, lon))
        return render_map(report, context_attribution=PLACES_ATTRIBUTION, title=title, cdn=cdn,
                          tiles=tiles, tiles_attribution=tiles_attribution, columns=columns,
                          cutting=cutting)
    finally:
        cutting.close()


def build_figure(claims: Any, *, boundaries: Any = "embedded", clip: str | None = None,
                 title: str | None = None, **read_options: Any):
    """A static figure of a check for articles and reports (a matplotlib Figure).

    Parameters
    ----------
    claims
        A :class:`CheckResult`, its ``to_dict()``, or anything :func:`check` accepts.
    clip
        Draw only this clip (its frames numbered in frame order); default all frames.
    title
        Figure title; default names the clip or the input file.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with ``geoverify.render.save_figure(fig, "fig.svg")`` (reproducible under
        ``SOURCE_DATE_EPOCH``) or ``fig.savefig``.
    """
    from geoverify.render import build_figure as render_figure

    report = _report_of(claims, boundaries, read_options)
    layers = _display_layers(_load_boundaries(boundaries))
    return render_figure(report, **layers, clip=clip, title=title)


def export(claims: Any, path: str | Path, *, boundaries: Any = "embedded", overwrite: bool = False,
           **read_options: Any) -> Path:
    """Write a check as KML (``.kml``, for Google Earth) or GeoPackage (``.gpkg``, for QGIS).

    Parameters
    ----------
    claims
        A :class:`CheckResult`, its ``to_dict()``, or anything :func:`check` accepts.
    path
        The file to write; its suffix chooses the format. Never overwritten unless
        ``overwrite``; written atomically.

    Returns
    -------
    pathlib.Path
        ``path``. Both formats read back with :func:`read_claims` (verdicts in ``extra``).
    """
    from geoverify.io.exports import to_kml, write_gpkg
    from geoverify.io.writers import write_text_atomic

    target = Path(path)
    report = _report_of(claims, boundaries, read_options)
    suffix = target.suffix.lower()
    if suffix == ".kml":
        write_text_atomic(target, to_kml(report), overwrite=overwrite)
    elif suffix == ".gpkg":
        write_gpkg(report, target, overwrite=overwrite)
    else:
        raise ConfigError(f"export to {target.name}: use a .kml or .gpkg file name")
    return target
