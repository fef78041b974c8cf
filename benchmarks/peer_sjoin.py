#!/usr/bin/env python3
"""The peer: what a careful analyst writes without geoverify.

    python benchmarks/peer_sjoin.py claims.csv admin1.parquet out.csv [--chunk-rows N]

``pandas.read_csv``, ``geopandas.sjoin`` (predicate intersects) of the points on Natural
Earth admin-1, ``DataFrame.to_csv``; with ``--chunk-rows`` the same, chunk by chunk (the peer of
``--stream``). No distances, no verdicts, no findings.
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("claims")
    ap.add_argument("admin1")
    ap.add_argument("out")
    ap.add_argument("--chunk-rows", type=int, default=None)
    args = ap.parse_args()
    regions = gpd.read_parquet(args.admin1)
    chunks = (pd.read_csv(args.claims, chunksize=args.chunk_rows) if args.chunk_rows
              else [pd.read_csv(args.claims)])
    header = True
    with open(args.out, "w", encoding="utf-8", newline="") as fh:
        for df in chunks:
            pts = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]),
                                   crs="EPSG:4326")
            joined = gpd.sjoin(pts, regions, how="left", predicate="intersects")
            joined.drop(columns="geometry").to_csv(fh, index=False, header=header)
            header = False


if __name__ == "__main__":
    main()
