"""Points at sea: territorial waters are reported; the high seas stay `outside`."""

from __future__ import annotations

import pandas as pd
import pytest

import geoverify


@pytest.fixture(scope="module")
def frames():
    df = pd.DataFrame({
        "place": ["off Sevastopol bay", "off Sevastopol bay", "off Odesa", "off Odesa",
                  "open Black Sea", "Kerch Strait"],
        "lat": [44.64, 44.64, 46.30, 46.30, 43.50, 45.30],
        "lon": [33.45, 33.45, 30.90, 30.90, 32.50, 36.50],
        "claimed": ["Ukraine", "Russia", "Ukraine", "Russia", "Ukraine", "Ukraine"],
    })
    return geoverify.check(df).to_dict()["frames"]


def test_check__sevastopol_bay_is_ukrainian_territorial_sea(frames):
    f = frames[0]
    assert f["country"] is None
    assert f["waters"] == {"code": "UA", "name": "Ukraine"}
    assert f["verdict"] == "match"
    assert f["disputed"] == {"by": "RU", "since": "2014-03"}


def test_check__sevastopol_waters_claimed_as_russia_are_disputed(frames):
    assert frames[1]["waters"]["code"] == "UA"
    assert frames[1]["disputed"] == {"by": "RU", "since": "2014-03"}
    assert frames[1]["verdict"] == "disputed"


def test_check__territorial_sea_of_another_country_contradicts(frames):
    assert frames[3]["disputed"] is None
    assert frames[3]["verdict"] == "mismatch"


def test_check__ship_off_odesa_is_in_ukrainian_waters(frames):
    assert (frames[2]["waters"]["code"], frames[2]["verdict"]) == ("UA", "match")


def test_check__high_seas_stay_outside(frames):
    assert frames[4]["waters"] is None
    assert frames[4]["verdict"] == "outside"


def test_check__kerch_strait_is_ukrainian_de_jure(frames):
    assert frames[5]["waters"]["code"] == "UA"


def test_check__large_batch_with_sea_points_uses_engine_and_keeps_waters(monkeypatch):
    from geoverify.engine import index as engine_index

    monkeypatch.setattr(engine_index, "ENGINE_MIN_POINTS", 2)
    df = pd.DataFrame({"lat": [46.30, 43.50, 50.43005], "lon": [30.90, 32.50, 35.59057],
                       "claimed": ["Ukraine", "Ukraine", "Belgorod oblast"]})
    frames = geoverify.check(df).to_dict()["frames"]
    assert [f["waters"] and f["waters"]["code"] for f in frames] == ["UA", None, None]
    assert [f["verdict"] for f in frames] == ["match", "outside", "match"]
