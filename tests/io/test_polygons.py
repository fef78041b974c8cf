"""Unit polygons made on first use (geoverify.io.polygons) against the layer read whole."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely

from geoverify.boundaries.model import data_dir
from geoverify.io.boundaries import read_layer, read_polygons_lazily
from geoverify.io.polygons import UnitGeometry, UnitTree

UNITS = Path(data_dir()) / "units.parquet"


@pytest.fixture(scope="module")
def whole():
    return read_layer(UNITS)


@pytest.fixture()
def lazy():
    attrs, geometry = read_polygons_lazily(UNITS)
    return attrs, geometry


def _same(a, b) -> bool:
    return bool(np.all(shapely.to_wkb(np.asarray(a, dtype=object))
                       == shapely.to_wkb(np.asarray(b, dtype=object))))


def test_attributes_and_count_match_the_whole_layer(whole, lazy):
    attrs, geometry = lazy
    assert len(geometry) == len(whole) == len(attrs)
    assert "geometry" not in attrs.columns
    for c in attrs.columns:
        assert attrs[c].tolist() == whole[c].tolist()
    assert geometry.made_count() == 0


def test_polygons_made_on_demand_are_the_layers_polygons(whole, lazy):
    _, geometry = lazy
    rng = np.random.default_rng(7)
    pick = rng.choice(len(whole), 200, replace=False)
    assert _same(geometry[pick], whole.geometry.values[pick])
    assert geometry.made_count() == 200
    # one at a time, a mask, a slice, negative index; every polygon at the end
    assert geometry[int(pick[0])].equals_exact(whole.geometry.values[pick[0]], 0.0)
    assert geometry[-1].equals_exact(whole.geometry.values[-1], 0.0)
    mask = np.zeros(len(whole), dtype=bool)
    mask[[3, 5, 8]] = True
    assert _same(geometry[mask], whole.geometry.values[mask])
    assert _same(geometry[10:20], whole.geometry.values[10:20])
    assert _same(geometry.all(), whole.geometry.values)
    assert geometry.made_count() == len(whole)


def test_passing__every_polygon_for_one_pass_none_kept(whole, lazy):
    _, geometry = lazy
    first = geometry[[2, 4]]  # made and kept before the pass: shared by it
    every = geometry.passing()
    assert _same(every, whole.geometry.values)
    assert every[2] is first[0] and every[4] is first[1]
    assert geometry.made_count() == 2
    assert geometry[7] is not every[7]  # made again, and now kept
    assert geometry.made_count() == 3


def test_engine_build_leaves_the_units_unmade(tmp_path, monkeypatch):
    """Building the engine's index reads every unit polygon, but a run keeps made only the
    units it uses."""
    from geoverify.boundaries import load_boundaries
    from geoverify.engine import quadtree

    given = []

    def build_index(geoms, band, **kw):  # what the build is handed; an empty index back
        given.append(len(geoms))
        return quadtree.QuadIndex(
            depth=0, root=np.zeros((180, 360), np.int32), child=np.zeros(0, np.int32),
            leaf_kind=np.zeros(0, np.int8), leaf_unit=np.zeros(0, np.int32),
            w_ptr=np.zeros(1, np.int64), w_idx=np.zeros(0, np.int32),
            b_ptr=np.zeros(1, np.int64), b_idx=np.zeros(0, np.int32))

    monkeypatch.setenv("GEOVERIFY_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(quadtree, "build_index", build_index)
    bset = load_boundaries()
    bset._cache.pop(("engine", quadtree.DEPTH), None)
    geometry = bset.unit_polygons
    before = geometry.made_count()
    try:
        quadtree.engine_for(bset, cache=False)
    finally:  # the fake engine must not stay in the shared boundary set
        bset._cache.pop(("engine", quadtree.DEPTH), None)
    assert given == [len(geometry)]
    assert geometry.made_count() == before


def test_bounds_without_making_polygons(whole, lazy):
    _, geometry = lazy
    b = geometry.bounds
    assert geometry.made_count() == 0
    np.testing.assert_allclose(b, shapely.bounds(whole.geometry.values), rtol=0, atol=1e-12)


def test_pickle_round_trip(whole, lazy):
    _, geometry = lazy
    geometry[[1, 2, 3]]
    back = pickle.loads(pickle.dumps(geometry))
    assert back.made_count() == 0  # made again where it lands
    assert _same(back[[1, 2, 3, 400]], whole.geometry.values[[1, 2, 3, 400]])


def test_tree_answers_as_a_tree_of_the_polygons(whole, lazy):
    _, geometry = lazy
    tree = geometry.tree()
    assert isinstance(tree, UnitTree)
    ref = shapely.STRtree(whole.geometry.values)
    rng = np.random.default_rng(11)
    # points over land, sea and borders (Ukraine and neighbours, and the world)
    lon = np.concatenate([rng.uniform(22, 42, 3000), rng.uniform(-180, 180, 2000)])
    lat = np.concatenate([rng.uniform(44, 56, 3000), rng.uniform(-85, 85, 2000)])
    pts = shapely.points(lon, lat)
    for kwargs in ({}, {"predicate": "intersects"}, {"predicate": "dwithin", "distance": 0.3}):
        got = tree.query(pts, **kwargs)
        want = ref.query(pts, **kwargs)
        assert sorted(zip(*got.tolist())) == sorted(zip(*want.tolist())), kwargs
    dist = rng.uniform(0.0, 0.5, len(pts))
    got = tree.query(pts, predicate="dwithin", distance=dist)
    want = ref.query(pts, predicate="dwithin", distance=dist)
    assert sorted(zip(*got.tolist())) == sorted(zip(*want.tolist()))
    one = shapely.Point(36.6, 50.6)  # Belgorod
    for kwargs in ({"predicate": "intersects"}, {"predicate": "dwithin", "distance": 0.5}):
        assert sorted(tree.query(one, **kwargs).tolist()) == sorted(
            ref.query(one, **kwargs).tolist())
    # only candidates were made, not the world
    assert geometry.made_count() < len(whole)


def test_of_wraps_made_polygons(whole):
    g = UnitGeometry.of(whole.geometry.values)
    assert not g.lazy and g.made_count() == len(whole)
    assert isinstance(g.tree(), shapely.STRtree)
    np.testing.assert_array_equal(g.bounds, shapely.bounds(whole.geometry.values))


def test_checking_the_example_makes_few_polygons():
    """Memory follows the input: checking the 12-row example makes the polygons of the units
    its points reach, not the world's (and never builds the units GeoDataFrame)."""
    code = (
        "from geoverify import check\n"
        "from geoverify.boundaries.registry import load_embedded\n"
        "r = check('data/examples/belgorod-2023.csv')\n"
        "b = load_embedded()\n"
        "print(b.unit_geometry.made_count(), len(b.unit_geometry), 'units' in b.__dict__)\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, check=True).stdout.split()
    made, total, built = int(out[0]), int(out[1]), out[2]
    assert built == "False"
    assert 0 < made < total // 10


def test_units_frame_is_made_on_first_read(whole):
    from geoverify.boundaries.registry import load_embedded

    b = load_embedded.__wrapped__()  # a fresh set, not the process's shared one
    assert "units" not in b.__dict__
    assert b.unit_table is b.unit_attrs
    units = b.units
    assert "units" in b.__dict__ and b.unit_table is units
    assert list(units.columns) == list(whole.columns)
    assert _same(units.geometry.values, whole.geometry.values)
    # the engine's polygons and the frame's are the same objects
    assert b.unit_polygons[5] is units.geometry.values[5]


def _arrays(geometry):
    return [np.asarray(a) for a in (geometry._x, geometry._y, geometry._n_coords,
                                    geometry._n_rings, geometry._n_parts)]


def test_decoded_cache__written_once_then_mapped_with_the_same_polygons(tmp_path, whole):
    cache = tmp_path / "units" / "key-v1"
    attrs, first = read_polygons_lazily(UNITS, cache=cache)
    assert (cache / "meta.json").exists()
    attrs2, second = read_polygons_lazily(UNITS, cache=cache)
    assert isinstance(second._x, np.memmap)  # from the cache, mapped
    assert attrs2.equals(attrs)
    for a, b in zip(_arrays(first), _arrays(second)):
        np.testing.assert_array_equal(a, b)
    pick = np.arange(0, len(whole), 97)
    assert _same(second[pick], whole.geometry.values[pick])
    np.testing.assert_array_equal(second.bounds, first.bounds)


def test_decoded_cache__damaged_or_stale_is_not_used_and_is_written_again(tmp_path):
    cache = tmp_path / "units" / "key-v1"
    _, ref = read_polygons_lazily(UNITS, cache=cache)
    want = _arrays(ref)
    # one flipped byte in the middle of the coordinates
    x = cache / "x.npy"
    data = bytearray(x.read_bytes())
    data[len(data) // 2] ^= 0x40
    x.write_bytes(bytes(data))
    _, again = read_polygons_lazily(UNITS, cache=cache)
    assert not isinstance(again._x, np.memmap)  # decoded from the layer
    for a, b in zip(want, _arrays(again)):
        np.testing.assert_array_equal(a, b)
    _, mapped = read_polygons_lazily(UNITS, cache=cache)  # the rewritten cache serves
    assert isinstance(mapped._x, np.memmap)
    np.testing.assert_array_equal(np.asarray(mapped._x), want[0])
    # truncated, missing and stale (the layer file's time changed) are not used either
    (cache / "y.npy").write_bytes((cache / "y.npy").read_bytes()[:1000])
    assert not isinstance(read_polygons_lazily(UNITS, cache=cache)[1]._x, np.memmap)
    (cache / "n_rings.npy").unlink()
    assert not isinstance(read_polygons_lazily(UNITS, cache=cache)[1]._x, np.memmap)
    meta = (cache / "meta.json").read_text()
    (cache / "meta.json").write_text(meta.replace('"mtime_ns": ', '"mtime_ns": 1'))
    assert not isinstance(read_polygons_lazily(UNITS, cache=cache)[1]._x, np.memmap)
    assert isinstance(read_polygons_lazily(UNITS, cache=cache)[1]._x, np.memmap)
    assert not [p for p in cache.parent.iterdir() if p.name.startswith(".")]  # no leftovers
    # a cache that cannot be written is no error (its directory would be inside a file)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    _, plain = read_polygons_lazily(UNITS, cache=blocker / "units" / "key-v1")
    np.testing.assert_array_equal(np.asarray(plain._x), want[0])


def test_decoded_cache__the_embedded_set_uses_the_user_cache(tmp_path, monkeypatch):
    from geoverify.boundaries import registry

    monkeypatch.setenv("GEOVERIFY_CACHE_DIR", str(tmp_path))
    manifest = registry.read_manifest(Path(data_dir()) / "manifest.json")
    cache = registry._units_cache(manifest)
    assert cache is not None and cache.parent == tmp_path / "units"
    assert manifest["layers"]["units.parquet"]["sha256"][:32] in cache.name
