"""Fixtures for the evidence-map tests: a synthetic check result, small
boundary layers around the Sumy/Belgorod border, and one headless Chromium
per test module."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # the package is not installed in the venv yet
    sys.path.insert(0, str(REPO))

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

CLIP_A = "MoD 2023-05-22 clip"
CLIP_B = "Channel X 2023-06-01"

# A made-up, straight-ish border through the real Sumy/Belgorod border area.
BORDER = [(33.0, 52.4), (34.6, 51.2), (35.6, 50.43), (36.6, 50.25), (38.5, 49.9), (40.5, 49.3)]


def _layers() -> dict[str, Any]:
    import geopandas as gpd
    from shapely.geometry import LineString, Polygon, box

    # Ukraine south-west of the border line, Russia north-east of it.
    ua = Polygon([*BORDER, (45.0, 49.3), (45.0, 44.0), (30.0, 44.0), (30.0, 52.4)])
    ru = Polygon([*BORDER, (45.0, 49.3), (45.0, 56.0), (30.0, 56.0), (30.0, 52.4)])
    adm0 = gpd.GeoDataFrame(
        {"code": ["UA", "RU"], "name": ["Ukraine", "Russia"]}, geometry=[ua, ru], crs="EPSG:4326"
    )
    adm1 = gpd.GeoDataFrame(
        {
            "code": ["UA-59", "UA-63", "RU-BEL", "RU-KRS"],
            "name": ["Sumy", "Kharkiv", "Belgorod", "Kursk"],
            "country": ["UA", "UA", "RU", "RU"],
        },
        geometry=[
            ua.intersection(box(30.0, 50.0, 35.9, 56.0)),
            ua.intersection(box(35.9, 44.0, 45.0, 56.0)),
            ru.intersection(box(30.0, 49.0, 39.5, 51.2)),
            ru.intersection(box(30.0, 51.2, 39.5, 56.0)),
        ],
        crs="EPSG:4326",
    )
    borders = gpd.GeoDataFrame({"a": ["RU"], "b": ["UA"]}, geometry=[LineString(BORDER)], crs="EPSG:4326")
    return {"adm0": adm0, "adm1": adm1, "borders": borders}


def _frame(row: int, **fields: Any) -> dict[str, Any]:
    frame = {
        "row": row, "id": f"r{row}", "clip": CLIP_A, "frame": None, "lon": None, "lat": None,
        "coordinates_text": None, "country": None, "adm1": None, "disputed": None,
        "distance_to_border_m": None, "distance_to_region_border_m": None,
        "claimed": "Belgorod oblast", "claim": {"level": "adm1", "code": "RU-BEL", "name": "Belgorod"},
        "distance_to_claimed_m": None, "verdict": "unlocated", "findings": [],
        "source": None, "date": None, "role": None, "extra": {},
    }
    frame.update(fields)
    if frame["lat"] is not None and frame["coordinates_text"] is None:
        frame["coordinates_text"] = f"{frame['lat']}, {frame['lon']}"
    return frame


UA = {"code": "UA", "name": "Ukraine"}
RU = {"code": "RU", "name": "Russia"}
SUMY = {"code": "UA-59", "name": "Sumy"}
BELGOROD = {"code": "RU-BEL", "name": "Belgorod"}
MISMATCH = [{"code": "claim-mismatch", "severity": "warning", "field": "claimed",
             "message": "The point is in Sumy (UA-59), not in the claimed Belgorod (RU-BEL)."}]


def _result() -> dict[str, Any]:
    frames = [
        _frame(1, frame="00:00:12", lon=35.3512, lat=50.6101, country=UA, adm1=SUMY, verdict="mismatch",
               distance_to_border_m=6120.5, distance_to_region_border_m=6120.5, distance_to_claimed_m=6120.5,
               findings=MISMATCH, source="https://example.org/clip-a", date="2023-05-22", role="camera",
               extra={"channel": "t.me/example"}, notation="decimal", precision_m=1.113),
        _frame(2, frame="00:00:31", lon=35.2404, lat=50.6902, country=UA, adm1=SUMY, verdict="mismatch",
               distance_to_border_m=14210.0, distance_to_region_border_m=14210.0, distance_to_claimed_m=14210.0,
               findings=MISMATCH, source="https://example.org/clip-a", date="2023-05-22", role="camera",
               extra={"channel": "t.me/example"}),
        _frame(3, frame="00:01:02", lon=35.4307, lat=50.5203, country=UA, adm1=SUMY, verdict="mismatch",
               distance_to_border_m=1500.2, distance_to_region_border_m=1500.2, distance_to_claimed_m=1500.2,
               findings=MISMATCH, source="https://example.org/clip-a", date="2023-05-22", role="target",
               extra={"channel": "t.me/example"}),
        _frame(4, frame="00:01:40", lon=35.1205, lat=50.7501, country=UA, adm1=SUMY, verdict="mismatch",
               distance_to_border_m=22000.0, distance_to_region_border_m=22000.0, distance_to_claimed_m=22000.0,
               findings=MISMATCH, source="https://example.org/clip-a", date="2023-05-22", role="target",
               extra={"channel": "t.me/example"}),
        _frame(5, frame="00:02:05", lon=35.9106, lat=50.5002, country=RU, adm1=BELGOROD, verdict="match",
               distance_to_border_m=278.4, distance_to_region_border_m=278.4, distance_to_claimed_m=0.0,
               source="https://example.org/clip-a", date="2023-05-22", role="camera",
               extra={"channel": "t.me/example"}),
        _frame(6, frame="00:02:44", lon=36.1007, lat=50.5603, country=RU, adm1=BELGOROD, verdict="match",
               distance_to_border_m=9870.0, distance_to_region_border_m=9870.0, distance_to_claimed_m=0.0,
               source="https://example.org/clip-a", date="2023-05-22", role="camera",
               extra={"channel": "t.me/example"}),
        _frame(7, clip=CLIP_B, frame="00:00:05", lon=36.35, lat=50.05, country=UA,
               adm1={"code": "UA-63", "name": "Kharkiv"}, verdict="ambiguous", claimed="Kharkiv oblast",
               claim={"level": "adm1", "code": "UA-63", "name": "Kharkiv"}, distance_to_border_m=40.0,
               date="2023-06-01", source="javascript:alert(1)"),
        _frame(8, clip=CLIP_B, frame="00:00:19", lon=36.9, lat=50.9, country=RU, adm1=BELGOROD,
               verdict="disputed", disputed={"by": "UA", "since": "2022-09"}, claimed=None, claim=None,
               date="2023-06-02"),
        _frame(9, clip=CLIP_B, frame="00:00:40", coordinates_text="somewhere near Kozinka",
               verdict="unlocated", claimed=None, claim=None,
               findings=[{"code": "unparseable-coordinates", "severity": "error", "field": "coordinates",
                          "message": "Cannot read 'somewhere near Kozinka' as coordinates."}]),
    ]
    clips = [
        {"clip": CLIP_A, "rows": 6, "by_country": {"UA": 4, "RU": 2}, "by_adm1": {"UA-59": 4, "RU-BEL": 2},
         "by_verdict": {"mismatch": 4, "match": 2}, "by_role": {"camera": 4, "target": 2},
         "summary": f"{CLIP_A}: 6 locations; 4 in Sumy oblast (UA), 2 in Belgorod oblast (RU); "
                    "4 of 6 contradict the claim 'Belgorod oblast'"},
        {"clip": CLIP_B, "rows": 3, "by_country": {"UA": 1, "RU": 1}, "by_adm1": {"UA-63": 1, "RU-BEL": 1},
         "by_verdict": {"ambiguous": 1, "disputed": 1, "unlocated": 1}, "by_role": {},
         "summary": f"{CLIP_B}: 3 rows; 2 located"},
    ]
    return {
        "geoverify_version": "0.1.0",
        "input": {"path": "data/examples/synthetic.csv", "sha256": "ab" * 32, "rows": len(frames)},
        "boundaries": [
            {"name": "adm0-test", "level": "ADM0", "source": "https://example.org/boundaries",
             "version": "2024-01", "licence": "ODbL-1.0", "attribution": "© OpenStreetMap contributors",
             "sha256": "cd" * 32, "accuracy_m": {"median": 15}},
            {"name": "adm1-test", "level": "ADM1", "source": "test fixture", "version": "1",
             "licence": "CC0-1.0", "attribution": "test regions", "sha256": "ef" * 32, "accuracy_m": None},
        ],
        "frames": frames,
        "clips": clips,
    }


@pytest.fixture
def result() -> dict[str, Any]:
    """A synthetic result: clip A has 4 frames in Sumy (UA-59), 2 in Belgorod (RU-BEL)."""
    return _result()


@pytest.fixture(scope="session")
def make_result() -> Any:
    """Factory for fresh copies of the synthetic result (for wider-scoped fixtures)."""
    return _result


@pytest.fixture(scope="session")
def layers() -> dict[str, Any]:
    return _layers()


def chromium_or_skip(chromium: Path = CHROMIUM) -> None:
    """Skip when there is no browser, except on CI (CI=true) where that is a failure."""
    reason = None
    if not chromium.exists():
        reason = f"{chromium} is not installed"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed"
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run on CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_requirement() -> Any:
    """The check the browser fixture makes (exposed to test it)."""
    return chromium_or_skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module (never downloaded)."""
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class PageWatch:
    """Everything a page did that an offline evidence map must not do."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self._document_loaded = False
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._on_request)
        page.on("requestfailed", lambda r: self.failed.append(r.url))
        page.on("dialog", self._on_dialog)
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def _on_request(self, request: Any) -> None:
        # The file:// document itself, loaded once, is the only request allowed.
        if request.url == self.url and request.is_navigation_request() and not self._document_loaded:
            self._document_loaded = True
            return
        self.requests.append(request.url)

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def wait_idle(self, timeout: float = 20.0) -> None:
        """Until the map has drawn everything and no animation runs.

        Polls with page.evaluate: the page's Content-Security-Policy forbids
        the eval that Playwright's wait_for_function relies on.
        """
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.page.evaluate("!!window.geoverifyMap && !window.geoverifyMap.isLoading()"):
                return
            time.sleep(0.03)
        raise AssertionError("the evidence map did not finish drawing")

    def assert_clean(self) -> None:
        assert self.requests == [], f"the page attempted requests: {self.requests}"
        assert self.failed == [], f"failed requests: {self.failed}"
        assert self.dialogs == [], f"dialogs opened (script ran): {self.dialogs}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def open_map(browser: Any) -> Iterator[Any]:
    """open_map(path, bypass_csp=False, width=, height=, hash="") -> PageWatch with the map loaded and idle.

    On teardown every page must have made no request, opened no dialog and
    logged no error.
    """
    contexts = []
    watches: list[PageWatch] = []

    def _open(path: Path, *, bypass_csp: bool = False, width: int = 1280, height: int = 800,
              hash: str = "") -> PageWatch:
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=bypass_csp)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        url = path.resolve().as_uri()
        watch = PageWatch(page, url)
        watches.append(watch)
        page.goto(url + hash)
        watch.wait_idle()
        return watch

    yield _open
    for context in contexts:
        context.close()
    for watch in watches:
        watch.assert_clean()
