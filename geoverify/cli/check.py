"""``geoverify check FILE``: where is every frame, and does it agree with its claim?"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from pathlib import Path

import click

from geoverify.cli.options import (
    CHECK_SUFFIX_FORMATS,
    Choice,
    boundaries_opt,
    check_output,
    cities_opt,
    columns_opt,
    configure_logging,
    format_for,
    format_opt,
    input_format_opt,
    one_claims_file,
    output_opt,
    overwrite_opt,
    quiet_libraries,
    quiet_opt,
    refuse_output_on_input,
    report_notes,
    resolve_cities,
    resolve_columns,
    schema_opt,
    set_current_file,
    sheet_opt,
    sheet_value,
    verbose_opt,
)
from geoverify.cli.progress import Progress
from geoverify.core.result import iter_records
from geoverify.io.exports import EXPORT_FORMATS
from geoverify.run.sink import FrameSink
from geoverify.run.stream import CHUNK_ROWS

log = logging.getLogger("geoverify")

#: ``--fail-on`` level -> verdicts that make the run fail.
FAIL_ON = {
    "never": frozenset(),
    "mismatch": frozenset({"mismatch", "outside"}),
    "ambiguous": frozenset({"mismatch", "outside", "ambiguous", "disputed", "unresolved",
                            "unlocated"}),
}


def failing_rows(result, fail_on: str) -> list[int]:
    """Rows of a :class:`~geoverify.core.result.CheckResult` that hit ``--fail-on``
    (``finding``: any warning or error finding)."""
    import numpy as np

    rows = np.asarray(result.table.columns["row"])
    if fail_on == "finding":
        f = result.table.findings
        pos = np.unique(f.loc[f["severity"].isin(("warning", "error")), "pos"].to_numpy())
        return rows[pos].tolist()
    bad = FAIL_ON[fail_on]
    if not bad:
        return []
    verdict = np.asarray(result.table.columns["verdict"], dtype=object)
    return rows[np.isin(verdict, list(bad))].tolist()


def write_result(result, fmt: str, output, overwrite: bool, *, raw_text: bool = False) -> None:
    """Write a check's report in ``fmt`` to ``output`` (a path, atomically) or stdout.

    CSV text cells a spreadsheet would run as a formula get a leading ``'`` unless
    ``raw_text`` (:func:`geoverify.io.safety.neutralise_formulas`)."""
    from geoverify.io.writers import (
        AtomicFile,
        json_report_chunks,
        to_markdown,
        to_table,
        write_csv_table,
    )

    if fmt == "gpkg":
        from geoverify.io.exports import write_gpkg

        if not output:
            raise click.UsageError("--format gpkg writes a binary file: give -o FILE.gpkg")
        write_gpkg(result.to_dict(), output, overwrite=overwrite)
        return
    with AtomicFile(output, overwrite=overwrite) as fh:
        if fmt == "kml":
            from geoverify.io.exports import to_kml

            fh.write(to_kml(result.to_dict()).encode("utf-8"))
        elif fmt == "csv":
            write_csv_table(result.flat_table(), fh, neutralise=not raw_text)
        elif fmt in ("json", "geojson"):
            clips = result.clips.to_dict("records")
            for chunk in json_report_chunks(result.header(), iter_records(result.table), clips,
                                            geojson=fmt == "geojson"):
                fh.write(chunk.encode("utf-8"))
        else:
            text = (to_table if fmt == "table" else to_markdown)(result.to_dict())
            fh.write(text.encode("utf-8"))


@click.command("check")
@click.argument("claims", metavar="FILE")
@format_opt(None, EXPORT_FORMATS)
@output_opt
@overwrite_opt
@click.option("--raw-text", "raw_text", is_flag=True, default=False,
              help="CSV: write cells exactly as in the claims file. By default a cell that a "
                   "spreadsheet would run as a formula (text beginning with =, +, -, @, tab or "
                   "CR; numbers excepted) gets a leading ' so opening the report is safe; use "
                   "--raw-text when a program, not a person, reads the CSV.")
@click.option("--fail-on", type=Choice(["never", "mismatch", "ambiguous", "finding"]),
              default="never", show_default=True,
              help="Exit 1 when a row reaches this level: mismatch (mismatch, outside), "
                   "ambiguous (anything not confirmed but unclaimed), finding (any warning).")
@input_format_opt
@sheet_opt
@columns_opt
@cities_opt
@click.option("--layer", default=None, help="GeoPackage layer name.")
@schema_opt
@click.option("--encoding", default=None, help="Text encoding of CSV/TSV (default: detect).")
@click.option("--control", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Dated control layer (polygons with party, valid_from, valid_to): each frame "
                   "gets controlled_by as of its own date.")
@click.option("--engine", type=Choice(["local", "dask"]), default="local", show_default=True,
              help="local, or dask: partition FILE (a file, a Parquet dataset directory or a CSV "
                   "glob) and run the same pipeline on Dask workers.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: an existing cluster's scheduler, e.g. tcp://host:8786.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="With --engine dask: start a local cluster of N worker processes.")
@click.option("--rows-per-partition", type=click.IntRange(min=1), default=100_000,
              show_default=True, help="With --engine dask: rows per task.")
@click.option("--out-dir", type=click.Path(file_okay=False), default=None,
              help="With --engine dask: write the frames as a partitioned Parquet result there "
                   "(part-*.parquet and _report.json) instead of gathering them; stdout gets "
                   "the per-clip tallies.")
@click.option("--stream", is_flag=True, default=False,
              help="Stream a large CSV/TSV or Parquet FILE in blocks with bounded memory, "
                   "writing frames to -o as they are checked (CSV, Parquet or JSON Lines, from "
                   "-o's extension); stdout gets the per-clip tallies in --format table or json.")
@click.option("--chunk-rows", type=click.IntRange(min=1), default=CHUNK_ROWS, show_default=True,
              help="With --stream: rows per block.")
@boundaries_opt
@verbose_opt
@quiet_opt
def check_cmd(claims, fmt, output, overwrite, raw_text, fail_on, input_format, sheet, columns,
              cities_in_regions, layer, schema, encoding, control, engine, scheduler, workers, rows_per_partition,
              out_dir, stream, chunk_rows, boundaries, verbose, quiet):
    """Check the claims in FILE (CSV/TSV, XLSX, GeoJSON/JSON/JSONL, KML/KMZ, GeoPackage,
    GeoParquet, FlatGeobuf; - for stdin).

    FILE may also be a directory or a quoted glob that holds exactly one claims file; for
    several files use 'geoverify validate' (or --engine dask, which reads a glob or a Parquet
    dataset directory as one input).
    """
    from geoverify.api import check

    configure_logging(verbose, quiet)
    set_current_file(claims)
    if engine != "dask":
        claims = one_claims_file(claims, "check")
        set_current_file(claims)
    refuse_output_on_input(output, [claims])
    check_output(output, overwrite)
    sheet = sheet_value(sheet)
    if stream and fmt in EXPORT_FORMATS:
        raise click.UsageError(f"--format {fmt} cannot be combined with --stream")
    mapping, mapping_from = resolve_columns(columns, claims if engine != "dask" else None)
    if mapping_from and mapping_from != "--columns":
        log.info("using the column mapping in %s: %s", mapping_from,
                 ",".join(f"{k}={v}" for k, v in mapping.items()))
    cities = resolve_cities(cities_in_regions, claims if engine != "dask" else None)
    if stream:
        return _check_stream(claims, output, fmt or "table", overwrite, fail_on, input_format,
                             schema, chunk_rows, boundaries, quiet, encoding, control,
                             mapping, raw_text, cities,
                             incompatible={"--sheet": sheet, "--layer": layer,
                                           "--out-dir": out_dir},
                             engine=engine)
    read = {"fmt": input_format, "sheet": sheet, "layer": layer, "schema": schema,
            "encoding": encoding}
    progress = Progress(quiet=quiet > 0)
    written = False  # the frames already went to the output as they were checked
    if engine == "dask":
        from geoverify.run.distributed import check_dask

        try:
            import distributed  # noqa: F401  (it sets its loggers up on import: quiet them)
        except ImportError:
            pass
        quiet_libraries(verbose)
        if scheduler and workers:
            raise click.UsageError("give either --scheduler or --workers, not both")
        result = check_dask(claims, out_dir=out_dir, scheduler=scheduler, workers=workers,
                            rows_per_partition=rows_per_partition, overwrite=overwrite,
                            boundaries=boundaries, control=control, progress=progress.advance,
                            columns=mapping or None, cities_in_regions=cities, **read)
        progress.finish()
        if out_dir is not None:
            return _summary_only(result.summary_dict(), fmt or "table", fail_on, output,
                                 overwrite)
    else:
        if scheduler or workers or out_dir:
            raise click.UsageError("--scheduler, --workers and --out-dir go with --engine dask")
        fmt = format_for(fmt, output, CHECK_SUFFIX_FORMATS, "table")
        # CSV: the frames are written batch by batch as they are checked (formatted on the
        # worker threads); only what --fail-on and the notes need is kept
        written = fmt == "csv"
        with (FrameSink(output, "csv", overwrite=overwrite, raw_text=raw_text,
                        reuse_buffers=True) if written else nullcontext()) as sink:
            result = check(claims, boundaries=boundaries, control=control,
                           columns=mapping or None, cities_in_regions=cities,
                           progress=progress, sink=sink, **read)
        progress.finish()
    report_notes(result.input)
    fmt = format_for(fmt, output, CHECK_SUFFIX_FORMATS, "table")
    if not written:
        write_result(result, fmt, output, overwrite, raw_text=raw_text)
    if output:
        log.info("wrote %s (%s)", output, fmt)
    bad = failing_rows(result, fail_on)
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (" ..." if len(bad) > 20 else "")
        click.echo(f"geoverify: {len(bad)} row(s) at or above --fail-on {fail_on}: rows {shown}",
                   err=True)
        raise SystemExit(1)


def _summary_only(report: dict, fmt: str, fail_on: str, output, overwrite: bool) -> None:
    """The tallies of a run whose frames went to files (``--stream``, ``--out-dir``)."""
    from geoverify.io.writers import AtomicFile, json_chunks

    if fmt not in ("table", "json"):
        raise click.UsageError("when the frames go to files, --format is for the tallies: "
                               "table or json")
    bad_verdicts = FAIL_ON.get(fail_on) or ()
    hit = 0

    def counted(clips):
        # one pass over the clips (a stream's may be an iterator over a spilled tally)
        nonlocal hit
        for c in clips:
            hit += sum(n for v, n in c["by_verdict"].items() if v in bad_verdicts)
            yield c

    clips = report["clips"]
    report = {**report, "clips": counted(clips)}
    chunks = json_chunks(report, "clips") if fmt == "json" else (
        c["summary"] + "\n" for c in report["clips"])
    try:
        with AtomicFile(output, overwrite=overwrite) as fh:
            for text in chunks:
                fh.write(text.encode("utf-8"))
    finally:
        if hasattr(clips, "close"):  # tallies read back from disk: remove them even if
            clips.close()  # writing failed (the process ends without finalizers)
    if fail_on == "finding":
        raise click.UsageError("--fail-on finding needs the frames; use mismatch or ambiguous")
    if bad_verdicts:
        if hit:
            click.echo(f"geoverify: {hit} row(s) at or above --fail-on {fail_on}", err=True)
            raise SystemExit(1)


STREAM_FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def _check_stream(claims, output, fmt, overwrite, fail_on, input_format, schema, chunk_rows,
                  boundaries, quiet, encoding, control, mapping, raw_text, cities, *, incompatible,
                  engine):
    """``check --stream``: frames to -o as they are checked, tallies to stdout."""
    from geoverify.api import _control_layer
    from geoverify.run.stream import check_stream, sniff_input

    given = [name for name, value in incompatible.items() if value]
    if given or engine != "local":
        raise click.UsageError(f"--stream does not go with {', '.join(given) or '--engine dask'}")
    if not output:
        raise click.UsageError("--stream needs -o OUTPUT (.csv, .parquet or .jsonl) for the frames")
    out_format = STREAM_FORMATS.get(Path(output).suffix.lower())
    if out_format is None:
        raise click.UsageError(f"-o {output}: use a .csv, .parquet or .jsonl file with --stream")
    if fmt not in ("table", "json"):
        raise click.UsageError("with --stream, --format is for the tallies: table or json")
    if fail_on == "finding":
        raise click.UsageError("--fail-on finding needs the frames; use mismatch or ambiguous "
                               "with --stream")
    progress = Progress(_estimate_rows(Path(claims), sniff_input(Path(claims), input_format)),
                        quiet=quiet > 0)
    report = check_stream(claims, output, out_format=out_format, chunk_rows=chunk_rows,
                          boundaries=boundaries, control=_control_layer(control),
                          progress=progress.advance, input_format=input_format, schema=schema,
                          encoding=encoding, overwrite=overwrite, columns=mapping or None,
                          cities_in_regions=cities,
                          raw_text=raw_text)
    progress.finish()
    report_notes(report["input"])
    _summary_only(report, fmt, fail_on, None, True)


def _estimate_rows(path: Path, fmt: str) -> int | None:
    """Rows in a file, read from Parquet metadata or estimated from a CSV's first megabyte."""
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq
            return pq.ParquetFile(path).metadata.num_rows
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
        lines = head.count(b"\n")
        if lines < 2:
            return None
        if len(head) < (1 << 20):
            return max(lines - 1, 0)
        return int(size / (len(head) / lines))
    except OSError:
        return None
