"""The result of a check: frames as columns, per-clip tallies, and the JSON report built from
them on demand."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import union_categoricals

from geoverify._version import __version__
from geoverify.arrowtext import text_array
from geoverify.core.batch import DISTANCE_COLUMNS, FRAME_COLUMNS, Frames
from geoverify.core.findings import arrow_texts, column_list, empty_findings

#: Fields of a frame in the JSON report, in order.
FRAME_FIELDS = (
    "row", "id", "clip", "frame", "lon", "lat", "coordinates_text", "notation", "country",
    "adm1", "waters", "disputed", "distance_to_border_m", "distance_to_region_border_m",
    "claimed", "claim", "distance_to_claimed_m", "decision", "verdict", "findings", "source",
    "date", "precision_m", "role", "controlled_by", "extra",
)


def concat_frames(parts: list[Frames]) -> Frames:
    """One :class:`Frames` from batches in order (finding positions follow)."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        raise ValueError("no frames to concatenate")
    cols: dict[str, Any] = {}
    for c in [c for c in FRAME_COLUMNS if c in parts[0].columns]:
        vals = [p.columns[c] for p in parts]
        if any(isinstance(v, (pa.Array, pa.ChunkedArray)) for v in vals):
            arrays = [v.combine_chunks() if isinstance(v, pa.ChunkedArray) else
                      (v if isinstance(v, pa.Array) else
                       text_array(v))
                      for v in vals]
            cols[c] = pa.concat_arrays([a.cast(pa.string()) for a in arrays])
        else:
            cols[c] = np.concatenate([np.asarray(v) for v in vals])
    names: list[str] = []
    for p in parts:
        names += [k for k in p.extra if k not in names]
    extra = {}
    for k in names:
        extra[k] = pa.concat_arrays([p.extra[k] if k in p.extra else
                                     pa.array([""] * len(p), type=pa.string()) for p in parts])
    return Frames(cols, extra, _concat_findings(parts))


def _concat_findings(parts: list[Frames]) -> pd.DataFrame:
    """The findings of batches in order, ``pos`` shifted by the rows before each batch: one
    column at a time (NumPy columns joined as arrays, no per-batch copy of the tables)."""
    tables, offsets = [], []
    offset = 0
    for p in parts:
        if len(p.findings):
            tables.append(p.findings)
            offsets.append(offset)
        offset += len(p)
    if not tables:
        return empty_findings()
    names = list(tables[0].columns)
    if any(list(t.columns) != names for t in tables):
        shifted = []
        for t, off in zip(tables, offsets):
            t = t.copy()
            t["pos"] = t["pos"] + off
            shifted.append(t)
        return pd.concat(shifted, ignore_index=True)
    out = {}
    for c in names:
        cols = [t[c] for t in tables]
        if all(isinstance(col.dtype, pd.CategoricalDtype) for col in cols):
            # the slim findings of a run with a sink: integer codes, joined as such (batches
            # with other categories are recoded to their union)
            out[c] = pd.Series(union_categoricals([col.array for col in cols]))
        elif all(isinstance(col.dtype, np.dtype) for col in cols):
            arr = np.concatenate([col.to_numpy() for col in cols])
            if c == "pos":
                arr = arr + np.repeat(np.asarray(offsets, dtype=arr.dtype),
                                      [len(t) for t in tables])
            out[c] = pd.Series(arr, dtype=arr.dtype)
        else:  # extension columns (Arrow strings): pandas joins them
            out[c] = pd.concat(cols, ignore_index=True)
    return pd.DataFrame(out)


def _pylist(values) -> list:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.to_pylist()
    return np.asarray(values).tolist()


def _rounded(values, nd: int = 1) -> list:
    a = np.asarray(values, dtype=float)
    r = np.round(a, nd)
    ok = np.isfinite(a)
    return [float(x) if o else None for x, o in zip(r.tolist(), ok.tolist())]


def _floats(values, start: int, stop: int) -> list:
    a = np.asarray(values, dtype=float)[start:stop]
    return [float(x) if ok else None for x, ok in zip(a.tolist(), np.isfinite(a).tolist())]


def float_column(frames: Frames, name: str) -> list:
    """A number column of ``frames`` as the JSON report has it: floats, None where not finite."""
    return _floats(frames.columns[name], 0, len(frames))


def text_column(frames: Frames, name: str) -> list:
    """A text column of ``frames`` as a list (None where empty)."""
    return _pylist(frames.columns[name])


def _unit(code, name) -> dict:
    return {"code": code, "name": name if name is not None else code}


def _objects(columns: list[list], make, shared: bool) -> list:
    """``make(*values)`` of each row, None where the row's first value is None; with
    ``shared``, one object for each distinct tuple of values."""
    if not shared:
        return [None if key[0] is None else make(*key) for key in zip(*columns)]
    cache: dict = {}
    out = []
    for key in zip(*columns):
        if key[0] is None:
            out.append(None)
            continue
        obj = cache.get(key)
        if obj is None:
            obj = cache[key] = make(*key)
        out.append(obj)
    return out


def finding_lists(findings: pd.DataFrame, n: int, *, value: bool = False) -> list[list[dict]]:
    """The findings of each of ``n`` frames as the JSON report's lists of dicts."""
    out: list[list[dict]] = [[] for _ in range(n)]
    if len(findings) == 0:
        return out
    cols = ["pos", "code", "severity", "field", "message"] + (["value"] if value else [])
    for rec in zip(*(column_list(findings[c]) for c in cols)):
        d = {"code": rec[1], "severity": rec[2], "field": rec[3], "message": rec[4]}
        if value:
            d["value"] = rec[5]
        out[rec[0]].append(d)
    return out


def record_columns(frames: Frames, start: int = 0, stop: int | None = None, *,
                   shared: bool = False, arrow: bool = False
                   ) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """The JSON report's frame fields as lists, for rows ``start:stop`` of the batch.

    Returns ``(fields, extra)``: ``fields`` maps every name of :data:`FRAME_FIELDS` but
    ``extra`` to one value per frame (exactly what :func:`iter_records` puts in each dict);
    ``extra`` maps each other column of the input to its values. The map page packs these
    lists directly, so 100,000 frames are never made into 100,000 dicts. With ``shared``, the
    frames with the same country, region, waters, disputed status or claim share one dict of
    it (for readers that do not change them). With ``arrow``, the plain text fields that the
    table holds as Arrow arrays (:data:`ARROW_TEXT_FIELDS`) and the other columns of the input
    are given as Arrow string arrays (the same values), not lists: the page codes them on the
    arrays, without a Python string per frame.
    """
    n = len(frames)
    stop = n if stop is None else min(stop, n)
    m = stop - start
    c = frames.columns

    def col(name):
        v = c[name]
        if isinstance(v, (pa.Array, pa.ChunkedArray)):
            if arrow and name in ARROW_TEXT_FIELDS and _is_text(v):
                return _string_array(v.slice(start, m))
            return v.slice(start, m).to_pylist()
        return _pylist(np.asarray(v)[start:stop])

    def num(name, nd=1):
        return _rounded(np.asarray(c[name], dtype=float)[start:stop], nd)

    L = {k: col(k) for k in ("row", "id", "clip", "frame", "coordinates_text", "notation",
                             "country_code", "country_name", "adm1_code", "adm1_name",
                             "waters_code", "waters_name", "disputed_by", "disputed_since",
                             "claimed", "claim_level", "claim_code", "claim_name",
                             "decision_line", "verdict", "source", "date", "role",
                             "controlled_by")}
    dist = {k: num(k) for k in DISTANCE_COLUMNS}
    f = frames.findings
    if len(f):
        f = f[(f["pos"] >= start) & (f["pos"] < stop)].assign(pos=lambda t: t["pos"] - start)
    fields: dict[str, list[Any]] = {
        "row": [int(r) for r in L["row"]], "id": L["id"], "clip": L["clip"], "frame": L["frame"],
        "lon": _floats(c["lon"], start, stop), "lat": _floats(c["lat"], start, stop),
        "coordinates_text": L["coordinates_text"], "notation": L["notation"],
        "country": _objects([L["country_code"], L["country_name"]], _unit, shared),
        "adm1": _objects([L["adm1_code"], L["adm1_name"]], _unit, shared),
        "waters": _objects([L["waters_code"], L["waters_name"]], _unit, shared),
        "disputed": _objects([L["disputed_by"], L["disputed_since"]],
                             lambda by, since: {"by": by, "since": since}, shared),
        "distance_to_border_m": dist["distance_to_border_m"],
        "distance_to_region_border_m": dist["distance_to_region_border_m"],
        "claimed": L["claimed"],
        "claim": _objects([L["claim_level"], L["claim_code"], L["claim_name"]],
                          lambda level, code, name: {"level": level, "code": code, "name": name},
                          shared),
        "distance_to_claimed_m": dist["distance_to_claimed_m"],
        "decision": [None if dd is None else {"distance_m": dd, "band_m": band, "line": line}
                     for dd, band, line in zip(dist["decision_distance_m"], dist["decision_band_m"],
                                               L["decision_line"])],
        "verdict": L["verdict"], "findings": finding_lists(f, m), "source": L["source"],
        "date": L["date"], "precision_m": num("precision_m", 3), "role": L["role"],
        "controlled_by": L["controlled_by"],
    }
    extra = {k: _string_array(v.slice(start, m)) if arrow and _is_text(v)
             else v.slice(start, m).to_pylist() for k, v in frames.extra.items()}
    return fields, extra


#: The frame fields :func:`record_columns` gives as Arrow arrays with ``arrow`` (when the
#: table holds them as Arrow text): text shown as it is, used in no object of the report.
ARROW_TEXT_FIELDS = frozenset(("id", "clip", "frame", "coordinates_text", "notation", "claimed",
                               "source", "date", "role"))


def _is_text(values) -> bool:
    """An Arrow column of text (not numbers: their text in Arrow is not Python's)."""
    return isinstance(values, (pa.Array, pa.ChunkedArray)) and (
        pa.types.is_string(values.type) or pa.types.is_large_string(values.type))


def _string_array(values) -> pa.Array:
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return values if values.type == pa.string() else values.cast(pa.string())


def iter_records(frames: Frames, start: int = 0, stop: int | None = None
                 ) -> Iterator[dict[str, Any]]:
    """The frames as the JSON report's dicts, in order (rows ``start:stop`` of the batch)."""
    fields, extra = record_columns(frames, start, stop)
    names = [k for k in FRAME_FIELDS if k != "extra"]
    lists = [fields[k] for k in names]
    extra_names = list(extra)
    extra_lists = list(extra.values())
    for i, values in enumerate(zip(*lists)):
        record = dict(zip(names, values))
        record["extra"] = {k: v[i] for k, v in zip(extra_names, extra_lists)}
        yield record


@dataclass
class CheckResult:
    """The outcome of :func:`geoverify.check`.

    Attributes
    ----------
    table
        The frames, column-wise (:class:`~geoverify.core.batch.Frames`), one per input row.
    clips
        DataFrame, one row per clip in order of first appearance. It may be given as a
        function that makes it: it is then made on first use (the executors pass their
        tally's, so that a run whose clips are not asked for does not make them, and a map
        starts cutting its layers before they are made).
    input
        ``path``, ``sha256``, ``rows`` of what was read.
    boundaries
        Provenance of every boundary layer used.
    settings
        The settings that change verdicts (``cities_in_regions``).
    """

    table: Frames
    clips: pd.DataFrame
    input: dict[str, Any]
    boundaries: list[dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=lambda: {"cities_in_regions": False})
    _frames: Any = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.table)

    @property
    def frames(self):
        """GeoDataFrame, one row per input row in input order: the flat frame columns, the
        findings (lists of dicts), the input's other columns as ``extra.<name>``, and point
        geometry (empty when unlocated)."""
        if self._frames is None:
            self._frames = frames_frame(self.table)
        return self._frames

    def records(self) -> list[dict[str, Any]]:
        """The frames as the JSON report's dicts."""
        return list(iter_records(self.table))

    def header(self) -> dict[str, Any]:
        return {"geoverify_version": __version__, "input": dict(self.input),
                "boundaries": [dict(b) for b in self.boundaries], "settings": dict(self.settings)}

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (see ``geoverify/schema/report.schema.json``)."""
        return {**self.header(), "frames": self.records(),
                "clips": self.clips.to_dict("records")}

    def flat_table(self) -> pa.Table:
        """The frames as one Arrow table of the flat columns (CSV, Parquet)."""
        return flat_table(self.table)


def _clips(self: CheckResult) -> pd.DataFrame:
    value = self.__dict__["_clips"]
    if callable(value):  # a DataFrame is not callable: the function that makes it
        value = self.__dict__["_clips"] = value()
    return value


def _set_clips(self: CheckResult, value: pd.DataFrame | Callable[[], pd.DataFrame]) -> None:
    self.__dict__["_clips"] = value


# a property over the dataclass field (set after the class is made, so that the generated
# __init__, __eq__ and __repr__ go through it)
CheckResult.clips = property(_clips, _set_clips, doc="Per-clip tallies (a DataFrame), made "  # type: ignore[assignment]
                             "on first use when the result was given the function that makes them.")


def flat_table(frames: Frames) -> pa.Table:
    """Frames as an Arrow table: :data:`FRAME_COLUMNS` (distances rounded to 0.1 m),
    ``finding_codes`` (``;``-joined) and ``finding_messages`` (`` | ``-joined) after
    ``verdict``, then the input's other columns as ``extra.<name>``."""
    n = len(frames)
    c = frames.columns
    arrays: dict[str, pa.Array] = {}
    for name in FRAME_COLUMNS:
        v = c[name]
        if isinstance(v, (pa.Array, pa.ChunkedArray)):
            arrays[name] = v.combine_chunks() if isinstance(v, pa.ChunkedArray) else v
        elif name == "row":
            arrays[name] = pa.array(np.asarray(v, dtype=np.int64))
        elif name in ("lon", "lat"):
            arrays[name] = pa.array(np.asarray(v, dtype=float), from_pandas=True)
        elif name in DISTANCE_COLUMNS or name == "precision_m":
            a = np.asarray(v, dtype=float)
            a = np.where(np.isfinite(a), np.round(a, 3 if name == "precision_m" else 1), np.nan)
            arrays[name] = pa.array(a, from_pandas=True)
        else:
            arrays[name] = text_array(v)
        if name == "verdict":
            codes, messages = _joined_findings(frames.findings, n)
            arrays["finding_codes"] = codes
            arrays["finding_messages"] = messages
    for k, v in frames.extra.items():
        arrays[f"extra.{k}"] = v
    return pa.table(arrays)


def _joined_findings(findings: pd.DataFrame, n: int) -> tuple[pa.Array, pa.Array]:
    """Each frame's finding codes (``;``-joined) and messages (`` | ``-joined), ``""`` for a
    frame without: taken in Arrow for the frames with one finding, joined in Python only for
    the few with several."""
    if len(findings) == 0:
        empty = pa.array([""], type=pa.string())
        return (empty.take(pa.array(np.zeros(n, dtype=np.int64))),) * 2
    pos = findings["pos"].to_numpy()
    counts = np.bincount(pos, minlength=n)
    single = counts[pos] == 1
    codes_all = text_array(findings["code"].to_numpy(dtype=object))
    messages_all = arrow_texts(findings["message"])
    # where each frame takes its text from: a finding of its own (one), "" (none), or the
    # joined texts of its findings (several), appended after the empty string
    take = np.full(n, len(findings), dtype=np.int64)
    take[pos[single]] = np.flatnonzero(single)
    many = np.flatnonzero(~single)
    many = many[np.argsort(pos[many], kind="stable")]  # a frame's findings together, in order
    joined_codes: list[str] = []
    joined_messages: list[str] = []
    if len(many):
        code_list = codes_all.take(pa.array(many)).to_pylist()
        message_list = messages_all.take(pa.array(many)).to_pylist()
        rows = pos[many]
        cut = np.flatnonzero(rows[1:] != rows[:-1]) + 1
        for k, (s, e) in enumerate(zip([0, *cut.tolist()], [*cut.tolist(), len(rows)])):
            joined_codes.append(";".join(code_list[s:e]))
            joined_messages.append(" | ".join(message_list[s:e]))
            take[rows[s]] = len(findings) + 1 + k
    index = pa.array(take)
    codes = pa.concat_arrays([codes_all, pa.array(["", *joined_codes], type=pa.string())])
    messages = pa.concat_arrays([messages_all,
                                 pa.array(["", *joined_messages], type=pa.string())])
    return codes.take(index), messages.take(index)


def frames_frame(frames: Frames):
    """Frames as a GeoDataFrame (flat columns, ``findings`` lists, ``extra.*``, geometry)."""
    import geopandas as gpd  # lazy: start-up time

    n = len(frames)
    data: dict[str, Any] = {}
    for c in FRAME_COLUMNS:
        v = frames.columns[c]
        if isinstance(v, (pa.Array, pa.ChunkedArray)):
            data[c] = pd.Series(v.to_pylist(), dtype=object)
        elif c in DISTANCE_COLUMNS:
            data[c] = np.round(np.asarray(v, dtype=float), 1)
        else:
            data[c] = v
    data["findings"] = finding_lists(frames.findings, n)
    for k, v in frames.extra.items():
        data[f"extra.{k}"] = pd.Series(v.to_pylist(), dtype=object)
    df = pd.DataFrame(data)
    df["row"] = df["row"].astype(np.int64)
    geometry = gpd.points_from_xy(np.asarray(frames.columns["lon"], dtype=float),
                                  np.asarray(frames.columns["lat"], dtype=float), crs="EPSG:4326")
    return gpd.GeoDataFrame(df, geometry=geometry)


def round_or_none(v: float | None, nd: int = 1) -> float | None:
    if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
        return None
    return round(float(v), nd)
