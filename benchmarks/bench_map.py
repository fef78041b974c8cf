"""Benchmark: evidence map of N random frames, geoverify vs. plain folium.

geoverify embeds the frames once as compact JSON and draws them in the page;
the usual folium way adds one ``folium.Marker`` (with popup and icon) per
frame to a ``MarkerCluster``. Both are built in the same run on the same
frames; the time is build + render to an HTML string, the size is the UTF-8
size of that string.

    python benchmarks/bench_map.py                      # 10k and 100k frames
    python benchmarks/bench_map.py --sizes 1000,20000 --skip-folium-above 20000
    python benchmarks/bench_map.py --browser            # also time opening our page in Chromium

Plain folium at 100k takes minutes, so by default it is skipped above 50 000
frames (``--skip-folium-above``); the output says when it was skipped.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

VERDICTS = ["match", "mismatch", "ambiguous", "disputed", "outside", "unresolved", "unclaimed", "unlocated"]
PLACES = [
    ({"code": "UA", "name": "Ukraine"}, {"code": "UA-59", "name": "Sumy"}),
    ({"code": "UA", "name": "Ukraine"}, {"code": "UA-63", "name": "Kharkiv"}),
    ({"code": "UA", "name": "Ukraine"}, {"code": "UA-09", "name": "Luhansk"}),
    ({"code": "RU", "name": "Russia"}, {"code": "RU-BEL", "name": "Belgorod"}),
    ({"code": "RU", "name": "Russia"}, {"code": "RU-KRS", "name": "Kursk"}),
    ({"code": "RU", "name": "Russia"}, {"code": "RU-VOR", "name": "Voronezh"}),
]
FOLIUM_COLOURS = {"match": "green", "mismatch": "red", "ambiguous": "orange", "disputed": "purple",
                  "outside": "darkpurple", "unresolved": "gray", "unclaimed": "blue", "unlocated": "lightgray"}


def dms(lat: float, lon: float) -> str:
    def part(value: float, pos: str, neg: str) -> str:
        v = abs(value)
        d, m = int(v), int(v * 60) % 60
        s = (v * 3600) % 60
        return f"{d}\u00b0{m:02d}'{s:04.1f}\"{pos if value >= 0 else neg}"

    return f"{part(lat, 'N', 'S')} {part(lon, 'E', 'W')}"


def random_result(n: int, seed: int = 1) -> dict[str, Any]:
    """A result dict shaped like ``CheckResult.to_dict()`` with ``n`` random frames."""
    rng = random.Random(seed)
    n_clips = max(1, min(200, n // 500))
    clips = [f"Channel {c % 17} clip {c:03d}" for c in range(n_clips)]
    frames = []
    for i in range(n):
        # as parsed from the claims file: decimal text (5 decimals) or, for one
        # frame in five, degrees-minutes-seconds text
        lon, lat = round(rng.uniform(30.0, 42.0), 5), round(rng.uniform(46.0, 54.0), 5)
        text = f"{lat}, {lon}" if rng.random() < 0.8 else dms(lat, lon)
        verdict = rng.choice(VERDICTS)
        country, adm1 = rng.choice(PLACES)
        located = verdict != "unlocated"
        seconds = rng.randrange(0, 3600)
        frames.append({
            "row": i + 1,
            "id": f"f{i + 1}",
            "clip": rng.choice(clips),
            "frame": f"00:{seconds // 60:02d}:{seconds % 60:02d}",
            "lon": lon if located else None,
            "lat": lat if located else None,
            "coordinates_text": text,
            # fresh objects per frame, as CheckResult.to_dict() / json.load give
            "country": dict(country) if located else None,
            "adm1": dict(adm1) if located else None,
            "disputed": {"by": "RU", "since": "2014-03"} if verdict == "disputed" else None,
            "distance_to_border_m": round(rng.uniform(0, 250_000), 1) if located else None,
            "distance_to_region_border_m": round(rng.uniform(0, 90_000), 1) if located else None,
            "claimed": "Belgorod oblast",
            "claim": {"level": "adm1", "code": "RU-BEL", "name": "Belgorod"},  # fresh dict too
            "distance_to_claimed_m": round(rng.uniform(0, 300_000), 1) if located else None,
            "verdict": verdict,
            "findings": [],
            "source": f"https://example.org/videos/{rng.randrange(5000)}",
            "date": f"2023-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "role": rng.choice(["camera", "target", None]),
            "extra": {},
        })
    tallies: dict[str, dict[str, Any]] = {}
    for f in frames:
        t = tallies.setdefault(f["clip"], {"clip": f["clip"], "rows": 0, "by_country": {}, "by_adm1": {},
                                           "by_verdict": {}, "by_role": {}})
        t["rows"] += 1
        t["by_verdict"][f["verdict"]] = t["by_verdict"].get(f["verdict"], 0) + 1
        if f["country"]:
            t["by_country"][f["country"]["code"]] = t["by_country"].get(f["country"]["code"], 0) + 1
            t["by_adm1"][f["adm1"]["code"]] = t["by_adm1"].get(f["adm1"]["code"], 0) + 1
    for t in tallies.values():
        t["summary"] = f"{t['clip']}: {t['rows']} locations"
    return {
        "geoverify_version": "bench",
        "input": {"path": f"random-{n}.csv", "sha256": "0" * 64, "rows": n},
        "boundaries": [],
        "frames": frames,
        "clips": list(tallies.values()),
    }


def bench_ours(result: dict[str, Any]) -> tuple[float, int, str]:
    from datetime import datetime

    from geoverify.render import build_map, render_html

    start = time.perf_counter()
    html = render_html(build_map(result, build_time=datetime(2024, 1, 1, tzinfo=UTC)))
    return time.perf_counter() - start, len(html.encode("utf-8")), html


def bench_folium(result: dict[str, Any]) -> tuple[float, int]:
    import folium
    from folium.plugins import MarkerCluster

    start = time.perf_counter()
    m = folium.Map(location=[50.0, 36.0], zoom_start=6)
    cluster = MarkerCluster().add_to(m)
    for f in result["frames"]:
        if f["lat"] is None:
            continue
        text = (f"<b>{f['clip']}</b> {f['frame']}<br>verdict: {f['verdict']}<br>"
                f"claimed: {f['claimed']}<br>{f['coordinates_text']}")
        folium.Marker(
            [f["lat"], f["lon"]],
            popup=folium.Popup(text, max_width=300),
            icon=folium.Icon(color=FOLIUM_COLOURS[f["verdict"]]),
        ).add_to(cluster)
    html = m.get_root().render()
    return time.perf_counter() - start, len(html.encode("utf-8"))


def open_in_browser(html: str) -> float | None:
    """Seconds until our page reports every frame drawn, in headless Chromium."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        return None
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        path = Path(tmp) / "map.html"
        path.write_text(html, encoding="utf-8")
        browser = pw.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        start = time.perf_counter()
        page.goto(path.as_uri())
        while not page.evaluate("!!window.geoverifyMap && !window.geoverifyMap.isLoading()"):
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        browser.close()
        return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated frame counts (default 10000,100000)")
    parser.add_argument("--skip-folium-above", type=int, default=50_000, metavar="N",
                        help="do not run plain folium for more than N frames (default 50000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--browser", action="store_true", help="also time opening our page in /usr/bin/chromium")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    print(f"{'frames':>8}  {'geoverify s':>11}  {'geoverify MB':>12}  {'folium s':>9}  {'folium MB':>9}"
          f"  {'time ratio':>10}  {'size ratio':>10}" + (f"  {'browser s':>9}" if args.browser else ""))
    for n in sizes:
        result = random_result(n, args.seed)
        ours_s, ours_b, html = bench_ours(result)
        line = f"{n:>8}  {ours_s:>11.2f}  {ours_b / 1e6:>12.2f}"
        if n > args.skip_folium_above:
            line += f"  {'skipped':>9}  {'skipped':>9}  {'-':>10}  {'-':>10}"
        else:
            folium_s, folium_b = bench_folium(result)
            line += (f"  {folium_s:>9.2f}  {folium_b / 1e6:>9.2f}"
                     f"  {folium_s / ours_s:>9.1f}x  {folium_b / ours_b:>9.1f}x")
        if args.browser:
            seconds = open_in_browser(html)
            line += f"  {seconds:>9.2f}" if seconds is not None else f"  {'n/a':>9}"
        print(line, flush=True)
    if any(n > args.skip_folium_above for n in sizes):
        print(f"plain folium skipped above {args.skip_folium_above} frames (--skip-folium-above); "
              "it takes minutes there")
    print("ratios: plain folium / geoverify (higher is better for geoverify)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
