"""``check`` on a Dask cluster: the same engine, the same report, partitioned input and output.

:func:`check_dask` splits the input into partitions, runs
:func:`geoverify.core.table.normalise_claims` and :func:`geoverify.core.check.run_check` on
each partition on Dask workers, and gathers the frames on the client, where the per-clip
tallies are made over all frames in input order. The
report (``.to_dict()``) is identical to a local ``geoverify.check(source).to_dict()`` for a
single-file source; see ``docs/DASK.md``.

Boundaries are *not* shipped with tasks: a :class:`BoundaryWarmup` worker plugin loads the named
boundary set (from the geoverify installed on the worker) and its prepared indexes once per worker
process into a module-level cache, which every task then uses.
"""

from __future__ import annotations

import glob as _glob
import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoverify._version import __version__
from geoverify.errors import ClaimsFileError, ConfigError

#: Suffixes taken as Parquet files when the source is a directory (a Parquet dataset).
PARQUET_SUFFIXES = (".parquet", ".pq", ".geoparquet")

#: Columns of the per-clip table (as in :func:`geoverify.core.check.run_check`).

# ---------------------------------------------------------------------------
# worker side: one load of the boundaries (and their indexes) per worker process

#: Per-process state: loaded boundary sets by name, and how many times one was loaded.
_STATE: dict[str, Any] = {"boundaries": {}, "loads": 0, "engine_loads": 0}


def warm(name: str = "embedded", *, engine: bool = False):
    """Load the boundary set ``name`` and its indexes into this process (once), and return it.

    ``engine=True`` also loads (or builds and caches on disk) the quadtree engine, used for
    partitions of :data:`geoverify.engine.locate.ENGINE_MIN_POINTS` rows or more.
    """
    from geoverify.api import _load_boundaries
    from geoverify.core.claims import name_index
    from geoverify.engine.locate import prepare

    bset = _STATE["boundaries"].get(name)
    if bset is None:
        bset = _load_boundaries(name)
        prepare(bset)
        name_index(bset)
        _STATE["boundaries"][name] = bset
        _STATE["loads"] += 1
    if engine and ("engine", _engine_depth()) not in bset._cache:
        from geoverify.engine import quadtree as _engine

        _engine.engine_for(bset, tree=prepare(bset).unit_tree)
        _STATE["engine_loads"] += 1
    return bset


def _engine_depth() -> int:
    from geoverify.engine import quadtree as _engine

    return _engine.DEPTH


def worker_state() -> dict[str, Any]:
    """What this process has loaded (for ``client.run(worker_state)``): pid, load counters,
    boundary sets, and the sets whose quadtree engine is in memory."""
    engine = sorted(name for name, b in _STATE["boundaries"].items()
                    if any(isinstance(k, tuple) and k[:1] == ("engine",) for k in b._cache))
    return {"pid": os.getpid(), "loads": _STATE["loads"], "engine_loads": _STATE["engine_loads"],
            "boundaries": sorted(_STATE["boundaries"]), "engine": engine}


try:  # distributed is an optional dependency
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - check_dask raises a clear error instead
    _WorkerPlugin = object


class BoundaryWarmup(_WorkerPlugin):
    """Worker plugin: load the boundary set and its indexes when the worker starts (or joins).

    ``setup`` is idempotent per process (the set is kept in a module-level cache), so
    registering the plugin again for a second run loads nothing more.
    """

    def __init__(self, name: str = "embedded", engine: bool = False) -> None:
        self.name = name
        self.engine = engine

    def setup(self, worker=None) -> None:
        warm(self.name, engine=self.engine)


def plugin_name(name: str) -> str:
    return f"geoverify-boundaries-{name}"


# ---------------------------------------------------------------------------
# partitions


def slice_raw(raw, start: int, stop: int):
    """Rows ``start:stop`` (0-based) of a :class:`~geoverify.io.claims.RawTable`."""
    stop = min(stop, len(raw.data))
    return replace(
        raw,
        data=raw.data.iloc[start:stop].reset_index(drop=True),
        geometry=None if raw.geometry is None else list(raw.geometry[start:stop]),
        geometry_problems={i - start: m for i, m in raw.geometry_problems.items()
                           if start <= i < stop},
        row_notes={i - start: m for i, m in raw.row_notes.items() if start <= i < stop},
        meta=dict(raw.meta),
    )


def _shift_finding(f, local: int, row: int):
    msg = f.message
    head = f"row {local}"
    if msg.startswith(head) and msg[len(head):len(head) + 1] in (":", ","):
        msg = f"row {row}" + msg[len(head):]
    return replace(f, row=row if f.row == local else f.row, message=msg)


def offset_rows(claims: pd.DataFrame, offset: int) -> pd.DataFrame:
    """Normalised claims of a partition renumbered to global rows (``row + offset``).

    :func:`normalise_claims` numbers a partition's rows from 1 and writes that number into its
    finding messages (``"row 3: ..."``, ``"row 3, coordinates: ..."``); both are moved on by
    ``offset`` so the partition reads as rows ``offset+1..`` of the whole input.
    """
    if offset == 0:
        return claims
    from geoverify.core.findings import FindingList

    out = claims.copy()
    local_rows = out["row"].tolist()
    findings = np.empty(len(out), dtype=object)
    for k, (local, fl) in enumerate(zip(local_rows, out["findings"])):
        row = local + offset
        findings[k] = FindingList(row, [_shift_finding(f, local, row) for f in fl])
    out["row"] = out["row"] + offset
    out["findings"] = pd.Series(findings, index=out.index, dtype=object)
    return out


def flat_table(records: list[dict[str, Any]]):
    """Frames as a pyarrow table of strings (:func:`geoverify.io.writers.flat_frame` columns)."""
    import pyarrow as pa

    from geoverify.io.writers import CSV_COLUMNS, flat_frame

    rows = [flat_frame(f) for f in records]
    extra: list[str] = []
    seen: set[str] = set()
    for r in rows:
        for k in r:
            if k.startswith("extra.") and k not in seen:
                seen.add(k)
                extra.append(k)
    cols = [*CSV_COLUMNS, *extra]
    return pa.table({c: pa.array([r.get(c, "") for r in rows], type=pa.string()) for c in cols})


def part_file_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def _write_part(records: list[dict[str, Any]], out_dir: str, index: int) -> str:
    import pyarrow.parquet as pq

    path = Path(out_dir) / part_file_name(index)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(flat_table(records), tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path.name


def run_part(raw, start: int, stop: int, offset: int, index: int, boundaries: str,
             out_dir: str | None, engine: bool = False, control=None) -> dict[str, Any]:
    """One partition on a worker: rows ``start:stop`` of ``raw`` as global rows ``offset+1..``.

    Returns ``{"index", "rows", "first_row", "file", "frames"}`` (frames as in the JSON
    report); with ``out_dir`` the partition's Parquet file is written there too.
    """
    from geoverify.core.check import frame_records, run_check
    from geoverify.core.table import normalise_claims

    bset = warm(boundaries, engine=engine)
    part = slice_raw(raw, start, stop) if (start, stop) != (0, len(raw.data)) else raw
    claims = offset_rows(normalise_claims(part), offset)
    res = run_check(claims, bset, input_info={"path": raw.path, "sha256": raw.sha256,
                                              "rows": len(claims)}, control=control)
    records = frame_records(res.frames)
    name = _write_part(records, out_dir, index) if out_dir is not None else None
    return {"index": index, "rows": len(records), "first_row": offset + 1, "file": name,
            "frames": records}


def read_part_table(path: str, read_options: dict[str, Any]):
    """Read one file of a dataset on a worker (the table stays there for :func:`run_part`)."""
    from geoverify.io.claims import read_table

    return read_table(path, **read_options)


def table_meta(raw) -> tuple[int, str, str]:
    return len(raw.data), raw.sha256, raw.path


def boundary_provenance(name: str) -> list[dict[str, Any]]:
    return [dict(p) for p in warm(name).provenance]


# ---------------------------------------------------------------------------
# the result


@dataclass
class DaskCheckResult:
    """The outcome of :func:`check_dask`; ``to_dict()`` is the same report as ``check``'s.

    Attributes
    ----------
    frame_dicts
        The frames as plain dicts (JSON contract), in input order, rows numbered globally.
    clips
        DataFrame, one row per clip in order of first appearance (tallied on the client).
    input, boundaries
        As in :class:`geoverify.core.check.CheckResult`.
    partitions
        One dict per partition: ``index``, ``rows``, ``first_row``, ``file`` (Parquet file
        name in ``out_dir``, or ``None``).
    out_dir
        Where the partitioned Parquet result and ``report.json`` were written, or ``None``.
    """

    frame_dicts: list[dict[str, Any]]
    clips: pd.DataFrame
    input: dict[str, Any]
    boundaries: list[dict[str, Any]]
    partitions: list[dict[str, Any]] = field(default_factory=list)
    out_dir: str | None = None

    @property
    def frames(self):
        """The frames as a GeoDataFrame (built on demand), as ``CheckResult.frames``."""
        from geoverify.core.check import frames_frame

        return frames_frame(self.frame_dicts)

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (see ``geoverify/schema/report.schema.json``)."""
        return {
            "geoverify_version": __version__,
            "input": dict(self.input),
            "boundaries": [dict(b) for b in self.boundaries],
            "frames": list(self.frame_dicts),
            "clips": self.clips.to_dict("records"),
        }

    def summary_dict(self) -> dict[str, Any]:
        """The report without frames, plus the partition list (what ``report.json`` holds)."""
        return {
            "geoverify_version": __version__,
            "input": dict(self.input),
            "boundaries": [dict(b) for b in self.boundaries],
            "clips": self.clips.to_dict("records"),
            "partitions": [dict(p) for p in self.partitions],
        }


# ---------------------------------------------------------------------------
# the client side


def resolve_source(source: Any) -> tuple[str, list[str] | None]:
    """``(path_as_given, files)``: ``files`` is ``None`` for a single file, else the dataset's
    files in order (a directory: its Parquet files, recursively, sorted by relative path; a glob:
    the sorted matches; a list/tuple: as given)."""
    if isinstance(source, (list, tuple)):
        files = [str(p) for p in source]
        if not files:
            raise ClaimsFileError("claims dataset: the list of files is empty")
        return ", ".join(files), files
    name = str(source)
    p = Path(name)
    if p.is_dir():
        files = sorted((str(f) for f in p.rglob("*")
                        if f.is_file() and f.suffix.lower() in PARQUET_SUFFIXES
                        and not any(part.startswith((".", "_"))
                                    for part in f.relative_to(p).parts)),
                       key=lambda s: Path(s).relative_to(p).as_posix())
        if not files:
            raise ClaimsFileError(f"claims dataset {name}: no Parquet files in this directory")
        return name, files
    if any(ch in name for ch in "*?[") and not p.exists():
        files = sorted(_glob.glob(name, recursive=True))
        files = [f for f in files if Path(f).is_file()]
        if not files:
            raise ClaimsFileError(f"claims dataset {name}: the pattern matches no files")
        return name, files
    return name, None


#: Dask settings for the workers of a local cluster: the worker's statistical profiler samples
#: every task's Python stack and roughly doubles the time of this (pure-Python-heavy) work.
WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


def local_cluster(n_workers: int, **kwargs: Any):
    """A ``distributed.LocalCluster`` of ``n_workers`` single-threaded processes on 127.0.0.1,
    without a dashboard and with the worker profiler off (:data:`WORKER_CONFIG`)."""
    import dask
    import distributed

    opts = {"n_workers": n_workers, "threads_per_worker": 1, "processes": True,
            "host": "127.0.0.1", "dashboard_address": None, **kwargs}
    with dask.config.set(WORKER_CONFIG):
        return distributed.LocalCluster(**opts)


@contextmanager
def _dask_client(scheduler: str | None, workers: int | None, client=None):
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover
        raise ConfigError("--engine dask needs the 'distributed' package: pip install "
                          "'dask[distributed]'") from exc
    if client is not None:
        yield client, False
        return
    if scheduler is not None and workers is not None:
        raise ConfigError("give either a scheduler address or a number of workers, not both")
    if scheduler is not None:
        c = distributed.Client(scheduler)
        try:
            yield c, False
        finally:
            c.close()
        return
    n = int(workers) if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise ConfigError(f"workers={workers!r}: need at least one worker")
    cluster = local_cluster(n)
    try:
        c = distributed.Client(cluster)
        try:
            yield c, True
        finally:
            c.close()
    finally:
        cluster.close()


def _prepare_out_dir(out_dir: str | os.PathLike | None, overwrite: bool) -> str | None:
    if out_dir is None:
        return None
    p = Path(out_dir)
    if p.exists() and not p.is_dir():
        raise ClaimsFileError(f"output {p} exists and is not a directory")
    if p.exists():
        old = [f for f in p.iterdir() if f.name.startswith("part-") or f.name == "report.json"]
        if old and not overwrite:
            raise ClaimsFileError(
                f"output {p} already holds a result; pass --overwrite to replace it")
        for f in old:
            f.unlink()
    p.mkdir(parents=True, exist_ok=True)
    return str(p.resolve())


def check_dask(source: Any, *, out_dir: str | os.PathLike | None = None,
               scheduler: str | None = None, workers: int | None = None,
               boundaries: str = "embedded", rows_per_partition: int = 100_000,
               overwrite: bool = False, client=None, control: Any = None,
               **read_options: Any) -> DaskCheckResult:
    """Check claims on a Dask cluster; same report as :func:`geoverify.check`.

    Parameters
    ----------
    source
        A claims file (read on the client, split into partitions of ``rows_per_partition``
        rows), a Parquet dataset directory, a glob (``"claims/*.csv"``) or a list of files
        (read by the workers, one file at a time, each split the same way; rows are numbered
        across the files in order).
    out_dir
        Also write the partitioned result there: ``part-00000.parquet``... (one per
        partition, flat text columns as in the CSV report) and ``report.json`` (the report
        without frames, with the partition list).
    scheduler
        Address of an existing scheduler (``tcp://host:8786``).
    workers
        Start a local cluster of this many single-threaded worker processes on 127.0.0.1
        (closed afterwards). Default when neither is given: one per CPU.
    boundaries
        Name of the boundary set, loaded on each worker from its own installation.
    rows_per_partition
        Rows per task.
    overwrite
        Replace an earlier result in ``out_dir``.
    client
        An existing :class:`distributed.Client` to use instead (not closed).
    control
        Optional dated control layer (a path or a GeoDataFrame), as for
        :func:`geoverify.check`; read on the client and sent once to every worker.
    read_options
        ``fmt``, ``sheet``, ``schema``, ``layer``, ``encoding`` as for :func:`geoverify.check`.
    """
    from geoverify.core.check import CLIP_COLUMNS
    from geoverify.core.tally import tally_by_clip
    from geoverify.engine.locate import ENGINE_MIN_POINTS
    from geoverify.io.claims import read_table
    from geoverify.io.writers import to_json, write_text_atomic

    if not isinstance(boundaries, str):
        raise ConfigError("check_dask takes the *name* of a boundary set (each worker loads it "
                          "from its own installation), not a loaded BoundarySet")
    rows_per_partition = int(rows_per_partition)
    if rows_per_partition < 1:
        raise ConfigError(f"rows_per_partition={rows_per_partition}: must be at least 1")
    read_options = {k: v for k, v in read_options.items() if v is not None}
    unknown = set(read_options) - {"fmt", "sheet", "schema", "layer", "encoding"}
    if unknown:
        raise ConfigError(f"check_dask: unknown option(s) {', '.join(sorted(unknown))}")
    path, files = resolve_source(source)
    from geoverify.api import _control_layer
    from geoverify.core.check import _control_provenance

    control = _control_layer(control)
    raw = read_table(path, **read_options) if files is None else None  # hashes the file bytes
    out = _prepare_out_dir(out_dir, overwrite)
    use_engine = rows_per_partition >= ENGINE_MIN_POINTS

    with _dask_client(scheduler, workers, client) as (c, own_cluster):
        if use_engine:
            # one worker first: it builds the engine's disk cache if missing, so the others
            # (on the same machine) only load it
            first = sorted(c.scheduler_info()["workers"])[:1]
            c.submit(warm, boundaries, engine=True, workers=first, pure=False).result()
        c.register_plugin(BoundaryWarmup(boundaries, engine=use_engine),
                          name=plugin_name(boundaries))
        provenance = c.submit(boundary_provenance, boundaries, pure=False)
        ctl = c.scatter(control, broadcast=True, hash=False) if control is not None else None
        tasks = []
        if raw is not None:
            n = len(raw.data)
            starts = list(range(0, n, rows_per_partition)) or [0]
            slices = [slice_raw(raw, s, s + rows_per_partition) for s in starts]
            futs = c.scatter(slices, hash=False)
            for k, (s, f) in enumerate(zip(starts, futs)):
                tasks.append(c.submit(run_part, f, 0, len(slices[k].data), s, k, boundaries,
                                      out, use_engine, ctl, pure=False))
            info = {"path": raw.path, "sha256": raw.sha256, "rows": n}
        else:
            tables = c.map(read_part_table, files, read_options=read_options, pure=False)
            metas = c.gather(c.map(table_meta, tables, pure=False))
            offset = 0
            k = 0
            manifest = hashlib.sha256()
            for t, (n_file, digest, fpath) in zip(tables, metas):
                manifest.update(f"{digest}  {fpath}\n".encode())
                for s in range(0, max(n_file, 1), rows_per_partition):
                    stop = min(s + rows_per_partition, n_file)
                    tasks.append(c.submit(run_part, t, s, stop, offset + s, k, boundaries, out,
                                          use_engine, ctl, pure=False))
                    k += 1
                offset += n_file
            info = {"path": path, "sha256": manifest.hexdigest(), "rows": offset}
        parts = c.gather(tasks)
        bounds = provenance.result()
        if control is not None:
            bounds.append(_control_provenance(control))
        del tasks

    frames: list[dict[str, Any]] = []
    partitions = []
    for p in parts:
        frames.extend(p.pop("frames"))
        partitions.append(p)
    clips = pd.DataFrame(tally_by_clip(frames), dtype=object, columns=CLIP_COLUMNS)
    result = DaskCheckResult(frame_dicts=frames, clips=clips, input=info, boundaries=bounds,
                             partitions=partitions, out_dir=out)
    if out is not None:
        write_text_atomic(Path(out) / "report.json", to_json(result.summary_dict()),
                          overwrite=True)
    return result


__all__ = ["BoundaryWarmup", "DaskCheckResult", "check_dask", "flat_table", "local_cluster",
           "offset_rows", "resolve_source", "run_part", "slice_raw", "warm", "worker_state"]
