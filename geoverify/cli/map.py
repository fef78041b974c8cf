"""``geoverify map FILE -o map.html``: the evidence map as one self-contained HTML file."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from geoverify.cli.options import (
    boundaries_opt,
    configure_logging,
    overwrite_opt,
    quiet_opt,
    verbose_opt,
)

log = logging.getLogger("geoverify")


@click.command("map")
@click.argument("claims", metavar="FILE")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The HTML file to write.")
@click.option("--title", default=None, help="Page title (default: the input file name).")
@click.option("--cdn", is_flag=True, default=False,
              help="Load Leaflet from a CDN (small file, needs the network) instead of inlining it.")
@click.option("--tiles", default=None, metavar="NAME|URL|none",
              help="A tile basemap, e.g. OpenStreetMap (default none: the boundaries are the basemap).")
@click.option("--tiles-attribution", default=None, help="Attribution for a custom tile URL.")
@click.option("--input-format", "input_format", default=None, metavar="FORMAT",
              help="Read FILE as this format instead of guessing.")
@overwrite_opt
@boundaries_opt
@verbose_opt
@quiet_opt
def map_cmd(claims, output, title, cdn, tiles, tiles_attribution, input_format, overwrite,
            boundaries, verbose, quiet):
    """Draw the frames of FILE, coloured by verdict, with per-clip tallies, into one HTML page."""
    from geoverify.api import build_map
    from geoverify.io.writers import write_text_atomic
    from geoverify.render import render_html

    configure_logging(verbose, quiet)
    if Path(output).exists() and not overwrite:
        raise click.UsageError(f"output {output} exists; pass --overwrite to replace it")
    if tiles is not None and tiles.lower() == "none":
        tiles = None
    m = build_map(claims, boundaries=boundaries, title=title or Path(str(claims)).name, cdn=cdn,
                  tiles=tiles, tiles_attribution=tiles_attribution, fmt=input_format)
    write_text_atomic(output, render_html(m), overwrite=overwrite)
    log.info("wrote %s", output)
