"""The in-memory executor writing to a sink: ``check -f csv`` formats each batch on its worker
thread and writes it in order; the bytes are those of the whole table written at once, and the
slim result still drives --fail-on, the notes and the tallies."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import geoverify
from geoverify.cli.main import cli
from geoverify.io.writers import neutralise_table, write_csv_table
from geoverify.run import memory
from geoverify.run.memory import SLIM_COLUMNS
from geoverify.run.sink import FrameSink


@pytest.fixture(scope="module")
def claims(tmp_path_factory):
    """Rows with every kind of cell a CSV writer can get wrong, spread over several batches:
    formulas, quotes, commas, line breaks, missing and bad coordinates, ragged rows."""
    rng = np.random.default_rng(11)
    names = ["Belgorod oblast", "Sumy oblast", "Ukraine", "=HYPERLINK(\"x\")", "Kyiv, city",
             "", "Atlantis", "Kharkiv oblast", "Russia"]
    lines = ["clip,frame,lat,lon,claimed,note"]
    for i in range(900):
        lat, lon = f"{rng.uniform(46, 54):.5f}", f"{rng.uniform(30, 42):.5f}"
        if i % 97 == 5:
            lat = ""
        if i % 89 == 7:
            lat, lon = "x", "y"
        note = ['plain', '"quoted"', 'two\nlines', '+1 555', '-3.5', '@me'][i % 6]
        note = '"' + note.replace('"', '""') + '"'
        name = names[i % len(names)]
        name = '"' + name.replace('"', '""') + '"' if any(c in name for c in ',"') else name
        extra = ",surplus" if i % 211 == 3 else ""
        lines.append(f"clip-{i % 7},{i},{lat},{lon},{name},{note}{extra}")
    path = tmp_path_factory.mktemp("sink") / "claims.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _whole(path, raw_text: bool) -> bytes:
    table = geoverify.check(str(path)).flat_table()
    if not raw_text:
        table = neutralise_table(table)
    buf = io.BytesIO()
    write_csv_table(table, buf)
    return buf.getvalue()


@pytest.mark.parametrize("raw_text", [False, True])
def test_cli_csv_in_batches_is_the_whole_table(claims, monkeypatch, tmp_path, raw_text):
    monkeypatch.setattr(memory, "BATCH_ROWS", 128)  # 8 batches, written as they finish
    out = tmp_path / "out.csv"
    args = ["check", str(claims), "-o", str(out), "-q"] + (["--raw-text"] if raw_text else [])
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == _whole(claims, raw_text)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert got["row"].astype(int).tolist() == list(range(1, 901))
    assert "extra.note" in got.columns


def test_replacing_an_output_starts_its_writeback_batch_by_batch(claims, monkeypatch,
                                                                   tmp_path):
    """Each written batch asks the system to start writing it out (so that the rename over
    an existing file at the end has nothing left to wait for); the file replaced is whole."""
    from geoverify.io import writers

    calls = []
    real = writers._start_writeback

    def spy(fd):
        calls.append(fd)
        real(fd)  # the real call, on the temporary file's descriptor

    monkeypatch.setattr(writers, "_start_writeback", spy)
    monkeypatch.setattr(memory, "BATCH_ROWS", 128)
    out = tmp_path / "out.csv"
    out.write_bytes(b"an older report\n")
    res = CliRunner().invoke(cli, ["check", str(claims), "-o", str(out), "-q", "--overwrite"])
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == _whole(claims, False)
    assert len(calls) == len(memory.batch_spans(900, 128, memory.threads()))  # one a batch
    calls.clear()
    res = CliRunner().invoke(cli, ["check", str(claims), "-f", "csv", "-q"])
    assert res.exit_code == 0 and calls == []  # standard output: nothing to start


def test_cli_csv_to_stdout_in_batches(claims, monkeypatch):
    monkeypatch.setattr(memory, "BATCH_ROWS", 100)
    res = CliRunner().invoke(cli, ["check", str(claims), "-f", "csv", "-q"])
    assert res.exit_code == 0
    assert res.stdout_bytes == _whole(claims, False)


def test_fail_on_works_from_the_slim_result(claims, monkeypatch, tmp_path):
    monkeypatch.setattr(memory, "BATCH_ROWS", 128)
    ref = geoverify.check(str(claims))
    verdict = np.asarray(ref.table.columns["verdict"], dtype=object)
    bad = np.flatnonzero(np.isin(verdict, ["mismatch", "outside"])) + 1
    assert len(bad)
    res = CliRunner().invoke(cli, ["check", str(claims), "-o", str(tmp_path / "o.csv"),
                                   "--fail-on", "mismatch"])
    assert res.exit_code == 1
    assert f"{len(bad)} row(s) at or above --fail-on mismatch" in res.stderr
    assert (tmp_path / "o.csv").exists()  # the report is written all the same
    warned = np.unique(ref.table.findings.loc[
        ref.table.findings["severity"].isin(("warning", "error")), "pos"])
    res = CliRunner().invoke(cli, ["check", str(claims), "-o", str(tmp_path / "p.csv"),
                                   "--fail-on", "finding"])
    assert res.exit_code == 1
    assert f"{len(warned)} row(s) at or above --fail-on finding" in res.stderr


def test_api_sink_keeps_the_slim_columns_and_tallies(claims, tmp_path, monkeypatch):
    monkeypatch.setattr(memory, "BATCH_ROWS", 200)
    ref = geoverify.check(str(claims))
    with FrameSink(tmp_path / "a.csv", "csv", overwrite=False) as sink:
        res = geoverify.check(str(claims), sink=sink)
    assert set(res.table.columns) == set(SLIM_COLUMNS)
    assert sink.rows == 900 and sink.batches == len(memory.batch_spans(900, 200, memory.threads()))
    pd.testing.assert_frame_equal(res.clips, ref.clips)
    for c in SLIM_COLUMNS:
        a, b = res.table.columns[c], ref.table.columns[c]
        assert pd.Series(list(np.asarray(a, dtype=object))).equals(
            pd.Series(list(np.asarray(b, dtype=object)))), c
    # the findings keep position, order, code and severity (code and severity as categoricals)
    got, want = res.table.findings, ref.table.findings
    assert len(got) == len(want) > 0
    assert isinstance(got["code"].dtype, pd.CategoricalDtype)
    for c in ("pos", "seq", "code", "severity"):
        assert got[c].astype(object).tolist() == want[c].astype(object).tolist(), c


def test_slim_findings_join_across_batches_with_other_codes():
    """A code outside the catalogue (a validate rule's, say) survives slimming and the join,
    whether or not every batch holds it; the severities stay comparable as text."""
    from geoverify.core.batch import Frames
    from geoverify.core.result import concat_frames

    def batch(codes, sevs):
        n = len(codes)
        cols = {c: np.arange(n, dtype=float) for c in SLIM_COLUMNS}
        findings = pd.DataFrame({"pos": np.arange(n), "seq": np.zeros(n, dtype=np.int64),
                                 "code": pd.Series(codes, dtype=object),
                                 "severity": pd.Series(sevs, dtype=object),
                                 "field": pd.Series([None] * n, dtype=object)})
        return memory.slim(Frames(cols, {}, findings))

    parts = [batch(["near-border", "my-rule"], ["warning", "error"]),
             batch(["claim-mismatch"], ["error"]),
             batch(["other-rule", "on-border", "my-rule"], ["info", "info", "warning"])]
    assert parts[1].findings["code"].cat.categories.tolist()[:2] == [
        "missing-coordinates", "unparseable-coordinates"]
    whole = concat_frames(parts).findings
    assert whole["pos"].tolist() == [0, 1, 2, 3, 4, 5]
    assert whole["code"].astype(object).tolist() == [
        "near-border", "my-rule", "claim-mismatch", "other-rule", "on-border", "my-rule"]
    assert whole["severity"].isin(("warning", "error")).tolist() == [
        True, True, True, False, False, True]


def test_empty_input_writes_the_header(tmp_path):
    src = tmp_path / "empty.csv"
    src.write_text("lat,lon,claimed\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", str(src), "-f", "csv", "-q"])
    assert res.exit_code == 0, res.output
    assert res.stdout_bytes == _whole(src, False)
    assert res.stdout_bytes.count(b"\n") == 1


def test_reused_buffers_write_the_same_bytes_and_stay_few(claims, monkeypatch, tmp_path):
    """With reuse_buffers, each batch is encoded into a buffer that goes back to the sink
    once written: the file is byte for byte the one without, and the buffers are as many as
    batches were in flight at once, not one per batch."""
    monkeypatch.setattr(memory, "BATCH_ROWS", 100)
    out = {}
    for reuse in (False, True):
        path = tmp_path / f"reuse-{reuse}.csv"
        with FrameSink(path, "csv", overwrite=False, reuse_buffers=reuse) as sink:
            geoverify.check(str(claims), sink=sink)
            if reuse:
                assert 1 <= len(sink._free) <= 4 < sink.batches
        out[reuse] = path.read_bytes()
    assert out[True] == out[False] == _whole(claims, False)
