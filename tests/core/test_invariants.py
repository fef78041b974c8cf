"""Invariants (hypothesis): tallies add up to the rows, and row order never changes results."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geoverify

CLAIMS = ["AA", "BB", "CC", "South oblast", "North oblast", "Bee oblast", "Nowhere", ""]

row = st.fixed_dictionaries({
    "clip": st.sampled_from(["c1", "c2", "c3"]),
    "frame": st.sampled_from(["00:01", "00:02", "00:03"]),
    "lat": st.one_of(st.floats(-0.5, 1.5, allow_nan=False), st.just(float("nan"))),
    "lon": st.floats(-0.5, 4.5, allow_nan=False),
    "claimed": st.sampled_from(CLAIMS),
    "role": st.sampled_from(["camera", "target", ""]),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=25), seed=st.integers(0, 10_000))
def test_check__tallies_sum_and_order_does_not_matter(tiny, rows, seed):
    df = pd.DataFrame(rows)
    report = geoverify.check(df, boundaries=tiny).to_dict()
    frames = report["frames"]
    assert len(frames) == len(rows)
    assert sum(c["rows"] for c in report["clips"]) == len(rows)
    for c in report["clips"]:
        assert sum(c["by_verdict"].values()) == c["rows"]
        assert sum(c["by_country"].values()) <= c["rows"]
        assert sum(r["rows"] for r in c["by_role"].values()) <= c["rows"]

    shuffled = df.sample(frac=1.0, random_state=seed)
    again = geoverify.check(shuffled.reset_index(drop=True), boundaries=tiny).to_dict()["frames"]
    keep = ("country", "adm1", "claim", "verdict", "distance_to_border_m", "distance_to_claimed_m")
    by_original = {pos: f for pos, f in zip(shuffled.index, again)}
    for i, f in enumerate(frames):
        g = by_original[i]
        assert {k: f[k] for k in keep} == {k: g[k] for k in keep}
