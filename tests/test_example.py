"""The embedded example: the May 2023 MoD clip gives 4 in Sumy oblast and 2 in Belgorod oblast."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import geoverify
from tests.conftest import EXAMPLE

SCHEMA = json.loads((Path(geoverify.__file__).parent / "schema" / "report.schema.json")
                    .read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report():
    return geoverify.check(str(EXAMPLE)).to_dict()


def mod_frames(report):
    return [f for f in report["frames"] if f["clip"] == "MoD 2023-05-22 clip"]


def test_check__example_regions(report):
    regions = sorted(f["adm1"]["code"] for f in mod_frames(report))
    assert regions == ["RU-BEL", "RU-BEL", "UA-59", "UA-59", "UA-59", "UA-59"]


def test_check__example_verdicts(report):
    verdicts = [f["verdict"] for f in mod_frames(report)]
    assert verdicts == ["match", "match", "mismatch", "mismatch", "mismatch", "mismatch"]


def test_check__oleksandrivka_is_in_ukraine(report):
    (f,) = [f for f in report["frames"] if f["extra"].get("place", "").startswith("Oleksandrivka")]
    assert f["country"] == {"code": "UA", "name": "Ukraine"}
    assert f["adm1"]["code"] == "UA-59"
    # reporting puts it about 745 m inside Ukraine; the OSM line agrees within its accuracy
    assert 545 <= f["distance_to_border_m"] <= 945


def test_check__grayvoron_checkpoint_is_just_inside_russia(report):
    f = report["frames"][0]
    assert f["country"]["code"] == "RU"
    assert 78 <= f["distance_to_border_m"] <= 478  # reported: about 278 m


def test_check__example_tally(report):
    clip = report["clips"][0]
    assert clip["by_country"] == {"UA": 4, "RU": 2}
    assert clip["by_adm1"] == {"UA-59": 4, "RU-BEL": 2}
    assert clip["by_verdict"] == {"mismatch": 4, "match": 2}
    assert clip["summary"] == (
        "MoD 2023-05-22 clip: 6 locations; 4 in Sumy Oblast (UA), 2 in Belgorod Oblast (RU); "
        "4 of 6 contradict the claim 'Belgorod oblast'")


def test_check__exercise_clip_has_every_other_verdict(report):
    frames = [f for f in report["frames"] if f["clip"] == "Exercise clip (synthetic)"]
    assert {f["verdict"] for f in frames} >= {
        "ambiguous", "outside", "disputed", "unresolved", "unclaimed", "unlocated"}


def test_check__report_is_valid_against_schema(report):
    jsonschema.validate(report, SCHEMA)


def test_check__schema_rejects_a_broken_report(report):
    broken = json.loads(json.dumps(report))
    broken["frames"][0]["verdict"] = "probably"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_check__boundaries_provenance_in_report(report):
    names = [b["name"] for b in report["boundaries"]]
    assert names == ["units", "borders"]
    assert "OpenStreetMap" in report["boundaries"][0]["attribution"]
    assert report["boundaries"][0]["licence"].startswith("ODbL-1.0")
    assert all(len(b["sha256"]) == 64 for b in report["boundaries"])
