"""A dated control layer gives each frame controlled_by as of its own date, in the report."""

from __future__ import annotations

import geopandas as gpd
import jsonschema
import pandas as pd
import shapely

import geoverify
from tests.test_example import SCHEMA


def test_check__controlled_by_follows_each_frames_date(tiny, tmp_path):
    control = gpd.GeoDataFrame(
        {"party": ["AA"], "valid_from": ["2022-03-01"], "valid_to": ["2022-11-11"]},
        geometry=[shapely.box(1.2, 0.0, 2.0, 1.0)], crs="EPSG:4326")
    path = tmp_path / "control.geojson"
    control.to_file(path, driver="GeoJSON")
    df = pd.DataFrame({"lat": [0.5, 0.5, 0.5, 0.5, 0.5], "lon": [1.5, 1.5, 1.5, 1.5, 0.5],
                       "date": ["2022-02-28", "2022-03-01", "2022-11-10", "2022-11-11", "2022-06-01"],
                       "claimed": ["BB"] * 5})
    report = geoverify.check(df, boundaries=tiny, control=str(path)).to_dict()
    assert [f["controlled_by"] for f in report["frames"]] == [None, "AA", "AA", None, None]
    assert report["boundaries"][-1]["level"] == "CONTROL"
    jsonschema.validate(report, SCHEMA)
