"""``geoverify map FILE -o map.html``: the evidence map as one self-contained HTML file;
``-o fig.svg`` / ``.png`` / ``.pdf``: the static figure (``--clip NAME`` for one clip)."""

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

FIGURE_SUFFIXES = (".svg", ".png", ".pdf")


@click.command("map")
@click.argument("claims", metavar="FILE")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write: .html (interactive page), or .svg/.png/.pdf (static figure).")
@click.option("--clip", default=None, metavar="NAME",
              help="Static figure of this clip only (its frames numbered in frame order).")
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
def map_cmd(claims, output, clip, title, cdn, tiles, tiles_attribution, input_format, overwrite,
            boundaries, verbose, quiet):
    """Draw the frames of FILE, coloured by verdict, with per-clip tallies, into one HTML page
    (or a static SVG/PNG/PDF figure for articles, by the suffix of -o)."""
    from geoverify.api import build_map
    from geoverify.io.writers import write_text_atomic
    from geoverify.render import render_html

    configure_logging(verbose, quiet)
    if Path(output).exists() and not overwrite:
        raise click.UsageError(f"output {output} exists; pass --overwrite to replace it")
    suffix = Path(output).suffix.lower()
    if suffix in FIGURE_SUFFIXES:
        if cdn or tiles:
            raise click.UsageError("--cdn and --tiles are for the HTML page, not a figure")
        from geoverify.api import build_figure
        from geoverify.io.writers import write_bytes_atomic
        from geoverify.render import save_figure

        fig = build_figure(claims, boundaries=boundaries, clip=clip, title=title, fmt=input_format)
        import io

        buffer = io.BytesIO()
        save_figure(fig, buffer, fmt=suffix[1:])
        write_bytes_atomic(output, buffer.getvalue(), overwrite=overwrite)
        log.info("wrote %s", output)
        return
    if suffix not in (".html", ".htm"):
        raise click.UsageError(f"-o {output}: use .html for the page or .svg/.png/.pdf for a figure")
    if clip is not None:
        raise click.UsageError("--clip is for a figure (-o .svg/.png/.pdf); the page has a clip list")
    if tiles is not None and tiles.lower() == "none":
        tiles = None
    m = build_map(claims, boundaries=boundaries, title=title or Path(str(claims)).name, cdn=cdn,
                  tiles=tiles, tiles_attribution=tiles_attribution, fmt=input_format)
    write_text_atomic(output, render_html(m), overwrite=overwrite)
    log.info("wrote %s", output)
