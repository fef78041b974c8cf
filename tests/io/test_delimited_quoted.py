"""Lines with quotes are read by Arrow where Arrow reads them exactly as Python's csv module
does, and by the csv module otherwise: generated text of quotes in every position, doubled
quotes, text after a closing quote, line breaks and lone carriage returns inside quoted values,
blank lines and ragged rows, against csv reading the same lines followed by more."""

from __future__ import annotations

import csv
import io
import random

import pytest

from geoverify.io.delimited import _quoted

ALPHABET = ["a", "b", ",", '"', '"', "\n", "\r\n", "\r", " ", "é", "\t", ";", "x0"]


def _csv_of(chunk: list[str], delim: str) -> list[list[str]] | None:
    """What csv reads from ``chunk`` when more lines follow (None when a value runs on into
    them, or csv refuses the text)."""
    follow = ['q"q' + delim + "r\n", "z" + delim + "z\n"]
    reader = csv.reader(iter(chunk + follow), delimiter=delim)
    recs: list[list[str]] = []
    try:
        for rec in reader:
            if rec:
                recs.append(rec)
            if reader.line_num >= len(chunk):
                break
    except csv.Error:
        return None
    return recs if reader.line_num == len(chunk) else None


@pytest.mark.parametrize("delim", [",", ";", "\t"])
def test_quoted_lines__arrow_reads_what_csv_reads(delim: str) -> None:
    rng = random.Random(11)
    compared = refused = 0
    for _ in range(6_000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40)))
        chunk = list(io.StringIO(text, newline=""))
        want = _csv_of(chunk, delim)
        width = len(want[0]) if want else rng.randint(1, 3)
        got = _quoted(chunk, width, delim)
        if got is None:
            refused += 1
            continue
        compared += 1
        rows = [list(r) for r in zip(*[a.to_pylist() for a in got])]
        assert rows == want, repr(text)
    assert compared > 1_000 and refused > 1_000  # both ways are exercised


def test_quoted_lines__an_open_value_is_left_to_csv() -> None:
    assert _quoted(['a,"b\n', "c\n"], 2, ",") is None  # csv reads on into the next lines
    assert [a.to_pylist() for a in _quoted(['a,"b\n', 'c"\n'], 2, ",")] == [["a"], ["b\nc"]]
    assert _quoted(["a,b\n", "c\n"], 2, ",") is None  # ragged: csv's notes name the line
    got = _quoted(['x0,"x1"\n'], 2, ",")  # a record that looks like the sentinel is kept
    assert [a.to_pylist() for a in got] == [["x0"], ["x1"]]


def test_quoted_lines__a_value_beyond_the_field_limit_is_left_to_csv(monkeypatch) -> None:
    from geoverify.io import delimited

    monkeypatch.setattr(delimited, "HARD_FIELD_CHARS", 10)
    assert _quoted(['a,"' + "b" * 11 + '"\n'], 2, ",") is None  # csv stops with its error
    assert _quoted(['a,"' + "b" * 10 + '"\n'], 2, ",") is not None
