"""Worldviews (which country a disputed area counts as) and dated control layers."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from gv_boundaries_helpers import data_dir  # noqa: F401

from geoverify.boundaries import load_boundaries
from geoverify.boundaries.control import apply_worldview, controlled_by, worldview_names
from geoverify.cli.boundaries import boundaries_group
from geoverify.engine.index import boundary_index
from geoverify.errors import ConfigError

SIMFEROPOL = (34.10, 44.95)   # UA-43, Autonomous Republic of Crimea
SEVASTOPOL = (33.52, 44.60)   # UA-40
KHARKIV = (36.23, 49.99)      # UA-63, not disputed


def control_layer():
    """[30,31]x[45,46] held by RU from 2022-02-24 until 2022-11-11, then by UA (open-ended);
    [35,36]x[45,46] claimed by both parties over 2023."""
    return gpd.GeoDataFrame(
        {"party": ["RU", "UA", "RU", "UA"],
         "valid_from": ["2022-02-24", "2022-11-11", "2023-01-01", "2023-01-01"],
         "valid_to": ["2022-11-11", None, "2024-01-01", "2024-01-01"]},
        geometry=[shapely.box(30, 45, 31, 46)] * 2 + [shapely.box(35, 45, 36, 46)] * 2,
        crs="EPSG:4326")


@pytest.mark.parametrize("date, expected", [
    ("2022-02-23", None),          # before validity
    ("2022-02-24", "RU"),          # first day
    ("2022-06-01", "RU"),          # inside
    ("2022-11-11", "UA"),          # valid_to is exclusive: next holder from that day
    ("2025-01-01", "UA"),          # open-ended
    (None, None),                  # no date, no answer
])
def test_controlled_by__as_of_the_frames_own_date(date, expected):
    assert controlled_by(control_layer(), [30.5], [45.5], [date]) == [expected]


def test_controlled_by__outside_every_polygon_or_without_coordinates_is_none():
    got = controlled_by(control_layer(), [33.0, np.nan], [45.5, 45.5], ["2022-06-01"] * 2)
    assert got == [None, None]


def test_controlled_by__two_parties_at_once_are_both_named():
    assert controlled_by(control_layer(), [35.5], [45.5], ["2023-06-01"]) == ["RU|UA"]
    assert controlled_by(control_layer(), [35.5], [45.5], ["2024-06-01"]) == [None]


def test_controlled_by__missing_columns_is_a_config_error():
    with pytest.raises(ConfigError, match="valid_from"):
        controlled_by(control_layer().drop(columns="valid_from"), [30.5], [45.5], ["2022-06-01"])


def _countries(bset, *pts):
    lon, lat = zip(*pts)
    return list(boundary_index(bset).locate(np.array(lon), np.array(lat)).country)


@pytest.mark.parametrize("worldview, expected", [
    ("embedded", ["UA", "UA", "UA"]),
    ("embedded@de-jure", ["UA", "UA", "UA"]),
    ("embedded@de-facto", ["RU", "RU", "UA"]),
    ("embedded@RU", ["RU", "RU", "UA"]),
    ("embedded@UA", ["UA", "UA", "UA"]),
    ("embedded@Sevastopol", ["UA", "RU", "UA"]),
])
def test_worldview__crimea_points(worldview, expected):
    b = load_boundaries(worldview)
    assert _countries(b, SIMFEROPOL, SEVASTOPOL, KHARKIV) == expected


def test_worldview__crimea_claims_flip_between_disputed_and_match():
    from geoverify.api import check

    df = pd.DataFrame({"id": ["a", "b"], "coordinates": ["44.95, 34.10"] * 2,
                       "claimed": ["Russia", "Ukraine"]})
    jure = [f["verdict"] for f in check(df, boundaries="embedded").to_dict()["frames"]]
    facto = check(df, boundaries="embedded@de-facto").to_dict()
    assert jure == ["disputed", "match"]
    assert [f["verdict"] for f in facto["frames"]] == ["match", "disputed"]
    assert facto["boundaries"][-1]["name"] == "worldview"


def test_apply_worldview__tiny_set_turns_the_disputed_border_into_a_region_border(tiny):
    facto = apply_worldview(tiny, "de-facto")
    assert dict(zip(facto.units["code"], facto.units["country"]))["BB-1"] == "AA"
    kinds = set(zip(facto.borders["a"], facto.borders["b"], facto.borders["kind"]))
    assert ("AA-N", "BB-1", "region") in kinds
    assert set(tiny.borders["kind"][tiny.borders["b"] == "BB-1"]) == {"country"}  # untouched


def test_apply_worldview__unknown_name_lists_the_choices(tiny):
    with pytest.raises(ConfigError, match="de-jure, de-facto"):
        apply_worldview(tiny, "martian")
    assert "Bee" in worldview_names(tiny.disputed)


def test_cli_control__claims_file_gets_controlled_by(tmp_path):
    control_layer().to_file(tmp_path / "control.geojson")
    pd.DataFrame({"id": ["a", "b", "c"], "coordinates": ["45.5, 30.5"] * 3,
                  "date": ["2022-01-01", "2022-06-01", "2023-06-01"],
                  "claimed": ["Ukraine"] * 3}).to_csv(tmp_path / "c.csv", index=False)
    r = CliRunner().invoke(boundaries_group, ["control", str(tmp_path / "control.geojson"),
                                              "--claims", str(tmp_path / "c.csv"), "-f", "json"])
    assert r.exit_code == 0, r.output
    assert [x["controlled_by"] for x in json.loads(r.stdout)] == [None, "RU", "UA"]
