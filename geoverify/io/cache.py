"""The user cache: what geoverify derives once from the boundary layers and keeps between runs.

``$GEOVERIFY_CACHE_DIR``, or the platform's user cache directory (``~/.cache/geoverify`` on
Linux). Everything in it can be deleted at any time: it is rebuilt on the next run that needs
it. Three things live there: the locating engine's quadtree (``engine/``,
:func:`geoverify.engine.quadtree.engine_for`), the decoded coordinates of the embedded
units layer (``units/``, :func:`geoverify.io.boundaries.read_polygons_lazily`), and the
nearest-segment trees of the border lines that checks have used (``trees/``, at most 1 GiB,
:mod:`geoverify.engine.treecache`).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where derived data is kept: ``$GEOVERIFY_CACHE_DIR`` or the user cache directory."""
    env = os.environ.get("GEOVERIFY_CACHE_DIR")
    if env:
        return Path(env)
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("geoverify"))
    except ImportError:  # pragma: no cover
        return Path.home() / ".cache" / "geoverify"


def mapped_npz(path: Path) -> dict:
    """The arrays of an uncompressed ``.npz`` file (as :func:`numpy.savez` writes it), mapped
    read-only from the file instead of read into fresh memory.

    ``np.load`` reads every member through :mod:`zipfile` (a Python loop that holds the GIL,
    a CRC pass, then a copy into newly faulted pages): 84 MB of engine took 0.14 s alone and
    0.48 s beside a batch thread. Here each member's ``.npy`` header is read where the zip's
    local header says its data starts, and the array is a view of one ``mmap`` of the file.
    Raises ``ValueError`` for what it cannot map (not a zip, a compressed member, an object
    array, a member that runs past its end): the caller reads such a file the ordinary way.
    The file must not be truncated in place while the arrays live (caches are replaced by
    renaming).
    """
    import mmap
    import struct
    import zipfile

    import numpy as np
    from numpy.lib import format as npformat

    with open(path, "rb") as fh:
        try:
            with zipfile.ZipFile(fh) as zf:
                infos = zf.infolist()
        except zipfile.BadZipFile as exc:  # an empty file too
            raise ValueError(f"{path}: not a zip file ({exc})") from exc
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    out = {}
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
            raise ValueError(f"{path}: member {info.filename} is not a stored .npy")
        at = info.header_offset
        head = mm[at:at + 30]
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise ValueError(f"{path}: bad local header for {info.filename}")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        start = at + 30 + name_len + extra_len
        member = _Window(mm, start, start + info.file_size)
        version = npformat.read_magic(member)
        read_header = (npformat.read_array_header_1_0 if version == (1, 0) else
                       npformat.read_array_header_2_0)
        shape, fortran, dtype = read_header(member)
        if dtype.hasobject:
            raise ValueError(f"{path}: member {info.filename} holds objects")
        count = int(np.prod(shape, dtype=np.int64))
        offset = member.pos
        if offset + count * dtype.itemsize > start + info.file_size:
            raise ValueError(f"{path}: member {info.filename} runs past its end")
        arr = np.ndarray(shape, dtype=dtype, buffer=mm, offset=offset,
                         order="F" if fortran else "C")
        out[info.filename[:-4]] = arr
    return out


def drop_resident(*arrays) -> None:
    """Let go of the resident pages of file-mapped arrays just checked: a checksum reads
    every page, and each page read stays in the process's resident memory while the mapping
    lives. The pages stay in the system's page cache; the next touch maps back only those the
    run uses (an engine index of 86 MB for a check in one region: a fraction of it). Linux
    (``MADV_DONTNEED`` on the ``mmap``); a no-op for arrays not mapped from a file."""
    import mmap

    advice = getattr(mmap, "MADV_DONTNEED", None)
    if advice is None:
        return
    seen: set[int] = set()
    for a in arrays:
        base = a
        while base is not None and not isinstance(base, mmap.mmap):
            base = getattr(base, "base", None)
        if base is None or id(base) in seen:
            continue
        seen.add(id(base))
        try:
            base.madvise(advice)
        except (OSError, ValueError):  # closed, or refused: the pages just stay
            pass


class _Window:
    """A read-only file-like view of ``mm[start:stop]`` (what numpy's header reader needs)."""

    def __init__(self, mm, start: int, stop: int) -> None:
        self.mm, self.pos, self.stop = mm, start, stop

    def read(self, n: int = -1) -> bytes:
        end = self.stop if n < 0 else min(self.stop, self.pos + n)
        data = self.mm[self.pos:end]
        self.pos = end
        return data
