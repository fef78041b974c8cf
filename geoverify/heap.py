"""Giving freed memory back to the system between batches.

A run over a million rows frees hundreds of megabytes a batch at a time, and two allocators
keep what was freed instead of returning it: Arrow's (for reuse by later Arrow buffers) and
glibc's (free blocks scattered in the heaps of the batch threads). Measured on a 1,000,000-row
``check``: 1.58 GB resident at the end of the run, of which Arrow kept 0.32 GB and glibc 0.30 GB.
:func:`give_back` returns both; the executors call it after each batch is written.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
import threading
from contextlib import contextmanager

_TRIM = None
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def libc_function(name: str, argtypes: list, restype=ctypes.c_int):
    """A function of the C library by name, typed, on Linux; False where there is none (another
    system, or a C library without it: musl has no ``malloc_trim``)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return False
    fn.argtypes = argtypes
    fn.restype = restype
    return fn


def _malloc_trim():
    global _TRIM
    if _TRIM is None:
        _TRIM = libc_function("malloc_trim", [ctypes.c_size_t])
    return _TRIM


def give_back() -> None:
    """Return freed memory to the system: Arrow's unused pool memory and glibc's free heap
    pages (nothing else changes; a no-op where neither applies)."""
    _release_arrow()
    trim = _malloc_trim()
    if trim:
        trim(0)


class GiveBack:
    """:func:`give_back` for one run, returning glibc's pages only when the run's resident
    memory has grown more than ``slack`` bytes beyond what it was after the last return.

    Below that, the freed pages are taken again by the next batch; returning them costs a
    page fault each time they are touched again (a 1,000,000-row ``--stream`` returning after
    every block: 560,000-660,000 page faults, about 3 s of system time; the stream's slack
    and its measurement: :data:`geoverify.run.memory.TRIM_SLACK`). Arrow's unused pool
    memory is released every time.
    """

    def __init__(self, slack: int) -> None:
        self.slack = int(slack)
        self.after = resident_bytes()

    def __call__(self) -> None:
        _release_arrow()
        trim = _malloc_trim()
        if trim and resident_bytes() > self.after + self.slack:
            trim(0)
            self.after = resident_bytes()


def small_pages() -> None:
    """Stop NumPy from asking for transparent huge pages for its large arrays (unless
    ``NUMPY_MADVISE_HUGEPAGE`` says otherwise; nothing happens before NumPy is imported).

    NumPy marks every allocation of 4 MB or more ``MADV_HUGEPAGE``, which marks the whole
    heap mapping it lies in; from then on every first touch of that heap, by any allocation,
    clears a 2 MB page, and the batches free and take memory all the time. In a
    1,000,000-row ``check`` clearing pages was 14.6 % of all CPU samples (``perf``). With
    4 kB pages: median 5.71 to 5.37 s and 9.28 to 8.77 s of CPU (eight interleaved runs
    each, 2026-12-04; 16 % more page faults, less time in them); in six more against the
    commit before, 5.10 to 5.04 s and 8.51 to 8.27 s of CPU. The command line calls it; a
    program using the API can too."""
    if os.environ.get("NUMPY_MADVISE_HUGEPAGE") is not None:
        return
    np = sys.modules.get("numpy")
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    setter = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if setter is not None:
        setter(False)


def _release_arrow() -> None:
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pa.default_memory_pool().release_unused()


def resident_bytes() -> int:
    """The process's resident memory (Linux ``/proc/self/statm``; 0 where there is none)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


_GC_LOCK = threading.Lock()
_GC_DEPTH = 0
_GC_WAS_ENABLED = False


@contextmanager
def gc_paused():
    """Python's automatic cyclic garbage collection off while any caller is inside.

    A run over many rows keeps large containers alive (object arrays of every batch, the
    boundary tables, the map's frame lists), and a full collection visits every element of
    every one of them; batches make enough new objects that full collections come often.
    Measured (four interleaved runs each): a ``map`` of 100,000 rows 8.62 s and 12.9 s of CPU
    before, 7.64 s and 11.6 s paused; a 3,000,000-row ``--stream`` 14.8 s to 13.4 s and 930 to
    910 MiB of peak; in a 1,000,000-row ``check`` the collections took 0.28 s before, 0.19 s
    after (``gc.callbacks``). Usable as a decorator. The pipeline makes little cyclic garbage; the executors
    collect the young generations after each batch (:func:`collect_young`), which is cheap and
    bounds what cycles could hold. Calls may overlap (threads, nested calls): the first caller
    in switches collection off, the last one out restores the state the first found.
    """
    global _GC_DEPTH, _GC_WAS_ENABLED
    with _GC_LOCK:
        if _GC_DEPTH == 0:
            _GC_WAS_ENABLED = gc.isenabled()
            gc.disable()
        _GC_DEPTH += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_DEPTH -= 1
            if _GC_DEPTH == 0 and _GC_WAS_ENABLED:
                gc.enable()


def collect_young() -> None:
    """Collect the two young generations (the objects made since the last collection): what
    a batch left in reference cycles, without visiting the long-lived objects."""
    gc.collect(1)
