"""Per-clip tallies and the one-line summary a researcher can quote.

:class:`Tally` counts frames per clip batch by batch (in memory, streaming and Dask runs feed it
the same way; tallies of partitions merge in input order), so the counts never need the frames
kept. Distinct frame ids, which the summary's "in N frames" needs, are kept as 64-bit hashes
per clip: memory grows with the number of distinct frame ids (8 bytes each), never with rows.
They are kept as a few sorted runs (:class:`FrameSet`), so that merging a batch costs time in
proportion to the batch, not to every frame id seen so far.

A tally costs about 2.8 KB a clip in memory. A streaming run over a file with a new clip id on
every row would grow without end, so a tally made with ``spill=True`` keeps at most
:data:`SPILL_CLIPS` clips in memory: beyond that it writes them to a private temporary
directory, in :data:`SPILL_PARTS` partitions by a hash of the clip id. Its records are then
read back one partition at a time (each clip's pieces merged in the order they were counted,
so the result is the same as in memory) and handed out in order of first appearance by a merge
of the partitions (:meth:`Tally.iter_records`).
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import pickle
import shutil
import tempfile
import weakref
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geoverify.arrowtext import distinct_codes, hash_texts, text_array

NO_CLIP = "(no clip)"

#: Clips a spilling tally keeps in memory (about 2.8 KB each) before it writes them to disk.
SPILL_CLIPS = 100_000
#: Partitions of the spilled clips: the last step holds one partition's clips at a time.
SPILL_PARTS = 256
#: Records per pickle in a spilled tally's sorted partitions (what each partition holds in
#: memory while the partitions are merged).
RECORD_CHUNK = 512

#: Columns of the per-clip table, in order.
CLIP_COLUMNS = ["clip", "rows", "by_country", "by_adm1", "by_verdict", "by_role", "summary"]


def _counts_dict(c: dict[str, int]) -> dict[str, int]:
    if len(c) < 2:  # most counts of a clip of one row
        return dict(c)
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


class _Counts:
    # slots and plain dicts, not a dataclass of Counters: a file with a clip per row makes
    # one of these per row (a dataclass's default factories took half of counting them), and
    # a spilled tally pickles plain dicts at C speed (a Counter pickles through Python code)
    __slots__ = ("rows", "by_country", "by_adm1", "by_verdict")

    def __init__(self) -> None:
        self.rows = 0
        self.by_country: dict[str, int] = {}
        self.by_adm1: dict[str, int] = {}
        self.by_verdict: dict[str, int] = {}

    def __reduce__(self):
        return _counts_from, (self.rows, self.by_country, self.by_adm1, self.by_verdict)

    def merge(self, o: _Counts) -> None:
        self.rows += o.rows
        _add(self.by_country, o.by_country)
        _add(self.by_adm1, o.by_adm1)
        _add(self.by_verdict, o.by_verdict)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "by_country": _counts_dict(self.by_country),
                "by_adm1": _counts_dict(self.by_adm1),
                "by_verdict": _counts_dict(self.by_verdict)}


def _add(counts: dict[str, int], other: dict[str, int]) -> None:
    for k, n in other.items():
        counts[k] = counts.get(k, 0) + n


def _add_one(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def _merge_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The distinct values of two sorted arrays of distinct hashes, sorted.

    A stable sort of the two runs one after the other is a linear merge (NumPy 2.4's
    ``np.union1d`` hashes every value instead: 1.7 s for two million, against 4 ms to sort).
    """
    c = np.concatenate([a, b])
    c.sort(kind="stable")
    if len(c) < 2:
        return c
    keep = np.empty(len(c), dtype=bool)
    keep[0] = True
    np.not_equal(c[1:], c[:-1], out=keep[1:])
    return c[keep]


class FrameSet:
    """Distinct 64-bit frame hashes of one clip, as sorted runs of distinct values.

    A batch's hashes become a new run; the last two runs merge while the earlier is less than
    twice the size of the later, so runs shrink at least by half from first to last: at most
    about ``log2(distinct)`` runs, and each hash is merged about ``log2`` times in all. A
    1M-row stream of one clip with a new frame id on every row spent 0.08 s merging tallies,
    against 24.8 s when the whole set was merged again for every block (2026-12-03).
    ``moved`` counts the values merged so far.
    """

    __slots__ = ("runs", "moved")

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []
        self.moved = 0

    def add(self, run: np.ndarray) -> None:
        """Take a sorted array of distinct hashes (kept, not copied)."""
        if not len(run):
            return
        runs = self.runs
        runs.append(run)
        while len(runs) > 1 and len(runs[-2]) < 2 * len(runs[-1]):
            self._merge_last()

    def update(self, other: FrameSet) -> None:
        """Take the runs of ``other`` (not to be used afterwards)."""
        for run in other.runs:
            self.add(run)

    def __len__(self) -> int:
        """The number of distinct hashes (the runs are merged into one)."""
        while len(self.runs) > 1:
            self._merge_last()
        return len(self.runs[0]) if self.runs else 0

    def __getstate__(self):
        # bytes, not arrays: a spilled tally pickles one run per clip, and an array pickles
        # through Python code
        return [run.tobytes() for run in self.runs], self.moved

    def __setstate__(self, state) -> None:
        runs, self.moved = state
        self.runs = [np.frombuffer(r, dtype=np.uint64).copy() for r in runs]

    def _merge_last(self) -> None:
        b = self.runs.pop()
        a = self.runs.pop()
        self.moved += len(a) + len(b)
        self.runs.append(_merge_sorted(a, b))


class _Clip:
    __slots__ = ("counts", "roles", "places", "labels", "claimed", "n_frames", "frame_hashes",
                 "seq")

    def __init__(self) -> None:
        self.counts = _Counts()
        self.roles: dict[str, _Counts] = {}
        self.places: dict[str, int] = {}
        self.labels: dict[str, str] = {}
        self.claimed: list[str] = []
        self.n_frames = 0
        self.frame_hashes = FrameSet()
        self.seq = 0  # order of first appearance in the tally that holds it

    def __reduce__(self):
        # a tuple of plain values: pickled and read back several times faster than the
        # slots of nested objects (a spilled tally writes every clip once or more)
        c = self.counts
        return _clip_from, (c.rows, c.by_country, c.by_adm1, c.by_verdict, self.roles or None,
                            self.places, self.labels, self.claimed, self.n_frames,
                            self.frame_hashes.__getstate__(), self.seq)

    def merge(self, o: _Clip) -> None:
        self.counts.merge(o.counts)
        for r, c in o.roles.items():
            self.roles.setdefault(r, _Counts()).merge(c)
        _add(self.places, o.places)
        for k, v in o.labels.items():
            self.labels.setdefault(k, v)
        for t in o.claimed:
            if t not in self.claimed and len(self.claimed) < 2:
                self.claimed.append(t)
        self.n_frames += o.n_frames
        self.frame_hashes.update(o.frame_hashes)


def _counts_from(rows, by_country, by_adm1, by_verdict) -> _Counts:
    c = _Counts.__new__(_Counts)
    c.rows, c.by_country, c.by_adm1, c.by_verdict = rows, by_country, by_adm1, by_verdict
    return c


def _clip_from(rows, by_country, by_adm1, by_verdict, roles, places, labels, claimed,
               n_frames, frames, seq) -> _Clip:
    p = _Clip.__new__(_Clip)
    p.counts = _counts_from(rows, by_country, by_adm1, by_verdict)
    p.roles = roles if roles is not None else {}
    p.places, p.labels, p.claimed, p.n_frames, p.seq = places, labels, claimed, n_frames, seq
    p.frame_hashes = FrameSet.__new__(FrameSet)
    p.frame_hashes.__setstate__(frames)
    return p


def _arrow(values, n: int) -> pa.Array:
    """A frame column as an Arrow string array (nulls for missing values)."""
    if values is None:
        return pa.nulls(n, pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = text_array(values)
    return values if values.type == pa.string() else values.cast(pa.string())


def _groups(t: pa.Table, keys: list[str]) -> list[tuple]:
    """(key values..., count) per distinct combination of ``keys``, in order of appearance."""
    g = t.select(keys).group_by(keys, use_threads=False).aggregate([([], "count_all")])
    return list(zip(*(g.column(k).to_pylist() for k in keys), g.column("count_all").to_pylist()))


class Tally:
    """Per-clip tallies, accumulated from frame columns in input order.

    ``spill``: keep at most :data:`SPILL_CLIPS` clips in memory and write the others to a
    temporary directory (see the module docstring); for runs whose memory must not grow with
    the number of clips (``check --stream``).
    """

    def __init__(self, spill: bool = False) -> None:
        self.clips: dict[Any, _Clip] = {}
        self._spill = spill
        self._next = 0  # sequence number of the next clip first seen
        self._dir: Path | None = None
        self._cleanup: weakref.finalize | None = None
        self.spilled = 0  # clips written to disk so far (a clip seen again counts again)

    def add(self, columns: dict[str, Any]) -> None:
        """Count a batch of frames (the columns of :class:`~geoverify.core.batch.Frames`).

        Grouped by Arrow's hash aggregation: the work per row is in C, Python sees one entry
        per distinct (clip, value) pair.
        """
        n = len(columns["row"])
        if n == 0:
            return
        clip = _arrow(columns["clip"], n)
        # the clips in order of first appearance (a null clip is one of them) and each row's
        # clip as a number: one hash pass, for the row counts and the frame ids below
        keys, clip_no = distinct_codes(clip)
        t = pa.table({
            "clip": clip,
            "country": _arrow(columns["country_code"], n),
            "country_name": _arrow(columns["country_name"], n),
            "adm1": _arrow(columns["adm1_code"], n),
            "adm1_name": _arrow(columns["adm1_name"], n),
            "verdict": _arrow(columns["verdict"], n),
            "role": _arrow(columns["role"], n),
            "claimed": _arrow(columns["claimed"], n),
            "frame": _arrow(columns["frame"], n),
        })
        part: dict[Any, _Clip] = {k: _Clip() for k in keys}
        for k, c in zip(keys, np.bincount(clip_no, minlength=len(keys)).tolist()):
            part[k].counts.rows = c
        for k, v, c in _groups(t, ["clip", "verdict"]):
            if v is not None:
                _add_one(part[k].counts.by_verdict, v, c)
        if t.column("role").null_count < n:
            for k, r, c in _groups(t, ["clip", "role"]):
                if r is not None:
                    part[k].roles.setdefault(r, _Counts()).rows += c
            for col, attr in (("country", "by_country"), ("adm1", "by_adm1"),
                              ("verdict", "by_verdict")):
                for k, r, v, c in _groups(t, ["clip", "role", col]):
                    if r is not None and v is not None:
                        _add_one(getattr(part[k].roles[r], attr), v, c)
        # places: the region, else the country; labelled "name (country)". The counts by
        # country and by region come from the same groups: a clip's countries (regions) are met
        # in the order of their first rows, as a group by (clip, country) would list them
        for k, cc, a, a_name, c_name, c in _groups(
                t, ["clip", "country", "adm1", "adm1_name", "country_name"]):
            p = part[k]
            if cc is not None:
                _add_one(p.counts.by_country, cc, c)
            if a is not None:
                _add_one(p.counts.by_adm1, a, c)
            place = a if a is not None else cc
            if place is None:
                continue
            code = cc if cc is not None else str(a).split("-")[0]  # a region on a border
            _add_one(p.places, place, c)
            p.labels.setdefault(place, f"{a_name if a is not None else c_name} ({code})")
        claims = t.select(["clip", "claimed"]).filter(pc.is_valid(t.column("claimed")))
        if len(claims):
            for k, v, _ in _groups(claims, ["clip", "claimed"]):
                if len(part[k].claimed) < 2:
                    part[k].claimed.append(v)
        frame = t.column("frame").combine_chunks()
        has_frame = pc.is_valid(frame)
        if has_frame.true_count:
            # distinct frame ids per clip, as hashes: one vectorised hash for the batch, then
            # one sort (per-clip calls cost seconds with tens of thousands of clips)
            with_frame = np.asarray(has_frame.to_numpy(zero_copy_only=False), dtype=bool)
            code = clip_no[with_frame]
            n_rows = np.bincount(code, minlength=len(keys))
            h = hash_texts(frame.filter(has_frame))
            order = np.lexsort((h, code))
            code, h = code[order], h[order]
            first = np.ones(len(h), dtype=bool)
            first[1:] = (code[1:] != code[:-1]) | (h[1:] != h[:-1])
            code, h = code[first], h[first]
            cuts = np.searchsorted(code, np.arange(len(keys) + 1))
            for j, k in enumerate(keys):
                p = part[k]
                p.n_frames += int(n_rows[j])
                p.frame_hashes.add(h[cuts[j]:cuts[j + 1]].copy())  # not a view of the batch
        self._take(part)

    def merge(self, other: Tally) -> None:
        """Add another tally of later rows (clip order: first appearance in this one first).
        ``other`` is not to be used afterwards: its clips may become this tally's."""
        self._take(other.clips)

    def _take(self, clips: dict[Any, _Clip]) -> None:
        for key, p in clips.items():
            mine = self.clips.get(key)
            if mine is None:  # a clip first seen now: its counts are the whole of it so far
                p.seq = self._next
                self._next += 1
                self.clips[key] = p
            else:
                mine.merge(p)
        if self._spill and len(self.clips) > SPILL_CLIPS:
            self._spill_clips()

    # -- spilling ------------------------------------------------------------------------------
    def _spill_clips(self) -> None:
        """Append every clip in memory to its partition file and forget it."""
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="geoverify-tally-"))  # mode 0700
            self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._dir), True)
        parts: dict[int, list] = {}
        for key, p in self.clips.items():
            parts.setdefault(_part_of(key), []).append((key, p))
        with _no_gc():
            for part, entries in parts.items():
                with open(self._dir / f"{part}.clips", "ab") as fh:
                    _dump(entries, fh)
        self.spilled += len(self.clips)
        self.clips = {}

    def discard(self) -> None:
        """Remove the spilled clips from disk now (an abandoned run: the process may end
        with ``os._exit``, which runs no finalizers)."""
        if self._cleanup is not None:
            self._cleanup()

    def _spilled_records(self) -> Iterator[dict[str, Any]]:
        try:
            yield from self._read_back()
        finally:  # read to the end, closed early, or failed: the directory goes
            self.discard()

    def _read_back(self) -> Iterator[dict[str, Any]]:
        assert self._dir is not None
        # the clips still in memory join their partitions here, not through the disk
        in_memory: dict[int, list] = {}
        for key, p in self.clips.items():
            in_memory.setdefault(_part_of(key), []).append((key, p))
        self.clips = {}
        ready = []
        for part in range(SPILL_PARTS):
            src = self._dir / f"{part}.clips"
            pieces = []
            if src.exists():
                # written by this tally, in its private directory; the objects read back hold
                # no cycles, and the collector's passes over them cost three times the reading
                with open(src, "rb") as fh, _no_gc():
                    while True:
                        try:
                            pieces.extend(pickle.load(fh))  # noqa: S301
                        except EOFError:
                            break
                src.unlink()
            pieces.extend(in_memory.pop(part, ()))
            if not pieces:
                continue
            merged: dict[Any, _Clip] = {}
            # a clip's pieces in the order they were counted: the same merges as in memory
            pieces.sort(key=lambda kp: kp[1].seq)
            for key, p in pieces:
                mine = merged.get(key)
                if mine is None:
                    merged[key] = p
                else:
                    mine.merge(p)
            del pieces
            done = self._dir / f"{part}.records"
            with open(done, "wb") as fh, _no_gc():
                chunk = []
                for key, p in merged.items():  # first appearances in order: seq ascending
                    chunk.append((p.seq, _record(key, p)))
                    if len(chunk) == RECORD_CHUNK:
                        _dump(chunk, fh)
                        chunk = []
                if chunk:
                    _dump(chunk, fh)
            del merged
            ready.append(done)
        for _, rec in heapq.merge(*(_read_records(f) for f in ready), key=lambda sr: sr[0]):
            yield rec

    def iter_records(self) -> Iterator[dict[str, Any]]:
        """The records of :meth:`records` one at a time; a spilled tally reads them back from
        disk (once: the tally is used up afterwards)."""
        if self._dir is not None:
            yield from self._spilled_records()
            return
        for key, p in self.clips.items():
            yield _record(key, p)

    def records(self) -> list[dict[str, Any]]:
        """One dict per clip, in order of first appearance (the JSON report's ``clips``)."""
        return list(self.iter_records())

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records(), dtype=object, columns=CLIP_COLUMNS)


def _dump(obj: Any, fh) -> None:
    """Pickle without the memo: spilled clips share no objects that need it and hold no
    cycles, and a memo of every string and dict of 100,000 clips made pickling them three
    times slower."""
    pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(obj)


@contextlib.contextmanager
def _no_gc():
    """The cyclic garbage collector paused (if it was running) for a block that makes or
    pickles many small containers without cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _part_of(key: Any) -> int:
    """The spill partition of a clip id (stable across runs and processes)."""
    return zlib.crc32(repr(key).encode("utf-8", "surrogatepass")) % SPILL_PARTS


def _record(key: Any, p: _Clip) -> dict[str, Any]:
    counts = p.counts.as_dict()
    by_role = {r: p.roles[r].as_dict() for r in sorted(p.roles)}
    return {"clip": key, **counts, "by_role": by_role, "summary": summarise(key, p, counts)}


def _read_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with open(path, "rb") as fh:
        while True:
            try:
                with _no_gc():
                    chunk = pickle.load(fh)  # noqa: S301 (written by this tally, see above)
            except EOFError:
                return
            yield from chunk


def summarise(clip: Any, p: _Clip, counts: dict[str, Any]) -> str:
    """E.g. "MoD clip: 6 locations; 4 in Sumy Oblast (UA), 2 in Belgorod Oblast (RU);
    4 of 6 contradict the claim 'Belgorod oblast'"."""
    n = counts["rows"]
    label = clip if clip is not None else NO_CLIP
    distinct = len(p.frame_hashes)
    head = f"{label}: {n} location{'s' if n != 1 else ''}"
    if p.n_frames and distinct < p.n_frames:
        head += f" in {distinct} frame{'s' if distinct != 1 else ''}"
    parts = [head]
    if p.places:
        parts.append(", ".join(f"{c} in {p.labels[k]}" for k, c in
                               sorted(p.places.items(), key=lambda kv: (-kv[1], p.labels[kv[0]]))))
    v = counts["by_verdict"]
    judged = sum(v.get(k, 0) for k in ("match", "mismatch", "ambiguous", "outside", "disputed"))
    if judged:
        target = f"the claim '{p.claimed[0]}'" if len(p.claimed) == 1 else "their claims"
        bits = [f"{v.get('mismatch', 0) + v.get('outside', 0)} of {n} contradict {target}"]
        if v.get("ambiguous"):
            bits.append(f"{v['ambiguous']} too close to a border to tell")
        if v.get("disputed"):
            bits.append(f"{v['disputed']} in disputed territory")
        parts.append("; ".join(bits))
    rest = [f"{v[k]} {k}" for k in ("unlocated", "unresolved", "unclaimed") if v.get(k)]
    if rest:
        parts.append(", ".join(rest))
    return "; ".join(parts)


def tally_by_clip(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tally frames given as dicts of the JSON report (kept for callers with such dicts)."""
    cols = {
        "row": [f.get("row") for f in frames], "clip": [f.get("clip") for f in frames],
        "country_code": [(f.get("country") or {}).get("code") for f in frames],
        "country_name": [(f.get("country") or {}).get("name") for f in frames],
        "adm1_code": [(f.get("adm1") or {}).get("code") for f in frames],
        "adm1_name": [(f.get("adm1") or {}).get("display") or (f.get("adm1") or {}).get("name")
                      for f in frames],
        "verdict": [f.get("verdict") for f in frames], "role": [f.get("role") for f in frames],
        "claimed": [f.get("claimed") for f in frames], "frame": [f.get("frame") for f in frames],
    }
    t = Tally()
    t.add(cols)
    return t.records()
