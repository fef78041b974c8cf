"""Output safety (issue 13): the functions of geoverify.io.safety, the writers that use them,
and a generated 10,000-row messy file whose every row reaches every output format."""

from __future__ import annotations

import csv
import io
import json
import random

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geoverify
from geoverify.io.safety import (
    csv_record,
    escape_markdown,
    escape_text,
    neutralise_formula,
    neutralise_formulas,
)
from geoverify.io.writers import format_report


@pytest.mark.parametrize("value, expected", [
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("+Belgorod", "'+Belgorod"), ("-00:04", "'-00:04"), ("@SUM(1)", "'@SUM(1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-", "'-"), ("-1+2", "'-1+2"),
])
def test_neutralise_formula__formula_text_gets_a_quote(value, expected):
    assert neutralise_formula(value) == expected


@pytest.mark.parametrize("value", ["-35.59057", "+3", "-1e-5", "12", ".5", "Belgorod", "",
                                   " =x", "'=x", 12, -3.5, None, True])
def test_neutralise_formula__numbers_and_plain_text_stay(value):
    assert neutralise_formula(value) == value


TEXT = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("=+-@\t\r'0123456789.eE ab|#\n")),
                                    max_size=8))


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, max_size=20))
def test_neutralise_formulas__vectorised_equals_the_scalar_function(values):
    expected = [neutralise_formula(v) for v in values]
    got = neutralise_formulas(pd.Series(values, dtype=object)).tolist()
    assert got == expected
    arrow = neutralise_formulas(pa.array(values, type=pa.string())).to_pylist()
    assert arrow == expected
    chunked = neutralise_formulas(pa.chunked_array([pa.array(values, type=pa.large_string())]))
    assert chunked.to_pylist() == expected


def test_neutralise_formulas__keeps_non_text_and_types():
    s = pd.Series(["=1", 5, None, 2.5, "-7"], dtype=object)
    assert neutralise_formulas(s).tolist() == ["'=1", 5, None, 2.5, "-7"]
    ints = pa.array([1, 2])
    assert neutralise_formulas(ints) is ints
    assert neutralise_formulas(pd.Series(["=x"], dtype="string")).tolist() == ["'=x"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_escape_markdown__is_one_inert_line(text):
    out = escape_markdown(text)
    assert not any(ch in out for ch in "\r\n\x0b\x0c\x85\u2028\u2029")
    # every | < > # ` is escaped: a cell cannot add a column, HTML, a heading or code
    for i, ch in enumerate(out):
        if ch in "|<>#`*_[]":
            assert i > 0 and out[i - 1] == "\\", (text, out)
    assert not out.lstrip(" ").startswith(("-", "+", "=", ">"))


def test_escape_markdown__lone_cr_cannot_forge_a_heading():
    assert escape_markdown("x\r# ALL FRAMES VERIFIED\r") == "x \\# ALL FRAMES VERIFIED "
    assert escape_markdown("- item") == "\\- item"
    assert escape_markdown("12. item") == "12\\. item"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_escape_text__is_one_printable_line(text):
    out = escape_text(text)
    assert out.isprintable() and "\n" not in out
    assert len(escape_text(text, 10)) <= 10


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=2, max_size=6))
def test_csv_record__round_trips_through_csv_readers(values):
    line = csv_record(values)
    assert line.endswith("\n")
    assert next(csv.reader(io.StringIO(line, newline=""))) == values


def test_csv_record__lone_cr_is_quoted():
    assert csv_record(["a\rb", "c"]) == '"a\rb",c\n'


# ---------------------------------------------------------------------------
# 10,000 messy rows: every one reaches every output format


def _messy(n: int, seed: int = 13) -> str:
    rng = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out)  # CRLF: cells holding line breaks are quoted
    w.writerow(["id", "clip", "frame", "lat", "lon", "claimed", "note"])
    kinds = ["good", "multiline", "blankcells", "ragged_short", "ragged_long", "nul",
             "badcoord", "formula", "swapped", "outofrange"]
    for i in range(1, n + 1):
        kind = kinds[i % len(kinds)]
        lat, lon = 50.0 + rng.random(), 35.0 + rng.random()
        row = [f"r{i}", f"clip {i % 7}", f"00:{i % 60:02d}", f"{lat:.5f}", f"{lon:.5f}",
               "Belgorod oblast", "ok"]
        if kind == "multiline":
            row[6] = "line one\nline two\r\n# heading?"
        elif kind == "blankcells":
            row = [f"r{i}", "", "", "", "", "", ""]
        elif kind == "ragged_short":
            row = row[:4]
        elif kind == "ragged_long":
            row = row + ["extra", "more"]
        elif kind == "nul":
            row[6] = "nul\x00byte"
        elif kind == "badcoord":
            row[3] = "fifty north"
        elif kind == "formula":
            row[1] = "=HYPERLINK(\"x\")"
        elif kind == "swapped":
            row[3], row[4] = row[4], row[3]
        elif kind == "outofrange":
            row[3] = "95.5"
        w.writerow(row)
        if i % 1000 == 0:
            out.write("\r\n")  # an empty line is not a row
    return out.getvalue()


@pytest.fixture(scope="module")
def messy_report(tmp_path_factory):
    p = tmp_path_factory.mktemp("messy") / "messy.csv"
    p.write_bytes(_messy(10_000).encode("utf-8"))
    return geoverify.check(p).to_dict()


def test_messy_file__every_format_has_10000_frames_in_order(messy_report):
    n = 10_000
    verdicts = [f["verdict"] for f in messy_report["frames"]]
    assert [f["row"] for f in messy_report["frames"]] == list(range(1, n + 1))
    assert len(set(verdicts)) >= 3
    js = json.loads(format_report(messy_report, "json"))
    assert [f["verdict"] for f in js["frames"]] == verdicts
    gj = json.loads(format_report(messy_report, "geojson"))
    assert [f["properties"]["row"] for f in gj["features"]] == list(range(1, n + 1))
    assert [f["properties"]["verdict"] for f in gj["features"]] == verdicts
    rows = list(csv.DictReader(io.StringIO(format_report(messy_report, "csv"), newline="")))
    assert [int(r["row"]) for r in rows] == list(range(1, n + 1))
    assert [r["verdict"] for r in rows] == verdicts
    md = format_report(messy_report, "markdown").splitlines()
    table = md[md.index("## Frames") + 4:md.index("## Boundaries") - 1]
    assert [int(ln.split("|")[1]) for ln in table] == list(range(1, n + 1))
    assert [ln.split(" | ")[6] for ln in table] == verdicts
    text = format_report(messy_report, "table").splitlines()
    body = text[2:2 + n]
    assert [int(ln.split()[0]) for ln in body] == list(range(1, n + 1))
    assert [ln.split()[-1] for ln in body] == verdicts


def test_messy_file__reader_findings_are_on_their_rows(messy_report):
    frames = messy_report["frames"]

    def codes(i):
        return {x["code"] for x in frames[i - 1]["findings"]}

    assert "ragged-row" in codes(3) and "ragged-row" in codes(4)   # kinds 3 and 4
    assert "ragged-row" not in codes(1)
    assert frames[6 - 1]["verdict"] == "unlocated"                   # bad coordinates
    assert frames[1 - 1]["extra"]["note"] == "line one\nline two\r\n# heading?"
