"""Hostile claims files (issue 13): every reader works within documented caps, refuses what is
beyond them with a ClaimsFileError naming the file (and row, field or cell), and never loses a
row for one bad cell. Inputs are generated here; caps are shrunk with monkeypatch where the real
cap would need a huge file, with one honest test at the real cap where that is cheap."""

from __future__ import annotations

import io
import json
import os
import sys
import time

import pytest

import geoverify
from geoverify.errors import ClaimsFileError, ConfigError
from geoverify.io import limits
from geoverify.io.claims import read_bytes, read_table

ROW = "50.43005,35.59057,Belgorod oblast"


def _codes(frames, row):
    return [x["code"] for x in frames[row - 1]["findings"]]


# ---------------------------------------------------------------------------
# size of the input


def test_read_bytes__endless_device_is_refused_at_the_cap(monkeypatch):
    monkeypatch.setattr(limits, "MAX_INPUT_BYTES", 1 << 20)
    start = time.monotonic()
    with pytest.raises(ClaimsFileError, match=r"claims file /dev/zero: larger than 1 MiB"):
        read_bytes("/dev/zero")
    assert time.monotonic() - start < 5


def test_read_bytes__regular_file_over_the_cap_is_refused_before_reading(tmp_path, monkeypatch):
    p = tmp_path / "big.csv"
    p.write_text("lat,lon\n" + "50.1,35.2\n" * 2000)
    monkeypatch.setattr(limits, "MAX_INPUT_BYTES", 1000)
    with pytest.raises(ClaimsFileError, match=r"big\.csv: larger than 1,000 bytes.*it has "
                                              r"20,008 bytes.*--stream"):
        read_table(p)
    monkeypatch.setenv("GEOVERIFY_MAX_INPUT_BYTES", "100000")  # the documented override
    assert len(read_table(p).data) == 2000


def test_read_bytes__stdin_over_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr(limits, "MAX_INPUT_BYTES", 100)

    class Stdin:
        buffer = io.BytesIO(b"lat,lon\n" + b"1,2\n" * 1000)

    monkeypatch.setattr(sys, "stdin", Stdin)
    with pytest.raises(ClaimsFileError, match=r"standard input \(-\): larger than 100 bytes"):
        read_table("-")


# ---------------------------------------------------------------------------
# long cells, ragged rows, duplicated columns


def test_read_table__field_over_the_csv_module_limit_keeps_the_file(tmp_path):
    # Python's csv module refuses fields over 131,072 characters by default
    long_note = "n" * 200_000
    p = tmp_path / "long.csv"
    p.write_text(f"lat,lon,claimed,notes\n{ROW},short\n{ROW},{long_note}\n{ROW},x\n")
    frames = geoverify.check(p).to_dict()["frames"]
    assert [f["row"] for f in frames] == [1, 2, 3]
    assert frames[1]["extra"]["notes"] == long_note  # under MAX_CELL_CHARS: kept whole
    assert "cell-too-long" not in _codes(frames, 2)


def test_read_table__cell_over_the_cap_is_cut_with_a_finding_on_its_row(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_CELL_CHARS", 1000)
    p = tmp_path / "long.csv"
    p.write_text(f"lat,lon,claimed,notes\n{ROW},short\n{ROW},{'n' * 5000}\n")
    frames = geoverify.check(p).to_dict()["frames"]
    assert len(frames) == 2
    assert frames[1]["extra"]["notes"] == "n" * 1000
    (f,) = [x for x in frames[1]["findings"] if x["code"] == "cell-too-long"]
    assert f["field"] == "notes" and f["severity"] == "warning"
    assert f["message"].startswith("row 2, notes: the cell holds 5,000 characters")
    assert frames[1]["verdict"] == frames[0]["verdict"]  # the row is still checked
    assert "cell-too-long" not in _codes(frames, 1)


@pytest.mark.parametrize("suffix", ["json", "xlsx"])
def test_read_table__cell_cap_applies_to_every_format(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(limits, "MAX_CELL_CHARS", 1000)
    rows = [{"lat": 50.43005, "lon": 35.59057, "claimed": "Belgorod oblast", "notes": "n" * 3000}]
    p = tmp_path / f"long.{suffix}"
    if suffix == "json":
        p.write_text(json.dumps(rows))
    else:
        import openpyxl

        wb = openpyxl.Workbook()
        wb.active.append(list(rows[0]))
        wb.active.append(list(rows[0].values()))
        wb.save(p)
    table = read_table(p)
    assert table.data.loc[0, "notes"] == "n" * 1000
    assert [n.code for n in table.row_notes[0]] == ["cell-too-long"]


def test_normalise_claims__ragged_rows_get_a_finding_with_the_line(tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text("lat,lon,claimed\n"
                 f"{ROW}\n"
                 "50.43005,35.59057,Belgorod, oblast\n"      # an unquoted comma: 4 fields
                 "\n"
                 "50.43005,35.59057\n"                        # 2 fields
                 f"{ROW}\n")
    frames = geoverify.check(p).to_dict()["frames"]
    assert [f["row"] for f in frames] == [1, 2, 3, 4]
    assert "ragged-row" not in _codes(frames, 1)
    (f2,) = [x for x in frames[1]["findings"] if x["code"] == "ragged-row"]
    assert f2["severity"] == "warning" and f2["field"] == "column_4"
    assert frames[1]["extra"]["column_4"] == " oblast"  # nothing is lost
    assert "row 2 (line 3) has 4 fields where the header has 3" in f2["message"]
    assert "unquoted comma" in f2["message"]
    (f3,) = [x for x in frames[2]["findings"] if x["code"] == "ragged-row"]
    assert "row 3 (line 5) has 2 fields" in f3["message"] and "claimed" in f3["message"]
    assert "ragged-row" not in _codes(frames, 4)


def test_read_table__duplicated_lat_column_is_reported_where_the_copies_disagree(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("lat,lon,claimed,lat\n"
                 "50.43005,35.59057,Belgorod oblast,50.43005\n"
                 "50.43005,35.59057,Belgorod oblast,51.9\n")
    table = read_table(p)
    assert table.meta["duplicate_columns"] == {"lat": ["lat", "lat_2"]}
    assert 0 not in table.row_notes
    frames = geoverify.check(p).to_dict()["frames"]
    (f,) = [x for x in frames[1]["findings"] if x["code"] == "duplicate-column"]
    assert f["field"] == "lat" and f["severity"] == "error"
    assert "2 columns named 'lat'" in f["message"] and "'51.9'" in f["message"]
    assert "--columns lat=lat_2" in f["message"]
    assert "duplicate-column" not in _codes(frames, 1)


def test_read_table__duplicated_column_without_a_role_is_recorded_only(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text(f"lat,lon,claimed,notes,notes\n{ROW},a,b\n")
    table = read_table(p)
    assert table.meta["duplicate_columns"] == {"notes": ["notes", "notes_2"]}
    assert table.row_notes == {}


# ---------------------------------------------------------------------------
# JSON nesting


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_read_table__json_nested_100000_deep_is_refused_naming_the_file(tmp_path):
    p = tmp_path / "nested.json"
    p.write_text(_nested(100_000))
    with pytest.raises(ClaimsFileError, match=r"claims file .*nested\.json: JSON arrays and "
                                              r"objects nested more than 100 levels deep"):
        read_table(p)


def test_read_table__json_depth_cap_is_exact(tmp_path):
    """Honest test at the real cap: 100 levels are read, 101 are refused, with the line."""
    cap = limits.MAX_JSON_DEPTH
    deep = "[" * (cap - 2) + "1" + "]" * (cap - 2)
    p = tmp_path / "ok.json"
    p.write_text('[{"lat": 50.4, "lon": 35.6, "x": ' + deep + "}]")  # list + object + cap-2
    assert len(read_table(p).data) == 1
    p.write_text('[{"lat": 50.4, "lon": 35.6,\n "x": [' + deep + "]}]")
    with pytest.raises(ClaimsFileError, match=r"ok\.json, line 2: JSON arrays"):
        read_table(p)


def test_read_table__json_depth_ignores_brackets_inside_strings(tmp_path):
    p = tmp_path / "strings.json"
    p.write_text(json.dumps([{"lat": 50.4, "lon": 35.6, "note": "[" * 5000 + '\\"{' * 500}]))
    assert len(read_table(p).data) == 1


def test_read_table__jsonl_nesting_is_refused_naming_the_line(tmp_path):
    p = tmp_path / "nested.jsonl"
    p.write_text('{"lat": 50.4, "lon": 35.6}\n{"lat": 50.4, "lon": 35.6}\n'
                 '{"x": ' + _nested(150) + "}\n")
    with pytest.raises(ClaimsFileError, match=r"nested\.jsonl, line 3: JSON arrays"):
        read_table(p)
    p.write_text('{"lat": 50.4}\n' + '{"x": ' + _nested(100_000) + "}\n")
    with pytest.raises(ClaimsFileError, match=r"nested\.jsonl, line 2: JSON arrays"):
        read_table(p)


def test_read_table__nested_json_on_stdin(monkeypatch):
    class Stdin:
        buffer = io.BytesIO(_nested(100_000).encode())

    monkeypatch.setattr(sys, "stdin", Stdin)
    with pytest.raises(ClaimsFileError, match=r"claims file -: JSON arrays"):
        read_table("-")


# ---------------------------------------------------------------------------
# TOML nesting in the configuration


def test_read_config__deep_toml_array_is_a_config_error_naming_the_file(tmp_path):
    from geoverify.io.config import read_config_mapping

    p = tmp_path / ".geoverify.toml"
    p.write_text("a = " + _nested(5000) + "\n")
    with pytest.raises(ConfigError, match=r"configuration .*\.geoverify\.toml: arrays or tables "
                                          r"nested too deeply"):
        read_config_mapping(p)


def test_read_config__oversized_configuration_is_refused(tmp_path, monkeypatch):
    from geoverify.io.config import read_config_mapping

    monkeypatch.setattr(limits, "MAX_CONFIG_BYTES", 100)
    p = tmp_path / ".geoverify.toml"
    p.write_text("# " + "x" * 200 + "\n")
    with pytest.raises(ConfigError, match=r"\.geoverify\.toml: larger than 100 bytes"):
        read_config_mapping(p)


# ---------------------------------------------------------------------------
# KML nesting


def test_read_table__kml_200000_nested_folders_refused_in_linear_time(tmp_path):
    n = 200_000
    p = tmp_path / "deep.kml"
    p.write_text('<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
                 + "<Folder><name>f</name>" * n
                 + "<Placemark><Point><coordinates>35.6,50.4</coordinates></Point></Placemark>"
                 + "</Folder>" * n + "</Document></kml>")
    start = time.monotonic()
    with pytest.raises(ClaimsFileError, match=r"deep\.kml: XML elements nested more than 256"):
        read_table(p)
    assert time.monotonic() - start < 20  # was 70 s (quadratic); about 2 s here


# ---------------------------------------------------------------------------
# XLSX


def _workbook(path, cells: dict[str, object], rows=()):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for ref, v in cells.items():
        ws[ref] = v
    wb.save(path)
    return path


def test_read_table__xlsx_far_cell_is_refused_naming_it(tmp_path):
    p = _workbook(tmp_path / "far.xlsx", {"XFD1048576": "x"},
                  [["lat", "lon", "claimed"], [50.43005, 35.59057, "Belgorod oblast"]])
    assert p.stat().st_size < 10_000
    start = time.monotonic()
    with pytest.raises(ClaimsFileError, match=r"far\.xlsx, sheet 'Sheet': the used range reaches "
                                              r"cell XFD1048576 \(holding 'x'\): 1,048,576 rows "
                                              r"x 16,384 columns, more than the 20,000,000 cells"):
        read_table(p)
    assert time.monotonic() - start < 30  # was 90 s and a MemoryError


def test_read_table__xlsx_stray_value_far_right_costs_one_column(tmp_path):
    p = _workbook(tmp_path / "stray.xlsx", {"XFD3": "stray"},
                  [["lat", "lon", "claimed"], [50.43005, 35.59057, "Belgorod oblast"],
                   [50.43005, 35.59057, "Belgorod oblast"]])
    table = read_table(p)
    assert table.data.columns.tolist() == ["lat", "lon", "claimed", "column_16384"]
    assert table.data["column_16384"].tolist() == ["", "stray"]
    assert [n.code for n in table.row_notes[1]] == ["ragged-row"]
    assert "sheet row 3" in table.row_notes[1][0].message


def test_read_table__xlsx_cell_cap(tmp_path, monkeypatch):
    p = _workbook(tmp_path / "wide.xlsx", {},
                  [["lat", "lon", "claimed"]] + [[50.4, 35.6, "x"]] * 40)
    monkeypatch.setattr(limits, "MAX_XLSX_CELLS", 100)
    with pytest.raises(ClaimsFileError, match=r"reaches cell C34 .* 34 rows x 3 columns, more "
                                              r"than the 100 cells"):
        read_table(p)
    monkeypatch.setattr(limits, "MAX_XLSX_CELLS", 123)
    assert len(read_table(p).data) == 40


def test_read_table__xlsx_picks_the_sheet_with_coordinates_and_says_so(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["Exported for the May 2023 report"])
    data = wb.create_sheet("Frames")
    data.append(["latitude", "longitude", "claimed"])
    data.append([50.43005, 35.59057, "Belgorod oblast"])
    p = tmp_path / "two.xlsx"
    wb.save(p)
    table = read_table(p)
    assert table.meta["sheet"] == "Frames"
    assert table.meta["notes"] == ["read sheet 'Frames', the first with coordinate columns (the "
                                   "workbook has 'Notes', 'Frames'; choose another with --sheet)"]
    assert read_table(p, sheet="Notes").meta["sheet"] == "Notes"
    # a column mapping counts: a sheet whose columns it maps has coordinates
    wb["Frames"]["A1"] = "Breite"
    wb["Frames"]["B1"] = "Laenge"
    wb.save(p)
    table = read_table(p, columns={"lat": "Breite", "lon": "Laenge"})
    assert table.meta["sheet"] == "Frames"
    assert os.path.exists(p)


def test_read_table__xlsx_empty_cells_far_right_count_towards_the_cap(tmp_path, monkeypatch):
    """openpyxl pads every row to its last cell, empty or not: those cells are capped too (a
    crafted sheet with an empty cell in XFD on a million rows would take hours)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["lat", "lon"])
    for i in range(2, 12):
        ws.cell(row=i, column=1, value=50.1)
        ws.cell(row=i, column=2, value=35.0)
        ws.cell(row=i, column=26, value="")
    p = tmp_path / "padded.xlsx"
    wb.save(p)
    assert len(read_table(p).data) == 10
    monkeypatch.setattr(limits, "MAX_XLSX_CELLS", 100)
    with pytest.raises(ClaimsFileError, match=r"padded\.xlsx, sheet 'Sheet': the rows up to Z5 "
                                              r"span more than the 100 cells"):
        read_table(p)
