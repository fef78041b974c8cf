#!/usr/bin/env python3
"""``geoverify map`` end to end against plain folium end to end, same run.

    python benchmarks/bench_map_cli.py [--sizes 6650,100000] [--dir DIR] [--keep]

The claims file comes from ``scripts/make_large_dataset.py`` (realistic made-up clips near the
front line and the borders). Each side is one fresh process, timed with its peak RSS:

* ``geoverify map claims.csv -o ours.html``: read, check every row, build the offline page
  (boundaries exact near the frames, context, verdict clusters), write it;
* ``benchmarks/peer_folium.py claims.csv peer.html``: ``read_csv`` + one folium marker with a
  popup per row in a ``MarkerCluster`` + ``save`` (no boundaries, no verdicts).

Prints times, peak RSS, page sizes and the ratio peer / geoverify. Never part of the tests.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from _common import ROOT, cleanup, geoverify_cmd, measure, warm_up, workdir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="6650,100000")
    ap.add_argument("--dir", default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    d = workdir(args.dir)
    gv = geoverify_cmd()
    print(warm_up(gv, d))
    print(f"{'frames':>8}  {'geoverify map':>26}  {'plain folium':>26}  ratio")
    for n in [int(s) for s in args.sizes.split(",")]:
        src = d / f"large-{n}.csv"
        if not src.exists():
            subprocess.run([sys.executable, str(ROOT / "scripts" / "make_large_dataset.py"), str(n),
                            "-o", str(src)], check=True, capture_output=True)
        ours_html, peer_html = d / f"ours-{n}.html", d / f"peer-{n}.html"
        ours = measure([*gv, "map", str(src), "-o", str(ours_html), "--overwrite", "-q"])
        peer = measure([sys.executable, str(ROOT / "benchmarks" / "peer_folium.py"), str(src),
                        str(peer_html)])
        mb = lambda p: p.stat().st_size / 1e6  # noqa: E731
        print(f"{n:>8,}  {ours['wall_s']:7.2f} s {ours['peak_rss_mb']:6.0f} MB {mb(ours_html):6.1f} MB"
              f"  {peer['wall_s']:7.2f} s {peer['peak_rss_mb']:6.0f} MB {mb(peer_html):6.1f} MB"
              f"  {peer['wall_s'] / ours['wall_s']:5.2f}x")
    cleanup(d, args.keep or args.dir is not None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
