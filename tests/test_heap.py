"""Returning freed memory between batches (:mod:`geoverify.heap`)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from geoverify import heap


@pytest.fixture()
def fake(monkeypatch):
    """A glibc ``malloc_trim`` that counts its calls and frees 50 MB, and a resident size the
    test sets."""
    state = {"rss": 500 << 20, "trims": 0}

    def trim(pad):
        assert pad == 0
        state["trims"] += 1
        state["rss"] -= 50 << 20
        return 1

    monkeypatch.setattr(heap, "_malloc_trim", lambda: trim)
    monkeypatch.setattr(heap, "resident_bytes", lambda: state["rss"])
    return state


def test_give_back_always_trims(fake):
    heap.give_back()
    heap.give_back()
    assert fake["trims"] == 2


def test_slack_trims_only_past_growth(fake):
    release = heap.GiveBack(100 << 20)  # starts from 500 MB
    fake["rss"] = 590 << 20
    release()
    assert fake["trims"] == 0  # grown 90 MB: under the slack
    fake["rss"] = 610 << 20
    release()
    assert fake["trims"] == 1  # grown 110 MB: returned, now at 560 MB
    assert release.after == 560 << 20
    fake["rss"] = 650 << 20
    release()
    assert fake["trims"] == 1  # 90 MB beyond the last return
    fake["rss"] = 700 << 20
    release()
    assert fake["trims"] == 2


def test_without_malloc_trim_nothing_happens(monkeypatch):
    monkeypatch.setattr(heap, "_malloc_trim", lambda: False)
    heap.GiveBack(0)()
    heap.give_back()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/statm is Linux")
def test_resident_bytes_is_this_process():
    with open("/proc/self/status") as fh:
        rss_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
    assert abs(heap.resident_bytes() - rss_kb * 1024) < 64 << 20


def test_gc_paused__off_inside_restored_by_the_last_caller_out():
    import gc
    import threading

    from geoverify.heap import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    # overlapping callers on threads: off until the last one leaves
    inside, leave = threading.Barrier(3), threading.Event()

    def hold():
        with gc_paused():
            inside.wait()
            leave.wait()

    workers = [threading.Thread(target=hold) for _ in range(2)]
    for w in workers:
        w.start()
    inside.wait()
    assert not gc.isenabled()
    leave.set()
    for w in workers:
        w.join()
    assert gc.isenabled()
    # an error inside still restores; a caller that had collection off keeps it off
    try:
        with gc_paused():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_check_a_stream_and_a_map_leave_collection_as_they_found_it(tmp_path):
    import gc

    import geoverify
    from geoverify.run.stream import check_stream

    src = geoverify.example_claims()
    geoverify.check(str(src))
    assert gc.isenabled()
    check_stream(str(src), tmp_path / "o.csv")
    assert gc.isenabled()
    geoverify.build_map(str(src))
    assert gc.isenabled()


def test_small_pages__numpy_stops_asking_for_huge_pages(monkeypatch):
    import numpy as np

    from geoverify.heap import small_pages

    setter = np._core.multiarray._set_madvise_hugepage
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    before = setter(True)
    try:
        small_pages()
        assert setter(True) is False  # what small_pages left
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")  # the user's word wins
        small_pages()
        assert setter(True) is True
    finally:
        setter(before)


def test_the_command_line_runs_with_small_pages():
    code = ("import numpy as np, sys; from geoverify.cli.main import main; "
            "rc = main(['--version']); "
            "print(np._core.multiarray._set_madvise_hugepage(False))")
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"
