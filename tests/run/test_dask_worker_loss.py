"""A real Dask cluster in separate processes (``dask scheduler`` + two ``dask worker``), one
worker killed mid-run: the run finishes with the same output as a local check; a cluster that
goes away stops the run with exit 3, one message, and nothing written (issue 14)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

sys.path.insert(0, str(Path(__file__).parent))
from dask_data import write_claims_csv  # noqa: E402

import geoverify  # noqa: E402

pytestmark = pytest.mark.slow

ROWS = 60_000
PART = 4_000


@pytest.fixture()
def cluster(tmp_path):
    """A scheduler and two single-threaded workers without nannies (a killed worker stays
    dead), as separate processes on loopback."""
    if not Path(sys.executable).with_name("dask").exists():
        pytest.skip("the dask command line is not installed")
    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
           "GEOVERIFY_THREADS": "1"}
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = {"scheduler": subprocess.Popen(
        [str(Path(sys.executable).with_name("dask")), "scheduler", "--host", "127.0.0.1",
         "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file)],
        stdout=open(logs / "scheduler.log", "wb"), stderr=subprocess.STDOUT, env=env)}
    deadline = time.time() + 60
    while not sched_file.exists() and time.time() < deadline:
        time.sleep(0.2)
    for k in range(2):
        procs[f"worker{k}"] = subprocess.Popen(
            [str(Path(sys.executable).with_name("dask")), "worker", "--scheduler-file",
             str(sched_file), "--nthreads", "1", "--no-nanny", "--no-dashboard",
             "--host", "127.0.0.1", "--name", f"w{k}"],
            stdout=open(logs / f"worker{k}.log", "wb"), stderr=subprocess.STDOUT, env=env)
    address = json.loads(sched_file.read_text())["address"]
    import distributed

    with distributed.Client(address, timeout="60s") as c:
        c.wait_for_workers(2, timeout=120)
    try:
        yield {"address": address, "procs": procs, "env": env}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
            p.wait(timeout=30)


def _run_cli(args, env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "geoverify", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True)


def _wait_for_parts(out: Path, n: int, proc, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(list(out.glob(".geoverify-tmp-*/part-*"))) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the run ended early: {proc.communicate()}")
        time.sleep(0.1)
    raise AssertionError("no partition was written in time")


def test_dask__killing_a_busy_worker_keeps_the_run_and_its_output(cluster, tmp_path):
    src = write_claims_csv(tmp_path / "big.csv", ROWS)
    out = tmp_path / "out"
    t0 = time.time()
    proc = _run_cli(["check", str(src), "--engine", "dask", "--scheduler", cluster["address"],
                     "--rows-per-partition", str(PART), "--out-dir", str(out),
                     "--format", "json"], cluster["env"])
    _wait_for_parts(out, 2, proc)
    victim = cluster["procs"]["worker0"]
    victim.send_signal(signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=600)
    elapsed = time.time() - t0
    assert victim.poll() is not None  # it really died mid-run
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    report = json.loads(stdout)
    local = geoverify.check(str(src))
    assert report["clips"] == local.to_dict()["clips"]
    table = pq.read_table(out)
    assert table.sort_by("row").equals(local.flat_table())
    assert not list(out.glob(".geoverify-tmp-*"))
    time.sleep(3)  # nothing arrives afterwards from the surviving worker
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"part-{k:05d}.parquet" for k in range(ROWS // PART)] + ["_report.json"])
    print(f"worker killed mid-run: exit {proc.returncode}, {elapsed:.1f} s, output identical")


def test_dask__losing_the_cluster_exits_3_and_writes_nothing(cluster, tmp_path):
    src = write_claims_csv(tmp_path / "big.csv", ROWS)
    out = tmp_path / "out"
    proc = _run_cli(["check", str(src), "--engine", "dask", "--scheduler", cluster["address"],
                     "--rows-per-partition", str(PART), "--out-dir", str(out)], cluster["env"])
    _wait_for_parts(out, 1, proc)
    for name in ("scheduler", "worker0", "worker1"):
        cluster["procs"][name].send_signal(signal.SIGKILL)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 3, stderr
    assert "Traceback" not in stderr
    assert "geoverify: error:" in stderr
    time.sleep(2)
    assert not out.exists() or list(out.iterdir()) == []
    shutil.rmtree(out, ignore_errors=True)
