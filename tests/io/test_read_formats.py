"""The embedded Belgorod example in every format reads back to the same claims."""

from __future__ import annotations

import io
import math
import sys

import pytest

import geoverify
from geoverify.io.claims import read_table
from tests.io.belgorod_variants import VARIANTS, located

ENCODED = ("csv-cp1251-excel", "csv-utf8-bom", "tsv-utf16-le", "csv-utf16-be")


def _metres(lon1, lat1, lon2, lat2) -> float:
    """Short distances on the sphere, good to well under a millimetre at these ranges."""
    dy = (lat2 - lat1) * 111_320.0
    dx = (lon2 - lon1) * 111_320.0 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def test_build_variants__covers_every_variant(belgorod_variants):
    assert sorted(belgorod_variants) == sorted(VARIANTS)


@pytest.mark.parametrize("variant", VARIANTS)
def test_read_claims__every_format_gives_the_example(variant, belgorod_variants, belgorod_rows):
    path, tolerance = belgorod_variants[variant]
    claims = geoverify.read_claims(path)
    assert len(belgorod_rows) >= 6
    assert list(claims["row"]) == list(range(1, len(belgorod_rows) + 1))
    for got, want in zip(claims.to_dict("records"), belgorod_rows, strict=True):
        errors = [f.code for f in got["findings"] if f.severity == "error"]
        if located(want):
            assert _metres(got["lon"], got["lat"], float(want["lon"]),
                           float(want["lat"])) <= tolerance
            assert errors == []
        else:  # the "unlocated" exercise row stays, unlocated, in every format
            assert math.isnan(got["lon"]) and math.isnan(got["lat"])
            assert errors == ["missing-coordinates"]
        assert got["claimed"] == (want["claimed"] or None)
        assert got["clip"] == want["clip"]
        assert got["frame"] == want["frame"]
        assert got["id"] == want["id"]


def test_read_claims__mod_clip_is_all_belgorod_claims(belgorod_variants, belgorod_rows):
    mod = [r for r in belgorod_rows if r["clip"] == "MoD 2023-05-22 clip"]
    assert len(mod) == 6 and {r["claimed"] for r in mod} == {"Belgorod oblast"}


@pytest.mark.parametrize("variant", ENCODED)
def test_read_table__encodings_decode_cyrillic(variant, belgorod_variants, belgorod_rows):
    path, _ = belgorod_variants[variant]
    table = read_table(path)
    assert list(table.data["примечание"]) == \
        ["Белгородская область, Грайворонский район"] * len(belgorod_rows)
    assert table.data.loc[0, "note"] == "Atlas News SITREP, 22 May 2023; about 278 m inside Russia"


def test_read_table__excel_semicolon_csv_keeps_decimal_commas(belgorod_variants):
    table = read_table(belgorod_variants["csv-cp1251-excel"][0])
    assert table.meta["delimiter"] == ";"
    assert table.meta["encoding"] == "cp1251"
    assert table.data.loc[0, "lat"] == "50,43005"  # the reader never interprets values


@pytest.mark.parametrize("variant,fmt", [("kml", "kml"), ("kmz", "kmz"), ("xlsx", "xlsx"),
                                         ("gpkg", "gpkg"), ("geoparquet", "parquet"),
                                         ("flatgeobuf", "fgb"), ("geojson", "geojson"),
                                         ("jsonl", "jsonl"), ("csv-utf16-be", "csv")])
def test_read_table__stdin_bytes_are_sniffed(variant, fmt, belgorod_variants, belgorod_rows,
                                             monkeypatch):
    path, _ = belgorod_variants[variant]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    table = read_table("-")
    assert table.format == fmt
    assert table.path == "-"
    assert len(table.data) == len(belgorod_rows)


def test_read_table__stdin_one_line_geojson_is_not_json_lines(belgorod_variants, belgorod_rows,
                                                              monkeypatch):
    text = belgorod_variants["geojson"][0].read_text(encoding="utf-8") + "\n"
    assert text.count("\n") == 1
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    table = read_table("-")
    assert table.format == "geojson" and len(table.data) == len(belgorod_rows)


def test_read_table__kml_folder_becomes_clip(belgorod_variants, belgorod_rows):
    table = read_table(belgorod_variants["kml"][0])
    assert list(table.data.columns[:1]) == ["clip"]
    assert table.data["clip"].tolist() == table.data["folder"].tolist() == \
        [r["clip"] for r in belgorod_rows]
    assert table.data.loc[2, "place"] == "Oleksandrivka, Sumy oblast"
    assert table.geometry[0] == (35.59057, 50.43005, "35.59057,50.43005,0")


@pytest.mark.parametrize("variant", ["gpkg-utm36n", "geoparquet-3857", "geojson-legacy-crs-3857"])
def test_read_table__declared_crs_is_transformed_and_kept(variant, belgorod_variants):
    table = read_table(belgorod_variants[variant][0])
    assert table.crs is not None and table.crs != "EPSG:4326"
    lon, lat, text = table.geometry[0]
    assert abs(lon - 35.59057) < 1e-7 and abs(lat - 50.43005) < 1e-7
    assert "35.59057" not in text  # the text is the geometry as stored, in its own CRS


def test_read_table__xlsx_sheet_by_name_and_index(belgorod_variants):
    path = belgorod_variants["xlsx"][0]
    assert read_table(path).meta["sheet"] == "Claims"
    assert read_table(path, sheet=1).data.columns.tolist() == ["nothing here"]
    assert len(read_table(path, sheet="Notes").data) == 0
    with pytest.raises(geoverify.ClaimsFileError, match="no sheet named 'Summary'.*Claims, Notes"):
        read_table(path, sheet="Summary")


def test_read_table__gpkg_layer_text_attributes(belgorod_variants):
    table = read_table(belgorod_variants["gpkg"][0])
    assert table.meta["layer"] == "claims"
    assert table.data.loc[0, "frame"] == "00:00:04"
    assert table.geometry[3][2] == "POINT (35.568737 50.437702)"
