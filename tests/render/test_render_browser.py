"""The evidence map in a real headless Chromium (file:// URL, no network).

Every page opened through ``open_map`` must make no request besides its own
file, open no dialog and log no console error (checked on teardown and at
the end of each test).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from geoverify.render import build_map, render_html

pytestmark = pytest.mark.browser

CLIP_A = "MoD 2023-05-22 clip"
CLIP_B = "Channel X 2023-06-01"


@pytest.fixture(scope="module")
def example_page(
    tmp_path_factory: pytest.TempPathFactory, layers: dict[str, Any], make_result: Any
) -> tuple[Path, dict[str, Any]]:
    result = make_result()
    m = build_map(result, **layers, build_time=datetime(2024, 5, 1, tzinfo=UTC))
    path = tmp_path_factory.mktemp("evidence") / "evidence-map.html"
    path.write_text(render_html(m), encoding="utf-8")
    return path, result


def located(result: dict[str, Any]) -> int:
    return sum(1 for f in result["frames"] if f["lat"] is not None and f["lon"] is not None)


def open_popup(watch: Any, row: int) -> Any:
    """Zoom until the marker of ``row`` is on screen, click it, return the popup."""
    page = watch.page
    page.evaluate("row => window.geoverifyMap.revealFrame(row)", row)
    watch.wait_idle()
    page.locator(f'.gv-marker[data-gv-row="{row}"]').click()
    popup = page.locator(f'.leaflet-popup .gv-popup[data-gv-row="{row}"]')
    popup.wait_for(state="visible", timeout=5000)
    return popup


def test_evidence_page__renders_map_and_boundaries(open_map: Any, example_page: Any, artifacts: Path) -> None:
    path, _ = example_page
    watch = open_map(path)
    page = watch.page
    box = page.locator(".folium-map.leaflet-container").bounding_box()
    assert box and box["width"] > 600 and box["height"] > 500
    # polygons and the precise border are drawn (canvas renderer, one per pane)
    for pane in ("gvCountries", "gvRegions", "gvBorders"):
        assert page.locator(f".leaflet-{pane}-pane canvas").count() == 1, pane
    page.evaluate("void geoverifyMap.map.setView([50.5, 35.8], 7, {animate: false})")
    watch.wait_idle()
    labels = page.locator(".gv-label-text").all_text_contents()
    assert "Sumy (UA)" in labels and "Belgorod (RU)" in labels
    page.screenshot(path=str(artifacts / "evidence-map-synthetic.png"))
    watch.assert_clean()


def test_evidence_page__data_in_many_deflate_pieces_inflates(
        open_map: Any, layers: dict[str, Any], make_result: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A large page's data is deflated in pieces side by side (DataWriter.CHUNK): the
    browser's DecompressionStream reads the stream they make."""
    import base64
    import gzip

    from geoverify.render import _map

    monkeypatch.setattr(_map.DataWriter, "CHUNK", 1_000)
    result = make_result()
    path = tmp_path / "pieces.html"
    path.write_text(render_html(build_map(result, **layers)), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    start = text.index('data-encoding="gzip+base64">') + len('data-encoding="gzip+base64">')
    data = gzip.decompress(base64.b64decode(text[start:text.index("<", start)]))
    assert len(data) > 5 * 1_000  # several pieces
    watch = open_map(path)
    assert watch.page.evaluate("window.geoverifyMap.drawnFrameCount()") == located(result) == 8
    watch.assert_clean()


def test_evidence_page__draws_every_located_frame(open_map: Any, example_page: Any) -> None:
    path, result = example_page
    watch = open_map(path)
    assert watch.page.evaluate("window.geoverifyMap.drawnFrameCount()") == located(result) == 8
    assert watch.page.evaluate("window.geoverifyMap.locatedFrameCount") == 8
    watch.assert_clean()


def test_evidence_page__tally_shows_the_clip_counts(open_map: Any, example_page: Any) -> None:
    path, result = example_page
    watch = open_map(path)
    page = watch.page
    names = page.locator("#gv-clip-list .gv-clip .gv-clip-name").all_inner_texts()
    assert names == [CLIP_A, CLIP_B]
    assert page.locator('#gv-clip-list .gv-clip[data-clip-index="0"] .gv-clip-mismatch').inner_text() == "4"
    legend = page.locator("#gv-legend")
    assert legend.locator('.gv-count[data-verdict="mismatch"]').inner_text() == "4"
    assert legend.locator('.gv-count[data-verdict="disputed"]').inner_text() == "1"
    assert legend.locator(".gv-legend-item").count() == 8
    page.locator('.gv-clip-option[data-clip-index="0"]').click()
    watch.wait_idle()
    detail = page.locator("#gv-clip-detail")
    assert detail.locator(".gv-clip-summary").inner_text() == result["clips"][0]["summary"]
    assert detail.locator('.gv-counts-regions .gv-count-item[data-key="UA-59"] .gv-count').inner_text() == "4"
    assert detail.locator('.gv-counts-regions .gv-count-item[data-key="RU-BEL"] .gv-count').inner_text() == "2"
    assert detail.locator('.gv-counts-verdicts .gv-count-item[data-key="mismatch"] .gv-count').inner_text() == "4"
    assert "Sumy (UA-59)" in detail.inner_text()
    watch.assert_clean()


def test_evidence_page__marker_click_opens_its_popup(open_map: Any, example_page: Any) -> None:
    path, _ = example_page
    watch = open_map(path)
    popup = open_popup(watch, 1)
    assert popup.locator(".gv-popup-verdict").inner_text().lower() == "mismatch"
    assert popup.locator(".gv-popup-clip").inner_text() == CLIP_A
    assert popup.locator(".gv-popup-frame").inner_text() == "00:00:12"
    assert popup.locator(".gv-field-claimed").inner_text() == "Belgorod oblast"
    assert popup.locator(".gv-field-country").inner_text() == "Ukraine (UA)"
    assert popup.locator(".gv-field-adm1").inner_text() == "Sumy (UA-59)"
    assert popup.locator(".gv-field-border").inner_text() == "6.12 km"
    assert popup.locator("code.gv-coords").inner_text() == "50.610100, 35.351200"
    assert popup.locator(".gv-field-coordinates-text").inner_text() == "50.6101, 35.3512"
    assert popup.locator(".gv-field-precision").inner_text() == "\u00b1 1.1 m"
    assert popup.locator(".gv-popup-findings").inner_text().startswith("claim-mismatch")
    link = popup.locator(".gv-field-source a")
    assert link.get_attribute("href") == "https://example.org/clip-a"
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"
    popup.locator("button.gv-copy").click()  # clipboard or selection; must not error

    popup = open_popup(watch, 5)
    assert popup.locator(".gv-popup-verdict").inner_text().lower() == "match"
    assert popup.locator(".gv-field-border").inner_text() == "278.4 m"

    popup = open_popup(watch, 7)  # its source is javascript:alert(1): text, not a link
    assert popup.locator(".gv-popup-verdict").inner_text().lower() == "ambiguous"
    assert popup.locator(".gv-field-source a").count() == 0
    assert popup.locator(".gv-field-source").inner_text() == "javascript:alert(1)"
    watch.assert_clean()


def test_evidence_page__choosing_a_clip_filters_and_zooms(open_map: Any, example_page: Any) -> None:
    path, _ = example_page
    watch = open_map(path)
    page = watch.page
    page.locator('.gv-clip-option[data-clip-index="1"]').click()
    watch.wait_idle()
    assert page.evaluate("window.geoverifyMap.drawnFrameCount()") == 2
    assert page.evaluate("window.geoverifyMap.selectedClip()") == CLIP_B
    assert page.locator('#gv-clip-list .gv-clip-option[data-clip-index="1"]').get_attribute("aria-pressed") == "true"
    assert page.locator('#gv-legend .gv-count[data-verdict="mismatch"]').inner_text() == "0"
    assert page.locator('#gv-legend .gv-count[data-verdict="unlocated"]').inner_text() == "1"
    rows = page.evaluate(
        "Array.from(document.querySelectorAll('.gv-marker')).map(e => Number(e.dataset.gvRow)).sort()"
    )
    assert set(rows) <= {7, 8}
    # zoomed to the clip: its frames fill the view
    inside = page.evaluate(
        "(() => { const b = geoverifyMap.map.getBounds(); "
        "return [[50.05, 36.35], [50.9, 36.9], [50.6101, 35.3512]].map(p => b.contains(p)); })()"
    )
    assert inside[:2] == [True, True]

    page.evaluate("name => window.geoverifyMap.selectClip(name)", CLIP_A)
    watch.wait_idle()
    assert page.evaluate("window.geoverifyMap.drawnFrameCount()") == 6
    page.locator(".gv-clip-option.gv-clip-all").click()
    watch.wait_idle()
    assert page.evaluate("window.geoverifyMap.drawnFrameCount()") == 8
    watch.assert_clean()


def test_evidence_page__date_filter(open_map: Any, example_page: Any) -> None:
    path, _ = example_page
    watch = open_map(path)
    page = watch.page
    page.locator("#gv-date-from").fill("2023-06-01")
    watch.wait_idle()
    assert page.evaluate("window.geoverifyMap.drawnFrameCount()") == 2  # rows 7 and 8
    page.locator("#gv-date-to").fill("2023-06-01")
    watch.wait_idle()
    assert page.evaluate("window.geoverifyMap.drawnFrameCount()") == 1
    page.locator("#gv-date-reset").click()
    watch.wait_idle()
    assert page.evaluate("window.geoverifyMap.drawnFrameCount()") == 8
    watch.assert_clean()


def test_evidence_page__large_page_stays_responsive(
    open_map: Any, tmp_path: Path, result: dict[str, Any]
) -> None:
    import random

    rng = random.Random(7)
    verdicts = ["match", "mismatch", "ambiguous", "disputed", "outside", "unresolved", "unclaimed"]
    frames = []
    for i in range(20_000):
        lon, lat = rng.uniform(30, 42), rng.uniform(46, 54)
        frames.append({"row": i + 1, "id": f"f{i}", "clip": f"clip {i % 25}", "frame": None,
                       "lon": lon, "lat": lat, "coordinates_text": f"{lat:.5f}, {lon:.5f}",
                       "verdict": rng.choice(verdicts), "findings": [], "extra": {}})
    result["frames"], result["clips"] = frames, []
    path = tmp_path / "large.html"
    path.write_text(render_html(build_map(result)), encoding="utf-8")
    watch = open_map(path)
    page = watch.page
    assert page.evaluate("window.geoverifyMap.drawnFrameCount()") == 20_000
    # panning and zooming redraw the clusters (timings are measured in benchmarks/, not asserted here)
    page.evaluate("(() => { const m = geoverifyMap.map; m.panBy([80, 50], {animate: false});"
                  " m.setZoom(m.getZoom() + 1, {animate: false}); })()")
    watch.wait_idle()
    assert page.evaluate("geoverifyMap.visibleClusterCount() + geoverifyMap.visibleMarkerCount()") > 0
    page.evaluate("window.geoverifyMap.selectClip('clip 3')")
    watch.wait_idle()
    assert page.evaluate("window.geoverifyMap.drawnFrameCount()") == 800
    watch.assert_clean()


def test_evidence_page__dates_and_sort_survive_the_permalink(open_map: Any, example_page: Any) -> None:
    path, _ = example_page
    watch = open_map(path)
    page = watch.page
    page.evaluate("geoverifyMap.setDateRange('2023-06-01', '2023-06-01', false)")
    watch.wait_idle()
    page.locator("#gv-clip-sort").select_option("frames")
    assert page.evaluate("geoverifyMap.drawnFrameCount()") == 1
    link = page.evaluate("geoverifyMap.permalink()")
    assert "from=2023-06-01&to=2023-06-01&undated=0" in link and "sort=frames" in link
    again = open_map(path, hash=link)
    p2 = again.page
    assert p2.locator("#gv-date-from").input_value() == "2023-06-01"
    assert p2.locator("#gv-date-to").input_value() == "2023-06-01"
    assert p2.locator("#gv-date-undated").is_checked() is False
    assert p2.locator("#gv-clip-sort").input_value() == "frames"
    assert p2.evaluate("geoverifyMap.drawnFrameCount()") == 1
    # a hash edited by hand (or pasted later) is applied too
    p2.evaluate("location.hash = '#verdicts=mismatch'")
    p2.wait_for_timeout(200)
    again.wait_idle()
    assert p2.evaluate("geoverifyMap.activeVerdicts()") == ["mismatch"]
    assert p2.evaluate("geoverifyMap.drawnFrameCount()") == 4
    watch.assert_clean()
    again.assert_clean()
