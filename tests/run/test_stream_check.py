"""check_stream: identical verdicts to check, exact tallies, every format, atomic output."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
import shapely

import geoverify
from geoverify.cli.progress import Progress
from geoverify.core.tally import Tally, tally_by_clip
from geoverify.run import stream as st
from geoverify.run.stream import check_stream

CHUNK = 500


def _near_border_points(boundaries, rng, n):
    """Points within ~3 km of shared borders (both kinds), and some exact vertices."""
    b = boundaries.borders
    box = shapely.box(30, 44, 42, 54)
    geoms = b.geometry.values[shapely.intersects(b.geometry.values, box)]
    pick = rng.choice(len(geoms), n)
    out = []
    for k, g in enumerate(pick):
        line = geoms[g]
        p = line.interpolate(rng.uniform(0, 1), normalized=True)
        if k % 10 == 0:  # exactly on the line
            out.append((p.x, p.y))
            continue
        d = rng.uniform(-0.03, 0.03, 2)
        out.append((p.x + d[0], p.y + d[1]))
    return out


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, embedded):
    rng = np.random.default_rng(7)
    rows = []
    claims = ["Belgorod oblast", "Ukraine", "Russia", "Kharkiv oblast", "Sumy oblast", "",
              "Atlantis", "Georgia", "Crimea", "Luhansk oblast"]
    pts = [(rng.uniform(30, 42), rng.uniform(46, 54)) for _ in range(1000)]
    pts += _near_border_points(embedded, rng, 600)
    pts += [(rng.uniform(31, 37), rng.uniform(44.3, 46.5)) for _ in range(200)]  # sea / Crimea
    for i, (x, y) in enumerate(pts):
        dec = int(rng.choice([5, 5, 5, 3, 2]))
        rows.append({
            "clip": f"clip-{rng.integers(0, 4)}" if i % 37 else "",
            "frame": f"00:{i % 60:02d}" if i % 13 else "",
            "lat": f"{y:.{dec}f}", "lon": f"{x:.{dec}f}",
            "claimed": claims[int(rng.integers(0, len(claims)))],
            "precision_m": str(rng.choice(["", "", "50", "2500", "abc"])),
            "role": str(rng.choice(["camera", "target", "", "drone"])),
            "note": f"n{i}",
        })
    rows[3]["lat"] = ""
    rows[4]["lat"], rows[4]["lon"] = "95.0", "30.0"
    rows[5]["lat"], rows[5]["lon"] = "not", "numbers"
    df = pd.DataFrame(rows)
    d = tmp_path_factory.mktemp("stream")
    src = d / "mixed.csv"
    df.to_csv(src, index=False)
    ref = geoverify.check(str(src), boundaries=embedded)
    return {"dir": d, "src": src, "df": df, "ref": ref,
            "ref_frames": ref.records(), "n": len(df)}


@pytest.fixture(scope="module")
def jsonl_run(mixed, embedded):
    out = mixed["dir"] / "frames.jsonl"
    report = check_stream(mixed["src"], out, out_format="jsonl", chunk_rows=CHUNK,
                          boundaries=embedded)
    frames = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return report, frames


def test_frames_identical_to_check(mixed, jsonl_run):
    """Every frame of a stream is the frame ``check`` gives: verdict, distances, findings."""
    _, frames = jsonl_run
    ref = mixed["ref_frames"]
    assert len(frames) == len(ref) == mixed["n"]
    verdicts = {f["verdict"] for f in ref}
    assert {"match", "mismatch", "ambiguous", "outside", "disputed", "unresolved", "unclaimed",
            "unlocated"} <= verdicts, verdicts
    assert frames == json.loads(json.dumps(ref))


def test_tallies_and_input(mixed, jsonl_run):
    report, _ = jsonl_run
    ref = mixed["ref"].to_dict()
    assert report["clips"] == ref["clips"]
    assert report["input"] == ref["input"]
    assert report["boundaries"] == ref["boundaries"]
    assert report["geoverify_version"] == ref["geoverify_version"]
    assert report["output"]["rows"] == mixed["n"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_flat_formats_equal_checks_table(mixed, embedded, fmt):
    out = mixed["dir"] / f"frames.{fmt}"
    report = check_stream(mixed["src"], out, out_format=fmt, chunk_rows=CHUNK * 2,
                          boundaries=embedded)
    if fmt == "csv":
        got = pd.read_csv(out, dtype=str, keep_default_na=False)
    else:
        got = pd.read_parquet(out).astype(object).fillna("").astype(str)
    assert len(got) == mixed["n"] == report["input"]["rows"]
    assert got["row"].astype(int).tolist() == list(range(1, mixed["n"] + 1))
    ref = mixed["ref"].flat_table().to_pandas().astype(object).fillna("").astype(str)
    if fmt == "csv":  # CSV text of numbers: compare as numbers
        for c in ("lon", "lat", "distance_to_border_m", "distance_to_region_border_m",
                  "distance_to_claimed_m", "decision_distance_m", "decision_band_m",
                  "precision_m"):
            a = pd.to_numeric(got[c].replace("", np.nan))
            b = pd.to_numeric(ref[c].replace("", np.nan))
            np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
            got[c] = ref[c]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), ref.reset_index(drop=True),
                                  check_dtype=False)
    assert report["clips"] == mixed["ref"].to_dict()["clips"]


def test_parquet_input(mixed, embedded, tmp_path):
    src = tmp_path / "in.parquet"
    mixed["df"].iloc[:1000].to_parquet(src, row_group_size=300, index=False)
    ref = geoverify.check(str(src), boundaries=embedded).to_dict()
    out = tmp_path / "out.jsonl"
    report = check_stream(src, out, out_format="jsonl", chunk_rows=250, boundaries=embedded)
    frames = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert frames == json.loads(json.dumps(ref["frames"]))
    assert report["clips"] == ref["clips"]
    assert report["input"]["sha256"] == ref["input"]["sha256"]


def test_row_numbers_in_findings_are_global(jsonl_run):
    _, frames = jsonl_run
    for f in frames:
        for x in f["findings"]:
            assert x["message"].startswith(f"row {f['row']}"), x


def _messy_csv(n: int = 3000, seed: int = 11) -> str:
    """A file a hurried exporter writes: ragged rows, blank lines, quoted cells with line
    breaks and delimiters, NULs, bad coordinates, a BOM, CRLF line ends."""
    rng = np.random.default_rng(seed)
    lines = ["\ufeffid,clip,frame,lat,lon,claimed,note"]
    for i in range(n):
        lat, lon = rng.uniform(44, 54), rng.uniform(30, 42)
        kind = i % 13
        note = "plain"
        if kind == 1:
            note = '"two\r\nlines, and a comma"'
        elif kind == 2:
            note = '"a ""quoted"" word"'
        elif kind == 3:
            note = "nul\x00byte"
        coords = f"{lat:.5f},{lon:.5f}"
        if kind == 4:
            coords = "not,numbers"
        elif kind == 5:
            coords = f"{lon:.5f},{lat:.5f}"  # swapped: latitude out of range or wrong place
        row = f"r{i},clip-{i % 7},00:{i % 60:02d},{coords},{'Ukraine' if i % 3 else 'Russia'},{note}"
        if kind == 6:
            row = f"r{i},clip-{i % 7},00:{i % 60:02d}"  # short
        elif kind == 7:
            row += ",extra,fields"  # long
        lines.append(row)
        if kind == 8:
            lines.append("")  # blank line: not a record
    return "\r\n".join(lines) + "\r\n"


def test_messy_file__stream_gives_what_check_gives(embedded, tmp_path):
    """Issue 13: --stream refused a whole file for one ragged row; now every row that check
    handles, stream handles, with the same verdicts and findings."""
    src = tmp_path / "messy.csv"
    src.write_bytes(_messy_csv().encode("utf-8"))
    ref = geoverify.check(str(src), boundaries=embedded).records()
    out = tmp_path / "messy.jsonl"
    report = check_stream(src, out, out_format="jsonl", chunk_rows=400, boundaries=embedded)
    frames = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert report["input"]["rows"] == len(ref) == 3000
    assert [f["row"] for f in frames] == list(range(1, 3001))
    for a, b in zip(frames, ref):
        assert a["verdict"] == b["verdict"], (a["row"], a["verdict"], b["verdict"])
        assert [x["code"] for x in a["findings"]] == [x["code"] for x in b["findings"]]
        # messages are the same but for where the extra fields of a long row are kept
        am = [x["message"] for x in a["findings"] if x["code"] != "ragged-row"]
        bm = [x["message"] for x in b["findings"] if x["code"] != "ragged-row"]
        assert am == bm
    codes = {x["code"] for f in ref for x in f["findings"]}
    assert {"ragged-row", "unparseable-coordinates", "missing-coordinates"} <= codes


def test_atomic_output_on_error(mixed, embedded, tmp_path, monkeypatch):
    out = tmp_path / "out.csv"
    calls = {"n": 0}
    real = st.check_batch

    def boom(claims, ctx):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(claims, ctx)

    monkeypatch.setattr(st, "check_batch", boom)
    with pytest.raises(RuntimeError):
        check_stream(mixed["src"], out, chunk_rows=CHUNK, boundaries=embedded)
    assert list(tmp_path.iterdir()) == []


def test_spilled_tallies_are_removed_when_the_stream_fails(mixed, embedded, tmp_path,
                                                          monkeypatch):
    """A run that spilled its tallies to disk and then failed leaves no temporary directory
    behind (the command ends with ``os._exit``, which runs no finalizers)."""
    import tempfile

    import geoverify.core.tally as tally_module

    spill_root = tmp_path / "tmp"
    spill_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_root))
    monkeypatch.setattr(tally_module, "SPILL_CLIPS", 2)
    seen = []
    real_emit = st._emit

    def emit_then_fail(*args):
        real_emit(*args)
        seen.append(sorted(p.name for p in spill_root.iterdir()))
        if len(seen) == 3:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(st, "_emit", emit_then_fail)
    alive = []  # held, so that no finalizer can be what removed the directory

    def kept(*args, **kwargs):
        alive.append(Tally(*args, **kwargs))
        return alive[-1]

    monkeypatch.setattr(st, "Tally", kept)
    with pytest.raises(RuntimeError):
        check_stream(mixed["src"], tmp_path / "out.csv", chunk_rows=CHUNK // 5,
                     boundaries=embedded)
    assert any(seen[-1])  # the tallies had been spilled ...
    assert list(spill_root.iterdir()) == []  # ... and are gone
    assert alive[0].spilled > 0


def test_existing_output_kept_on_error(mixed, embedded, tmp_path, monkeypatch):
    out = tmp_path / "out.csv"
    out.write_text("old\n")

    def boom(claims, ctx):
        raise RuntimeError("no")

    monkeypatch.setattr(st, "check_batch", boom)
    with pytest.raises(RuntimeError):
        check_stream(mixed["src"], out, chunk_rows=CHUNK, boundaries=embedded)
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_bad_options(mixed, tmp_path):
    with pytest.raises(geoverify.errors.ConfigError):
        check_stream(mixed["src"], tmp_path / "x", out_format="xlsx")
    with pytest.raises(geoverify.errors.ConfigError):
        check_stream(mixed["src"], tmp_path / "x", chunk_rows=0)
    with pytest.raises(geoverify.errors.ClaimsFileError):
        check_stream(tmp_path / "missing.csv", tmp_path / "x")


def test_tally__batches_merge_to_the_whole():
    rng = np.random.default_rng(3)

    def pick(options):
        return options[int(rng.integers(0, len(options)))]

    frames = []
    for i in range(3000):
        cc = pick(["UA", "RU", None])
        code = f"{cc}-{rng.integers(0, 3)}"
        frames.append({
            "row": i + 1,
            "clip": pick(["a", "b", None]),
            "frame": None if i % 7 == 0 else f"f{rng.integers(0, 300)}",
            "country": {"code": cc, "name": {"UA": "Ukraine", "RU": "Russia"}[cc]} if cc else None,
            "adm1": {"code": code, "name": f"Oblast {code}"} if cc and i % 5 else None,
            "verdict": pick(["match", "mismatch", "ambiguous", "unclaimed", "unlocated"]),
            "role": pick(["camera", "target", None, "drone"]),
            "claimed": pick(["Belgorod oblast", None, "Ukraine"]),
        })
    whole = tally_by_clip(frames)
    parts = Tally()
    for k in range(0, len(frames), 400):
        t = Tally()
        t.merge(Tally())
        t_records = frames[k:k + 400]
        sub = Tally()
        sub.add({
            "row": [f["row"] for f in t_records], "clip": [f["clip"] for f in t_records],
            "country_code": [(f["country"] or {}).get("code") for f in t_records],
            "country_name": [(f["country"] or {}).get("name") for f in t_records],
            "adm1_code": [(f["adm1"] or {}).get("code") for f in t_records],
            "adm1_name": [(f["adm1"] or {}).get("name") for f in t_records],
            "verdict": [f["verdict"] for f in t_records], "role": [f["role"] for f in t_records],
            "claimed": [f["claimed"] for f in t_records], "frame": [f["frame"] for f in t_records]})
        parts.merge(sub)
    assert parts.records() == whole
    assert any("in 2" in c["summary"] or "frames" in c["summary"] for c in whole)


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_only_on_tty_and_not_quiet(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    quiet = _Tty()
    p = Progress(100, stream=quiet, quiet=True, delay=0, interval=0)
    p(50)
    assert quiet.getvalue() == ""
    pipe = io.StringIO()
    p = Progress(100, stream=pipe, delay=0, interval=0)
    p(50)
    assert pipe.getvalue() == ""
    tty = _Tty()
    p = Progress(1000, stream=tty, delay=0, interval=0)
    p.advance(500)
    p.advance(500)
    p.finish()
    text = tty.getvalue()
    assert "500 of 1,000" in text and "rows/s" in text and text.endswith("\n")
    slow = _Tty()
    p = Progress(1000, stream=slow, delay=60)
    p(10)
    p(1000, final=True)
    assert slow.getvalue() == ""  # short jobs print nothing
    monkeypatch.setenv("CI", "true")
    ci = _Tty()
    p = Progress(1000, stream=ci, delay=0, interval=0)
    p(500)
    assert ci.getvalue() == ""  # CI logs stay clean
