#!/usr/bin/env python3
"""``geoverify check --stream`` end to end against the chunked peer, same run.

    python benchmarks/bench_stream.py [--rows 10000000] [--dir DIR] [--keep]
                                      [--world] [--unique-frames] [--unique-clips]

A generated claims CSV (``_common.generate_claims``), then, each in a fresh process,

* ``geoverify check FILE --stream -o out.csv`` (bounded memory: reading,
  verdicts, distances, findings, tallies and writing block by block), and
* ``python benchmarks/peer_sjoin.py FILE ne_admin1.parquet out.csv --chunk-rows 1000000``
  (``read_csv`` in chunks, ``sjoin``, ``to_csv``);

prints wall time, peak RSS, rows/s and the ratio. Not part of the test suite.

``--world`` spreads the points over the whole globe (tile trees of the lines are built and
dropped as blocks move around the world); ``--unique-frames`` gives every row a new frame id
(the per-clip tallies count distinct frame ids exactly); ``--unique-clips`` gives every row
its own clip (more clips than the tally keeps in memory: they are spilled to disk).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-peer", action="store_true", help="time geoverify only")
    ap.add_argument("--world", action="store_true", help="points over the whole globe")
    ap.add_argument("--unique-frames", action="store_true", help="a new frame id on every row")
    ap.add_argument("--unique-clips", action="store_true",
                    help="a new clip id on every row (tallies beyond memory's budget spill)")
    args = ap.parse_args(argv)
    d = workdir(args.dir)
    gv = geoverify_cmd()
    variant = ("-world" if args.world else "") + ("-unique" if args.unique_frames else "") + (
        "-clips" if args.unique_clips else "")
    src = d / f"claims-{args.rows}{variant}.csv"
    if not src.exists():
        generate_claims(src, args.rows, world=args.world, unique_frames=args.unique_frames,
                        unique_clips=args.unique_clips)
    print(warm_up(gv, d))
    ours = measure([*gv, "check", str(src), "--stream", "-o",
                    str(d / "ours.csv"), "--overwrite"])
    print(f"{'rows':>12}  {'geoverify --stream':>24}  {'peer (chunked sjoin)':>24}  ratio")
    line = (f"{args.rows:>12,}  {ours['wall_s']:8.2f} s {ours['peak_rss_mb']:7.0f} MB "
            f"{args.rows / ours['wall_s'] / 1000:5.0f}k/s")
    if not args.no_peer:
        peer = measure([sys.executable, str(ROOT / "benchmarks" / "peer_sjoin.py"), str(src),
                        str(ne_admin1()), str(d / "peer.csv"), "--chunk-rows", "1000000"])
        line += (f"  {peer['wall_s']:8.2f} s {peer['peak_rss_mb']:7.0f} MB "
                 f"{args.rows / peer['wall_s'] / 1000:5.0f}k/s  "
                 f"{peer['wall_s'] / ours['wall_s']:5.2f}x")
    print(line)
    cleanup(d, args.keep or args.dir is not None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
