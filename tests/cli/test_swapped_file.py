"""Issue 13, item 7: a whole file (or most of a clip) with latitude and longitude swapped is said
once, with the count and the fix; rows with lat == lon get a finding."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from geoverify.cli.main import cli

# real places near the Belgorod-Sumy-Kharkiv borders and their claims
PLACES = [(50.4200, 35.6100, "Belgorod oblast"), (50.43005, 35.59057, "Belgorod oblast"),
          (50.5000, 35.7000, "Belgorod oblast"), (50.9000, 34.8000, "Sumy oblast"),
          (49.9900, 36.2300, "Kharkiv oblast"), (48.0000, 37.8000, "Donetsk oblast")]


def _write(path, rows):
    pd.DataFrame(rows, columns=["id", "clip", "latitude", "longitude", "claimed"]).to_csv(
        path, index=False)


def _swapped(clip="c"):
    # the reproduction of the issue: lat written into the longitude column and back
    return [(f"{clip}{i}", clip, lon, lat, claim) for i, (lat, lon, claim) in enumerate(PLACES)]


def _straight(clip="ok"):
    return [(f"{clip}{i}", clip, lat, lon, claim) for i, (lat, lon, claim) in enumerate(PLACES)]


def test_check__swapped_file_gets_one_note_with_count_and_fix(tmp_path):
    path = tmp_path / "swapped.csv"
    _write(path, _swapped())
    r = CliRunner().invoke(cli, ["check", str(path), "--format", "json"], catch_exceptions=False)
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert [f["verdict"] for f in doc["frames"]] == ["mismatch"] * 6  # rows keep their verdicts
    (note,) = [n for n in doc["input"]["notes"] if "swapped" in n]
    assert "6 of 6 rows" in note and "--columns lat=longitude,lon=latitude" in note
    assert note in r.stderr  # and it is said on stderr, once
    assert r.stderr.count("look swapped") == 1


def test_check__one_swapped_clip_among_good_ones_is_named(tmp_path):
    path = tmp_path / "mixed.csv"
    _write(path, _straight("good") + _straight("fine") + _swapped("bad clip"))
    r = CliRunner().invoke(cli, ["check", str(path), "--format", "json"], catch_exceptions=False)
    notes = [n for n in json.loads(r.stdout)["input"]["notes"] if "swapped" in n]
    assert len(notes) == 1 and notes[0].startswith("in clip 'bad clip', 6 of 6 rows")


def test_check__a_file_that_really_contradicts_its_claims_gets_no_swap_note(tmp_path):
    """The example's four Sumy frames contradict 'Belgorod oblast' and stay plain mismatches."""
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "data" / "examples" / "belgorod-2023.csv"
    r = CliRunner().invoke(cli, ["check", str(example), "--format", "json"], catch_exceptions=False)
    assert not [n for n in json.loads(r.stdout)["input"]["notes"] if "swapped" in n]
    assert "swapped" not in r.stderr


def test_validate__swapped_file_is_one_file_level_finding(tmp_path):
    path = tmp_path / "swapped.csv"
    _write(path, _swapped())
    r = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"],
                           catch_exceptions=False)
    found = json.loads(r.stdout)["findings"]
    (whole,) = [f for f in found if f["code"] == "latlon-swapped-file"]
    assert whole["row"] is None and whole["severity"] == "error"
    assert "6 of 6 rows" in whole["message"]
    assert len([f for f in found if f["code"] == "latlon-swapped"]) == 6


def test_equal_coordinates__a_finding_in_check_stream_and_validate(tmp_path):
    path = tmp_path / "same.csv"
    _write(path, [("x", "c", 47.5, 47.5, "Kazakhstan"), ("y", "c", 50.4, 35.6, "Russia"),
                  ("z", "c", 0.0, 0.0, "Russia")])
    runner = CliRunner()
    doc = json.loads(runner.invoke(cli, ["check", str(path), "--format", "json"]).stdout)
    codes = [[x["code"] for x in f["findings"]] for f in doc["frames"]]
    assert "equal-coordinates" in codes[0]
    assert "equal-coordinates" not in codes[1] and "equal-coordinates" not in codes[2]
    (f,) = [x for x in doc["frames"][0]["findings"] if x["code"] == "equal-coordinates"]
    assert f["severity"] == "warning" and "both 47.5" in f["message"]
    out = tmp_path / "s.csv"
    r = runner.invoke(cli, ["check", str(path), "--stream", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "equal-coordinates" in pd.read_csv(out)["finding_codes"][0]
    r = runner.invoke(cli, ["validate", str(path), "--format", "json"])
    assert any(x["code"] == "equal-coordinates" and x["row"] == 1
               for x in json.loads(r.stdout)["findings"])
