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


def _rich_batches(seed: int, n_batches: int, pool: int):
    """Batches over many clips (some seen again after being spilled, a missing clip id, a
    clip id that is not a string), with roles, several places and claims, and frame ids."""
    rng = np.random.default_rng(seed)
    batches, row = [], 1
    for _ in range(n_batches):
        n = int(rng.integers(1, 60))
        clips = [None if v == 0 else f"clip-{v}" for v in rng.integers(0, pool, n)]
        places = rng.integers(0, 3, n)
        cols = _batch(clips, [str(v) if v else None for v in rng.integers(0, 40, n)], row)
        cols["adm1_code"] = [("UA-59", "RU-BEL", None)[p] for p in places]
        cols["adm1_name"] = [("Sumy Oblast", "Belgorod Oblast", None)[p] for p in places]
        cols["country_code"] = [("UA", "RU", "UA")[p] for p in places]
        cols["verdict"] = rng.choice(["match", "mismatch", "ambiguous", "unlocated"], n).tolist()
        cols["role"] = rng.choice(["launch", "impact", None], n).tolist()
        cols["claimed"] = rng.choice(["Belgorod oblast", "Sumy oblast", "Russia"], n).tolist()
        batches.append(cols)
        row += n
    return batches


@pytest.mark.parametrize("budget", [1, 7, 50])
def test_a_spilled_tally_gives_the_records_of_one_in_memory(monkeypatch, budget):
    """A tally with more clips than it may keep writes them to disk and reads them back: the
    records are those of the tally that kept everything, in the same order (first appearance),
    and its temporary directory is gone once they have been read."""
    import geoverify.core.tally as tally_module

    batches = _rich_batches(5, 80, 300)
    whole = Tally()
    for b in batches:
        whole.add(b)
    monkeypatch.setattr(tally_module, "SPILL_CLIPS", budget)
    monkeypatch.setattr(tally_module, "SPILL_PARTS", 5)
    spilled = Tally(spill=True)
    for lo in range(0, len(batches), 3):  # as executors do: a tally per block, merged in order
        part = Tally()
        for b in batches[lo:lo + 3]:
            part.add(b)
        spilled.merge(part)
    assert spilled.spilled > len(whole.clips)  # clips were spilled, some more than once
    assert len(spilled.clips) <= budget
    where = spilled._dir
    assert where is not None and any(where.iterdir())
    got = list(spilled.iter_records())
    assert got == whole.records()
    assert not where.exists()


def test_a_tally_within_its_budget_never_touches_the_disk():
    t, plain = Tally(spill=True), Tally()
    for b in _rich_batches(6, 10, 20):
        t.add(b)
        plain.add(b)
    assert t._dir is None and t.spilled == 0
    assert list(t.iter_records()) == plain.records()


def test_spilled_clips_are_removed_when_reading_stops_early_or_the_run_is_discarded(
        monkeypatch):
    """The process ends with ``os._exit`` (no finalizers): a spilled tally's directory goes
    when its records are closed half read, and when an abandoned run discards it."""
    import geoverify.core.tally as tally_module

    monkeypatch.setattr(tally_module, "SPILL_CLIPS", 5)
    batches = _rich_batches(8, 30, 200)
    half = Tally(spill=True)
    for b in batches:
        half.add(b)
    where = half._dir
    records = half.iter_records()
    next(records)
    assert where.exists()
    records.close()
    assert not where.exists()
    dropped = Tally(spill=True)
    for b in batches:
        dropped.add(b)
    where = dropped._dir
    assert where.exists()
    dropped.discard()
    assert not where.exists()


def test_check_result__clips_made_on_first_use_once(monkeypatch) -> None:
    """The executor hands its tally's ``frame`` to the result: a run whose clips are never
    asked for (a CSV check, the swapped-columns probe) does not make them; asked for, they
    are made once and are the tally's table; they can be replaced."""
    import pandas as pd

    from geoverify import api
    from geoverify.core import tally as tally_module

    made = []
    real = tally_module.Tally.frame

    def spy(self):
        made.append(len(self.clips))
        return real(self)

    monkeypatch.setattr(tally_module.Tally, "frame", spy)
    result = api.check(api.example_claims())
    assert made == []  # checked (with its swapped-columns probe): no clip table made yet
    clips = result.clips
    assert made == [2] and result.clips is clips
    assert list(clips.columns) == tally_module.CLIP_COLUMNS
    assert clips["summary"].str.contains("contradict").all()
    assert result.to_dict()["clips"] == clips.to_dict("records") and made == [2]
    result.clips = pd.DataFrame({"clip": ["x"]})
    assert result.clips["clip"].tolist() == ["x"]
