"""The columnar CSV writer against Python's csv module and ``repr``: same bytes."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pyarrow as pa

from geoverify.io.table import cell_text, float_texts
from geoverify.io.writers import write_csv_table


def test_float_texts__equal_repr_for_every_kind_of_float():
    rng = np.random.default_rng(7)
    vals = np.concatenate([
        rng.uniform(-1e6, 1e6, 2000), rng.uniform(0, 1, 500), 10.0 ** rng.uniform(-12, 22, 500),
        np.round(rng.uniform(0, 1e5, 500), 1), np.arange(-5, 5, dtype=float),
        [0.0, -0.0, 1e-4, 9.999e-5, 1e15, 999999999999999.9, 1e16, math.inf, -math.inf, math.nan,
         0.1 + 0.2, 5e-324, 1.7976931348623157e308]])
    arr = pa.array(vals.tolist() + [None], type=pa.float64())
    got = float_texts(arr).to_pylist()
    want = [cell_text(v) for v in vals.tolist()] + [""]
    assert got == want


def test_write_csv_table__same_bytes_as_the_csv_module():
    strings = ["plain", "with, comma", 'with "quotes"', "line\nbreak", "cr\rhere", "", None,
               "ünïcödé", "=1+1", " spaced "]
    n = len(strings)
    table = pa.table({"s": pa.array(strings, pa.string()),
                      "i": pa.array(list(range(n)), pa.int64()),
                      "f": pa.array([0.5, None, 1e-7, 278.3, -0.0, 3.0, 1e20, 2.25, math.nan,
                                     123456.789], pa.float64())})
    buf = io.BytesIO()
    write_csv_table(table, buf, block_rows=3)
    # the csv module quotes a field holding any character of the line terminator: with
    # "\r\n" as terminator it quotes both CR and LF, as we do; our records end in "\n"
    ref = []
    for rec in [table.column_names, *zip(*(table.column(c).to_pylist()
                                          for c in table.column_names))]:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(
            rec if rec is table.column_names else
            ["" if rec[0] is None else rec[0], rec[1], cell_text(rec[2])])
        ref.append(out.getvalue()[:-2] + "\n")
    assert buf.getvalue().decode("utf-8") == "".join(ref)
