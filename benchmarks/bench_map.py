"""Benchmark: the evidence map against plain folium and geopandas.explore(), same points, same run.

The frames come from ``scripts/make_large_dataset.py`` (a realistic made-up
claims file: thousands of clips near the front line and the borders, a few far
outliers) checked by ``geoverify.check`` with the embedded boundaries, so the
page carries real boundary layers, settlements and the verdicts. For each size:

* **geoverify**: ``geoverify.build_map(report)`` + ``render_html`` (boundaries
  exact near the frames, context, clustering with verdict rings, offline);
* **folium**: one ``folium.Marker`` with popup and verdict-coloured icon per
  frame in a ``MarkerCluster``, the usual way (no boundaries);
* **explore**: ``GeoDataFrame.explore(column="verdict")`` of the frames (no
  boundaries, its default CircleMarkers).

Time = build + render to an HTML string; size = its UTF-8 bytes. With
``--browser`` our page is opened in Debian's Chromium (file://, no network) and
the time until the map reports itself interactive (every frame clustered, the
page idle) is measured, then the time of one zoom-in redraw. The folium and
explore pages load Leaflet from CDNs, which this offline machine cannot reach,
so they are not timed in the browser.

    python benchmarks/bench_map.py                           # 6650 and 100000 frames
    python benchmarks/bench_map.py --sizes 6650 --browser
    python benchmarks/bench_map.py --sizes 100000 --skip-folium-above 0

Ratios are folium / geoverify and explore / geoverify (higher is better for
geoverify). Never part of the pass/fail test run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FOLIUM_COLOURS = {"match": "green", "mismatch": "red", "ambiguous": "orange", "disputed": "purple",
                  "outside": "darkpurple", "unresolved": "gray", "unclaimed": "blue", "unlocated": "lightgray"}
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def generated_report(n: int, seed: int, cache: Path | None) -> tuple[dict[str, Any], float]:
    """The check report of a generated claims file of ``n`` rows (cached as JSON when asked)."""
    if cache is not None:
        cached = cache / f"report-{n}-{seed}.json"
        if cached.exists():
            return json.loads(cached.read_text(encoding="utf-8")), float("nan")
    spec = importlib.util.spec_from_file_location("make_large_dataset", REPO / "scripts" / "make_large_dataset.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    import geoverify

    with tempfile.TemporaryDirectory() as tmp:
        path = module.write_csv(Path(tmp) / f"large-{n}.csv", n, seed)
        start = time.perf_counter()
        report = geoverify.check(str(path)).to_dict()
        seconds = time.perf_counter() - start
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        (cache / f"report-{n}-{seed}.json").write_text(json.dumps(report), encoding="utf-8")
    return report, seconds


def bench_ours(report: dict[str, Any]) -> tuple[float, int, str]:
    import geoverify
    from geoverify.render import render_html

    start = time.perf_counter()
    html = render_html(geoverify.build_map(report))
    return time.perf_counter() - start, len(html.encode("utf-8")), html


def bench_folium(report: dict[str, Any]) -> tuple[float, int]:
    import folium
    from folium.plugins import MarkerCluster

    start = time.perf_counter()
    m = folium.Map(location=[50.0, 36.0], zoom_start=6, tiles=None)
    cluster = MarkerCluster().add_to(m)
    for f in report["frames"]:
        if f["lat"] is None:
            continue
        text = (f"<b>{f['clip']}</b> {f['frame']}<br>verdict: {f['verdict']}<br>"
                f"claimed: {f['claimed']}<br>{f['coordinates_text']}")
        folium.Marker(
            [f["lat"], f["lon"]],
            popup=folium.Popup(text, max_width=300),
            icon=folium.Icon(color=FOLIUM_COLOURS.get(f["verdict"], "black")),
        ).add_to(cluster)
    html = m.get_root().render()
    return time.perf_counter() - start, len(html.encode("utf-8"))


def bench_explore(report: dict[str, Any]) -> tuple[float, int]:
    import geopandas as gpd

    start = time.perf_counter()
    rows = [{"clip": f["clip"], "frame": f["frame"], "verdict": f["verdict"], "claimed": f["claimed"],
             "lon": f["lon"], "lat": f["lat"]} for f in report["frames"] if f["lat"] is not None]
    gdf = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
                           crs="EPSG:4326")
    m = gdf.explore(column="verdict", tiles=None)
    html = m.get_root().render()
    return time.perf_counter() - start, len(html.encode("utf-8"))


def open_in_browser(html: str) -> tuple[float, float] | None:
    """(seconds until our page is interactive, milliseconds of one zoom-in redraw)."""
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        path = Path(tmp) / "map.html"
        path.write_text(html, encoding="utf-8")
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        start = time.perf_counter()
        page.goto(path.as_uri())
        while not page.evaluate("!!window.geoverifyMap && !window.geoverifyMap.isLoading()"):
            time.sleep(0.02)
        ready = time.perf_counter() - start
        redraw = page.evaluate("(() => { const m = geoverifyMap.map; const t = performance.now();"
                               " m.setZoom(m.getZoom() + 1, {animate: false}); return performance.now() - t; })()")
        browser.close()
        return ready, redraw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="6650,100000", help="comma-separated frame counts (default 6650,100000)")
    parser.add_argument("--skip-folium-above", type=int, default=100_000, metavar="N",
                        help="do not run plain folium / explore for more than N frames (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--browser", action="store_true", help="also open our page in /usr/bin/chromium")
    parser.add_argument("--cache", type=Path, default=None, metavar="DIR",
                        help="keep the check reports here (the check itself is not what is measured)")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    print(f"built {datetime.now(UTC):%Y-%m-%d %H:%M}Z; times in seconds, sizes in MB", flush=True)
    header = (f"{'frames':>7} {'check s':>8} {'ours s':>7} {'ours MB':>8} {'folium s':>8} {'folium MB':>9}"
              f" {'explore s':>9} {'explore MB':>10} {'t folium/ours':>13} {'MB folium/ours':>14}"
              f" {'t explore/ours':>14} {'MB explore/ours':>15}")
    if args.browser:
        header += f" {'interactive s':>13} {'zoom ms':>8}"
    print(header, flush=True)
    for n in sizes:
        report, check_s = generated_report(n, args.seed, args.cache)
        ours_s, ours_b, html = bench_ours(report)
        line = f"{n:>7} {check_s:>8.1f} {ours_s:>7.1f} {ours_b / 1e6:>8.2f}"
        if n > args.skip_folium_above:
            line += f" {'skipped':>8} {'':>9} {'skipped':>9} {'':>10} {'-':>13} {'-':>14} {'-':>14} {'-':>15}"
        else:
            folium_s, folium_b = bench_folium(report)
            explore_s, explore_b = bench_explore(report)
            line += (f" {folium_s:>8.1f} {folium_b / 1e6:>9.2f} {explore_s:>9.1f} {explore_b / 1e6:>10.2f}"
                     f" {folium_s / ours_s:>12.2f}x {folium_b / ours_b:>13.2f}x"
                     f" {explore_s / ours_s:>13.2f}x {explore_b / ours_b:>14.2f}x")
        if args.browser:
            timed = open_in_browser(html)
            line += f" {timed[0]:>13.2f} {timed[1]:>8.0f}" if timed else f" {'n/a':>13} {'n/a':>8}"
        print(line, flush=True)
    print("ours: boundaries exact near frames + context + verdict-ring clusters, offline; folium: MarkerCluster,"
          " no boundaries; explore: CircleMarkers, no boundaries. Ratios > 1 favour geoverify.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
