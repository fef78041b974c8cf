"""The Dask executor: the one batch function on a cluster, the same report as a local run.

:func:`check_dask` cuts the input into partitions and runs
:func:`~geoverify.core.batch.check_batch` on each on Dask workers; the client puts the frames
(or the partition files) back in input order and merges the partitions' tallies.

Surviving a lost worker
-----------------------
Every partition can be recomputed by the scheduler: a single file is read and cut on the
client, and each partition's rows travel *in its task* (part of the task graph the scheduler
keeps, never ``scatter``-ed onto one worker); a dataset (directory, glob, list of files) is
read by tasks that read their own file, which the scheduler can rerun. When a worker dies, its
tasks run again elsewhere and the output is identical. A failure the cluster cannot recover
from stops the run: outstanding tasks are cancelled, nothing is left in ``out_dir`` (partition
files are written under a temporary directory and moved into place only when every partition
has succeeded), and :class:`~geoverify.errors.GeoverifyError` says what happened.

Boundaries are not shipped with tasks: the :class:`BoundaryWarmup` worker plugin loads the
named boundary set (from the geoverify installed on the worker) once per worker process.
"""

from __future__ import annotations

import glob as _glob
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoverify.boundaries.control import read_control
from geoverify.core.batch import Frames, check_batch, context
from geoverify.core.result import CheckResult, concat_frames, flat_table
from geoverify.core.table import normalise
from geoverify.core.tally import Tally
from geoverify.errors import ClaimsFileError, ConfigError, GeoverifyError
from geoverify.io.claims import read_table
from geoverify.io.columns import describe_input, require_coordinates
from geoverify.io.writers import to_json, write_text_atomic
from geoverify.run.memory import control_provenance, slice_raw

#: Suffixes taken as Parquet files when the source is a directory (a Parquet dataset).
PARQUET_SUFFIXES = (".parquet", ".pq", ".geoparquet")
#: Name of the report beside the partition files (a leading underscore: Parquet readers such
#: as ``pandas.read_parquet(out_dir)`` and ``pyarrow.dataset`` skip it).
REPORT_NAME = "_report.json"

# ---------------------------------------------------------------------------
# worker side: one load of the boundaries (and their indexes) per worker process

_STATE: dict[str, Any] = {"contexts": {}, "loads": 0}


def warm(name: str = "embedded"):
    """The check context of boundary set ``name`` in this process (loaded once)."""
    from geoverify.boundaries import load_boundaries

    ctx = _STATE["contexts"].get(name)
    if ctx is None:
        ctx = context(load_boundaries(name))
        _STATE["contexts"][name] = ctx
        _STATE["loads"] += 1
    return ctx


def worker_state() -> dict[str, Any]:
    """What this process has loaded (for ``client.run(worker_state)``)."""
    return {"pid": os.getpid(), "loads": _STATE["loads"],
            "boundaries": sorted(_STATE["contexts"])}


try:  # distributed is an optional dependency
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - check_dask raises a clear error instead
    _WorkerPlugin = object


class BoundaryWarmup(_WorkerPlugin):
    """Worker plugin: load the boundary set when the worker starts (or joins)."""

    def __init__(self, name: str = "embedded") -> None:
        self.name = name

    def setup(self, worker=None) -> None:
        warm(self.name)


def plugin_name(name: str) -> str:
    return f"geoverify-boundaries-{name}"


# ---------------------------------------------------------------------------
# tasks


@dataclass
class Part:
    """What a partition task gives back: its frames (no ``out_dir``) or the temporary path of
    its Parquet file, and its tallies."""

    index: int
    rows: int
    first_row: int
    tally: Tally
    frames: Frames | None = None
    tmp: str | None = None


def run_part(raw, start: int, stop: int, first_row: int, index: int, boundaries: str,
             tmp_dir: str | None, control=None, cities_in_regions: bool = False) -> Part:
    """Rows ``start:stop`` of ``raw`` (global rows ``first_row``...) on a worker."""
    ctx = warm(boundaries)
    if (control is not None and ctx.control is not control) or cities_in_regions:
        ctx = context(ctx.boundaries, control, cities_in_regions=cities_in_regions)
    frames = check_batch(normalise(slice_raw(raw, start, stop), first_row=first_row), ctx)
    tally = Tally()
    tally.add(frames.columns)
    part = Part(index, len(frames), first_row, tally)
    if tmp_dir is None:
        part.frames = frames
        return part
    import pyarrow.parquet as pq

    path = Path(tmp_dir) / part_file_name(index)
    pq.write_table(flat_table(frames), path, compression="zstd")
    part.tmp = str(path)
    return part


def read_file(path: str, read_options: dict[str, Any]):
    """Read one file of a dataset on a worker (column mapping applied, coordinates required)."""
    raw = read_table(path, **read_options)
    require_coordinates(raw)
    return raw


def table_meta(raw) -> tuple[int, str, str, dict[str, Any]]:
    return len(raw.data), raw.sha256, raw.path, describe_input(raw)


def part_file_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


# ---------------------------------------------------------------------------
# the result


@dataclass
class DaskCheckResult(CheckResult):
    """A :class:`~geoverify.core.result.CheckResult` plus the partition list and, with
    ``out_dir``, where the partitioned result was written (then the frames stay there:
    ``table`` is None and :meth:`summary_dict` is the report)."""

    partitions: list[dict[str, Any]] = field(default_factory=list)
    out_dir: str | None = None

    def summary_dict(self) -> dict[str, Any]:
        """The report without frames, plus the partition list (what ``_report.json`` holds)."""
        return {**self.header(), "clips": self.clips.to_dict("records"),
                "partitions": [dict(p) for p in self.partitions]}


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
#: every task's Python stack and slows this work down.
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
                          "'geoverify[dask]'") from exc
    if client is not None:
        yield client
        return
    if scheduler is not None and workers is not None:
        raise ConfigError("give either a scheduler address or a number of workers, not both")
    if scheduler is not None:
        try:
            c = distributed.Client(scheduler, timeout="20s")
        except OSError as exc:
            raise ClaimsFileError(f"Dask scheduler {scheduler}: cannot connect ({exc})") from exc
        try:
            yield c
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
            yield c
        finally:
            c.close()
    finally:
        cluster.close()


def _prepare_out_dir(out_dir: str | os.PathLike | None, overwrite: bool) -> Path | None:
    if out_dir is None:
        return None
    p = Path(out_dir)
    if p.exists() and not p.is_dir():
        raise ClaimsFileError(f"output {p} exists and is not a directory")
    if p.exists():
        old = [f for f in p.iterdir() if f.name.startswith("part-") or f.name == REPORT_NAME]
        if old and not overwrite:
            raise ClaimsFileError(
                f"output {p} already holds a result; pass --overwrite to replace it")
    p.mkdir(parents=True, exist_ok=True)
    for stale in p.glob(".geoverify-tmp-*"):  # left by a killed client
        shutil.rmtree(stale, ignore_errors=True)
    return p.resolve()


def check_dask(source: Any, *, out_dir: str | os.PathLike | None = None,
               scheduler: str | None = None, workers: int | None = None,
               boundaries: str = "embedded", rows_per_partition: int = 100_000,
               overwrite: bool = False, client=None, control: Any = None,
               cities_in_regions: bool = False, progress: Callable[[int], None] | None = None,
               **read_options: Any) -> DaskCheckResult:
    """Check claims on a Dask cluster; the same report as :func:`geoverify.check`.

    Parameters
    ----------
    source
        A claims file (read on the client and cut into partitions of ``rows_per_partition``
        rows, each sent with its task), a Parquet dataset directory, a glob
        (``"claims/*.csv"``) or a list of files (read by the workers, one file per task, each
        cut the same way; rows are numbered across the files in order).
    out_dir
        Also write the partitioned result there: ``part-00000.parquet``... (the CSV report's
        columns) and ``_report.json`` (the report without frames, with the partition list);
        the frames are then not gathered on the client.
    scheduler, workers, client
        An existing scheduler's address, a number of local worker processes (default: one per
        CPU), or an existing :class:`distributed.Client` (not closed).
    boundaries
        Name of the boundary set, loaded on each worker from its own installation.
    rows_per_partition
        Rows per task.
    overwrite
        Replace an earlier result in ``out_dir``.
    control
        Optional dated control layer (a path or a GeoDataFrame), as for :func:`geoverify.check`.
    cities_in_regions
        As for :func:`geoverify.check`.
    progress
        Called with the rows of each partition as it completes.
    read_options
        ``fmt``, ``sheet``, ``schema``, ``layer``, ``encoding``, ``columns`` as for
        :func:`geoverify.check`.

    Raises
    ------
    GeoverifyError
        When the run cannot complete (a partition keeps failing, the cluster goes away): the
        outstanding work is cancelled and nothing is written.
    """
    if not isinstance(boundaries, str):
        raise ConfigError("check_dask takes the *name* of a boundary set (each worker loads it "
                          "from its own installation), not a loaded BoundarySet")
    rows_per_partition = int(rows_per_partition)
    if rows_per_partition < 1:
        raise ConfigError(f"rows_per_partition={rows_per_partition}: must be at least 1")
    read_options = {k: v for k, v in read_options.items() if v is not None}
    unknown = set(read_options) - {"fmt", "sheet", "schema", "layer", "encoding", "columns"}
    if unknown:
        raise ConfigError(f"check_dask: unknown option(s) {', '.join(sorted(unknown))}")
    path, files = resolve_source(source)
    control = read_control(control)
    raw = None
    if files is None:
        raw = read_table(path, **read_options)  # hashes the file bytes
        require_coordinates(raw)
    out = _prepare_out_dir(out_dir, overwrite)
    tmp = None
    if out is not None:
        tmp = out / f".geoverify-tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
    try:
        with _dask_client(scheduler, workers, client) as c:
            parts, info, bounds = _run(c, raw, files, path, boundaries, rows_per_partition,
                                       read_options, control, tmp, progress,
                                       bool(cities_in_regions))
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    parts.sort(key=lambda p: p.index)
    tally = Tally()
    for p in parts:
        tally.merge(p.tally)
    partitions = [{"index": p.index, "rows": p.rows, "first_row": p.first_row,
                   "file": part_file_name(p.index) if out is not None else None} for p in parts]
    if out is not None:
        for p in parts:
            os.replace(p.tmp, out / part_file_name(p.index))
        shutil.rmtree(tmp, ignore_errors=True)
        frames = None
    else:
        frames = concat_frames([p.frames for p in parts])
    result = DaskCheckResult(table=frames, clips=tally.frame(), input=info, boundaries=bounds,
                             settings={"cities_in_regions": bool(cities_in_regions)},
                             partitions=partitions, out_dir=None if out is None else str(out))
    if out is not None:
        write_text_atomic(out / REPORT_NAME, to_json(result.summary_dict()), overwrite=True)
    return result


def _run(c, raw, files, path, boundaries, rows_per_partition, read_options, control, tmp,
         progress, cities_in_regions=False):
    import distributed

    c.register_plugin(BoundaryWarmup(boundaries), name=plugin_name(boundaries))
    tmp_dir = None if tmp is None else str(tmp)
    tasks = []
    if raw is not None:
        n = len(raw.data)
        for k, s in enumerate(range(0, n, rows_per_partition) or [0]):
            piece = slice_raw(raw, s, s + rows_per_partition)
            # the rows travel in the task itself: the scheduler can rerun it anywhere
            tasks.append(c.submit(run_part, piece, 0, len(piece.data), s + 1, k, boundaries,
                                  tmp_dir, control, cities_in_regions, pure=False,
                                  key=f"geoverify-part-{k}-"
                                  f"{uuid.uuid4().hex}"))
        info = describe_input(raw)
    else:
        tables = c.map(read_file, files, read_options=read_options, pure=False)
        metas = c.gather(c.map(table_meta, tables, pure=False))
        offset = 0
        k = 0
        manifest = hashlib.sha256()
        for t, (n_file, digest, fpath, _) in zip(tables, metas):
            manifest.update(f"{digest}  {fpath}\n".encode())
            for s in range(0, max(n_file, 1), rows_per_partition):
                stop = min(s + rows_per_partition, n_file)
                tasks.append(c.submit(run_part, t, s, stop, offset + s + 1, k, boundaries,
                                      tmp_dir, control, cities_in_regions, pure=False))
                k += 1
            offset += n_file
        info = {**metas[0][3], "path": path, "sha256": manifest.hexdigest(), "rows": offset}
    parts = []
    try:
        for fut in distributed.as_completed(tasks):
            part = fut.result()
            parts.append(part)
            if progress is not None:
                progress(part.rows)
    except Exception as exc:
        c.cancel(tasks, force=True)
        raise GeoverifyError(
            f"the Dask run could not complete ({type(exc).__name__}: {exc}); the outstanding "
            "work was cancelled and nothing was written") from exc
    bounds = [dict(p) for p in c.submit(_provenance, boundaries, pure=False).result()]
    if control is not None:
        bounds.append(control_provenance(control))
    return parts, info, bounds


def _provenance(name: str) -> list[dict[str, Any]]:
    return [dict(p) for p in warm(name).boundaries.provenance]


__all__ = ["BoundaryWarmup", "DaskCheckResult", "REPORT_NAME", "check_dask", "local_cluster",
           "resolve_source", "run_part", "warm", "worker_state"]
