"""The ``geoverify`` command ends with ``os._exit`` (no heap teardown): everything written
must still be flushed, and the exit code must be main()'s."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from geoverify.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "examples" / "belgorod-2023.csv"


def _run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geoverify", *args], capture_output=True,
                          cwd=ROOT, timeout=300, **kw)


def test_stdout_is_complete_through_a_pipe():
    ref = CliRunner().invoke(cli, ["check", str(EXAMPLE), "-f", "json"])
    got = _run("check", str(EXAMPLE), "-f", "json")
    assert got.returncode == 0, got.stderr
    assert got.stdout == ref.stdout_bytes
    assert got.stdout.endswith(b"}\n")


def test_exit_codes_are_mains(tmp_path):
    missing = str(tmp_path / "missing.csv")
    from geoverify.cli.main import main

    assert _run("check", missing).returncode == main(["check", missing]) == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon,claimed\n50.0,36.2,Belgorod oblast\n", encoding="utf-8")
    got = _run("check", str(bad), "--fail-on", "mismatch", "-o", str(tmp_path / "o.csv"))
    assert got.returncode == 1, got.stderr
    assert b"at or above --fail-on mismatch" in got.stderr
    assert (tmp_path / "o.csv").read_bytes().startswith(b"row,")


def test_a_reader_that_goes_away_is_not_an_error_trace():
    p = subprocess.Popen([sys.executable, "-m", "geoverify", "check", str(EXAMPLE), "-f", "csv"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    p.stdout.read(10)
    p.stdout.close()
    err = p.stderr.read()
    p.wait(timeout=300)
    assert b"Traceback" not in err
