"""Text columns between Python objects, Arrow and CSV, in bulk.

The batch's text columns (country and region codes and names, verdicts, claims) are NumPy
object arrays of ``str`` or ``None``; every output format takes them as Arrow string arrays,
and CSV joins those into records. Both steps run in the compiled helper
``geoverify._text`` (built by setup.py) where it was built: one pass over the values instead
of a Python call per value, and the joining of records without the GIL. Otherwise, or with
``GEOVERIFY_NATIVE=0``, pyarrow does the same (same bytes, slower).
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa

try:  # the compiled helper (setup.py builds it where a C compiler is present)
    from geoverify import _text
except ImportError:  # pragma: no cover - pyarrow gives the same arrays and bytes
    _text = None


def native_allowed() -> bool:
    """Whether compiled helpers may be used at all: not with ``GEOVERIFY_NATIVE=0`` (which
    runs their NumPy and pyarrow references instead). One switch for every helper."""
    return os.environ.get("GEOVERIFY_NATIVE", "1") != "0"


def native() -> bool:
    """Whether the compiled text helper is used: when it was built and is allowed."""
    return _text is not None and native_allowed()


def _string_array(n: int, offsets, data, valid=None, nulls: int = 0) -> pa.Array:
    """An Arrow string array of ``n`` values from the helper's buffers."""
    return pa.Array.from_buffers(pa.string(), n, [None if valid is None else pa.py_buffer(valid),
                                                  pa.py_buffer(offsets), pa.py_buffer(data)],
                                 null_count=nulls)


def _column_spec(arr: pa.Array) -> tuple:
    """A string array as the helper reads it: (validity or None, offsets, data, offset)."""
    valid, offsets, data = arr.buffers()
    return (valid if arr.null_count else None, offsets, data if data is not None else b"",
            arr.offset)


def text_array(values) -> pa.Array:
    """An array of ``str`` (``None`` or NaN for missing) as an Arrow string array: the same as
    ``pa.array(values, type=pa.string(), from_pandas=True)``."""
    if native():
        obj = np.ascontiguousarray(values, dtype=object)
        try:
            valid, offsets, data, nulls = _text.utf8_column(obj)
        except (TypeError, OverflowError, ValueError, UnicodeError):
            pass  # something other than text, or too much of it: pyarrow decides
        else:
            return _string_array(len(obj), offsets, data, valid, nulls)
    return pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)


def plain_decimals(arr: pa.Array):
    """The plain decimal numbers of a string array, read in the compiled helper:
    ``(value, decimals, state)`` per row, or None where the helper is not used.

    A plain decimal is ``[+-]? (digits (. digits*)? | . digits)`` or ``[+-]? digits , digits``
    (the whole text). ``state`` is 0 for any other cell (and nulls), 1 for a plain decimal
    whose ``value`` was read, 2 for one with more than 15 significant digits or 22 decimals,
    left to the caller (``value`` NaN). ``decimals`` counts the digits after the separator
    (-1 where ``state`` is 0). Values read here are the correctly rounded ones, as Arrow's
    cast gives: the digits and the power of ten are both exact doubles there."""
    if not native() or not isinstance(arr, pa.Array) or arr.type != pa.string():
        return None
    values, decimals, state = _text.plain_decimals(_column_spec(arr), len(arr))
    return (np.frombuffer(values, dtype=np.float64).copy(),
            np.frombuffer(decimals, dtype=np.int64).copy(),
            np.frombuffer(state, dtype=np.uint8))


def csv_records(columns: list[pa.Array]) -> bytes:
    """CSV records of equally long Arrow string columns: nulls as empty fields, a field quoted
    (its quotes doubled) only where it holds a comma, a quote or a line break, ``\\n`` after
    each record."""
    if not columns or len(columns[0]) == 0:
        return b""
    if native():
        return csv_table_records(columns)
    columns = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in columns]
    columns = [c if c.type == pa.string() else c.cast(pa.string()) for c in columns]
    return _csv_records_arrow(columns)


def _csv_records_arrow(columns: list[pa.Array]) -> bytes:
    import pyarrow.compute as pc

    fields = []
    for text in columns:
        text = pc.fill_null(text, "")
        # which special characters occur at all: one scan of the column's character data;
        # then one substring search per character that does
        data = string_bytes(text)
        needs = None
        for ch in ('"', ",", "\n", "\r"):
            if ch.encode() in data:
                hit = pc.match_substring(text, ch)
                needs = hit if needs is None else pc.or_(needs, hit)
        if needs is not None:
            quoted = pc.binary_join_element_wise(
                pa.scalar('"'), pc.replace_substring(text, '"', '""'), pa.scalar('"'), "")
            text = pc.if_else(needs, quoted, text)
        fields.append(text)
    # each record with its line end (put on the last field, not on a copy of every record),
    # then the array's character data in one piece
    fields[-1] = pc.binary_join_element_wise(fields[-1], pa.scalar("\n"), "")
    records = pc.binary_join_element_wise(*fields, ",") if len(fields) > 1 else fields[0]
    return string_bytes(records)


def string_bytes(arr) -> bytes:
    """The concatenated UTF-8 data of a string or large-string Arrow array without nulls."""
    if len(arr) == 0 or arr.buffers()[2] is None:
        return b""
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset:arr.offset + len(arr) + 1]
    start, stop = int(offsets[0]), int(offsets[-1])
    return arr.buffers()[2][start:stop].to_pybytes()


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def hash_texts(arr) -> np.ndarray:
    """A 64-bit hash (uint64) of each value of an Arrow string array, nulls as the empty
    string: FNV-1a over the UTF-8 bytes, then splitmix64's finalizer. The compiled helper and
    the NumPy code below give the same values (the tallies of one run may come from both)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    if native():
        return np.frombuffer(_text.hash_strings(_column_spec(arr), n), dtype=np.uint64)
    _, offsets, data = arr.buffers()
    off = np.frombuffer(offsets, dtype=np.int32)[arr.offset:arr.offset + n + 1].astype(np.int64)
    text = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    length = np.diff(off)
    if arr.null_count:
        length = np.where(np.asarray(arr.is_valid()), length, 0)
    h = np.full(n, _FNV_OFFSET, dtype=np.uint64)
    for k in range(int(length.max(initial=0))):
        live = np.flatnonzero(length > k)
        h[live] = (h[live] ^ text[off[live] + k]) * _FNV_PRIME
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def plain_lines(text: str, pos: int, k: int) -> tuple[int, int]:
    """The compiled helper's scan for runs of plain CSV lines (see
    :func:`geoverify.io.delimited.plain_run`, which falls back to a regular expression)."""
    return _text.plain_lines(text, pos, k)


def factorize(values) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, use_na_sentinel=True)`` for an object array of str and None:
    codes (int64, -1 for None or NaN) and the distinct values in order of first appearance.

    The compiled helper groups the values by identity without the GIL (a batch's codes are a
    few shared objects, repeated); equal values that are different objects are then merged
    here, so the answer is the factorization by value. Other values go to pandas."""
    obj = np.ascontiguousarray(values, dtype=object)
    if native():
        codes_b, objects = _text.factorize_objects(obj)
        codes = np.frombuffer(codes_b, dtype=np.int64)
        if all(type(u) is str for u in objects):
            first: dict[str, int] = {}
            remap = np.array([first.setdefault(u, len(first)) for u in objects], dtype=np.int64)
            uniques = np.array(list(first), dtype=object)
            if len(first) < len(objects):  # the same text in several objects
                codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
            return codes, uniques
    import pandas as pd

    codes, uniques = pd.factorize(obj, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


def unique_ints(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` for integers (int64): the sorted distinct
    values and each element's place among them.

    Where the values span a range not much wider than their count (cell keys, combined codes)
    the distinct values are marked in a table of that range and numbered by a running count:
    no sort. 49,152 cell keys: 1.1 ms, against 2.3 ms for the sort."""
    key = np.asarray(key, dtype=np.int64)
    n = len(key)
    if n:
        lo, hi = int(key.min()), int(key.max())
        span = hi - lo + 1
        if span <= max(4 * n, 1 << 16):
            seen = np.zeros(span, dtype=bool)
            at = key - lo
            seen[at] = True
            rank = np.cumsum(seen, dtype=np.int64)
            rank -= 1
            return np.flatnonzero(seen) + lo, rank[at]
    distinct, inverse = np.unique(key, return_inverse=True)
    return distinct, inverse.reshape(-1)


def distinct_codes(values) -> tuple[list, np.ndarray]:
    """An Arrow array (or chunked array) by its distinct values: the values in order of first
    appearance, a missing value one of them (as None), and each row's place among them
    (int64). One hash pass (Arrow's dictionary encoding, whose dictionary keeps that order)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    enc = values.dictionary_encode(null_encoding="encode")
    return (enc.dictionary.to_pylist(),
            np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64))


def member(values, wanted) -> np.ndarray:
    """``np.isin(values, wanted)`` for an object array of codes (None never a member): one
    test per distinct value (:func:`factorize`), not one per row, and no sort of objects."""
    ids, uniq = factorize(values)
    hit = np.array([u in wanted for u in uniq.tolist()] + [False], dtype=bool)
    return hit[ids]  # -1 (None) takes the trailing False


def csv_table_records(columns: list, neutralise: bool = False,
                      into: bytearray | None = None) -> bytes | int:
    """CSV records, as :func:`csv_records`, of mixed columns by the compiled helper: Arrow
    string arrays (formula cells neutralised as
    :func:`geoverify.io.safety.neutralise_formulas` does, when ``neutralise``) and
    ``(values, decimals)`` pairs of float64 values that :func:`rounded_decimals` accepted
    (written as :func:`rounded_text` writes them). Only with the helper (:func:`native`).

    ``into``: a bytearray to write the records at the start of (grown when too small); their
    length is returned instead of bytes."""
    n = len(columns[0][0] if isinstance(columns[0], tuple) else columns[0]) if columns else 0
    if not columns or n == 0:
        return b"" if into is None else 0
    specs = []
    for c in columns:
        if isinstance(c, tuple):
            specs.append((np.ascontiguousarray(c[0], dtype=np.float64), int(c[1])))
            continue
        c = c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
        c = c if c.type == pa.string() else c.cast(pa.string())
        specs.append((*_column_spec(c), bool(neutralise)))
    return _text.csv_records(specs, n) if into is None else _text.csv_records(specs, n, into)


def join(parts) -> pa.Array:
    """Texts joined element-wise: ``parts`` are Arrow string arrays of one length and ``str``
    constants; a row is null when any array is null there. The same as
    ``pc.binary_join_element_wise(*parts, "")``, in one compiled pass (the Arrow kernel
    joins two parts at a time, a new array each time); at least one part is an array."""
    parts = [p if isinstance(p, str) else
             p.combine_chunks() if isinstance(p, pa.ChunkedArray) else p for p in parts]
    arrays = [p for p in parts if not isinstance(p, str)]
    if not arrays:
        raise ValueError("join: no array among the parts")
    n = len(arrays[0])
    if not native() or any(len(a) != n for a in arrays):
        import pyarrow.compute as pc  # lazy, as in _csv_records_arrow: start-up time

        return pc.binary_join_element_wise(
            *[pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts], "")
    specs = [p.encode("utf-8") if isinstance(p, str) else
             _column_spec(p if p.type == pa.string() else p.cast(pa.string())) for p in parts]
    valid, offsets, data, nulls = _text.join_texts(specs, n)
    return _string_array(n, offsets, data, valid, nulls)


def metres_text(values, unknown: str) -> pa.Array:
    """The compiled helper's distances as message text (see
    :func:`geoverify.core.batch.fmt_metres`, which keeps the Arrow reference)."""
    v = np.ascontiguousarray(values, dtype=np.float64)
    return _string_array(len(v), *_text.metres_text(v, unknown))


def rounded_decimals(x: np.ndarray) -> int | None:
    """The fewest decimals, 1 to 6, to which every value of ``x`` (float64, NaN allowed) is
    already rounded, when the rounded decimal without its trailing zeros is then what
    ``repr`` writes for each value; None otherwise.

    That holds when ``x == round(x, d)`` (each value is the float nearest to a decimal of
    ``d`` places), the decimal has at most 15 significant digits (``|x| < 10 ** (15 - d)``:
    two such decimals never share a float, so no shorter text reads back as the value; and
    below 1e12, the helper's limit) and
    ``repr`` writes it without an exponent (no value but 0 below 1e-4, which only more than
    4 places can reach). Coordinates of 5 or 6 places, distances and precisions of 1 to 3
    qualify."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    finite = x[~np.isnan(x)]
    if len(finite) == 0:
        return 1
    if not np.isfinite(finite).all():
        return None
    a = np.abs(finite)
    top = float(a.max())
    tiny = bool(((a > 0) & (a < 1e-4)).any())
    for decimals in range(1, 7):
        if not top < min(1e12, 10.0 ** (15 - decimals)) or (decimals > 4 and tiny):
            return None
        if np.array_equal(np.round(finite, decimals), finite):
            return decimals
    return None


def rounded_text(x: np.ndarray) -> pa.Array | None:
    """Floats as Python's ``repr`` writes them, NaN as ``""``, by the compiled helper, when
    :func:`rounded_decimals` finds their places; None otherwise (and without the helper)."""
    if not native():
        return None
    x = np.ascontiguousarray(x, dtype=np.float64)
    decimals = rounded_decimals(x)
    if decimals is None:
        return None
    return _string_array(len(x), *_text.fixed_text(x, decimals))
    x = np.ascontiguousarray(x, dtype=np.float64)
    finite = x[~np.isnan(x)]
    if np.isinf(finite).any() or not (np.abs(finite) < 1e12).all():
        return None
    for decimals in (1, 2, 3):
        if np.array_equal(np.round(finite, decimals), finite):
            return _string_array(len(x), *_text.fixed_text(x, decimals))
    return None
