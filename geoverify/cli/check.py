"""``geoverify check FILE``: where is every frame, and does it agree with its claim?"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from geoverify.cli.options import (
    CHECK_SUFFIX_FORMATS,
    Choice,
    boundaries_opt,
    check_output,
    columns_opt,
    configure_logging,
    format_for,
    format_opt,
    input_format_opt,
    one_claims_file,
    output_opt,
    overwrite_opt,
    quiet_opt,
    refuse_output_on_input,
    report_notes,
    resolve_columns,
    schema_opt,
    set_current_file,
    sheet_opt,
    sheet_value,
    verbose_opt,
)

log = logging.getLogger("geoverify")

#: ``--fail-on`` level -> verdicts that make the run fail.
FAIL_ON = {
    "never": frozenset(),
    "mismatch": frozenset({"mismatch", "outside"}),
    "ambiguous": frozenset({"mismatch", "outside", "ambiguous", "disputed", "unresolved",
                            "unlocated"}),
}


def failing_rows(report: dict, fail_on: str) -> list[int]:
    """Rows that hit ``--fail-on`` (``finding``: any warning or error finding)."""
    if fail_on == "finding":
        return [f["row"] for f in report["frames"]
                if any(x["severity"] in ("warning", "error") for x in f["findings"])]
    bad = FAIL_ON[fail_on]
    return [f["row"] for f in report["frames"] if f["verdict"] in bad]


@click.command("check")
@click.argument("claims", metavar="FILE")
@format_opt(None)
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
@click.option("--layer", default=None, help="GeoPackage layer name.")
@schema_opt
@click.option("--encoding", default=None, help="Text encoding of CSV/TSV (default: detect).")
@click.option("--control", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Dated control layer (polygons with party, valid_from, valid_to): each frame "
                   "gets controlled_by as of its own date.")
@click.option("--engine", type=Choice(["local", "dask"]), default="local", show_default=True,
              help="local, or dask: partition FILE (a file, a Parquet dataset directory or a CSV "
                   "glob) and run the same engine on Dask workers.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: an existing cluster's scheduler, e.g. tcp://host:8786.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="With --engine dask: start a local cluster of N worker processes.")
@click.option("--rows-per-partition", type=click.IntRange(min=1), default=100_000,
              show_default=True, help="With --engine dask: rows per task.")
@click.option("--out-dir", type=click.Path(file_okay=False), default=None,
              help="With --engine dask: also write a partitioned Parquet result and report.json.")
@click.option("--stream", is_flag=True, default=False,
              help="Stream a large CSV/TSV or Parquet FILE in chunks with bounded memory, writing "
                   "frames to -o as they are checked (CSV, Parquet or JSON Lines, from -o's "
                   "extension); stdout gets the per-clip tallies in --format table or json.")
@click.option("--chunk-rows", type=click.IntRange(min=1), default=50_000, show_default=True,
              help="With --stream: rows per chunk.")
@click.option("--distances", type=Choice(["auto", "all", "none"]), default="auto",
              show_default=True,
              help="With --stream: measure border distances only where they decide a verdict "
                   "(auto), for every row (all), or never (none).")
@boundaries_opt
@verbose_opt
@quiet_opt
def check_cmd(claims, fmt, output, overwrite, raw_text, fail_on, input_format, sheet, columns,
              layer, schema, encoding, control, engine, scheduler, workers, rows_per_partition,
              out_dir, stream, chunk_rows, distances, boundaries, verbose, quiet):
    """Check the claims in FILE (CSV/TSV, XLSX, GeoJSON/JSON/JSONL, KML/KMZ, GeoPackage,
    GeoParquet, FlatGeobuf; - for stdin).

    FILE may also be a directory or a quoted glob that holds exactly one claims file; for
    several files use 'geoverify validate' (or --engine dask, which reads a glob or a Parquet
    dataset directory as one input).
    """
    from geoverify.api import check
    from geoverify.io.writers import format_report, write_text_atomic

    configure_logging(verbose, quiet)
    set_current_file(claims)
    if engine != "dask":
        claims = one_claims_file(claims, "check")
        set_current_file(claims)
    refuse_output_on_input(output, [claims])
    check_output(output, overwrite)
    sheet = sheet_value(sheet)
    if stream:
        _, mapping_from = resolve_columns(None, claims)
        if mapping_from:  # never read the columns silently another way than check would
            raise click.UsageError(
                f"--stream cannot apply the column mapping in {mapping_from} yet; rename the "
                "columns in the file, or check it without --stream")
        return _check_stream(claims, output, fmt or "table", overwrite, fail_on, input_format,
                             schema, chunk_rows, distances, boundaries, quiet,
                             incompatible={"--sheet": sheet, "--layer": layer,
                                           "--encoding": encoding, "--control": control,
                                           "--out-dir": out_dir, "--columns": columns},
                             engine=engine)
    fmt = format_for(fmt, output, CHECK_SUFFIX_FORMATS, "table")
    mapping, mapping_from = resolve_columns(columns, claims if engine != "dask" else None)
    if mapping_from and mapping_from != "--columns":
        log.info("using the column mapping in %s: %s", mapping_from,
                 ",".join(f"{k}={v}" for k, v in mapping.items()))
    read = {"fmt": input_format, "sheet": sheet, "layer": layer, "schema": schema,
            "encoding": encoding}
    if engine == "dask":
        from geoverify.run.distributed import check_dask

        if scheduler and workers:
            raise click.UsageError("give either --scheduler or --workers, not both")
        if mapping:
            raise click.UsageError("--columns does not go with --engine dask yet; rename the "
                                   "columns in the files")
        result = check_dask(claims, out_dir=out_dir, scheduler=scheduler, workers=workers,
                            rows_per_partition=rows_per_partition, overwrite=overwrite,
                            boundaries=boundaries, control=control, **read)
    else:
        if scheduler or workers or out_dir:
            raise click.UsageError("--scheduler, --workers and --out-dir go with --engine dask")
        result = check(claims, boundaries=boundaries, control=control, columns=mapping or None,
                       **read)
    report = result.to_dict()
    report_notes(report["input"])
    text = format_report(report, fmt, raw_text=raw_text)
    if output:
        write_text_atomic(output, text, overwrite=overwrite)
        log.info("wrote %s (%s)", output, fmt)
    else:
        click.echo(text, nl=False)
    bad = failing_rows(report, fail_on)
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (" ..." if len(bad) > 20 else "")
        click.echo(f"geoverify: {len(bad)} row(s) at or above --fail-on {fail_on}: rows {shown}",
                   err=True)
        raise SystemExit(1)


STREAM_FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def _check_stream(claims, output, fmt, overwrite, fail_on, input_format, schema, chunk_rows,
                  distances, boundaries, quiet, *, incompatible, engine):
    """``check --stream``: frames to -o as they are checked, tallies to stdout."""
    from geoverify.io.writers import to_json
    from geoverify.run.stream import Progress, check_stream

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
    report = check_stream(claims, output, out_format=out_format, chunk_rows=chunk_rows,
                          boundaries=boundaries, distances=distances,
                          progress=Progress(quiet=quiet > 0), input_format=input_format,
                          schema=schema, overwrite=overwrite)
    if fmt == "json":
        click.echo(to_json(report), nl=False)
    else:
        for clip in report["clips"]:
            click.echo(clip["summary"])
    bad_verdicts = FAIL_ON.get(fail_on)
    if fail_on == "finding":
        raise click.UsageError("--fail-on finding needs the frames; use mismatch or ambiguous with --stream")
    if bad_verdicts:
        hit = sum(n for c in report["clips"] for v, n in c["by_verdict"].items() if v in bad_verdicts)
        if hit:
            click.echo(f"geoverify: {hit} row(s) at or above --fail-on {fail_on}", err=True)
            raise SystemExit(1)
