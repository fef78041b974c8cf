"""What a reader sees on the example's evidence map, in Debian's Chromium.

The acceptance lines of issue 12: the mismatch count visible at the opening
view without a click, legend filtering, the zoom-16 border test (read from the
pixels the browser drew), the permalink round trip, the scale bar
unobstructed (desktop and phone width), numbered frames matching the table,
clip search and sorting, clusters that carry their verdict mix.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from geoverify.render import render_html

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "examples" / "belgorod-2023.csv"
CLIP_MOD = "MoD 2023-05-22 clip"
CLIP_EX = "Exercise clip (synthetic)"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from geoverify.api import build_map, check

    result = check(str(EXAMPLE)).to_dict()
    path = tmp_path_factory.mktemp("reader") / "belgorod-2023.html"
    path.write_text(render_html(build_map(result)), encoding="utf-8")
    return path, result


def frame(result: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(f for f in result["frames"] if f["id"] == ident)


def boxes_overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_opening_view__mismatch_count_is_on_the_map_without_a_click(open_map: Any, example: Any,
                                                                      artifacts: Path) -> None:
    path, result = example
    watch = open_map(path)
    page = watch.page
    mismatches = sum(1 for f in result["frames"] if f["verdict"] == "mismatch")
    assert mismatches == 4
    map_box = page.locator(".folium-map").bounding_box()
    item = page.locator('.gv-inview-item[data-verdict="mismatch"]')
    assert item.is_visible()
    assert item.locator(".gv-inview-count").inner_text() == "4"
    box = item.bounding_box()
    assert map_box["x"] <= box["x"] and box["x"] + box["width"] <= map_box["x"] + map_box["width"]
    # the bulk (the largest clip) fills the view; the far frames are counted, with a way to show them
    assert page.evaluate("geoverifyMap.map.getZoom()") >= 11
    assert page.locator(".gv-outside-text").inner_text() == "4 frames outside this view"
    # and every mismatch is on screen as a red marker or inside a cluster's red badge
    markers = page.locator('.gv-marker[data-gv-verdict="mismatch"]').count()
    badges = sum(int(t) for t in page.locator(".gv-cluster-mismatch").all_inner_texts())
    assert markers + badges == 4
    page.screenshot(path=str(artifacts / "reader-opening.png"))
    page.locator(".gv-show-all").click()
    watch.wait_idle()
    assert page.evaluate("geoverifyMap.outsideViewCount()") == 0
    watch.assert_clean()


def test_clusters__show_their_verdict_mix(open_map: Any, example: Any) -> None:
    path, _ = example
    watch = open_map(path)
    page = watch.page
    page.evaluate("void geoverifyMap.map.setView([50.43, 35.6], 8, {animate: false})")
    watch.wait_idle()
    cluster = page.locator(".gv-cluster").first
    assert cluster.is_visible()
    counts = cluster.locator(".gv-cluster-inner").get_attribute("data-gv-counts")
    assert "4 mismatch" in counts and "2 match" in counts and "1 ambiguous" in counts
    assert cluster.locator(".gv-cluster-mismatch").inner_text() == "4"
    # the ring has one arc per verdict present
    assert cluster.locator("circle[stroke-dasharray]").count() == 3
    watch.assert_clean()


def test_legend__clicking_a_verdict_filters_map_counts_and_clip_list(open_map: Any, example: Any) -> None:
    path, _ = example
    watch = open_map(path)
    page = watch.page
    page.locator('#gv-legend .gv-legend-item[data-verdict="mismatch"]').click()
    watch.wait_idle()
    assert page.evaluate("geoverifyMap.activeVerdicts()") == ["mismatch"]
    assert page.evaluate("geoverifyMap.drawnFrameCount()") == 4
    assert page.locator('#gv-legend .gv-legend-item[data-verdict="match"]').get_attribute("class").count("gv-off") == 1
    # the clip list keeps only clips with a mismatch, counting them
    assert page.locator("#gv-clip-list .gv-clip-name").all_inner_texts() == [CLIP_MOD]
    assert page.locator("#gv-clip-list .gv-clip-rows").inner_text() == "4 of 6 frames"
    assert "verdicts: mismatch" in page.locator("#gv-status").inner_text()
    page.locator(".gv-show-all").click() if page.locator(".gv-show-all").is_visible() else None
    watch.wait_idle()
    verdicts = set(page.evaluate(
        "Array.from(document.querySelectorAll('.gv-marker')).map(e => e.dataset.gvVerdict)"))
    assert verdicts <= {"mismatch"}
    # a second verdict adds to the filter; "All verdicts" resets it
    page.locator('#gv-legend .gv-legend-item[data-verdict="ambiguous"]').click()
    watch.wait_idle()
    assert page.evaluate("geoverifyMap.drawnFrameCount()") == 5
    page.locator("#gv-verdict-reset").click()
    watch.wait_idle()
    assert page.evaluate("geoverifyMap.activeVerdicts()") is None
    assert page.evaluate("geoverifyMap.drawnFrameCount()") == 11
    watch.assert_clean()


def pixel(page: Any, x: float, y: float) -> tuple[int, int, int]:
    from PIL import Image

    shot = page.screenshot(clip={"x": x - 1, "y": y - 1, "width": 3, "height": 3})
    return Image.open(io.BytesIO(shot)).convert("RGB").getpixel((1, 1))


def hide(page: Any, panes: list[str]) -> None:
    page.evaluate("panes => panes.forEach(p => { geoverifyMap.map.getPane(p).style.visibility = 'hidden'; })", panes)


def test_zoom16__frames_are_on_their_true_side_of_the_drawn_border(open_map: Any, example: Any,
                                                                    artifacts: Path) -> None:
    """Read the fill the browser drew under each frame of the border area at zoom 16
    (markers, labels and the claimed tint hidden): it must be its own country's fill."""
    path, result = example
    watch = open_map(path)
    page = watch.page
    fills = page.evaluate("geoverifyMap.countryFills()")
    assert fills["UA"] != fills["RU"]
    ex1 = frame(result, "ex-1")
    assert ex1["distance_to_border_m"] == pytest.approx(60.0, abs=1.0)
    for ident in ("ex-1", "mod-1", "mod-3", "mod-4"):
        f = frame(result, ident)
        page.evaluate("p => { geoverifyMap.map.setView(p, 16, {animate: false}); }", [f["lat"], f["lon"]])
        watch.wait_idle()
        if ident == "ex-1":
            page.screenshot(path=str(artifacts / "reader-zoom16-60m-frame.png"))
        hide(page, ["gvFrames", "gvLabels", "gvClaimed"])
        point = page.evaluate("p => { const q = geoverifyMap.map.latLngToContainerPoint(p); "
                              "const r = geoverifyMap.map.getContainer().getBoundingClientRect(); "
                              "return [q.x + r.left, q.y + r.top]; }", [f["lat"], f["lon"]])
        seen = pixel(page, *point)
        want = tuple(int(fills[f["country"]["code"]][k:k + 2], 16) for k in (1, 3, 5))
        other = tuple(int(fills["UA" if f["country"]["code"] == "RU" else "RU"][k:k + 2], 16) for k in (1, 3, 5))
        assert seen == want, (ident, seen, want, other)
        page.evaluate("['gvFrames', 'gvLabels', 'gvClaimed'].forEach(p => "
                      "{ geoverifyMap.map.getPane(p).style.visibility = ''; })")
    watch.assert_clean()


@pytest.mark.parametrize("zoom", [13, 16])
def test_claimed_outline__never_puts_a_frame_on_the_wrong_side(open_map: Any, example: Any, zoom: int) -> None:
    """Only the claimed-region layer visible: its tint is under a frame exactly when the
    frame's region is the claimed one (the dashed outline does not cut through it)."""
    path, result = example
    watch = open_map(path)
    page = watch.page
    page.evaluate("name => geoverifyMap.selectClip(name)", CLIP_MOD)
    watch.wait_idle()
    hide(page, ["gvCountries", "gvRegions", "gvBorders", "gvFrames", "gvLabels"])
    background = None
    for f in result["frames"]:
        if f["clip"] != CLIP_MOD:
            continue
        page.evaluate("a => { geoverifyMap.map.setView(a[0], a[1], {animate: false}); }", [[f["lat"], f["lon"]], zoom])
        watch.wait_idle()
        hide(page, ["gvCountries", "gvRegions", "gvBorders", "gvFrames", "gvLabels"])
        point = page.evaluate("p => { const q = geoverifyMap.map.latLngToContainerPoint(p); "
                              "const r = geoverifyMap.map.getContainer().getBoundingClientRect(); "
                              "return [q.x + r.left, q.y + r.top]; }", [f["lat"], f["lon"]])
        seen = pixel(page, *point)
        if background is None:
            background = page.evaluate("getComputedStyle(geoverifyMap.map.getContainer()).backgroundColor")
        bg = tuple(int(v) for v in background[background.index("(") + 1:-1].split(","))
        inside_claim = f["adm1"]["code"] == f["claim"]["code"]
        tinted = seen != bg
        assert tinted == inside_claim, (f["id"], seen, bg)
    watch.assert_clean()


def test_permalink__reopens_the_same_clip_filters_and_view(open_map: Any, example: Any) -> None:
    path, _ = example
    watch = open_map(path)
    page = watch.page
    page.evaluate("name => geoverifyMap.selectClip(name)", CLIP_MOD)
    watch.wait_idle()
    page.locator('#gv-legend .gv-legend-item[data-verdict="mismatch"]').click()
    watch.wait_idle()
    page.locator("#gv-clip-search").fill("MoD")
    page.evaluate("void geoverifyMap.map.setView([50.44, 35.57], 14, {animate: false})")
    watch.wait_idle()
    link = page.evaluate("geoverifyMap.permalink()")
    assert link.startswith("#clip=MoD%202023-05-22%20clip&verdicts=mismatch&q=MoD&map=14/50.44000/35.57000")
    assert page.evaluate("location.hash") == link

    again = open_map(path, hash=link)
    p2 = again.page
    assert p2.evaluate("geoverifyMap.selectedClip()") == CLIP_MOD
    assert p2.evaluate("geoverifyMap.activeVerdicts()") == ["mismatch"]
    assert p2.evaluate("geoverifyMap.drawnFrameCount()") == 4
    assert p2.evaluate("geoverifyMap.map.getZoom()") == 14
    centre = p2.evaluate("(() => { const c = geoverifyMap.map.getCenter(); return [c.lat, c.lng]; })()")
    assert centre == pytest.approx([50.44, 35.57], abs=1e-4)
    assert p2.locator("#gv-clip-search").input_value() == "MoD"
    assert p2.locator('#gv-clip-list .gv-clip-option[data-clip-index="0"]').get_attribute("aria-pressed") == "true"
    watch.assert_clean()
    again.assert_clean()


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_scale_bar__visible_and_attribution_one_line_expandable(open_map: Any, example: Any,
                                                                size: tuple[int, int], artifacts: Path) -> None:
    path, _ = example
    watch = open_map(path, width=size[0], height=size[1])
    page = watch.page
    scale = page.locator(".leaflet-control-scale-line")
    attribution = page.locator(".leaflet-control-attribution")
    assert scale.is_visible() and attribution.is_visible()
    sbox, abox = scale.bounding_box(), attribution.bounding_box()
    assert not boxes_overlap(sbox, abox)
    for control in page.locator(".leaflet-control").all():
        if control.is_visible() and "leaflet-control-scale" not in (control.get_attribute("class") or ""):
            assert not boxes_overlap(sbox, control.bounding_box()), control.get_attribute("class")
    # nothing covers the scale bar: the element at its centre is the scale bar
    centre_is_scale = page.evaluate(
        "(() => { const e = document.querySelector('.leaflet-control-scale-line'); const b = e.getBoundingClientRect();"
        " return document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2) === e; })()")
    assert centre_is_scale
    map_box = page.locator(".folium-map").bounding_box()
    assert map_box["y"] <= sbox["y"] and sbox["y"] + sbox["height"] <= map_box["y"] + map_box["height"]
    # the attribution is one line until clicked, then shows everything
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.leaflet-control-attribution')).lineHeight)")
    assert abox["height"] <= line * 1.6 + 4
    page.screenshot(path=str(artifacts / f"reader-scale-{size[0]}.png"))
    page.evaluate("document.querySelector('.leaflet-control-attribution').click()")  # not on its links
    assert attribution.bounding_box()["height"] > abox["height"]
    assert "GeoNames" in attribution.inner_text()
    watch.assert_clean()


def test_selected_clip__numbered_markers_match_the_frame_table(open_map: Any, example: Any) -> None:
    path, result = example
    watch = open_map(path)
    page = watch.page
    page.locator("#gv-clip-list .gv-clip-option", has_text=CLIP_MOD).click()
    watch.wait_idle()
    rows = page.locator("#gv-frame-table tbody tr")
    assert rows.count() == 6
    table = [(r.get_attribute("data-gv-seq"), r.get_attribute("data-gv-row"), r.locator(".gv-frame").inner_text())
             for r in rows.all()]
    assert [t[0] for t in table] == ["1", "2", "3", "4", "5", "6"]
    frames = [t[2] for t in table]
    assert frames == sorted(frames)  # frame order
    markers = dict(page.evaluate(
        "Array.from(document.querySelectorAll('.gv-marker-numbered')).map(e => [e.dataset.gvSeq, e.dataset.gvRow])"))
    assert markers == {seq: row for seq, row, _ in table}
    numbers = page.locator(".gv-marker-numbered text").all_text_contents()
    assert sorted(numbers) == ["1", "2", "3", "4", "5", "6"]
    # a table row opens that frame's popup
    rows.nth(2).click()
    popup = page.locator(".leaflet-popup .gv-popup")
    popup.wait_for(state="visible")
    assert popup.get_attribute("data-gv-row") == table[2][1]
    watch.assert_clean()


def test_clip_list__search_and_sort(open_map: Any, example: Any) -> None:
    path, _ = example
    watch = open_map(path)
    page = watch.page
    page.locator("#gv-clip-search").fill("exercise")
    watch.wait_idle()
    assert page.locator("#gv-clip-list .gv-clip-name").all_inner_texts() == [CLIP_EX]
    assert page.locator("#gv-clip-matches").inner_text() == "1 of 2 clips match"
    page.locator("#gv-clip-search").fill("")
    page.locator("#gv-clip-sort").select_option("name")
    assert page.locator("#gv-clip-list .gv-clip-name").all_inner_texts() == [CLIP_EX, CLIP_MOD]
    page.locator("#gv-clip-sort").select_option("mismatch")
    assert page.locator("#gv-clip-list .gv-clip-name").all_inner_texts() == [CLIP_MOD, CLIP_EX]
    watch.assert_clean()


def test_context__settlements_named_near_the_frames(open_map: Any, example: Any) -> None:
    path, _ = example
    watch = open_map(path)
    page = watch.page
    page.evaluate("void geoverifyMap.map.setView([50.45, 35.6], 12, {animate: false})")
    watch.wait_idle()
    names = page.locator(".gv-label-place .gv-label-text").all_inner_texts()
    assert "Grayvoron" in names and "Velyka Pysarivka" in names
    watch.assert_clean()


def test_region_labels__never_in_a_hole(open_map: Any, tmp_path: Path) -> None:
    """Kyiv oblast surrounds Kyiv City: its label is placed in the oblast, not in the city."""
    import shapely

    from geoverify.api import build_map
    from geoverify.boundaries import load_boundaries

    units = load_boundaries("embedded").units
    oblast = units[units["code"] == "UA-32"].geometry.iloc[0]
    city = units[units["code"] == "UA-30"].geometry.iloc[0]
    main = max(shapely.get_parts(oblast), key=lambda g: g.area)
    assert len(main.interiors) >= 1
    result = {"geoverify_version": "t", "input": {"path": "kyiv.csv", "sha256": "0" * 64, "rows": 1},
              "boundaries": [], "clips": [], "frames": [
                  {"row": 1, "id": "k", "clip": "c", "frame": "1", "lon": 30.52, "lat": 50.45,
                   "coordinates_text": "50.45, 30.52", "verdict": "unclaimed", "findings": [], "extra": {}}]}
    path = tmp_path / "kyiv.html"
    path.write_text(render_html(build_map(result)), encoding="utf-8")
    watch = open_map(path)
    page = watch.page
    page.evaluate("void geoverifyMap.map.setView([50.45, 30.52], 7, {animate: false})")
    watch.wait_idle()
    anchors = page.evaluate("geoverifyMap.labelAnchors()")
    kyiv = [a for a in anchors if a["text"].startswith("Kyiv Oblast")]
    assert kyiv, anchors
    for a in kyiv:
        point = shapely.Point(a["lon"], a["lat"])
        assert oblast.contains(point) and not city.contains(point), a
    watch.assert_clean()
