"""Helpers for the boundary-layer tests: tiny layers built in code, an isolated data dir."""

from __future__ import annotations

import geopandas as gpd
import pyproj
import pytest
import shapely

PROVENANCE_KEYS = {"name", "level", "source", "version", "licence", "attribution", "sha256",
                   "accuracy_m"}


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Every test gets its own empty user data dir; nothing is written to the real one."""
    d = tmp_path / "gvdata"
    monkeypatch.setenv("GEOVERIFY_DATA_DIR", str(d))
    monkeypatch.delenv("GEOVERIFY_FETCH_BASE_URL", raising=False)
    return d


def geodesic_km2(geom) -> float:
    """Area on the WGS84 ellipsoid (independent of the code's equal-area projection)."""
    area, _ = pyproj.Geod(ellps="WGS84").geometry_area_perimeter(shapely.orient_polygons(geom))
    return abs(area) / 1e6


def two_countries():
    """UA = [30,32]x[45,46] (ISO3 codes on input), PL = [28,30]x[45,46]; share x=30."""
    return gpd.GeoDataFrame(
        {"iso": ["UKR", "POL"], "nm": ["Ukraine", "Poland"]},
        geometry=[shapely.box(30, 45, 32, 46), shapely.box(28, 45, 30, 46)], crs="EPSG:4326")


def ua_regions():
    """UA split at x=31 into UA-W and UA-E."""
    return gpd.GeoDataFrame(
        {"c": ["UA-W", "UA-E"], "n": ["West oblast", "East oblast"], "cc": ["UKR", "UKR"]},
        geometry=[shapely.box(30, 45, 31, 46), shapely.box(31, 45, 32, 46)], crs="EPSG:4326")
