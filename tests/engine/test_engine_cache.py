"""The engine's cache file is never trusted blindly (issue 13): a damaged, misshapen, truncated
or foreign cache is rebuilt, and the answers always equal a clean build's."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from geoverify.engine import quadtree
from geoverify.engine.quadtree import engine_for, index_checksum, load_index


def _points():
    g = np.round(np.arange(-0.5, 4.5001, 0.05), 6)
    h = np.round(np.arange(-0.5, 1.5001, 0.025), 6)
    lon, lat = (a.ravel() for a in np.meshgrid(g, h))
    return lon, lat


def _answers(engine):
    res = engine.locate(*_points())
    return res.unit.copy(), {k: v.tolist() for k, v in res.multi.items()}


@pytest.fixture()
def cached(tiny, tmp_path, monkeypatch):
    """The tiny set's cache file, written by a clean build, and the clean answers."""
    monkeypatch.setenv("GEOVERIFY_CACHE_DIR", str(tmp_path))
    tiny._cache.pop(("engine", 8), None)
    clean = _answers(engine_for(tiny, cache=False))
    tiny._cache.pop(("engine", 8), None)
    engine_for(tiny)  # writes the cache
    tiny._cache.pop(("engine", 8), None)
    (path,) = (tmp_path / "engine").glob("*.npz")
    yield path, clean
    tiny._cache.pop(("engine", 8), None)


def _rewrite(path, change, *, fix_checksum: bool):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(bytes(arrays.pop("meta")).decode())
    change(arrays)
    if fix_checksum:  # as a buggy writer would: the checksum matches the bad arrays
        meta["checksum"] = index_checksum(quadtree.QuadIndex(depth=meta["depth"], **arrays))
    with open(path, "wb") as f:
        np.savez(f, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)


def _same(tiny, clean, path):
    tiny._cache.pop(("engine", 8), None)
    unit, multi = _answers(engine_for(tiny))
    np.testing.assert_array_equal(unit, clean[0])
    assert multi == clean[1]
    # the rebuilt cache file is a good one again
    assert load_index(path, 8, n_units=len(tiny.units)) is not None


def test_engine_for__cache_with_altered_leaf_unit_is_rebuilt(tiny, cached):
    path, clean = cached

    def alter(a):
        lu = a["leaf_unit"]
        inside = np.flatnonzero(lu >= 0)
        assert len(inside) > 1
        lu[inside] = lu[np.roll(inside, 1)]  # every "inside" leaf names another unit

    _rewrite(path, alter, fix_checksum=False)
    assert load_index(path, 8) is None
    _same(tiny, clean, path)


def test_engine_for__cache_with_wrong_shapes_is_rebuilt_even_with_a_matching_checksum(
        tiny, cached):
    path, clean = cached
    _rewrite(path, lambda a: a.update(root=a["root"][:10], w_ptr=a["w_ptr"][:-5]),
             fix_checksum=True)
    assert load_index(path, 8) is None
    _same(tiny, clean, path)


def test_engine_for__cache_with_out_of_range_units_is_rebuilt(tiny, cached):
    path, clean = cached

    def alter(a):
        a["leaf_unit"][a["leaf_unit"] >= 0] = 10_000  # no such unit

    _rewrite(path, alter, fix_checksum=True)
    assert load_index(path, 8, n_units=len(tiny.units)) is None
    _same(tiny, clean, path)


def test_engine_for__truncated_cache_file_is_rebuilt(tiny, cached):
    path, clean = cached
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert load_index(path, 8) is None
    _same(tiny, clean, path)


def test_engine_for__cache_of_another_layer_is_rebuilt(tiny, cached):
    path, clean = cached
    assert load_index(path, 8, layer="units-0000") is None
    assert load_index(path, 8) is not None


def test_engine_locate__index_that_fails_in_use_is_rebuilt_once(tiny, cached):
    path, clean = cached

    def cycle(a):  # in range everywhere, but every node points at itself
        a["child"][:] = 0
        a["root"][a["root"] >= 0] = 0

    _rewrite(path, cycle, fix_checksum=True)
    tiny._cache.pop(("engine", 8), None)
    engine = engine_for(tiny)
    assert engine._rebuild is not None  # loaded from the cache
    unit, multi = _answers(engine)
    np.testing.assert_array_equal(unit, clean[0])
    assert multi == clean[1]
    assert engine._rebuild is None


def test_engine_for__cache_without_checksum_is_rebuilt(tiny, cached):
    """The format before the checksum, with an altered leaf_unit: it used to be trusted."""
    path, clean = cached
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files if k != "meta"}
    lu = arrays["leaf_unit"]
    inside = np.flatnonzero(lu >= 0)
    lu[inside] = lu[np.roll(inside, 1)]
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    assert load_index(path, 8) is None
    _same(tiny, clean, path)


def test_mapped_npz__the_arrays_np_load_reads_as_read_only_views(tmp_path):
    from geoverify.io.cache import mapped_npz

    arrays = {"a": np.arange(10, dtype=np.int32), "b": np.zeros((0, 3)),
              "c": np.asfortranarray(np.arange(12, dtype=np.int64).reshape(3, 4)),
              "d": np.array(7, dtype=np.uint8), "e": np.array([1.5, -2.0], dtype=">f8")}
    path = tmp_path / "x.npz"
    np.savez(path, **arrays)
    got = mapped_npz(path)
    assert sorted(got) == sorted(arrays)
    for k, a in arrays.items():
        assert got[k].dtype == a.dtype and got[k].shape == a.shape, k
        np.testing.assert_array_equal(got[k], a)
        assert not got[k].flags.writeable, k
    assert got["c"].flags.f_contiguous


def test_mapped_npz__what_it_cannot_map_is_refused(tmp_path):
    from geoverify.io.cache import mapped_npz

    np.savez_compressed(tmp_path / "z.npz", a=np.arange(5))
    with pytest.raises(ValueError, match="stored"):
        mapped_npz(tmp_path / "z.npz")
    np.savez(tmp_path / "o.npz", a=np.array([1, "x"], dtype=object))
    with pytest.raises(ValueError, match="objects"):
        mapped_npz(tmp_path / "o.npz")
    (tmp_path / "e.npz").write_bytes(b"")
    with pytest.raises(ValueError):
        mapped_npz(tmp_path / "e.npz")


def test_engine_for__a_compressed_cache_file_is_read_the_ordinary_way(tiny, cached):
    """A cache file that cannot be mapped (its members compressed) still loads, checked as
    any other."""
    path, clean = cached
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    index = load_index(path, 8, n_units=len(tiny.units))
    assert index is not None and index.root.flags.writeable  # read, not mapped
    _same(tiny, clean, path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="MADV_DONTNEED: Linux")
def test_drop_resident__a_checked_mapping_leaves_resident_memory_and_reads_the_same(tmp_path):
    from geoverify.heap import resident_bytes
    from geoverify.io.cache import drop_resident, mapped_npz

    path = tmp_path / "big.npz"
    values = np.arange(16 << 20, dtype=np.int64)  # 128 MB
    np.savez(path, a=values)
    arrays = mapped_npz(path)
    total = int(arrays["a"].sum())  # a checksum reads every page
    before = resident_bytes()
    drop_resident(*arrays.values(), np.zeros(3))  # arrays not mapped from a file are left be
    after = resident_bytes()
    assert before - after > 100 << 20
    assert int(arrays["a"].sum()) == total and arrays["a"][-1] == values[-1]


def test_engine_for__a_built_index_is_used_from_the_file_it_was_saved_to(tiny, tmp_path,
                                                                        monkeypatch):
    import mmap

    monkeypatch.setenv("GEOVERIFY_CACHE_DIR", str(tmp_path))
    tiny._cache.pop(("engine", 8), None)
    try:
        built = engine_for(tiny).index
    finally:
        tiny._cache.pop(("engine", 8), None)
    assert all(isinstance(a.base, mmap.mmap) for a in built.arrays().values())
    assert index_checksum(built) == index_checksum(
        quadtree.build_index(tiny.units.geometry.values, 100.0))
