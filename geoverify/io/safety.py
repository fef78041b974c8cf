"""Text from a claims file made safe for the person who opens a report.

Pure functions, no I/O: every writer (and the streaming/columnar writers) calls these on the
cells it writes.

Spreadsheets (CSV and other delimited outputs)
    A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
    read as a formula by Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)``,
    ``=cmd|' /C calc'!A0``). :func:`neutralise_formula` prefixes such a cell with ``'`` (the
    apostrophe spreadsheets themselves use to mark text), so it is shown as written and never
    run. Numbers stay numbers: a plain number (``-12.5``, ``+3``, ``-1e-5``) and any non-text
    value are left alone. :func:`neutralise_formulas` does the same over a pandas Series or a
    pyarrow string array, vectorised. ``--raw-text`` on the command line skips this for
    programs that read the CSV (the JSON formats are always raw).

Markdown
    :func:`escape_markdown` makes a value one inert line of a table cell or list item: line
    breaks of every kind (CR, LF, CR LF, NEL, U+2028/2029, VT, FF) become spaces, so a cell
    cannot end a table row or start a heading; ``\\ ` * _ [ ] < > | # ! ~ &`` and a
    leading ``-``, ``+``, ``=`` or ``1.`` are backslash-escaped, so it cannot forge emphasis, a link, an image,
    HTML, a heading, a list item, a quote or a table column; other control characters become
    U+FFFD.

Plain text (the terminal table, ``validate``'s text report)
    :func:`escape_text` makes a value one printable line: whitespace runs (line breaks
    included) become one space and non-printable characters (ANSI escape sequences, bidi
    overrides, NUL...) become ``?``, so a cell can neither add a line nor drive the terminal.
"""

from __future__ import annotations

import re
from typing import Any

#: First characters that make a spreadsheet cell a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_FORMULA_RE = r"^[=+\-@\t\r]"
_NUMBER_RE = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_NUMBER = re.compile(_NUMBER_RE)


def neutralise_formula(value: Any) -> Any:
    """One cell for a spreadsheet-readable output: text that a spreadsheet would run as a
    formula gets a leading ``'``; numbers, plain-number text and anything else are returned
    unchanged."""
    if not isinstance(value, str) or not value or value[0] not in FORMULA_START:
        return value
    if _NUMBER.match(value):
        return value
    return "'" + value


def neutralise_formulas(values):
    """:func:`neutralise_formula` over a column, vectorised.

    ``values`` is a pandas Series (object or string dtype; non-text entries are left alone)
    or a pyarrow ``StringArray``/``LargeStringArray``/``ChunkedArray`` of strings (nulls stay
    null). The same type is returned.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pa = None
    if pa is not None and isinstance(values, (pa.Array, pa.ChunkedArray)):
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            return values
        # the first character decides for nearly every cell; the number pattern runs only on
        # the cells that start like a formula
        first = pc.utf8_slice_codeunits(values, 0, 1)
        starts = pc.fill_null(pc.is_in(first, pa.array(FORMULA_START, values.type)), False)
        if not pc.any(starts).as_py():
            return values
        number = pc.fill_null(pc.match_substring_regex(values, _NUMBER_RE), False)
        risky = pc.and_(starts, pc.invert(number))
        quoted = pc.binary_join_element_wise(pa.scalar("'", values.type), values,
                                             pa.scalar("", values.type))
        return pc.if_else(risky, quoted, values)
    import pandas as pd

    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    text = s.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
    if not text.any():
        return s
    t = s[text].astype(str)
    risky = t.str.match(_FORMULA_RE) & ~t.str.match(_NUMBER_RE)
    if not risky.any():
        return s
    out = s.copy()
    idx = risky[risky].index
    out.loc[idx] = "'" + t.loc[idx]
    return out


def csv_record(values, delimiter: str = ",") -> str:
    """One CSV record ending in ``\\n``: a field holding the delimiter, ``"``, CR or LF is
    quoted (``"`` doubled).

    Python's :mod:`csv` writer with ``lineterminator="\\n"`` leaves a lone CR unquoted, and
    every CSV reader (spreadsheets included) ends the record there: a cell could split its row
    in two. This quotes it. Values are written as given (neutralise them first).
    """
    out = []
    for v in values:
        v = "" if v is None else str(v)
        if delimiter in v or '"' in v or "\r" in v or "\n" in v:
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return delimiter.join(out) + "\n"


_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~&])")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200e\u200f\u202a-\u202e"
                      r"\u2066-\u2069\ufeff]")
_WHITESPACE = re.compile(r"\s+")


def escape_markdown(value: Any) -> str:
    """A value as inert Markdown text on one line (a table cell or a list item)."""
    if value is None:
        return ""
    s = _LINE_BREAKS.sub(" ", str(value))
    s = _CONTROL.sub("\ufffd", s).replace("\t", " ")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    stripped = s.lstrip(" ")
    if stripped[:1] in ("-", "+", "=") or re.match(r"\d+[.)]", stripped):
        # a list item, a setext heading underline, an ordered list: escape the marker
        lead = len(s) - len(stripped)
        m = re.match(r"\d+", stripped)
        cut = lead + (m.end() if m and stripped[:1].isdigit() else 0)
        s = s[:cut] + "\\" + s[cut:]
    return s


def escape_text(value: Any, width: int | None = None) -> str:
    """A value as one printable line of plain text (at most ``width`` characters, with ``…``
    when cut)."""
    if value is None:
        return ""
    s = _WHITESPACE.sub(" ", str(value)).strip()
    s = "".join(ch if ch.isprintable() else "?" for ch in s)
    if width is not None and len(s) > width:
        s = s[: width - 1] + "\u2026"
    return s


__all__ = ["FORMULA_START", "csv_record", "escape_markdown", "escape_text", "neutralise_formula",
           "neutralise_formulas"]
