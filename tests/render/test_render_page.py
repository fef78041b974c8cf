"""Evidence map without a browser: data embedding, escaping, offline-ness,
determinism, boundary preparation."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from geoverify.errors import ConfigError
from geoverify.render import build_map, map_build_time, render_html
from geoverify.render._data import json_for_script, pack_frames
from geoverify.render._html import safe_http_url
from geoverify.render._map import decode_data

FIXED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


def page(result: dict[str, Any], layers: dict[str, Any] | None = None, **kwargs: Any) -> str:
    kwargs.setdefault("build_time", FIXED)
    return render_html(build_map(result, **(layers or {}), **kwargs))


def embedded_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/octet-stream" id="gv-data" data-encoding="gzip\+base64">'
                      r"([A-Za-z0-9+/=]*)</script>", html)
    assert match, "data script missing"
    return decode_data(match.group(1))


# ---- map_build_time ---------------------------------------------------------


def test_map_build_time__uses_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert map_build_time() == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_map_build_time__now_in_utc_without_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = datetime.now(UTC).replace(microsecond=0)
    built = map_build_time()
    assert built.tzinfo is not None and built.utcoffset().total_seconds() == 0
    assert before <= built <= datetime.now(UTC)


@pytest.mark.parametrize("value", ["yesterday", "-5", "1.5"])
def test_map_build_time__rejects_bad_epoch(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(ConfigError, match="SOURCE_DATE_EPOCH"):
        map_build_time()


# ---- imports ----------------------------------------------------------------


def test_import__render_does_not_import_folium() -> None:
    code = (
        "import sys; import geoverify.render; "
        "heavy = [m for m in ('folium', 'branca', 'jinja2') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(REPO)},
    )
    assert out.stdout.strip() == ""


def test_browser_requirement__missing_browser_skips_locally_and_fails_on_ci(
    monkeypatch: pytest.MonkeyPatch, browser_requirement: Any, tmp_path: Path
) -> None:
    missing = tmp_path / "no-chromium"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        browser_requirement(missing)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run on CI"):
        browser_requirement(missing)


# ---- JSON embedding ---------------------------------------------------------


def test_json_for_script__escapes_everything_that_could_end_the_script() -> None:
    value = {"a": "</script><script>alert(1)</script>", "b": "<!-- & -->", "c": "x\u2028y\u2029z", "<k>": 1}
    text = json_for_script(value)
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text
    assert "\\u003c/script\\u003e" in text
    assert json.loads(text) == value


def test_json_for_script__refuses_nan() -> None:
    with pytest.raises(ValueError):
        json_for_script({"x": float("nan")})


def test_pack_frames__columnar_and_coded(result: dict[str, Any]) -> None:
    result["frames"][0]["lat"] = 50.610123456789
    packed = pack_frames(result)
    cols = packed["columns"]
    assert packed["n"] == 9
    assert cols["row"] is None  # rows 1..n are implicit
    assert cols["lat"][0] == 50.610123
    assert cols["lat"][8] is None and cols["lon"][8] is None  # unlocated
    assert packed["clips"] == ["MoD 2023-05-22 clip", "Channel X 2023-06-01"]
    assert cols["clip"] == [0, 0, 0, 0, 0, 0, 1, 1, 1]
    assert [packed["verdicts"][v] for v in cols["verdict"]][:6] == ["mismatch"] * 4 + ["match"] * 2
    # ids are all different: stored directly
    assert cols["id"] == {"k": "d", "v": [f"r{i}" for i in range(1, 10)]}
    # "claimed" repeats: a dictionary, most frequent value first
    assert cols["claimed"] == {"k": "i", "s": ["Belgorod oblast", None, "Kharkiv oblast"],
                               "v": [0, 0, 0, 0, 0, 0, 2, 1, 1]}
    # the same country object is stored once
    assert cols["country"]["s"][0] == {"code": "UA", "name": "Ukraine"}
    assert cols["country"]["v"][:4] == [0, 0, 0, 0]
    assert packed["extraKeys"] == ["channel"]
    assert packed["dateRange"] == ["2023-05-22", "2023-06-02"]
    # distances in decametres: 0.1 m kept below 1 km, whole decametres above
    assert packed["distanceUnit"] == 10
    assert cols["distance_to_border_m"][4] == 27.84
    assert cols["distance_to_border_m"][0] == 612


def test_pack_frames__constant_columns_are_stored_once(result: dict[str, Any]) -> None:
    for frame in result["frames"]:
        frame["claimed"] = "Belgorod oblast"
    packed = pack_frames(result)
    assert packed["columns"]["claimed"] == {"k": "c", "v": "Belgorod oblast"}
    assert packed["columns"]["disputed"]["k"] == "i"
    result["frames"] = result["frames"][:6]
    assert pack_frames(result)["columns"]["disputed"] == {"k": "c", "v": None}


def test_pack_frames__coordinate_text_equal_to_the_point_is_not_repeated(result: dict[str, Any]) -> None:
    cols = pack_frames(result)["columns"]
    texts = [coded_value(cols["coordinates_text"], i) for i in range(9)]
    assert texts[:8] == [0] * 8  # "50.6101, 35.3512" is exactly lat, lon: derived in the page
    assert texts[8] == "somewhere near Kozinka"
    result["frames"][0]["coordinates_text"] = "50.61010, 35.35120"  # not what JavaScript prints
    result["frames"][1]["coordinates_text"] = "50\u00b041'24.7\"N 35\u00b014'25.4\"E"
    cols = pack_frames(result)["columns"]
    assert coded_value(cols["coordinates_text"], 0) == "50.61010, 35.35120"
    assert coded_value(cols["coordinates_text"], 1) == "50\u00b041'24.7\"N 35\u00b014'25.4\"E"


def test_pack_frames__unknown_frame_fields_join_the_extra_columns(result: dict[str, Any]) -> None:
    result["frames"][2]["new_field"] = "shown anyway"
    packed = pack_frames(result)
    assert packed["extraKeys"] == ["channel", "new_field"]
    assert coded_value(packed["extra"][1], 2) == "shown anyway"
    assert coded_value(packed["columns"]["notation"], 0) == "decimal"
    assert packed["columns"]["precision_m"][0] == 0.11  # decametres


def coded_value(col: dict[str, Any], i: int) -> Any:
    if col["k"] == "c":
        return col["v"]
    if col["k"] == "d":
        return col["v"][i]
    return col["s"][col["v"][i]]


def test_pack_frames__keeps_explicit_rows_and_drops_impossible_points(result: dict[str, Any]) -> None:
    result["frames"] = result["frames"][2:5]
    result["frames"][0]["lat"] = 123.0  # impossible latitude: not drawn
    result["frames"][1]["lon"] = float("nan")
    packed = pack_frames(result)
    assert packed["columns"]["row"] == [3, 4, 5]
    assert packed["columns"]["lat"][:2] == [None, None]
    assert packed["columns"]["lat"][2] == 50.5002


def test_pack_frames__clip_only_on_frames_is_appended(result: dict[str, Any]) -> None:
    result["frames"][0]["clip"] = None
    packed = pack_frames(result)
    assert packed["clips"][-1] is None
    assert packed["columns"]["clip"][0] == len(packed["clips"]) - 1


# ---- links ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.org/a?b=1#c", "https://example.org/a?b=1#c"),
        ("  http://example.org  ", "http://example.org"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("//example.org/x", None),
        ("https:example.org", None),
        ("https://exa mple.org", None),
        ("https://example.org/\nx", None),
        ("ftp://example.org", None),
        (None, None),
    ],
)
def test_safe_http_url__only_absolute_http_links(value: Any, expected: str | None) -> None:
    assert safe_http_url(value) == expected


# ---- the page ---------------------------------------------------------------


def test_build_map__returns_a_folium_map_that_displays_in_notebooks(result: dict[str, Any], layers: dict[str, Any]) -> None:
    import folium

    m = build_map(result, **layers, build_time=FIXED)
    assert isinstance(m, folium.Map)
    shown = m._repr_html_()
    assert shown.startswith("<div") and "srcdoc=" in shown


def test_render_html__offline_page_references_no_external_resource(result: dict[str, Any], layers: dict[str, Any]) -> None:
    html = page(result, layers)
    # no element that loads anything: scripts and styles are inline
    assert not re.search(r"<script[^>]*\ssrc=", html, re.IGNORECASE)
    for link in re.findall(r"<link\b[^>]*>", html, re.IGNORECASE):
        assert 'href="data:' in link, link
    assert not re.search(r"<(img|iframe|object|embed|audio|video|source)\b", html, re.IGNORECASE)
    for cdn in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "unpkg.com",
                "netdna.bootstrapcdn.com", "bootstrap.min", "fontawesome", "awesome-markers"):
        assert cdn not in html, cdn
    assert "sourceMappingURL" not in html
    assert "Leaflet 1.9.3" in html and "markercluster" not in html.lower()  # inlined Leaflet, own clustering
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert csp and "default-src 'none'" in csp.group(1) and "img-src data:;" in csp.group(1)
    assert "unsafe-inline" not in csp.group(1).split("script-src")[1].split(";")[0]


def test_render_html__csp_hashes_every_inline_script(result: dict[str, Any], layers: dict[str, Any]) -> None:
    import base64
    import hashlib

    html = page(result, layers)
    policy = re.search(r'Content-Security-Policy" content="([^"]*)"', html).group(1)
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) >= 3
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def test_build_map__cdn_variant_loads_libraries_from_unpkg(result: dict[str, Any], layers: dict[str, Any]) -> None:
    offline = page(result, layers)
    online = page(result, layers, cdn=True)
    assert '<script src="https://unpkg.com/leaflet@1.9.3/dist/leaflet.js" integrity="sha384-' in online
    assert "Leaflet 1.9.3, a JS library" not in online
    assert len(online) < len(offline) - 100_000
    assert "script-src" in online and "https://unpkg.com" in online


def test_render_html__csp_allows_what_the_caller_added(result: dict[str, Any]) -> None:
    from folium.plugins import Fullscreen

    m = build_map(result, build_time=FIXED)
    Fullscreen().add_to(m)  # a plugin that loads its script from a CDN
    html = render_html(m)
    policy = re.search(r'Content-Security-Policy" content="([^"]*)"', html).group(1)
    script_src = policy.split("script-src ")[1].split(";")[0]
    assert "https://cdn.jsdelivr.net" in script_src


def test_build_map__tiles_only_when_asked(result: dict[str, Any], layers: dict[str, Any]) -> None:
    html = page(result, layers, tiles="OpenStreetMap")
    assert "tile.openstreetmap.org" in html
    assert "img-src data: https:" in html
    with pytest.raises(ConfigError, match="tiles_attribution"):
        build_map(result, tiles="https://tiles.example/{z}/{x}/{y}.png")


def test_render_html__byte_identical_for_the_same_input(
    result: dict[str, Any], layers: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = render_html(build_map(result, **layers))
    second = render_html(build_map(json.loads(json.dumps(result)), **layers))
    assert first == second
    assert "2023-11-14T22:13:20Z" in first
    m = build_map(result, **layers)
    assert render_html(m) == render_html(m) == first  # rendering twice changes nothing
    # no random folium/branca ids are left (they are 32 hex digits)
    assert not re.search(r"_[0-9a-f]{32}\b", first)


_BUILD_IN_SUBPROCESS = """
import hashlib, importlib.util, sys
spec = importlib.util.spec_from_file_location("gv_render_fixtures", sys.argv[1])
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)
from geoverify.render import build_map, render_html
html = render_html(build_map(fixtures._result(), **fixtures._layers(), tiles="OpenStreetMap"))
print(hashlib.sha256(html.encode()).hexdigest())
"""


def test_render_html__byte_identical_across_processes() -> None:
    conftest = Path(__file__).with_name("conftest.py")
    digests = set()
    for seed in ("1", "2"):
        env = {"PYTHONPATH": str(REPO), "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1700000000"}
        out = subprocess.run([sys.executable, "-c", _BUILD_IN_SUBPROCESS, str(conftest)],
                             cwd=REPO, env=env, capture_output=True, text=True, check=True)
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_render_html__stabilises_ids_of_elements_added_later(result: dict[str, Any]) -> None:
    import folium

    pages = []
    for _ in range(2):
        m = build_map(result, build_time=FIXED)
        folium.LatLngPopup().add_to(m)
        pages.append(render_html(m))
    assert pages[0] == pages[1]


def test_render_html__escapes_untrusted_text_in_static_html(result: dict[str, Any]) -> None:
    bad = "<img src=x onerror=alert(1)>"
    end = "</script><script>alert(1)</script>"
    result["clips"][0]["clip"] = bad
    for frame in result["frames"][:6]:
        frame["clip"] = bad
    result["clips"][0]["summary"] = end
    result["clips"][0]["by_adm1"] = {end: 4}
    result["input"]["path"] = end
    result["boundaries"][0]["attribution"] = bad
    result["boundaries"][0]["source"] = "javascript:alert(1)"
    html = page(result, title=bad)
    assert bad not in html and end not in html
    assert "<title>&lt;img src=x onerror=alert(1)&gt;</title>" in html
    assert '<h1 id="gv-title">&lt;img src=x onerror=alert(1)&gt;</h1>' in html
    assert '<code class="gv-input-path">script&gt;</code>' in html  # the input file name, escaped
    assert 'href="javascript:' not in html
    data = embedded_data(html)
    assert data["clips"][0] == bad  # the data keeps the text; the page shows it as text
    assert coded_value(data["clipSummaries"], 0) == end
    assert data["attributionHtml"].startswith("&lt;img")


def test_build_map__template_markup_in_claims_is_not_evaluated(result: dict[str, Any]) -> None:
    result["clips"][0]["summary"] = "{{ 7 * 7 }} {% if true %}yes{% endif %} {# c #}"
    result["frames"][0]["claimed"] = "{{ this.__class__ }}"
    result["input"]["path"] = "{{ 6 * 6 }}.csv"
    html = page(result)
    assert "{{ 6 * 6 }}.csv" in html and "36.csv" not in html
    data = embedded_data(html)
    assert coded_value(data["clipSummaries"], 0) == "{{ 7 * 7 }} {% if true %}yes{% endif %} {# c #}"
    assert coded_value(data["columns"]["claimed"], 0) == "{{ this.__class__ }}"


def test_build_map__panel_has_search_sort_and_static_verdict_counts(
    result: dict[str, Any], layers: dict[str, Any]
) -> None:
    html = page(result, layers)
    tally = html[html.index('<section id="gv-tally"'):html.index("</section>", html.index('<section id="gv-tally"'))]
    assert 'id="gv-clip-search"' in tally and 'id="gv-clip-sort"' in tally
    assert '<option value="mismatch">most mismatches</option>' in tally
    assert '<p class="gv-note" id="gv-clip-matches">2 clips</p>' in tally
    legend = html[html.index('<ul id="gv-legend">'):html.index("</ul>", html.index('<ul id="gv-legend">'))]
    # readable without JavaScript: the counts of the whole file
    assert '<span class="gv-count" data-verdict="mismatch">4</span>' in legend
    assert 'role="button"' in legend


def test_build_map__footer_has_provenance(result: dict[str, Any], layers: dict[str, Any]) -> None:
    html = page(result, layers)
    footer = html[html.index('<footer id="gv-footer">'):html.index("</footer>")]
    for text in ("adm0-test", "ODbL-1.0", "2024-01", "© OpenStreetMap contributors", "cd" * 32,
                 "ab" * 32, "2024-05-01T12:00:00Z", "geoverify <span class=\"gv-version\">0.1.0</span>",
                 'href="https://example.org/boundaries" target="_blank" rel="noopener noreferrer"'):
        assert text in footer, text


def test_build_map__without_frames_or_layers(result: dict[str, Any]) -> None:
    result["frames"], result["clips"] = [], []
    html = page(result)
    data = embedded_data(html)
    assert data["n"] == 0 and data["view"] is None and data["geo"]["regions"] == []
