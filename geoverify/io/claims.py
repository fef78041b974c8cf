"""Reading claims files into a raw table of text, one row per input row.

Readers never interpret values: every cell comes back as text (``""`` when empty), so nothing
is lost and the core decides what is valid. Formats with their own geometry (GeoJSON, KML/KMZ,
GeoPackage, GeoParquet, FlatGeobuf) also return the point coordinates they carry, transformed
to WGS 84 longitude/latitude when the file declares another CRS.

Formats (``fmt=``; sniffed from the file name, then from the content, when not given):

======== ==============================================================================
csv, tsv delimited text; delimiter sniffed among ``,`` ``;`` tab ``|``; UTF-8 (BOM or
         not), UTF-16/32 with a BOM, BOM-less UTF-16, else Windows-1251
xlsx     Excel workbook (the first sheet with coordinate columns, or ``sheet=``), see
         :mod:`geoverify.io.xlsx`
json     a list of objects, or an object holding one under ``rows``/``records``/``data``/
         ``frames``/``events``/``items``
geojson  a FeatureCollection, a Feature, or a list of Features
jsonl    one JSON object (or GeoJSON Feature) per line
kml, kmz Placemarks, see :mod:`geoverify.io.kml`
gpkg,    GeoPackage and FlatGeobuf (through pyogrio) and GeoParquet / plain Parquet
fgb,     (through pyarrow), see :mod:`geoverify.io.vector`
parquet
======== ==============================================================================

After reading, an *adapter* (``schema=``, or sniffed from the columns) may add our column
names for a known export shape (GeoConfirmed KML, CIR / Eyes on Russia, Bellingcat TimeMap,
ACLED), see :mod:`geoverify.io.adapters`.

Only :func:`read_table` (and :func:`read_bytes`) touch paths; everything else here works on
bytes already read, so the hash in :attr:`RawTable.sha256` is always that of what was parsed.
Every reader works within the caps of :mod:`geoverify.io.limits` (input size, cell length,
JSON and XML nesting, XLSX cells).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import stat
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from geoverify.errors import ClaimsFileError, ConfigError
from geoverify.io import limits
from geoverify.io.columns import apply_column_mapping, column_mapping
from geoverify.io.delimited import DELIMITERS, SINGLE_COLUMN, read_delimited, sniff_delimiter
from geoverify.io.table import (
    MAX_UNZIPPED_BYTES,
    RawTable,
    _JSONFloat,
    cap_cells,
    cell_text,
    is_numeric_column,
    records_table,
    reproject,
    short_text,
)

#: Format names accepted by ``read_table(fmt=...)``.
FORMATS = ("csv", "tsv", "xlsx", "json", "geojson", "jsonl", "kml", "kmz", "gpkg", "parquet",
           "fgb")

#: Other spellings accepted for ``fmt=``.
FORMAT_ALIASES = {
    "txt": "csv", "tab": "tsv", "xlsm": "xlsx", "excel": "xlsx", "ndjson": "jsonl",
    "geojsonl": "jsonl", "geojsonseq": "jsonl", "geopackage": "gpkg", "geoparquet": "parquet",
    "flatgeobuf": "fgb",
}



_SUFFIXES = {
    "csv": "csv", "txt": "csv", "tsv": "tsv", "tab": "tsv", "xlsx": "xlsx", "xlsm": "xlsx",
    "json": "json", "geojson": "geojson", "jsonl": "jsonl", "ndjson": "jsonl",
    "geojsonl": "jsonl", "geojsons": "jsonl", "kml": "kml", "kmz": "kmz", "gpkg": "gpkg",
    "parquet": "parquet", "geoparquet": "parquet", "pq": "parquet", "fgb": "fgb",
}

_UNSUPPORTED_SUFFIXES = {
    "xls": "an old binary Excel workbook (.xls); save it as .xlsx or .csv",
    "ods": "an OpenDocument spreadsheet; save it as .xlsx or .csv",
    "numbers": "an Apple Numbers file; export it as .xlsx or .csv",
    "shp": "a shapefile; convert it to GeoPackage (.gpkg) or GeoJSON",
    "zip": "a zip archive; unpack it and give the claims file inside",
}



# ---------------------------------------------------------------------------
# entry point


def read_table(path: str | Path, fmt: str | None = None, *, sheet: str | int | None = None,
               schema: str | None = None, layer: str | int | None = None,
               encoding: str | None = None,
               columns: dict[str, str] | str | None = None,
               columns_source: str | None = None) -> RawTable:
    """Read a claims file into a :class:`RawTable`.

    Parameters
    ----------
    path
        The file, or ``-`` for standard input (read as bytes; the format is sniffed from the
        content).
    fmt
        One of :data:`FORMATS` (or an alias in :data:`FORMAT_ALIASES`); sniffed when omitted.
    sheet
        XLSX only: sheet name, or 0-based index. Default: the first sheet whose header has
        coordinate columns (else the first sheet); ``meta["notes"]`` says which was read.
    schema
        Adapter for a known export shape: ``"geoconfirmed"``, ``"cir"``, ``"timemap"``,
        ``"acled"``; ``"none"`` to read the columns as they are. Default: sniffed from the
        columns (see :mod:`geoverify.io.adapters`).
    layer
        GeoPackage only: layer name, or 0-based index. Default: the first layer.
    encoding
        Text formats only: force a text encoding instead of detecting it.
    columns
        A column mapping, ``{role: column}`` or ``"lat=latitude_deg,lon=longitude_deg"``
        (see :func:`geoverify.io.columns.column_mapping`), applied after the adapter: the
        mapped columns take their role's name. ``columns_source`` says where it came from
        (a configuration file), for messages.

    Raises
    ------
    ClaimsFileError
        The file cannot be read at all (missing, empty, undecodable, corrupt, unsafe XML, not
        the format it claims, an unknown sheet or layer).
    ConfigError
        An option does not apply (``sheet=`` for a CSV) or names an unknown schema.
    """
    from geoverify.io import adapters

    name = str(path)
    mapping = column_mapping(columns, columns_source or "columns=")
    if schema is not None:
        adapters.check_schema_name(schema)
    raw = read_bytes(path)
    if not raw:
        raise ClaimsFileError(f"claims file {name}: empty file (0 bytes)")
    digest = hashlib.sha256(raw).hexdigest()
    if fmt is not None:
        fmt = _canonical_format(fmt, name)
    else:
        fmt = sniff_format(name, raw)
    if sheet is not None and fmt != "xlsx":
        raise ConfigError(f"sheet={sheet!r} only applies to XLSX workbooks; {name} is read as {fmt}")
    if layer is not None and fmt not in ("gpkg", "fgb"):
        raise ConfigError(f"layer={layer!r} only applies to GeoPackage/FlatGeobuf files; {name} is read as {fmt}")
    if encoding is not None and fmt not in ("csv", "tsv", "json", "geojson", "jsonl"):
        raise ConfigError(f"encoding={encoding!r} only applies to text formats; {name} is read as {fmt}")

    if fmt in ("csv", "tsv"):
        text, used = _decode(raw, name, encoding)
        table = read_delimited(text, name, digest, "\t" if fmt == "tsv" else None, fmt)
        table.meta["encoding"] = used
    elif fmt in ("geojson", "json"):
        text, used = _decode(raw, name, encoding)
        table = read_json(text, name, digest)
        table.meta["encoding"] = used
    elif fmt == "jsonl":
        text, used = _decode(raw, name, encoding)
        table = read_jsonl(text, name, digest)
        table.meta["encoding"] = used
    elif fmt == "xlsx":
        from geoverify.io.xlsx import read_xlsx
        table = read_xlsx(raw, name, digest, sheet=sheet, columns=mapping)
    elif fmt in ("kml", "kmz"):
        from geoverify.io.kml import read_kml, read_kmz
        table = read_kmz(raw, name, digest) if fmt == "kmz" else read_kml(raw, name, digest)
    elif fmt in ("gpkg", "fgb"):
        from geoverify.io.vector import read_ogr
        table = read_ogr(raw, name, digest, fmt, layer=layer)
    elif fmt == "parquet":
        from geoverify.io.vector import read_parquet
        table = read_parquet(raw, name, digest)
    else:  # pragma: no cover - _canonical_format guards this
        raise ClaimsFileError(f"claims file {name}: unknown format {fmt!r}")
    if fmt in ("xlsx", "kmz", "gpkg", "fgb", "parquet") or (
            fmt not in ("csv", "tsv") and len(raw) > limits.MAX_CELL_CHARS):
        cap_cells(table)  # text holds no cell longer than the file; delimited text caps its own
    table = adapters.apply_schema(table, schema)
    if fmt in ("kml", "kmz") and table.schema is None:
        from geoverify.io.kml import folder_as_clip
        table = folder_as_clip(table)
    if mapping:
        table, _ = apply_column_mapping(table, mapping, columns_source)
    return table


def _canonical_format(fmt: str, name: str) -> str:
    f = str(fmt).strip().lower().lstrip(".")
    f = FORMAT_ALIASES.get(f, f)
    if f not in FORMATS:
        raise ClaimsFileError(
            f"claims file {name}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return f


def read_bytes(path: str | Path) -> bytes:
    """Read a claims file (or stdin for ``-``) as bytes, with a clear error.

    At most :func:`geoverify.io.limits.max_input_bytes` bytes are read (1 GiB unless
    ``$GEOVERIFY_MAX_INPUT_BYTES`` says otherwise): a larger file, or an endless one such as
    ``/dev/zero`` or a stream that never ends, is refused with :class:`ClaimsFileError`.
    """
    cap = limits.max_input_bytes()
    if str(path) == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream (tests, notebooks)
            data = sys.stdin.read(cap + 1)
            data = data.encode("utf-8") if isinstance(data, str) else data
        else:
            data = _read_capped(stream, cap)
        if len(data) > cap:
            raise _too_large("standard input (-)", cap)
        return data
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            st = os.fstat(fh.fileno())
            regular = stat.S_ISREG(st.st_mode)
            if regular and st.st_size > cap:
                raise _too_large(str(path), cap, st.st_size)
            # a file says its size: one read (and no joining copy) unless it grew meanwhile
            data = _read_capped(fh, cap, first=st.st_size + 1 if regular else None)
    except ClaimsFileError:
        raise
    except FileNotFoundError as exc:
        raise ClaimsFileError(f"claims file {path}: no such file") from exc
    except IsADirectoryError as exc:
        raise ClaimsFileError(f"claims file {path}: is a directory, not a file") from exc
    except OSError as exc:
        raise ClaimsFileError(f"claims file {path}: cannot be read ({exc.strerror})") from exc
    if len(data) > cap:
        raise _too_large(str(path), cap)
    return data


def _read_capped(fh, cap: int, chunk: int = 1 << 20, first: int | None = None) -> bytes:
    """Up to ``cap + 1`` bytes from a binary stream, read in chunks (so an endless stream
    costs at most the cap); the first read takes ``first`` bytes when given (a file's
    size)."""
    parts: list[bytes] = []
    got = 0
    while got <= cap:
        want = first if first is not None and not parts else chunk
        block = fh.read(min(want, cap + 1 - got))
        if not block:
            break
        parts.append(block)
        got += len(block)
    return b"".join(parts)


def _too_large(name: str, cap: int, size: int | None = None) -> ClaimsFileError:
    has = f" (it has {size:,} bytes)" if size is not None else ""
    return ClaimsFileError(
        f"claims file {name}: larger than {limits.size_text(cap)}, the most geoverify reads into "
        f"memory{has}; check a large CSV or Parquet file with --stream, split the file, or "
        "raise the cap with the environment variable GEOVERIFY_MAX_INPUT_BYTES")


# ---------------------------------------------------------------------------
# format and encoding detection


def sniff_format(path: str, raw: bytes) -> str:
    """The format of a file, from its name, else from its first bytes."""
    suffix = Path(path).suffix.lower().lstrip(".") if path != "-" else ""
    if suffix in _UNSUPPORTED_SUFFIXES and not _looks_like_text_table(raw):
        raise ClaimsFileError(f"claims file {path}: this is {_UNSUPPORTED_SUFFIXES[suffix]}")
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    return sniff_content(raw)


def _looks_like_text_table(raw: bytes) -> bool:
    return bool(raw) and b"\x00" not in raw[:512] and not raw.startswith(b"PK")


def sniff_content(raw: bytes) -> str:
    """The format of some bytes, from what they start with (for stdin and odd names)."""
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return "kmz" if b".kml" in raw[:4096] else "xlsx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "kmz"
    if raw.startswith(b"PAR1"):
        return "parquet"
    if raw.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if raw.startswith(b"fgb\x03fgb"):
        return "fgb"
    head = _sniff_text(raw[:4096]).lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        return "kml"
    if head.startswith("\x1e"):
        return "jsonl"
    if head.startswith("{") or head.startswith("["):
        if head.startswith("{"):
            # JSON lines: a first line that is a whole object, and more lines after it
            full = _sniff_text(raw).lstrip("\ufeff \t\r\n")
            first, _, rest = full.partition("\n")
            if rest.strip() and _one_json_line(first):
                return "jsonl"
        return "json"
    return "csv"


def _one_json_line(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _sniff_text(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="ignore")
    bom_less = utf16_without_bom(raw)
    if bom_less:
        return raw.decode(bom_less, errors="ignore")
    return raw.decode("utf-8", errors="ignore")


def utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the bytes look like BOM-less UTF-16 text, else ``None``."""
    sample = raw[:2000]
    if len(sample) < 4 or len(sample) % 2 and len(raw) == len(sample):
        return None
    even, odd = sample[0::2], sample[1::2]
    zeros_even, zeros_odd = even.count(0), odd.count(0)
    if zeros_odd > 0.3 * len(odd) and zeros_even < 0.05 * len(even):
        return "utf-16-le"
    if zeros_even > 0.3 * len(even) and zeros_odd < 0.05 * len(odd):
        return "utf-16-be"
    return None


def decode_text(raw: bytes, path: str, encoding: str | None = None) -> str:
    """Decode text: UTF-8 (with or without BOM), UTF-16/32 with BOM, BOM-less UTF-16, else
    Windows-1251.

    Bytes that are valid UTF-8 are always read as UTF-8 (so a UTF-8 file is never misread),
    and so is UTF-8 with a few stray bytes (those become U+FFFD); other bytes are read as
    Windows-1251, the usual encoding of Russian and Ukrainian spreadsheets saved as "CSV" on
    Windows. Pass ``encoding`` to force another.
    """
    return _decode(raw, path, encoding)[0]


def _decode(raw: bytes, path: str, encoding: str | None) -> tuple[str, str]:
    if encoding is not None:
        try:
            return raw.decode(encoding), encoding
        except LookupError as exc:
            raise ConfigError(f"encoding={encoding!r} is not a known text encoding") from exc
        except UnicodeDecodeError as exc:
            raise ClaimsFileError(
                f"claims file {path}: not valid {encoding} text at byte {exc.start}") from exc
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise ClaimsFileError(
                    f"claims file {path}: broken {codec.upper()} text at byte {exc.start}") from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ClaimsFileError(
                f"claims file {path}: starts with a UTF-8 byte order mark but is not valid "
                f"UTF-8 at byte {exc.start}") from exc
    bom_less = utf16_without_bom(raw)
    if bom_less:
        try:
            return raw.decode(bom_less), bom_less
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if ascii_share_is_utf8(raw):
        # UTF-8 text with a few stray bytes (a paste from elsewhere): reading all of it as
        # Windows-1251 would garble every Cyrillic letter, so keep UTF-8 and mark the strays.
        return raw.decode("utf-8", errors="replace"), "utf-8 (invalid bytes replaced)"
    # Windows-1251 leaves only 0x98 undefined; map it rather than fail on one stray byte.
    return raw.decode("cp1251", errors="replace"), "cp1251"


def ascii_share_is_utf8(raw: bytes) -> bool:
    """True when at least 80 % of the non-ASCII bytes form valid UTF-8 sequences: UTF-8 text
    with a few stray bytes, rather than Windows-1251."""
    high = len(raw.translate(None, _ASCII_BYTES))
    valid = sum(len(m) for m in _UTF8_SEQUENCE.findall(raw))
    return valid >= 0.8 * high


_ASCII_BYTES = bytes(range(128))
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")



# ---------------------------------------------------------------------------
# ---------------------------------------------------------------------------
# JSON, GeoJSON, JSON lines


def _loads(text: str, name: str, where: str = "") -> Any:
    try:
        return json.loads(text, parse_float=_JSONFloat)
    except RecursionError as exc:
        raise _too_deep(name, where) from exc
    except ValueError as exc:
        raise ClaimsFileError(f"claims file {name}{where}: not valid JSON ({exc})") from exc


def _too_deep(name: str, where: str = "") -> ClaimsFileError:
    return ClaimsFileError(
        f"claims file {name}{where}: JSON arrays and objects nested more than "
        f"{limits.MAX_JSON_DEPTH} levels deep, more than geoverify reads; claims need a few "
        "levels (a list of objects, or GeoJSON features)")


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def json_too_deep_line(text: str, cap: int | None = None) -> int | None:
    """The line where valid JSON text first nests deeper than ``cap`` levels (default
    :data:`~geoverify.io.limits.MAX_JSON_DEPTH`), else ``None``.

    Linear and without recursion: strings are blanked out, then the running depth of the
    brackets is summed with numpy, a block at a time.
    """
    cap = limits.MAX_JSON_DEPTH if cap is None else cap
    if text.count("[") + text.count("{") <= cap:
        return None
    data = _JSON_STRING.sub('""', text).encode("utf-8", "surrogatepass")
    depth = 0
    line = 1
    block = 1 << 24
    for start in range(0, len(data), block):
        b = np.frombuffer(data, dtype=np.uint8, count=min(block, len(data) - start), offset=start)
        step = ((b == 0x5B) | (b == 0x7B)).astype(np.int32) - ((b == 0x5D) | (b == 0x7D))
        running = np.cumsum(step) + depth
        over = np.flatnonzero(running > cap)
        if len(over):
            return line + int(np.count_nonzero(b[: over[0]] == 0x0A))
        depth = int(running[-1]) if len(running) else depth
        line += int(np.count_nonzero(b == 0x0A))
    return None


def read_json(text: str, name: str, digest: str) -> RawTable:
    """JSON or GeoJSON text -> :class:`RawTable`.

    Nesting deeper than :data:`~geoverify.io.limits.MAX_JSON_DEPTH` is refused.
    """
    doc = _loads(text, name)
    line = json_too_deep_line(text)
    if line is not None:
        raise _too_deep(name, f", line {line}")
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            raise ClaimsFileError(f"claims file {name}: FeatureCollection without a features list")
        table = _features_table(feats, name, digest, _legacy_crs(doc.get("crs"), name))
        table.meta["members"] = {k: v for k, v in doc.items() if k not in ("features", "type")}
        return table
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        return _features_table([doc], name, digest, _legacy_crs(doc.get("crs"), name))
    if isinstance(doc, list):
        if doc and all(isinstance(f, dict) and f.get("type") == "Feature" for f in doc):
            return _features_table(doc, name, digest, None)
        return records_table([r if isinstance(r, dict) else {"value": r} for r in doc],
                             name, digest, "json")
    if isinstance(doc, dict):
        for key in ("rows", "records", "data", "frames", "events", "items"):
            if isinstance(doc.get(key), list):
                table = records_table([r if isinstance(r, dict) else {"value": r}
                                       for r in doc[key]], name, digest, "json")
                table.meta["records_key"] = key
                table.meta["members"] = {k: v for k, v in doc.items() if k != key}
                return table
    raise ClaimsFileError(
        f"claims file {name}: JSON must be a GeoJSON FeatureCollection or a list of objects "
        "(or an object holding one under rows, records, data, frames, events or items)")




def read_jsonl(text: str, name: str, digest: str) -> RawTable:
    """JSON lines (or GeoJSON text sequences) -> :class:`RawTable`; blank lines are skipped."""
    objs = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip().lstrip("\x1e")
        if not line:
            continue
        objs.append(_loads(line, name, f", line {lineno}"))
    deep = json_too_deep_line(text)
    if deep is not None:
        raise _too_deep(name, f", line {deep}")
    if objs and all(isinstance(o, dict) and o.get("type") == "Feature" for o in objs):
        table = _features_table(objs, name, digest, None)
        table.format = "jsonl"
        return table
    return records_table([o if isinstance(o, dict) else {"value": o} for o in objs],
                         name, digest, "jsonl")


def _legacy_crs(crs: Any, name: str) -> str | None:
    """The CRS named by a GeoJSON 2008 ``crs`` member, as text pyproj reads, or ``None``."""
    if crs is None:
        return None
    if not isinstance(crs, dict):
        raise ClaimsFileError(f"claims file {name}: the crs member is not an object")
    props = crs.get("properties") or {}
    kind = str(crs.get("type", "")).lower()
    if kind == "name" and isinstance(props.get("name"), str):
        return props["name"]
    if kind == "epsg" and props.get("code") is not None:
        return f"EPSG:{props['code']}"
    raise ClaimsFileError(
        f"claims file {name}: crs member of type {crs.get('type')!r} is not supported; "
        "give the CRS by name (e.g. EPSG:3857) or save the file in WGS 84")


def _number(c: Any) -> bool:
    return isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)


def _features_table(feats: list, name: str, digest: str, crs: str | None) -> RawTable:
    records: list[dict] = []
    geometry: list[tuple[float, float, str] | None] = []
    problems: dict[int, str] = {}
    for i, f in enumerate(feats):
        if not isinstance(f, dict):
            records.append({})
            geometry.append((math.nan, math.nan, short_text(json.dumps(f, ensure_ascii=False))))
            problems[i] = "feature is not a JSON object"
            continue
        props = f.get("properties") or {}
        rec = dict(props) if isinstance(props, dict) else {}
        if "id" in f and "id" not in rec:
            rec = {"id": f["id"], **rec}
        records.append(rec)
        g = f.get("geometry")
        if g is None:
            geometry.append(None)
            continue
        text_g = short_text(json.dumps(g, ensure_ascii=False, sort_keys=True))
        gtype = g.get("type") if isinstance(g, dict) else type(g).__name__
        coords = g.get("coordinates") if isinstance(g, dict) else None
        if gtype == "MultiPoint" and isinstance(coords, list) and len(coords) == 1:
            gtype, coords = "Point", coords[0]
        if (gtype == "Point" and isinstance(coords, list) and len(coords) >= 2
                and all(_number(c) for c in coords[:2])):
            geometry.append((float(coords[0]), float(coords[1]), text_g))
        elif gtype == "Point" and isinstance(coords, list) and not coords:
            geometry.append(None)  # an empty point is a missing one
        else:
            geometry.append((math.nan, math.nan, text_g))
            problems[i] = (f"geometry is a {gtype}, not a Point" if gtype != "Point"
                           else "Point geometry without [lon, lat] numbers")
    reproject(geometry, problems, crs, name)
    return records_table(records, name, digest, "geojson", geometry, problems, crs)


__all__ = [
    "DELIMITERS", "FORMATS", "FORMAT_ALIASES", "MAX_UNZIPPED_BYTES", "SINGLE_COLUMN", "RawTable",
    "cell_text", "decode_text", "is_numeric_column", "read_bytes", "read_delimited",
    "read_json", "read_jsonl", "read_table", "records_table", "reproject", "sniff_content",
    "sniff_delimiter", "sniff_format",
]
