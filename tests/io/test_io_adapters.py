"""Adapters map known export shapes (hand-written fixtures in tests/data) onto our columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import geoverify
from geoverify.errors import ClaimsFileError, ConfigError
from geoverify.io.adapters import description_links, leading_date
from geoverify.io.claims import read_table
from geoverify.io.kml import read_kml

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("fixture,schema", [
    ("geoconfirmed-sample.kml", "geoconfirmed"), ("cir-sample.csv", "cir"),
    ("cir-sample.geojson", "cir"), ("timemap-sample.json", "timemap"),
    ("acled-sample.csv", "acled")])
def test_read_table__schema_is_sniffed_and_originals_kept(fixture, schema):
    path = DATA / fixture
    plain = read_table(path, schema="none")
    table = read_table(path)
    assert table.schema == schema and table.meta["schema_sniffed"] is True
    assert plain.schema is None
    assert len(table.data) == len(plain.data)
    # every original column survives, under its own name or <schema>:<name>, values untouched
    # (without an adapter a KML also gets clip = folder, which is not an original column)
    originals = [c for c in plain.data.columns
                 if not (c == "clip" and plain.meta.get("clip_from") == "folder")]
    for col in originals:
        kept = table.meta["renamed"].get(col, col)
        assert table.data[kept].tolist() == plain.data[col].tolist()
    # the mapped columns come first
    first_original = min(table.data.columns.get_loc(table.meta["renamed"].get(c, c))
                         for c in originals)
    assert set(table.data.columns[:first_original]) >= {"clip"}
    # forcing the schema gives the same table
    forced = read_table(path, schema=schema)
    assert forced.data.equals(table.data) and forced.meta["schema_sniffed"] is False


def test_read_claims__geoconfirmed_kml():
    claims = geoverify.read_claims(DATA / "geoconfirmed-sample.kml")
    table = read_table(DATA / "geoconfirmed-sample.kml")
    assert claims["date"].tolist() == ["2023-05-22", "2023-05-23", "2023-05-24", "2023-05-25"]
    assert table.data["title"].tolist() == [
        "Strike on a fuel truck near the Grayvoron road", "Convoy filmed leaving a village",
        "Front line trench segment", "Reported explosion, not yet geolocated"]
    assert claims["clip"].tolist() == table.data["name"].tolist()
    assert claims["source"].tolist() == [
        "https://t.me/example_channel_one/1001",
        "https://x.com/example_poster/status/1000000000000000002?s=20&t=abc",
        "https://t.me/example_channel_three/5", "https://t.me/example_channel_one/1010"]
    assert table.data.loc[1, "sources"] == ("https://x.com/example_poster/status/"
                                            "1000000000000000002?s=20&t=abc "
                                            "https://t.me/example_channel_two/77")
    assert table.data.loc[1, "geolocation_links"] == \
        "https://x.com/example_geolocator/status/1000000000000000003"
    assert table.data["category"].tolist() == ["Russian forces"] * 2 + ["Ukrainian forces"] * 2
    assert claims["claimed"].isna().all()
    assert claims.loc[0, ["lon", "lat"]].tolist() == [35.5906, 50.4301]
    codes = [[f.code for f in fs] for fs in claims["findings"]]
    assert codes == [[], [], ["unparseable-coordinates"], ["missing-coordinates"]]


@pytest.mark.parametrize("fixture", ["cir-sample.csv", "cir-sample.geojson"])
def test_read_claims__cir_claim_is_province_and_country(fixture):
    claims = geoverify.read_claims(DATA / fixture)
    table = read_table(DATA / fixture)
    assert claims["claimed"].tolist()[:2] == ["Donetsk, Ukraine", "Belgorod, Russia"]
    assert table.data.loc[0, "place"] == "Bakhmut, Bakhmutskyi, Donetsk, Ukraine"
    assert claims["date"].tolist()[:2] == ["2023-05-22", "2023-05-23"]
    assert claims["id"].tolist()[:2] == ["CIR-T-0001", "CIR-T-0002"]
    assert claims["clip"].tolist()[0] == claims["source"].tolist()[0] == \
        "https://t.me/example_cir_source/101"
    assert claims.loc[1, ["lon", "lat"]].tolist() == [35.5906, 50.4301]
    assert "cir:url" in table.data.columns and "url" not in table.data.columns


def test_read_claims__cir_row_without_town_or_point():
    table = read_table(DATA / "cir-sample.csv")
    assert table.data.loc[2, ["claimed", "place"]].tolist() == ["Sumy, Ukraine", "Sumy, Ukraine"]
    claims = geoverify.read_claims(DATA / "cir-sample.geojson")
    assert claims.loc[2, "claimed"] == "Kharkiv, Ukraine"
    assert [f.code for f in claims.loc[2, "findings"]] == ["missing-coordinates"]


def test_read_claims__timemap_events():
    claims = geoverify.read_claims(DATA / "timemap-sample.json")
    table = read_table(DATA / "timemap-sample.json")
    assert claims["id"].tolist() == claims["clip"].tolist() == ["TM-T-001", "TM-T-002", "TM-T-003"]
    # mm/dd/yyyy is TimeMap's convention; 24/05/2023 can only be day first
    assert claims["date"].tolist() == ["2023-05-22", "2023-05-23", "2023-05-24"]
    assert claims.loc[0, ["lon", "lat"]].tolist() == [36.2304, 49.9935]
    assert claims.loc[1, ["lon", "lat"]].tolist() == [35.5906, 50.4301]  # from "location"
    assert claims["claimed"].tolist() == ["Kharkiv", None, "Sumy"]
    assert claims["source"].tolist() == [
        "https://t.me/example_timemap_source/7", "https://t.me/example_timemap_source/9",
        "https://x.com/example_timemap_source/status/3000000000000000001"]
    assert table.data.loc[0, "sources"] == ("https://t.me/example_timemap_source/7 "
                                            "https://example.org/timemap/photo-8.jpg")
    assert claims["frame"].isna().all()  # "time" is the time of day, not a frame time
    assert table.data["timemap:time"].tolist() == ["14:05", "", "22:40"]
    assert all(fs == [] for fs in claims["findings"])


def test_read_claims__acled_events():
    claims = geoverify.read_claims(DATA / "acled-sample.csv")
    table = read_table(DATA / "acled-sample.csv")
    assert claims["claimed"].tolist() == ["Sumy, Ukraine", "Belgorod, Russia", "Kharkiv, Ukraine"]
    assert claims["date"].tolist() == ["2023-05-22", "2023-05-22", "2023-05-24"]
    assert claims["id"].tolist() == claims["clip"].tolist() == \
        ["UKR-T-0001", "RUS-T-0002", "UKR-T-0003"]
    assert claims["source"].tolist()[1] == "Example Wire; Telegram"
    assert claims.loc[0, ["lon", "lat"]].tolist() == [35.4793, 50.4252]
    # ACLED's "location" is a place name and "timestamp" an edit time: neither gets a role
    assert claims["frame"].isna().all()
    assert table.data.loc[0, "acled:location"] == "Velyka Pysarivka"
    assert table.data.loc[0, "acled:timestamp"] == "1684900000"
    assert claims.loc[0, "extra"]["acled:location"] == "Velyka Pysarivka"


def test_read_table__forced_schema_on_the_wrong_file():
    with pytest.raises(ClaimsFileError, match=r"schema 'acled' .* needs the column\(s\) "
                                              r"event_date, admin1"):
        read_table(DATA / "cir-sample.csv", schema="acled")


def test_read_table__unknown_schema_name():
    with pytest.raises(ConfigError, match="schema='ucdp' is not known; use one of acled, cir"):
        read_table(DATA / "cir-sample.csv", schema="ucdp")


def test_read_table__own_claimed_column_turns_sniffing_off(tmp_path):
    path = tmp_path / "own.csv"
    path.write_text("id,lat,lon,country,province,town,claimed\n"
                    "a,50.43,35.59,Russia,Belgorod,Grayvoron,Sumy oblast\n", encoding="utf-8")
    table = read_table(path)
    assert table.schema is None
    assert geoverify.read_claims(path).loc[0, "claimed"] == "Sumy oblast"
    assert read_table(path, schema="cir").data.loc[0, "claimed"] == "Belgorod, Russia"


def test_read_table__geoconfirmed_kmz_is_sniffed_too(tmp_path):
    import zipfile

    path = tmp_path / "gc.kmz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(DATA / "geoconfirmed-sample.kml", "doc.kml")
    assert read_table(path).schema == "geoconfirmed"


def test_read_table__plain_kml_is_not_geoconfirmed():
    kml = (b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>Clip 1</name>'
           b"<Placemark><name>2023-05-22 frame 4</name><description>no links</description>"
           b"<Point><coordinates>35.6,50.4</coordinates></Point></Placemark></Folder></Document></kml>")
    table = read_kml(kml, "plain.kml", "0")
    from geoverify.io.adapters import sniff_schema

    assert sniff_schema(table) is None


@pytest.mark.parametrize("text,order,expected", [
    ("22 MAY 2023 - Strike on a depot", "dmy", ("2023-05-22", "Strike on a depot")),
    ("2023-05-22 Convoy", "dmy", ("2023-05-22", "Convoy")),
    ("22.05.2023: Bridge", "mdy", ("2023-05-22", "Bridge")),
    ("May 22, 2023 – Tank", "dmy", ("2023-05-22", "Tank")),
    ("05/06/2023 x", "mdy", ("2023-05-06", "x")),
    ("05/06/2023 x", "dmy", ("2023-06-05", "x")),
    ("3 Sept 2022 | y", "dmy", ("2022-09-03", "y")),
    ("31 FEB 2023 - no such day", "dmy", (None, "31 FEB 2023 - no such day")),
    ("Strike on 22 May 2023", "dmy", (None, "Strike on 22 May 2023")),
])
def test_leading_date__formats(text, order, expected):
    assert leading_date(text, order=order) == expected


def test_description_links__labels_and_duplicates():
    html = ('Source:<br><a href="https://a.example/1?x=1&amp;y=2">https://a.example/1?x=1&amp;y=2'
            '</a> https://b.example/2<br>Geolocation: <a href="https://c.example/3">here</a>')
    assert description_links(html) == (["https://a.example/1?x=1&y=2", "https://b.example/2"],
                                       ["https://c.example/3"])
    assert description_links("no links at all") == ([], [])


def test_read_table__timemap_sources_as_list_member(tmp_path):
    doc = {"events": [{"id": "e", "date": "2023-05-22", "latitude": 50.4, "longitude": 35.6,
                       "sources": ["s1"]}],
           "sources": [{"id": "s1", "url": "https://example.org/s1"}]}
    path = tmp_path / "tm.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    table = read_table(path)
    assert table.schema == "timemap"
    assert table.data.loc[0, "source"] == "https://example.org/s1"
    assert {"lat", "lon"} <= table.numeric_columns  # copied from JSON numbers
