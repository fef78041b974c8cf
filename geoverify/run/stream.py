"""The streaming executor: bounded memory for CSV, TSV and Parquet inputs of any size.

:func:`check_stream` reads the claims file in blocks (:func:`geoverify.io.delimited.
stream_delimited`, :func:`geoverify.io.vector.iter_parquet`), runs the one batch function
(:func:`geoverify.core.batch.check_batch`) on each block on a small thread pool, writes each
block's frames as soon as it is checked, in input order (CSV, Parquet or JSON Lines, to a
temporary file renamed at the end) and keeps only the per-clip tallies
(:class:`~geoverify.core.tally.Tally`). Every row gets exactly what ``check`` gives it: the
same verdict, distances and findings; only the columns differ for rows with more fields than
the header (``check`` adds columns for the extra fields, a stream keeps them in the row's
``ragged-row`` finding, since its columns are fixed when the first block is written).

Memory: a few blocks in flight (``chunk_rows`` rows each), the boundary indexes, the tallies
of at most :data:`~geoverify.core.tally.SPILL_CLIPS` clips (more are spilled to a temporary
directory, and the report's ``clips`` is then an iterator that reads them back once, in order
of first appearance), and 8 bytes per distinct frame id per clip.
"""

from __future__ import annotations

import codecs
import hashlib
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from geoverify._version import __version__
from geoverify.core.batch import check_batch, context, settings_of
from geoverify.core.table import normalise
from geoverify.core.tally import Tally
from geoverify.errors import ClaimsFileError, ConfigError
from geoverify.heap import GiveBack, collect_young, gc_paused
from geoverify.io import adapters
from geoverify.io.claims import ascii_share_is_utf8, utf16_without_bom
from geoverify.io.columns import (
    apply_column_mapping,
    column_mapping,
    describe_input,
    require_coordinates,
)
from geoverify.io.delimited import stream_delimited
from geoverify.io.vector import iter_parquet
from geoverify.io.writers import write_csv_table
from geoverify.run.memory import TRIM_SLACK, provenance, threads, worker_pool
from geoverify.run.sink import OUT_FORMATS, FrameSink

#: Rows per block: three blocks are in flight (two checked, one read), each holding about 3.4 KB
#: a row while it is checked and encoded. 1,000,000 rows: 1.67-1.72 GB peak with 131,072-row
#: blocks, 0.94 GB with 16,384, about 8 % slower. Once the per-row work had moved into compiled
#: helpers, a block's fixed costs weighed more (2026-12-03, 1M rows, three interleaved runs:
#: 16,384 rows 7.82 s and 826 MB, 24,576 rows 7.51 s and 864 MB, 32,768 rows 7.20 s and 905 MB;
#: 10,000,000 rows with 32,768: 53.7 s and 932 MB).
CHUNK_ROWS = 32_768
_READ = 1 << 22


def sniff_input(path: Path, input_format: str | None) -> str:
    """``csv``, ``tsv`` or ``parquet``: from the option, the name, else the first bytes."""
    fmt = (input_format or "").lower().lstrip(".")
    if not fmt:
        suffix = path.suffix.lower().lstrip(".")
        fmt = {"geoparquet": "parquet", "pq": "parquet", "txt": "csv", "tab": "tsv"}.get(
            suffix, suffix)
        if fmt not in ("csv", "tsv", "parquet"):
            with open(path, "rb") as fh:
                fmt = "parquet" if fh.read(4) == b"PAR1" else "csv"
    if fmt not in ("csv", "tsv", "parquet"):
        raise ConfigError(f"streaming reads CSV, TSV or Parquet, not {fmt!r}; check it without "
                          "--stream")
    return fmt


def stream_encoding(head: bytes, forced: str | None) -> tuple[str, str]:
    """(codec, errors) for a streamed text file, decided from its first bytes by the rules of
    :func:`geoverify.io.claims.decode_text`."""
    if forced:
        try:
            codecs.lookup(forced)
        except LookupError as exc:
            raise ConfigError(f"encoding={forced!r} is not a known text encoding") from exc
        return forced, "strict"
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if head.startswith(bom):
            return codec, "strict"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "replace"
    bom_less = utf16_without_bom(head)
    if bom_less:
        return bom_less, "strict"
    try:
        head.decode("utf-8")
        return "utf-8", "replace"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut at the end of the sample
            return "utf-8", "replace"
    return ("utf-8", "replace") if ascii_share_is_utf8(head) else ("cp1251", "replace")


class _Hashed:
    """The bytes of a file in blocks, hashed as they are read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sha = hashlib.sha256()
        self.bytes = 0

    def blocks(self) -> Iterator[bytes]:
        with open(self.path, "rb") as fh:
            while True:
                b = fh.read(_READ)
                if not b:
                    return
                self.sha.update(b)
                self.bytes += len(b)
                yield b


def read_chunks(path: Path, fmt: str, chunk_rows: int, *, encoding: str | None = None,
                hashed: _Hashed | None = None) -> Iterator[Any]:
    """RawTables of about ``chunk_rows`` rows, in order."""
    if fmt == "parquet":
        yield from iter_parquet(path, chunk_rows)
        return
    hashed = hashed or _Hashed(path)
    blocks = hashed.blocks()
    first = next(blocks, b"")
    if not first.strip():
        raise ClaimsFileError(f"claims file {path}: empty file, expected a header row")
    codec, errors = stream_encoding(first[:1 << 20], encoding)
    dec = codecs.getincrementaldecoder(codec)(errors=errors)

    def texts() -> Iterator[str]:
        try:
            yield dec.decode(first)
            for b in blocks:
                yield dec.decode(b)
            yield dec.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise ClaimsFileError(
                f"claims file {path}: not valid {codec} text near byte {hashed.bytes}") from exc

    yield from stream_delimited(texts(), str(path), fmt=fmt,
                                delimiter="\t" if fmt == "tsv" else None, block_rows=chunk_rows)


def check_stream(path: str | Path, out_path: str | Path, *, out_format: str = "csv",
                 chunk_rows: int = CHUNK_ROWS, boundaries: Any = "embedded", control=None,
                 progress: Callable[[int], None] | None = None,
                 input_format: str | None = None, schema: str | None = None,
                 encoding: str | None = None, overwrite: bool = True, columns=None,
                 raw_text: bool = False, cities_in_regions: bool = False) -> dict[str, Any]:
    """Check a large CSV/TSV/Parquet claims file block by block, writing frames as it goes.

    Parameters
    ----------
    path
        The claims file.
    out_path
        Where the frames go: one row (CSV, Parquet: the CSV report's columns) or one JSON
        object (JSON Lines: the JSON report's frame dicts) per input row, in input order.
    out_format
        ``csv``, ``parquet`` or ``jsonl``.
    chunk_rows
        Rows per block (memory is roughly proportional).
    boundaries
        Name of a boundary set, or a loaded :class:`~geoverify.boundaries.BoundarySet`.
    control
        Optional dated control layer (a GeoDataFrame), as for :func:`geoverify.check`.
    progress
        Called with the number of rows of each block written.
    input_format, schema, encoding, columns
        As for :func:`geoverify.check` (``input_format`` is ``csv``, ``tsv`` or ``parquet``).
    raw_text
        CSV: write text cells as they are (by default a cell a spreadsheet would run as a
        formula gets a leading ``'``).

    Returns
    -------
    dict
        The report without ``frames``: ``geoverify_version``, ``input`` (path, sha256 of the
        bytes, rows), ``boundaries``, ``clips``, plus ``output`` (path, format, rows).
        ``clips`` is a list, or, when the tallies were spilled to disk (more clips than
        :data:`~geoverify.core.tally.SPILL_CLIPS`), an iterator that reads them back once.
    """
    from geoverify.boundaries import load_boundaries

    if int(chunk_rows) < 1:
        raise ConfigError("chunk_rows must be at least 1")
    if out_format not in OUT_FORMATS:
        raise ConfigError(f"unknown stream format {out_format!r}; choose one of "
                          f"{', '.join(OUT_FORMATS)}")
    src = Path(path)
    if not src.is_file():
        raise ClaimsFileError(f"claims file {src}: no such file")
    if schema is not None:
        adapters.check_schema_name(schema)
    fmt = sniff_input(src, input_format)
    bset = load_boundaries(boundaries)
    ctx = context(bset, control, cities_in_regions=cities_in_regions)
    hashed = _Hashed(src)
    chunks = read_chunks(src, fmt, int(chunk_rows), encoding=encoding, hashed=hashed)
    tally = Tally(spill=True)
    offset = 0
    described: dict[str, Any] = {}

    def prepare(raw):
        raw = adapters.apply_schema(raw, schema)
        if columns:
            raw, _ = apply_column_mapping(raw, column_mapping(columns, "columns="))
        return raw

    def work(raw, first_row: int):
        frames = check_batch(normalise(raw, first_row=first_row), ctx)
        part = Tally()
        part.add(frames.columns)
        return frames, part, sink.encode(frames)

    release = GiveBack(TRIM_SLACK)
    try:
        with FrameSink(out_path, out_format, overwrite=overwrite, raw_text=raw_text) as sink, \
                worker_pool(threads()) as pool, gc_paused():
            pending: deque = deque()
            for raw in chunks:
                raw = prepare(raw)
                if not described:
                    require_coordinates(raw)
                    described.update(describe_input(raw))
                pending.append(pool.submit(work, raw, offset + 1))
                offset += len(raw.data)
                while len(pending) > threads():
                    _emit(pending.popleft().result(), sink, tally, progress, release)
            while pending:
                _emit(pending.popleft().result(), sink, tally, progress, release)
            if sink.batches == 0 and out_format != "jsonl":
                _write_empty(sink, out_format)
        if fmt == "parquet":
            from geoverify.io.boundaries import file_sha256

            digest = file_sha256(src)
        else:
            digest = hashed.sha.hexdigest()
    except BaseException:
        tally.discard()  # spilled tallies of a run that failed or was stopped
        raise
    return {
        "geoverify_version": __version__,
        "input": {**described, "path": str(path), "sha256": digest, "rows": offset},
        "boundaries": provenance(bset, control),
        "settings": settings_of(ctx),
        # a list, or when more clips were seen than memory keeps, an iterator over the disk
        "clips": tally.iter_records() if tally.spilled else tally.records(),
        "output": {"path": str(out_path), "format": out_format, "rows": sink.rows},
    }


def _emit(done, sink: FrameSink, tally: Tally, progress, release) -> None:
    frames, part, encoded = done
    sink.put(encoded, frames)
    tally.merge(part)
    n = len(frames)
    del frames, encoded, done
    collect_young()  # the cycles a block left (automatic collection is paused)
    release()  # memory stays that of the blocks in flight
    if progress is not None:
        progress(n)


def _write_empty(sink: FrameSink, out_format: str) -> None:
    """A header-only CSV / an empty Parquet file with the report's columns."""
    import pyarrow as pa

    from geoverify.io.writers import CSV_COLUMNS

    table = pa.table({c: pa.array([], pa.string()) for c in CSV_COLUMNS})
    if out_format == "csv":
        write_csv_table(table, sink.fh)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, sink.fh)


__all__ = ["CHUNK_ROWS", "OUT_FORMATS", "check_stream", "read_chunks", "sniff_input"]
