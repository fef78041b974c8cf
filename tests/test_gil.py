"""The shorter switch interval of batch threads: set while any caller is inside, restored to
the caller's value when the last one leaves, whatever the overlap."""

from __future__ import annotations

import sys
import threading

import pytest

from geoverify import gil


def test_set_inside_and_restored_after():
    before = sys.getswitchinterval()
    with gil.short_switch_interval(1e-4):
        assert sys.getswitchinterval() == pytest.approx(1e-4)
    assert sys.getswitchinterval() == pytest.approx(before)


def test_overlapping_callers_restore_the_first_callers_value():
    before = sys.getswitchinterval()
    inner = gil.short_switch_interval(1e-4)
    with gil.short_switch_interval(1e-4):
        inner.__enter__()
    # the first caller left while the second is still inside: the interval stays short
    assert sys.getswitchinterval() == pytest.approx(1e-4)
    inner.__exit__(None, None, None)
    assert sys.getswitchinterval() == pytest.approx(before)


def test_restored_after_an_error_and_never_lengthened():
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError), gil.short_switch_interval(1e-4):
        raise RuntimeError("boom")
    assert sys.getswitchinterval() == pytest.approx(before)
    sys.setswitchinterval(1e-5)
    try:
        with gil.short_switch_interval(1e-4):  # shorter already: kept
            assert sys.getswitchinterval() == pytest.approx(1e-5)
    finally:
        sys.setswitchinterval(before)


def test_threads_entering_and_leaving_at_once_leave_it_as_found():
    before = sys.getswitchinterval()
    go = threading.Barrier(8)

    def run():
        go.wait()
        for _ in range(200):
            with gil.short_switch_interval(2e-5):
                pass

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sys.getswitchinterval() == pytest.approx(before)


def test_a_parallel_check_runs_its_batches_under_the_short_interval(monkeypatch, tmp_path):
    from geoverify.run import memory

    seen = []
    real = memory.check_batch

    def spy(*a, **k):
        seen.append(sys.getswitchinterval())
        return real(*a, **k)

    monkeypatch.setattr(memory, "check_batch", spy)
    monkeypatch.setattr(memory, "BATCH_ROWS", 64)
    monkeypatch.setattr(memory, "threads", lambda: 2)
    src = tmp_path / "c.csv"
    src.write_text("lat,lon,claimed\n" + "".join(
        f"{50 + i / 1000:.4f},{36 + i / 1000:.4f},Belgorod oblast\n" for i in range(300)),
        encoding="utf-8")
    before = sys.getswitchinterval()
    import geoverify

    res = geoverify.check(str(src))
    assert len(res.table) == 300
    # every batch of a parallel run runs under the short interval, the first one (alone,
    # before the pool, while the helper thread builds beside it) too; a check may run a small
    # second pass on one thread (the swapped-columns probe), under the default
    assert seen[0] == pytest.approx(gil.BATCH_SWITCH_S)
    short = [s for s in seen if s == pytest.approx(gil.BATCH_SWITCH_S)]
    assert len(short) >= 5 and len(seen) - len(short) == seen.count(before) <= 2
    assert sys.getswitchinterval() == pytest.approx(before)
