#!/usr/bin/env python3
"""Time geoverify's classification against plain ``geopandas.sjoin`` in the same run.

Like for like: the same random points (uniform over lon 30-42, lat 46-54, the Russia-Ukraine
region) against the same polygons (the embedded admin-1 layer, Natural Earth fitted to OSM
country borders). What distances and verdicts add is timed separately, on a subsample, since
they cost per point.

    python benchmarks/bench_classify.py [--points 1000000] [--distance-sample 10000] [--seed 1]

    python benchmarks/bench_classify.py engine [--sizes 100000,1000000,10000000]
        [--samples uniform,border] [--no-sjoin-above N]

The ``engine`` form times geoverify's classification engine (``geoverify.engine.quadtree``)
against ``geopandas.sjoin`` (predicate intersects) on the same points and the same units layer,
uniform over the region and within 5 km of the shared boundaries, and checks they agree.

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
    from geoverify.engine.locate import classify_points, locate, prepare

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


def _near_borders(b, n, rng, within_m=5000.0):
    """Points within ``within_m`` of the shared boundaries in lon 30-42 / lat 46-54."""
    import shapely

    lines = b.borders[b.borders.intersects(shapely.box(30, 46, 42, 54))]
    coords = shapely.get_coordinates(lines.geometry.values)
    i = rng.integers(0, len(coords) - 1, n)
    t = rng.uniform(0, 1, n)[:, None]
    p = coords[i] + (coords[i + 1] - coords[i]) * t
    r = within_m * np.sqrt(rng.uniform(0, 1, n))
    a = rng.uniform(0, 2 * np.pi, n)
    lat = p[:, 1] + r * np.sin(a) / 111_320.0
    lon = p[:, 0] + r * np.cos(a) / (111_320.0 * np.cos(np.radians(p[:, 1])))
    return lon, lat


def engine_main(argv=None) -> None:
    """geoverify's engine vs geopandas.sjoin on the units layer, at several sizes."""
    import resource

    ap = argparse.ArgumentParser(description=engine_main.__doc__)
    ap.add_argument("--sizes", default="100000,1000000,10000000",
                    help="comma-separated point counts")
    ap.add_argument("--samples", default="uniform,border", help="uniform and/or border")
    ap.add_argument("--no-sjoin-above", type=int, default=10**12,
                    help="skip sjoin for sizes above this (it is slow and memory-hungry)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    from geoverify.boundaries import load_boundaries
    from geoverify.engine.locate import prepare
    from geoverify.engine.quadtree import engine_for

    t = time.perf_counter()
    b = load_boundaries()
    prepared = prepare(b)
    print(f"load layers + prepare: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    engine = engine_for(b, tree=prepared.unit_tree)
    print(f"engine index (cache load or build): {time.perf_counter() - t:.2f} s")
    units = b.units[["code", "geometry"]]
    rng = np.random.default_rng(args.seed)
    print(f"{'sample':8} {'points':>11} {'engine M/s':>11} {'sjoin M/s':>10} {'ratio':>7}  peak RSS")
    for sample in args.samples.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            if sample == "uniform":
                lon, lat = rng.uniform(30, 42, n), rng.uniform(46, 54, n)
            else:
                lon, lat = _near_borders(b, n, rng)
            engine.locate(lon[:1000], lat[:1000])  # warm up
            t = time.perf_counter()
            res = engine.locate(lon, lat)
            t_ours = time.perf_counter() - t
            # what a caller gets: country and region per point (codes)
            t_sj = float("nan")
            if n <= args.no_sjoin_above:
                pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
                t = time.perf_counter()
                joined = gpd.sjoin(pts, units, how="left", predicate="intersects")
                t_sj = time.perf_counter() - t
                # like for like: both name the same single unit wherever sjoin finds exactly one
                codes = b.units["code"].to_numpy(dtype=object)
                jc = joined.groupby(level=0)["code"].agg(list)
                one = np.array([len(v) == 1 and isinstance(v[0], str) for v in jc])
                ours = np.where(res.unit >= 0, codes[np.maximum(res.unit, 0)], None)
                same = np.array([a == v[0] for a, v in zip(ours[one], jc[one])])
                assert same.all(), "engine and sjoin disagree on a single-unit point"
                del pts, joined, jc
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
            print(f"{sample:8} {n:>11,} {n / t_ours / 1e6:>11.2f} {n / t_sj / 1e6:>10.3f} "
                  f"{t_sj / t_ours:>6.1f}x  {rss:.1f} GB", flush=True)


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1 and sys.argv[1] == "engine":
        engine_main(sys.argv[2:])
    else:
        main()
