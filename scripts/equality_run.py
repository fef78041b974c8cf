#!/usr/bin/env python3
"""Equality run (issue 10): the columnar pipeline against an earlier version of geoverify.

    python scripts/equality_run.py --old-tree DIR --old-python PY --new-tree DIR \
        [--rows 1000000] [--dir WORK] [--brute 3000]

Both versions check the same generated claims file against the same boundary data (each
tree's own ``data/boundaries``; use two trees with identical data):

* 40 % uniform points over Ukraine, Russia, Belarus and their neighbours (lon 22-42,
  lat 44-56), 30 % near a border line (a random point of a random border piece moved up to
  3 km across it), 30 % exactly on a vertex of a border line;
* claims drawn from region names, codes, countries, several-part claims, unknown and empty
  claims; 20 clips.

The old version runs ``check --stream -o old.csv`` (its in-memory check needs about an hour
for 1M rows; its stream gives the same verdicts and findings), the new one ``check --format
csv``. Compared per row: ``verdict``, ``finding_codes``, ``country_code``, ``adm1_code``; per
clip: the counts by verdict, country and region. Then ``--brute`` rows (a third each of the
three kinds) get a brute-force geodesic distance to the nearest border line of each kind
(``pyproj.Geod`` over the lines densified to 2 m, then to 1 cm around the nearest samples),
compared with ``distance_to_border_m`` and
``distance_to_region_border_m``: within 0.1 m under 25 km; beyond it the new version writes
no distance. Prints every figure; exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CLAIMS = ["Belgorod oblast", "Sumy oblast", "Kharkiv Oblast", "Kursk oblast", "UA-59", "RU-BEL",
          "Russia", "Ukraine", "Belarus", "Homiel Region", "Bryansk oblast", "Chernihiv oblast",
          "Luhansk oblast", "Donetsk oblast", "Rostov oblast", "Crimea", "Moscow oblast",
          "Sumy oblast, Ukraine", "Belgorod oblast, Russia", "Kyiv", "", "Atlantis",
          "Voronezh oblast", "Poland", "Moldova"]
REACH_M = 25_000.0


def border_pieces(tree: Path):
    """The tree's border pieces (``kind``, geometry) as a GeoDataFrame."""
    from geoverify.io.boundaries import read_layer

    return read_layer(tree / "data" / "boundaries" / "borders.parquet")


def generate(path: Path, rows: int, pieces, seed: int = 10) -> None:
    import shapely

    rng = np.random.default_rng(seed)
    n_u, n_b = int(rows * 0.4), int(rows * 0.3)
    n_v = rows - n_u - n_b
    box = pieces.cx[22:42, 44:56]
    geoms = box.geometry.values
    lon_u, lat_u = rng.uniform(22, 42, n_u), rng.uniform(44, 56, n_u)
    # near a line: a random point along a random piece, moved across it by up to 3 km
    k = rng.integers(0, len(geoms), n_b)
    frac = rng.uniform(0, 1, n_b)
    pts = shapely.line_interpolate_point(geoms[k], frac, normalized=True)
    bx, by = shapely.get_x(pts), shapely.get_y(pts)
    off = rng.uniform(-3000, 3000, n_b) / 111_320.0
    ang = rng.uniform(0, 2 * np.pi, n_b)
    lon_b = bx + off * np.cos(ang) / np.cos(np.radians(by))
    lat_b = by + off * np.sin(ang)
    # exactly on vertices
    coords = shapely.get_coordinates(geoms)
    v = coords[rng.integers(0, len(coords), n_v)]
    lon = np.concatenate([lon_u, lon_b, v[:, 0]])
    lat = np.concatenate([lat_u, lat_b, v[:, 1]])
    kind = np.array(["uniform"] * n_u + ["near"] * n_b + ["vertex"] * n_v)
    df = pd.DataFrame({
        "clip": [f"clip-{c}" for c in rng.integers(0, 20, rows)],
        "frame": np.arange(rows) % 5000, "kind": kind,
        "lat": [repr(float(x)) for x in lat], "lon": [repr(float(x)) for x in lon],
        "claimed": np.array(CLAIMS, dtype=object)[rng.integers(0, len(CLAIMS), rows)]})
    df.to_csv(path, index=False)


def run(cmd: list[str], env: dict | None = None) -> float:
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=tempfile.gettempdir(), env={**os.environ, **(env or {})},
                       capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return time.perf_counter() - t


def tallies(df: pd.DataFrame) -> dict:
    out = {}
    for col in ("verdict", "country_code", "adm1_code"):
        g = df.groupby(["clip", col], dropna=False).size()
        out[col] = {k: int(v) for k, v in g.items()}
    return out


def brute_force(df: pd.DataFrame, pieces, step_m: float = 2.0) -> pd.DataFrame:
    """Geodesic metres from each row to the nearest land border and to the nearest line of
    any kind, over the lines within 30 km: every line densified to ``step_m`` (linear in
    lon/lat, as the lines are drawn), then around every sample within ``step_m`` of the best
    one, densified again to 1 cm."""
    import shapely
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    geoms = pieces.geometry.values
    land = (pieces["kind"] == "country").to_numpy()
    tree = shapely.STRtree(geoms)

    def nearest(lon, lat, cand):
        dense = shapely.segmentize(geoms[cand], step_m / 111_320.0)
        c, owner = shapely.get_coordinates(dense, return_index=True)
        _, _, d = geod.inv(np.full(len(c), lon), np.full(len(c), lat), c[:, 0], c[:, 1])
        best = d.min()
        for j in np.flatnonzero(d <= best + step_m):
            lo, hi = max(j - 1, 0), min(j + 1, len(c) - 1)
            while lo < j and owner[lo] != owner[j]:
                lo += 1
            while hi > j and owner[hi] != owner[j]:
                hi -= 1
            if hi == lo:
                continue
            fine = shapely.get_coordinates(shapely.segmentize(
                shapely.LineString(c[lo:hi + 1]), 0.01 / 111_320.0))
            _, _, f = geod.inv(np.full(len(fine), lon), np.full(len(fine), lat),
                               fine[:, 0], fine[:, 1])
            best = min(best, f.min())
        return best

    res = []
    for lon, lat in zip(df["lon"].astype(float), df["lat"].astype(float)):
        dlat = 30_000 / 111_000.0
        dlon = dlat / max(np.cos(np.radians(lat)), 1e-6)
        cand = tree.query(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
        out = {"any": np.inf, "land": np.inf}
        if len(cand):
            out["any"] = nearest(lon, lat, cand)
            if land[cand].any():
                out["land"] = nearest(lon, lat, cand[land[cand]])
        res.append(out)
    return pd.DataFrame(res, index=df.index)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-tree", required=True, type=Path)
    ap.add_argument("--old-python", required=True)
    ap.add_argument("--new-tree", required=True, type=Path)
    ap.add_argument("--new-python", default=sys.executable)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--brute", type=int, default=3000)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args(argv)
    work = args.dir or Path(tempfile.mkdtemp(prefix="geoverify-equality-"))
    work.mkdir(parents=True, exist_ok=True)
    pieces = border_pieces(args.new_tree)
    old_pieces = border_pieces(args.old_tree)
    if not pieces.geometry.values.tolist() == old_pieces.geometry.values.tolist():
        print("note: the two trees' border lines differ; differences may come from the data")
    src = work / f"equality-{args.rows}.csv"
    if not src.exists():
        generate(src, args.rows, pieces)
    t_old = run([args.old_python, "-m", "geoverify", "check", str(src), "--stream", "-o",
                 str(work / "old.csv"), "--overwrite"],
                {"PYTHONPATH": str(args.old_tree)})
    t_new = run([args.new_python, "-m", "geoverify", "check", str(src), "--format", "csv", "-o",
                 str(work / "new.csv"), "--overwrite"], {"PYTHONPATH": str(args.new_tree)})
    print(f"rows: {args.rows:,}; old --stream {t_old:.1f} s, new check {t_new:.1f} s")
    cols = ["row", "clip", "extra.kind", "verdict", "finding_codes", "country_code", "adm1_code",
            "distance_to_border_m", "distance_to_region_border_m", "lon", "lat"]
    old = pd.read_csv(work / "old.csv", dtype=str, keep_default_na=False,
                      usecols=lambda c: c in cols)
    new = pd.read_csv(work / "new.csv", dtype=str, keep_default_na=False,
                      usecols=lambda c: c in cols)
    old = old.rename(columns={"extra.kind": "kind"})
    new = new.rename(columns={"extra.kind": "kind"})
    failed = False
    if len(old) != len(new) or (old["row"] != new["row"]).any():
        print(f"row counts differ: old {len(old)}, new {len(new)}")
        return 1
    for col in ("verdict", "finding_codes", "country_code", "adm1_code"):
        diff = old[col] != new[col]
        print(f"{col}: {int(diff.sum())} of {len(old):,} rows differ")
        if diff.any():
            failed = True
            show = pd.DataFrame({"row": old["row"], "kind": old["kind"], "lon": old["lon"],
                                 "lat": old["lat"], "old": old[col], "new": new[col]})[diff]
            print(show.head(10).to_string(index=False))
    t_o, t_n = tallies(old), tallies(new)
    same = t_o == t_n
    print(f"per-clip tallies (verdict, country, region) identical: {same}")
    failed |= not same
    # distances against the brute-force reference
    rng = np.random.default_rng(3)
    per = args.brute // 3
    sample = pd.concat([new[new["kind"] == k].sample(per, random_state=int(rng.integers(1e9)))
                        for k in ("uniform", "near", "vertex")])
    ref = brute_force(sample, pieces)
    for col, key in (("distance_to_border_m", "land"), ("distance_to_region_border_m", "any")):
        got = pd.to_numeric(sample[col], errors="coerce").to_numpy()
        truth = ref[key].to_numpy()
        located = sample["country_code"].to_numpy() != ""
        near = located & (truth < REACH_M - 1)
        far = located & (truth > REACH_M + 1)
        err = np.abs(got[near] - truth[near])
        print(f"{col}: {near.sum()} rows within 25 km: largest difference "
              f"{np.nanmax(err) if len(err) else 0:.4f} m (median {np.nanmedian(err) if len(err) else 0:.4f} m); "
              f"{far.sum()} beyond: {int(np.isnan(got[far]).sum())} without a distance")
        if len(err) and (np.isnan(err).any() or err.max() > 0.1):
            failed = True
        if far.any() and not np.isnan(got[far]).all():
            failed = True
    print("EQUAL" if not failed else "DIFFERENCES FOUND")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
