"""The boundary set model: :class:`BoundarySet`, and where the embedded files live."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from geoverify.errors import BoundaryLayerError
from geoverify.io.boundaries import read_layer

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
    #: For a set read lazily (``units`` None): the units' attribute columns and their
    #: polygons, made on first use (:class:`~geoverify.io.polygons.UnitGeometry`). ``units``
    #: is then built from them the first time it is read; the engine reads only these.
    unit_attrs: Any = field(default=None, repr=False)
    unit_geometry: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.units is not None:  # given units win (a worldview replaces them)
            self.unit_attrs = self.unit_geometry = None
        elif self.unit_geometry is not None and self.unit_attrs is not None:
            del self.units  # made on first read, by __getattr__

    def __getattr__(self, name: str):
        # only reached for an attribute that is not set: ``units`` of a lazily read set
        if name == "units":
            state = self.__dict__
            attrs, geometry = state.get("unit_attrs"), state.get("unit_geometry")
            if attrs is not None and geometry is not None:
                import geopandas as gpd  # lazy: start-up time

                units = gpd.GeoDataFrame(attrs.copy(), geometry=geometry.all(), crs="EPSG:4326")
                state["units"] = units
                return units
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def unit_table(self):
        """The units' attributes (``code``, ``level``, ``country``, ``name``...), without
        making their polygons (a GeoDataFrame when the units are already made)."""
        if "units" in self.__dict__:
            return self.__dict__["units"]
        return self.unit_attrs

    @property
    def unit_polygons(self):
        """The units' polygons as a :class:`~geoverify.io.polygons.UnitGeometry` (made on
        first use for a lazily read set)."""
        if self.__dict__.get("unit_geometry") is not None:
            return self.unit_geometry  # ``units``, once made, holds these same polygons
        got = self._cache.get("unit_polygons")
        if got is None or got[0] is not self.units:
            from geoverify.io.polygons import UnitGeometry  # lazy: start-up time

            got = self._cache["unit_polygons"] = (self.units,
                                                  UnitGeometry.of(self.units.geometry.values))
        return got[1]

    @property
    def waters(self):
        """Territorial waters (``code``, geometry: land plus territorial sea), or None.

        Read on first use: only points at sea need it.
        """
        if "waters" not in self._cache:
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
            import geopandas as gpd  # lazy: start-up time
            import shapely

            u = self.units
            geoms = {code: shapely.union_all(u.geometry.values[(u["country"] == code).to_numpy()])
                     for code in self.countries["code"]}
            c = self.countries.copy()
            self._cache["adm0"] = gpd.GeoDataFrame(c, geometry=[geoms[k] for k in c["code"]],
                                                   crs="EPSG:4326")
        return self._cache["adm0"]
