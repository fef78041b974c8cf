"""End to end: the Belgorod example gives the same verdicts whatever format it comes in."""

from __future__ import annotations

import csv
import io

import pytest

import geoverify
from geoverify.coords import format_coordinates
from tests.io.belgorod_variants import EXAMPLE, REPO, VARIANTS, example_rows, located


def _boundaries_or_skip():
    if not (REPO / "data" / "boundaries" / "manifest.json").exists():
        pytest.skip("the embedded boundary layers have not been built (data/boundaries)")
    try:
        from geoverify.boundaries import load_boundaries

        return load_boundaries("embedded")
    except geoverify.BoundaryLayerError as exc:
        pytest.skip(f"the embedded boundary layers cannot be loaded: {exc}")


@pytest.fixture(scope="module")
def boundaries():
    return _boundaries_or_skip()


@pytest.fixture(scope="module")
def baseline(boundaries):
    return geoverify.check(EXAMPLE, boundaries=boundaries).to_dict()


def _code(unit):
    return unit["code"] if unit else None


def _per_row(report):
    return [(f["row"], f["verdict"], _code(f["country"]), _code(f["adm1"]))
            for f in report["frames"]]


def _tallies(report):
    keep = ("clip", "rows", "by_country", "by_adm1", "by_verdict")
    return [{k: c[k] for k in keep} for c in report["clips"]]


def test_check__example_baseline_matches_its_readme(baseline):
    # data/examples/README.md: 4 in Sumy oblast (UA-59), 2 in Belgorod oblast (RU-BEL);
    # 4 mismatch, 2 match
    clips = {c["clip"]: c for c in baseline["clips"]}
    mod = clips["MoD 2023-05-22 clip"]
    assert mod["rows"] == 6
    assert mod["by_verdict"] == {"mismatch": 4, "match": 2}
    assert mod["by_adm1"] == {"UA-59": 4, "RU-BEL": 2}
    # ... and the synthetic clip exercises every other verdict once
    exercise = clips.get("Exercise clip (synthetic)")
    if exercise is not None:
        assert exercise["by_verdict"] == {v: 1 for v in ("ambiguous", "disputed", "outside",
                                                         "unclaimed", "unlocated",
                                                         "unresolved")}


@pytest.mark.parametrize("variant", VARIANTS)
def test_check__every_format_gives_the_same_verdicts(variant, belgorod_variants, baseline,
                                                     boundaries):
    path, _ = belgorod_variants[variant]
    report = geoverify.check(path, boundaries=boundaries).to_dict()
    assert _per_row(report) == _per_row(baseline)
    assert _tallies(report) == _tallies(baseline)


def _mgrs_csv(tmp_path, digits_row1):
    rows = example_rows()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "clip", "frame", "coordinates", "claimed"])
    for i, r in enumerate(rows):
        digits = digits_row1 if i == 0 else 5
        text = (format_coordinates(float(r["lon"]), float(r["lat"]), "mgrs", digits=digits)
                if located(r) else "")
        w.writerow([r["id"], r["clip"], r["frame"], text, r["claimed"]])
    path = tmp_path / f"mgrs-{digits_row1}.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_check__grayvoron_in_100m_mgrs_is_ambiguous(tmp_path, baseline, boundaries):
    # Row 1 is about 278 m inside Russia. Written as 6-digit MGRS (a 100 m cell) its position
    # is uncertain by 100 m, which with the border layer's stated 200 m accuracy reaches
    # past the border: the verdict cannot be "match".
    report = geoverify.check(_mgrs_csv(tmp_path, 3), boundaries=boundaries).to_dict()
    first = report["frames"][0]
    assert first["precision_m"] == 100
    border_accuracy = report["boundaries"][0]["accuracy_m"]["country_border"]
    # the cell centre is within 71 m (half the cell's diagonal) of the true point, 278 m in
    assert 278 - 71 < first["distance_to_border_m"] < 278 + 71
    assert first["distance_to_border_m"] < first["precision_m"] + border_accuracy
    assert first["verdict"] == "ambiguous"
    assert _per_row(report)[1:] == _per_row(baseline)[1:]


def test_check__grayvoron_in_1m_mgrs_is_not_ambiguous(tmp_path, baseline, boundaries):
    # the paired control: the same point to 1 m keeps the baseline verdict
    report = geoverify.check(_mgrs_csv(tmp_path, 5), boundaries=boundaries).to_dict()
    assert report["frames"][0]["verdict"] == baseline["frames"][0]["verdict"] == "match"
