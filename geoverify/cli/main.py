"""The ``geoverify`` command line: a thin shell around the Python API.

Exit codes: 0 all good, 1 results at or above ``--fail-on``, 2 usage error, 3 cannot run
(128 + 15 = 143 when terminated by SIGTERM, after cleaning up).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import click

from geoverify._version import __version__
from geoverify.cli.options import Group
from geoverify.heap import small_pages

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 1, 2, 3


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geoverify")
def cli() -> None:
    """Check where geolocated footage was filmed against what its publisher claimed."""


def _register() -> None:
    from geoverify.cli.boundaries import boundaries_group
    from geoverify.cli.check import check_cmd
    from geoverify.cli.map import map_cmd
    from geoverify.cli.validate import validate_cmd

    for command in (check_cmd, map_cmd, validate_cmd, boundaries_group):
        cli.add_command(command)


_register()


class Terminated(SystemExit):
    """SIGTERM, turned into an exit so that every ``finally`` runs (temporary files are
    removed, a local Dask cluster is closed) instead of the process vanishing."""


_TERMINATING = threading.Event()


def _on_sigterm(signum, frame) -> None:
    # once: a second SIGTERM during the clean-up (or sent by two threads at once) must neither
    # interrupt it nor, once the handler is gone, kill the process before it reports
    if _TERMINATING.is_set():
        return
    _TERMINATING.set()
    raise Terminated(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point."""
    small_pages()
    installed = None
    if threading.current_thread() is threading.main_thread():
        installed = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        cli.main(args=argv, prog_name="geoverify", standalone_mode=True)
    except Terminated as exc:
        print("geoverify: terminated (SIGTERM); unfinished outputs were removed",
              file=sys.stderr)
        return exc.code
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    finally:
        if installed is not None and not _TERMINATING.is_set():
            signal.signal(signal.SIGTERM, installed)
    return EXIT_OK


def run() -> None:
    """The ``geoverify`` command: :func:`main`, then exit without tearing the heap down.

    Everything a command writes is closed (outputs are renamed into place) before
    :func:`main` returns; what is left is freeing the boundary layers and indexes object by
    object, which takes longer than checking a small file. So the streams are flushed and the
    process ends at once with :func:`main`'s exit code (or normally, under a profiler or
    tracer: it writes its data at exit)."""
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler or coverage tool writes its data at exit
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # the reader went away: as Python would, say 120
        code = code or 120
    try:
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    run()
