"""Shared fixtures: tiny synthetic boundary sets built in code, and paths."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "examples" / "belgorod-2023.csv"

#: Stated accuracy used by the synthetic set (metres).
TINY_ACCURACY = {"country_border": 100.0, "region_border": 100.0, "coastline": 100.0}


def tiny_boundaries():
    """Two countries sharing the edge x=1, one country with a hole (a lake left as water).

    AA = [0,1]x[0,1] split into regions AA-S (y<0.5) and AA-N; BB = [1,2]x[0,1] one region;
    CC = [3,4]x[0,1] with a hole [3.4,3.6]x[0.4,0.6]. Disputed: region BB-1 is claimed by AA.
    """
    from geoverify.boundaries.derive import boundary_set_from_frames

    aa = shapely.box(0, 0, 1, 1)
    bb = shapely.box(1, 0, 2, 1)
    cc = shapely.box(3, 0, 4, 1).difference(shapely.box(3.4, 0.4, 3.6, 0.6))
    adm0 = gpd.GeoDataFrame(
        {"code": ["AA", "BB", "CC"], "name": ["Aland Test", "Beeland", "Ceeland"],
         "iso_a3": ["AAA", "BBB", "CCC"], "names": ['["Aaland"]', "[]", "[]"]},
        geometry=[aa, bb, cc], crs="EPSG:4326")
    adm1 = gpd.GeoDataFrame(
        {"code": ["AA-S", "AA-N", "BB-1", "CC-1"],
         "name": ["South oblast", "North oblast", "Bee oblast", "Cee oblast"],
         "country": ["AA", "AA", "BB", "CC"],
         "names": ['["Southern"]', "[]", "[]", "[]"]},
        geometry=[shapely.box(0, 0, 1, 0.5), shapely.box(0, 0.5, 1, 1), bb, cc], crs="EPSG:4326")
    disputed = pd.DataFrame([{"area": "Bee", "adm1_codes": "BB-1", "de_jure": "BB",
                              "claimant": "AA", "since": "2020-01", "sources": "test"}])
    return boundary_set_from_frames(adm0, adm1, name="tiny", disputed=disputed,
                                    accuracy_m=TINY_ACCURACY)


@pytest.fixture(scope="session")
def tiny():
    return tiny_boundaries()


@pytest.fixture(scope="session")
def embedded():
    from geoverify.boundaries import load_boundaries

    return load_boundaries()
