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
