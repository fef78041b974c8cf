"""Built nearest-segment trees kept in the user cache between runs.

A :class:`~geoverify.engine.lines.VertexTree` of a tile of border lines costs tens of
milliseconds to build (cutting its segments to 100 m, placing every vertex in Earth-centred
coordinates, the compiled tree), and a check over one region builds a few dozen of them
before its first batch can finish: 0.5 s of CPU in a 1,000,000-row check, most of it while
the second core has nothing else to do. The same boundaries and the same region give the same
trees every run, so the compiled trees (``SegTree.dump``) are written to
``<cache>/trees/`` and read back by the next run that needs them.

Keys are the content, not a name: a blake2b digest of the tree's input (the vertices' longitude,
latitude and piece numbers, and the longest segment) together with everything that decides
what is built from it: the source of :mod:`geoverify.engine.lines` and
:mod:`geoverify.engine.geodesy`, the compiled kernel's file, and NumPy's version (its sine and
cosine place the vertices). A changed line set, changed code or another NumPy reads other
files; a stale tree cannot be met. A file carries a CRC-32 of its contents, and the kernel
checks that the nodes make a tree before it uses them: a damaged file is deleted and the tree
built again. Files are written to a temporary name and renamed (threads and processes may
share the directory; :mod:`geoverify.io.tempfiles` names them and sweeps what killed runs left), and the directory is kept under :data:`TREE_CACHE_BYTES`, least
recently used first. Where the cache cannot be written (a read-only home, a full disk) trees
are simply built every run.
"""

from __future__ import annotations

import hashlib
import os
import struct
import sys
import threading
import zlib
from pathlib import Path

import numpy as np

from geoverify.io.cache import cache_dir
from geoverify.io.tempfiles import sweep_stale, temp_path

try:  # the compiled kernel: trees are cached only where it is built
    from geoverify.engine import _segtree
except ImportError:  # pragma: no cover
    _segtree = None

#: Trees of fewer input vertices than this are built, not cached (a file costs more than the
#: build there).
TREE_CACHE_MIN = 4_096
#: Bytes the tree files may hold together; beyond it the least recently used go.
TREE_CACHE_BYTES = 1 << 30
_MAGIC = b"GVTREE\x01\x00"
# magic, vertices, segments bytes, start bytes, nodes bytes, CRC-32 of what follows, half
_HEAD = struct.Struct("<8sqqqqqd")

_code_lock = threading.Lock()
_code: bytes | None = None


def _code_identity() -> bytes | None:
    """A digest of what turns a tree's input into the tree (see the module docstring); None
    where those files cannot be read (then nothing is cached)."""
    global _code
    with _code_lock:
        if _code is None:
            here = Path(__file__).parent
            h = hashlib.blake2b(digest_size=16)
            try:
                for path in (here / "lines.py", here / "geodesy.py", Path(_segtree.__file__)):
                    h.update(path.read_bytes())
            except (OSError, AttributeError, TypeError):
                _code = b""
            else:
                h.update(f"{np.__version__}|{sys.byteorder}|{_MAGIC!r}".encode())
                _code = h.digest()
        return _code or None


def tree_key(lon: np.ndarray, lat: np.ndarray, owner: np.ndarray, max_m: float) -> str | None:
    """The file name (hex digest) of the tree built from these vertices; None when trees
    cannot be cached here."""
    code = _code_identity()
    if code is None:
        return None
    h = hashlib.blake2b(code, digest_size=20)
    h.update(struct.pack("<qd", len(lon), float(max_m)))
    for a, dtype in ((lon, np.float64), (lat, np.float64), (owner, np.int64)):
        h.update(np.ascontiguousarray(a, dtype=dtype).data)
    return h.hexdigest()


def tree_dir() -> Path:
    return cache_dir() / "trees"


def load_tree(key: str):
    """``(owner, n, half, SegTree)`` of a cached tree, or None (missing, or damaged: then
    the file is deleted)."""
    path = tree_dir() / f"{key}.tree"
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    try:
        magic, n, seg_b, start_b, node_b, crc, half = _HEAD.unpack_from(data)
        body = memoryview(data)[_HEAD.size:]
        owner_b = 4 * n
        if (magic != _MAGIC or min(n, seg_b, start_b, node_b) < 0
                or len(body) != owner_b + seg_b + start_b + node_b
                or zlib.crc32(body) != crc):
            raise ValueError("not a tree file of this version, or damaged")
        # copied out: the file's bytes (twice the tree's size) go as soon as this returns
        owner = np.frombuffer(data, dtype=np.int32, count=n, offset=_HEAD.size).copy()
        at = owner_b
        parts = []
        for size in (seg_b, start_b, node_b):
            parts.append(body[at:at + size])
            at += size
        tree = _segtree.SegTree.from_parts(*parts)
        starts = np.frombuffer(parts[1], dtype=np.int32)
        if len(starts) and int(starts.max()) >= n:
            raise ValueError("a segment starts past the vertices")
    except (ValueError, struct.error):
        _remove(path)
        return None
    try:
        os.utime(path)  # recently used
    except OSError:
        pass
    return owner, n, half, tree


def save_tree(key: str, owner: np.ndarray, n: int, half: float, tree) -> None:
    """Write a built tree (nothing happens where the cache cannot be written)."""
    segs, start, nodes = tree.dump()
    owner_b = np.ascontiguousarray(owner, dtype=np.int32).tobytes()
    crc = zlib.crc32(nodes, zlib.crc32(start, zlib.crc32(segs, zlib.crc32(owner_b))))
    head = _HEAD.pack(_MAGIC, n, len(segs), len(start), len(nodes), crc, half)
    folder = tree_dir()
    path = folder / f"{key}.tree"
    tmp = temp_path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            for part in (head, owner_b, segs, start, nodes):
                fh.write(part)
        os.replace(tmp, path)
    except OSError:
        _remove(tmp)
        return
    _trim(folder)


def _trim(folder: Path) -> None:
    """Keep the tree files under :data:`TREE_CACHE_BYTES` (least recently used go first), and
    remove the temporary files that killed runs left (:func:`~geoverify.io.tempfiles.sweep_stale`)."""
    sweep_stale(folder)
    try:
        files = []
        for entry in os.scandir(folder):
            if entry.name.endswith(".tree"):
                st = entry.stat()
                files.append((st.st_mtime, st.st_size, entry.path))
    except OSError:
        return
    total = sum(size for _, size, _ in files)
    for _, size, path in sorted(files):
        if total <= TREE_CACHE_BYTES:
            break
        _remove(Path(path))
        total -= size


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
