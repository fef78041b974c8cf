"""Per-clip tallies: distinct frame ids counted exactly across many batches, at a merging cost
that follows the batches, not the square of the frame ids seen."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geoverify.core.tally import FrameSet, Tally


def _batch(clips, frames, start_row=1):
    n = len(clips)
    return {
        "row": list(range(start_row, start_row + n)), "clip": clips,
        "country_code": ["UA"] * n, "country_name": ["Ukraine"] * n,
        "adm1_code": ["UA-59"] * n, "adm1_name": ["Sumy Oblast"] * n,
        "verdict": ["mismatch"] * n, "role": [None] * n,
        "claimed": ["Belgorod oblast"] * n, "frame": frames,
    }


def _summary_frames(record) -> int | None:
    head = record["summary"].split(";")[0]
    if " in " not in head or not head.endswith(("frames", "frame")):
        return None
    return int(head.rsplit(" in ", 1)[1].split()[0])


def test_distinct_frames_over_many_batches_match_a_set():
    rng = np.random.default_rng(7)
    t = Tally()
    seen: dict[str, set] = {"a": set(), "b": set()}
    row = 1
    for _ in range(120):
        n = int(rng.integers(1, 400))
        clips = rng.choice(["a", "b"], n).tolist()
        # ids repeat within and across batches
        frames = [str(v) for v in rng.integers(0, 5_000, n)]
        for c, f in zip(clips, frames):
            seen[c].add(f)
        t.add(_batch(clips, frames, row))
        row += n
    got = {r["clip"]: r for r in t.records()}
    for clip in ("a", "b"):
        assert len(t.clips[clip].frame_hashes) == len(seen[clip])
        assert _summary_frames(got[clip]) == len(seen[clip])


def test_partition_tallies_merge_like_one_pass():
    rng = np.random.default_rng(3)
    batches = []
    row = 1
    for _ in range(40):
        n = 250
        clips = rng.choice(["x", "y", "z"], n).tolist()
        frames = [str(v) for v in rng.integers(0, 3_000, n)]
        batches.append(_batch(clips, frames, row))
        row += n
    one = Tally()
    for b in batches:
        one.add(b)
    parts = Tally()
    for lo in range(0, 40, 7):  # partitions of several batches, merged in input order
        sub = Tally()
        for b in batches[lo:lo + 7]:
            sub.add(b)
        parts.merge(sub)
    assert parts.records() == one.records()


def test_unique_frame_ids_merge_in_n_log_n():
    """One clip, every frame id new: the values merged stay within a log factor of the ids
    (merging the whole set again for every batch moved about batches/2 times the ids)."""
    fs = FrameSet()
    batch, batches = 1_000, 600
    for b in range(batches):
        fs.add(np.arange(b * batch, (b + 1) * batch, dtype=np.uint64) * np.uint64(2654435761))
        assert len(fs.runs) <= math.log2(b + 1) + 2
    total = batch * batches
    assert len(fs) == total
    assert fs.moved <= 2 * total * math.log2(batches)


@pytest.mark.parametrize("sizes", [[5, 3], [1, 1, 1, 1], [0, 4], [10, 0, 10]])
def test_frame_set_runs_stay_sorted_and_distinct(sizes):
    rng = np.random.default_rng(sum(sizes))
    fs = FrameSet()
    everything = set()
    for n in sizes:
        run = np.unique(rng.integers(0, 12, n).astype(np.uint64))
        everything.update(run.tolist())
        fs.add(run)
        for r in fs.runs:
            assert (np.diff(r.astype(np.int64)) > 0).all()
    assert len(fs) == len(everything)
    assert (fs.runs[0].tolist() if fs.runs else []) == sorted(everything)
