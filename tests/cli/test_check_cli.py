"""`geoverify check` on the command line: formats, rows in = rows out, exit codes 0/1/2/3."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from geoverify.cli.main import cli
from tests.conftest import EXAMPLE

FORMATS = ["table", "csv", "json", "geojson", "markdown"]


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def example_rows() -> int:
    with open(EXAMPLE, encoding="utf-8") as fh:
        return sum(1 for _ in csv.DictReader(fh))


@pytest.fixture(scope="module")
def bad_file(tmp_path_factory):
    """Every kind of bad row next to good ones."""
    p = tmp_path_factory.mktemp("bad") / "bad.csv"
    p.write_text(
        "clip,frame,coordinates,claimed,notes\n"
        "c1,00:01,\"50.43005, 35.59057\",Belgorod oblast,ok\n"
        "c1,00:02,not a place,Belgorod oblast,unparseable\n"
        "c1,00:03,,Belgorod oblast,missing\n"
        "c1,00:04,\"95.0, 35.0\",Russia,cannot be lat-lon: read as lon-lat and flagged\n"
        "c2,00:05,\"50.45, 30.52\",Narnia,unknown claim\n"
        "c2,00:06,\"50.45, 30.52\",,unclaimed\n",
        encoding="utf-8")
    return p


def test_check__example_table_prints_the_tally():
    r = run("check", str(EXAMPLE))
    assert r.exit_code == 0
    assert ("MoD 2023-05-22 clip: 6 locations; 4 in Sumy Oblast (UA), 2 in Belgorod Oblast (RU); "
            "4 of 6 contradict the claim 'Belgorod oblast'") in r.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_check__every_row_in_every_format(fmt, bad_file):
    r = run("check", str(bad_file), "--format", fmt)
    assert r.exit_code == 0
    out = r.output
    n = 6
    if fmt == "json":
        assert [f["row"] for f in json.loads(out)["frames"]] == list(range(1, n + 1))
    elif fmt == "geojson":
        feats = json.loads(out)["features"]
        assert [f["properties"]["row"] for f in feats] == list(range(1, n + 1))
        assert [f["geometry"] is None for f in feats] == [False, True, True, False, False, False]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [r_["row"] for r_ in rows] == [str(i) for i in range(1, n + 1)]
        assert rows[0]["extra.notes"] == "ok"
    elif fmt == "markdown":
        body = [ln for ln in out.splitlines() if ln.startswith("| ") and ln[2].isdigit()]
        assert [ln.split("|")[1].strip() for ln in body] == [str(i) for i in range(1, n + 1)]
    else:
        body = [ln for ln in out.splitlines() if ln[:4].strip().isdigit()]
        assert [ln.split()[0] for ln in body] == [str(i) for i in range(1, n + 1)]


def test_check__bad_rows_get_their_findings(bad_file):
    frames = json.loads(run("check", str(bad_file), "--format", "json").output)["frames"]
    got = [(f["verdict"], [x["code"] for x in f["findings"]]) for f in frames]
    assert got[0][0] in ("match", "ambiguous")
    assert got[1] == ("unlocated", ["unparseable-coordinates"])
    assert got[2] == ("unlocated", ["missing-coordinates"])
    # "95.0, 35.0" cannot be latitude first: read as lon 95, lat 35 (in China) and flagged
    assert got[3] == ("mismatch", ["possibly-swapped", "claim-mismatch"])
    assert frames[3]["country"]["code"] == "CN"
    assert got[4] == ("unresolved", ["unknown-claim"])
    assert got[5] == ("unclaimed", [])
    assert "not a place" in frames[1]["findings"][0]["message"]
    assert frames[1]["findings"][0]["field"] == "coordinates"


def test_check__exit_0_when_fail_on_never(bad_file):
    assert run("check", str(EXAMPLE), "--fail-on", "never").exit_code == 0


def test_check__exit_1_when_fail_on_mismatch_is_hit():
    r = run("check", str(EXAMPLE), "--fail-on", "mismatch")
    assert r.exit_code == 1
    # four MoD rows contradict the claim; row 8 of the exercise clip is at sea (outside)
    assert "5 row(s) at or above --fail-on mismatch: rows 3, 4, 5, 6, 8" in r.output


def test_check__exit_1_when_fail_on_finding_is_hit(bad_file):
    assert run("check", str(bad_file), "--fail-on", "finding").exit_code == 1


def test_check__exit_2_on_unknown_option():
    r = run("check", str(EXAMPLE), "--no-such-option")
    assert r.exit_code == 2
    assert "no-such-option" in r.output


def test_check__exit_2_when_output_exists_without_overwrite(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("keep me")
    r = run("check", str(EXAMPLE), "-o", str(out))
    assert r.exit_code == 2
    assert out.read_text() == "keep me"
    assert run("check", str(EXAMPLE), "-o", str(out), "--overwrite", "-f", "json").exit_code == 0
    assert json.loads(out.read_text())["input"]["rows"] == example_rows()


def test_check__exit_3_on_missing_file(tmp_path):
    r = run("check", str(tmp_path / "nope.csv"))
    assert r.exit_code == 3
    assert "nope.csv" in r.output and "no such file" in r.output


def test_check__exit_3_on_corrupt_json(tmp_path):
    p = tmp_path / "broken.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    r = run("check", str(p))
    assert r.exit_code == 3
    assert "broken.geojson" in r.output


def test_check__exit_3_on_unknown_boundary_set():
    r = run("check", str(EXAMPLE), "--boundaries", "no-such-layer")
    assert r.exit_code == 3
    assert "no-such-layer" in r.output


def test_check__stdin_dash_reads_standard_input():
    r = run("check", "-", "--format", "json", input=EXAMPLE.read_text(encoding="utf-8"))
    assert r.exit_code == 0
    assert len(json.loads(r.output)["frames"]) == example_rows()


def test_check__python_dash_m_runs():
    p = subprocess.run([sys.executable, "-m", "geoverify", "check", str(EXAMPLE), "-f", "json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["clips"][0]["by_adm1"] == {"UA-59": 4, "RU-BEL": 2}


def test_check__json_equals_python_api():
    import geoverify

    r = run("check", str(EXAMPLE), "--format", "json")
    assert json.loads(r.output) == json.loads(json.dumps(geoverify.check(str(EXAMPLE)).to_dict()))


def test_check__output_is_deterministic(tmp_path):
    a = run("check", str(EXAMPLE), "--format", "json").output
    b = run("check", str(EXAMPLE), "--format", "json").output
    assert a == b


@pytest.mark.slow
def test_check__engine_dask_gives_the_same_report():
    local = json.loads(run("check", str(EXAMPLE), "--format", "json").output)
    r = run("check", str(EXAMPLE), "--format", "json", "--engine", "dask", "--workers", "1",
            "--rows-per-partition", "5")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == local


def test_check__dask_options_need_engine_dask():
    assert run("check", str(EXAMPLE), "--workers", "2").exit_code == 2


def test_check__stream_writes_every_row_and_the_same_tallies(tmp_path):
    out = tmp_path / "frames.jsonl"
    r = run("check", str(EXAMPLE), "--stream", "-o", str(out), "--chunk-rows", "5",
            "--format", "json")
    assert r.exit_code == 0, r.output
    streamed = json.loads(r.stdout)
    local = json.loads(run("check", str(EXAMPLE), "--format", "json").stdout)
    assert streamed["clips"] == local["clips"]
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [f["row"] for f in rows] == list(range(1, example_rows() + 1))
    assert [f["verdict"] for f in rows] == [f["verdict"] for f in local["frames"]]


def test_check__stream_with_a_clip_per_row_spills_its_tallies_and_says_the_same(
        tmp_path, monkeypatch):
    """A file with a new clip id on every row, streamed with room for only a few clips in
    memory: the tallies go to disk and come back, and stdout (table and JSON) and the exit
    code of --fail-on are byte for byte those of a run that kept every clip in memory."""
    import geoverify.core.tally as tally_module

    src = tmp_path / "clips.csv"
    with open(EXAMPLE, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for k in range(20):  # 240 rows, 240 clips
            for i, r in enumerate(rows):
                w.writerow({**r, "clip": f"video {k}-{i}"})

    def stream(fmt):
        out = tmp_path / f"frames-{fmt}.csv"
        return run("check", str(src), "--stream", "-o", str(out), "--overwrite",
                   "--chunk-rows", "16", "-f", fmt, "--fail-on", "mismatch")

    kept = {fmt: stream(fmt) for fmt in ("table", "json")}
    monkeypatch.setattr(tally_module, "SPILL_CLIPS", 10)
    made = []
    monkeypatch.setattr(tally_module.Tally, "_spill_clips", lambda self, f=tally_module.Tally.
                        _spill_clips: (made.append(len(self.clips)), f(self))[1])
    for fmt, before in kept.items():
        made.clear()
        r = stream(fmt)
        assert len(made) > 10  # it spilled
        assert r.exit_code == before.exit_code == 1
        assert r.stdout == before.stdout
        assert r.stderr == before.stderr
    assert len(json.loads(kept["json"].stdout)["clips"]) == 20 * len(rows)


def test_check__stream_needs_an_output_file():
    assert run("check", str(EXAMPLE), "--stream").exit_code == 2
