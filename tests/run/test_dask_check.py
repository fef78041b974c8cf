"""check_dask against a real two-process LocalCluster on loopback: same report as a local run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

sys.path.insert(0, str(Path(__file__).parent))
from dask_data import write_claims_csv  # noqa: E402

import geoverify  # noqa: E402
from geoverify.io.writers import to_json  # noqa: E402
from geoverify.run import distributed as gd  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "examples" / "belgorod-2023.csv"
N_ROWS = 1200
LOCAL: dict = {}  # the local run of the generated claims


@pytest.fixture(scope="module")
def cluster():
    cl = gd.local_cluster(2)
    try:
        yield cl
    finally:
        cl.close()


@pytest.fixture(scope="module")
def client(cluster):
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()


def _local(*args, **kwargs) -> dict:
    """``geoverify.check(...).to_dict()``: what every Dask run must equal."""
    return geoverify.check(*args, **kwargs).to_dict()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = write_claims_csv(tmp_path_factory.mktemp("dask") / "claims.csv", N_ROWS)
    result = geoverify.check(str(path))
    LOCAL["result"] = result
    return path, result.to_dict()


def test_example_identical(cluster):
    local = _local(str(EXAMPLE))
    res = gd.check_dask(str(EXAMPLE), scheduler=cluster.scheduler_address, rows_per_partition=5)
    assert len(res.partitions) == 3
    assert to_json(res.to_dict()) == to_json(local)


def test_generated_identical_with_parquet(cluster, generated, tmp_path):
    import pandas as pd

    path, local = generated
    verdicts = {f["verdict"] for f in local["frames"]}
    assert {"match", "mismatch", "unlocated", "unresolved", "unclaimed"} <= verdicts
    assert len(local["clips"]) >= 5
    res = gd.check_dask(str(path), scheduler=cluster.scheduler_address, rows_per_partition=350)
    assert len(res.partitions) == 4
    assert to_json(res.to_dict()) == to_json(local)
    out = tmp_path / "result"
    res = gd.check_dask(str(path), scheduler=cluster.scheduler_address,
                        rows_per_partition=350, out_dir=out)
    # partitioned Parquet: every row exactly once, in order, the columns of the CSV report
    files = sorted(out.glob("part-*.parquet"))
    assert [f.name for f in files] == [p["file"] for p in res.partitions]
    ref = LOCAL["result"].flat_table()
    table = pa.concat_tables([pq.read_table(f) for f in files])
    assert table.equals(ref)
    # issue 14: the results directory reads back as documented, report and all
    back = pd.read_parquet(out)
    assert len(back) == N_ROWS and back["row"].tolist() == list(range(1, N_ROWS + 1))
    import pyarrow.dataset as pads

    assert pads.dataset(out).count_rows() == N_ROWS
    summary = json.loads((out / gd.REPORT_NAME).read_text(encoding="utf-8"))
    assert "frames" not in summary
    assert summary["clips"] == local["clips"]
    assert summary["input"] == local["input"]
    assert sum(p["rows"] for p in summary["partitions"]) == N_ROWS
    assert not list(out.glob(".geoverify-tmp-*"))  # nothing left behind
    # a second run into the same directory needs overwrite
    with pytest.raises(geoverify.errors.ClaimsFileError):
        gd.check_dask(str(path), scheduler=cluster.scheduler_address, out_dir=out)


def test_csv_glob_dataset_numbers_rows_across_files(client, generated, tmp_path):
    path, local = generated
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    cuts = [0, 500, 1100, len(body)]
    for k in range(3):
        (tmp_path / f"part{k}.csv").write_text(header + "".join(body[cuts[k]:cuts[k + 1]]),
                                               encoding="utf-8")
    res = gd.check_dask(str(tmp_path / "part*.csv"), client=client, rows_per_partition=400)
    got = res.to_dict()
    assert len(res.partitions) == 2 + 2 + 1
    assert got["input"]["rows"] == N_ROWS
    assert got["frames"] == local["frames"]
    assert got["clips"] == local["clips"]


def test_boundaries_loaded_once_per_worker(cluster, client):
    for _ in range(2):
        gd.check_dask(str(EXAMPLE), client=client, rows_per_partition=4)
    gd.check_dask(str(EXAMPLE), scheduler=cluster.scheduler_address, rows_per_partition=3)
    states = client.run(gd.worker_state)
    assert len(states) == 2
    assert {s["loads"] for s in states.values()} == {1}
    assert all(s["boundaries"] == ["embedded"] for s in states.values())
    assert len({s["pid"] for s in states.values()}) == 2


def test_rejects_loaded_boundaries_and_both_targets(embedded):
    with pytest.raises(geoverify.errors.ConfigError):
        gd.check_dask(str(EXAMPLE), boundaries=embedded)
    with pytest.raises(geoverify.errors.ConfigError):
        gd.check_dask(str(EXAMPLE), scheduler="tcp://127.0.0.1:1", workers=2)


def _set_engine_min(n):
    from geoverify.engine import index

    old = index.ENGINE_MIN_POINTS
    index.ENGINE_MIN_POINTS = n
    return old


def test_engine_path_on_workers_identical(client, generated, embedded):
    """Workers answering with the quadtree engine (forced for small partitions) give the same
    report as the local run. Skipped when the engine's disk cache is not built."""
    from geoverify.engine import quadtree as engine

    band = float(embedded.accuracy_m.get("coastline", 0.0))
    if not engine._cache_path(embedded, band, engine.DEPTH).exists():
        pytest.skip("engine cache not built (it takes ~35 s); see docs/ENGINE.md")
    path, local = generated
    olds = client.run(_set_engine_min, 300)
    try:
        res = gd.check_dask(str(path), client=client, rows_per_partition=400)
    finally:
        client.run(_set_engine_min, next(iter(olds.values())))
    assert to_json(res.to_dict()) == to_json(local)


def test_control_layer_identical(client, generated):
    import geopandas as gpd
    import shapely

    path, _ = generated
    control = gpd.GeoDataFrame(
        {"party": ["RU", "UA"], "valid_from": ["2023-01-01", "2022-01-01"],
         "valid_to": ["2023-12-31", "2024-01-01"]},
        geometry=[shapely.box(35.0, 50.0, 36.5, 51.0), shapely.box(36.5, 50.0, 38.0, 51.0)],
        crs="EPSG:4326")
    local = _local(str(path), control=control)
    assert {f["controlled_by"] for f in local["frames"]} >= {"RU", "UA", None}
    res = gd.check_dask(str(path), client=client, rows_per_partition=500, control=control)
    assert to_json(res.to_dict()) == to_json(local)


def test_parquet_dataset_directory(client, generated, tmp_path):
    import pandas as pd

    path, local = generated
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    ds = tmp_path / "dataset"
    (ds / "year=2023").mkdir(parents=True)
    df.iloc[:700].to_parquet(ds / "year=2023" / "a.parquet", index=False)
    df.iloc[700:].to_parquet(ds / "year=2023" / "b.parquet", index=False)
    (ds / "_SUCCESS").write_text("", encoding="utf-8")
    res = gd.check_dask(str(ds), client=client, rows_per_partition=1000)
    got = res.to_dict()
    assert [p["rows"] for p in res.partitions] == [700, N_ROWS - 700]
    assert got["input"]["rows"] == N_ROWS and got["input"]["path"] == str(ds)
    assert [f["row"] for f in got["frames"]] == list(range(1, N_ROWS + 1))
    assert got["frames"] == local["frames"]
    assert got["clips"] == local["clips"]
