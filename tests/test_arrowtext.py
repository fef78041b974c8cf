"""Text columns in bulk (``geoverify.arrowtext`` and its compiled helper ``geoverify._text``):
the same Arrow arrays as ``pa.array(..., from_pandas=True)`` and the same CSV bytes as the
pyarrow route and as Python's csv module would read back, for awkward text of every kind."""

from __future__ import annotations

import csv
import io

import numpy as np
import pyarrow as pa
import pytest

from geoverify import arrowtext
from geoverify.io.writers import csv_body

AWKWARD = np.array(["plain", "with,comma", 'a "quoted" word', "line\nbreak", "cr\rreturn",
                    "\r\n", '"', ",", "", " leading space", "Ștefan Vodă", "☃ snow",
                    "=1+1", "tab\there", None, float("nan")], dtype=object)


def test_the_helper_is_built():
    assert arrowtext._text is not None and arrowtext.native()


@pytest.mark.parametrize("seed", range(5))
def test_text_array__same_as_pyarrow(seed):
    rng = np.random.default_rng(seed)
    for n in (0, 1, 7, 8, 9, 1000):
        values = AWKWARD[rng.integers(0, len(AWKWARD), n)]
        got = arrowtext.text_array(values)
        want = pa.array(values, type=pa.string(), from_pandas=True)
        got.validate(full=True)
        assert got.equals(want)
        assert got.null_count == want.null_count


def test_text_array__other_values_go_to_pyarrow_and_its_errors():
    assert arrowtext.text_array(np.array([None, None], dtype=object)).null_count == 2
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        arrowtext.text_array(np.array(["a", 1], dtype=object))
    # a list is fine, as for pa.array
    assert arrowtext.text_array(["x", None]).to_pylist() == ["x", None]


@pytest.mark.parametrize("seed", range(5))
def test_csv_records__same_bytes_as_the_pyarrow_route_and_read_back_by_csv(seed):
    rng = np.random.default_rng(100 + seed)
    for n in (1, 2, 50, 3000):
        cols = [arrowtext.text_array(AWKWARD[rng.integers(0, len(AWKWARD), n)])
                for _ in range(int(rng.integers(1, 6)))]
        lo = int(rng.integers(0, n))
        for part in (cols, [c.slice(lo) for c in cols]):  # offsets into the buffers too
            got = arrowtext.csv_records(part)
            assert got == arrowtext._csv_records_arrow(part)
            rows = list(csv.reader(io.StringIO(got.decode("utf-8"), newline="")))
            rows = [r or [""] for r in rows]  # one empty field: an empty line
            want = [[v or "" for v in r] for r in zip(*(c.to_pylist() for c in part))]
            assert rows == want


def test_csv_body__native_and_pyarrow_agree_on_a_frames_table(monkeypatch):
    rng = np.random.default_rng(7)
    n = 5000
    table = pa.table({
        "row": pa.array(np.arange(n)),
        "lat": pa.array(np.where(rng.random(n) < 0.1, np.nan, rng.uniform(-90, 90, n)),
                        from_pandas=True),
        "d": pa.array(np.round(rng.exponential(5000, n), 1)),
        "flag": pa.array(rng.random(n) < 0.5),
        "text": arrowtext.text_array(AWKWARD[rng.integers(0, len(AWKWARD), n)]),
        "large": pa.array(AWKWARD[rng.integers(0, len(AWKWARD), n)], type=pa.large_string(),
                          from_pandas=True),
    })
    native = csv_body(table, block_rows=1024)
    monkeypatch.setenv("GEOVERIFY_NATIVE", "0")
    assert not arrowtext.native()
    assert csv_body(table, block_rows=1024) == native
    assert native.count(b"\n") >= n


def test_csv_records__rejects_buffers_shorter_than_the_rows():
    a = pa.array(["x", "y"])
    valid, offsets, data = a.buffers()
    with pytest.raises(ValueError):
        arrowtext._text.csv_records([(None, offsets, data, 0)], 3)
    with pytest.raises(ValueError):
        arrowtext._text.csv_records([(None, offsets, b"", 0)], 2)
    with pytest.raises(ValueError):
        arrowtext._text.csv_records([], 2)


def test_hash_texts__compiled_and_numpy_agree_and_nulls_hash_as_empty(monkeypatch):
    """The per-clip frame counts of one run may come from both (a Dask worker without the
    helper): the same value must give the same hash either way."""
    rng = np.random.default_rng(3)
    values = [None if rng.random() < 0.05 else
              "".join(rng.choice(list("0123456789abcŞ☃,\"\n"), int(rng.integers(0, 14))))
              for _ in range(20_000)]
    arr = pa.array(values, type=pa.string())
    for part in (arr, arr.slice(123, 4000), pa.chunked_array([arr[:10], arr[10:50]])):
        native = arrowtext.hash_texts(part)
        monkeypatch.setenv("GEOVERIFY_NATIVE", "0")
        numpy_ = arrowtext.hash_texts(part)
        monkeypatch.delenv("GEOVERIFY_NATIVE")
        np.testing.assert_array_equal(native, numpy_)
        assert native.dtype == np.uint64
    h = arrowtext.hash_texts(pa.array([None, "", "1", "2", "1", "frame-10", "frame-11"]))
    assert h[0] == h[1] and h[2] == h[4]
    assert len(set(h[2:].tolist())) == 4
    distinct = pa.array([str(i) for i in range(200_000)])
    assert len(np.unique(arrowtext.hash_texts(distinct))) == 200_000
    assert len(arrowtext.hash_texts(pa.array([], pa.string()))) == 0


@pytest.mark.parametrize("extra", ["", "é", "☃", "😀"])  # str of 1, 2 and 4 bytes a character
def test_plain_run__compiled_scan_matches_the_pattern(extra, monkeypatch):
    from geoverify.io.delimited import plain_run

    rng = np.random.default_rng(len(extra) + 5)
    pieces = ["a,b", "1.5", '"q"', "\r", "\n", "\r\n", "\n", "\n", "x" + extra, ",", "\n\n"]
    for _ in range(300):
        text = "".join(rng.choice(pieces, int(rng.integers(0, 30))))
        for pos in {0, len(text), int(rng.integers(0, len(text) + 1))}:
            for k in (1, 2, 3, 1000):
                native = plain_run(text, pos, k)
                monkeypatch.setenv("GEOVERIFY_NATIVE", "0")
                reference = plain_run(text, pos, k)
                monkeypatch.delenv("GEOVERIFY_NATIVE")
                assert native == reference, (text, pos, k)
                assert native[1] <= k


def test_text_array__ascii_fast_path_and_the_rest_agree():
    """All-ASCII columns are read without the GIL; a str subclass, a non-ASCII str anywhere
    (first, last) or a lone surrogate take the slow path or pyarrow, with the same result."""

    class Tag(str):
        pass

    cases = [
        ["UA", None, "RU-BEL", float("nan"), "", "x" * 1000],
        ["UA", Tag("RU"), None],
        ["Ș", "UA", None],
        ["UA", None, "Ș"],
        [None, None],
        [],
    ]
    for values in cases:
        arr = np.array(values, dtype=object)
        got = arrowtext.text_array(arr)
        got.validate(full=True)
        assert got.equals(pa.array(arr, type=pa.string(), from_pandas=True)), values
    with pytest.raises(UnicodeEncodeError):
        arrowtext._text.utf8_column(np.array(["a", "\ud800"], dtype=object))


def test_factorize__same_as_pandas_whatever_the_objects(monkeypatch):
    """Grouping by identity, then merging equal texts held by different objects, gives
    pandas' factorization by value: codes, and distinct values in order of first sight."""
    import pandas as pd

    rng = np.random.default_rng(9)
    vocab = ["UA", "RU", "UA-14", None, "Київ", float("nan")]
    for n in (0, 1, 5, 64, 200, 5000):
        picks = rng.integers(0, len(vocab), n)
        # fresh objects for some of the texts: equal values, different identities
        values = np.array([("".join(list(vocab[k])) if isinstance(vocab[k], str)
                            and rng.random() < 0.3 else vocab[k]) for k in picks],
                          dtype=object)
        codes, uniques = arrowtext.factorize(values)
        want_codes, want_uniques = pd.factorize(values, use_na_sentinel=True)
        np.testing.assert_array_equal(codes, want_codes)
        assert list(uniques) == list(want_uniques)
        monkeypatch.setenv("GEOVERIFY_NATIVE", "0")
        codes0, uniques0 = arrowtext.factorize(values)
        monkeypatch.delenv("GEOVERIFY_NATIVE")
        np.testing.assert_array_equal(codes0, want_codes)
    many = np.array([str(i) for i in range(50_000)] * 2, dtype=object)  # the table grows
    codes, uniques = arrowtext.factorize(many)
    assert len(uniques) == 50_000 and (codes[:50_000] == codes[50_000:]).all()
    mixed = np.array(["a", 1, "a"], dtype=object)  # not all text: pandas decides
    np.testing.assert_array_equal(arrowtext.factorize(mixed)[0], [0, 1, 0])


def test_metres_text__same_as_the_arrow_formatting():
    """Message distances: whole metres below 10 km, tenths of km from there, halves rounded
    to even as NumPy rounds, negative and non-finite values included."""
    from geoverify.core.batch import _fmt_metres_arrow

    rng = np.random.default_rng(11)
    values = np.concatenate([
        rng.uniform(-50, 30_000, 20_000), rng.exponential(3_000, 20_000),
        np.round(rng.uniform(0, 20_000, 2_000)) + 0.5,  # halves of a metre
        np.round(rng.uniform(100, 2_000, 2_000)) * 100 + 50,  # halves of a tenth of a km
        [np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, 1.5, -0.5, -1.5, 9_999.5, 9_999.4, 10_000.0,
         10_049.99, 10_050.0, 25_000.0, 99_949.99, 1e14],
    ])
    got = arrowtext.metres_text(values, "more than 25 km")
    got.validate(full=True)
    assert got.to_pylist() == _fmt_metres_arrow(values, "more than 25 km").to_pylist()
    assert arrowtext.metres_text(np.zeros(0), "x").to_pylist() == []


def test_rounded_text__repr_of_rounded_columns_and_others_left_to_arrow(monkeypatch):
    """Report distances (0.1 m) and precisions (mm) are written by the compiled helper;
    each value reads as Python's repr writes it. Unrounded, infinite or huge columns are not
    taken (None), and float_texts gives the same text either way."""
    from geoverify.io.table import float_texts

    rng = np.random.default_rng(12)
    rounded = [np.round(rng.exponential(5_000, 20_000), 1),
               np.round(rng.uniform(-1_000, 1_000, 20_000), 3),
               np.round(rng.uniform(0, 100, 20_000), 2),
               np.array([0.0, -0.0, 5.0, -5.0, 0.1, 0.25, 1e11 + 0.5, -0.001, 0.3, 2.675])]
    for x in rounded:
        x = np.where(rng.random(len(x)) < 0.05, np.nan, x)
        got = arrowtext.rounded_text(x)
        assert got is not None
        assert got.to_pylist() == ["" if np.isnan(v) else repr(float(v)) for v in x]
        assert float_texts(pa.array(x, from_pandas=True)).equals(got)
    for x in (rng.uniform(-180, 180, 1000), np.array([np.inf, 1.0]),
              np.array([1e13, 1.5]), np.array([0.00001, 1.5]), np.array([1e10 + 0.5, 1e-5])):
        assert arrowtext.rounded_text(x) is None
    monkeypatch.setenv("GEOVERIFY_NATIVE", "0")
    assert arrowtext.rounded_text(rounded[0]) is None


@pytest.mark.parametrize("decimals", range(1, 7))
def test_rounded_decimals__the_fixed_text_is_repr_wherever_they_are_found(decimals):
    """Values of ``decimals`` places, of every size up to the 15 significant digits the rule
    allows, with zeros, negative zeros and values that round to fewer places: where
    rounded_decimals finds places, the compiled text is Python's repr of every value."""
    rng = np.random.default_rng(40 + decimals)
    top = min(12, 15 - decimals)  # 15 significant digits, and the helper's 1e12
    for exp in range(-decimals, top):
        x = np.round(rng.uniform(-1, 1, 3000) * 10.0 ** exp, decimals)
        x[:5] = [0.0, -0.0, 10.0 ** exp, -(10.0 ** -min(decimals, 4)), np.nan]
        found = arrowtext.rounded_decimals(x)
        a = np.abs(x[~np.isnan(x)])
        tiny = ((a > 0) & (a < 1e-4)).any()
        # refused only where repr would write an exponent (below 1e-4, more than 4 places)
        assert (found is None) == (decimals > 4 and tiny)
        if found is None:
            continue
        assert found <= decimals
        got = arrowtext.rounded_text(x)
        assert got.to_pylist() == ["" if np.isnan(v) else repr(float(v)) for v in x]
    # decimals written as text and read back: the float nearest to each
    text = [f"{rng.integers(-10**9, 10**9) / 10**decimals:.{decimals}f}" for _ in range(2000)]
    x = np.array([float(t) for t in text])
    assert arrowtext.rounded_text(x).to_pylist() == [repr(float(v)) for v in x]


#: Text that starts like a formula (or a number): neutralised unless it is a plain number.
FORMULAS = np.array(["=1+1", "+3", "-12.5", "-1e-5", "+.5", "-5.", "-", "+", "@SUM(A1)",
                     "\tx", "\rx", "-1e", "+1E+5", "--1", "-0x1F", "-.e5", '=a,"b"', "-\u0661",
                     "- 1", "-1 ", "-1\n", "+1e+", "-.5e-3", "=", "@", "1e5", "-Infinity",
                     "+nan", None, "", "-0", "+00.00e00"], dtype=object)


def test_csv_body__neutralised_in_the_compiled_pass_as_by_neutralise_table(monkeypatch):
    """The compiled writer neutralises formula cells and writes rounded floats in the same
    pass as the records: the same bytes as neutralise_table, float_texts and the pyarrow
    records, for text, large text, rounded and unrounded floats, integers and booleans."""
    rng = np.random.default_rng(21)
    n = 4000
    cells = np.concatenate([FORMULAS, AWKWARD])
    table = pa.table({
        "row": pa.array(np.arange(n)),
        "lon": pa.array(np.round(rng.uniform(-180, 180, n), 5)),
        "lat": pa.array(np.where(rng.random(n) < 0.1, np.nan, rng.uniform(-90, 90, n)),
                        from_pandas=True),
        "d": pa.array(np.where(rng.random(n) < 0.2, np.nan, np.round(rng.exponential(5e3, n), 1)),
                      from_pandas=True),
        "p": pa.array(np.round(rng.uniform(0, 3, n), 3), type=pa.float32()),
        "flag": pa.array(rng.random(n) < 0.5),
        "text": arrowtext.text_array(cells[rng.integers(0, len(cells), n)]),
        "large": pa.array(cells[rng.integers(0, len(cells), n)], type=pa.large_string(),
                          from_pandas=True),
    })
    for neutralise in (True, False):
        native = csv_body(table, neutralise=neutralise, block_rows=1024)
        sliced = csv_body(table.slice(7), neutralise=neutralise, block_rows=1000)
        monkeypatch.setenv("GEOVERIFY_NATIVE", "0")
        assert csv_body(table, neutralise=neutralise, block_rows=1024) == native
        assert csv_body(table.slice(7), neutralise=neutralise, block_rows=1000) == sliced
        monkeypatch.delenv("GEOVERIFY_NATIVE")
    text = csv_body(table, neutralise=True).decode("utf-8")
    assert "'=1+1" in text and "'@SUM(A1)" in text and "'-1e" in text
    assert "-12.5" in text and "'-12.5" not in text and "'+.5" not in text


def test_csv_records__null_slots_that_hold_text_are_empty_fields():
    """Arrow leaves a null's slot undefined: text there (even a comma) is never written."""
    offsets = np.array([0, 1, 4, 5, 9], dtype=np.int32)
    valid = np.packbits(np.array([1, 0, 1, 0, 0, 0, 0, 0], dtype=np.uint8), bitorder="little")
    for data in (b"ab,cdxy,z", b"abbbdxyzw"):
        col = pa.Array.from_buffers(pa.string(), 4, [pa.py_buffer(valid.tobytes()),
                                                     pa.py_buffer(offsets.tobytes()),
                                                     pa.py_buffer(data)], null_count=2)
        assert col.to_pylist() == ["a", None, "d", None]
        for neutralise in (False, True):
            got = arrowtext.csv_table_records([col, col], neutralise)
            assert got == b"a,a\n,\nd,d\n,\n"
        assert arrowtext.csv_records([col]) == arrowtext._csv_records_arrow([col])


def test_csv_records__refuses_float_columns_it_cannot_write():
    x = np.array([1.5, 2.5])
    with pytest.raises(ValueError):
        arrowtext._text.csv_records([(x, 0)], 2)
    with pytest.raises(ValueError):
        arrowtext._text.csv_records([(x, 1)], 3)
    with pytest.raises(ValueError):
        arrowtext._text.csv_records([(np.array([1e12, 1.0]), 1)], 2)
    with pytest.raises(TypeError):
        arrowtext._text.csv_records([(np.array([1, 2]), 1)], 2)


def test_member__same_as_isin_on_codes():
    rng = np.random.default_rng(13)
    vocab = np.array(["UA", "RU", "UA-14", None, "RU-BEL", "UA-43"], dtype=object)
    wanted = {"UA-14", "RU-BEL", "XX"}
    for n in (0, 1, 100, 5000):
        values = vocab[rng.integers(0, len(vocab), n)]
        want = np.array([v in wanted for v in values.tolist()], dtype=bool)
        np.testing.assert_array_equal(arrowtext.member(values, wanted), want)


@pytest.mark.parametrize("seed", range(4))
def test_join__same_as_the_arrow_kernel_with_nulls_slices_and_constants(seed):
    import pyarrow.compute as pc

    rng = np.random.default_rng(300 + seed)
    consts = ["", "row ", ": ", " (", "), ", "Ștefan ☃ ", '"q",']
    for n in (1, 2, 9, 1000):
        parts = []
        for _ in range(int(rng.integers(1, 7))):
            if rng.random() < 0.4:
                parts.append(consts[int(rng.integers(0, len(consts)))])
            else:
                arr = arrowtext.text_array(AWKWARD[rng.integers(0, len(AWKWARD), n + 5)])
                lo = int(rng.integers(0, 6))
                parts.append(arr.slice(lo, n))  # offsets into the buffers
        if all(isinstance(p, str) for p in parts):
            parts.append(arrowtext.text_array(AWKWARD[rng.integers(0, len(AWKWARD), n)]))
        got = arrowtext.join(parts)
        want = pc.binary_join_element_wise(
            *[pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts], "")
        got.validate(full=True)
        assert got.equals(want)
        assert got.null_count == want.null_count
    # chunked arrays and the empty array
    chunked = pa.chunked_array([pa.array(["a", None]), pa.array(["b"])])
    assert arrowtext.join(["<", chunked, ">"]).to_pylist() == ["<a>", None, "<b>"]
    assert arrowtext.join(["x", pa.array([], pa.string())]).to_pylist() == []


def test_join__refuses_what_is_not_text_or_too_short():
    a = pa.array(["x", "y"])
    valid, offsets, data = a.buffers()
    with pytest.raises(ValueError):
        arrowtext._text.join_texts([(None, offsets, data, 0)], 3)
    with pytest.raises(TypeError):
        arrowtext._text.join_texts([1.5], 2)
    with pytest.raises(ValueError):
        arrowtext.join(["only", "constants"])


def test_join__without_the_helper_the_arrow_kernel(monkeypatch):
    monkeypatch.setenv("GEOVERIFY_NATIVE", "0")
    assert arrowtext.join(["a", pa.array(["b", None]), "c"]).to_pylist() == ["abc", None]


def test_csv_records__into_a_reused_buffer_the_same_bytes():
    rng = np.random.default_rng(77)
    buf = bytearray()
    for n in (3000, 10, 500, 0):
        cols = [arrowtext.text_array(AWKWARD[rng.integers(0, len(AWKWARD), n)])
                for _ in range(3)]
        cols.append((np.round(rng.uniform(-90, 90, n), 5), 5))
        want = arrowtext.csv_table_records(cols, True)
        size = len(buf)
        k = arrowtext.csv_table_records(cols, True, into=buf)
        assert bytes(buf[:k]) == want
        assert len(buf) >= max(size, k)  # grown when too small, never shrunk
    with pytest.raises(TypeError):
        arrowtext._text.csv_records([arrowtext._column_spec(pa.array(["a"]))], 1, b"")


def test_distinct_codes__first_appearance_order_nulls_included_chunks_joined() -> None:
    values = ["b", None, "a", "b", None, "", "a"]
    for array in (pa.array(values, type=pa.string()),
                  pa.chunked_array([values[:3], values[3:]], type=pa.string())):
        distinct, codes = arrowtext.distinct_codes(array)
        assert distinct == ["b", None, "a", ""]
        assert codes.dtype.kind == "i" and [distinct[c] for c in codes.tolist()] == values


def test_unique_ints__equals_numpy_unique_dense_or_sparse():
    rng = np.random.default_rng(7)
    cases = [np.zeros(0, np.int64), np.array([5]), np.array([-3, -3, 7, -3])]
    for _ in range(300):
        n = int(rng.integers(1, 3000))
        spread = int(rng.choice([1, 10, n, 4 * n, 100 * n, 1 << 40]))
        cases.append(rng.integers(-spread, spread + 1, n) + int(rng.integers(-1 << 40, 1 << 40)))
    for key in cases:
        d, inv = arrowtext.unique_ints(key)
        want_d, want_inv = np.unique(key, return_inverse=True)
        np.testing.assert_array_equal(d, want_d)
        np.testing.assert_array_equal(inv, want_inv.reshape(-1))
        assert inv.dtype == np.int64 and d.dtype == np.int64


def _number_texts(rng, n: int) -> list:
    """Number-like texts of every shape ``_numbers`` meets: plain decimals with both
    separators, signs, leading and trailing zeros, long digit runs (beyond what is read
    exactly in the helper), and texts that only look like numbers."""
    out = []
    for _ in range(n):
        kind = int(rng.integers(0, 12))
        sign = ["", "-", "+"][int(rng.integers(0, 3))]
        whole = "".join(rng.choice(list("0123456789"), int(rng.integers(0, 20))))
        frac = "".join(rng.choice(list("0123456789"), int(rng.integers(0, 26))))
        if kind == 0:
            out.append(None)
        elif kind == 1:  # a coordinate as geolocators write it
            out.append(f"{rng.uniform(-180, 180):.{int(rng.integers(0, 9))}f}")
        elif kind == 2:
            out.append(f"{sign}{whole}.{frac}")
        elif kind == 3:
            out.append(f"{sign}{whole or '0'},{frac}")
        elif kind == 4:
            out.append(f"{sign}{whole}")
        elif kind == 5:
            out.append(f"{sign}.{frac}")
        elif kind == 6:  # zeros that do not count as digits
            out.append(f"{sign}000{whole}.{frac}000")
        elif kind == 7:
            out.append(repr(float(rng.uniform(-1, 1) * 10.0 ** int(rng.integers(-30, 30)))))
        else:
            out.append(str(rng.choice(["", ".", "-", "+.", ",5", "5,", "1.2.3", "1,2,3",
                                       " 50.1", "50.1 ", "1e5", "-7.", "٣٤.٥", "inf",
                                       "nan", "0x10", "1_000", "50,43", "-0", "+0.0",
                                       "12345678901234567890", "0.1234567890123456789"])))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_numbers__compiled_reading_is_arrows_to_the_bit(seed, monkeypatch):
    """``_numbers`` reads plain decimals in the compiled helper (``plain_decimals``) and the
    rest as before: values (to the bit, signs of zero included), decimals and the plain mask
    are those of the Arrow route, on whole arrays and on slices of them."""
    from geoverify.core.table import _numbers

    rng = np.random.default_rng(700 + seed)
    arr = pa.array(_number_texts(rng, 3000), type=pa.string())
    for part in (arr, arr.slice(int(rng.integers(1, 100)))):
        assert arrowtext.plain_decimals(part) is not None
        got = _numbers(part)
        monkeypatch.setenv("GEOVERIFY_NATIVE", "0")
        assert arrowtext.plain_decimals(part) is None
        want = _numbers(part)
        monkeypatch.delenv("GEOVERIFY_NATIVE")
        assert got[0].view(np.int64).tolist() == want[0].view(np.int64).tolist()
        assert got[1].tolist() == want[1].tolist()
        assert got[2].tolist() == want[2].tolist()
    values, decimals, state = arrowtext.plain_decimals(
        pa.array(["50.43005", "-7", ".5", "50,43", "1e5", None, "0.1234567890123456789"]))
    assert state.tolist() == [1, 1, 1, 1, 0, 0, 2]
    assert decimals.tolist() == [5, 0, 1, 2, -1, -1, 19]
    assert values[:4].tolist() == [50.43005, -7.0, 0.5, 50.43]
