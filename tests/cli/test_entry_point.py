"""The ``geoverify`` command ends with ``os._exit`` (no heap teardown): everything written
must still be flushed, and the exit code must be main()'s."""

from __future__ import annotations

import os
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


def _pipe_closed_early(args: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    p = subprocess.Popen([sys.executable, "-m", "geoverify", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=ROOT, env=env)
    assert len(p.stdout.read(10)) == 10
    p.stdout.close()  # like `| head -c 10`: the rest of the output has nowhere to go
    err = p.stderr.read()
    return p.wait(timeout=300), err


def test_a_reader_that_goes_away_ends_the_command_quietly_with_the_sigpipe_status(tmp_path):
    # far more output than a pipe holds (64 KiB), so writing must fail after the reader left
    big = tmp_path / "big.csv"
    rows = ["lat,lon,claimed,clip"] + [f"{50 + i % 97 / 1000:.4f},{36 + i % 89 / 1000:.4f},Belgorod oblast,c{i % 7}"
                                       for i in range(3000)]
    big.write_text("\n".join(rows) + "\n", encoding="utf-8")
    plain = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    # PYTHONUNBUFFERED (set in many CI images) makes stdout a raw file, whose write() may
    # write part of the bytes without an error: the command must still notice
    for env in (plain, {**plain, "PYTHONUNBUFFERED": "1"}):
        for fmt in ("json", "csv"):
            code, err = _pipe_closed_early(["check", str(big), "-f", fmt], env)
            assert code == 141, (fmt, env.get("PYTHONUNBUFFERED"), code, err)
            assert b"internal error" not in err and b"Traceback" not in err and b"Exception" not in err, err


def test_stdout_is_complete_through_a_pipe_when_python_is_unbuffered(tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("lat,lon,claimed\n" + "50.5,36.5,Belgorod oblast\n" * 4000, encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    got = subprocess.run([sys.executable, "-m", "geoverify", "check", str(big), "-f", "csv"],
                         capture_output=True, cwd=ROOT, timeout=300, env=env)
    ref = CliRunner().invoke(cli, ["check", str(big), "-f", "csv"])
    assert got.returncode == 0, got.stderr
    assert got.stdout == ref.stdout_bytes and got.stdout.count(b"\n") == 4001
