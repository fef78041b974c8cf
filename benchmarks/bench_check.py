#!/usr/bin/env python3
"""``geoverify check`` end to end against the peer (read_csv + sjoin + to_csv), same run.

    python benchmarks/bench_check.py [--sizes 10000,100000,1000000] [--repeat N] [--dir DIR]
                                     [--keep]

For each size: a generated claims CSV (uniform over lon 30-42, lat 46-54; see
``_common.generate_claims``), then, each in a fresh process,

* ``geoverify check FILE --format csv -o out.csv`` (the whole pipeline: reading, verdicts,
  distances, findings, tallies, writing), and
* ``python benchmarks/peer_sjoin.py FILE ne_admin1.parquet out.csv``;

prints wall time, peak RSS and the ratio. With ``--repeat N`` each size is run N times,
ours and the peer's alternating which goes first (the one that runs second after a large run
starts with the system busy reclaiming the first one's memory), and the line gives the
medians and the ratio of the medians, then every run: the speed of a shared machine can
change by half within a minute, and one pair of runs says little about the next. Warm-up
runs come first: the 12-row example, then a 5,000-row check twice (the quadtree engine's
one-time cache build, about 9 s on an empty user cache, is not a per-run cost: the first of
those two pays it, and the line says so). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).parent))
from _common import (  # noqa: E402
    ROOT,
    cleanup,
    generate_claims,
    geoverify_cmd,
    measure,
    ne_admin1,
    warm_up,
    workdir,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each, interleaved")
    ap.add_argument("--dir", default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    d = workdir(args.dir)
    gv = geoverify_cmd()
    admin1 = ne_admin1()
    print(warm_up(gv, d))
    print(f"{'rows':>10}  {'geoverify check':>22}  {'peer (sjoin)':>22}  ratio")
    for n in [int(s) for s in args.sizes.split(",")]:
        src = d / f"claims-{n}.csv"
        if not src.exists():
            generate_claims(src, n)
        ours_runs, peer_runs = [], []
        for i in range(max(1, args.repeat)):
            pair = [
                (ours_runs, [*gv, "check", str(src), "--format", "csv", "-o",
                             str(d / "ours.csv"), "--overwrite"]),
                (peer_runs, [sys.executable, str(ROOT / "benchmarks" / "peer_sjoin.py"),
                             str(src), str(admin1), str(d / "peer.csv")]),
            ]
            for runs, cmd in (pair if i % 2 == 0 else pair[::-1]):
                runs.append(measure(cmd))
        ours_s = median([r["wall_s"] for r in ours_runs])
        peer_s = median([r["wall_s"] for r in peer_runs])
        ours_mb = max(r["peak_rss_mb"] for r in ours_runs)
        peer_mb = max(r["peak_rss_mb"] for r in peer_runs)
        print(f"{n:>10,}  {ours_s:8.2f} s {ours_mb:7.0f} MB  "
              f"{peer_s:8.2f} s {peer_mb:7.0f} MB  {peer_s / ours_s:5.2f}x")
        if len(ours_runs) > 1:
            print(f"{'':>10}  medians of {len(ours_runs)} interleaved runs, peak the largest; "
                  "each run (geoverify / peer):")
            print(f"{'':>10}  " + "  ".join(f"{a['wall_s']:.2f}/{b['wall_s']:.2f}"
                                             for a, b in zip(ours_runs, peer_runs)))
    cleanup(d, args.keep or args.dir is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
