"""An installed wheel, run from another folder, finds its data and gives the same report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import geoverify
from tests.conftest import EXAMPLE, ROOT


@pytest.mark.slow
def test_wheel__installed_copy_gives_same_json(tmp_path):
    wheels = tmp_path / "wheels"
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(wheels), str(ROOT)], check=True,
                   cwd=tmp_path, timeout=300)
    (wheel,) = wheels.glob("geoverify-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(site), str(wheel)], check=True, timeout=300)
    assert (site / "geoverify" / "_data" / "boundaries" / "units.parquet").exists()
    for name in ("places.parquet", "world.parquet", "world_borders.parquet", "manifest.json"):
        assert (site / "geoverify" / "_data" / "context" / name).exists(), name  # the map's context layers
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import sys, geoverify\n"
        f"assert geoverify.__file__.startswith({str(site)!r}), geoverify.__file__\n"
        "from geoverify.boundaries import data_dir\n"
        f"assert str(data_dir()).startswith({str(site)!r}), data_dir()\n"
        "from geoverify.io.context import context_dir\n"
        f"assert str(context_dir()).startswith({str(site)!r}), context_dir()\n"
        "from geoverify.cli.main import main\n"
        f"sys.exit(main(['check', {str(EXAMPLE)!r}, '--format', 'json']))\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    p = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    installed = json.loads(p.stdout)
    here = json.loads(json.dumps(geoverify.check(str(EXAMPLE)).to_dict()))
    assert installed == here


def test_import__does_not_import_folium():
    code = "import sys, geoverify; geoverify.check; print('folium' in sys.modules)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=Path(ROOT))
    assert p.stdout.strip() == "False", p.stderr
