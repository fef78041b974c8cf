"""Verdicts on tiny synthetic polygons: inside, outside, on a shared edge, in a hole, at sea."""

from __future__ import annotations

import pandas as pd
import pytest

import geoverify

# 0.0005 deg of longitude at the equator is about 55.7 m; the tiny set's accuracy is 100 m.


def run(tiny, rows):
    df = pd.DataFrame(rows)
    return geoverify.check(df, boundaries=tiny).to_dict()["frames"]


def one(tiny, lat, lon, claimed, **kw):
    return run(tiny, [{"lat": lat, "lon": lon, "claimed": claimed, **kw}])[0]


def test_check__point_well_inside_claimed_country_is_match(tiny):
    f = one(tiny, 0.2, 0.3, "AA")
    assert (f["verdict"], f["country"]["code"], f["adm1"]["code"]) == ("match", "AA", "AA-S")


def test_check__point_well_inside_claimed_region_is_match(tiny):
    assert one(tiny, 0.2, 0.3, "South oblast")["verdict"] == "match"


def test_check__point_in_other_country_is_mismatch(tiny):
    f = one(tiny, 0.3, 0.8, "BB")
    assert f["verdict"] == "mismatch"
    assert f["distance_to_claimed_m"] == pytest.approx(0.2 * 111_320, rel=0.01)
    assert [x["code"] for x in f["findings"]] == ["claim-mismatch"]


def test_check__mismatch_beyond_reach_has_no_distance_and_says_so(tiny):
    f = one(tiny, 0.2, 0.3, "BB")  # about 78 km from BB: beyond the 25 km reach
    assert f["verdict"] == "mismatch"
    assert f["distance_to_claimed_m"] is None
    assert "more than 25 km" in f["findings"][0]["message"]


def test_check__point_in_sibling_region_is_mismatch(tiny):
    assert one(tiny, 0.8, 0.3, "AA-S")["verdict"] == "mismatch"


def test_check__point_on_shared_edge_is_ambiguous_and_unassigned(tiny):
    f = one(tiny, 0.3, 1.0, "AA")
    assert f["verdict"] == "ambiguous"
    assert f["country"] is None
    assert {"on-border", "near-border"} <= {x["code"] for x in f["findings"]}


def test_check__point_on_shared_vertex_is_ambiguous(tiny):
    f = one(tiny, 0.5, 1.0, "BB")
    assert f["verdict"] == "ambiguous"
    assert f["country"] is None and f["adm1"] is None


def test_check__point_within_accuracy_of_border_is_ambiguous_both_ways(tiny):
    inside = one(tiny, 0.3, 0.9995, "AA")
    outside = one(tiny, 0.3, 0.9995, "BB")
    assert inside["country"]["code"] == "AA"
    assert (inside["verdict"], outside["verdict"]) == ("ambiguous", "ambiguous")


def test_check__point_just_beyond_accuracy_is_decided(tiny):
    # 0.0015 deg is about 167 m > 100 m
    assert one(tiny, 0.3, 0.9985, "AA")["verdict"] == "match"
    assert one(tiny, 0.3, 0.9985, "BB")["verdict"] == "mismatch"


def test_check__precision_widens_the_band(tiny):
    assert one(tiny, 0.3, 0.9985, "AA", precision_m=0)["verdict"] == "match"
    assert one(tiny, 0.3, 0.9985, "AA", precision_m=100)["verdict"] == "ambiguous"


def test_check__coastline_does_not_count_as_border(tiny):
    # 0.0005 deg from the southern edge (a coast): far from any shared boundary
    f = one(tiny, 0.0005, 0.3, "AA")
    assert f["verdict"] == "match"


def test_check__point_in_hole_is_outside(tiny):
    f = one(tiny, 0.5, 3.5, "CC")
    assert f["country"] is None
    assert f["verdict"] == "outside"
    assert f["distance_to_claimed_m"] == pytest.approx(0.1 * 110_574, rel=0.02)


def test_check__point_off_coast_within_coast_accuracy_is_on_land(tiny):
    # 55 m off BB's east coast, inside the 100 m coastline accuracy: taken as BB's land
    f = one(tiny, 0.5, 2.0005, "BB")
    assert (f["verdict"], f["country"]["code"]) == ("match", "BB")
    assert [x["code"] for x in f["findings"]] == ["near-coast"]


def test_check__point_at_sea_within_precision_of_claimed_unit_is_ambiguous(tiny):
    # 0.002 deg (~223 m) off the coast: beyond the coastline band, so at sea ...
    f = one(tiny, 0.5, 2.002, "BB", precision_m=0)
    assert (f["verdict"], f["country"]) == ("outside", None)
    # ... unless the row's own precision reaches the claimed unit
    assert one(tiny, 0.5, 2.002, "BB", precision_m=200)["verdict"] == "ambiguous"
    assert one(tiny, 0.5, 2.5, "BB")["verdict"] == "outside"


def test_check__disputed_area_claimed_by_other_claimant(tiny):
    f = one(tiny, 0.5, 1.5, "AA")
    assert f["verdict"] == "disputed"
    assert f["disputed"] == {"by": "AA", "since": "2020-01"}
    # claiming the de jure country is a plain match
    assert one(tiny, 0.5, 1.5, "BB")["verdict"] == "match"


def test_check__precedence_unlocated_beats_everything(tiny):
    f = one(tiny, "", "", "nowhere at all")
    assert f["verdict"] == "unlocated"
    assert [x["code"] for x in f["findings"]] == ["missing-coordinates"]


def test_check__precedence_unclaimed_before_unresolved(tiny):
    f = one(tiny, 0.2, 0.3, "")
    assert f["verdict"] == "unclaimed"
    assert f["country"]["code"] == "AA"


def test_check__unknown_claim_is_unresolved_with_three_closest(tiny):
    f = one(tiny, 0.2, 0.3, "Southh oblastt")
    assert f["verdict"] == "unresolved"
    (finding,) = [x for x in f["findings"] if x["code"] == "unknown-claim"]
    assert "South oblast (AA-S)" in finding["message"]
    assert finding["message"].count("(") >= 3


def test_check__precedence_unresolved_before_disputed(tiny):
    assert one(tiny, 0.5, 1.5, "Atlantis")["verdict"] == "unresolved"


def test_check__claim_with_region_and_country_judged_at_region(tiny):
    f = one(tiny, 0.8, 0.3, "South oblast, Aland Test")
    assert f["claim"]["code"] == "AA-S"
    assert f["verdict"] == "mismatch"


def test_check__contradictory_claim_is_a_finding(tiny):
    f = one(tiny, 0.2, 0.3, "South oblast, Beeland")
    assert "claim-contradiction" in {x["code"] for x in f["findings"]}
    assert f["claim"]["code"] == "AA-S"


def test_check__every_row_present_in_input_order(tiny):
    rows = [{"lat": "x", "lon": "1"}, {"lat": 0.2, "lon": 0.3, "claimed": "AA"},
            {"lat": 95, "lon": 0.3, "claimed": "AA"}, {"lat": 0.2, "lon": 1.5}]
    frames = run(tiny, rows)
    assert [f["row"] for f in frames] == [1, 2, 3, 4]
    assert [f["verdict"] for f in frames] == ["unlocated", "match", "unlocated", "unclaimed"]
    assert frames[2]["findings"][0]["code"] == "out-of-range"
