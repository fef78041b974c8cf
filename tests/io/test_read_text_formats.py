"""Delimited text and JSON: delimiters, encodings, ragged rows, numbers kept as written."""

from __future__ import annotations

import json

import pytest

import geoverify
from geoverify.errors import ClaimsFileError, ConfigError
from geoverify.io.claims import read_table

HEADER = ["id", "lat", "lon", "claimed", "note"]
ROWS = [
    ["a-1", "50.43005", "35.59057", "Belgorod oblast", "checkpoint; seen from the road"],
    ["a-2", "50.45849", "35.654072", "Belgorod oblast", 'a "quoted" word, and a comma'],
]


def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _delimited(delimiter):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(ROWS)
    return buf.getvalue()


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_read_table__delimiter_is_sniffed(tmp_path, delimiter):
    table = read_table(_write(tmp_path, "claims.csv", _delimited(delimiter)))
    assert table.meta["delimiter"] == delimiter
    assert table.data.columns.tolist() == HEADER
    assert table.data.values.tolist() == ROWS


def test_read_table__semicolon_file_with_decimal_commas(tmp_path):
    text = "id;lat;lon;claimed\na-1;50,43005;35,59057;Belgorod oblast\na-2;50,45849;35,654072;Belgorod oblast\n"
    claims = geoverify.read_claims(_write(tmp_path, "excel.csv", text))
    assert claims["lat"].tolist() == [50.43005, 50.45849]
    assert claims["lon"].tolist() == [35.59057, 35.654072]


def test_read_table__one_column_file_is_not_split(tmp_path):
    text = 'coordinates\n50.43005, 35.59057\n"50,45849; 35,654072"\n50 25 48.2 N, 35 35 26.1 E\n'
    path = _write(tmp_path, "one.csv", text)
    table = read_table(path)
    assert table.meta["delimiter"] is None
    assert table.data["coordinates"].tolist() == [
        "50.43005, 35.59057", "50,45849; 35,654072", "50 25 48.2 N, 35 35 26.1 E"]
    claims = geoverify.read_claims(path)
    for got, want in zip(claims["lat"], [50.43005, 50.45849, 50.43006], strict=True):
        assert abs(got - want) < 1e-5


def test_read_table__excel_sep_hint_line(tmp_path):
    table = read_table(_write(tmp_path, "hint.csv", "sep=|\nid|lat|lon\na,1|50.4|35.6\n"))
    assert table.meta["delimiter"] == "|"
    assert table.data.values.tolist() == [["a,1", "50.4", "35.6"]]


def test_read_table__cp1251_cyrillic_claims(tmp_path):
    text = ("id;lat;lon;claimed\n"
            "r-1;50,43005;35,59057;Белгородская область\n"
            "r-2;50,45849;35,654072;Сумська область, Україна\n")
    path = _write(tmp_path, "ru.csv", text, "cp1251")
    table = read_table(path)
    assert table.meta["encoding"] == "cp1251"
    claims = geoverify.read_claims(path)
    assert claims["claimed"].tolist() == ["Белгородская область", "Сумська область, Україна"]


@pytest.mark.parametrize("claim", ["Белгородская область", "Рёв", "Сімферополь", "Київ — «центр»",
                                   "Grayvoron / Грайворон", "café"])
def test_read_table__utf8_is_never_misread(tmp_path, claim):
    text = "id,claimed\n" + "".join(f"x-{i},Belgorod oblast\n" for i in range(5000)) + \
        f"last,{claim}\n"  # the only non-ASCII text is far beyond any sample
    table = read_table(_write(tmp_path, "late.csv", text))
    assert table.meta["encoding"] == "utf-8"
    assert table.data["claimed"].iloc[-1] == claim


def test_read_table__utf8_with_a_stray_byte_stays_utf8(tmp_path):
    text = "id,claimed\n" + "".join(f"r-{i},Белгородская область\n" for i in range(20))
    raw = text.encode("utf-8").replace(b"r-7,", b"r-7\x96,")  # a cp1252 dash pasted in
    path = tmp_path / "mixed.csv"
    path.write_bytes(raw)
    table = read_table(path)
    assert table.meta["encoding"] == "utf-8 (invalid bytes replaced)"
    assert set(table.data["claimed"]) == {"Белгородская область"}
    assert table.data.loc[7, "id"] == "r-7\ufffd"


@pytest.mark.parametrize("encoding,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                          ("utf-16-le", b""), ("utf-8", b"\xef\xbb\xbf")])
def test_read_table__unicode_encodings(tmp_path, encoding, bom):
    text = "id\tclaimed\nr-1\tБелгородская область\n"
    path = tmp_path / "claims.txt"
    path.write_bytes(bom + text.encode(encoding))
    table = read_table(path)
    assert table.data.columns.tolist() == ["id", "claimed"]
    assert table.data.loc[0, "claimed"] == "Белгородская область"


def test_read_table__forced_encoding(tmp_path):
    path = _write(tmp_path, "fr.csv", "id,claimed\n1,Café du Port\n", "cp1252")
    assert read_table(path, encoding="cp1252").data.loc[0, "claimed"] == "Café du Port"
    with pytest.raises(ConfigError, match="not a known text encoding"):
        read_table(path, encoding="no-such-codec")


def test_read_table__ragged_rows_keep_every_row(tmp_path):
    text = ("id,lat,lon,claimed\n"
            "r-1,50.43005,35.59057,Belgorod oblast\n"
            "r-2,50.45849\n"
            "r-3,50.452857,35.5362,Belgorod oblast,extra one,extra two\n"
            ",,,\n"
            "r-5,50.437702,35.568737,Belgorod oblast\n")
    path = _write(tmp_path, "ragged.csv", text)
    table = read_table(path)
    assert len(table.data) == 5
    assert table.data.columns.tolist() == ["id", "lat", "lon", "claimed", "column_5", "column_6"]
    assert table.data.loc[2].tolist() == ["r-3", "50.452857", "35.5362", "Belgorod oblast",
                                          "extra one", "extra two"]
    assert table.data.loc[1, "lon"] == ""
    assert sorted(table.row_notes) == [1, 2]
    assert [n.code for n in table.row_notes[2]] == ["ragged-row"]
    assert "column_5, column_6" in table.row_notes[2][0].message
    assert "line 4" in table.row_notes[2][0].message
    claims = geoverify.read_claims(path)
    assert claims["row"].tolist() == [1, 2, 3, 4, 5]
    assert claims["id"].tolist() == ["r-1", "r-2", "r-3", None, "r-5"]
    # the short and the long row each say so (issue 13: ragged rows got no finding at all)
    assert [f.code for f in claims.loc[1, "findings"]] == ["ragged-row", "missing-coordinates"]
    assert [f.code for f in claims.loc[2, "findings"]] == ["ragged-row"]
    assert claims.loc[2, "lat"] == 50.452857


def test_read_table__blank_lines_are_not_rows(tmp_path):
    table = read_table(_write(tmp_path, "gaps.csv", "\n\nid,lat\n\na,1\n\n\nb,2\n\n"))
    assert table.data.values.tolist() == [["a", "1"], ["b", "2"]]


def test_read_table__unclosed_quote_names_the_line(tmp_path):
    text = 'id,note\na,fine\nb,"never closed\nc,swallowed\nd,swallowed too\n'
    with pytest.raises(ClaimsFileError, match=r"unclosed\.csv, line 3: a quoted field opens"):
        read_table(_write(tmp_path, "unclosed.csv", text))


def test_read_table__multiline_quoted_field_is_one_row(tmp_path):
    table = read_table(_write(tmp_path, "multi.csv", 'id,note\na,"two\nlines"\nb,x\n'))
    assert table.data["note"].tolist() == ["two\nlines", "x"]


def test_read_table__unquoted_dms_with_seconds_marks(tmp_path):
    text = "id,coordinates\nr-1,50°25'48.2\"N 35°35'26.1\"E\n"
    claims = geoverify.read_claims(_write(tmp_path, "dms.csv", text))
    assert claims.loc[0, "notation"] == "dms"
    assert abs(claims.loc[0, "lat"] - 50.43006) < 1e-4


def test_read_table__duplicate_and_blank_headers(tmp_path):
    table = read_table(_write(tmp_path, "dups.csv", "id,note,,note\n1,a,b,c\n"))
    assert table.data.columns.tolist() == ["id", "note", "column_3", "note_2"]


def test_read_table__header_only_gives_no_rows(tmp_path):
    table = read_table(_write(tmp_path, "head.csv", "id,lat,lon\n"))
    assert table.data.columns.tolist() == ["id", "lat", "lon"] and len(table.data) == 0


# ---------------------------------------------------------------------------
# JSON


def test_read_table__json_numbers_keep_their_text(tmp_path):
    path = _write(tmp_path, "n.json", '[{"id": 7, "lat": 50.430050, "lon": 35.5906, "ok": true, '
                                      '"tags": ["a", "b"], "none": null}]')
    table = read_table(path)
    assert table.data.loc[0].tolist() == ["7", "50.430050", "35.5906", "true", '["a", "b"]', ""]
    assert {"id", "lat", "lon"} <= table.numeric_columns
    assert "ok" not in table.numeric_columns


@pytest.mark.parametrize("doc", [
    {"type": "Feature", "id": "f-1", "properties": {"claimed": "Belgorod oblast"},
     "geometry": {"type": "Point", "coordinates": [35.59057, 50.43005]}},
    [{"type": "Feature", "id": "f-1", "properties": {"claimed": "Belgorod oblast"},
      "geometry": {"type": "MultiPoint", "coordinates": [[35.59057, 50.43005]]}}],
])
def test_read_table__single_feature_and_feature_list(tmp_path, doc):
    table = read_table(_write(tmp_path, "one.geojson", json.dumps(doc)))
    assert table.data.loc[0, "id"] == "f-1"
    assert table.geometry[0][:2] == (35.59057, 50.43005)


def test_read_table__geojson_rows_without_usable_points(tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "line"},
         "geometry": {"type": "LineString", "coordinates": [[35.5, 50.4], [35.6, 50.5]]}},
        {"type": "Feature", "properties": {"id": "none"}, "geometry": None},
        {"type": "Feature", "properties": {"id": "text"},
         "geometry": {"type": "Point", "coordinates": ["35.5", "50.4"]}},
        "not a feature",
    ]}
    path = _write(tmp_path, "mixed.geojson", json.dumps(doc))
    table = read_table(path)
    assert len(table.data) == 4
    assert table.geometry[1] is None
    assert table.geometry_problems[0] == "geometry is a LineString, not a Point"
    assert "without [lon, lat] numbers" in table.geometry_problems[2]
    claims = geoverify.read_claims(path)
    assert [[f.code for f in fs] for fs in claims["findings"]] == [
        ["unparseable-coordinates"], ["missing-coordinates"], ["unparseable-coordinates"],
        ["unparseable-coordinates"]]


def test_read_table__geojson_unknown_crs_is_a_row_problem(tmp_path):
    doc = {"type": "FeatureCollection",
           "crs": {"type": "name", "properties": {"name": "EPSG:999999"}},
           "features": [{"type": "Feature", "properties": {"id": "a"},
                         "geometry": {"type": "Point", "coordinates": [1, 2]}}]}
    table = read_table(_write(tmp_path, "crs.geojson", json.dumps(doc)))
    assert "EPSG:999999" in table.geometry_problems[0] and "unknown" in table.geometry_problems[0]


def test_read_table__geojson_linked_crs_is_refused(tmp_path):
    doc = {"type": "FeatureCollection", "features": [],
           "crs": {"type": "link", "properties": {"href": "http://example.org/crs"}}}
    with pytest.raises(ClaimsFileError, match=r"link\.geojson: crs member of type 'link'"):
        read_table(_write(tmp_path, "link.geojson", json.dumps(doc)))


def test_read_table__jsonl_of_features_and_bad_line(tmp_path):
    feature = {"type": "Feature", "properties": {"id": "a"},
               "geometry": {"type": "Point", "coordinates": [35.5, 50.4]}}
    table = read_table(_write(tmp_path, "f.jsonl", json.dumps(feature) + "\n\n" + json.dumps(feature)))
    assert table.format == "jsonl" and table.geometry[1][:2] == (35.5, 50.4)
    with pytest.raises(ClaimsFileError, match=r"bad\.jsonl, line 2: not valid JSON"):
        read_table(_write(tmp_path, "bad.jsonl", '{"a": 1}\n{"a": \n'))


def test_read_table__json_of_the_wrong_shape(tmp_path):
    with pytest.raises(ClaimsFileError, match=r"shape\.json: JSON must be"):
        read_table(_write(tmp_path, "shape.json", '{"hello": "world"}'))


def test_read_table__options_that_do_not_apply(tmp_path):
    path = _write(tmp_path, "a.csv", "lat,lon\n1,2\n")
    with pytest.raises(ConfigError, match="sheet='Claims' only applies to XLSX"):
        read_table(path, sheet="Claims")
    with pytest.raises(ConfigError, match="layer=0 only applies to GeoPackage"):
        read_table(path, layer=0)


def test_csv__quoted_lines_among_plain_ones_read_in_few_passes(tmp_path):
    """Free-text columns quote every few lines: the plain runs between them are taken with a
    handful of cached patterns (one compiled pattern per run length made a 100k-row file take
    30 s), and every row still reads as csv reads it."""
    import csv

    from geoverify.io import delimited
    from geoverify.io.claims import read_table

    rows = [["id", "lat", "lon", "note"]]
    for i in range(3000):
        note = f'said "x{i}", then\nleft' if i % 7 == 0 else f"plain {i}"
        rows.append([f"r{i}", f"{50 + i / 1e4:.4f}", "36.1", note])
    path = tmp_path / "mixed.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    delimited._fast_run.cache_clear()
    raw = read_table(str(path))
    assert delimited._fast_run.cache_info().currsize <= 16
    assert len(raw.data) == 3000
    assert raw.data["note"].tolist() == [r[3] for r in rows[1:]]
    assert raw.data["id"].tolist() == [r[0] for r in rows[1:]]
