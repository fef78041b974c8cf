"""``geoverify map FILE [-o map.html]``: the evidence map as one self-contained HTML file;
``-o fig.svg`` / ``.png`` / ``.pdf``: the static figure (``--clip NAME`` for one clip)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import click
import numpy as np

from geoverify.cli.options import (
    boundaries_opt,
    check_output,
    cities_opt,
    columns_opt,
    configure_logging,
    input_format_opt,
    one_claims_file,
    overwrite_opt,
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

log = logging.getLogger("geoverify")

FIGURE_SUFFIXES = (".svg", ".png", ".pdf")


@click.command("map")
@click.argument("claims", metavar="FILE")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="The file to write: .html (the interactive page) or .svg/.png/.pdf (a static "
                   "figure). Default: FILE's name with .html, in the current directory "
                   "(belgorod-2023.csv -> belgorod-2023.html).")
@click.option("--clip", default=None, metavar="NAME",
              help="Static figure of this clip only (its frames numbered in frame order).")
@click.option("--title", default=None, help="Page title (default: the input file name).")
@click.option("--cdn", is_flag=True, default=False,
              help="Load Leaflet from a CDN (small file, needs the network) instead of inlining it.")
@click.option("--tiles", default=None, metavar="NAME|URL|none",
              help="A tile basemap, e.g. OpenStreetMap (default none: the boundaries are the basemap).")
@click.option("--tiles-attribution", default=None, help="Attribution for a custom tile URL.")
@input_format_opt
@sheet_opt
@columns_opt
@cities_opt
@schema_opt
@overwrite_opt
@boundaries_opt
@verbose_opt
@quiet_opt
def map_cmd(claims, output, clip, title, cdn, tiles, tiles_attribution, input_format, sheet,
            columns, cities_in_regions, schema, overwrite, boundaries, verbose, quiet):
    """Draw the frames of FILE, coloured by verdict, with per-clip tallies, into one HTML page
    (or a static SVG/PNG/PDF figure for articles, by the suffix of -o)."""
    from geoverify.api import build_figure, build_map, check
    from geoverify.heap import gc_paused
    from geoverify.io.writers import write_bytes_atomic, write_text_atomic
    from geoverify.render import render_html, save_figure

    configure_logging(verbose, quiet)
    set_current_file(claims)
    claims = one_claims_file(claims, "map")
    set_current_file(claims)
    if output is None:
        if claims == "-":
            raise click.UsageError("give -o FILE.html: the map of standard input has no name")
        output = f"{Path(claims).stem}.html"
    refuse_output_on_input(output, [claims])
    check_output(output, overwrite)
    suffix = Path(output).suffix.lower()
    figure = suffix in FIGURE_SUFFIXES
    if not figure and suffix not in (".html", ".htm"):
        raise click.UsageError(f"-o {output}: use .html for the page or .svg/.png/.pdf for a "
                               "figure")
    if figure and (cdn or tiles):
        raise click.UsageError("--cdn and --tiles are for the HTML page, not a figure")
    if not figure and clip is not None:
        raise click.UsageError("--clip is for a figure (-o .svg/.png/.pdf); the page has a clip "
                               "list")
    if tiles is not None and tiles.lower() == "none":
        tiles = None
    mapping, _ = resolve_columns(columns, claims)
    progress = Progress(quiet=quiet > 0)
    result = check(claims, boundaries=boundaries, fmt=input_format, sheet=sheet_value(sheet),
                   schema=schema, columns=mapping or None,
                   cities_in_regions=resolve_cities(cities_in_regions, claims), progress=progress)
    progress.finish()
    report_notes(result.input)
    n = len(result)
    located = int(np.isfinite(np.asarray(result.table.columns["lon"], dtype=float)).sum())
    if figure:
        fig = build_figure(result.to_dict(), boundaries=boundaries, clip=clip, title=title)
        buffer = io.BytesIO()
        save_figure(fig, buffer, fmt=suffix[1:])
        write_bytes_atomic(output, buffer.getvalue(), overwrite=overwrite)
        what = f"figure of clip {clip!r}" if clip else "figure"
    else:
        with gc_paused():  # the page is made of many small objects and lists
            m = build_map(result, boundaries=boundaries, title=title or Path(str(claims)).name,
                          cdn=cdn, tiles=tiles, tiles_attribution=tiles_attribution)
            page = render_html(m)
        write_text_atomic(output, page, overwrite=overwrite)
        what = "map"
    if not quiet:
        clips = len(result.clips)
        click.echo(f"geoverify: wrote {output}, the {what}: {n:,} frame{'s' if n != 1 else ''} "
                   f"({located:,} located) in {clips:,} "
                   f"clip{'s' if clips != 1 else ''}", err=True)
