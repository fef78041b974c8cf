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
import sys

_TRIM = None


def _malloc_trim():
    global _TRIM
    if _TRIM is None:
        _TRIM = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                trim = libc.malloc_trim  # glibc only (not musl)
                trim.argtypes = [ctypes.c_size_t]
                trim.restype = ctypes.c_int
                _TRIM = trim
            except (OSError, AttributeError):
                _TRIM = False
    return _TRIM


def give_back() -> None:
    """Return freed memory to the system: Arrow's unused pool memory and glibc's free heap
    pages (nothing else changes; a no-op where neither applies)."""
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim:
        trim(0)
