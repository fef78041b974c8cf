"""Streaming check: bounded memory for very large CSV / Parquet inputs.

:func:`check_stream` reads the claims file in chunks, runs the ordinary pipeline
(:func:`~geoverify.core.table.normalise_claims` + :func:`~geoverify.core.check.run_check`) on
each chunk, writes each chunk's frames at once (CSV, Parquet or JSON Lines, atomically: a
temporary file renamed at the end) and keeps only per-clip counters, so memory does not grow
with the number of rows (except for the set of distinct frame ids per clip, which the summary
line needs exactly).

Distances (``distances="auto"``, the default here): measuring the geodesic distance to the
nearest border costs ~0.15 ms per query and is only needed for a verdict when the point is
within the uncertainty band (stated accuracy of the line + the row's precision) of a border.
Before each chunk a vectorised prefilter (``STRtree.query(..., predicate="dwithin")`` on all
borders, with a conservative latitude-scaled band in degrees) marks the points that have no
border within the band. For those points every distance query answers ``inf`` (so the
verdict is decided by unit membership alone, exactly as the measured distance, larger than
the band, would decide it) and ``distance_to_border_m``, ``distance_to_region_border_m`` and
``distance_to_claimed_m`` are left null; a ``claim-mismatch`` / ``outside-boundaries``
message then says "more than N m" instead of the exact figure. Points near a border, on a
border, at sea near a coast, and all other rows go through the unchanged exact path, so
verdicts, countries and regions are identical to :func:`geoverify.check`.
``distances="all"`` measures everything (as ``check``); ``distances="none"`` is ``auto`` with
the border distances blanked everywhere (verdicts unchanged).
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geoverify._version import __version__
from geoverify.core.check import frame_records, run_check
from geoverify.core.table import normalise_claims
from geoverify.core.tally import _counts, summarise
from geoverify.engine.locate import PreparedBoundaries, prepare
from geoverify.errors import ClaimsFileError, ConfigError
from geoverify.io.boundaries import file_sha256

OUT_FORMATS = ("csv", "parquet", "jsonl")
DISTANCE_MODES = ("auto", "all", "none")
_M_PER_DEG_LAT_MIN = 110_574.0  # metres in one degree of latitude at the equator (smallest)
_M_PER_DEG_LON_EQ = 111_320.0
_SAFETY = 1.1  # widen the degree band: only costs speed, never changes a verdict


# ---------------------------------------------------------------------------------------------
# reading


class _HashingReader(io.RawIOBase):
    """A binary file wrapper that hashes the bytes as they are read."""

    def __init__(self, fh) -> None:
        self._fh = fh
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._fh.read(len(b))
        n = len(data)
        b[:n] = data
        self.sha.update(data)
        return n

    def finish(self) -> str:
        while True:  # hash whatever the parser did not read (trailing bytes)
            data = self._fh.read(1 << 20)
            if not data:
                break
            self.sha.update(data)
        return self.sha.hexdigest()


def _sniff_input(path: Path, input_format: str | None) -> str:
    fmt = (input_format or "").lower().lstrip(".")
    if not fmt:
        suffix = path.suffix.lower().lstrip(".")
        fmt = {"geoparquet": "parquet", "pq": "parquet", "txt": "csv", "tab": "tsv"}.get(suffix, suffix)
        if fmt not in ("csv", "tsv", "parquet"):
            with open(path, "rb") as fh:
                fmt = "parquet" if fh.read(4) == b"PAR1" else "csv"
    if fmt not in ("csv", "tsv", "parquet"):
        raise ConfigError(f"streaming reads CSV, TSV or Parquet, not {fmt!r}; use check without --stream")
    return fmt


def _csv_chunks(path: Path, fmt: str, chunk_rows: int, hasher: list[str]) -> Iterator[pd.DataFrame]:
    from geoverify.io.claims import sniff_delimiter, unique_header

    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise ClaimsFileError(f"claims file {path}: empty file, expected a header row")
    try:
        head_text = head.decode("utf-8-sig", errors="strict" if len(head) < (1 << 16) else "ignore")
    except UnicodeDecodeError as exc:
        raise ClaimsFileError(f"claims file {path}: streaming needs UTF-8 text ({exc})") from exc
    skip = 0
    delimiter = "\t" if fmt == "tsv" else None
    if head_text.startswith("sep=") and len(head_text) > 5 and delimiter is None:
        delimiter = head_text[4]
        skip = 1
        head_text = head_text.split("\n", 1)[1] if "\n" in head_text else ""
    if delimiter is None:
        delimiter = sniff_delimiter(head_text)
    if delimiter not in (",", ";", "\t", "|"):
        delimiter = ","  # a single-column file: no delimiter occurs
    first = next(csv.reader(io.StringIO(head_text, newline=""), delimiter=delimiter), [])
    header = unique_header([h.strip() for h in first])
    raw = open(path, "rb")
    reader = _HashingReader(raw)
    buffered = io.BufferedReader(reader, buffer_size=1 << 20)
    try:
        try:
            it = pd.read_csv(buffered, sep=delimiter, header=None, names=header, skiprows=skip + 1,
                             dtype=str, keep_default_na=False, na_filter=False,
                             chunksize=chunk_rows, encoding="utf-8-sig", engine="c",
                             skip_blank_lines=True, quotechar='"')
            for chunk in it:
                chunk = chunk.astype(object)
                yield chunk.where(chunk.notna(), "")  # short records: missing fields are empty
        except pd.errors.EmptyDataError:
            pass  # a header and no rows
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise ClaimsFileError(f"claims file {path}: cannot be streamed as delimited text ({exc})") from exc
        hasher.append(reader.finish())
    finally:
        raw.close()


def _parquet_chunks(path: Path, chunk_rows: int, hasher: list[str], meta: dict[str, Any]
                    ) -> Iterator[tuple[pd.DataFrame, Any, frozenset]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from geoverify.io.table import cell_text, shapely_points

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ClaimsFileError(f"claims file {path}: not a readable Parquet file ({exc})") from exc
    md = pf.schema_arrow.metadata or {}
    geo = json.loads(md[b"geo"]) if b"geo" in md else None
    geo_columns = (geo or {}).get("columns") or {}
    primary = (geo or {}).get("primary_column")
    crs_text = None
    if primary is not None:
        info = geo_columns.get(primary, {})
        if str(info.get("encoding", "WKB")).upper() != "WKB":
            raise ConfigError(f"claims file {path}: streaming reads WKB GeoParquet only")
        crs = info.get("crs", "OGC:CRS84")
        if crs is not None:
            crs_text = crs if isinstance(crs, str) else json.dumps(crs)
    meta["geo"] = geo is not None
    schema = pf.schema_arrow
    numeric = frozenset(
        f.name for f in schema
        if f.name != primary and (pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
                                  or pa.types.is_decimal(f.type)))
    for batch in pf.iter_batches(batch_size=chunk_rows):
        attrs: dict[str, list[str]] = {}
        for col in batch.schema.names:
            if col == primary or (col.startswith("__index_level_") and col.endswith("__")):
                continue
            values = batch.column(col).to_pylist()
            if col in geo_columns and geo_columns[col].get("encoding", "WKB").upper() == "WKB":
                attrs[col] = ["" if v is None else shapely.to_wkt(shapely.from_wkb(v)) for v in values]
            else:
                attrs[col] = [cell_text(v) for v in values]
        frame = pd.DataFrame(attrs, index=range(batch.num_rows), dtype=object)
        geometry = None
        problems: dict[int, str] = {}
        if primary is not None:
            geoms = shapely.from_wkb(batch.column(primary).to_pylist(), on_invalid="ignore")
            geometry, problems = shapely_points(list(geoms), crs_text, str(path))
        yield frame, (geometry, problems or {}, crs_text), numeric
    hasher.append(file_sha256(path))


# ---------------------------------------------------------------------------------------------
# distances only where a verdict needs them


class _Gated:
    """A NearestIndex stand-in answering ``inf`` for points known to be far from every border."""

    __slots__ = ("inner", "far")

    def __init__(self, inner, far: set) -> None:
        self.inner = inner
        self.far = far

    def __len__(self) -> int:
        return len(self.inner)

    def distance(self, lon: float, lat: float) -> float:
        if (float(lon), float(lat)) in self.far:
            return math.inf
        return self.inner.distance(lon, lat)


@dataclasses.dataclass
class _GatedPrepared(PreparedBoundaries):
    """The prepared boundaries with every distance index gated by a shared ``far`` set."""

    far: set = dataclasses.field(default_factory=set)

    def unit_lines(self, level: str, code: str, kind: str):
        return _Gated(super().unit_lines(level, code, kind), self.far)

    def unit_outline(self, level: str, code: str):
        return _Gated(super().unit_outline(level, code), self.far)


class _MemoNames:
    """The boundary set's name index, with :meth:`resolve` remembered across chunks."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self._memo: dict[str, Any] = {}

    def resolve(self, text):
        res = self._memo.get(text)
        if res is None:
            res = self._memo[text] = self._inner.resolve(text)
            if len(self._memo) > 100_000:  # bounded memory on files with endless names
                self._memo.clear()
        return res

    def __getattr__(self, name):
        return getattr(self._inner, name)


def _stream_boundaries(boundaries, gate: bool):
    """A shallow copy of ``boundaries`` with a memoised name index and, if ``gate``, gated
    prepared indexes (see :class:`_Gated`)."""
    from geoverify.core.claims import name_index

    names = _MemoNames(name_index(boundaries))
    proxy = copy.copy(boundaries)
    proxy._cache = dict(boundaries._cache)
    proxy._cache["names"] = names
    if not gate:
        return proxy, None
    base = prepare(boundaries)
    far: set = set()
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(PreparedBoundaries)}
    gated = _GatedPrepared(**fields, far=far)
    gated.land_borders = _Gated(base.land_borders, far)
    gated.region_borders = _Gated(base.region_borders, far)
    proxy._cache["prepared"] = gated
    return proxy, gated


def _degree_band(metres: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """A band in degrees that holds every point within ``metres`` (conservatively wide)."""
    lat_far = np.minimum(np.abs(lat) + 1.0, 89.0)
    per_deg = np.minimum(_M_PER_DEG_LAT_MIN,
                         np.maximum(_M_PER_DEG_LON_EQ * np.cos(np.radians(lat_far)), 100.0))
    return _SAFETY * metres / per_deg + 1e-7


class _FarFilter:
    """Which rows' verdicts cannot depend on a measured distance (vectorised, conservative)."""

    def __init__(self, boundaries) -> None:
        from geoverify.engine.distance import explode_lines

        self.acc = boundaries.accuracy_m
        geoms = boundaries.borders.geometry.values
        kinds = boundaries.borders["kind"].to_numpy(dtype=object)
        pieces, _ = explode_lines(geoms, 16)
        self.any_tree = shapely.STRtree(pieces)
        pieces, _ = explode_lines(geoms[kinds == "country"], 16)
        self.country_tree = shapely.STRtree(pieces)
        self.unit_tree = prepare(boundaries).unit_tree

    def far_mask(self, claims: pd.DataFrame, on_land, need) -> np.ndarray:
        """Rows whose verdict cannot depend on a measured distance.

        ``need`` per row: 0 no distance can matter (no claim, or an unresolved one), 1 the
        claim names a country (only country borders count), 2 a region or several units (any
        shared border counts). A row is far when no line that counts lies within its band
        (stated accuracy of those lines + the row's precision) and, when it is in no unit (at
        sea), no unit at all lies within the sea band either.
        """
        lon = claims["lon"].to_numpy(dtype=float)
        lat = claims["lat"].to_numpy(dtype=float)
        prec = pd.to_numeric(claims["precision_m"], errors="coerce").to_numpy(dtype=float)
        prec = np.where(np.isnan(prec), 0.0, prec)
        need = np.asarray(need)
        ok = ~(np.isnan(lon) | np.isnan(lat))
        far = ok & (need == 0)
        acc = self.acc
        u_country = acc.get("country_border", 0.0)
        u_any = max(u_country, acc.get("region_border", 0.0))
        u_sea0 = max(acc.get("coastline", 0.0), u_country)
        for level, tree, u0 in ((1, self.country_tree, u_country), (2, self.any_tree, u_any)):
            idx = np.flatnonzero(ok & (need == level))
            if not len(idx):
                continue
            pts = shapely.points(lon[idx], lat[idx])
            near = np.zeros(len(idx), dtype=bool)
            pi, _ = tree.query(pts, predicate="dwithin", distance=_degree_band(u0 + prec[idx], lat[idx]))
            near[pi] = True
            # in no unit (at sea): the claimed unit's outline decides, so no unit may be near
            sea = ~np.asarray(on_land, dtype=bool)[idx] & ~near
            if sea.any():
                sidx = np.flatnonzero(sea)
                band = _degree_band(u_sea0 + prec[idx][sidx], lat[idx][sidx])
                pi, _ = self.unit_tree.query(pts[sidx], predicate="dwithin", distance=band)
                near[sidx[pi]] = True
            far[idx[~near]] = True
        return far

    @staticmethod
    def keys(claims: pd.DataFrame, far: np.ndarray) -> set:
        """Coordinates that are far for every row that has them."""
        lon = claims["lon"].to_numpy(dtype=float)
        lat = claims["lat"].to_numpy(dtype=float)
        ok = ~(np.isnan(lon) | np.isnan(lat))
        far_keys = set(zip(lon[far].tolist(), lat[far].tolist()))
        near_keys = set(zip(lon[ok & ~far].tolist(), lat[ok & ~far].tolist()))
        return far_keys - near_keys


# ---------------------------------------------------------------------------------------------
# tallies


class _Virtual:
    """A re-iterable, sized stand-in for a list of frames, generated from counters.

    :func:`geoverify.core.tally.summarise` and ``_counts`` only read ``country``, ``adm1``,
    ``verdict``, ``role``, ``claimed`` and, for the frame count, ``frame`` (number of non-empty
    ids and number of distinct ids), so the frames are generated from ``(signature, count)``
    pairs with placeholder frame ids that give the same two numbers.
    """

    def __init__(self, sigs: list[tuple[tuple, int]], n_frames: int, n_distinct: int) -> None:
        self.sigs = sigs
        self.n = sum(c for _, c in sigs)
        self.n_frames = n_frames
        self.n_distinct = n_distinct

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        j = 0
        for (cc, cn, ac, an, verdict, role, claimed), count in self.sigs:
            country = {"code": cc, "name": cn} if cc is not None else None
            adm1 = {"code": ac, "name": an} if ac is not None else None
            for _ in range(count):
                frame = j if j < self.n_distinct else (0 if j < self.n_frames else None)
                j += 1
                yield {"country": country, "adm1": adm1, "verdict": verdict, "role": role,
                       "claimed": claimed, "frame": frame}


class StreamTally:
    """Exact per-clip tallies, accumulated chunk by chunk (memory: counters + frame ids)."""

    def __init__(self) -> None:
        self.order: list[Any] = []
        self.sigs: dict[Any, Counter] = {}
        self.frames: dict[Any, set] = {}
        self.n_frames: dict[Any, int] = {}

    def add(self, records: list[dict[str, Any]]) -> None:
        sigs, frames, n_frames, order = self.sigs, self.frames, self.n_frames, self.order
        for r in records:
            k = r["clip"]
            c = r["country"]
            a = r["adm1"]
            sig = (c["code"] if c else None, c["name"] if c else None,
                   a["code"] if a else None, a["name"] if a else None,
                   r["verdict"], r["role"], r["claimed"])
            if k not in sigs:
                order.append(k)
                sigs[k] = Counter()
                frames[k] = set()
                n_frames[k] = 0
            sigs[k][sig] += 1
            fr = r["frame"]
            if fr is not None:
                frames[k].add(fr)
                n_frames[k] += 1

    def clips(self) -> list[dict[str, Any]]:
        """The same list as :func:`geoverify.core.tally.tally_by_clip` gives for all frames."""
        out = []
        for k in self.order:
            sigs = list(self.sigs[k].items())
            frames = _Virtual(sigs, self.n_frames[k], len(self.frames[k]))
            counts = _counts(frames)
            roles = sorted({s[5] for s, _ in sigs if s[5]})
            by_role = {r: _counts(_Virtual([(s, c) for s, c in sigs if s[5] == r], 0, 0))
                       for r in roles}
            out.append({"clip": k, **counts, "by_role": by_role,
                        "summary": summarise(k, frames, counts)})
        return out


# ---------------------------------------------------------------------------------------------
# writing


class _Writer:
    def __init__(self, out_path: Path, fmt: str) -> None:
        self.path = out_path
        self.fmt = fmt
        fd, self.tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", dir=out_path.parent or Path("."))
        os.close(fd)
        self.fh = None
        self.csv = None
        self.pq = None
        self.columns: list[str] | None = None
        self.rows = 0

    def write(self, records: list[dict[str, Any]]) -> None:
        from geoverify.io.writers import CSV_COLUMNS, flat_frame

        if self.fmt == "jsonl":
            if self.fh is None:
                self.fh = open(self.tmp, "w", encoding="utf-8", newline="\n")
            self.fh.write("".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n"
                                  for r in records))
            self.rows += len(records)
            return
        flat = [flat_frame(r) for r in records]
        if self.columns is None:
            extra: list[str] = []
            for r in flat[:1]:
                extra = [k for k in r if k.startswith("extra.")]
            self.columns = [*CSV_COLUMNS, *extra]
        if self.fmt == "csv":
            if self.fh is None:
                self.fh = open(self.tmp, "w", encoding="utf-8", newline="")
                self.csv = csv.DictWriter(self.fh, fieldnames=self.columns, lineterminator="\n",
                                          extrasaction="ignore", restval="")
                self.csv.writeheader()
            self.csv.writerows(flat)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = pa.schema([(c, pa.string()) for c in self.columns])
            if self.pq is None:
                self.pq = pq.ParquetWriter(self.tmp, schema, compression="zstd")
            arrays = [pa.array([(r.get(c) or None) for r in flat], type=pa.string())
                      for c in self.columns]
            self.pq.write_table(pa.Table.from_arrays(arrays, schema=schema))
        self.rows += len(records)

    def commit(self) -> None:
        if self.fmt == "parquet" and self.pq is None:
            self.write([])  # pragma: no cover - empty input has a header at least
        if self.fh is not None:
            self.fh.close()
        if self.pq is not None:
            self.pq.close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o666 & ~umask)
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            if self.fh is not None:
                self.fh.close()
            if self.pq is not None:
                self.pq.close()
        finally:
            Path(self.tmp).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# progress


class Progress:
    """Rows done, rows/s and time left on stderr, redrawn at most every ``interval`` s.

    Silent unless ``stream`` is a terminal (and not ``quiet``); nothing is drawn during the
    first ``delay`` seconds, so short jobs print nothing.
    """

    def __init__(self, total: int | None = None, *, stream=None, quiet: bool = False,
                 interval: float = 0.5, delay: float = 2.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = not quiet and bool(isatty and isatty())
        self.total = total
        self.interval = interval
        self.delay = delay
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int | None = None, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        elapsed = now - self.start
        if not final and (elapsed < self.delay or now - self.last < self.interval):
            return
        if final and not self.drawn:
            return
        self.last = now
        total = total if total is not None else self.total
        rate = done / elapsed if elapsed > 0 else 0.0
        if total:
            line = f"geoverify: {done:,} of {total:,} rows ({100.0 * min(done / total, 1.0):.0f}%)"
        else:
            line = f"geoverify: {done:,} rows"
        line += f", {rate:,.0f} rows/s"
        if total and rate > 0 and done < total:
            left = (total - done) / rate
            line += f", {int(left // 60)}:{int(left % 60):02d} left"
        width = max(len(line), getattr(self, "_width", 0))
        self._width = width
        self.stream.write("\r" + line.ljust(width) + ("\n" if final else ""))
        self.stream.flush()
        self.drawn = True


def _estimate_rows(path: Path, fmt: str) -> int | None:
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq
            return pq.ParquetFile(path).metadata.num_rows
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
        lines = head.count(b"\n")
        if lines < 2:
            return None
        if len(head) < (1 << 20):
            return max(lines - 1, 0)
        return int(size / (len(head) / lines))
    except OSError:
        return None


# ---------------------------------------------------------------------------------------------
# the pipeline


def _renumber(claims: pd.DataFrame, offset: int) -> None:
    """Make the chunk's row numbers global (rows, findings and their messages)."""
    if offset == 0:
        return
    new = []
    for local, fl in zip(claims["row"].tolist(), claims["findings"].tolist()):
        glob = local + offset
        if fl:
            old = f"row {local}"
            items = []
            for f in fl:
                msg = f.message
                if msg.startswith(old) and msg[len(old):len(old) + 1] in (":", ","):
                    msg = f"row {glob}" + msg[len(old):]
                items.append(dataclasses.replace(f, row=glob, message=msg))
            fl = type(fl)(glob, items) if hasattr(fl, "add") else items
        elif hasattr(fl, "row"):
            fl.row = glob
        new.append(fl)
    claims["findings"] = pd.Series(new, index=claims.index, dtype=object)
    claims["row"] = claims["row"] + offset


def _fix_far_records(records: list[dict[str, Any]], far: np.ndarray, acc: dict[str, float],
                     blank_all: bool) -> None:
    """Null the unmeasured distances of far rows and reword their ``inf m`` messages."""
    for i, r in enumerate(records):
        if blank_all:
            r["distance_to_border_m"] = None
            r["distance_to_region_border_m"] = None
        if not far[i]:
            continue
        if r["distance_to_claimed_m"] is not None and math.isinf(r["distance_to_claimed_m"]):
            r["distance_to_claimed_m"] = None
        fs = r["findings"]
        if not fs:
            continue
        p = r["precision_m"] or 0.0
        for f in fs:
            m = f["message"]
            if "inf m" not in m:
                continue
            u_sea = max(acc.get("coastline", 0.0), acc.get("country_border", 0.0)) + p
            # the distance to the claimed unit was not measured: say only what is known
            f["message"] = m.replace("inf m outside", "outside").replace(
                ", inf m from", f", more than {u_sea:.0f} m from")


# ---------------------------------------------------------------------------------------------
# one chunk


@dataclasses.dataclass
class _Context:
    boundaries: Any          # the real boundary set
    checked: Any             # what run_check gets (memoised names, gated indexes)
    gated: Any               # the gated PreparedBoundaries, or None (distances="all")
    far_filter: Any
    distances: str


def _check_chunk(claims: pd.DataFrame, ctx: _Context) -> list[dict[str, Any]]:
    """Frame records (as :func:`geoverify.core.check.frame_records`) for one chunk.

    Rows far from every border, on land, not in a disputed region, with no claim or a claim
    naming exactly one unit without problems, take the fast path (:func:`_fast_records`);
    every other row goes through :func:`run_check` (with gated distances for its far rows).
    """
    n = len(claims)
    if ctx.gated is None:
        result = run_check(claims, ctx.checked, input_info={})
        return frame_records(result.frames)

    lon_all = claims["lon"].to_numpy(dtype=float)
    lat_all = claims["lat"].to_numpy(dtype=float)
    loc = _locate(ctx, lon_all, lat_all)
    country_cand = loc["country_candidates"].tolist()
    names = ctx.checked._cache["names"]
    claimed = claims["claimed"].tolist()
    res_of: dict[Any, Any] = {}
    simple_claim = np.zeros(n, dtype=bool)
    multi = np.zeros(n, dtype=bool)
    for i, c in enumerate(claimed):
        if c is None:
            simple_claim[i] = True
            continue
        res = res_of.get(c)
        if res is None:
            res = res_of[c] = names.resolve(c)
        simple_claim[i] = len(res.units) == 1 and not res.problems
        multi[i] = len(res.units) > 1
    need = np.where(simple_claim & (np.array([c is None for c in claimed], dtype=bool)), 0, 2)
    for i, c in enumerate(claimed):
        if c is not None:
            units = res_of[c].units
            if not units:
                need[i] = 0
            elif len(units) == 1 and units[0].level == "country":
                need[i] = 1
    far = ctx.far_filter.far_mask(claims, [bool(c) for c in country_cand], need)
    # several claimed units: the nearest one is reported, so measure (no gating)
    far &= ~multi
    prepared = prepare(ctx.boundaries)
    disputed = prepared.disputed_by_adm1
    ok = np.array([len(cc) == 1 and len(ac) <= 1 and not (a and disputed.get(a)) and off != off
                   for cc, ac, a, off in zip(country_cand, loc["adm1_candidates"].tolist(),
                                             loc["adm1"].tolist(), loc["offshore_m"].tolist())],
                  dtype=bool)
    fast = far & simple_claim & ok
    where = loc.iloc[np.flatnonzero(fast)] if fast.any() else None
    records: list[Any] = [None] * n
    if fast.any():
        fi = np.flatnonzero(fast)
        for i, r in zip(fi.tolist(), _fast_records(claims.iloc[fi], where, ctx, res_of)):
            records[i] = r
    slow = np.flatnonzero(~fast)
    if len(slow):
        sub = claims.iloc[slow].reset_index(drop=True)
        ctx.gated.far.clear()
        ctx.gated.far.update(_FarFilter.keys(sub, far[slow]))
        try:
            result = run_check(sub, ctx.checked, input_info={})
        finally:
            ctx.gated.far.clear()
        recs = frame_records(result.frames)
        _fix_far_records(recs, far[slow], ctx.boundaries.accuracy_m, ctx.distances == "none")
        for i, r in zip(slow.tolist(), recs):
            records[i] = r
    if ctx.distances == "none":
        for r in records:
            r["distance_to_border_m"] = None
            r["distance_to_region_border_m"] = None
    return records


#: Chunks of at least this many rows are located with the quadtree engine (identical results;
#: see docs/ENGINE.md) whatever ``classify.ENGINE_MIN_POINTS`` says.
STREAM_ENGINE_MIN_POINTS = 5_000


def _locate(ctx: _Context, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
    from geoverify.engine import quadtree as _engine
    from geoverify.engine.locate import locate

    prepared = prepare(ctx.boundaries)
    if len(lon) >= STREAM_ENGINE_MIN_POINTS:
        eng = _engine.engine_for(prepared.boundaries, tree=prepared.unit_tree)
        return _engine.locate_frame(eng, prepared.unit_codes, prepared.unit_level,
                                    prepared.unit_country, lon, lat)
    return locate(prepared, lon, lat)


def _fast_records(claims: pd.DataFrame, where: pd.DataFrame, ctx: _Context,
                  res_of: dict[Any, Any]) -> list[dict[str, Any]]:
    """Records for rows far from every border, inside one land unit, not disputed, whose
    claim is empty or names one unit cleanly: the verdict is unit membership (``match`` /
    ``mismatch``) exactly as :func:`geoverify.core.verdicts.judge_unit` decides it when every
    measured distance exceeds its band. Distances are null (not measured)."""
    from geoverify.core.check import FRAME_FIELDS, VERDICT_FINDING
    from geoverify.core.findings import FindingList

    b = ctx.boundaries
    adm0_names = dict(zip(b.countries["code"], b.countries["name"]))
    adm1_names = dict(zip(b.units["code"], b.units["name"]))
    out = []
    cols = {k: claims[k].tolist() for k in (
        "row", "id", "clip", "frame", "lon", "lat", "coordinates_text", "notation", "claimed",
        "source", "date", "precision_m", "role", "extra", "findings")}
    countries = where["country"].tolist()
    adm1s = where["adm1"].tolist()
    for j in range(len(claims)):
        row = cols["row"][j]
        country = countries[j]
        adm1 = adm1s[j]
        claimed = cols["claimed"][j]
        findings = FindingList(row, cols["findings"][j])
        claim_obj = None
        dist_claimed = None
        if claimed is None:
            verdict = "unclaimed"
        else:
            unit = res_of[claimed].units[0]
            inside = unit.code == (country if unit.level == "country" else adm1)
            verdict = "match" if inside else "mismatch"
            claim_obj = unit.to_dict()
            if inside:
                dist_claimed = 0.0
            else:
                findings.add(VERDICT_FINDING["mismatch"], "claimed", claimed,
                             f"row {row}: outside {unit.name} ({unit.code}); the claim is "
                             "contradicted")
        p = cols["precision_m"][j]
        vals = {
            "row": row, "id": cols["id"][j], "clip": cols["clip"][j], "frame": cols["frame"][j],
            "lon": float(cols["lon"][j]), "lat": float(cols["lat"][j]),
            "coordinates_text": cols["coordinates_text"][j], "notation": cols["notation"][j],
            "country": {"code": country, "name": adm0_names.get(country, country)},
            "adm1": {"code": adm1, "name": adm1_names.get(adm1, adm1)} if adm1 else None,
            "disputed": None, "distance_to_border_m": None, "distance_to_region_border_m": None,
            "claimed": claimed, "claim": claim_obj, "distance_to_claimed_m": dist_claimed,
            "verdict": verdict,
            "findings": [{"code": f.code, "severity": f.severity, "field": f.field,
                          "message": f.message} for f in findings],
            "source": cols["source"][j], "date": cols["date"][j],
            "precision_m": (None if p is None or p != p else round(float(p), 3)),
            "role": cols["role"][j], "controlled_by": None, "extra": cols["extra"][j],
        }
        out.append({k: vals.get(k) for k in FRAME_FIELDS})
    return out


def check_stream(path: str | Path, out_path: str | Path, *, out_format: str = "csv",
                 chunk_rows: int = 50_000, boundaries: Any = "embedded",
                 distances: str = "auto", progress: Callable[..., None] | None = None,
                 input_format: str | None = None, schema: str | None = None,
                 overwrite: bool = True) -> dict[str, Any]:
    """Check a large CSV/TSV/Parquet claims file chunk by chunk, writing frames as it goes.

    Parameters
    ----------
    path
        The claims file (CSV/TSV as UTF-8 text, or (Geo)Parquet).
    out_path
        Where the frames go: one row (CSV, Parquet: the CSV columns as strings) or one JSON
        object (JSON Lines: the JSON report's frame dicts) per input row, in input order.
        Written to a temporary file in the same directory and renamed when complete.
    out_format
        ``csv``, ``parquet`` or ``jsonl``.
    chunk_rows
        Rows per chunk (memory is roughly proportional).
    boundaries
        Name of a boundary set, or a loaded :class:`BoundarySet`.
    distances
        ``auto`` (measure border distances only where a verdict needs them; null elsewhere),
        ``all`` (measure everywhere, as ``check``) or ``none`` (border distances null
        everywhere; verdicts unchanged).
    progress
        ``progress(rows_done, total_estimate)`` after every chunk (see :class:`Progress`).
    input_format
        ``csv``, ``tsv`` or ``parquet``; sniffed from the name / magic bytes when omitted.
    schema
        Adapter name, as for :func:`geoverify.check` (sniffed per chunk when ``None``).

    Returns
    -------
    dict
        The report without ``frames``: ``geoverify_version``, ``input`` (path, sha256 of the
        bytes, rows), ``boundaries`` (provenance), ``clips`` (exact per-clip tallies), plus
        ``output`` (path, format, rows).
    """
    from geoverify.api import _load_boundaries
    from geoverify.io import adapters
    from geoverify.io.table import RawTable

    if out_format not in OUT_FORMATS:
        raise ConfigError(f"unknown stream format {out_format!r}; choose one of {', '.join(OUT_FORMATS)}")
    if distances not in DISTANCE_MODES:
        raise ConfigError(f"distances={distances!r}; choose one of {', '.join(DISTANCE_MODES)}")
    if int(chunk_rows) < 1:
        raise ConfigError("chunk_rows must be at least 1")
    src = Path(path)
    if not src.is_file():
        raise ClaimsFileError(f"claims file {src}: no such file")
    out = Path(out_path)
    if out.exists() and not overwrite:
        raise ClaimsFileError(f"output {out} exists; pass --overwrite to replace it")
    fmt = _sniff_input(src, input_format)
    bset = _load_boundaries(boundaries)
    gated_set, gated = _stream_boundaries(bset, distances != "all")
    ctx = _Context(bset, gated_set, gated, _FarFilter(bset) if gated is not None else None,
                   distances)
    total = _estimate_rows(src, fmt)
    hasher: list[str] = []
    meta: dict[str, Any] = {}
    if fmt == "parquet":
        chunks = _parquet_chunks(src, chunk_rows, hasher, meta)
    else:
        chunks = ((df, None, frozenset()) for df in _csv_chunks(src, fmt, chunk_rows, hasher))

    tally = StreamTally()
    writer = _Writer(out, out_format)
    offset = 0
    try:
        for data, geo, numeric in chunks:
            geometry, problems, crs = geo if geo is not None else (None, {}, None)
            raw = RawTable(data.reset_index(drop=True), str(path), "", fmt, geometry, problems,
                           crs, numeric_columns=numeric)
            raw = adapters.apply_schema(raw, schema)
            claims = normalise_claims(raw)
            _renumber(claims, offset)
            records = _check_chunk(claims, ctx)
            tally.add(records)
            writer.write(records)
            offset += len(claims)
            if progress is not None:
                progress(offset, total)
        if offset == 0 and writer.columns is None and out_format != "jsonl":
            writer.write([])
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    if isinstance(progress, Progress):
        progress(offset, offset, final=True)
    return {
        "geoverify_version": __version__,
        "input": {"path": str(path), "sha256": hasher[0] if hasher else file_sha256(src),
                  "rows": offset},
        "boundaries": [dict(b) for b in bset.provenance],
        "clips": tally.clips(),
        "output": {"path": str(out), "format": out_format, "rows": writer.rows},
    }


__all__ = ["check_stream", "Progress", "StreamTally", "OUT_FORMATS", "DISTANCE_MODES"]
