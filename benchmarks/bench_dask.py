#!/usr/bin/env python3
"""``geoverify check --engine dask`` end to end with 1 and with 2 local workers, same run.

    python benchmarks/bench_dask.py [--rows 1000000] [--rows-per-partition 125000] [--dir DIR]

A generated claims CSV (``_common.generate_claims``), then, each in a fresh process,
``geoverify check FILE --engine dask --workers N --out-dir OUT`` (the command starts its own
local cluster: that start-up is part of the time a user waits), for N = 1 and 2; then
``geoverify check FILE --format csv`` (the in-memory executor) for reference. Prints wall
times, the 1 -> 2 worker speed-up, and whether the two Dask runs wrote the same frames.
Peak RSS is the largest single process (a worker or the client). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import (  # noqa: E402
    cleanup,
    generate_claims,
    geoverify_cmd,
    measure,
    warm_up,
    workdir,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rows-per-partition", type=int, default=125_000)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    import pandas as pd

    d = workdir(args.dir)
    gv = geoverify_cmd()
    src = d / f"claims-{args.rows}.csv"
    if not src.exists():
        generate_claims(src, args.rows)
    print(warm_up(gv, d))
    times, frames = {}, {}
    for n in (1, 2):
        out = d / f"dask-{n}"
        r = measure([*gv, "check", str(src), "--engine", "dask", "--workers", str(n),
                     "--rows-per-partition", str(args.rows_per_partition), "--out-dir", str(out),
                     "--overwrite"])
        times[n] = r["wall_s"]
        frames[n] = pd.read_parquet(out)
        print(f"dask, {n} worker(s): {r['wall_s']:8.2f} s, largest process "
              f"{r['peak_rss_mb']:.0f} MB")
    local = measure([*gv, "check", str(src), "--format", "csv", "-o", str(d / "local.csv"),
                     "--overwrite"])
    print(f"local (threads):     {local['wall_s']:8.2f} s, {local['peak_rss_mb']:.0f} MB")
    print(f"speed-up 1 -> 2 workers: {times[1] / times[2]:.2f}x; same frames: "
          f"{frames[1].equals(frames[2])}")
    cleanup(d, args.keep or args.dir is not None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
