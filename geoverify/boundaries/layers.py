"""User boundary layers: bring your own ADM0/ADM1 polygons, stored under the user's data dir.

A *user set* is a directory ``<data dir>/boundaries/<name>/`` holding

``manifest.json``
    One entry per layer (``ADM0`` and/or ``ADM1``): source, version, licence, attribution,
    sha256 of the input file, field mapping, stated accuracy, the geometries repaired on input.
``adm0.parquet`` / ``adm1.parquet``
    The layers as given (reprojected to EPSG:4326, repaired, one feature per code).
``units.parquet``, ``borders.parquet``, ``countries.parquet``
    What classification needs, derived when a layer is added (regions fitted to their
    countries, shared border lines).

The data dir is ``platformdirs.user_data_dir("geoverify")``, or ``$GEOVERIFY_DATA_DIR``. Nothing
is ever written inside the package. Every change is atomic: the new set is built in a temporary
directory next to the store and renamed into place.

This module reads and writes files itself (it *is* the store); everything it derives is
computed by pure functions in :mod:`geoverify.boundaries.derive`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geoverify.errors import BoundaryLayerError, ConfigError
from geoverify.io.boundaries import file_sha256

log = logging.getLogger("geoverify")

LEVELS = ("ADM0", "ADM1")
MANIFEST_FORMAT = "geoverify-user-set-1"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

#: Fields tried, in order, when a layer is given without ``--code-field``/``--name-field``
#: (geoBoundaries, GADM, OCHA COD-AB, Natural Earth, generic).
GUESS_FIELDS = {
    "ADM0": {"code": ["shapeGroup", "GID_0", "ADM0_PCODE", "ISO_A2", "iso_a2", "ISO_A3",
                      "iso_a3", "code", "CODE", "iso"],
             "name": ["shapeName", "COUNTRY", "NAME_0", "ADM0_EN", "NAME", "name", "ADMIN"]},
    "ADM1": {"code": ["shapeISO", "GID_1", "ADM1_PCODE", "iso_3166_2", "ISO_3166_2", "code",
                      "CODE"],
             "name": ["shapeName", "NAME_1", "ADM1_EN", "name", "NAME"],
             "country": ["shapeGroup", "GID_0", "ADM0_PCODE", "country", "COUNTRY", "iso_a2",
                         "adm0_a3"]},
}


# --------------------------------------------------------------------------- the store

def data_root() -> Path:
    """The user's geoverify data directory (``$GEOVERIFY_DATA_DIR`` wins)."""
    env = os.environ.get("GEOVERIFY_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("geoverify"))


def store_dir() -> Path:
    """Directory holding the user sets."""
    return data_root() / "boundaries"


def check_name(name: str) -> str:
    """Validate a set name (letters, digits, ``.``, ``_``, ``-``; not ``embedded``)."""
    if not isinstance(name, str) or not _NAME_RE.match(name) or name == "embedded":
        raise ConfigError(
            f"invalid boundary set name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (and not 'embedded')")
    return name


def list_sets() -> list[dict[str, Any]]:
    """Manifests of every user set, sorted by name."""
    root = store_dir()
    out = []
    if root.is_dir():
        for d in sorted(root.iterdir()):
            if d.is_dir() and not d.name.startswith(".") and (d / "manifest.json").exists():
                try:
                    out.append(read_set_manifest(d))
                except BoundaryLayerError as exc:
                    log.warning("skipping %s: %s", d, exc)
    return out


def read_set_manifest(path: Path) -> dict[str, Any]:
    """Read a user set's manifest."""
    try:
        m = json.loads((Path(path) / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BoundaryLayerError(f"boundary set {path} has no manifest.json") from exc
    except ValueError as exc:
        raise BoundaryLayerError(f"boundary set {path}: manifest.json is not JSON: {exc}") from exc
    if m.get("format") != MANIFEST_FORMAT:
        raise BoundaryLayerError(f"boundary set {path}: not a geoverify user set")
    return m


def set_dir(name: str) -> Path:
    """Directory of an installed user set (raises when it is not installed)."""
    d = store_dir() / name
    if not (d / "manifest.json").exists():
        have = [m["name"] for m in list_sets()]
        raise BoundaryLayerError(
            f"unknown boundary layer set {name!r}; available: "
            f"{', '.join(['embedded', *have])} (add one with `geoverify boundaries add`)")
    return d


def remove_set(name: str) -> Path:
    """Delete an installed user set."""
    d = set_dir(check_name(name))
    shutil.rmtree(d)
    _CACHE.clear()
    return d


# --------------------------------------------------------------------------- reading inputs

def decode_topojson(topo: dict[str, Any], obj: str | None = None):
    """A GeoDataFrame from a TopoJSON ``Topology`` (one object; the first when not named)."""
    import geopandas as gpd

    objects = topo.get("objects") or {}
    if not objects:
        raise BoundaryLayerError("TopoJSON has no objects")
    if obj is None:
        obj = next(iter(objects))
    if obj not in objects:
        raise BoundaryLayerError(f"TopoJSON has no object {obj!r}; it has {', '.join(objects)}")
    tf = topo.get("transform")
    arcs = []
    for arc in topo.get("arcs", []):
        a = np.asarray(arc, dtype=float)[:, :2] if len(arc) else np.zeros((0, 2))
        if tf:
            a = np.cumsum(a, axis=0) * np.asarray(tf["scale"], float) + np.asarray(
                tf["translate"], float)
        arcs.append(a)

    def line(indices):
        pts = []
        for k in indices:
            a = arcs[k] if k >= 0 else arcs[~k][::-1]
            pts.extend(a.tolist() if not pts else a[1:].tolist())
        return pts

    def point(p):
        p = np.asarray(p, float)
        if tf:
            p = p * np.asarray(tf["scale"], float) + np.asarray(tf["translate"], float)
        return p.tolist()

    def geom(g):
        t, a = g.get("type"), g.get("arcs")
        if t == "Polygon":
            return {"type": t, "coordinates": [line(r) for r in a]}
        if t == "MultiPolygon":
            return {"type": t, "coordinates": [[line(r) for r in p] for p in a]}
        if t == "LineString":
            return {"type": t, "coordinates": line(a)}
        if t == "MultiLineString":
            return {"type": t, "coordinates": [line(r) for r in a]}
        if t == "Point":
            return {"type": t, "coordinates": point(g["coordinates"])}
        if t == "MultiPoint":
            return {"type": t, "coordinates": [point(p) for p in g["coordinates"]]}
        return None

    root = objects[obj]
    members = root["geometries"] if root.get("type") == "GeometryCollection" else [root]
    rows, geoms = [], []
    for g in members:
        rows.append(dict(g.get("properties") or {}))
        gj = geom(g)
        geoms.append(shapely.geometry.shape(gj) if gj else None)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def read_vector(path: str | Path, layer: str | None = None):
    """Read a polygon layer: GeoJSON, TopoJSON, GeoPackage, Shapefile (zipped too), FlatGeobuf,
    GeoParquet. Returns the GeoDataFrame in its own CRS."""
    import geopandas as gpd

    p = Path(path)
    if not p.exists():
        raise BoundaryLayerError(f"layer file {p} does not exist")
    suffix = "".join(p.suffixes[-2:]).lower() if p.suffix.lower() == ".zip" else p.suffix.lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            return gpd.read_parquet(p)
        if suffix in (".json", ".topojson", ".geojson"):
            with open(p, "rb") as f:
                head = f.read(4096)
            if b'"Topology"' in head or suffix == ".topojson":
                return decode_topojson(json.loads(p.read_text(encoding="utf-8")), layer)
        if p.suffix.lower() == ".zip":
            with zipfile.ZipFile(p) as z:
                shp = [n for n in z.namelist() if n.lower().endswith(".shp")]
            if not shp:
                raise BoundaryLayerError(f"{p}: the zip file holds no .shp file")
            return gpd.read_file(f"/vsizip/{p.resolve()}/{shp[0]}", engine="pyogrio")
        return gpd.read_file(p, layer=layer, engine="pyogrio")
    except BoundaryLayerError:
        raise
    except Exception as exc:
        raise BoundaryLayerError(f"cannot read layer file {p}: {exc}") from exc


def to_wgs84(gdf):
    """Reproject to EPSG:4326 with pyproj (always_xy); a layer without CRS is taken as 4326."""
    import geopandas as gpd
    import pyproj

    if gdf.crs is None:
        log.warning("the layer has no CRS; assuming EPSG:4326 (lon/lat)")
        return gdf.set_crs(4326)
    crs = pyproj.CRS.from_user_input(gdf.crs)
    if crs.equals(pyproj.CRS.from_epsg(4326)):
        return gdf
    t = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)

    def fn(c):
        x, y = t.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    geoms = shapely.transform(gdf.geometry.values, fn)
    return gpd.GeoDataFrame(gdf.drop(columns=gdf.geometry.name), geometry=np.asarray(geoms),
                            crs="EPSG:4326")


def polygonal(geom):
    """The polygonal part of a geometry as a MultiPolygon (None when there is none)."""
    if geom is None or geom.is_empty:
        return None
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [q for p in parts for q in shapely.get_parts(p)]
    if not parts:
        return None
    return shapely.MultiPolygon(parts)


def repair(gdf, label_col: str | None = None) -> tuple[Any, list[dict[str, Any]]]:
    """Make every geometry valid (shapely.make_valid); returns the frame and what was repaired."""
    from geoverify.boundaries.quality import area_km2

    geoms = gdf.geometry.values
    valid = shapely.is_valid(geoms)
    repairs = []
    if valid.all():
        return gdf, repairs
    out = np.array(geoms, dtype=object)
    for i in np.flatnonzero(~valid):
        reason = shapely.is_valid_reason(geoms[i])
        fixed = polygonal(shapely.make_valid(geoms[i]))
        label = str(gdf[label_col].iloc[i]) if label_col else str(i)
        repairs.append({"feature": label, "index": int(i), "reason": reason,
                        "area_km2": float(area_km2(fixed)) if fixed is not None else 0.0})
        out[i] = fixed
    names = ", ".join(f"{r['feature']} ({r['reason']})" for r in repairs)
    log.warning("repaired %d invalid geometr%s: %s", len(repairs),
                "y" if len(repairs) == 1 else "ies", names)
    g = gdf.copy()
    g[g.geometry.name] = out
    return g, repairs


def _embedded_countries():
    from geoverify.boundaries.registry import data_dir
    from geoverify.io.boundaries import read_table

    return read_table(data_dir() / "countries.parquet")


def _iso3_to_iso2(values: pd.Series) -> tuple[pd.Series, bool]:
    """Map ISO 3166-1 alpha-3 codes to alpha-2 when every value is a known alpha-3 code."""
    vals = [v for v in values.dropna().astype(str)]
    if not vals or not all(len(v) == 3 and v.isalpha() and v.isupper() for v in vals):
        return values, False
    table = _embedded_countries()
    m = dict(zip(table["iso_a3"], table["code"]))
    if not all(v in m for v in vals):
        return values, False
    return values.map(lambda v: m.get(v, v) if isinstance(v, str) else v), True


def guess_field(gdf, level: str, role: str) -> str | None:
    for f in GUESS_FIELDS[level][role]:
        if f in gdf.columns:
            return f
    return None


def prepare_layer(gdf, level: str, *, code_field: str | None, name_field: str | None,
                  country_field: str | None = None) -> tuple[Any, dict[str, Any]]:
    """Normalise a raw layer: 4326, valid polygons, one feature per code, standard columns.

    Returns the layer (``code``, ``name``, [``country``], geometry) and facts for the manifest
    (fields used, features repaired, code mapping).
    """
    import geopandas as gpd

    if level not in LEVELS:
        raise ConfigError(f"--level must be ADM0 or ADM1, not {level!r}")
    fields = {"code": code_field, "name": name_field}
    if level == "ADM1":
        fields["country"] = country_field
    for role, f in list(fields.items()):
        if f is None:
            f = guess_field(gdf, level, role)
            if f is None:
                raise ConfigError(
                    f"cannot tell which field holds the {role} of each {level} feature; pass "
                    f"--{role}-field (fields: {', '.join(c for c in gdf.columns if c != gdf.geometry.name)})")
            log.info("using field %r as the %s", f, role)
            fields[role] = f
        elif f not in gdf.columns:
            raise ConfigError(
                f"--{role}-field {f!r} is not a field of the layer; its fields are "
                f"{', '.join(c for c in gdf.columns if c != gdf.geometry.name)}")
    gdf = to_wgs84(gdf)
    missing = [i for i, v in enumerate(gdf[fields["code"]]) if not isinstance(v, str) or not v.strip()]
    if missing:
        raise BoundaryLayerError(
            f"features {missing[:10]} have no {fields['code']!r} code; every feature needs one")
    kinds = shapely.get_type_id(gdf.geometry.values)
    bad = [str(gdf[fields["code"]].iloc[i]) for i in np.flatnonzero(~np.isin(kinds, [3, 6]))]
    if bad:
        raise BoundaryLayerError(
            f"{level} layers hold polygons only; features {', '.join(bad[:10])} are not polygons")
    gdf, repairs = repair(gdf, fields["code"])
    df = pd.DataFrame({"code": gdf[fields["code"]].astype(str).str.strip(),
                       "name": gdf[fields["name"]].astype(object)})
    facts: dict[str, Any] = {"fields": fields, "repaired": repairs}
    if level == "ADM1":
        df["country"] = gdf[fields["country"]].astype(object)
        df["country"], mapped = _iso3_to_iso2(df["country"])
    else:
        df["code"], mapped = _iso3_to_iso2(df["code"])
    if mapped:
        facts["code_mapping"] = "ISO 3166-1 alpha-3 -> alpha-2"
    out = gpd.GeoDataFrame(df, geometry=list(gdf.geometry.values), crs="EPSG:4326")
    out = out[[g is not None for g in out.geometry]]
    if out["code"].duplicated().any():  # several features per code: one unit each
        first = out.drop_duplicates("code").set_index("code")
        geoms = out.groupby("code", sort=False).geometry.agg(lambda s: shapely.union_all(s.values))
        out = gpd.GeoDataFrame(first.drop(columns="geometry").reset_index(),
                               geometry=[geoms[c] for c in first.index], crs="EPSG:4326")
    out[out.geometry.name] = [polygonal(g) for g in out.geometry.values]
    return out.reset_index(drop=True), facts


# --------------------------------------------------------------------------- building a set

def fit_regions(adm0, adm1):
    """Regions restricted to the countries of ``adm0`` and clipped to their country."""
    import geopandas as gpd

    shape = dict(zip(adm0["code"], adm0.geometry.values))
    keep = adm1["country"].isin(list(shape))
    dropped = sorted(set(adm1.loc[~keep, "country"].astype(str)))
    if dropped:
        log.warning("ADM1 regions of countries not in the ADM0 layer were left out: %s",
                    ", ".join(dropped))
    r = adm1[keep]
    clipped = [polygonal(shapely.intersection(g, shape[c]))
               for g, c in zip(r.geometry.values, r["country"])]
    out = gpd.GeoDataFrame(r.drop(columns=r.geometry.name).reset_index(drop=True),
                           geometry=clipped, crs="EPSG:4326")
    return out[[g is not None for g in out.geometry]].reset_index(drop=True)


def countries_from_regions(adm1):
    """Country polygons as the union of their regions (for a set with only an ADM1 layer)."""
    import geopandas as gpd

    known = _embedded_countries()
    names = dict(zip(known["code"], known["name"]))
    codes = list(dict.fromkeys(adm1["country"]))
    geoms = [shapely.union_all(adm1.geometry.values[(adm1["country"] == c).to_numpy()])
             for c in codes]
    return gpd.GeoDataFrame({"code": codes, "name": [names.get(c, c) for c in codes]},
                            geometry=geoms, crs="EPSG:4326")


def _with_country_attrs(adm0):
    known = _embedded_countries().set_index("code")
    a = adm0.copy()
    a["iso_a3"] = [known["iso_a3"].get(c) if c in known.index else None for c in a["code"]]
    a["names"] = [known["names"].get(c) if c in known.index else None for c in a["code"]]
    return a


def layer_provenance(set_name: str, level: str, entry: dict[str, Any]) -> dict[str, Any]:
    """A provenance dict with the same keys as the embedded layers'."""
    return {"name": f"{set_name}:{level}", "level": level,
            "source": str(entry.get("source") or "unknown"),
            "version": str(entry.get("version") or f"added {entry.get('added', 'unknown')}"),
            "licence": str(entry.get("licence") or "unspecified (not stated when added)"),
            "attribution": str(entry.get("attribution") or ""),
            "sha256": str(entry.get("sha256") or ""),
            "accuracy_m": {k: float(v) for k, v in (entry.get("accuracy_m") or {}).items()}}


def set_accuracy(manifest: dict[str, Any]) -> dict[str, float]:
    """Stated accuracy per kind of line for the whole set (the layers' own statements)."""
    from geoverify.boundaries.derive import DEFAULT_ACCURACY_M

    acc = dict(DEFAULT_ACCURACY_M)
    for level in LEVELS:
        acc.update(manifest["layers"].get(level, {}).get("accuracy_m", {}))
    return acc


def build_set(name: str, adm0, adm1, manifest: dict[str, Any]):
    """The :class:`BoundarySet` of a user set from its (prepared) layers and manifest."""
    from geoverify.boundaries.derive import boundary_set_from_frames
    from geoverify.boundaries.registry import data_dir
    from geoverify.io.boundaries import read_csv_table

    if adm0 is None:
        adm0 = countries_from_regions(adm1)
    if adm1 is None:
        import geopandas as gpd

        adm1 = gpd.GeoDataFrame({"code": [], "name": [], "country": []}, geometry=[],
                                crs="EPSG:4326")
    else:
        adm1 = fit_regions(adm0, adm1)
    prov = [layer_provenance(name, lv, manifest["layers"][lv]) for lv in LEVELS
            if lv in manifest["layers"]]
    bset = boundary_set_from_frames(
        _with_country_attrs(adm0), adm1, name=name,
        disputed=read_csv_table(data_dir() / "disputed.csv"),
        accuracy_m=set_accuracy(manifest), provenance=prov)
    bset.aliases = read_csv_table(data_dir() / "aliases.csv")
    return bset


def add_layer(path: str | Path, *, name: str, level: str, code_field: str | None = None,
              name_field: str | None = None, country_field: str | None = None,
              accuracy_m: float | None = None, licence: str | None = None,
              attribution: str | None = None, source: str | None = None,
              version: str | None = None, layer: str | None = None,
              extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Add (or replace) the ``level`` layer of user set ``name`` from a vector file.

    The whole set is rebuilt in a temporary directory and renamed into place, so a failure
    leaves the previous state untouched. Returns the new manifest.
    """
    from geoverify.io.boundaries import write_layer

    check_name(name)
    level = level.upper()
    if level not in LEVELS:
        raise ConfigError(f"--level must be ADM0 or ADM1, not {level!r}")
    path = Path(path)
    sha = file_sha256(path) if path.exists() else None
    raw = read_vector(path, layer)
    prepared, facts = prepare_layer(raw, level, code_field=code_field, name_field=name_field,
                                    country_field=country_field)
    if not len(prepared):
        raise BoundaryLayerError(f"{path}: the layer has no polygon features")
    root = store_dir()
    root.mkdir(parents=True, exist_ok=True)
    final = root / name
    old = read_set_manifest(final) if (final / "manifest.json").exists() else None
    manifest = old or {"format": MANIFEST_FORMAT, "name": name, "layers": {}}
    kind = "country_border" if level == "ADM0" else "region_border"
    acc: dict[str, float] = {}
    if accuracy_m is not None:
        acc = {kind: float(accuracy_m)}
        if level == "ADM0":
            acc["coastline"] = float(accuracy_m)
    else:
        log.warning("no stated accuracy for %s layer %s; assuming the defaults for %s (use "
                    "--accuracy-m)", level, name, kind)
    if licence is None:
        log.warning("no licence given for %s; record it with --licence before sharing reports",
                    path.name)
    entry = {"source": source or str(path.resolve()), "file": f"{level.lower()}.parquet",
             "input": path.name, "version": version, "licence": licence,
             "attribution": attribution, "sha256": sha, "accuracy_m": acc,
             "features": int(len(prepared)),
             "added": datetime.now(UTC).isoformat(timespec="seconds"), **facts,
             **(extra or {})}
    manifest["layers"][level] = entry
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        for lv in LEVELS:
            if lv == level:
                write_layer(prepared, tmp / f"{lv.lower()}.parquet")
            elif old and lv in old["layers"]:
                shutil.copy2(final / f"{lv.lower()}.parquet", tmp / f"{lv.lower()}.parquet")
        _write_derived(tmp, name, manifest)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False),
                                           encoding="utf-8")
        _swap(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _CACHE.clear()
    return manifest


def _write_derived(d: Path, name: str, manifest: dict[str, Any]) -> None:
    from geoverify.io.boundaries import read_layer, write_layer

    adm0 = read_layer(d / "adm0.parquet") if "ADM0" in manifest["layers"] else None
    adm1 = read_layer(d / "adm1.parquet") if "ADM1" in manifest["layers"] else None
    bset = build_set(name, adm0, adm1, manifest)
    units = bset.units[[g is not None for g in bset.units.geometry]]
    write_layer(units, d / "units.parquet")
    if len(bset.borders):
        write_layer(bset.borders, d / "borders.parquet")
    else:  # a single unit shares no border; the compact encoding needs at least one line
        bset.borders.to_parquet(d / "borders.parquet")
    bset.countries.to_parquet(d / "countries.parquet")
    manifest["derived_sha256"] = {f: file_sha256(d / f) for f in
                                  ("units.parquet", "borders.parquet", "countries.parquet")}


def _swap(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``, replacing it; never leaves a half-written set."""
    if final.exists():
        trash = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, trash)
        try:
            os.replace(tmp, final)
        except BaseException:
            os.replace(trash, final)
            raise
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, final)


# --------------------------------------------------------------------------- loading

_CACHE: dict[tuple[str, int], Any] = {}


def load_set_dir(d: Path):
    """Load a user set from its directory."""
    from geoverify.boundaries.registry import BoundarySet, data_dir
    from geoverify.io.boundaries import read_csv_table, read_layer, read_table

    manifest = read_set_manifest(d)
    key = (str(Path(d).resolve()), (Path(d) / "manifest.json").stat().st_mtime_ns)
    if key in _CACHE:
        return _CACHE[key]
    for f, sha in manifest.get("derived_sha256", {}).items():
        if not (Path(d) / f).exists():
            raise BoundaryLayerError(f"boundary set {d}: {f} is missing; add the layer again")
        if file_sha256(Path(d) / f) != sha:
            raise BoundaryLayerError(f"boundary set {d}: {f} changed since the set was built "
                                     "(sha256 differs); add the layer again")
    name = manifest["name"]
    bset = BoundarySet(
        name=name, countries=read_table(Path(d) / "countries.parquet"),
        units=read_layer(Path(d) / "units.parquet"),
        borders=read_layer(Path(d) / "borders.parquet"),
        disputed=read_csv_table(data_dir() / "disputed.csv"),
        accuracy_m=set_accuracy(manifest),
        provenance=[layer_provenance(name, lv, manifest["layers"][lv]) for lv in LEVELS
                    if lv in manifest["layers"]],
        aliases=read_csv_table(data_dir() / "aliases.csv"))
    _CACHE[key] = bset
    return bset


def load_file(path: Path):
    """A set from one ADM0 layer file, fields guessed (``--boundaries path/to/layer.gpkg``)."""
    raw = read_vector(path)
    adm0, facts = prepare_layer(raw, "ADM0", code_field=None, name_field=None)
    manifest = {"layers": {"ADM0": {"source": str(Path(path).resolve()),
                                    "sha256": file_sha256(Path(path)), "accuracy_m": {},
                                    **facts}}}
    log.warning("boundary layer %s used without stated accuracy or licence; add it with "
                "`geoverify boundaries add` to record them", path)
    return build_set(Path(path).stem, adm0, None, manifest)


_WORLDVIEWS: dict[tuple[str, str], tuple[Any, Any]] = {}


def load_named(name_or_path: str):
    """Resolve ``--boundaries``: a user set name, a set directory, a layer file, each optionally
    followed by ``@WORLDVIEW`` (e.g. ``embedded@de-facto``)."""
    from geoverify.boundaries.registry import EMBEDDED, _load_boundaries

    base, _, worldview = name_or_path.partition("@")
    if worldview:
        from geoverify.boundaries.control import apply_worldview

        base_set = load_named(base)
        hit = _WORLDVIEWS.get((base, worldview))
        if hit is None or hit[0] is not base_set:  # (re)built when the base set changed
            hit = (base_set, apply_worldview(base_set, worldview))
            _WORLDVIEWS[(base, worldview)] = hit
        return hit[1]
    if base == EMBEDDED:
        return _load_boundaries(EMBEDDED)
    p = Path(base).expanduser()
    if _NAME_RE.match(base) and (store_dir() / base / "manifest.json").exists():
        return load_set_dir(store_dir() / base)
    if p.is_dir() and (p / "manifest.json").exists():
        return load_set_dir(p)
    if p.is_file():
        return load_file(p)
    set_dir(base)  # raises the "unknown set" error listing what is available
    raise AssertionError("unreachable")
