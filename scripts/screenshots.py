"""Regenerate the screenshots in docs/img/ (shown in README.md).

Builds the evidence map of the embedded example and of a large generated
dataset (``scripts/make_large_dataset.py``, 6650 rows: the size of the real CIR
dataset), opens each in Debian's Chromium (headless, file://, no network) and
captures the opening view and zoom 14 near the Belgorod-Sumy border
(Grayvoron / Velyka Pysarivka; for the generated data, the busiest spot within
0.6 degree of it, within 1.5 km of the border); also the static figure of the example's MoD
clip. Needs the test extras (playwright) and /usr/bin/chromium.

    python scripts/screenshots.py            # writes docs/img/*.png
    python scripts/screenshots.py --out /tmp/shots --size 1280x800
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BORDER = (50.432, 35.585)  # between Grayvoron (RU) and Velyka Pysarivka (UA)
EXAMPLE = REPO / "data" / "examples" / "belgorod-2023.csv"


def _large_csv(directory: Path, rows: int) -> Path:
    spec = importlib.util.spec_from_file_location("make_large_dataset", REPO / "scripts" / "make_large_dataset.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module.write_csv(directory / f"generated-{rows}.csv", rows, seed=1)


def _wait(page) -> None:
    for _ in range(600):
        if page.evaluate("!!window.geoverifyMap && !window.geoverifyMap.isLoading()"):
            return
        time.sleep(0.05)
    raise RuntimeError("the map did not become idle")


def densest_near_border(report: dict, radius: float = 0.6, cell: float = 0.02) -> tuple[float, float]:
    """The centre of the busiest ``cell``-degree square of frames in Sumy or Belgorod oblast within
    1.5 km of the international border and ``radius`` degrees of the border point."""
    counts: dict[tuple[int, int], int] = {}
    for f in report["frames"]:
        if f.get("lat") is None or abs(f["lat"] - BORDER[0]) > radius or abs(f["lon"] - BORDER[1]) > radius:
            continue
        if (f.get("distance_to_border_m") or 1e9) > 1500:  # the busiest spot at the border itself,
            continue
        if (f.get("adm1") or {}).get("code") not in ("UA-59", "RU-BEL") or f["lon"] > 35.95:  # Sumy-Belgorod
            continue
        key = (int(f["lat"] // cell), int(f["lon"] // cell))
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return BORDER
    (i, j), _ = max(sorted(counts.items()), key=lambda kv: kv[1])
    return ((i + 0.5) * cell, (j + 0.5) * cell)


def shoot(html: Path, out: Path, stem: str, size: tuple[int, int], browser,
          zoom_at: tuple[float, float] = BORDER) -> list[Path]:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(html.resolve().as_uri())
    _wait(page)
    written = [out / f"{stem}-opening.png"]
    page.screenshot(path=str(written[-1]))
    page.evaluate("p => { geoverifyMap.map.setView(p, 14, {animate: false}); }", list(zoom_at))
    _wait(page)
    written.append(out / f"{stem}-zoom14-border.png")
    page.screenshot(path=str(written[-1]))
    page.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    parser.add_argument("--size", default="1280x800", help="viewport WIDTHxHEIGHT (default 1280x800)")
    parser.add_argument("--rows", type=int, default=6650, help="rows of the generated dataset")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")

    from playwright.sync_api import sync_playwright

    import geoverify
    from geoverify.render import render_html, save_figure

    args.out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        tmpdir = Path(tmp)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        example = geoverify.check(str(EXAMPLE))
        page = tmpdir / "example.html"
        page.write_text(render_html(geoverify.build_map(example, title="belgorod-2023.csv (example)")), "utf-8")
        written += shoot(page, args.out, "example", (width, height), browser)

        large_csv = _large_csv(tmpdir, args.rows)
        large = geoverify.check(str(large_csv))
        page = tmpdir / "large.html"
        page.write_text(render_html(geoverify.build_map(
            large, title=f"Generated dataset: {args.rows} frames (made up, realistic shape)")), "utf-8")
        written += shoot(page, args.out, "generated", (width, height), browser,
                         zoom_at=densest_near_border(large.to_dict()))
        browser.close()

        figure = geoverify.build_figure(example, clip="MoD 2023-05-22 clip")
        target = args.out / "example-figure-mod-clip.png"
        save_figure(figure, target)
        written.append(target)
    for path in written:
        print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
