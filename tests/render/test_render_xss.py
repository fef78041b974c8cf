"""Hostile text from a claims file, in every field, in a real browser.

Nothing may execute (no dialog, no console error, no request), and every
payload must be visible as literal text where it belongs, so that a blank or
broken page cannot pass. Run once with the page's Content-Security-Policy
and once with CSP bypassed, to show that the escaping alone is enough.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from geoverify.render import build_map, render_html

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "javascript:alert(1)",
]
# Leaflet's divIcon/attribution paths and inline handlers get the same treatment.
SPOTS = [(35.35, 50.61), (35.91, 50.50), (35.45, 50.52)]


def hostile_result(make_result: Any) -> dict[str, Any]:
    result = make_result()
    frames = []
    for i, payload in enumerate(PAYLOADS):
        lon, lat = SPOTS[i]
        frames.append({
            "row": i + 1, "id": payload, "clip": payload, "frame": payload, "lon": lon, "lat": lat,
            "coordinates_text": payload,
            "country": {"code": payload, "name": payload}, "adm1": {"code": payload, "name": payload},
            "disputed": {"by": payload, "since": payload},
            "distance_to_border_m": 12.5, "distance_to_region_border_m": None,
            "claimed": payload, "claim": {"level": "adm1", "code": payload, "name": payload},
            "distance_to_claimed_m": None, "verdict": "mismatch",
            "findings": [{"code": payload, "severity": payload, "field": payload, "message": payload}],
            "source": payload, "date": payload, "role": payload,
            "extra": {payload: payload, "note": payload},
        })
    frames[2]["verdict"] = "constructor"  # data must never reach Object.prototype
    frames[1]["claim"]["code"] = "__proto__"
    result["frames"] = frames
    result["clips"] = [
        {"clip": p, "rows": 1, "by_country": {p: 1}, "by_adm1": {p: 1}, "by_verdict": {"mismatch": 1},
         "by_role": {p: 1}, "summary": p}
        for p in PAYLOADS
    ]
    result["input"]["path"] = PAYLOADS[1]
    result["input"]["sha256"] = PAYLOADS[0]
    for layer in result["boundaries"]:
        layer.update(name=PAYLOADS[0], source=PAYLOADS[2], version=PAYLOADS[1], attribution=PAYLOADS[0],
                     licence=PAYLOADS[1])
    result["geoverify_version"] = PAYLOADS[1]
    return result


def hostile_layers(layers: dict[str, Any]) -> dict[str, Any]:
    adm0 = layers["adm0"].copy()
    adm1 = layers["adm1"].copy()
    adm0["name"] = [PAYLOADS[0], PAYLOADS[1]]
    adm1["name"] = [PAYLOADS[0], PAYLOADS[1], PAYLOADS[2], PAYLOADS[0]]
    adm1["country"] = [PAYLOADS[1]] * 4
    return {"adm0": adm0, "adm1": adm1, "borders": layers["borders"]}


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory: pytest.TempPathFactory, make_result: Any, layers: dict[str, Any]) -> Path:
    result = hostile_result(make_result)
    m = build_map(result, **hostile_layers(layers), title=PAYLOADS[0],
                  build_time=datetime(2024, 5, 1, tzinfo=UTC))
    html = render_html(m)
    for payload in PAYLOADS[:2]:
        assert payload not in html  # never raw in the markup
    path = tmp_path_factory.mktemp("xss") / "hostile.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "without-csp"])
def test_evidence_page__hostile_text_is_shown_not_run(
    open_map: Any, hostile_page: Path, bypass_csp: bool, artifacts: Path
) -> None:
    watch = open_map(hostile_page, bypass_csp=bypass_csp)
    page = watch.page
    assert page.title() == PAYLOADS[0]
    assert page.evaluate("window.geoverifyMap.drawnFrameCount()") == 3

    # static parts: tally, legend, footer
    names = page.locator("#gv-tally .gv-clip .gv-clip-name").all_inner_texts()
    assert names == PAYLOADS
    for index, payload in enumerate(PAYLOADS):  # the selected clip's summary and frame table
        page.locator(f'#gv-clip-list .gv-clip-option[data-clip-index="{index}"]').click()
        watch.wait_idle()
        assert page.locator("#gv-clip-detail .gv-clip-summary").inner_text() == payload
        assert page.locator("#gv-clip-detail h3").inner_text() == payload
        assert page.locator("#gv-frame-table .gv-frame").all_inner_texts() == [payload]
    page.locator(".gv-clip-all").click()
    watch.wait_idle()
    page.locator("#gv-provenance summary").click()
    footer = page.locator("#gv-footer").inner_text()
    for payload in PAYLOADS:
        assert payload in footer
    assert page.locator("#gv-footer a").count() == 0  # javascript: source is not a link
    assert PAYLOADS[0] in page.locator(".leaflet-control-attribution").inner_text()

    assert page.locator('#gv-legend .gv-count[data-verdict="constructor"]').inner_text() == "1"
    fill = page.locator('.gv-marker[data-gv-row="3"] g').get_attribute("fill")
    assert fill == "#000000"  # unknown verdict: black, not Object's constructor

    # region and country labels
    page.evaluate("void geoverifyMap.map.setView([50.5, 35.8], 7, {animate: false})")
    watch.wait_idle()
    labels = page.locator(".gv-label-text").all_inner_texts()
    assert any(PAYLOADS[0] in label for label in labels) and any(PAYLOADS[1] in label for label in labels)

    # popups, opened by clicking each marker
    for row, payload in enumerate(PAYLOADS, start=1):
        page.evaluate("row => window.geoverifyMap.revealFrame(row)", row)
        watch.wait_idle()
        page.locator(f'.gv-marker[data-gv-row="{row}"]').click()
        popup = page.locator(f'.leaflet-popup .gv-popup[data-gv-row="{row}"]')
        popup.wait_for(state="visible")
        for field in ("gv-popup-clip", "gv-popup-frame", "gv-field-claimed", "gv-field-coordinates-text",
                      "gv-field-id", "gv-field-source", "gv-field-date", "gv-field-role", "gv-finding-message"):
            texts = popup.locator(f".{field}").all_inner_texts()
            assert texts and texts[0] == payload, (field, texts)
        expected = "constructor" if row == 3 else "mismatch"
        assert popup.locator(".gv-popup-verdict").text_content() == expected
        assert popup.locator(".gv-popup-verdict-desc").count() == (0 if row == 3 else 1)
        assert popup.locator(".gv-field-country").inner_text() == payload
        assert popup.locator(".gv-field-adm1").inner_text() == payload
        extra = popup.locator(".gv-popup-extra").inner_text()
        assert extra.count(payload) == 3  # a column named by the payload, its value, and "note"
        assert popup.locator("a").count() == 0  # no payload is an http(s) URL
        assert popup.locator("img, script, iframe").count() == 0
        if row == 1 and not bypass_csp:
            page.screenshot(path=str(artifacts / "evidence-map-hostile-popup.png"))

    # nothing was injected anywhere in the document
    assert page.evaluate("document.scripts.length") == hostile_page.read_text(encoding="utf-8").count("<script")
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("typeof window.alert") == "function"
    watch.assert_clean()


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "without-csp"])
def test_evidence_page__hostile_text_in_search_hash_and_clusters(
    open_map: Any, hostile_page: Path, bypass_csp: bool
) -> None:
    """The new ways in: the clip search box, the URL hash (a shared link is untrusted
    input), and cluster labels built from verdict names and counts."""
    from urllib.parse import quote

    hostile_hash = ("#clip=" + quote(PAYLOADS[0], safe="") + "&verdicts=" + quote(PAYLOADS[1], safe="")
                    + ",mismatch&q=" + quote(PAYLOADS[0], safe="") + "&sort=" + quote(PAYLOADS[1], safe="")
                    + "&from=" + quote(PAYLOADS[2], safe="") + "&map=" + quote("<b>/1/2", safe=""))
    watch = open_map(hostile_page, bypass_csp=bypass_csp, hash=hostile_hash)
    page = watch.page
    # the hash chose the clip named by the payload (a lookup), and nothing else
    assert page.evaluate("geoverifyMap.selectedClip()") == PAYLOADS[0]
    assert page.evaluate("geoverifyMap.activeVerdicts()") == ["mismatch"]
    assert page.locator("#gv-clip-search").input_value() == PAYLOADS[0]
    assert page.locator("#gv-clip-sort").input_value() == "file"
    assert page.locator("#gv-date-from").count() == 0  # no ISO date in the file: no date filter
    assert page.locator("#gv-clip-list .gv-clip-name").all_inner_texts() == [PAYLOADS[0]]
    # typing payloads into the search box only filters
    page.locator("#gv-verdict-reset").click()
    watch.wait_idle()
    for payload in PAYLOADS:
        page.locator("#gv-clip-search").fill(payload)
        page.wait_for_timeout(50)
        assert payload in page.locator("#gv-clip-list").inner_text()
    # clusters: zoom out until the three frames cluster; labels and counts are text
    page.evaluate("geoverifyMap.selectClip(null).then(() => geoverifyMap.setVerdicts(null))")
    watch.wait_idle()
    page.evaluate("void geoverifyMap.map.setView([50.55, 35.6], 6, {animate: false})")
    watch.wait_idle()
    cluster = page.locator(".gv-cluster").first
    counts = cluster.locator(".gv-cluster-inner").get_attribute("data-gv-counts")
    assert "2 mismatch" in counts and "1 constructor" in counts
    assert cluster.get_attribute("title").startswith("3 frames: ")
    assert page.locator('.gv-inview-item[data-verdict="constructor"]').count() == 1
    # a permalink never carries markup out unescaped
    link = page.evaluate("geoverifyMap.permalink()")
    assert "<" not in link and ">" not in link and " " not in link
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("document.scripts.length") == hostile_page.read_text(encoding="utf-8").count("<script")
    watch.assert_clean()


def test_kml_export__hostile_text_is_escaped_in_descriptions(make_result: Any) -> None:
    """Google Earth renders a Placemark's description as HTML: every value in it is
    HTML-escaped before the XML is written, so markup from the claims file stays text."""
    import xml.etree.ElementTree as ET

    from geoverify.io.exports import to_kml

    result = hostile_result(make_result)
    text = to_kml(result)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    root = ET.fromstring(text.encode("utf-8"))
    placemarks = root.findall(".//k:Placemark", ns)
    assert len(placemarks) == 3
    for pm in placemarks:
        description = pm.find("k:description", ns).text
        # once XML-parsed, the description is HTML in which the payloads are escaped
        assert "<img" not in description and "<script" not in description
        assert "&lt;img src=x onerror=alert(1)&gt;" in description or "&lt;/script&gt;" in description \
            or "javascript:alert(1)" in description
        # the balloon shows only the description, never ExtendedData as HTML
    styles = root.findall(".//k:Style/k:BalloonStyle/k:text", ns)
    assert styles and all(s.text == "$[description]" for s in styles)
    # the raw values survive in ExtendedData (as XML-escaped text) for the readers
    values = [d.find("k:value", ns).text for d in root.findall(".//k:Data", ns) if d.get("name") == "clip"]
    assert values == PAYLOADS
