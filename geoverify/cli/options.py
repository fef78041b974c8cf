"""Options shared by several commands, and the group that turns errors into exit codes."""

from __future__ import annotations

import difflib
import glob
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from geoverify.errors import ClaimsFileError, ConfigError, GeoverifyError
from geoverify.io.columns import column_mapping
from geoverify.io.config import config_bool, config_near
from geoverify.io.dataset import CLAIMS_SUFFIXES, discover
from geoverify.io.writers import REPORT_FORMATS, check_output_path

#: Exit code when geoverify cannot run (unreadable file, unknown layer, bad config).
EXIT_CANNOT_RUN = 3

#: ``ctx.meta`` keys: the file a command is reading (for the last-resort message) and -v.
META_FILE = "geoverify.file"
META_VERBOSE = "geoverify.verbose"

log = logging.getLogger("geoverify")


def set_current_file(path: Any) -> None:
    """Record the file the command is working on, for an internal-error message."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[META_FILE] = None if path is None else str(path)


def internal_error_message(exc: BaseException, file: str | None) -> str:
    where = f" while reading {file}" if file else ""
    if isinstance(exc, MemoryError):
        return (f"geoverify: error: ran out of memory{where}; the input is too large for an "
                "in-memory check (try --stream for a large CSV or Parquet file)")
    return (f"geoverify: internal error{where}: {type(exc).__name__}: {exc}; this is a bug in "
            "geoverify, please report it (run with -v for the traceback)")


#: Exit status when the reader of standard output goes away (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141


def _silence_stdout() -> None:
    """Point standard output at the null device, so what is still buffered (flushed at exit)
    does not fail a second time."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test runner)
        pass


class Group(click.Group):
    """A click group that maps geoverify's errors to exit code 3 with a one-line message, and
    is the last resort for anything unexpected: "internal error", the file being read, exit 3,
    and a traceback only with ``-v``."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GeoverifyError as exc:
            click.echo(f"geoverify: error: {exc}", err=True)
            ctx.exit(EXIT_CANNOT_RUN)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # the reader of standard output went away (``| head``): stop quietly with the
            # status of a process ended by SIGPIPE, as other command-line tools do
            _silence_stdout()
            ctx.exit(EXIT_BROKEN_PIPE)
        except Exception as exc:  # the last resort: never a bare traceback
            click.echo(internal_error_message(exc, ctx.meta.get(META_FILE)), err=True)
            if ctx.meta.get(META_VERBOSE):
                click.echo(traceback.format_exc(), err=True)
            ctx.exit(EXIT_CANNOT_RUN)


class Choice(click.Choice):
    """A choice compared case-insensitively (``-f JSON``), with aliases, that answers a typo
    with "did you mean" (exit 2, a usage error)."""

    def __init__(self, choices, aliases: dict[str, str] | None = None,
                 hints: dict[str, str] | None = None) -> None:
        super().__init__(list(choices), case_sensitive=False)
        self.aliases = {k.lower(): v for k, v in (aliases or {}).items()}
        self.hints = {k.lower(): v for k, v in (hints or {}).items()}

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return super().convert(value, param, ctx)
        v = value.strip().lower().lstrip(".")
        for c in self.choices:
            if c.lower() == v:
                return c
        if v in self.aliases:
            return self.aliases[v]
        msg = f"{value!r} is not one of {', '.join(map(repr, self.choices))}"
        if v in self.hints:
            msg += f"; {self.hints[v]}"
        names = [c.lower() for c in self.choices] + list(self.aliases)
        near = difflib.get_close_matches(v, names, n=1, cutoff=0.5)
        if near:
            guess = self.aliases.get(near[0], near[0])
            msg += f". Did you mean {guess!r}?"
        self.fail(msg, param, ctx)


verbose_opt = click.option("-v", "--verbose", count=True, help="More log output on stderr.")
quiet_opt = click.option("-q", "--quiet", count=True, help="Less log output on stderr.")
output_opt = click.option("-o", "--output", "output", type=click.Path(dir_okay=False),
                          default=None,
                          help="Write the report to this file instead of stdout (its extension "
                               "picks the format when --format is not given).")
overwrite_opt = click.option("--overwrite", is_flag=True, default=False,
                             help="Replace the output file if it exists.")
columns_opt = click.option(
    "--columns", "columns", default=None, metavar="ROLE=COLUMN,...",
    help="Name the columns geoverify does not recognise, e.g. "
         "--columns lat=latitude_deg,lon=longitude_deg,claimed=region_claimed (roles: id, "
         "clip, frame, lat, lon, coordinates, claimed, source, date, precision_m, role). "
         "Default: the columns mapping of the .geoverify.toml, pyproject.toml or setup.cfg "
         "found from the file's directory upward.")
cities_opt = click.option(
    "--cities-in-regions/--strict-cities", "cities_in_regions", default=None,
    help="Count a point in a city with special status as in the region that encloses it when "
         "the claim names that region (Kyiv in Kyiv Oblast, Sevastopol in Crimea, Moscow in "
         "Moscow Oblast...): such rows match, with the info finding city-in-region. Default: "
         "the configuration's cities_in_regions, else strict (a mismatch).")
sheet_opt = click.option("--sheet", default=None, metavar="NAME|INDEX",
                         help="XLSX: the sheet to read (name or 0-based index). Default: the "
                              "first sheet with coordinate columns.")
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


def format_opt(default: str | None = "table", extra: tuple[str, ...] = ()):
    return click.option("-f", "--format", "fmt", type=Choice((*REPORT_FORMATS, *extra), aliases={
                            "md": "markdown", "txt": "table", "text": "table"}),
                        default=default, show_default=default is not None,
                        help="Report format on stdout or -o. Default: from -o's extension "
                             "(.csv, .json, .geojson, .md"
                             + "".join(f", .{x}" for x in extra) + "), else table."
                             + (" kml and gpkg are exports for Google Earth and QGIS (gpkg "
                                "needs -o)." if extra else ""))


#: ``-o`` extension -> ``check`` report format.
CHECK_SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".geojson": "geojson",
                        ".md": "markdown", ".markdown": "markdown", ".txt": "table",
                        ".kml": "kml", ".gpkg": "gpkg"}


def format_for(fmt: str | None, output: str | None, by_suffix: dict[str, str],
               default: str) -> str:
    """``--format`` if given, else the one ``-o``'s extension names, else ``default``."""
    if fmt is not None:
        return fmt
    if output:
        return by_suffix.get(Path(output).suffix.lower(), default)
    return default


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file (existing or not)."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return pa.samefile(pb)
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def refuse_output_on_input(output: str | None, inputs, what: str = "-o") -> None:
    """A usage error (exit 2) when an output would replace one of the inputs."""
    if not output or str(output) == "-":
        return
    for i in inputs:
        if str(i) != "-" and Path(i).is_file() and same_file(output, i):
            raise click.UsageError(
                f"{what} {output} is the input file {i}; the report would replace it. Write "
                "the report to another file")


def check_output(output: str | None, overwrite: bool) -> None:
    """Refuse an output before any work: an existing file without --overwrite is a usage
    error (exit 2); a missing directory cannot run (exit 3, naming it)."""
    if not output:
        return
    if Path(output).exists() and not Path(output).is_dir() and not overwrite:
        raise click.UsageError(f"output {output} exists; pass --overwrite to replace it")
    check_output_path(output, overwrite=True)


_GLOB_CHARS = set("*?[")


def expand_claims(claims: str) -> list[str]:
    """The claims files FILE names: itself; the claims files in a directory (searched as
    ``validate`` does); or the files a quoted glob matches."""
    if claims == "-" or Path(claims).is_file():
        return [claims]
    if Path(claims).is_dir():
        return [str(p) for p in discover([claims])]
    if _GLOB_CHARS & set(claims):
        found = sorted(p for p in glob.glob(claims, recursive=True)
                       if Path(p).is_file() and p.lower().endswith(CLAIMS_SUFFIXES))
        if not found:
            raise ClaimsFileError(f"claims file {claims}: the pattern matches no claims file "
                                  f"({', '.join(CLAIMS_SUFFIXES)})")
        return found
    return [claims]


def one_claims_file(claims: str, command: str) -> str:
    """The one claims file FILE names; several (a directory or a glob) is a usage error."""
    files = expand_claims(claims)
    if len(files) == 1:
        if files[0] != claims:
            log.info("%s: checking %s", claims, files[0])
        return files[0]
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    raise click.UsageError(
        f"{claims} holds {len(files)} claims files ({shown}); '{command}' reads one file and "
        "writes one report for it. Check a whole dataset with 'geoverify validate "
        f"{claims}', or one file at a time")


def resolve_columns(cli_value: str | None, source: str | None):
    """The column mapping to use and where it came from: ``--columns``, else the ``columns``
    of the configuration found from ``source``'s directory upward (the working directory for
    stdin), else none."""
    if cli_value:
        try:
            return column_mapping(cli_value, "--columns"), "--columns"
        except ConfigError as exc:  # a bad option value is a usage error
            raise click.BadParameter(str(exc).removeprefix("--columns: "),
                                     param_hint="'--columns'") from None
    found = config_near(source)
    if found is None:
        return {}, None
    path, mapping = found
    value = mapping.get("columns")
    if not value:
        return {}, None
    return column_mapping(value, f"configuration {path}: columns"), str(path)


def resolve_cities(cli_value: bool | None, source: str | None) -> bool:
    """``--cities-in-regions`` / ``--strict-cities``, else the ``cities_in_regions`` of the
    configuration found from ``source``'s directory upward, else off."""
    if cli_value is not None:
        return bool(cli_value)
    found = config_near(source)
    if found is None:
        return False
    path, mapping = found
    key = "cities_in_regions" if "cities_in_regions" in mapping else "cities-in-regions"
    return config_bool(mapping.get(key, False), "cities_in_regions", f"configuration {path}")


def sheet_value(sheet: str | None):
    """``--sheet``: an index when it is a number."""
    if sheet is not None and sheet.strip().isdigit():
        return int(sheet)
    return sheet


def report_notes(report_input: dict[str, Any]) -> None:
    """What the reader wants the user to know (the sheet it chose...), on stderr."""
    path = report_input.get("path")
    for note in report_input.get("notes") or ():
        click.echo(f"geoverify: {path}: {note}", err=True)


def configure_logging(verbose: int, quiet: int) -> None:
    """geoverify's own log messages on stderr (-v more, -q less); other libraries' stay quiet."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[META_VERBOSE] = verbose
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


#: ``--input-format`` values (equal to :data:`geoverify.io.claims.FORMATS` and its aliases; kept
#: here so ``geoverify --help`` does not import pandas; a test keeps them equal).
INPUT_FORMATS = ("csv", "tsv", "xlsx", "json", "geojson", "jsonl", "kml", "kmz", "gpkg",
                 "parquet", "fgb")
INPUT_FORMAT_ALIASES = {
    "txt": "csv", "tab": "tsv", "xlsm": "xlsx", "excel": "xlsx", "ndjson": "jsonl",
    "geojsonl": "jsonl", "geojsonseq": "jsonl", "geopackage": "gpkg", "geoparquet": "parquet",
    "flatgeobuf": "fgb",
}
INPUT_FORMAT_HINTS = {
    "xls": "geoverify cannot read old binary Excel workbooks (.xls): save it as .xlsx or .csv",
    "ods": "save an OpenDocument spreadsheet as .xlsx or .csv",
    "shp": "convert a shapefile to GeoPackage (gpkg) or GeoJSON",
}
#: ``--schema`` values (the adapters of :mod:`geoverify.io.adapters`, and none).
SCHEMAS = ("geoconfirmed", "cir", "timemap", "acled", "none")
SCHEMA_ALIASES = {"raw": "none", "plain": "none", "eyesonrussia": "cir", "eyes-on-russia": "cir",
                  "bellingcat": "timemap", "bellingcat-timemap": "timemap",
                  "geo-confirmed": "geoconfirmed"}

input_format_opt = click.option(
    "--input-format", "input_format", default=None, metavar="FORMAT",
    type=Choice(INPUT_FORMATS, aliases=INPUT_FORMAT_ALIASES, hints=INPUT_FORMAT_HINTS),
    help="Read FILE as this format (csv, tsv, geojson, json, jsonl, kml, kmz, xlsx, gpkg, "
         "parquet, fgb) instead of guessing from its name and content.")
schema_opt = click.option(
    "--schema", default=None, metavar="NAME", type=Choice(SCHEMAS, aliases=SCHEMA_ALIASES),
    help="Export adapter: geoconfirmed, cir, timemap, acled, or none (default: sniffed from "
         "the columns). The report's input records the one used.")
