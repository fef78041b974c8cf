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


def _check_cover(spans, n):
    assert spans[0][0] == 0 and spans[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert all(s < e for s, e in spans) or n == 0


def test_batch_spans__one_thread_takes_batches_of_the_size_in_order() -> None:
    from geoverify.run.memory import batch_spans

    assert batch_spans(1000, 100, 1) == [(k, k + 100) for k in range(0, 1000, 100)]
    assert batch_spans(0, 100, 1) == [(0, 0)]
    assert batch_spans(90, 100, 2) == [(0, 90)]  # one batch: no threads needed


def test_batch_spans__threads_get_a_small_first_batch_then_rounds_with_a_halved_last_one(
) -> None:
    from geoverify.run.memory import FIRST_ROWS, batch_spans

    for n, rows, workers in [(1_000_000, 49_152, 2), (1_000_000, 49_152, 4), (900, 128, 2),
                             (250_001, 10_000, 3), (50_000, 49_152, 2)]:
        spans = batch_spans(n, rows, workers)
        _check_cover(spans, n)
        sizes = [e - s for s, e in spans]
        assert sizes[0] == min(FIRST_ROWS, rows)
        assert max(sizes) <= rows
        body = sizes[1:]
        if len(body) > workers:  # at least two rounds: the last is cut in halves
            tail = body[-2 * workers:]
            assert max(tail) <= (max(body[:-2 * workers]) + 1) // 2 + 1
        # every round is as many batches as threads
        assert len(body) % workers == 0
