"""Report formats (table, csv, json, geojson, markdown) and atomic output files."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from geoverify.arrowtext import csv_records, csv_table_records, native, rounded_decimals
from geoverify.errors import ClaimsFileError, ConfigError
from geoverify.heap import libc_function
from geoverify.io import limits
from geoverify.io.safety import (
    csv_record,
    escape_markdown,
    escape_text,
    neutralise_formula,
    neutralise_formulas,
)
from geoverify.io.tempfiles import sweep_stale, temp_path

REPORT_FORMATS = ("table", "csv", "json", "geojson", "markdown")

#: Columns of the CSV report (and of the Parquet frames of ``--stream`` and Dask), in order;
#: the input's other columns follow as ``extra.<name>``.
CSV_COLUMNS = (
    "row", "id", "clip", "frame", "lon", "lat", "coordinates_text", "notation", "country_code",
    "country_name", "adm1_code", "adm1_name", "waters_code", "waters_name", "disputed_by",
    "disputed_since", "distance_to_border_m", "distance_to_region_border_m", "claimed",
    "claim_level", "claim_code", "claim_name", "distance_to_claimed_m", "decision_distance_m",
    "decision_band_m", "decision_line", "verdict", "finding_codes", "finding_messages",
    "source", "date", "precision_m", "role", "controlled_by",
)


def _s(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def flat_frame(f: dict[str, Any]) -> dict[str, str]:
    """One frame (a dict of the JSON report) as a flat row of text (extra columns prefixed
    with ``extra.``)."""
    dec = f.get("decision") or {}
    row = {
        "row": _s(f["row"]), "id": _s(f["id"]), "clip": _s(f["clip"]), "frame": _s(f["frame"]),
        "lon": _s(f["lon"]), "lat": _s(f["lat"]), "coordinates_text": _s(f["coordinates_text"]),
        "notation": _s(f.get("notation")),
        "country_code": _s((f["country"] or {}).get("code")),
        "country_name": _s((f["country"] or {}).get("name")),
        "adm1_code": _s((f["adm1"] or {}).get("code")),
        "adm1_name": _s((f["adm1"] or {}).get("name")),
        "waters_code": _s((f.get("waters") or {}).get("code")),
        "waters_name": _s((f.get("waters") or {}).get("name")),
        "disputed_by": _s((f["disputed"] or {}).get("by")),
        "disputed_since": _s((f["disputed"] or {}).get("since")),
        "distance_to_border_m": _s(f["distance_to_border_m"]),
        "distance_to_region_border_m": _s(f["distance_to_region_border_m"]),
        "claimed": _s(f["claimed"]),
        "claim_level": _s((f["claim"] or {}).get("level")),
        "claim_code": _s((f["claim"] or {}).get("code")),
        "claim_name": _s((f["claim"] or {}).get("name")),
        "distance_to_claimed_m": _s(f["distance_to_claimed_m"]),
        "decision_distance_m": _s(dec.get("distance_m")),
        "decision_band_m": _s(dec.get("band_m")),
        "decision_line": _s(dec.get("line")),
        "verdict": f["verdict"],
        "finding_codes": ";".join(x["code"] for x in f["findings"]),
        "finding_messages": " | ".join(x["message"] for x in f["findings"]),
        "source": _s(f.get("source")), "date": _s(f.get("date")),
        "precision_m": _s(f.get("precision_m")), "role": _s(f.get("role")),
        "controlled_by": _s(f.get("controlled_by")),
    }
    for k, v in (f.get("extra") or {}).items():
        row[f"extra.{k}"] = _s(v)
    return row


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def json_chunks(report: dict[str, Any], lazy: str) -> Iterator[str]:
    """:func:`to_json` of ``report`` in pieces, the same text, where ``report[lazy]`` may be
    an iterator of dicts: it is written one item at a time (the tallies of a stream with
    millions of clips never need to be in memory at once)."""
    marker = json.dumps("\x00lazy\x00")  # the placeholder as it reads in the JSON text
    head = to_json({**report, lazy: json.loads(marker)})
    key = json.dumps(lazy, ensure_ascii=False) + ": "
    at = head.index("\n  " + key + marker) + 3 + len(key)
    yield head[:at]
    first = True
    for item in report[lazy]:
        text = json.dumps(item, indent=2, ensure_ascii=False, allow_nan=False)
        yield ("[\n    " if first else ",\n    ") + text.replace("\n", "\n    ")
        first = False
    yield "[]" if first else "\n  ]"
    yield head[at + len(marker):]


def to_csv(report: dict[str, Any], *, raw_text: bool = False) -> str:
    """One CSV row per frame. Text a spreadsheet would run as a formula gets a leading ``'``
    (:func:`geoverify.io.safety.neutralise_formula`) unless ``raw_text``; a cell holding a line
    break of any kind is quoted (:func:`geoverify.io.safety.csv_record`)."""
    rows = [flat_frame(f) for f in report["frames"]]
    if not raw_text:
        rows = [{k: neutralise_formula(v) for k, v in r.items()} for r in rows]
    extra: list[str] = []
    for r in rows:
        for k in r:
            if k.startswith("extra.") and k not in extra:
                extra.append(k)
    columns = [*CSV_COLUMNS, *extra]
    out = [csv_record(columns)]
    out += [csv_record([r.get(c, "") for c in columns]) for r in rows]
    return "".join(out)


def to_geojson(report: dict[str, Any]) -> str:
    feats = []
    for f in report["frames"]:
        geom = ({"type": "Point", "coordinates": [f["lon"], f["lat"]]}
                if f["lon"] is not None and f["lat"] is not None else None)
        feats.append({"type": "Feature", "geometry": geom, "properties": f})
    doc = {"type": "FeatureCollection", "geoverify_version": report["geoverify_version"],
           "input": report["input"], "boundaries": report["boundaries"],
           "clips": report["clips"], "features": feats}
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _md_escape(v: Any) -> str:
    return escape_markdown(_s(v))


def _place(f: dict[str, Any]) -> str:
    if f["adm1"]:
        return f"{f['adm1']['name']} ({f['adm1']['code']})"
    if f["country"]:
        return f"{f['country']['name']} ({f['country']['code']})"
    return ""


def _km(v: Any) -> str:
    return "" if v is None else f"{v / 1000:.2f}"


def _line_km(f: dict[str, Any]) -> str:
    """The distance that decided the row (to the stretch of the claimed unit's boundary that
    decided), else the distance to the nearest land border; ``>25`` where the line is farther
    than distances are measured."""
    dec = (f.get("decision") or {}).get("distance_m")
    v = dec if dec is not None else f["distance_to_border_m"]
    if v is None and f.get("lon") is not None:
        return f">{limits.DISTANCE_REACH_M / 1000:.0f}"
    return _km(v)


def to_markdown(report: dict[str, Any]) -> str:
    out = ["# geoverify check", "", f"Input: {_md_escape(report['input']['path'])} "
           f"(sha256 `{report['input']['sha256']}`, {report['input']['rows']} rows)", ""]
    out.append("## Clips")
    out.append("")
    for c in report["clips"]:
        out.append(f"- {_md_escape(c['summary'])}")
    out += ["", "## Frames", "",
            "| row | clip | frame | found | border km | claimed | verdict | findings |",
            "|---:|---|---|---|---:|---|---|---|"]
    for f in report["frames"]:
        out.append("| " + " | ".join([
            str(f["row"]), _md_escape(f["clip"]), _md_escape(f["frame"]), _md_escape(_place(f)),
            _line_km(f), _md_escape(f["claimed"]), f["verdict"],
            _md_escape(", ".join(x["code"] for x in f["findings"]))]) + " |")
    out += ["", "## Boundaries", ""]
    for b in report["boundaries"]:
        out.append(f"- {_md_escape(b['name'])} ({_md_escape(b['level'])}): "
                   f"{_md_escape(b['source'])}; licence "
                   f"{_md_escape(b['licence'])}; sha256 `{b['sha256'][:16]}…`")
    return "\n".join(out) + "\n"


def _clean_cell(v: Any, width: int = 28) -> str:
    return escape_text(_s(v), width)


def to_table(report: dict[str, Any]) -> str:
    headers = ["row", "clip", "frame", "country", "region", "border_km", "claimed", "verdict"]
    rows = []
    for f in report["frames"]:
        rows.append([
            str(f["row"]), _clean_cell(f["clip"], 24), _clean_cell(f["frame"], 10),
            (f["country"] or {}).get("code", "") or "", _clean_cell(_place(f) if f["adm1"] else "", 26),
            _line_km(f), _clean_cell(f["claimed"], 24), f["verdict"]])
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    right = {0, 5}

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                         for i, c in enumerate(cells)).rstrip()

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(r) for r in rows]
    lines.append("")
    for c in report["clips"]:
        lines.append(_clean_cell(c["summary"], 400))
    return "\n".join(lines) + "\n"


FORMATTERS = {"table": to_table, "csv": to_csv, "json": to_json, "geojson": to_geojson,
              "markdown": to_markdown}


def format_report(report: dict[str, Any], fmt: str, *, raw_text: bool = False) -> str:
    """Render a report dict in one of :data:`REPORT_FORMATS`.

    Text from the claims file is made safe for whoever opens the report: CSV cells that a
    spreadsheet would run as formulas get a leading ``'`` (not with ``raw_text``), Markdown is
    escaped and the table is printable single lines (see :mod:`geoverify.io.safety`). JSON and
    GeoJSON are always the raw text.
    """
    if fmt not in FORMATTERS:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(REPORT_FORMATS)}")
    if fmt == "csv":
        return to_csv(report, raw_text=raw_text)
    return FORMATTERS[fmt](report)


class AtomicFile:
    """A binary output file written under a temporary name (:func:`atomic_output`) and
    renamed into place when the ``with`` block ends without error (removed otherwise).

    ``path`` ``None`` or ``-`` writes to standard output instead.
    """

    def __init__(self, path: str | Path | None, *, overwrite: bool = False) -> None:
        self.path = None if path in (None, "-") else Path(path)
        self.overwrite = overwrite
        self.fh = None
        self._cm = None

    def __enter__(self):
        if self.path is None:
            import io
            import sys

            out = sys.stdout.buffer
            if isinstance(out, io.RawIOBase):
                # PYTHONUNBUFFERED or -u: a raw file's write() may write only part of the
                # bytes (to a pipe whose reader left, or when a signal arrives) and say so
                # only in its return value; a buffered writer writes all or raises
                out = io.BufferedWriter(io.FileIO(out.fileno(), "wb", closefd=False))
            self.fh = out
            return self.fh
        self._cm = atomic_output(self.path, overwrite=self.overwrite)
        tmp = self._cm.__enter__()
        try:
            self.fh = open(tmp, "wb")
        except OSError as exc:
            self._cm.__exit__(type(exc), exc, None)
            raise ClaimsFileError(f"output {self.path}: cannot be written ({exc.strerror})") \
                from exc
        return self.fh

    def start_writeback(self) -> None:
        """Ask the system to start writing what was written so far to disk, without waiting.

        Replacing an existing file by rename makes ext4 write the new file's data out before
        the rename returns (its ``auto_da_alloc`` safeguard): 0.1-0.2 s for the 305 MB of a
        1,000,000-row check. Started batch by batch, that writing is done by the end of the
        run. A no-op for standard output and where ``sync_file_range`` does not exist."""
        if self.path is not None and self.fh is not None:
            _start_writeback(self.fh.fileno())

    def __exit__(self, exc_type, exc, tb):
        if self.path is None:
            self.fh.flush()
            return None
        try:
            self.fh.close()
        except BaseException as err:
            self._cm.__exit__(type(err), err, err.__traceback__)
            raise
        return self._cm.__exit__(exc_type, exc, tb)


_SYNC_FILE_RANGE: Any = None
_SYNC_FILE_RANGE_WRITE = 2  # <linux/fs.h>: start writeback of the range's dirty pages


def _start_writeback(fd: int) -> None:
    """``sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)`` (Linux): start writing the
    file's dirty pages out, without waiting for it. Errors are ignored: this only moves work
    earlier, nothing depends on it."""
    global _SYNC_FILE_RANGE
    if _SYNC_FILE_RANGE is None:
        _SYNC_FILE_RANGE = libc_function(
            "sync_file_range", [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint])
    if _SYNC_FILE_RANGE:
        _SYNC_FILE_RANGE(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)


def neutralise_table(table):
    """An Arrow table with every text column passed through
    :func:`geoverify.io.safety.neutralise_formulas` (numbers stay numbers)."""
    import pyarrow as pa

    cols = []
    for col in table.columns:
        t = col.type
        cols.append(neutralise_formulas(col) if pa.types.is_string(t)
                    or pa.types.is_large_string(t) else col)
    return pa.table(cols, names=table.column_names)


def csv_text_columns(table) -> list:
    """Each column of an Arrow table as CSV field text (Arrow strings, unquoted: see
    :func:`geoverify.arrowtext.csv_records`): floats written as Python writes them
    (``278.3``, ``0.0``), nulls kept (they become empty fields)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from geoverify.io.table import float_texts

    out = []
    for col in table.columns:
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        t = col.type
        if pa.types.is_floating(t):
            out.append(float_texts(col))  # numbers never need quotes
        elif pa.types.is_string(t):
            out.append(col)
        else:
            out.append(pc.cast(col, pa.string()))
    return out


def csv_header(names) -> bytes:
    """The header line of a frames CSV."""
    return (csv_record(list(names)).rstrip("\r\n") + "\n").encode("utf-8")


def csv_body(table, *, neutralise: bool = False, block_rows: int = 65_536,
             into: bytearray | None = None) -> bytes | memoryview:
    """The records of an Arrow table of frames as CSV bytes (no header; ``\n`` line ends,
    fields quoted only where they must be: see :func:`geoverify.arrowtext.csv_records`).

    ``neutralise``: text cells a spreadsheet would run as formulas get a leading ``'``
    (:func:`neutralise_table`). With the compiled helper, that and the text of rounded float
    columns are written in the same pass as the records (same bytes).

    ``into``: a bytearray the compiled helper may write a table of one block into (grown when
    too small), returned as a memoryview of its start; otherwise bytes are returned."""
    if (into is not None and 0 < table.num_rows <= block_rows and table.num_columns
            and native()):
        k = csv_table_records(_csv_columns(table), neutralise, into=into)
        return memoryview(into)[:k]
    out = []
    for lo in range(0, table.num_rows, block_rows):
        part = table.slice(lo, block_rows)
        if part.num_columns == 0:
            out.append(b"\n" * part.num_rows)
        elif native():
            out.append(csv_table_records(_csv_columns(part), neutralise))
        else:
            cols = csv_text_columns(neutralise_table(part) if neutralise else part)
            out.append(csv_records(cols))
    return b"".join(out)


def _csv_columns(table) -> list:
    """The columns as :func:`geoverify.arrowtext.csv_table_records` takes them: text as Arrow
    strings, floats as ``(values, decimals)`` where :func:`~geoverify.arrowtext.rounded_decimals`
    finds their places (else as text, :func:`csv_text_columns`), the rest cast to text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from geoverify.io.table import float_texts

    out = []
    for col in table.columns:
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        t = col.type
        if pa.types.is_floating(t):
            x = col.cast(pa.float64()).to_numpy(zero_copy_only=False)  # nulls are NaN
            decimals = rounded_decimals(x)
            out.append((x, decimals) if decimals is not None else float_texts(col))
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            out.append(col)
        else:
            out.append(pc.cast(col, pa.string()))
    return out


def write_csv_table(table, fh, *, header: bool = True, neutralise: bool = False,
                    block_rows: int = 65_536) -> None:
    """Write an Arrow table of frames as CSV: a header, then :func:`csv_body`."""
    if header:
        fh.write(csv_header(table.column_names))
    for lo in range(0, table.num_rows, block_rows):
        fh.write(csv_body(table.slice(lo, block_rows), neutralise=neutralise,
                          block_rows=block_rows))


def json_report_chunks(header: dict[str, Any], records, clips: list[dict[str, Any]],
                       *, geojson: bool = False):
    """The JSON (or GeoJSON) report as text chunks, the frames streamed one at a time.

    Joined, the chunks are exactly :func:`to_json` (or :func:`to_geojson`) of the whole report.
    """
    marker = "\u0000frames\u0000"
    if geojson:
        doc = {"type": "FeatureCollection", "geoverify_version": header["geoverify_version"],
               "input": header["input"], "boundaries": header["boundaries"], "clips": clips,
               "features": [marker]}
    else:
        doc = {**header, "frames": [marker], "clips": clips}
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    token = json.dumps(marker, ensure_ascii=False)
    at = text.index(token)
    indent = " " * (at - (text.rfind("\n", 0, at) + 1))
    opening = text[:at - len(indent) - 1]  # ends with "["
    after = text[at + len(token):]
    closing = after[after.index("]") + 1:]
    yield opening
    first = True
    for r in records:
        item = r
        if geojson:
            geom = ({"type": "Point", "coordinates": [r["lon"], r["lat"]]}
                    if r["lon"] is not None and r["lat"] is not None else None)
            item = {"type": "Feature", "geometry": geom, "properties": r}
        body = json.dumps(item, indent=2, ensure_ascii=False, allow_nan=False)
        yield ("\n" if first else ",\n") + indent + body.replace("\n", "\n" + indent)
        first = False
    yield ("]" if first else "\n" + indent[:-2] + "]") + closing


def check_output_path(path: str | Path, *, overwrite: bool = False) -> Path:
    """Refuse an output that cannot be written before any work is done.

    Raises
    ------
    ClaimsFileError
        The directory does not exist or is not a directory (exit 3 on the command line), or
        the file exists and ``overwrite`` is false.
    """
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise ClaimsFileError(f"output {p}: the directory {parent} does not exist; create it "
                              "first or choose another -o")
    if not parent.is_dir():
        raise ClaimsFileError(f"output {p}: {parent} is not a directory")
    if p.is_dir():
        raise ClaimsFileError(f"output {p}: is a directory; give a file name")
    if p.exists() and not overwrite:
        raise ClaimsFileError(f"output {p} exists; pass --overwrite to replace it")
    return p


@contextlib.contextmanager
def atomic_output(path: str | Path, *, overwrite: bool = False):
    """Write an output atomically: yields a temporary path next to ``path`` (see
    :mod:`geoverify.io.tempfiles`) to be written; on success it replaces ``path`` with the
    usual permissions, on any failure (or SIGTERM, which the command line turns into an exit)
    it is removed. Stale temporary files of earlier killed runs are swept first.

    Raises
    ------
    ClaimsFileError
        As :func:`check_output_path`, or when the directory cannot be written.
    """
    p = check_output_path(path, overwrite=overwrite)
    sweep_stale(p.parent if str(p.parent) else Path("."), p.name)
    tmp = temp_path(p)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    except OSError as exc:
        raise ClaimsFileError(f"output {p}: cannot write in {p.parent} ({exc.strerror})") from exc
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, p)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str, *, overwrite: bool = False) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename (:func:`atomic_output`).

    Raises
    ------
    ClaimsFileError
        When the file exists and ``overwrite`` is false, its directory does not exist, or it
        cannot be written.
    """
    p = Path(path)
    with atomic_output(p, overwrite=overwrite) as tmp:
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            raise ClaimsFileError(f"output {p}: cannot be written ({exc.strerror})") from exc


def write_bytes_atomic(path: str | Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename (:func:`atomic_output`)."""
    p = Path(path)
    with atomic_output(p, overwrite=overwrite) as tmp:
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise ClaimsFileError(f"output {p}: cannot be written ({exc.strerror})") from exc
