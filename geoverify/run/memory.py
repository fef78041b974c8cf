"""The in-memory executor: a whole table, cut into batches, checked on a thread pool.

The heavy steps of :func:`~geoverify.core.batch.check_batch` (the quadtree lookups, KD-tree
queries, shapely predicates, Arrow compute) release the GIL, so two threads keep two cores
busy. Each batch is tallied on its thread too; batches and tallies are put back in input
order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from geoverify.codes import CODES, SEVERITIES
from geoverify.core.batch import Frames, check_batch, context, settings_of
from geoverify.core.result import CheckResult, concat_frames
from geoverify.core.swap import swapped_groups
from geoverify.core.table import normalise
from geoverify.core.tally import Tally
from geoverify.gil import short_switch_interval
from geoverify.heap import GiveBack, collect_young, gc_paused
from geoverify.io.columns import describe_input
from geoverify.io.table import raw_from_frame
from geoverify.run.sink import FrameSink

#: Rows per batch: large enough to amortise, small enough to bound temporary memory. A batch
#: costs about 15 us a row whatever its size (16,384 or 65,536 rows), but while it is checked
#: and encoded it holds about 4 KB a row (Arrow text, GEOS and KD-tree temporaries), two
#: batches at a time: a 1,000,000-row check peaked at 1.66-1.73 GB with 65,536-row batches and
#: 1.41 GB with 24,576 (5-10 % slower, in runs side by side). With the per-row work in compiled
#: helpers a batch's fixed costs weigh more (2026-12-03, 1M rows, three interleaved runs: 24,576
#: rows 6.75 s and 1119 MB, 32,768 6.44 s and 1129 MB, 49,152 6.16 s and 1162 MB; 65,536 was no
#: faster and peaked at 1259 MB).
BATCH_ROWS = 49_152
#: Growth of resident memory (bytes) beyond which the freed memory of written batches and
#: stream blocks goes back to the system (:class:`~geoverify.heap.GiveBack`; 0: after every
#: batch). 1,000,000-row stream, four runs each interleaved with a return after every block:
#: 64 MB 9.66 s and 944 MB peak, 128 MB 9.98 s and 959 MB, every block 10.38 s and 946 MB
#: (10,000,000 rows with 128 MB peaked at 983 MB). 1,000,000-row check (three interleaved
#: runs): 64 MB 7.25 s and 1200 MB, every batch 7.87 s and 1161 MB.
TRIM_SLACK = 64 << 20
#: The same for the in-memory executor writing to a sink (``check -o``), whose line is 1.5 GB
#: rather than the stream's 1 GB: 1,000,000-row check, four interleaved runs each (2026-12-03):
#: 64 MB 5.84 s, 9.3 s of CPU and 1212 MB peak; 160 MB 5.64 s, 9.0 s and 1219 MB; 1 GB
#: (never) 5.68 s and 1249 MB.
CHECK_TRIM_SLACK = 160 << 20
#: Rows of the first batch of a parallel run, which runs alone.
FIRST_ROWS = 8_192


def threads() -> int:
    """Worker threads for batches: the machine's cores, at most 4 (``GEOVERIFY_THREADS``)."""
    env = os.environ.get("GEOVERIFY_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(4, os.cpu_count() or 1))


def worker_pool(workers: int) -> ThreadPoolExecutor:
    """A pool of ``workers`` batch threads.

    With more than one, each thread runs its OpenMP loops (pykdtree's KD-tree queries) on
    itself alone: a team of threads per worker oversubscribes the cores, and OpenMP's
    waiting threads spin. Together with the batch cutting of :func:`check_frames`, against
    the code before both (runs interleaved, 2 cores): 1,000,000 rows 3-5 % faster, 100,000
    rows 11 %.
    """
    return ThreadPoolExecutor(max_workers=workers,
                              initializer=_one_openmp_thread if workers > 1 else None)


def _one_openmp_thread() -> None:
    # OpenMP's thread count is per calling thread: set once in each worker, kept for its life
    from threadpoolctl import threadpool_limits  # lazy: start-up time

    threadpool_limits(limits=1, user_api="openmp")


def slice_raw(raw, start: int, stop: int):
    """Rows ``start:stop`` (0-based) of a :class:`~geoverify.io.table.RawTable`, with its
    geometry, problems and notes re-indexed."""
    stop = min(stop, len(raw.data))
    if (start, stop) == (0, len(raw.data)):
        return raw
    return replace(
        raw,
        data=raw.data.iloc[start:stop].reset_index(drop=True),
        geometry=None if raw.geometry is None else list(raw.geometry[start:stop]),
        geometry_problems={i - start: m for i, m in raw.geometry_problems.items()
                           if start <= i < stop},
        row_notes={i - start: m for i, m in raw.row_notes.items() if start <= i < stop},
        meta=dict(raw.meta),
    )


def take_raw(raw, rows):
    """The given rows (0-based positions, in order) of a RawTable."""
    rows = list(rows)
    return replace(
        raw,
        data=raw.data.iloc[rows].reset_index(drop=True),
        geometry=None if raw.geometry is None else [raw.geometry[i] for i in rows],
        geometry_problems={k: raw.geometry_problems[i] for k, i in enumerate(rows)
                           if i in raw.geometry_problems},
        row_notes={k: raw.row_notes[i] for k, i in enumerate(rows) if i in raw.row_notes},
        meta=dict(raw.meta),
    )


#: The frame columns a run that writes its frames to a sink keeps (for the swapped-columns
#: check, ``--fail-on`` and the summary); the findings keep their position, code and severity.
SLIM_COLUMNS = ("row", "clip", "lat", "lon", "claimed", "precision_m", "verdict")


def slim(frames: Frames) -> Frames:
    """The part of a batch's frames that outlives its writing (:data:`SLIM_COLUMNS`).

    The findings' ``code`` and ``severity`` are kept as categoricals (one byte a finding
    instead of a pointer to a Python string): the batches' findings are joined in one pass over
    small integers at the end of the run (a 1,000,000-row check keeps 675,000 findings)."""
    f = frames.findings
    return Frames({c: frames.columns[c] for c in SLIM_COLUMNS}, {},
                  pd.DataFrame({"pos": f["pos"].to_numpy(), "seq": f["seq"].to_numpy(),
                                "code": categorical(f["code"], _CODE_NAMES),
                                "severity": categorical(f["severity"], SEVERITIES)}))


_CODE_NAMES = tuple(CODES)


def categorical(column, known: tuple[str, ...]) -> pd.Categorical:
    """A text column as a categorical whose categories are ``known`` (in that order), plus
    any other value the column holds (sorted, after them): batches that hold only known
    values share their categories, so joining them is a join of their integer codes."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object))  # -1: missing
    names = uniques.tolist()
    extra = sorted(set(names) - set(known))
    where = {name: i for i, name in enumerate((*known, *extra))}
    recode = np.array([where[name] for name in names] + [-1], dtype=np.int16)
    return pd.Categorical.from_codes(recode[codes], categories=[*known, *extra])


def batch_spans(n: int, batch_rows: int, workers: int) -> list[tuple[int, int]]:
    """How :func:`check_frames` cuts ``n`` rows: ``(start, stop)`` of each batch, in order.

    On one thread, batches of ``batch_rows``. On several, a small first batch runs alone (it
    builds the shared indexes once), so the other threads start sooner; the rest is cut into
    equal batches, as many as a multiple of the threads, so that no thread is left with the
    last one alone. The threads drift apart by up to a batch, so the last round is cut in
    halves: at the end, one thread waits for the other for at most half a batch (1,000,000
    rows: 0.2-0.3 s of one idle core before, measured batch by batch)."""
    if workers <= 1 or n <= batch_rows:
        cuts = [0, *range(batch_rows, n, batch_rows), n] if n else [0, 0]
        return list(zip(cuts[:-1], cuts[1:]))
    head = min(FIRST_ROWS, batch_rows, n)
    count = -(-(n - head) // batch_rows)
    count = -(-count // workers) * workers
    size = -(-(n - head) // count)
    cuts = [0, *range(head, n, size), n]
    spans = list(zip(cuts[:-1], cuts[1:]))
    if len(spans) > 2 * workers:  # the first batch and at least two rounds
        last = spans[-workers:]
        spans = spans[:-workers]
        for s, e in last:
            mid = (s + e + 1) // 2
            spans += [(s, mid), (mid, e)] if s < mid < e else [(s, e)]
    return spans


@gc_paused()
def check_frames(raw, ctx, *, first_row: int = 1, batch_rows: int | None = None,
                 progress: Callable[[int], None] | None = None,
                 sink: FrameSink | None = None) -> tuple[Frames, Tally]:
    """Frames of a whole table and their tally, batch by batch (in order), on :func:`threads`
    threads.

    With a ``sink``, each batch is encoded on its thread and written in order as soon as it
    is checked, and only its :func:`slim` part is kept and returned. Automatic garbage
    collection is paused meanwhile (:func:`~geoverify.heap.gc_paused`)."""
    n = len(raw.data)
    batch_rows = batch_rows or BATCH_ROWS
    workers = threads()
    parallel = n > batch_rows and workers > 1
    spans = batch_spans(n, batch_rows, workers if parallel else 1)
    tally = Tally()
    release = GiveBack(CHECK_TRIM_SLACK) if sink is not None else None

    def one(span: tuple[int, int]):
        s, e = span
        part = slice_raw(raw, s, e)
        frames = check_batch(normalise(part, first_row=first_row + s), ctx)
        t = Tally()
        t.add(frames.columns)
        if sink is None:
            return frames, t, None, None
        # the part kept is cut here too, on the batch thread (its heap, not the caller's)
        return frames, t, sink.encode(frames), slim(frames)

    out: list[Frames] = []

    def take(done) -> None:
        frames, t, encoded, kept = done
        if sink is not None:
            sink.put(encoded, frames)
            frames = kept
        out.append(frames)
        tally.merge(t)
        collect_young()  # the cycles a batch left (automatic collection is paused)
        if release is not None:
            release()  # what the batch's full frames and their encoding used
        if progress is not None:
            progress(len(frames))

    if not parallel:
        for span in spans:
            take(one(span))
        return concat_frames(out), tally
    with short_switch_interval():
        # the first batch runs alone, but the helper thread loads and builds beside it
        take(one(spans[0]))
        with worker_pool(workers) as pool:
            for done in pool.map(one, spans[1:]):
                take(done)
            # on a batch thread: its heap holds what the last batches freed, where the
            # calling thread's would have to take fresh pages for the whole table
            whole = pool.submit(concat_frames, out).result()
    return whole, tally


def check_raw(raw, boundaries, *, control=None, input_info: dict[str, Any] | None = None,
              progress: Callable[[int], None] | None = None,
              cities_in_regions: bool = False, sink: FrameSink | None = None) -> CheckResult:
    """Check a table already read: the executor behind :func:`geoverify.check`. With a
    ``sink`` the frames are written to it as they are checked and the result's table keeps
    only :data:`SLIM_COLUMNS`."""
    ctx = context(boundaries, control, cities_in_regions=cities_in_regions)
    frames, tally = check_frames(raw, ctx, progress=progress, sink=sink)
    info = input_info if input_info is not None else describe_input(raw)
    return CheckResult(table=frames, clips=tally.frame, input=info,
                       boundaries=provenance(boundaries, control), settings=settings_of(ctx))


def provenance(boundaries, control=None) -> list[dict[str, Any]]:
    """The boundary provenance a report carries (plus the control layer's, if any)."""
    out = [dict(p) for p in boundaries.provenance]
    if control is not None:
        out.append(control_provenance(control))
    return out


def control_provenance(control) -> dict[str, Any]:
    """Provenance of a dated control layer (a GeoDataFrame, with ``attrs['provenance']`` when
    it was read from a file)."""
    import hashlib

    import shapely

    h = hashlib.sha256()
    for wkb in shapely.to_wkb(control.geometry.values):
        h.update(wkb)
    h.update(control.drop(columns=control.geometry.name).to_csv(index=False).encode("utf-8"))
    digest = h.hexdigest()
    meta = control.attrs.get("provenance", {}) if hasattr(control, "attrs") else {}
    return {"name": meta.get("name", "control"), "level": "CONTROL",
            "source": meta.get("source", "user-supplied dated control layer"),
            "version": meta.get("version", ""), "licence": meta.get("licence", "unknown"),
            "attribution": meta.get("attribution", ""), "sha256": meta.get("sha256", digest),
            "accuracy_m": {}}


def swapped_notes(result: CheckResult, boundaries, *, cities_in_regions: bool = False
                  ) -> list[str]:
    """Notes for the report's ``input`` when the whole file, or most of a clip, fits its claims
    only with latitude and longitude swapped (:mod:`geoverify.core.swap`)."""
    def check(probe):
        res = check_raw(raw_from_frame(probe), boundaries, cities_in_regions=cities_in_regions)
        return list(res.table.columns["verdict"])

    cols = result.input.get("columns") or {}
    return [g.message(cols.get("lat"), cols.get("lon"))
            for g in swapped_groups(result.table.columns, check)]

