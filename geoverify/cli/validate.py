"""``geoverify validate PATH...``: guard a geolocation dataset on every commit.

Exit codes: 0 nothing new at or above ``--fail-on``; 1 new findings at or above it; 2 usage
error; 3 cannot run (a file cannot be read, a bad configuration or baseline, an unknown git
ref). ``validate --fail-on`` speaks in severities (``check --fail-on`` speaks in verdicts).
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import click

from geoverify.cli.options import (
    Choice,
    check_output,
    cities_opt,
    columns_opt,
    configure_logging,
    format_for,
    internal_error_message,
    output_opt,
    overwrite_opt,
    quiet_opt,
    refuse_output_on_input,
    resolve_columns,
    sheet_opt,
    sheet_value,
    verbose_opt,
)
from geoverify.io.reports import VALIDATE_FORMATS

log = logging.getLogger("geoverify")

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 1, 2, 3


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="Configuration file (.toml or setup.cfg) instead of the one found from each "
                   "file's directory upward.")
@click.option("-f", "--format", "fmt", type=Choice(VALIDATE_FORMATS, aliases={"md": "markdown"}),
              default=None,
              help="Report format on stdout or -o. Default: from -o's extension (.json, .xml, "
                   ".sarif, .md), else text.")
@output_opt
@overwrite_opt
@click.option("--fail-on", "fail_on", type=Choice(["error", "warning", "never"]),
              default="error", show_default=True,
              help="Exit 1 when a new finding has this severity or a higher one.")
@click.option("--baseline", "baseline", type=click.Path(dir_okay=False), default=None,
              help="Baseline of known findings: only findings not in it can fail the run.")
@click.option("--write-baseline", "write_baseline", type=click.Path(dir_okay=False),
              default=None, help="Record today's findings as the baseline in this file.")
@click.option("--since", "since", metavar="GIT_REF", default=None,
              help="Report only rows added or changed since this git ref (and rows whose "
                   "verdict or region changed).")
@click.option("--summary", "summary", type=click.Path(dir_okay=False), default=None,
              help="Also append a Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY).")
@click.option("--boundaries", "boundaries", default=None, metavar="NAME",
              help="Boundary layer set (default: the configuration's, else embedded).")
@click.option("--force-exclude", "force_exclude", is_flag=True, default=False,
              help="Skip named files that a directory search would skip (hidden, not a claims "
                   "file, the configuration's exclude patterns); the pre-commit hook uses it.")
@columns_opt
@cities_opt
@sheet_opt
@verbose_opt
@quiet_opt
@click.pass_context
def validate_cmd(ctx, paths, config, fmt, output, overwrite, fail_on, baseline, write_baseline,
                 since, summary, boundaries, force_exclude, columns, cities_in_regions, sheet,
                 verbose, quiet):
    """Validate claims files, and directories of them, for CI and pre-commit.

    Finds swapped or rounded coordinates, (0, 0) points, duplicated rows, one frame placed in
    two places, impossible dates, bad source links, unknown claims and points outside the
    claimed place. Configure it in .geoverify.toml, pyproject.toml ([tool.geoverify]) or
    setup.cfg ([tool:geoverify]); see docs/VALIDATE.md. geoverify's own files (configuration,
    baseline, reports) are never read as claims, even when named.
    """
    from geoverify.errors import GeoverifyError

    configure_logging(verbose, quiet)
    fmt = format_for(fmt, output, VALIDATE_SUFFIX_FORMATS, "text")
    if columns:
        columns, _ = resolve_columns(columns, None)  # a bad mapping is a usage error
    for what, out in (("-o", output), ("--write-baseline", write_baseline),
                      ("--summary", summary)):
        refuse_output_on_input(out, _input_files(paths), what)
    if write_baseline and since:
        raise click.UsageError("--write-baseline records every finding; it cannot be combined "
                               "with --since, which reports only some rows")
    try:
        check_output(output, overwrite)
        if write_baseline and Path(write_baseline).exists() and not overwrite:
            raise click.UsageError(
                f"baseline {write_baseline} exists; pass --overwrite to replace it")
        check_output(write_baseline, True)
        check_output(summary, True)
        code = _run(paths, config, fmt, output, overwrite, fail_on, baseline, write_baseline,
                    since, summary, boundaries, force_exclude, columns, sheet_value(sheet),
                    cities_in_regions)
    except GeoverifyError as exc:
        click.echo(f"geoverify: error: {exc}", err=True)
        code = EXIT_CANNOT_RUN
    except click.UsageError:
        raise
    except Exception as exc:  # a bug must not look like a finding (1) or a usage error (2)
        click.echo(internal_error_message(exc, None), err=True)
        if verbose:
            click.echo(traceback.format_exc(), err=True)
        code = EXIT_CANNOT_RUN
    ctx.exit(code)


#: ``-o`` extension -> ``validate`` report format.
VALIDATE_SUFFIX_FORMATS = {".json": "json", ".xml": "junit", ".sarif": "sarif",
                           ".md": "markdown", ".markdown": "markdown", ".txt": "text"}


def _input_files(paths) -> list[str]:
    """The files among PATH... (directories are searched; an output in one is skipped)."""
    return [p for p in paths if Path(p).is_file()]


def _run(paths, config, fmt, output, overwrite, fail_on, baseline, write_baseline, since,
         summary, boundaries, force_exclude=False, columns=None, sheet=None,
         cities_in_regions=None) -> int:
    from geoverify.io.baseline import write_baseline as save_baseline
    from geoverify.io.reports import format_validation, to_markdown
    from geoverify.io.writers import write_text_atomic
    from geoverify.validation.validation import baseline_document, validate

    skip = [p for p in (output, write_baseline, summary) if p]
    result = validate(list(paths), config=config, baseline=baseline, since=since,
                      boundaries=boundaries, on_error="collect", skip=skip,
                      force_exclude=force_exclude, columns=columns, sheet=sheet,
                      cities_in_regions=cities_in_regions)
    report = result.to_dict()
    # findings recorded by --write-baseline do not fail this run: say so in the report too
    shown_fail_on = "never" if write_baseline and not report["errors"] else fail_on
    text = format_validation(report, fmt, shown_fail_on)
    if output:
        write_text_atomic(output, text, overwrite=overwrite)
        log.info("wrote %s", output)
    else:
        click.echo(text, nl=False)
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as fh:
                fh.write(to_markdown(report, shown_fail_on) + "\n")
        except OSError as exc:
            from geoverify.errors import ClaimsFileError

            raise ClaimsFileError(f"summary {summary}: cannot append ({exc.strerror})") from exc
    for e in report["errors"]:
        click.echo(f"geoverify: error: {e['message']}", err=True)
    if report["errors"]:
        return EXIT_CANNOT_RUN
    if write_baseline:
        save_baseline(write_baseline, baseline_document(result), overwrite=overwrite)
        recorded = sum(1 for f in result.findings if f.status != "allowed")
        click.echo(f"geoverify: wrote the baseline {write_baseline}: {recorded} finding(s) "
                   "recorded; they do not fail this run or later runs with --baseline "
                   f"{write_baseline} (exit 0)", err=True)
        return EXIT_OK
    failing = result.failing(fail_on)
    if failing:
        click.echo(f"geoverify: {len(failing)} new finding(s) at or above --fail-on {fail_on}",
                   err=True)
        return EXIT_FAIL
    return EXIT_OK
