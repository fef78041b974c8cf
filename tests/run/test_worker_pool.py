"""Batch threads run pykdtree's OpenMP loops on one thread each (no oversubscription), and
leave the calling thread's OpenMP settings alone."""

from __future__ import annotations

import pykdtree.kdtree  # noqa: F401 - loads the OpenMP runtime that pykdtree uses
from threadpoolctl import threadpool_info

from geoverify.run.memory import worker_pool


def _openmp_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]


def test_worker_pool__each_worker_runs_openmp_on_itself_alone() -> None:
    before = _openmp_threads()
    assert before, "pykdtree's OpenMP runtime is not loaded"
    with worker_pool(2) as pool:
        seen = list(pool.map(lambda _: _openmp_threads(), range(6)))
    assert all(s == [1] * len(before) for s in seen)
    assert _openmp_threads() == before  # the caller keeps its own


def test_worker_pool__one_worker_keeps_openmp_as_it_is() -> None:
    before = _openmp_threads()
    with worker_pool(1) as pool:
        assert pool.submit(_openmp_threads).result() == before
