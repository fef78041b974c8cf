"""``geoverify map FILE [-o map.html]``: the evidence map as one self-contained HTML file."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from geoverify.cli.options import (
    boundaries_opt,
    check_output,
    columns_opt,
    configure_logging,
    input_format_opt,
    one_claims_file,
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


@click.command("map")
@click.argument("claims", metavar="FILE")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="The HTML file to write. Default: FILE's name with .html, in the current "
                   "directory (belgorod-2023.csv -> belgorod-2023.html).")
@click.option("--title", default=None, help="Page title (default: the input file name).")
@click.option("--cdn", is_flag=True, default=False,
              help="Load Leaflet from a CDN (small file, needs the network) instead of inlining it.")
@click.option("--tiles", default=None, metavar="NAME|URL|none",
              help="A tile basemap, e.g. OpenStreetMap (default none: the boundaries are the basemap).")
@click.option("--tiles-attribution", default=None, help="Attribution for a custom tile URL.")
@input_format_opt
@sheet_opt
@columns_opt
@schema_opt
@overwrite_opt
@boundaries_opt
@verbose_opt
@quiet_opt
def map_cmd(claims, output, title, cdn, tiles, tiles_attribution, input_format, sheet, columns,
            schema, overwrite, boundaries, verbose, quiet):
    """Draw the frames of FILE, coloured by verdict, with per-clip tallies, into one HTML page."""
    from geoverify.api import build_map, check
    from geoverify.io.writers import write_text_atomic
    from geoverify.render import render_html

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
    if tiles is not None and tiles.lower() == "none":
        tiles = None
    mapping, _ = resolve_columns(columns, claims)
    result = check(claims, boundaries=boundaries, fmt=input_format, sheet=sheet_value(sheet),
                   schema=schema, columns=mapping or None)
    report = result.to_dict()
    report_notes(report["input"])
    m = build_map(report, boundaries=boundaries, title=title or Path(str(claims)).name, cdn=cdn,
                  tiles=tiles, tiles_attribution=tiles_attribution)
    write_text_atomic(output, render_html(m), overwrite=overwrite)
    if not quiet:
        click.echo(f"geoverify: wrote {output}", err=True)
