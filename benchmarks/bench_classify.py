#!/usr/bin/env python3
"""Time geoverify's classification against plain ``geopandas.sjoin`` in the same run.

Like for like: the same random points (uniform over lon 30-42, lat 46-54, the Russia-Ukraine
region) against the same polygons (the embedded admin-1 layer, Natural Earth fitted to OSM
country borders). What distances and verdicts add is timed separately, on a subsample, since
they cost per point.

    python benchmarks/bench_classify.py [--points 1000000] [--distance-sample 10000] [--seed 1]

Not part of the test suite; prints times and ratios.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--distance-sample", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from geoverify.boundaries import load_boundaries
    from geoverify.core.check import run_check
    from geoverify.core.classify import classify_points, locate, prepare

    t = time.perf_counter()
    b = load_boundaries()
    prepared = prepare(b)
    print(f"load + index embedded layers: {time.perf_counter() - t:.2f} s")

    rng = np.random.default_rng(args.seed)
    lon = rng.uniform(30, 42, args.points)
    lat = rng.uniform(46, 54, args.points)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    regions = b.adm1[["code", "geometry"]]

    t = time.perf_counter()
    joined = gpd.sjoin(pts, regions, how="left", predicate="intersects")
    t_sjoin = time.perf_counter() - t

    t = time.perf_counter()
    ours = locate(prepared, lon, lat)
    t_ours = time.perf_counter() - t

    # like for like: same region for every point that is in exactly one region
    first = joined.groupby(level=0)["code"].agg(lambda s: sorted(s.dropna())).reindex(range(len(lon)))
    agree = sum(1 for a, b_ in zip(ours["adm1_candidates"], first) if list(a) == list(b_ or []))
    n = args.points
    print(f"points: {n:,}")
    print(f"geopandas.sjoin (intersects):   {t_sjoin:8.2f} s  {n / t_sjoin / 1e6:6.2f} M points/s")
    print(f"geoverify locate (country+adm1):{t_ours:8.2f} s  {n / t_ours / 1e6:6.2f} M points/s")
    print(f"ratio sjoin/geoverify: {t_sjoin / t_ours:.2f}x   (same regions for {agree / n:.4%} of points)")

    k = min(args.distance_sample, n)
    t = time.perf_counter()
    classify_points(prepared, lon[:k], lat[:k], distances=True)
    t_dist = time.perf_counter() - t
    print(f"+ distances to land and region borders, {k:,} points: {t_dist:.2f} s "
          f"({t_dist / k * 1e6:.0f} us/point)")
    claims = pd.DataFrame({"row": np.arange(1, k + 1), "id": None, "clip": "bench", "frame": None,
                           "lon": lon[:k], "lat": lat[:k], "coordinates_text": None,
                           "notation": "decimal", "claimed": "Belgorod oblast", "source": None,
                           "date": None, "precision_m": None, "role": None,
                           "extra": [{}] * k, "findings": [[] for _ in range(k)]})
    t = time.perf_counter()
    run_check(claims, b, input_info={"path": None, "sha256": "0" * 64, "rows": k})
    t_full = time.perf_counter() - t
    print(f"+ full check (verdicts vs 'Belgorod oblast', distances, tally), {k:,} points: "
          f"{t_full:.2f} s ({t_full / k * 1e6:.0f} us/point)")


if __name__ == "__main__":
    main()
