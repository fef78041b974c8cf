"""Codes and names of the embedded regions (issue 11): ISO 3166-2, kinds, the naming policy."""

from __future__ import annotations

import json
import re

import pytest
import shapely

pycountry = pytest.importorskip("pycountry")

PRECISE = ("UA", "RU", "BY")
CITY_TYPES = {"City", "Autonomous city"}


@pytest.fixture(scope="module")
def adm1(embedded):
    return embedded.adm1


#: Territories with an ISO 3166-1 code of their own that ISO 3166-2 lists under their sovereign.
DEPENDENCIES = {"BQ": "NL", "SX": "NL", "PR": "US", "SJ": "NO"}
#: Natural Earth regions of microstates whose outline lies mostly in the neighbour, so the build
#: assigns them there (known, not yet fixed: outside the countries with precise regions).
KNOWN_MISASSIGNED = {("LI-06", "CH"), ("SM-01", "IT"), ("SM-02", "IT")}


def test_units__every_iso_code_is_an_iso_3166_2_code_of_its_country(adm1):
    valid = {s.code: s.country_code for s in pycountry.subdivisions}
    coded = adm1[adm1["iso_3166_2"].notna()]
    assert len(coded) > 3000
    bad = {(c, cc) for c, cc in zip(coded["iso_3166_2"], coded["country"])
           if valid.get(c) != DEPENDENCIES.get(cc, cc)}
    assert bad == KNOWN_MISASSIGNED
    assert (coded["code"] == coded["iso_3166_2"]).all()


@pytest.mark.parametrize("country", PRECISE)
def test_units__precise_countries_have_exactly_the_iso_subdivisions(adm1, country):
    want = {s.code for s in pycountry.subdivisions.get(country_code=country)}
    got = set(adm1.loc[adm1["country"] == country, "code"])
    # UA-40 and UA-43 are Ukraine's in the default worldview (see disputed.csv)
    assert got == want


@pytest.mark.parametrize("country", PRECISE)
def test_units__kind_agrees_with_the_iso_subdivision_type(adm1, country):
    types = {s.code: s.type for s in pycountry.subdivisions.get(country_code=country)}
    rows = adm1[adm1["country"] == country]
    for code, kind in zip(rows["code"], rows["kind"]):
        assert (kind == "city") == (types[code] in CITY_TYPES), code


#: the unit word of the display name and the word ISO 3166-2's (romanised) name carries
POLICY_WORDS = [(" Oblast", "oblast"), (" Region", "voblasć"), (" Krai", "kray"),
                (" Autonomous Okrug", "avtonomnyy okrug")]


@pytest.mark.parametrize("country", PRECISE)
def test_units__display_name_says_the_kind_iso_says(adm1, country):
    iso = {s.code: s.name for s in pycountry.subdivisions.get(country_code=country)}
    rows = adm1[adm1["country"] == country]
    for code, name in zip(rows["code"], rows["name"]):
        for ours, theirs in POLICY_WORDS:
            if name.endswith(ours) and ours != " Oblast":
                assert theirs in iso[code].lower(), (code, name, iso[code])
            if ours == " Oblast" and name.endswith(ours):
                assert "oblast" in iso[code].lower(), (code, name, iso[code])


@pytest.mark.parametrize("code,name", [
    ("UA-30", "Kyiv"), ("UA-32", "Kyiv Oblast"), ("UA-43", "Autonomous Republic of Crimea"),
    ("UA-40", "Sevastopol"), ("UA-14", "Donetsk Oblast"), ("UA-51", "Odesa Oblast"),
    ("BY-HO", "Homiel Region"), ("BY-HM", "Minsk"), ("BY-MI", "Minsk Region"),
    ("RU-BEL", "Belgorod Oblast"), ("RU-MOW", "Moscow"), ("RU-MOS", "Moscow Oblast"),
    ("RU-SPE", "Saint Petersburg"), ("RU-LEN", "Leningrad Oblast"),
])
def test_units__names_as_a_publication_prints_them(adm1, code, name):
    assert adm1.loc[adm1["code"] == code, "name"].tolist() == [name]


BANNED = re.compile(r"Kiev|voblasts|Donets'k|Crimea oblast|City of Minsk| oblast$|\bkray\b")


def test_units__no_display_name_a_publication_could_not_print(adm1):
    rows = adm1[adm1["country"].isin(PRECISE)]
    assert [n for n in rows["name"] if BANNED.search(n)] == []


def test_units__former_and_native_names_are_kept_for_matching(adm1):
    names = json.loads(adm1.loc[adm1["code"] == "UA-32", "names"].iloc[0])
    assert {"Kiev Oblast", "Київська область", "Kyivska oblast"} <= set(names)
    names = json.loads(adm1.loc[adm1["code"] == "BY-HO", "names"].iloc[0])
    assert {"Gomel Region", "Гомельская область"} <= set(names)


@pytest.mark.parametrize("place,lon,lat,code", [
    ("Kremlin", 37.6175, 55.7520, "RU-MOW"),
    ("Troitsk, New Moscow", 37.3075, 55.4847, "RU-MOW"),
    ("Zelenograd", 37.1946, 55.9825, "RU-MOW"),
    ("Khimki", 37.4450, 55.8970, "RU-MOS"),
    ("Palace Square, Saint Petersburg", 30.3141, 59.9398, "RU-SPE"),
    ("Gatchina", 30.1300, 59.5650, "RU-LEN"),
    ("Maidan Nezalezhnosti, Kyiv", 30.5234, 50.4501, "UA-30"),
    ("Irpin", 30.2506, 50.5218, "UA-32"),
    ("Vyshneve", 30.3580, 50.3890, "UA-32"),
    ("Slavutych (exclave of Kyiv Oblast)", 30.7431, 51.5225, "UA-32"),
    ("Chernihiv", 31.2893, 51.4982, "UA-74"),
    ("Sevastopol", 33.5254, 44.6166, "UA-40"),
    ("Simferopol", 34.1024, 44.9521, "UA-43"),
    ("Minsk", 27.5619, 53.9023, "BY-HM"),
    ("Barysaw", 28.5049, 54.2279, "BY-MI"),
])
def test_units__special_places_lie_in_their_unit(embedded, place, lon, lat, code):
    u = embedded.units
    hit = u.loc[shapely.contains_xy(u.geometry.values, lon, lat), "code"].tolist()
    assert hit == [code], place


def test_borders__every_piece_carries_its_stated_accuracy(embedded):
    b = embedded.borders
    assert b["accuracy_m"].notna().all()
    country = b[b["kind"] == "country"]
    assert (country["accuracy_m"] == embedded.accuracy_m["country_border"]).all()
    assert b["accuracy_m"].max() <= embedded.accuracy_m["region_border"]
