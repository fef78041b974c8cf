"""Options shared by several commands."""

from __future__ import annotations

import logging

import click

from geoverify.errors import GeoverifyError
from geoverify.io.writers import REPORT_FORMATS

#: Exit code when geoverify cannot run (unreadable file, unknown layer, bad config).
EXIT_CANNOT_RUN = 3


class Group(click.Group):
    """A click group that maps geoverify's own errors to exit code 3 with a one-line message."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GeoverifyError as exc:
            click.echo(f"geoverify: error: {exc}", err=True)
            ctx.exit(EXIT_CANNOT_RUN)

verbose_opt = click.option("-v", "--verbose", count=True, help="More log output on stderr.")
quiet_opt = click.option("-q", "--quiet", count=True, help="Less log output on stderr.")
output_opt = click.option("-o", "--output", "output", type=click.Path(dir_okay=False),
                          default=None, help="Write the report to this file instead of stdout.")
overwrite_opt = click.option("--overwrite", is_flag=True, default=False,
                             help="Replace the output file if it exists.")
_boundaries = click.option(
    "--boundaries", "boundaries", default="embedded", show_default=True, metavar="NAME|PATH",
    help="Boundary set: embedded, a set added with 'geoverify boundaries add', or a layer file.")
_worldview = click.option(
    "--worldview", default=None, metavar="NAME",
    help="Which country disputed areas count as: de-jure (default), de-facto, or a name from "
         "'geoverify boundaries worldviews'. Recorded in every report.")


def boundaries_opt(f):
    """``--boundaries`` and ``--worldview``; the command receives one ``boundaries`` spec."""
    import functools

    @_boundaries
    @_worldview
    @functools.wraps(f)
    def wrapper(*args, boundaries, worldview, **kwargs):
        if worldview and worldview != "de-jure":
            boundaries = f"{boundaries}@{worldview}"
        return f(*args, boundaries=boundaries, **kwargs)

    return wrapper


def format_opt(default: str = "table"):
    return click.option("-f", "--format", "fmt", type=click.Choice(REPORT_FORMATS),
                        default=default, show_default=True, help="Report format on stdout or -o.")


def configure_logging(verbose: int, quiet: int) -> None:
    """geoverify's own log messages on stderr (-v more, -q less); other libraries' stay quiet."""
    import sys

    level = max(logging.WARNING - 10 * verbose + 10 * quiet, logging.DEBUG)
    logger = logging.getLogger("geoverify")
    if not any(getattr(h, "_geoverify", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("geoverify: %(message)s"))
        handler._geoverify = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    quiet_libraries(verbose)


def quiet_libraries(verbose: int) -> None:
    """Libraries geoverify drives (Dask's client, its event loop) log their own retries and
    tracebacks; a failure reaches the user as geoverify's one message instead (``-vv`` shows
    theirs). Call again after importing them: Dask sets its loggers up on import."""
    for name in ("distributed", "tornado", "asyncio"):
        lg = logging.getLogger(name)
        lg.setLevel(logging.DEBUG if verbose > 1 else logging.CRITICAL)
        for child in list(logging.Logger.manager.loggerDict):
            if child.startswith(name + "."):
                logging.getLogger(child).setLevel(
                    logging.DEBUG if verbose > 1 else logging.CRITICAL)
