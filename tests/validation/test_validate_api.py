"""The Python API ``geoverify.validation.validation.validate``: same verdicts as ``check``, every format
found in directories, physical line numbers, stable row identities, errors vs findings."""

from __future__ import annotations

import json

import pytest
from gv_validate_helpers import HEADER, csv_text, fixed_rows, make_row

import geoverify
from geoverify.codes import ALL_CODES
from geoverify.errors import ClaimsFileError
from geoverify.io.dataset import delimited_positions
from geoverify.validation.validation import row_keys, validate

MISMATCH = make_row("mm", "50.425192", "35.527879", claimed="Belgorod oblast")


def test_validate__same_verdicts_as_check(tmp_path):
    from gv_validate_helpers import seeded_rows

    path = tmp_path / "claims.csv"
    path.write_text(csv_text(seeded_rows()), encoding="utf-8")
    frames = geoverify.check(path).to_dict()["frames"]
    states = validate([path]).files[0].row_states
    assert {k: s["verdict"] for k, s in states.items()} == {
        k: f["verdict"] for k, f in zip(row_keys(frames), frames)}


def test_validate__result_is_plain_json_and_codes_are_known(tmp_path):
    from gv_validate_helpers import seeded_rows

    path = tmp_path / "claims.csv"
    path.write_text(csv_text(seeded_rows()), encoding="utf-8")
    result = validate(str(path))
    doc = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert doc["command"] == "validate"
    assert set(doc["findings"][0]) == {"code", "severity", "file", "row", "line", "column",
                                       "field", "value", "message", "key", "status", "reason",
                                       "data"}
    assert {f["code"] for f in doc["findings"]} <= set(ALL_CODES)
    assert all(f["message"] for f in doc["findings"])
    assert doc["summary"]["rows"] == 20


def test_validate__raises_or_collects_when_a_file_cannot_be_read(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(csv_text(fixed_rows()[:3]), encoding="utf-8")
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": 3}', encoding="utf-8")
    with pytest.raises(ClaimsFileError, match="bad.geojson"):
        validate([good, bad])
    result = validate([good, bad], on_error="collect")
    assert [fr.path.split("/")[-1] for fr in result.files] == ["good.csv"]
    assert len(result.errors) == 1 and "features list" in result.errors[0]["message"]


def test_validate__row_identity_survives_inserted_rows(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    rows = fixed_rows()[:4] + [MISMATCH]
    a.write_text(csv_text(rows), encoding="utf-8")
    b.write_text(csv_text([fixed_rows()[6], *rows]), encoding="utf-8")
    fa, fb = validate([a]).findings, validate([b]).findings
    assert [(f.key, f.row) for f in fa] == [("mm", 5)]
    assert [(f.key, f.row) for f in fb] == [("mm", 6)]
    # without an id column the identity is a hash of source, clip, frame and coordinates
    keys = row_keys([{"id": None, "source": "s", "clip": "c", "frame": "1",
                      "coordinates_text": "50.1, 30.1"}] * 2)
    assert keys[0].startswith("sha256:") and keys[1] == keys[0] + "#2"


def test_validate__directories_hold_every_claims_format(tmp_path):
    import openpyxl

    d = tmp_path / "data"
    (d / "nested").mkdir(parents=True)
    good = fixed_rows()[:4]
    (d / "a.csv").write_text(csv_text(good + [MISMATCH]), encoding="utf-8")
    (d / "b.tsv").write_text(csv_text(good + [MISMATCH]).replace(",", "\t"), encoding="utf-8")
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [
        float(r["lon"]), float(r["lat"])]}, "properties": {k: r[k] for k in (
            "id", "claimed", "source", "date", "clip", "frame")}} for r in good + [MISMATCH]]
    (d / "nested" / "c.geojson").write_text(json.dumps(
        {"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    (d / "nested" / "d.jsonl").write_text(
        "\n".join(json.dumps(r) for r in good + [MISMATCH]) + "\n", encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in good + [MISMATCH]:
        ws.append([r[h] for h in HEADER])
    wb.save(d / "e.xlsx")
    (d / ".hidden.csv").write_text("not,checked\n", encoding="utf-8")
    (d / "notes.txt").write_text("not a claims file", encoding="utf-8")
    result = validate([d])
    names = sorted(fr.path.split("/")[-1] for fr in result.files)
    assert names == ["a.csv", "b.tsv", "c.geojson", "d.jsonl", "e.xlsx"]
    per_file = {f.file.split("/")[-1]: (f.key, f.code, f.line) for f in result.findings}
    assert per_file == {"a.csv": ("mm", "claim-mismatch", 6),
                        "b.tsv": ("mm", "claim-mismatch", 6),
                        "c.geojson": ("mm", "claim-mismatch", None),
                        "d.jsonl": ("mm", "claim-mismatch", 5),
                        "e.xlsx": ("mm", "claim-mismatch", None)}


# ---------------------------------------------------------------------------
# physical lines


def _lines(text, delimiter=","):
    import csv
    import io

    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""),
                                  delimiter=delimiter) if r]
    header = rows[0] if not text.lstrip("\ufeff").startswith("sep=") else rows[1]
    n = len(rows) - 1 - (1 if text.lstrip("\ufeff").startswith("sep=") else 0)
    return [(p.line, p.columns) for p in delimited_positions(text, delimiter, header, n)]


def test_delimited_positions__one_header_line_gives_row_plus_one():
    out = _lines("id,lat,lon\na,1,2\nb,3,4\n")
    assert [line for line, _ in out] == [2, 3]
    assert out[1][1] == {"id": (3, 1), "lat": (3, 3), "lon": (3, 5)}


def test_delimited_positions__multiline_cells_blank_lines_crlf_and_quotes():
    text = ('\ufeffid,note,lat\r\n'
            'a,"two\r\nlines",50.1\r\n'
            '\r\n'
            'b,"has ""quotes"", and a comma",50.2\r\n'
            'c,"three\nlines\nhere",50.3\r\n'
            'd,x,50.4\r\n')
    out = _lines(text)
    assert [line for line, _ in out] == [2, 5, 6, 9]
    assert out[0][1]["lat"] == (3, 8)          # after the closing quote on the next line
    assert out[1][1]["lat"] == (5, len('b,"has ""quotes"", and a comma",') + 1)
    assert out[3][1] == {"id": (9, 1), "note": (9, 3), "lat": (9, 5)}


def test_delimited_positions__excel_sep_line_and_semicolons():
    out = _lines("sep=;\nid;lat;lon\na;50,1;30,2\n", ";")
    assert out == [(3, {"id": (3, 1), "lat": (3, 3), "lon": (3, 8)})]


def test_validate__lines_follow_multiline_cells(tmp_path):
    rows = fixed_rows()[:3]
    rows[1]["source"] = "https://example.org/x"
    header = [*HEADER, "note"]
    for r in rows:
        r["note"] = "line one\nline two\nline three"
    path = tmp_path / "notes.csv"
    path.write_text(csv_text(rows + [{**MISMATCH, "note": ""}], header=header), encoding="utf-8")
    (f,) = validate([path]).findings
    assert (f.row, f.line) == (4, 11)   # 1 header + 3 rows of 3 lines each
    assert f.column == len("mm,clip mm,00:00:05,50.425192,35.527879,") + 1
