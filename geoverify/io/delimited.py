"""Delimited text (CSV, TSV...) read in blocks: one reader for whole files and for streams.

Records are read in input order, block by block, by parsers with the same result:

* runs of lines holding no quote character (and no lone carriage return) are parsed by Arrow's
  CSV parser (multi-threaded C++), since without quotes a line is a record and splitting it on
  the delimiter is all there is to do;
* the lines a block still wants, with quotes, are parsed by Arrow's parser with quoting on,
  where it reads them as :mod:`csv` does: every record of the header's width and no quoted
  value left open at their end (:func:`_quoted`; 100,000 quoted rows of free text: 0.4 s
  instead of 0.8 s);
* anything else (ragged rows, a quoted value running on past the lines) goes through Python's
  :mod:`csv` module, one record at a time, reading as many lines as the record spans.

A record with fewer fields than the header is padded with ``""``; one with more keeps its extra
fields (as columns ``column_<n>`` when the whole file is read, in the row's note when
streaming, since a stream's columns are fixed by then). Both are noted per row
(:attr:`~geoverify.io.table.RawTable.row_notes`); completely empty lines are not records.

Limits: a field longer than :data:`geoverify.io.limits.MAX_CELL_CHARS` is cut there (a
``cell-too-long`` note on its row); one longer than :data:`HARD_FIELD_CHARS` (an unclosed quote
swallowing the file, usually) stops the read with an error naming the line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from geoverify import arrowtext
from geoverify.errors import ClaimsFileError
from geoverify.io import limits
from geoverify.io.table import RawTable, note_duplicate_columns, short_text, unique_header

#: Delimiters tried when sniffing delimited text, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")
#: Stands for "no delimiter": a one-column file is split on a character text never holds.
SINGLE_COLUMN = "\x1f"
#: Longest field read at all: beyond this the file cannot be read (exit 3, naming the line).
HARD_FIELD_CHARS = 64 * 1024 * 1024
#: Rows per block.
BLOCK_ROWS = 131_072

csv.field_size_limit(HARD_FIELD_CHARS)

_SEP_LINE = re.compile(r"sep=(.)\r?\n")


def sniff_delimiter(text: str) -> str:
    """The delimiter among :data:`DELIMITERS` that splits the first records most consistently.

    Each candidate splits (quote-aware) up to 50 records; the header must have at least two
    fields; the score is the share of records with as many fields as the header, then the
    number of fields. When no candidate splits the header, the file has one column and
    :data:`SINGLE_COLUMN` is returned (so ``50.4, 35.6`` in a ``coordinates`` file stays one
    value).
    """
    sample = text[:65536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    best, best_score = SINGLE_COLUMN, (-1.0, 0)
    for delim in DELIMITERS:
        try:
            rows = []
            for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim):
                if r:
                    rows.append(r)
                if len(rows) >= 50:
                    break
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:] or rows
        consistent = sum(1 for r in body if len(r) == width) / len(body)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delim, score
    return best


class _Lines:
    """Lines of text arriving in chunks (line ends kept, split at ``\r\n``, ``\r`` and ``\n``
    as :mod:`csv` splits), with a count of the physical lines handed out.

    Besides one line at a time, :meth:`take_fast` hands out a run of whole lines that hold no
    quote character and no lone carriage return as one string, found by one regular
    expression in C: the common case of a large file never splits lines in Python.
    """

    def __init__(self, chunks: Iterable[str]) -> None:
        self._chunks = iter(chunks)
        self._buf = ""
        self._pos = 0
        self._eof = False
        self.line = 0

    def _more(self) -> bool:
        for chunk in self._chunks:
            if chunk:
                self._buf = self._buf[self._pos:] + chunk
                self._pos = 0
                return True
        self._eof = True
        return False

    def __iter__(self):
        return self

    def __next__(self) -> str:
        while True:
            m = _LINE_END.search(self._buf, self._pos)
            # a "\r" at the end of the buffer may be the first half of "\r\n"
            if m and (m.end() < len(self._buf) or m.group() != "\r" or self._eof):
                s = self._buf[self._pos:m.end()]
                self._pos = m.end()
                self.line += 1
                return s
            if not self._eof and self._more():
                continue
            if self._pos < len(self._buf):
                s = self._buf[self._pos:]
                self._pos = len(self._buf)
                self.line += 1
                return s
            raise StopIteration

    def take_fast(self, k: int) -> tuple[str, int]:
        """Up to ``k`` next whole lines holding no quote and no lone carriage return, as one
        string, and how many lines that is (0 when the next line is not such a line)."""
        out: list[str] = []
        n = 0
        while n < k:
            # at most a power of two of lines per match: a handful of patterns, all cached
            # (one pattern per count compiled a regular expression per quoted line)
            cap = 1 << ((k - n).bit_length() - 1)
            end, got = plain_run(self._buf, self._pos, cap)
            if got:
                out.append(self._buf[self._pos:end])
                n += got
                self._pos = end
                if got == cap:
                    continue  # the cap was reached: more plain lines may follow
                if self._pos < len(self._buf):
                    break  # the next line is not a plain one
            elif self._buf.find("\n", self._pos) >= 0 or self._eof:
                break  # the next line is whole and not a plain one
            if self._eof or not self._more():
                break
        self.line += n
        return "".join(out), n

    def take_lines(self, k: int) -> list[str]:
        """Up to ``k`` next whole lines with their ends (split at ``\r\n``, ``\r`` and
        ``\n``, as :mod:`csv` splits), at least one unless the text is used up; the line
        counter follows."""
        while True:
            if "\r" not in self._buf:  # the common case: split at "\n" in C
                parts = self._buf[self._pos:].split("\n", max(k, 1))
                if len(parts) > 1:
                    whole = parts[:-1] if len(parts) <= max(k, 1) else parts[:max(k, 1)]
                    self._pos += sum(map(len, whole)) + len(whole)
                    self.line += len(whole)
                    return [p + "\n" for p in whole]
                if not self._eof and self._more():
                    continue
            cap = 1 << (max(k, 1).bit_length() - 1)
            m = _any_run(cap).match(self._buf, self._pos)
            if m and m.end() == len(self._buf) and self._buf.endswith("\r") and not self._eof:
                m = None  # a "\r" at the end of the buffer may be the first half of "\r\n"
            if m:
                out = _LINE.findall(m.group())
                self._pos = m.end()
                self.line += len(out)
                return out
            if not self._eof and self._more():
                continue
            if self._pos < len(self._buf):  # a last line without a line end
                rest = self._buf[self._pos:]
                self._pos = len(self._buf)
                self.line += 1
                return [rest]
            return []


_LINE_END = re.compile(r"\r\n|\r|\n")


@lru_cache(maxsize=64)
def _any_run(k: int) -> re.Pattern:
    return re.compile(r"(?:[^\r\n]*(?:\r\n|\r|\n)){1," + str(k) + "}")


@lru_cache(maxsize=64)
def _fast_run(k: int) -> re.Pattern:
    return re.compile(r'(?:[^\r\n"]*\r?\n){1,' + str(k) + '}')


def plain_run(text: str, pos: int, k: int) -> tuple[int, int]:
    """Where the run of at most ``k`` whole lines from ``pos`` that hold no quote and no
    lone carriage return ends, and how many lines it holds (``pos`` and 0 for none): in the
    compiled helper (:mod:`geoverify.arrowtext`), or by :func:`_fast_run`'s pattern."""
    if arrowtext.native():
        return arrowtext.plain_lines(text, pos, k)
    m = _fast_run(k).match(text, pos)
    return (m.end(), m.group().count("\n")) if m else (pos, 0)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> Iterator[str]:
    """Lines of ``text`` with their ends, split at ``\r\n``, ``\r`` and ``\n`` only (as
    :mod:`csv` splits)."""
    return (m.group(0) for m in _LINE.finditer(text))


class Header:
    """What the first record of a delimited file says."""

    def __init__(self, names: list[str], delimiter: str, line: int) -> None:
        self.names = names
        self.delimiter = delimiter
        self.line = line  # physical line the body starts after


def read_header(lines: _Lines, head_text: str, name: str, delimiter: str | None) -> Header:
    """Skip Excel's ``sep=`` line and blank leading records, sniff the delimiter, read the
    header record."""
    first = next(lines, None)
    if first is None:
        raise ClaimsFileError(f"claims file {name}: empty file, expected a header row")
    if first.startswith("\ufeff"):
        first = first[1:]
        head_text = head_text[1:] if head_text.startswith("\ufeff") else head_text
    m = _SEP_LINE.match(first)
    if m and delimiter is None:
        delimiter = m.group(1)
        first = None
        head_text = head_text[m.end():]
    if delimiter is None:
        delimiter = sniff_delimiter(head_text)
    src = chain([first] if first is not None else [], lines)
    reader = csv.reader(src, delimiter=delimiter)
    while True:
        try:
            rec = next(reader, None)
        except csv.Error as exc:
            raise ClaimsFileError(
                f"claims file {name}, line {lines.line}: malformed delimited text ({exc})") from exc
        if rec is None:
            raise ClaimsFileError(f"claims file {name}: no header row")
        if rec and any(c.strip() for c in rec):
            return Header([h.strip() for h in rec], delimiter, lines.line)


class Block:
    """Records of one block: ``columns`` (Arrow strings, header width), per-row ``notes``
    (0-based within the block: lists of ``(code, field, value, message)``), ``surplus`` (row
    -> the fields beyond the header), ``first_row`` (global number of its first row)."""

    def __init__(self, columns: list[pa.Array], notes: dict[int, list[tuple]],
                 surplus: dict[int, list[str]], first_row: int) -> None:
        self.columns = columns
        self.notes = notes
        self.surplus = surplus
        self.first_row = first_row

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def read_blocks(lines: _Lines, header: Header, name: str, *, block_rows: int = BLOCK_ROWS,
                first_row: int = 1) -> Iterator[Block]:
    """The records after the header, in blocks of about ``block_rows`` rows."""
    width = len(header.names)
    delim = header.delimiter
    # ("text", plain lines as one string, first line number) | ("rows", records, line numbers)
    # | ("arrays", one Arrow string array per column, None)
    parts: list[tuple] = []
    taken = 0  # lines (text parts) and records (rows parts) in the current block
    row = first_row
    while True:
        text, count = lines.take_fast(block_rows - taken)
        if count:
            parts.append(("text", text, lines.line - count + 1))
            taken += count
        else:
            # lines with quotes (or of another shape): the lines still wanted for the block,
            # read by Arrow where it reads them as csv does, else by one csv reader
            chunk = lines.take_lines(block_rows - taken)
            if not chunk:
                break
            arrays = _quoted(chunk, width, delim)
            if arrays is not None:  # the usual case: Arrow reads them as csv would
                parts.append(("arrays", arrays, None))
                taken += len(arrays[0])
            else:
                taken += _csv_records(chunk, lines, delim, name, parts)
        if taken >= block_rows:
            block = _block(parts, width, delim, row, header.names)
            yield block
            row += len(block)
            parts, taken = [], 0
    if parts:
        yield _block(parts, width, delim, row, header.names)


def _fast(text: str, width: int, delim: str) -> list[pa.Array] | None:
    """Quote-free lines parsed by Arrow, or None when a line has another number of fields."""
    table = _arrow_table(text, width, delim, quoted=False)
    return None if table is None else [table.column(i).combine_chunks() for i in range(width)]


def _arrow_table(text: str, width: int, delim: str, *, quoted: bool):
    """``text`` parsed by Arrow into ``width`` string columns (empty lines skipped, no nulls),
    with quoting (csv's: doubled quotes, line breaks in quoted values) or without; None when
    Arrow refuses it (a record of another width, say)."""
    names = [f"c{i}" for i in range(width)]
    quoting = (dict(quote_char='"', double_quote=True, escape_char=False, newlines_in_values=True)
               if quoted else dict(quote_char=False, newlines_in_values=False))
    # on the calling thread: a block is one Arrow block anyway, and Arrow's pool is busy
    # with the boundary layers' Parquet reads beside it (a 1,000,000-row check read its
    # claims in 0.82 s of wall time through the pool, 0.66 s here; read alone, the same)
    try:
        return pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 26,
                                           use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delim, ignore_empty_lines=True,
                                              **quoting),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                 strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, ValueError):
        return None


def _csv_records(chunk: list[str], lines: _Lines, delim: str, name: str, parts: list) -> int:
    """The records of ``chunk`` read by :mod:`csv` (a quoted value that runs on past the
    chunk pulls its further lines from ``lines``), appended to ``parts`` with their line
    numbers; returns how many."""
    first_line = lines.line - len(chunk) + 1
    reader = csv.reader(chain(chunk, lines), delimiter=delim)
    recs: list[list[str]] = []
    at: list[int] = []
    seen = 0  # lines the reader has used
    try:
        for rec in reader:
            if rec:
                recs.append(rec)
                at.append(first_line + seen)
            seen = reader.line_num
            if seen >= len(chunk):
                break
    except csv.Error as exc:
        raise ClaimsFileError(
            f"claims file {name}, line {first_line + reader.line_num - 1}: malformed "
            f"delimited text ({exc})") from exc
    if recs:
        if parts and parts[-1][0] == "rows":
            parts[-1][1].extend(recs)
            parts[-1][2].extend(at)
        else:
            parts.append(("rows", recs, at))
    return len(recs)


def _quoted(chunk: list[str], width: int, delim: str) -> list[pa.Array] | None:
    """Lines with quotes parsed by Arrow, exactly as :mod:`csv` reads them, or None: when a
    record has another number of fields, or a quoted value is still open at the end of the
    lines (csv would read on into the next ones).

    Arrow takes a quoted value left open at the end of its text as ending there, so a line of
    ``x`` fields is read after the lines: it comes back as the last record only when no value
    was open. Where Arrow reads the text, its records are csv's (quotes inside a value,
    doubled quotes, text after a closing quote, line breaks and lone carriage returns in
    quoted values, blank lines): ``tests/io/test_delimited_quoted.py`` compares the two on
    generated text."""
    text = "".join(chunk)
    if text and not text.endswith(("\n", "\r")):
        text += "\n"  # the last line of the file: its record ends there for csv too
    sentinel = [f"x{i}" for i in range(width)]
    table = _arrow_table(text + delim.join(sentinel) + "\n", width, delim, quoted=True)
    if table is None:
        return None
    n = table.num_rows
    if n == 0 or [table.column(i)[n - 1].as_py() for i in range(width)] != sentinel:
        return None
    columns = [table.column(i).slice(0, n - 1).combine_chunks() for i in range(width)]
    for col in columns:  # a value beyond csv's field limit: csv's error names its line
        if len(col) and (pc.max(pc.utf8_length(col)).as_py() or 0) > HARD_FIELD_CHARS:
            return None
    return columns


def _block(parts, width: int, delim: str, first_row: int, names: list[str]) -> Block:
    cols: list[list[pa.Array]] = [[] for _ in range(width)]
    notes: dict[int, list[tuple]] = {}
    surplus: dict[int, list[str]] = {}
    pos = 0
    for kind, items, where in parts:
        if kind == "arrays":
            for c, a in zip(cols, items):
                c.append(a)
            pos += len(items[0])
            continue
        if kind == "text":
            arrays = _fast(items, width, delim)
            if arrays is not None:
                for c, a in zip(cols, arrays):
                    c.append(a)
                pos += len(arrays[0]) if arrays else 0
                continue
            # a line with another number of fields: record by record, with line numbers
            recs, at = [], []
            for k, ln in enumerate(split_lines(items)):
                if ln in ("\n", "\r\n"):
                    continue
                recs.extend(csv.reader([ln], delimiter=delim))
                at.append(where + k)
            items, where = recs, at
        if list(map(len, items)).count(width) == len(items):  # the usual case: no ragged row
            fixed = items
            pos += len(items)
            items = []
        else:
            fixed = []
        for r, line in zip(items, where):
            if len(r) != width:
                place = f"row {first_row + pos} (line {line})"
                if len(r) < width:
                    notes.setdefault(pos, []).append((
                        "ragged-row", None, None,
                        f"{place} has {len(r)} fields where the header has {width}; the "
                        f"missing fields ({', '.join(names[len(r):width])}) are read as empty"))
                else:
                    surplus[pos] = r[width:]
                    notes.setdefault(pos, []).append((
                        "ragged-row", None, short_text(delim.join(r[width:]), 200),
                        f"{place} has {len(r)} fields where the header has {width}; the extra "
                        f"values are kept in {{kept}}; check the row for an unquoted "
                        f"{_delimiter_name(delim)} inside a value"))
                r = (r + [""] * width)[:width]
            fixed.append(r)
            pos += 1
        for c, values in zip(cols, zip(*fixed)):  # records to columns in C
            c.append(pa.array(values, type=pa.string()))
    columns = [pa.concat_arrays(c) if c else pa.array([], pa.string()) for c in cols]
    # cells beyond the cap are cut, with a note on their row
    cap = limits.MAX_CELL_CHARS
    for i, a in enumerate(columns):
        if len(a) and (pc.max(pc.utf8_length(a)).as_py() or 0) > cap:
            long = pc.greater(pc.utf8_length(a), cap)
            for k in [int(x) for x in pc.indices_nonzero(long).to_pylist()]:
                text = a[k].as_py()
                notes.setdefault(k, []).append((
                    "cell-too-long", names[i], short_text(text, 60),
                    f"row {first_row + k}, {names[i]}: the cell holds {len(text):,} characters, "
                    f"more than the {cap:,} geoverify keeps; only the first {cap:,} are used"))
            columns[i] = pc.if_else(long, pc.utf8_slice_codeunits(a, 0, cap), a)
    return Block(columns, notes, surplus, first_row)


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}.get(
        delimiter, repr(delimiter))


def _table(name: str, header: Header, blocks: list[Block], digest: str, fmt: str,
           grow: bool) -> RawTable:
    import pandas as pd

    width = len(header.names)
    names = list(header.names)
    notes: dict[int, list[tuple]] = {}
    surplus: dict[int, list[str]] = {}
    offset = 0
    for b in blocks:
        notes.update({offset + k: v for k, v in b.notes.items()})
        surplus.update({offset + k: v for k, v in b.surplus.items()})
        offset += len(b)
    n = offset
    longest = max((width + len(v) for v in surplus.values()), default=width)
    if grow and longest > width:
        names = names + [""] * (longest - width)
    duplicates: dict[str, list[str]] = {}
    names = unique_header(names, duplicates)
    # chunked (one chunk per block): no copy
    arrays = [pa.chunked_array([b.columns[i] for b in blocks], type=pa.string())
              for i in range(width)]
    if grow and longest > width:
        for j in range(width, longest):
            vals = [""] * n
            for k, extra in surplus.items():
                if j - width < len(extra):
                    vals[k] = extra[j - width]
            arrays.append(pa.array(vals, type=pa.string()))
    data = pd.DataFrame({nm: pd.Series(a, dtype=pd.ArrowDtype(pa.string()))
                         for nm, a in zip(names, arrays)}) if names else pd.DataFrame(index=range(n))
    table = RawTable(data, name, digest, fmt)
    for k in sorted(notes):
        for code, field, value, message in notes[k]:
            if "{kept}" in message:
                extra = surplus.get(k, [])
                kept = (", ".join(names[width:width + len(extra)]) if grow else
                        "this finding: " + ", ".join(repr(x[:200]) for x in extra[:20]))
                message = message.replace("{kept}", kept)
                field = names[width] if grow and len(names) > width else field
            table.note(k, code, field, value, message)
    note_duplicate_columns(table, duplicates, first_row=blocks[0].first_row if blocks else 1)
    table.meta["delimiter"] = None if header.delimiter == SINGLE_COLUMN else header.delimiter
    return table


def read_delimited(text: str, name: str, digest: str, delimiter: str | None = None,
                   fmt: str = "csv") -> RawTable:
    """Delimited text -> :class:`RawTable`; every record after the header is a row."""
    if not text or text.isspace():  # (text.strip() would copy the whole file to say so)
        raise ClaimsFileError(f"claims file {name}: empty file, expected a header row")
    lines = _Lines([text])
    header = read_header(lines, text[:65536], name, delimiter)
    blocks = list(read_blocks(lines, header, name))
    _check_closed(blocks, text, header, name)
    return _table(name, header, blocks, digest, fmt, grow=True)


def stream_delimited(chunks: Iterable[str], name: str, *, fmt: str = "csv",
                     delimiter: str | None = None, block_rows: int = BLOCK_ROWS
                     ) -> Iterator[RawTable]:
    """Delimited text arriving in chunks -> RawTables of about ``block_rows`` rows each, all
    with the header's columns (extra fields stay in the row's note)."""
    it = iter(chunks)
    head = ""
    buffered: list[str] = []
    for chunk in it:
        buffered.append(chunk)
        head += chunk
        if len(head) >= 65536:
            break
    if not head.strip():
        raise ClaimsFileError(f"claims file {name}: empty file, expected a header row")
    lines = _Lines(chain(buffered, it))
    header = read_header(lines, head[:65536], name, delimiter)
    first = 1
    for block in read_blocks(lines, header, name, block_rows=block_rows, first_row=first):
        yield _table(name, header, [block], "", fmt, grow=False)


def _check_closed(blocks: list[Block], text: str, header: Header, name: str) -> None:
    """An unclosed quote at the end swallows the rest of the file: refuse it, naming the line
    where the quote opened."""
    if not blocks or not len(blocks[-1]):
        return
    last = blocks[-1]
    cells = [c[len(c) - 1].as_py() for c in last.columns]
    if not any(("\n" in v or "\r" in v) for v in cells if v):
        return
    line = unclosed_quote_line(text, header.delimiter)
    if line is not None:
        raise ClaimsFileError(
            f"claims file {name}, line {line}: a quoted field opens here and is never "
            "closed, so the rows after it cannot be told apart; close or remove the quote")


def unclosed_quote_line(text: str, delimiter: str) -> int | None:
    """Line where a quoted field opens and the text ends before it closes, else ``None``."""
    in_quotes = False
    at_field_start = True
    line = 1
    opened = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if in_quotes:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 2
                    continue
                in_quotes = False
            elif c == "\n":
                line += 1
        else:
            if c == '"' and at_field_start:
                in_quotes = True
                opened = line
            elif c == "\n":
                line += 1
            at_field_start = c in (delimiter, "\n", "\r")
        i += 1
    return opened if in_quotes else None
