"""A dataset on disk: which files are claims files, where each row starts in its file, and
what a file looked like at an earlier git commit.

Only this module (with :mod:`geoverify.io.claims`) touches the dataset's paths for
``validate``; git is run as ``git -C <dir> ...`` with arguments, never through a shell.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from geoverify.errors import ClaimsFileError, ConfigError

#: Suffixes searched for when a directory is given.
CLAIMS_SUFFIXES = (".csv", ".tsv", ".geojson", ".json", ".jsonl", ".kml", ".kmz", ".xlsx",
                   ".gpkg", ".parquet", ".fgb")

#: Directories never searched (besides hidden ones).
SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", ".venv", "site-packages"})


def discover(paths, *, exclude_for=None, skip=()) -> list[Path]:
    """The claims files named by ``paths`` (files as given; directories searched recursively).

    Parameters
    ----------
    paths
        Files or directories.
    exclude_for
        Optional callable ``directory -> (base_dir, patterns)`` giving the glob patterns to
        skip under a directory (from its configuration).
    skip
        Files never to return (the baseline file, an output file).

    Raises
    ------
    ClaimsFileError
        A path does not exist, or a directory holds no claims file.
    """
    skipped = {Path(s).resolve() for s in skip}
    out: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        p = Path(given)
        if str(given) == "-":
            raise ClaimsFileError("validate reads files, not standard input; give a path")
        if not p.exists():
            raise ClaimsFileError(f"{given}: no such file or directory")
        if p.is_file():
            found = [p]
        else:
            base, patterns = exclude_for(p) if exclude_for else (p, ())
            found = _walk(p, Path(base), tuple(patterns))
            if not found:
                raise ClaimsFileError(
                    f"{given}: no claims files ({', '.join(CLAIMS_SUFFIXES)}) in this directory")
        for f in found:
            r = f.resolve()
            if r in seen or r in skipped:
                continue
            seen.add(r)
            out.append(f)
    return out


def _walk(root: Path, base: Path, patterns: tuple[str, ...]) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(CLAIMS_SUFFIXES):
                continue
            f = Path(dirpath) / name
            if patterns and _excluded(f, base, patterns):
                continue
            found.append(f)
    return found


def _excluded(f: Path, base: Path, patterns: tuple[str, ...]) -> bool:
    try:
        rel = f.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        rel = f.as_posix()
    return any(fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(f.name, pat)
               for pat in patterns)


def repo_root(path: str | Path) -> Path | None:
    """The nearest directory upward holding ``.git`` (the repository's top), or ``None``."""
    p = Path(path).resolve()
    for d in (p if p.is_dir() else p.parent, *p.parents):
        if (d / ".git").exists():
            return d
    return None


def display_path(path: str | Path) -> str:
    """The path as reports show it: relative to its git repository's top (what GitHub's
    annotations and SARIF expect), else relative to the working directory, else absolute."""
    p = Path(path).resolve()
    root = repo_root(p)
    for base in (root, Path.cwd().resolve()):
        if base is None:
            continue
        try:
            return p.relative_to(base).as_posix()
        except ValueError:
            continue
    return p.as_posix()


def relative_to(path: str | Path, base: str | Path | None) -> str | None:
    """``path`` relative to ``base`` as POSIX text, or ``None`` when it is not under it."""
    if base is None:
        return None
    try:
        return Path(path).resolve().relative_to(Path(base).resolve()).as_posix()
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# where rows start


@dataclass
class Position:
    """Where one data row is in its file: 1-based physical ``line`` and, per column name,
    the 1-based character column where the cell starts (``columns`` may be empty)."""

    line: int
    columns: dict[str, tuple[int, int]] = field(default_factory=dict)


def record_positions(path: str | Path, raw) -> list[Position | None] | None:
    """Line (and cell) positions of every data row of a text claims file, in row order.

    Delimited text is re-read with the same decoding, delimiter and record rules as
    :func:`geoverify.io.claims.read_delimited`, so quoted cells that span lines are counted
    properly; JSON lines count one line per object. Other formats have no lines: ``None``.
    """
    if raw.format not in ("csv", "tsv", "jsonl"):
        return None
    from geoverify.io.claims import decode_text, read_bytes

    try:
        text = decode_text(read_bytes(path), str(path))
    except (ClaimsFileError, ConfigError):
        return None
    if raw.format == "jsonl":
        # the reader splits with str.splitlines(); count physical lines by newlines only
        out: list[Position | None] = []
        lineno = 1
        for piece in text.splitlines(keepends=True):
            if piece.strip().lstrip("\x1e").strip():
                out.append(Position(lineno))
            lineno += piece.count("\n") or (1 if piece.endswith("\r") else 0)
        return out if len(out) == len(raw.data) else None
    delimiter = raw.meta.get("delimiter") or ("\t" if raw.format == "tsv" else None)
    return delimited_positions(text, delimiter, list(raw.data.columns), len(raw.data))


def delimited_positions(text: str, delimiter: str | None, columns: list[str],
                        n_rows: int) -> list[Position | None] | None:
    """Positions of the data rows of delimited ``text`` (``None`` if the count disagrees)."""
    from geoverify.io.claims import SINGLE_COLUMN

    if text.startswith("\ufeff"):
        text = text[1:]
    offset = 0
    m = re.match(r"sep=(.)\r?\n", text)
    if m:
        delimiter = delimiter or m.group(1)
        text = text[m.end():]
        offset = 1
    delim = delimiter or SINGLE_COLUMN
    lines = io.StringIO(text, newline="").readlines()  # the lines csv counts
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    records: list[tuple[int, int, list[str]]] = []  # (first line, last line, cells)
    last = 0
    try:
        for rec in reader:
            start, end = last + 1, reader.line_num
            last = end
            if rec:
                records.append((start, end, rec))
    except csv.Error:
        return None
    while records and not any(c.strip() for c in records[0][2]):
        records.pop(0)
    body = records[1:]
    if len(body) != n_rows:
        return None
    out: list[Position | None] = []
    for start, end, _ in body:
        # blank lines before a record belong to no record: move to the first non-blank line
        while start < end and start - 1 < len(lines) and not lines[start - 1].strip():
            start += 1
        chunk = "".join(lines[start - 1:end])
        cells = _cell_starts(chunk, delim)
        pos = Position(start + offset)
        for name, (dl, col) in zip(columns, cells):
            pos.columns[name] = (start + offset + dl, col)
        out.append(pos)
    return out


def _cell_starts(chunk: str, delim: str) -> list[tuple[int, int]]:
    """(line offset, 1-based column) where each cell of one record starts."""
    starts = [(0, 1)]
    line, col = 0, 1
    in_quotes = False
    at_start = True
    i, n = 0, len(chunk)
    while i < n:
        c = chunk[i]
        if in_quotes:
            if c == '"':
                if i + 1 < n and chunk[i + 1] == '"':
                    i += 2
                    col += 2
                    continue
                in_quotes = False
        elif c == '"' and at_start:
            in_quotes = True
        elif c == delim:
            starts.append((line, col + 1))
            at_start = True
            i += 1
            col += 1
            continue
        elif c in "\r\n":
            break
        at_start = False
        if c == "\n":
            line += 1
            col = 0
        i += 1
        col += 1
    return starts


# ---------------------------------------------------------------------------
# git


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True,
                              check=False, timeout=60)
    except FileNotFoundError as exc:
        raise ConfigError("--since needs git, and git is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise ConfigError(f"git {' '.join(args)} did not finish in 60 s") from exc


def git_show(path: str | Path, ref: str) -> bytes | None:
    """The bytes of ``path`` at git commit ``ref`` (``None``: the file did not exist there).

    Raises
    ------
    ConfigError
        ``path`` is not in a git repository, or ``ref`` names no commit.
    """
    p = Path(path).resolve()
    root = _toplevel(p.parent)
    if not ref or ref.startswith("-"):
        raise ConfigError(f"--since {ref!r}: not a git ref")
    check = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if check.returncode != 0:
        raise ConfigError(f"--since {ref}: no such commit in the repository at {root}; "
                          "fetch it first (actions/checkout needs fetch-depth: 0)")
    rel = p.relative_to(root).as_posix()
    shown = _git(["show", f"{ref}:{rel}"], root)
    if shown.returncode != 0:
        err = shown.stderr.decode("utf-8", "replace")
        if "does not exist" in err or "exists on disk, but not in" in err:
            return None
        raise ConfigError(f"git show {ref}:{rel} failed: {err.strip()}")
    return shown.stdout


def _toplevel(d: Path) -> Path:
    out = _git(["rev-parse", "--show-toplevel"], d)
    if out.returncode != 0:
        raise ConfigError(f"--since: {d} is not in a git repository")
    return Path(out.stdout.decode("utf-8").strip()).resolve()


def read_old_table(path: str | Path, ref: str):
    """The claims table of ``path`` as it was at ``ref`` (``None`` if it did not exist)."""
    from geoverify.io.claims import read_table

    data = git_show(path, ref)
    if data is None:
        return None
    p = Path(path)
    with tempfile.TemporaryDirectory(prefix="geoverify-since-") as tmp:
        old = Path(tmp) / p.name
        old.write_bytes(data)
        try:
            table = read_table(old)
        except ClaimsFileError as exc:
            raise ClaimsFileError(f"{p} at {ref}: {exc}") from exc
    table.path = f"{p}@{ref}"
    return table


__all__ = ["CLAIMS_SUFFIXES", "Position", "delimited_positions", "discover", "display_path",
           "git_show", "read_old_table", "record_positions", "relative_to", "repo_root"]
