"""The real example (data/examples/belgorod-2023.csv) through geoverify.check,
the embedded boundary layers and the evidence map, in headless Chromium.

Skipped only while ``geoverify.api`` does not exist; once it does, any
failure (including missing boundary data) is a real failure.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from geoverify.render import render_html

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "examples" / "belgorod-2023.csv"


def _api() -> Any:
    try:
        return importlib.import_module("geoverify.api")
    except ModuleNotFoundError as exc:
        if exc.name == "geoverify.api":
            pytest.skip("geoverify.api does not exist yet")
        raise


def test_build_map__belgorod_example_in_the_browser(open_map: Any, tmp_path: Path, artifacts: Path) -> None:
    api = _api()
    result = api.check(str(EXAMPLE)).to_dict()
    m = api.build_map(result)  # the embedded layers around the frames
    path = tmp_path / "belgorod-2023.html"
    path.write_text(render_html(m), encoding="utf-8")

    watch = open_map(path)
    page = watch.page
    located = sum(1 for f in result["frames"] if f.get("lat") is not None and f.get("lon") is not None)
    assert located > 0
    assert page.evaluate("window.geoverifyMap.drawnFrameCount()") == located
    for index, clip in enumerate(result["clips"]):
        entry = page.locator(f'#gv-clip-list .gv-clip[data-clip-index="{index}"]')
        assert entry.locator(".gv-clip-name").inner_text() == (clip["clip"] or "(no clip)")
        entry.locator(".gv-clip-option").click()
        watch.wait_idle()
        detail = page.locator("#gv-clip-detail")
        if clip.get("summary"):
            assert detail.locator(".gv-clip-summary").inner_text() == clip["summary"]
        for code, count in (clip.get("by_adm1") or {}).items():  # the page's tally equals the core's
            item = detail.locator(f'.gv-counts-regions .gv-count-item[data-key="{code}"] .gv-count')
            assert item.inner_text() == str(count)
    page.locator(".gv-clip-all").click()
    watch.wait_idle()
    assert page.locator(".gv-label-text").count() > 0  # boundaries drawn and labelled
    page.screenshot(path=str(artifacts / "evidence-map-belgorod-2023.png"))

    first = next(f for f in result["frames"] if f.get("lat") is not None)
    page.evaluate("row => window.geoverifyMap.revealFrame(row)", first["row"])
    watch.wait_idle()
    page.locator(f'.gv-marker[data-gv-row="{first["row"]}"]').click()
    popup = page.locator(f'.leaflet-popup .gv-popup[data-gv-row="{first["row"]}"]')
    popup.wait_for(state="visible")
    assert popup.locator(".gv-popup-verdict").inner_text().lower() == first["verdict"]
    watch.assert_clean()
