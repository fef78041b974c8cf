"""Dask engine: the same random input checked with 1 and with 2 local workers.

    python benchmarks/bench_dask.py [--rows 200000] [--rows-per-partition 25000] [--verify]

Prints the wall time of each run (cluster start-up excluded and shown apart), the ratio, and
whether both runs gave byte-identical JSON reports (``--verify`` also compares with a local
``geoverify.check`` run, which is single-process and slow on big inputs).
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path

CLAIMS = ["Belgorod oblast", "Sumy oblast", "Kharkiv oblast", "Russia", "Ukraine", "", "Atlantis"]


def write_input(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "clip", "frame", "lat", "lon", "claimed"])
        for i in range(n):
            if rng.random() < 0.02:
                lat, lon = "", "bad"
            else:
                lat, lon = f"{rng.uniform(44.0, 56.0):.5f}", f"{rng.uniform(28.0, 42.0):.5f}"
            w.writerow([f"r{i}", f"clip-{rng.randrange(50)}", f"{i % 600}", lat, lon,
                        rng.choice(CLAIMS)])


def main() -> None:
    import distributed

    from geoverify.io.writers import to_json
    from geoverify.run.distributed import check_dask, local_cluster

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--rows-per-partition", type=int, default=25_000)
    ap.add_argument("--verify", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "claims.csv"
        write_input(src, args.rows)
        print(f"input: {args.rows} rows, {src.stat().st_size / 1e6:.1f} MB, "
              f"{args.rows_per_partition} rows per partition")
        times = {}
        reports = {}
        for n in (1, 2):
            t0 = time.perf_counter()
            cluster = local_cluster(n)
            client = distributed.Client(cluster)
            t1 = time.perf_counter()
            try:
                res = check_dask(str(src), client=client,
                                 rows_per_partition=args.rows_per_partition,
                                 out_dir=Path(tmp) / f"out{n}")
                t2 = time.perf_counter()
                reports[n] = to_json(res.to_dict())
            finally:
                client.close()
                cluster.close()
            times[n] = t2 - t1
            print(f"{n} worker(s): {times[n]:.1f} s (cluster start {t1 - t0:.1f} s)")
        print(f"speed-up 1 -> 2 workers: {times[1] / times[2]:.2f}x")
        print(f"reports identical: {reports[1] == reports[2]}")
        if args.verify:
            import geoverify

            t0 = time.perf_counter()
            local = to_json(geoverify.check(str(src)).to_dict())
            print(f"local check: {time.perf_counter() - t0:.1f} s; "
                  f"identical to dask: {local == reports[1]}")


if __name__ == "__main__":
    main()
