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


@dataclass
class Discovery:
    """The claims files named by some paths, and the named files left out, with why."""

    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def discover(paths, *, exclude_for=None, skip=(), force_exclude=False) -> list[Path]:
    """The claims files named by ``paths`` (see :func:`find_claims_files`)."""
    return find_claims_files(paths, exclude_for=exclude_for, skip=skip,
                             force_exclude=force_exclude).files


def find_claims_files(paths, *, exclude_for=None, skip=(), force_exclude=False) -> Discovery:
    """The claims files named by ``paths``: files as given, directories searched recursively.

    A named file that is one of geoverify's own (a configuration file, a baseline, a JSON or
    SARIF report: see :func:`own_file`) is never read as claims, since pre-commit names every
    staged file; it goes to :attr:`Discovery.skipped` with the reason.

    Parameters
    ----------
    paths
        Files or directories.
    exclude_for
        Optional callable ``directory -> (base_dir, patterns[, source])`` giving the glob
        patterns to skip under a directory (from its configuration, named by ``source``).
    skip
        Files never to return (the baseline file, an output file).
    force_exclude
        Apply the rules of a directory search to named files too: files that are hidden, in
        ``node_modules`` or a virtualenv, without a claims suffix, or matched by the
        configuration's ``exclude`` patterns are skipped (for pre-commit, which names files).

    Raises
    ------
    ClaimsFileError
        A path does not exist, or a directory holds no claims file.
    """
    skipped = {Path(s).resolve() for s in skip}
    out = Discovery()
    seen: set[Path] = set()
    for given in paths:
        p = Path(given)
        if str(given) == "-":
            raise ClaimsFileError("validate reads files, not standard input; give a path")
        if not p.exists():
            raise ClaimsFileError(f"{given}: no such file or directory")
        if p.is_file():
            why = own_file(p)
            if why is None and force_exclude:
                why = _search_would_skip(p, exclude_for)
            if why is not None:
                if p.resolve() not in skipped:
                    out.skipped.append((p, why))
                continue
            found = [p]
        else:
            base, patterns, *_ = exclude_for(p) if exclude_for else (p, ())
            found = _walk(p, Path(base), tuple(patterns))
            if not found:
                raise ClaimsFileError(
                    f"{given}: no claims files ({', '.join(CLAIMS_SUFFIXES)}) in this directory")
        for f in found:
            r = f.resolve()
            if r in seen or r in skipped:
                continue
            seen.add(r)
            out.files.append(f)
    return out


def claims_files_under(root: str | Path, exclude_for=None) -> list[Path]:
    """Every claims file a search of ``root`` finds (none when ``root`` is not a directory)."""
    root = Path(root)
    if not root.is_dir():
        return []
    base, patterns, *_ = exclude_for(root) if exclude_for else (root, ())
    return _walk(root, Path(base), tuple(patterns))


#: Leading bytes and trailing bytes of a file read to recognise geoverify's own JSON files.
_SNIFF_BYTES = 65536
_OWN_JSON_SUFFIXES = (".json", ".geojson", ".sarif")
# the first member(s) of the top-level object of what geoverify writes
_REPORT_HEAD = re.compile(r'\{\s*(?:"type"\s*:\s*"FeatureCollection"\s*,\s*)?'
                          r'"geoverify_version"\s*:')
_BASELINE_HEAD = re.compile(r'\{\s*"geoverify_baseline"\s*:')
_SARIF_HEAD = re.compile(r'\{\s*(?:"\$schema"\s*:\s*"[^"]*sarif[^"]*"|'
                         r'"version"\s*:\s*"2\.1\.0"\s*,\s*"(?:\$schema|runs)"\s*:)', re.I)
# a baseline is written with sorted keys: its last members close the document
_BASELINE_TAIL = re.compile(r'"geoverify_baseline"\s*:\s*\d+\s*'
                            r'(?:,\s*"geoverify_version"\s*:\s*"[^"\\]*"\s*)?\}\s*$')


def own_file(path: str | Path) -> str | None:
    """Why ``path`` is one of geoverify's own files rather than claims, or ``None``.

    Configuration files are known by name (``.geoverify.toml``, ``pyproject.toml``,
    ``setup.cfg``). JSON files are known by the first members of their top-level object
    (``geoverify_version``: a ``check`` or ``validate`` report, JSON or GeoJSON;
    ``geoverify_baseline``: a baseline, also recognised by its last members; ``$schema``
    naming SARIF: a SARIF report), so only their first and last 64 KiB are read, and a claims
    file whose rows merely mention these names is still read as claims.
    """
    from geoverify.io.config import CONFIG_NAMES

    p = Path(path)
    name = p.name.lower()
    if name in CONFIG_NAMES:
        return ("a geoverify configuration file" if name == ".geoverify.toml"
                else "a configuration file") + ", not a claims file"
    if not name.endswith(_OWN_JSON_SUFFIXES):
        return None
    try:
        with p.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(size - _SNIFF_BYTES, len(head)))
            tail = fh.read()
    except OSError:
        return None  # the reader says what is wrong with it
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    ends = (head + tail)[-_SNIFF_BYTES:].decode("utf-8", "replace")
    if not text.startswith("{"):
        return None
    if _BASELINE_HEAD.match(text) or _BASELINE_TAIL.search(ends):
        return "a geoverify baseline, not a claims file"
    if _REPORT_HEAD.match(text):
        return "a geoverify report, not a claims file"
    if _SARIF_HEAD.match(text):
        return "a SARIF report, not a claims file"
    return None


def _search_would_skip(f: Path, exclude_for) -> str | None:
    """Why a search of its directory would not return the named file ``f``, or ``None``."""
    if not f.name.lower().endswith(CLAIMS_SUFFIXES):
        return f"not a claims file ({f.suffix or 'no suffix'})"
    rel = Path(display_path(f))
    for part in rel.parts[:-1]:
        if part.startswith(".") and part not in (".", ".."):
            return f"in the hidden directory {part}"
        if part in SKIP_DIRS:
            return f"in {part}"
    if f.name.startswith("."):
        return "a hidden file"
    if exclude_for is not None:
        base, patterns, *where = exclude_for(f.parent)
        hit = _excluded_by(f, Path(base), tuple(patterns))
        if hit is not None:
            return f"excluded by {hit}" + (f" in {where[0]}" if where and where[0] else "")
    return None


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
    return _excluded_by(f, base, patterns) is not None


def _excluded_by(f: Path, base: Path, patterns: tuple[str, ...]) -> str | None:
    """The first of ``patterns`` that matches ``f`` (relative to ``base``, or by name)."""
    try:
        rel = f.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        rel = f.as_posix()
    return next((pat for pat in patterns
                 if fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(f.name, pat)), None)


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


__all__ = ["CLAIMS_SUFFIXES", "Discovery", "Position", "claims_files_under",
           "delimited_positions", "discover", "display_path", "find_claims_files", "git_show",
           "own_file", "read_old_table", "record_positions", "relative_to", "repo_root"]
