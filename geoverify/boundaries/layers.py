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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geoverify.boundaries.derive import DEFAULT_ACCURACY_M, boundary_set_from_frames
from geoverify.boundaries.model import BoundarySet, data_dir
from geoverify.boundaries.quality import area_km2, check_layers
from geoverify.boundaries.registry import embedded_countries
from geoverify.errors import BoundaryLayerError, ConfigError
from geoverify.io.boundaries import (
    file_sha256,
    read_csv_table,
    read_layer,
    read_table,
    read_vector,
    to_wgs84,
    write_layer,
)
from geoverify.io.tempfiles import sweep_stale, temp_path

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


def _iso3_to_iso2(values: pd.Series) -> tuple[pd.Series, bool]:
    """Map ISO 3166-1 alpha-3 codes to alpha-2 when every value is a known alpha-3 code."""
    vals = [v for v in values.dropna().astype(str)]
    if not vals or not all(len(v) == 3 and v.isalpha() and v.isupper() for v in vals):
        return values, False
    table = embedded_countries()
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

    known = embedded_countries()
    names = dict(zip(known["code"], known["name"]))
    codes = list(dict.fromkeys(adm1["country"]))
    geoms = [shapely.union_all(adm1.geometry.values[(adm1["country"] == c).to_numpy()])
             for c in codes]
    return gpd.GeoDataFrame({"code": codes, "name": [names.get(c, c) for c in codes]},
                            geometry=geoms, crs="EPSG:4326")


def _with_country_attrs(adm0):
    known = embedded_countries().set_index("code")
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

    acc = dict(DEFAULT_ACCURACY_M)
    for level in LEVELS:
        acc.update(manifest["layers"].get(level, {}).get("accuracy_m", {}))
    return acc


def build_set(name: str, adm0, adm1, manifest: dict[str, Any]):
    """The :class:`BoundarySet` of a user set from its (prepared) layers and manifest."""

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
    sweep_stale(root)  # sets half-written by killed runs
    tmp = temp_path(root / name)
    tmp.mkdir()
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


def check_set(name: str) -> pd.DataFrame:
    """Issues of an installed user set (see :func:`check_layers`)."""
    d = set_dir(name)
    m = read_set_manifest(d)
    layers = {lv: read_layer(d / f"{lv.lower()}.parquet") for lv in ("ADM0", "ADM1")
              if lv in m["layers"]}
    repaired = {lv: m["layers"][lv].get("repaired", []) for lv in layers}
    return check_layers(layers.get("ADM0"), layers.get("ADM1"), repaired)
