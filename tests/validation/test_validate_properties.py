"""Invariants of the ``validate`` building blocks, with hypothesis: parsers never raise, and
row positions agree with where a CSV writer put each row."""

from __future__ import annotations

import csv
import datetime as _dt
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from geoverify.io.claims import read_delimited
from geoverify.io.dataset import delimited_positions
from geoverify.validation import detectors


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_parse_date__never_raises(text):
    d = detectors.parse_date(text)
    assert d is None or isinstance(d, _dt.date)
    problem = detectors.date_problem(text, _dt.date(1990, 1, 1), _dt.date(2030, 1, 1))
    assert problem is None or isinstance(problem, str)
    if d is not None and _dt.date(1990, 1, 1) <= d <= _dt.date(2030, 1, 1):
        assert problem is None


@given(st.text(max_size=80), st.booleans())
@settings(max_examples=300, deadline=None)
def test_url_problem__never_raises(text, require):
    out = detectors.url_problem(text, require_url=require)
    assert out is None or isinstance(out, str)


cells = st.text(alphabet='ab ,"\n;', max_size=6)


@given(st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=8),
       st.sampled_from([",", ";", "\t"]))
@settings(max_examples=200, deadline=None)
def test_delimited_positions__lines_and_columns_are_where_the_writer_put_them(rows, delim):
    header = ["h1", "h2", "h3"]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delim, lineterminator="\n")
    writer.writerow(header)
    starts = []
    for r in rows:
        starts.append(buf.getvalue().count("\n") + 1)
        writer.writerow(r)
    text = buf.getvalue()
    table = read_delimited(text, "t.csv", "0" * 64, delim)
    positions = delimited_positions(text, delim, list(table.data.columns), len(table.data))
    assert positions is not None
    assert len(table.data) == len(rows)
    assert [p.line for p in positions] == starts
    lines = text.split("\n")
    for p, r in zip(positions, rows):
        for name, cell in zip(header, r):
            line, col = p.columns[name]
            rest = lines[line - 1][col - 1:]
            if cell == "":
                assert rest == "" or rest.startswith((delim, '""'))
            else:
                assert rest.startswith('"') or rest.startswith(cell.split("\n")[0])
