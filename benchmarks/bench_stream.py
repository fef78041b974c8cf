"""Benchmark the streaming check (``geoverify.run.stream.check_stream``).

Generates a CSV of N random points (lon 30-42, lat 46-54, a few clips, claims "Belgorod
oblast" / "Ukraine" / "Russia", 5 decimals) and runs ``check_stream`` on it to CSV and to
Parquet, each in a fresh subprocess so that the peak RSS reported (``ru_maxrss`` of that
subprocess) is the check's own.

    python benchmarks/bench_stream.py --rows 1000000
    python benchmarks/bench_stream.py --rows 10000000 --dir /big/tmp --formats csv
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLAIMS = ("Belgorod oblast", "Ukraine", "Russia")


def generate(path: Path, rows: int, seed: int = 0, block: int = 1_000_000) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("clip,frame,lat,lon,claimed\n")
        done = 0
        while done < rows:
            n = min(block, rows - done)
            lon = rng.uniform(30.0, 42.0, n)
            lat = rng.uniform(46.0, 54.0, n)
            clip = rng.integers(0, 5, n)
            claim = rng.integers(0, len(CLAIMS), n)
            idx = np.arange(done, done + n)
            lines = [f"clip-{c},{i % 3600},{la:.5f},{lo:.5f},{CLAIMS[k]}\n"
                     for c, i, la, lo, k in zip(clip.tolist(), idx.tolist(), lat.tolist(),
                                                lon.tolist(), claim.tolist())]
            fh.write("".join(lines))
            done += n


def _child(args: argparse.Namespace) -> None:
    import resource

    from geoverify.run.stream import Progress, check_stream

    t0 = time.perf_counter()
    report = check_stream(args.input, args.output, out_format=args.fmt, chunk_rows=args.chunk_rows,
                          distances=args.distances, progress=Progress())
    wall = time.perf_counter() - t0
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": report["input"]["rows"], "wall_s": wall,
                      "rows_per_s": report["input"]["rows"] / wall if wall else 0.0,
                      "peak_rss_mb": rss_kb / 1024.0, "clips": len(report["clips"])}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dir", default=None, help="working directory (default: a temp dir)")
    ap.add_argument("--input", default=None, help="use this CSV instead of generating one")
    ap.add_argument("--formats", default="csv,parquet")
    ap.add_argument("--chunk-rows", type=int, default=50_000)
    ap.add_argument("--distances", default="auto", choices=("auto", "all", "none"))
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    # internal: run one check in this process
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--output", help=argparse.SUPPRESS)
    ap.add_argument("--fmt", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args)
        return 0

    tmp = None
    if args.dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="geoverify-bench-")
        work = Path(tmp.name)
    else:
        work = Path(args.dir)
        work.mkdir(parents=True, exist_ok=True)
    try:
        src = Path(args.input) if args.input else work / f"claims-{args.rows}.csv"
        if not args.input:
            t0 = time.perf_counter()
            generate(src, args.rows)
            print(f"generated {args.rows:,} rows ({src.stat().st_size / 1e6:.0f} MB) in "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
        for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
            out = work / f"frames.{fmt}"
            cmd = [sys.executable, os.path.abspath(__file__), "--child", "--input", str(src),
                   "--output", str(out), "--fmt", fmt, "--chunk-rows", str(args.chunk_rows),
                   "--distances", args.distances]
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{fmt:8s} rows={res['rows']:,} wall={res['wall_s']:.1f}s "
                  f"rows/s={res['rows_per_s']:,.0f} peak_rss={res['peak_rss_mb']:.0f} MB "
                  f"output={out.stat().st_size / 1e6:.0f} MB", flush=True)
            if not args.keep:
                out.unlink(missing_ok=True)
        if not args.keep and not args.input:
            src.unlink(missing_ok=True)
    finally:
        if tmp is not None and not args.keep:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
