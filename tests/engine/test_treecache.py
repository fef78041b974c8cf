"""Built nearest-segment trees kept between runs (``geoverify.engine.treecache``): a tree read
back answers exactly as the tree built, a damaged or foreign file is never used, the key
follows the input, and a cache that cannot be written costs nothing but the cache."""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np
import pytest

from geoverify.engine import lines as lines_module
from geoverify.engine import treecache
from geoverify.engine.geodesy import ecef
from geoverify.engine.lines import FINE_SEGMENT_M, VertexTree
from geoverify.io.tempfiles import temp_path

SegTree = lines_module.SegTree

pytestmark = pytest.mark.skipif(SegTree is None, reason="the compiled kernel is not built")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOVERIFY_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("GEOVERIFY_NATIVE", "1")
    return tmp_path / "trees"


def border_like(seed: int, n_pieces: int = 300):
    """Random walks of 5 to 60 vertices (well over TREE_CACHE_MIN vertices in all)."""
    rng = np.random.default_rng(seed)
    lon, lat, owner = [], [], []
    for p in range(n_pieces):
        k = int(rng.integers(5, 60))
        lon.append(rng.uniform(30, 34) + np.cumsum(rng.normal(0, 0.01, k)))
        lat.append(rng.uniform(48, 52) + np.cumsum(rng.normal(0, 0.01, k)))
        owner.append(np.full(k, p))
    return np.concatenate(lon), np.concatenate(lat), np.concatenate(owner)


def answers(tree: VertexTree, seed: int = 0):
    rng = np.random.default_rng(100 + seed)
    P = ecef(rng.uniform(29, 35, 4000), rng.uniform(47, 53, 4000))
    unbounded = tree.nearest(P)
    bounded = tree.nearest(P, 5_000.0)
    return [a.tobytes() for a in (*unbounded, *bounded)]


def built_without_cache(lon, lat, owner, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(treecache, "TREE_CACHE_MIN", 1 << 62)
        return VertexTree(lon, lat, owner, FINE_SEGMENT_M)


def count_builds(monkeypatch) -> list:
    builds: list = []
    real = lines_module.densify

    def counted(*args):
        builds.append(len(args[0]))
        return real(*args)

    monkeypatch.setattr(lines_module, "densify", counted)
    return builds


def test_dump_and_from_parts__the_same_tree_to_the_bit():
    lon, lat, owner = border_like(1)
    tree = VertexTree(lon, lat, owner, FINE_SEGMENT_M)
    parts = tree.native.dump()
    again = SegTree.from_parts(*parts)
    assert [bytes(p) for p in again.dump()] == [bytes(p) for p in parts]
    copy = VertexTree.__new__(VertexTree)
    copy.owner, copy.n, copy.half, copy.native = tree.owner, tree.n, tree.half, again
    assert answers(copy) == answers(tree)
    empty = SegTree(np.zeros((0, 3)), np.zeros(0, np.uint8))
    assert [len(p) for p in empty.dump()] == [0, 0, 0]
    d, s, t = np.empty(2), np.empty(2, np.int64), np.empty(2)
    SegTree.from_parts(*empty.dump()).nearest(np.zeros((2, 3)), np.inf, d, s, t)
    assert np.isinf(d).all() and (s == -1).all()


NODE = struct.Struct("<6d4i")  # Node: lo[3], hi[3], start, end, left, right


def test_from_parts__refuses_what_is_not_a_tree():
    """Every node the search could walk is checked: a file that passed its CRC by accident
    (or was written by something else) must not make the kernel read out of bounds or loop."""
    xyz = ecef(np.linspace(30, 31, 64), np.full(64, 50.0))
    segs, start, nodes = SegTree(np.ascontiguousarray(xyz), np.ones(64, np.uint8)).dump()
    n_nodes = len(nodes) // NODE.size
    assert n_nodes > 3
    root = NODE.unpack_from(nodes, 0)

    def with_root(**change):
        fields = list(root)
        for name, value in change.items():
            fields[{"start": 6, "end": 7, "left": 8, "right": 9}[name]] = value
        return NODE.pack(*fields) + nodes[NODE.size:]

    bad = [
        (segs[:-1], start, nodes),  # a torn segment
        (segs, start[:-4], nodes),  # a start vertex missing
        (segs, start, nodes[:-1]),  # a torn node
        (segs, start, b""),  # segments without nodes
        (segs, start, with_root(end=10**6)),  # past the segments
        (segs, start, with_root(start=-1)),
        (segs, start, with_root(left=0)),  # a node its own child: endless
        (segs, start, with_root(right=n_nodes)),  # past the nodes
        (segs, start, with_root(right=root[8])),  # one child twice
        (segs, struct.pack("<i", -5) + start[4:], nodes),
    ]
    for parts in bad:
        with pytest.raises(ValueError):
            SegTree.from_parts(*parts)
    # a chain deeper than the search may recurse
    chain = b"".join(NODE.pack(0, 0, 0, 1, 1, 1, 0, 1, k + 1 if k < 299 else -1,
                               -1 if k < 299 else -1) for k in range(300))
    seg = bytes(48)
    with pytest.raises(ValueError):
        SegTree.from_parts(seg, bytes(4), chain)
    SegTree.from_parts(segs, start, nodes)  # the untouched parts are fine


def test_vertex_tree__read_back_answers_as_built(cache, monkeypatch):
    lon, lat, owner = border_like(2)
    fresh = built_without_cache(lon, lat, owner, monkeypatch)
    builds = count_builds(monkeypatch)
    first = VertexTree(lon, lat, owner, FINE_SEGMENT_M)  # built, then written
    assert len(builds) == 1 and len(list(cache.glob("*.tree"))) == 1
    second = VertexTree(lon, lat, owner, FINE_SEGMENT_M)  # read
    assert len(builds) == 1
    for tree in (first, second):
        assert (tree.n, tree.half) == (fresh.n, fresh.half)
        assert tree.owner.dtype == np.int32 and (tree.owner == fresh.owner).all()
        assert answers(tree) == answers(fresh)


def test_key__follows_the_input(cache, monkeypatch):
    lon, lat, owner = border_like(3)
    key = treecache.tree_key(lon, lat, owner, FINE_SEGMENT_M)
    moved = lat.copy()
    moved[1234] += 1e-9
    others = {treecache.tree_key(lon, moved, owner, FINE_SEGMENT_M),
              treecache.tree_key(lon, lat, owner, 2 * FINE_SEGMENT_M),
              treecache.tree_key(lon[:-1], lat[:-1], owner[:-1], FINE_SEGMENT_M),
              treecache.tree_key(lon, lat, np.roll(owner, 1), FINE_SEGMENT_M)}
    assert key not in others and len(others) == 4
    assert key == treecache.tree_key(list(lon), list(lat), owner.astype(np.int32),
                                     FINE_SEGMENT_M)
    builds = count_builds(monkeypatch)
    VertexTree(lon, lat, owner, FINE_SEGMENT_M)
    VertexTree(lon, moved, owner, FINE_SEGMENT_M)  # another tree: built, not read
    assert len(builds) == 2 and len(list(cache.glob("*.tree"))) == 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "magic", "empty", "segment"])
def test_damaged_file__built_again_and_replaced(cache, monkeypatch, damage):
    lon, lat, owner = border_like(4)
    fresh = built_without_cache(lon, lat, owner, monkeypatch)
    VertexTree(lon, lat, owner, FINE_SEGMENT_M)
    (path,) = cache.glob("*.tree")
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x40
    elif damage == "truncate":
        del data[-100:]
    elif damage == "magic":
        data[:8] = b"GVTREE\x09\x00"
    elif damage == "empty":
        data = bytearray()
    else:  # a start vertex past the vertices, with a CRC that matches: the reader checks it
        head = treecache._HEAD.unpack_from(data)
        n, seg_b = head[1], head[2]
        at = treecache._HEAD.size + 4 * n + seg_b
        data[at:at + 4] = struct.pack("<i", n + 7)
        body = bytes(data[treecache._HEAD.size:])
        data[:treecache._HEAD.size] = treecache._HEAD.pack(*head[:5], zlib.crc32(body),
                                                           head[6])
    path.write_bytes(bytes(data))
    builds = count_builds(monkeypatch)
    tree = VertexTree(lon, lat, owner, FINE_SEGMENT_M)
    assert len(builds) == 1  # not used: built again
    assert answers(tree) == answers(fresh)
    assert path.read_bytes() != bytes(data)  # and written again
    again = VertexTree(lon, lat, owner, FINE_SEGMENT_M)
    assert len(builds) == 1 and answers(again) == answers(fresh)


def test_unwritable_cache__trees_are_built_every_time(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    monkeypatch.setenv("GEOVERIFY_CACHE_DIR", str(blocker))
    monkeypatch.setenv("GEOVERIFY_NATIVE", "1")
    lon, lat, owner = border_like(5)
    builds = count_builds(monkeypatch)
    a = VertexTree(lon, lat, owner, FINE_SEGMENT_M)
    b = VertexTree(lon, lat, owner, FINE_SEGMENT_M)
    assert len(builds) == 2 and answers(a) == answers(b)
    assert blocker.read_text() == "x"


def test_small_trees_are_not_cached(cache):
    lon, lat, owner = border_like(6, n_pieces=3)
    assert len(lon) < treecache.TREE_CACHE_MIN <= len(border_like(6)[0])
    VertexTree(lon, lat, owner, FINE_SEGMENT_M)
    assert not cache.exists() or not list(cache.glob("*.tree"))


def test_trim__least_recently_used_go_first(cache, monkeypatch):
    keys = []
    for seed in range(4):
        lon, lat, owner = border_like(10 + seed)
        keys.append(treecache.tree_key(lon, lat, owner, FINE_SEGMENT_M))
        VertexTree(lon, lat, owner, FINE_SEGMENT_M)
    files = {k: cache / f"{k}.tree" for k in keys}
    for age, k in enumerate(keys):  # oldest first, then the first one used again
        os.utime(files[k], (1_000_000 + age, 1_000_000 + age))
    treecache.load_tree(keys[0])  # used: now the most recent
    left = temp_path(cache / "x.tree")  # a write a killed run left: removed once it is old
    fresh = temp_path(cache / "y.tree")  # one under way in a live process: kept
    left.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(left, (1_000_000, 1_000_000))
    sizes = {k: p.stat().st_size for k, p in files.items()}
    monkeypatch.setattr(treecache, "TREE_CACHE_BYTES", sizes[keys[0]] + sizes[keys[3]])
    treecache._trim(cache)
    assert sorted(p.name for p in cache.glob("*.tree")) == sorted(
        files[k].name for k in (keys[0], keys[3]))
    assert not left.exists() and fresh.exists()


def test_unreadable_code__nothing_cached(cache, monkeypatch):
    """Where the files that decide a tree cannot be read (an unusual install), trees are built
    and nothing is written or read."""
    monkeypatch.setattr(treecache, "_code", None)
    monkeypatch.setattr(treecache, "_segtree", None)  # no file to read
    lon, lat, owner = border_like(7)
    assert treecache.tree_key(lon, lat, owner, FINE_SEGMENT_M) is None
    monkeypatch.setattr(treecache, "_code", b"")
    builds = count_builds(monkeypatch)
    VertexTree(lon, lat, owner, FINE_SEGMENT_M)
    VertexTree(lon, lat, owner, FINE_SEGMENT_M)
    assert len(builds) == 2 and not cache.exists()
