"""FindingsBuilder.frame: one row per finding, sorted by row, then seq, then order of
addition; the same table whether the parts were added one code at a time (the fast path) or
come from another table (extend)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from geoverify.core.findings import FindingsBuilder, severity_of

CODES = ["claim-mismatch", "near-border", "out-of-range", "missing-coordinates"]


def _reference(adds) -> pd.DataFrame:
    rows = []
    for k, (pos, code, field, values, messages, seq) in enumerate(adds):
        for j, p in enumerate(pos):
            rows.append((int(p), seq, k, j, code, severity_of(code), field, values[j],
                         messages[j]))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    return pd.DataFrame({
        "pos": np.array([r[0] for r in rows], dtype=np.int64),
        "seq": np.array([r[1] for r in rows], dtype=np.int64),
        "code": pd.Series([r[4] for r in rows], dtype=object),
        "severity": pd.Series([r[5] for r in rows], dtype=object),
        "field": pd.Series([r[6] for r in rows], dtype=object),
        "value": pd.Series([r[7] for r in rows], dtype=object),
        "message": pd.Series([r[8] for r in rows], dtype=object)})


@pytest.mark.parametrize("seed", range(6))
def test_frame__sorted_by_row_seq_and_addition_with_every_column(seed):
    rng = np.random.default_rng(seed)
    adds = []
    for k in range(int(rng.integers(1, 9))):
        n = int(rng.integers(1, 60))
        adds.append((rng.integers(0, 40, n), CODES[int(rng.integers(0, 4))],
                     [None, "claimed", "coordinates"][int(rng.integers(0, 3))],
                     [None if rng.random() < 0.3 else f"v{k}.{i}" for i in range(n)],
                     [f"m{k}.{i}" for i in range(n)], int(rng.integers(0, 4)) * 10))
    fb = FindingsBuilder()
    for pos, code, field, values, messages, seq in adds:
        fb.add(pos, code, field, values, pa.array(messages), seq)
    got = fb.frame()
    want = _reference(adds)
    for c in ("pos", "seq"):
        np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy())
    for c in ("code", "severity", "field"):
        assert got[c].dtype == object
        assert got[c].tolist() == want[c].tolist()
    assert [None if pd.isna(v) else v for v in got["value"].tolist()] == want["value"].tolist()
    assert got["message"].tolist() == want["message"].tolist()
    # the general path (a part from another table) gives the same table
    again = FindingsBuilder()
    again.extend(got)
    pd.testing.assert_frame_equal(again.frame(), got)
