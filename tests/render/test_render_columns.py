"""The map page packs a check's frame columns directly (no dict per frame): the page must be
the same, byte for byte, as the one packed from the JSON report's frame dicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoverify import api
from geoverify.core.result import FRAME_FIELDS, iter_records, record_columns
from geoverify.render import render_html
from geoverify.render._data import FrameColumns, pack_frames

REPO = Path(__file__).resolve().parents[2]

# Every kind of frame field the page shows: findings (several per row), unknown and
# country-level claims, unlocated and impossible points, empty and repeated clips, timecodes
# and plain numbers as frames, formulas, quotes and markup in text, extra columns with gaps.
HOSTILE = """id,clip,frame,date,lat,lon,claimed,source,notes,score
a1,Clip A,00:00:04,2023-05-22,50.43005,35.59057,Belgorod oblast,https://example.org/a,"=HYPERLINK(""x"")",1
a2,Clip A,00:00:01,2023-05-22,50.9,34.8,Belgorod oblast,https://example.org/a,<b>bold</b>,
a3,Clip A,7,2023-05-23,51.5,31.3,Russia,javascript:alert(1),plain,2.5
b1,,00:01:00,,48.0,37.8,Donetsk oblast,,,
b2,,00:01:00,not a date,not a number,37.8,Donetsk oblast,,,3
c1,Clip C,x,2023-06-01,95.0,30.0,Kyiv,https://example.org/c,"line
break",4
c2,Clip C,y,2023-06-01,50.45,30.52,Atlantis,https://example.org/c,,4
c3,Clip C,z,2023-06-01,30.52,50.45,Kyiv,https://example.org/c,,4
d1,Clip D,00:00:02,2023-06-02,44.95,34.1,Crimea,https://example.org/d,disputed,5
d2,Clip D,00:00:03,2023-06-02,44.95,34.1,,https://example.org/d,no claim,5
"""


def _inputs(tmp_path: Path) -> list[Path]:
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(HOSTILE, encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text("id,clip,frame,lat,lon,claimed\n", encoding="utf-8")
    return [REPO / "data" / "examples" / "belgorod-2023.csv", REPO / "tests" / "data" / "acled-sample.csv",
            REPO / "tests" / "data" / "cir-sample.csv", REPO / "tests" / "data" / "geoconfirmed-sample.kml",
            hostile, empty]


def test_record_columns__agree_with_the_flat_table_field_by_field(tmp_path: Path) -> None:
    """``record_columns`` (the JSON report's fields) against ``flat_table`` (the CSV's
    columns), which reads the same frames by a separate path."""
    result = api.check(_inputs(tmp_path)[4])
    fields, extra = record_columns(result.table)
    flat = result.flat_table().to_pydict()
    n = len(result)
    assert n == 10 and all(len(v) == n for v in fields.values())

    def unit(prefix: str, i: int):
        code = flat[f"{prefix}_code"][i]
        return None if code is None else {"code": code, "name": flat[f"{prefix}_name"][i] or code}

    for i in range(n):
        for name in ("row", "id", "clip", "frame", "coordinates_text", "notation", "claimed",
                     "verdict", "source", "date", "role", "controlled_by", "lon", "lat",
                     "distance_to_border_m", "distance_to_region_border_m", "distance_to_claimed_m",
                     "precision_m"):
            want = flat[name][i]
            if isinstance(want, float) and want != want:
                want = None  # NaN in the table is null in the report
            assert fields[name][i] == want, (name, i)
        for prefix in ("country", "adm1", "waters"):
            assert fields[prefix][i] == unit(prefix, i), (prefix, i)
        by, level, dd = flat["disputed_by"][i], flat["claim_level"][i], flat["decision_distance_m"][i]
        assert fields["disputed"][i] == (None if by is None else {"by": by, "since": flat["disputed_since"][i]})
        assert fields["claim"][i] == (None if level is None else {
            "level": level, "code": flat["claim_code"][i], "name": flat["claim_name"][i]})
        assert (fields["decision"][i] is None) == (dd is None or dd != dd)
        assert ";".join(f["code"] for f in fields["findings"][i]) == flat["finding_codes"][i]
        assert {k: v[i] for k, v in extra.items()} == {k: flat[f"extra.{k}"][i] for k in ("notes", "score")}
    # the report's dicts carry exactly these fields, in the schema's order
    assert list(next(iter_records(result.table))) == [*FRAME_FIELDS]


@pytest.mark.parametrize("which", range(6))
def test_pack_frames__columns_give_the_same_data_as_the_report_dicts(tmp_path: Path, which: int) -> None:
    result = api.check(_inputs(tmp_path)[which])
    report = result.to_dict()
    header = {k: v for k, v in report.items() if k != "frames"}
    from_dicts = pack_frames(report)
    from_columns = pack_frames(header, FrameColumns.of_fields(*record_columns(result.table)))
    assert from_columns == from_dicts
    # the text fields and the input's other columns coded on their Arrow arrays
    from_arrays = pack_frames(header, FrameColumns.of_fields(
        *record_columns(result.table, shared=True, arrow=True)))
    assert from_arrays == from_dicts
    if len(result):
        # the rich file exercises every coded form and the unknown fields
        assert from_dicts["extraKeys"][-3:] == ["waters", "decision", "controlled_by"]


@pytest.mark.parametrize("which", [0, 4, 5])
def test_build_map__page_of_a_result_equals_the_page_of_its_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: int) -> None:
    """A result's layers are cut from its columns, as soon as it is checked; a report's from
    its frame dicts, when the page is built: the same page (the example claims countries as a
    whole, whose outlines are dissolved)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = api.check(_inputs(tmp_path)[which])
    from_result = render_html(api.build_map(result, title="t"))
    from_report = render_html(api.build_map(result.to_dict(), title="t"))
    assert from_result == from_report
    if which == 4:
        assert "10 frames in 4 clips" in from_result  # the subtitle counts the frames of the columns


def test_data_writer__bytes_depend_on_the_text_only_and_inflate_to_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import base64
    import gzip
    import json
    import random
    import struct
    import zlib

    from geoverify.render._map import DataWriter, decode_data, encode_data

    rng = random.Random(7)
    value = {"k": [rng.random() for _ in range(20_000)], "s": "\u2028<é>" * 5000}
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    raw = text.encode("utf-8")
    # one piece: exactly gzip of the whole text (magic, deflate, no flags, mtime 0, xfl 0,
    # OS 255; raw deflate; CRC-32 and size)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<LL", zlib.crc32(raw), len(raw))
    whole = base64.b64encode(header + zlib.compress(raw, 6, wbits=-15) + trailer).decode("ascii")
    assert len(raw) < DataWriter.CHUNK and encode_data(value) == whole
    # many pieces compressed side by side: one gzip member that inflates to the text, the
    # same bytes however the text was written, about the size of one stream
    monkeypatch.setattr(DataWriter, "CHUNK", 40_000)
    pieces = encode_data(value)
    assert gzip.decompress(base64.b64decode(pieces)) == raw
    assert zlib.decompressobj(-15).decompress(base64.b64decode(pieces)[10:-8]) == raw
    assert len(pieces) < len(whole) * 1.01
    for _ in range(5):
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(1, 40)))
        writer = DataWriter()
        for a, b in zip([0, *cuts], [*cuts, len(text)]):
            writer.write(text[a:b])
        assert writer.close() == pieces
    assert decode_data(pieces) == value
    # pieces are compressed while the text is written: writes that end exactly on a piece's
    # end, and a text whose length is a whole number of pieces (its last piece is finished)
    chunk = DataWriter.CHUNK
    for size in (3 * chunk, 3 * chunk + 1, 3 * chunk - 1):
        exact = raw[:size].decode("utf-8", errors="ignore")
        reference = DataWriter()
        reference.write(exact)
        expected = reference.close()
        writer = DataWriter()
        for a in range(0, len(exact), chunk):
            writer.write(exact[a:a + chunk])
        writer.write("")
        assert writer.close() == expected
        assert gzip.decompress(base64.b64decode(expected)) == exact.encode("utf-8")
    empty = DataWriter()
    assert gzip.decompress(base64.b64decode(empty.close())) == b""


def test_data_writer__left_without_close_stops_its_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from geoverify.render._map import DataWriter

    def deflating() -> int:  # the writer's threads (other tests' threads may come and go)
        return sum(t.name.startswith("geoverify-deflate") for t in threading.enumerate())

    monkeypatch.setattr(DataWriter, "CHUNK", 1_000)
    assert deflating() == 0
    with pytest.raises(RuntimeError, match="stopped"), DataWriter() as writer:
        writer.write("x" * 10_000)  # nine pieces handed to the threads
        assert deflating() > 0
        raise RuntimeError("stopped")
    assert deflating() == 0


def test_distances__on_arrays_equal_value_by_value_rounding_ties_included() -> None:
    """The page's distance columns are rounded on whole arrays; numpy's scaled rounding differs
    from Python's round() next to ties (0.05 m, 156.65 m), which are done value by value."""
    import random

    from geoverify.render._data import _distance, _distances

    rng = random.Random(7)
    values: list = [None, float("nan"), float("inf"), -0.0, 0.0, 0.05, 0.005, 0.15, 0.25, 0.35,
                    0.45, 156.65, 999.95, 999.94999, 1000.0, 9994.999, 9995.0, 9999.95, 12345.65,
                    1e9, 1e300]
    for _ in range(50_000):
        values.append(rng.choice([
            round(rng.uniform(0, 2000), 1), rng.uniform(0, 50_000),
            round(rng.uniform(0, 30_000), rng.randint(0, 4)),
            rng.randint(0, 100_000) / rng.choice([10, 20, 40, 100, 200, 1000]),
            rng.expovariate(1 / 300)]))
    want = [_distance(v) for v in values]
    got = _distances(values)
    assert [(type(x), repr(x)) for x in got] == [(type(x), repr(x)) for x in want]
    # anything but floats and None goes value by value
    assert _distances([1, "2.5", None, True]) == [_distance(v) for v in (1, "2.5", None, True)]


@pytest.mark.parametrize("which", [0, 4])
def test_record_columns__shared_dicts_hold_the_same_values(tmp_path: Path, which: int) -> None:
    """``shared=True`` (the map's columns) gives equal frames, with one dict per distinct
    country, region, waters, disputed status and claim."""
    result = api.check(_inputs(tmp_path)[which])
    plain, extra = record_columns(result.table)
    shared, extra_shared = record_columns(result.table, shared=True)
    assert shared == plain and extra_shared == extra
    for name in ("country", "adm1", "waters", "disputed", "claim"):
        distinct = {repr(v) for v in shared[name] if v is not None}
        assert len({id(v) for v in shared[name] if v is not None}) == len(distinct), name


def test_as_text__objects_as_json_dumps_writes_them_cycles_as_str() -> None:
    """Object values shown as text (a frame field the page does not know, an extra column
    holding a dict) are the JSON that json.dumps writes with sorted keys; a value JSON cannot
    write is its str(), cycles included."""
    import json

    from geoverify.render._data import as_text

    def reference(value):
        try:
            return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        except (TypeError, ValueError):
            return str(value)

    values = [{"distance_m": 15418.0, "band_m": 3000.1, "line": "UA-09|UA-14"},
              {"b": [1, 2.5, None, True], "a": {"é": "<\u2028>\"\\"}}, [float("nan"), float("inf")],
              {"when": {1, 2}}, {1: "x", "a": "y"}, (1, "t"), {"bytes": b"\x00"}, []]
    for value in values:
        assert as_text(value) == reference(value)
    loop: dict = {}
    loop["self"] = loop
    assert as_text(loop) == str(loop) == "{'self': {...}}"
    chain: list = []
    chain.append(chain)
    assert as_text(chain) == "[[...]]"
    assert as_text({"after": "a cycle"}) == '{"after": "a cycle"}'


def test_coded_text_array__the_same_column_as_coded_column_of_its_values() -> None:
    """A text column coded on its Arrow array equals the column coded from its values, for
    every form (one value, mostly distinct, indexed with frequency ties) and with nulls."""
    import random

    import pyarrow as pa

    from geoverify.render._data import coded_column, coded_text_array

    rng = random.Random(11)
    pool = ["a", "b", "", None, "é<>", "00:00:01", "a "]
    seen = set()
    for _ in range(3000):
        n = rng.randint(0, 24)
        values = [rng.choice(pool[: rng.randint(1, len(pool))]) for _ in range(n)]
        if rng.random() < 0.2:
            values = [f"v{i}" if rng.random() < 0.8 else None for i in range(n)]
        want = coded_column(values)
        seen.add(want["k"])
        array = pa.array(values, type=pa.string())
        assert coded_text_array(array) == want, values
        sliced = pa.array(["x", *values, "y"], type=pa.string()).slice(1, n)
        assert coded_text_array(sliced) == want, values
        cut = rng.randint(0, n)
        chunked = pa.chunked_array([values[:cut], values[cut:]], type=pa.string())
        assert coded_text_array(chunked) == want, values
    assert seen == {"c", "d", "i"}
