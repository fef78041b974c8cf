"""``geoverify check FILE``: where is every frame, and does it agree with its claim?"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from geoverify.cli.options import (
    boundaries_opt,
    configure_logging,
    output_opt,
    overwrite_opt,
    quiet_opt,
    verbose_opt,
)
from geoverify.io.exports import EXPORT_FORMATS
from geoverify.io.writers import REPORT_FORMATS

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
@click.option("-f", "--format", "fmt", default="table", show_default=True,
              type=click.Choice((*REPORT_FORMATS, *EXPORT_FORMATS)),
              help="Report format on stdout or -o; kml and gpkg are exports (gpkg needs -o).")
@output_opt
@overwrite_opt
@click.option("--fail-on", type=click.Choice(["never", "mismatch", "ambiguous", "finding"]),
              default="never", show_default=True,
              help="Exit 1 when a row reaches this level: mismatch (mismatch, outside), "
                   "ambiguous (anything not confirmed but unclaimed), finding (any warning).")
@click.option("--input-format", "input_format", default=None, metavar="FORMAT",
              help="Read FILE as this format (csv, tsv, geojson, json, jsonl, kml, kmz, xlsx, "
                   "gpkg, parquet, fgb) instead of guessing from its name and content.")
@click.option("--sheet", default=None, help="XLSX sheet name or 0-based index.")
@click.option("--layer", default=None, help="GeoPackage layer name.")
@click.option("--schema", default=None, metavar="NAME",
              help="Export adapter: geoconfirmed, cir, timemap, acled, or none (default: sniff).")
@click.option("--encoding", default=None, help="Text encoding of CSV/TSV (default: detect).")
@click.option("--control", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Dated control layer (polygons with party, valid_from, valid_to): each frame "
                   "gets controlled_by as of its own date.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
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
@click.option("--distances", type=click.Choice(["auto", "all", "none"]), default="auto",
              show_default=True,
              help="With --stream: measure border distances only where they decide a verdict "
                   "(auto), for every row (all), or never (none).")
@boundaries_opt
@verbose_opt
@quiet_opt
def check_cmd(claims, fmt, output, overwrite, fail_on, input_format, sheet, layer, schema,
              encoding, control, engine, scheduler, workers, rows_per_partition, out_dir,
              stream, chunk_rows, distances, boundaries, verbose, quiet):
    """Check the claims in FILE (CSV/TSV, XLSX, GeoJSON/JSON/JSONL, KML/KMZ, GeoPackage,
    GeoParquet, FlatGeobuf; - for stdin)."""
    from geoverify.api import check
    from geoverify.io.writers import format_report, write_text_atomic

    configure_logging(verbose, quiet)
    if output and Path(output).exists() and not overwrite:
        raise click.UsageError(f"output {output} exists; pass --overwrite to replace it")
    if sheet is not None and sheet.isdigit():
        sheet = int(sheet)
    if stream and fmt in EXPORT_FORMATS:
        raise click.UsageError(f"--format {fmt} cannot be combined with --stream")
    if stream:
        return _check_stream(claims, output, fmt, overwrite, fail_on, input_format, schema,
                             chunk_rows, distances, boundaries, quiet,
                             incompatible={"--sheet": sheet, "--layer": layer,
                                           "--encoding": encoding, "--control": control,
                                           "--out-dir": out_dir},
                             engine=engine)
    read = {"fmt": input_format, "sheet": sheet, "layer": layer, "schema": schema,
            "encoding": encoding}
    if engine == "dask":
        from geoverify.core.distributed import check_dask

        if scheduler and workers:
            raise click.UsageError("give either --scheduler or --workers, not both")
        result = check_dask(claims, out_dir=out_dir, scheduler=scheduler, workers=workers,
                            rows_per_partition=rows_per_partition, overwrite=overwrite,
                            boundaries=boundaries, control=control, **read)
    else:
        if scheduler or workers or out_dir:
            raise click.UsageError("--scheduler, --workers and --out-dir go with --engine dask")
        result = check(claims, boundaries=boundaries, control=control, **read)
    report = result.to_dict()
    if fmt == "gpkg":
        from geoverify.io.exports import write_gpkg

        if not output:
            raise click.UsageError("--format gpkg writes a binary file: give -o FILE.gpkg")
        write_gpkg(report, output, overwrite=overwrite)
        text = None
    elif fmt == "kml":
        from geoverify.io.exports import to_kml

        text = to_kml(report)
    else:
        text = format_report(report, fmt)
    if text is None:
        log.info("wrote %s", output)
    elif output:
        write_text_atomic(output, text, overwrite=overwrite)
        log.info("wrote %s", output)
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
    from geoverify.core.stream import Progress, check_stream
    from geoverify.io.writers import to_json

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
