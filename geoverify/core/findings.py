"""Findings: what is wrong (or noteworthy) about one row, as data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from geoverify.codes import CODES


@dataclass(frozen=True)
class Finding:
    """One observation about one input row.

    Attributes
    ----------
    code
        Stable kebab-case slug, e.g. ``unparseable-coordinates``.
    severity
        ``info``, ``warning`` or ``error``.
    row
        1-based data row (header excluded), or ``None`` for file-level findings.
    field
        The input column the finding is about, or ``None``.
    value
        The offending value as text, or ``None``.
    message
        A sentence saying what is wrong and what to do.
    """

    code: str
    severity: str
    row: int | None
    field: str | None
    value: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FindingList(list):
    """The findings of one row, with a helper that fills in the row and default severity."""

    def __init__(self, row: int | None, initial=()) -> None:
        super().__init__(initial)
        self.row = row

    def add(self, code: str, field: str | None, value: Any, message: str) -> None:
        self.append(Finding(code, severity_of(code), self.row, field,
                            None if value is None else str(value), message))


def severity_of(code: str) -> str:
    """Default severity of a finding code (``warning`` for codes not in :data:`CODES`)."""
    return CODES.get(code, "warning")


#: Columns of a findings table (one row per finding, many per frame possible).
FINDING_COLUMNS = ("pos", "seq", "code", "severity", "field", "value", "message")


class FindingsBuilder:
    """Findings of a batch collected column-wise: ``add`` arrays of positions (0-based rows of
    the batch) with one code and field, and their values and messages (lists or Arrow string
    arrays: messages built on whole columns never become Python strings here).

    ``seq`` orders the findings of one row (lower first); findings with the same ``seq`` keep
    the order they were added in.
    """

    def __init__(self) -> None:
        self._parts: list[tuple] = []

    def add(self, pos, code: str, field: str | None, values, messages, seq: int) -> None:
        pos = np.atleast_1d(np.asarray(pos, dtype=np.int64))
        if len(pos) == 0:
            return
        self._parts.append((pos, seq, code, field, _strings(values, len(pos)),
                            _strings(messages, len(pos))))

    def extend(self, table) -> None:
        """Add the rows of another findings table (as :meth:`frame` returns)."""
        if table is None or len(table) == 0:
            return
        self._parts.append((table["pos"].to_numpy(np.int64), table["seq"].to_numpy(np.int64),
                            _objects(table["code"]), _objects(table["severity"]),
                            _objects(table["field"]), arrow_texts(table["value"]),
                            arrow_texts(table["message"])))

    def frame(self):
        """All findings as a DataFrame with :data:`FINDING_COLUMNS`, sorted by row, then
        ``seq``, then order of addition (``code``, ``severity`` and ``field`` are object
        arrays, None for none; ``value`` and ``message`` Arrow strings: :func:`texts`)."""
        if not self._parts:
            return empty_findings()
        if all(len(part) == 6 for part in self._parts):
            return self._frame_of_adds()
        pos, seq, code, sev, fld, val, msg = [], [], [], [], [], [], []
        for part in self._parts:
            if len(part) == 7:  # a table added by extend
                p, q, c, sv, f, v, m = part
                pos.append(p)
                seq.append(q)
                code.append(c)
                sev.append(sv)
                fld.append(f)
            else:
                p, q, c, f, v, m = part
                n = len(p)
                pos.append(p)
                seq.append(np.full(n, q, dtype=np.int64))
                code.append(np.full(n, c, dtype=object))
                sev.append(np.full(n, severity_of(c), dtype=object))
                fld.append(np.full(n, f, dtype=object))
            val.append(v)
            msg.append(m)
        pos_a, seq_a = np.concatenate(pos), np.concatenate(seq)
        order = np.lexsort((np.arange(len(pos_a)), seq_a, pos_a))
        take = pa.array(order, type=pa.int64())

        def strings(parts):
            return texts(pa.concat_arrays(parts).take(take))

        text = {"code": np.concatenate(code)[order], "severity": np.concatenate(sev)[order],
                "field": np.concatenate(fld)[order]}
        # object columns keep None (pandas would infer its string dtype, with NaN); values and
        # messages stay Arrow strings (see :func:`texts`)
        return pd.DataFrame({"pos": pos_a[order], "seq": seq_a[order],
                             **{k: pd.Series(v, dtype=object) for k, v in text.items()},
                             "value": strings(val), "message": strings(msg)})

    def _frame_of_adds(self):
        """:meth:`frame` when every part came from :meth:`add`: a part's code, severity and
        field are one value each, so the columns are taken from a table of the parts by part
        number, in one pass over the sorted rows (object arrays hold the GIL while they are
        filled, joined and reordered element by element)."""
        parts = self._parts
        lengths = np.array([len(p[0]) for p in parts], dtype=np.int64)
        pos_a = np.concatenate([p[0] for p in parts])
        part_of = np.repeat(np.arange(len(parts), dtype=np.int64), lengths)
        seq_a = np.array([p[1] for p in parts], dtype=np.int64)[part_of]
        order = np.lexsort((np.arange(len(pos_a)), seq_a, pos_a))
        which = part_of[order]
        take = pa.array(order, type=pa.int64())

        def strings(k: int):
            return texts(pa.concat_arrays([p[k] for p in parts]).take(take))

        def column(values: list) -> pd.Series:
            return pd.Series(np.array(values, dtype=object)[which], dtype=object)

        return pd.DataFrame({"pos": pos_a[order], "seq": seq_a[order],
                             "code": column([p[2] for p in parts]),
                             "severity": column([severity_of(p[2]) for p in parts]),
                             "field": column([p[3] for p in parts]),
                             "value": strings(4), "message": strings(5)})


def texts(arr: pa.Array) -> pd.Series:
    """An Arrow string array as a findings column (``value``, ``message``).

    Those two columns stay Arrow strings (pandas' ``string[pyarrow]``): CSV and Parquet
    output join them per row in Arrow, and no Python string is made for a message unless a
    reader asks for it. Read them with :func:`column_list` or ``pa.array(column)``: a
    missing value is ``pd.NA`` in pandas' own accessors, ``None`` there."""
    return pd.Series(pd.arrays.ArrowExtensionArray(arr))


def column_list(column) -> list:
    """A findings column as a list of Python values, None where missing (whatever the
    column's dtype)."""
    return column.to_numpy(dtype=object, na_value=None).tolist()


def arrow_texts(column) -> pa.Array:
    """A findings text column as an Arrow string array (nulls where missing)."""
    if isinstance(column.dtype, pd.ArrowDtype):
        arr = pa.array(column)  # chunked after a concatenation
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        return arr if arr.type == pa.string() else arr.cast(pa.string())
    return _strings(_objects(column), len(column))


def _objects(column) -> np.ndarray:
    """A text column as an object array with None (not NaN) where it is missing."""
    out = column.to_numpy(dtype=object, copy=True)
    out[pd.isna(out)] = None
    return out


def _strings(values, n: int) -> pa.Array:
    """Values or messages as an Arrow string array of length ``n`` (None: all null)."""
    if values is None:
        return pa.nulls(n, pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else values.cast(pa.string())
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def empty_findings():
    """A findings table with no rows."""
    return pd.DataFrame({"pos": np.zeros(0, np.int64), "seq": np.zeros(0, np.int64),
                         **{c: np.zeros(0, dtype=object) for c in FINDING_COLUMNS[2:5]},
                         "value": texts(pa.array([], pa.string())),
                         "message": texts(pa.array([], pa.string()))})
