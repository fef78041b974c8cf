"""KML/KMZ placemarks, XLSX cells and GeoPackage/Parquet layers as text and points."""

from __future__ import annotations

import datetime as dt
import math

import pytest

import geoverify
from geoverify.errors import ClaimsFileError
from geoverify.io.claims import read_table

KML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'


def _kml(tmp_path, body, name="t.kml", head=KML_HEAD):
    path = tmp_path / name
    path.write_text(f"{head}<Document><name>Test</name>{body}</Document></kml>", encoding="utf-8")
    return path


def test_read_table__kml_keeps_placemarks_without_points(tmp_path):
    path = _kml(tmp_path, """
      <Placemark><name>point</name><Point><coordinates> 35.59057,50.43005 </coordinates></Point></Placemark>
      <Placemark><name>no geometry</name><description>only words</description></Placemark>
      <Placemark><name>line</name>
        <LineString><coordinates>35.52,50.45,0 35.53,50.452,0</coordinates></LineString></Placemark>
      <Placemark><name>polygon</name><Polygon><outerBoundaryIs><LinearRing>
        <coordinates>35,50 36,50 36,51 35,50</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
      <Placemark><name>bad</name><Point><coordinates>east,north</coordinates></Point></Placemark>
      <Placemark><name>multi</name><MultiGeometry><Point><coordinates>35.6,50.4</coordinates></Point>
        </MultiGeometry></Placemark>""")
    table = read_table(path)
    assert table.data["name"].tolist() == ["point", "no geometry", "line", "polygon", "bad", "multi"]
    assert table.geometry[0] == (35.59057, 50.43005, "35.59057,50.43005")
    assert table.geometry[1] is None
    assert table.geometry_problems[2] == "geometry is a LineString, not a Point"
    assert table.geometry[2][2] == "LineString: 35.52,50.45,0 35.53,50.452,0"
    assert table.geometry_problems[3] == "geometry is a Polygon, not a Point"
    assert "not 'lon,lat[,alt]' numbers" in table.geometry_problems[4]
    assert table.geometry[5][:2] == (35.6, 50.4)
    claims = geoverify.read_claims(path)
    assert claims["row"].tolist() == [1, 2, 3, 4, 5, 6]
    codes = [[f.code for f in fs] for fs in claims["findings"]]
    assert codes == [[], ["missing-coordinates"], ["unparseable-coordinates"],
                     ["unparseable-coordinates"], ["unparseable-coordinates"], []]


def test_read_table__kml_extended_data_and_nested_folders(tmp_path):
    path = _kml(tmp_path, """
      <Schema name="claims" id="claims"><SimpleField name="claimed" type="string"/></Schema>
      <Folder><name>Day 1</name><Folder><name>Clip A</name>
        <Placemark><name>a-1</name>
          <TimeStamp><when>2023-05-22T10:00:00Z</when></TimeStamp>
          <ExtendedData><Data name="frame"><value>00:00:04</value></Data>
            <Data name="name"><displayName>Name</displayName><value>clashes with the name</value></Data>
            <SchemaData schemaUrl="#claims"><SimpleData name="claimed">Belgorod oblast</SimpleData></SchemaData>
          </ExtendedData>
          <Point><coordinates>35.59057,50.43005,120</coordinates></Point></Placemark>
      </Folder></Folder>
      <Placemark><name>loose</name><Point><coordinates>35.6,50.4</coordinates></Point></Placemark>""")
    table = read_table(path)
    assert table.data.columns.tolist() == ["clip", "name", "description", "when", "frame",
                                           "name_2", "claimed", "folder"]
    first = table.data.loc[0]
    assert first["folder"] == first["clip"] == "Day 1 / Clip A"
    assert (first["frame"], first["name_2"], first["claimed"]) == (
        "00:00:04", "clashes with the name", "Belgorod oblast")
    assert first["when"] == "2023-05-22T10:00:00Z"
    assert table.data.loc[1, "folder"] == "" and table.data.loc[1, "frame"] == ""


def test_read_table__kml_with_its_own_clip_field_keeps_it(tmp_path):
    path = _kml(tmp_path, """<Folder><name>Folder name</name><Placemark><name>a</name>
      <ExtendedData><Data name="Clip"><value>clip-7</value></Data></ExtendedData>
      <Point><coordinates>35.6,50.4</coordinates></Point></Placemark></Folder>""")
    table = read_table(path)
    assert "clip" not in table.data.columns
    assert geoverify.read_claims(path).loc[0, "clip"] == "clip-7"


def test_read_table__kml_2_1_namespace_and_no_namespace(tmp_path):
    for head in ('<kml xmlns="http://earth.google.com/kml/2.1">', "<kml>"):
        path = _kml(tmp_path, "<Placemark><name>a</name><Point><coordinates>35.6,50.4"
                              "</coordinates></Point></Placemark>", head=head)
        assert read_table(path).geometry[0][:2] == (35.6, 50.4)


def test_read_table__kml_with_only_network_links(tmp_path):
    path = _kml(tmp_path, "<NetworkLink><Link><href>https://example.org/live.kml</href></Link>"
                          "</NetworkLink>")
    with pytest.raises(ClaimsFileError, match="only links to other files"):
        read_table(path)


def test_read_table__kml_deeply_nested_folders(tmp_path):
    from geoverify.io.limits import MAX_XML_DEPTH

    def body(depth):
        return ("<Folder><name>f</name>" * depth
                + "<Placemark><name>deep</name><Point><coordinates>35.6,50.4</coordinates>"
                "</Point></Placemark>" + "</Folder>" * depth)

    # kml > Document > folders > Placemark > Point > coordinates: the cap less 5 levels is read
    table = read_table(_kml(tmp_path, body(MAX_XML_DEPTH - 5)))
    assert table.data.loc[0, "name"] == "deep"
    assert table.data.loc[0, "folder"].count("f") == MAX_XML_DEPTH - 5
    with pytest.raises(ClaimsFileError, match=f"nested more than {MAX_XML_DEPTH} levels"):
        read_table(_kml(tmp_path, body(3000)))


def test_read_table__kml_in_utf16_with_declaration(tmp_path):
    text = ('<?xml version="1.0" encoding="UTF-16"?><kml xmlns="http://www.opengis.net/kml/2.2">'
            "<Document><Placemark><name>Грайворон</name><Point><coordinates>35.6,50.4"
            "</coordinates></Point></Placemark></Document></kml>")
    path = tmp_path / "u16.kml"
    path.write_bytes(text.encode("utf-16"))
    assert read_table(path).data.loc[0, "name"] == "Грайворон"


# ---------------------------------------------------------------------------
# XLSX


def _xlsx(tmp_path, rows, name="t.xlsx", formats=None):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for ref, fmt in (formats or {}).items():
        ws[ref].number_format = fmt
    path = tmp_path / name
    wb.save(path)
    return path


def test_read_table__xlsx_cells_become_plain_text(tmp_path):
    path = _xlsx(tmp_path, [
        ["id", "count", "lat", "big", "date", "stamp", "frame", "elapsed", "flag", "formula"],
        [7, 4.0, 50.43005, 1e20, dt.date(2023, 5, 22), dt.datetime(2023, 5, 22, 10, 30),
         dt.time(0, 0, 4), dt.timedelta(hours=30, seconds=4), True, "=B2*2"],
        [8, -3, 35.654072, 12345678901234, dt.datetime(2023, 5, 23), dt.datetime(2023, 5, 23),
         None, None, False, None],
    ], formats={"H2": "[h]:mm:ss", "E3": "dd.mm.yyyy", "F3": "yyyy-mm-dd hh:mm"})
    table = read_table(path)
    assert table.data.loc[0].tolist() == ["7", "4", "50.43005", "100000000000000000000",
                                          "2023-05-22", "2023-05-22T10:30:00", "00:00:04",
                                          "30:00:04", "TRUE", ""]
    assert table.data.loc[1].tolist() == ["8", "-3", "35.654072", "12345678901234",
                                          "2023-05-23", "2023-05-23T00:00:00", "", "", "FALSE",
                                          ""]
    assert {"id", "count", "lat", "big"} <= table.numeric_columns
    assert "date" not in table.numeric_columns


def test_read_table__xlsx_rows_and_header_position(tmp_path):
    path = _xlsx(tmp_path, [
        [None],
        ["Claims exported 2023-05-22"],
        ["id", "lat", "lon", None],
        ["r-1", 50.43005, 35.59057],
        [None, None, None],
        ["r-3", 50.45849, 35.654072, "stray value"],
        [None], [None],
    ])
    table = read_table(path)
    # the first row with a value is the header, even a title line (the real header then
    # reads as data row 1): nothing is guessed away
    assert table.meta["header_row"] == 2
    assert table.data.columns[0] == "Claims exported 2023-05-22"
    assert table.data.iloc[:, 0].tolist() == ["id", "r-1", "", "r-3"]

    path = _xlsx(tmp_path, [["id", "lat", "lon"], ["r-1", 50.43005, 35.59057], [None, None, None],
                            ["r-3", 50.45849, 35.654072, "stray value"], [None]], name="b.xlsx")
    table = read_table(path)
    assert table.data.columns.tolist() == ["id", "lat", "lon", "column_4"]
    assert table.data["id"].tolist() == ["r-1", "", "r-3"]  # the empty middle row is kept
    assert {i: [(n.code, n.field, n.value, n.message) for n in notes]
            for i, notes in table.row_notes.items()} == {
        2: [("ragged-row", "column_4", "stray value",
             "row 3 (sheet row 4) has values beyond the header, in column_4")]}


def test_read_table__xlsx_empty_sheet_names_the_others(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    wb.create_sheet("Data").append(["lat", "lon"])
    path = tmp_path / "cover.xlsx"
    wb.save(path)
    with pytest.raises(ClaimsFileError, match=r"sheet 'Cover' is empty; the workbook's other "
                                              r"sheets: Data \(use sheet=\)"):
        read_table(path, sheet="Cover")
    assert read_table(path, sheet="data").data.columns.tolist() == ["lat", "lon"]
    # without sheet=, the sheet with coordinate columns is read, and the table says so
    table = read_table(path)
    assert table.meta["sheet"] == "Data"
    assert "first with coordinate columns" in table.meta["notes"][0]


# ---------------------------------------------------------------------------
# GeoPackage, FlatGeobuf, Parquet


def test_read_table__gpkg_mixed_geometry_and_typed_fields(tmp_path):
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import LineString, Point

    gdf = gpd.GeoDataFrame(
        {"id": ["p", "none", "line"], "n": pd.array([1, None, 3], dtype="Int64"),
         "x": [1.5, 2.0, None], "day": [dt.date(2023, 5, 22)] * 3},
        geometry=[Point(35.5, 50.4), None, LineString([(35, 50), (36, 51)])], crs=4326)
    gdf.to_file(tmp_path / "mixed.gpkg", layer="first")
    gdf.iloc[:1].to_file(tmp_path / "mixed.gpkg", layer="second")
    table = read_table(tmp_path / "mixed.gpkg")
    assert table.meta["layers"] == ["first", "second"] and table.meta["layer"] == "first"
    assert table.data.values.tolist() == [["p", "1", "1.5", "2023-05-22"],
                                          ["none", "", "2.0", "2023-05-22"],
                                          ["line", "3", "", "2023-05-22"]]
    assert table.geometry[0] == (35.5, 50.4, "POINT (35.5 50.4)")
    assert table.geometry[1] is None
    assert table.geometry_problems == {2: "geometry is a LineString, not a Point"}
    assert len(read_table(tmp_path / "mixed.gpkg", layer="second").data) == 1
    with pytest.raises(ClaimsFileError, match="no layer named 'third'; the file has first, second"):
        read_table(tmp_path / "mixed.gpkg", layer="third")


def test_read_table__plain_parquet_is_a_table(tmp_path):
    import pandas as pd

    pd.DataFrame({"id": ["a", "b"], "lat": [50.43005, None], "lon": [35.59057, 35.6],
                  "n": pd.array([1, None], dtype="Int64")}).to_parquet(tmp_path / "plain.parquet")
    table = read_table(tmp_path / "plain.parquet")
    assert table.geometry is None
    assert table.data.values.tolist() == [["a", "50.43005", "35.59057", "1"], ["b", "", "35.6", ""]]
    assert {"lat", "lon", "n"} <= table.numeric_columns
    claims = geoverify.read_claims(tmp_path / "plain.parquet")
    assert claims.loc[0, "lat"] == 50.43005 and math.isnan(claims.loc[1, "lat"])
