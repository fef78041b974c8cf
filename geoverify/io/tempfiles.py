"""Temporary files next to an output, and removing the ones a killed run left behind.

Every output is written to a temporary file in the output's directory and renamed over the
output when complete (so a reader never sees half a file). A temporary name says whose it is:

    .<output name>.gvtmp-<host>-<pid>-<random>

(``host`` is 6 hex digits of a hash of the machine's name). A run that is killed with
``kill -9`` cannot remove its temporary file; the next run that writes into the same
directory does (:func:`sweep_stale`): a ``gvtmp`` file of this machine whose process is gone,
or any ``gvtmp`` file more than :data:`STALE_AFTER_S` old. SIGTERM and Ctrl-C do not leave
them at all: the command line turns SIGTERM into a normal exit, so every ``finally`` runs.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
import time
from pathlib import Path

#: The marker in every temporary name geoverify gives.
MARKER = ".gvtmp-"
#: Age (seconds) after which any geoverify temporary file is stale, whatever its process.
STALE_AFTER_S = 24 * 3600

_NAME = re.compile(r"^\.(?P<stem>.*)\.gvtmp-(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-[0-9a-z]+$")


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def temp_path(path: str | Path) -> Path:
    """A fresh temporary name next to ``path`` (nothing is created)."""
    p = Path(path)
    return p.with_name(f".{p.name}{MARKER}{_host()}-{os.getpid()}-{secrets.token_hex(4)}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would terminate it: leave it to the age rule
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def is_stale(path: str | Path, *, now: float | None = None) -> bool:
    """Whether ``path`` is a geoverify temporary file (or directory) left by a dead run."""
    p = Path(path)
    m = _NAME.match(p.name)
    if not m:
        return False
    try:
        age = (now if now is not None else time.time()) - p.lstat().st_mtime
    except OSError:
        return False
    if age > STALE_AFTER_S:
        return True
    return m.group("host") == _host() and not _alive(int(m.group("pid")))


def sweep_stale(directory: str | Path, name: str | None = None) -> list[Path]:
    """Remove stale geoverify temporary files in ``directory`` (only those of output ``name``
    when given); returns what was removed. Never raises: a sweep is housekeeping."""
    d = Path(directory) if str(directory) else Path(".")
    prefix = f".{name}{MARKER}" if name is not None else "."
    removed = []
    try:
        entries = [e for e in os.scandir(d) if e.name.startswith(prefix) and MARKER in e.name]
    except OSError:
        return removed
    for e in entries:
        p = Path(e.path)
        if not is_stale(p):
            continue
        try:
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(p)
            else:
                p.unlink()
            removed.append(p)
        except OSError:
            continue
    return removed


__all__ = ["MARKER", "STALE_AFTER_S", "is_stale", "sweep_stale", "temp_path"]
