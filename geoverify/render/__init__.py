"""The evidence map (one self-contained, interactive HTML page per check) and the
static figure.

Usage::

    m = build_map(result.to_dict(), adm0=adm0, adm1=adm1, borders=borders)
    m                      # displays inline in a notebook (it is a folium.Map)
    page = render_html(m)  # the whole page as a string; geoverify.io writes it
    fig = build_figure(result.to_dict(), adm1=adm1, borders=borders, clip="...")
    save_figure(fig, "fig.svg")

The page embeds Leaflet (from XStatic-Leaflet) and loads nothing from the
network unless ``tiles`` is given; the boundary polygons are the basemap,
exact near the frames (see ``_layers``). The frames, layers and style are
embedded once as gzip-compressed JSON and drawn by the page's own script,
which also clusters them (each cluster shows its verdict mix), so 100 000
frames stay a few MB. The same input and ``SOURCE_DATE_EPOCH`` give
byte-identical HTML and SVG. How it all works: docs/MAP.md.

This module imports neither folium nor branca nor matplotlib (nor
geopandas/shapely for its own use); they are loaded on the first call of
:func:`build_map`, :func:`render_html` or :func:`build_figure`. The page's
script and style live in ``static/`` next to this file and must be installed
with the package (package data).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from geoverify.errors import ConfigError
from geoverify.render._clock import map_build_time

if TYPE_CHECKING:  # pragma: no cover
    import folium
    from geopandas import GeoDataFrame

    from geoverify.render._data import FrameColumns

__all__ = ["build_figure", "build_map", "check_tiles", "map_build_time", "render_html", "save_figure"]


def build_map(
    result: Mapping[str, Any],
    *,
    adm0: GeoDataFrame | None = None,
    adm1: GeoDataFrame | None = None,
    borders: GeoDataFrame | None = None,
    places: Any = None,
    context_attribution: str | None = None,
    world: Any = None,
    world_borders: Any = None,
    country_names: Mapping[str, str] | None = None,
    title: str | None = None,
    cdn: bool = False,
    tiles: str | None = None,
    tiles_attribution: str | None = None,
    build_time: datetime | None = None,
    columns: FrameColumns | None = None,
    far_base_tolerance: float | None = None,
    cutting: Any = None,
) -> folium.Map:
    """Build the evidence map of a check result.

    Parameters
    ----------
    result
        ``CheckResult.to_dict()`` (the JSON contract: ``frames``, ``clips``,
        ``boundaries``, ``input``, ``geoverify_version``).
    adm0, adm1
        Country and region polygons (columns ``code``, ``name``, ``geometry``;
        ``adm1`` may have ``country``), as from
        ``geoverify.boundaries.load_layer``. Drawn exactly near the frames,
        simplified further away (see ``geoverify.render._layers``); regions
        are drawn when given, countries where no region covers them.
    borders
        The land borders (lines), drawn thick and dark, with the same tiers.
    places, context_attribution
        Settlements (``name``, ``population``, ``lon``, ``lat``) labelled near
        the frames by zoom and population, and the credit for them.
    world, country_names
        Coarse country outlines drawn beyond the detailed area (``code``,
        ``colour``, ``geometry``), and country names for labels.
    title
        Page title; default names the input file.
    cdn
        ``False`` (default): everything inlined, no network request at all.
        ``True``: a smaller page that loads Leaflet from unpkg.com.
    tiles, tiles_attribution
        Optional background tiles: a folium/xyzservices name such as
        ``"OpenStreetMap"`` (attribution known) or a URL template (then
        ``tiles_attribution`` is required). Without tiles the page is offline.
    build_time
        Time printed in the footer; default :func:`map_build_time`.
    columns
        The frames as :class:`~geoverify.render._data.FrameColumns` (then ``result`` needs no
        ``frames``): how ``geoverify.build_map`` passes a large check without making a dict
        per frame.
    far_base_tolerance
        When ``adm1`` and ``adm0`` have a ``far`` column (the polygons simplified beforehand
        as one coverage, as ``geoverify.build_map`` passes the embedded set's): the tolerance
        they were simplified at. The far tier is then taken from them.
    cutting
        A :class:`geoverify.render._cutting.LayerCutting` already started for these frames and
        layers (``geoverify.build_map`` starts it as soon as the frames are located); the
        boundary arguments are then not used.

    Returns
    -------
    folium.Map
        Displays inline in notebooks; pass it to :func:`render_html`.
    """
    check_tiles(tiles, tiles_attribution)
    from geoverify.render._map import build_map as _build

    return _build(
        result,
        adm0=adm0,
        adm1=adm1,
        borders=borders,
        places=places,
        context_attribution=context_attribution,
        world=world,
        world_borders=world_borders,
        country_names=country_names,
        title=title,
        cdn=cdn,
        tiles=tiles,
        tiles_attribution=tiles_attribution,
        build_time=build_time,
        columns=columns,
        far_base_tolerance=far_base_tolerance,
        cutting=cutting,
    )


def check_tiles(tiles: str | None, tiles_attribution: str | None) -> None:
    """Refuse custom tiles without their credit (ConfigError)."""
    if tiles and not tiles_attribution and "{" in tiles:
        raise ConfigError("custom tiles need tiles_attribution (the tile provider's required credit)")


def build_figure(result: Mapping[str, Any], **kwargs: Any) -> Any:
    """A static matplotlib figure of a check result (see :mod:`geoverify.render._figure`)."""
    from geoverify.render._figure import build_figure as _build_figure

    return _build_figure(result, **kwargs)


def save_figure(fig: Any, target: Any, *, fmt: str | None = None) -> None:
    """Save a figure from :func:`build_figure`; SVG is byte-reproducible under ``SOURCE_DATE_EPOCH``."""
    from geoverify.render._figure import save_figure as _save

    _save(fig, target, fmt=fmt)


def render_html(m: folium.Map) -> str:
    """The complete HTML page of ``m`` (deterministic ids; a CSP for evidence maps)."""
    from geoverify.render._map import render_html as _render

    return _render(m)
