"""Excel workbooks (.xlsx/.xlsm), read with openpyxl in read-only mode.

The first sheet (in workbook order) whose header has coordinate columns is read (else the first
sheet) unless ``sheet=`` names another (a name, or a 0-based index). Only cells holding values
are kept, and a sheet whose used range exceeds :data:`~geoverify.io.limits.MAX_XLSX_CELLS` is
refused naming its farthest cell. The first row with any value is the header; every later row
up to the last one holding a value is a data row, empty ones in between included (so data row
*n* is always sheet row header + *n*).

Cells become text as a person would read them, without spreadsheet noise:

* whole numbers without a spurious ``.0`` (``4``, not ``4.0``); other numbers ``repr``
  (``50.43005``);
* dates ISO 8601: ``2023-05-22`` for a date-formatted cell at midnight,
  ``2023-05-22T10:30:00`` when the format or the value has a time; times ``00:00:04``;
  elapsed-time cells (``[h]:mm:ss``) ``30:00:04``;
* ``TRUE``/``FALSE`` as Excel shows them; errors (``#N/A``) as written;
* formulas: the value Excel cached when it saved the file (a workbook written by a program
  that does not compute formulas has none, and the cell reads as empty).
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import re
from typing import Any

import pandas as pd

from geoverify.errors import ClaimsFileError
from geoverify.io import limits
from geoverify.io import table as _table
from geoverify.io._zip import open_zip
from geoverify.io.columns import has_coordinate_columns
from geoverify.io.table import RawTable, format_duration, note_duplicate_columns, unique_header


def _has_time(number_format: str | None) -> bool:
    f = re.sub(r'"[^"]*"', "", number_format or "").lower()
    f = re.sub(r"\[(?![hms]+\])[^\]]*\]", "", f)  # [$-409], [Red]; keep [h], [mm], [ss]
    return "h" in f or "s" in f


def xlsx_cell_text(value: Any, number_format: str | None = None) -> str:
    """The text of one openpyxl cell value."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0) and value.tzinfo is None and not _has_time(number_format):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return format_duration(value)
    return str(value)


def _kind(value: Any) -> str:
    if value is None or value == "":
        return "empty"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number"
    return "other"


def read_xlsx(data: bytes, name: str, digest: str, *, sheet: str | int | None = None,
              columns: dict[str, str] | None = None) -> RawTable:
    """XLSX bytes -> :class:`RawTable` (one sheet).

    Without ``sheet=``, the first sheet whose header has coordinate columns (``lat`` and
    ``lon``, or ``coordinates``, or the columns ``columns`` maps to them) is read, else the
    first sheet; ``meta["notes"]`` says which when the workbook has several.
    """
    import openpyxl

    with open_zip(data, name, "XLSX workbook") as zf:
        total = sum(i.file_size for i in zf.infolist())
        if total > _table.MAX_UNZIPPED_BYTES:
            raise ClaimsFileError(
                f"claims file {name}: the workbook would decompress to {total} bytes, more than "
                f"the {_table.MAX_UNZIPPED_BYTES} allowed")
        if not any(i.filename == "xl/workbook.xml" for i in zf.infolist()):
            raise ClaimsFileError(
                f"claims file {name}: a zip archive but not an Excel workbook "
                "(no xl/workbook.xml)")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ClaimsFileError:
        raise
    except Exception as exc:  # openpyxl raises many types for a corrupt workbook
        raise ClaimsFileError(
            f"claims file {name}: not a readable XLSX workbook ({type(exc).__name__}: {exc})"
        ) from exc
    notes: list[str] = []
    try:
        names = list(wb.sheetnames)
        if sheet is None and len(names) > 1:
            ws = _sheet_with_coordinates(wb, names, name, columns)
            if ws is None:
                ws = wb[names[0]]
                notes.append(f"read sheet {names[0]!r}, the first; no sheet of the workbook "
                             f"({', '.join(map(repr, names))}) has coordinate columns in its "
                             "header")
            else:
                notes.append(f"read sheet {ws.title!r}, the first with coordinate columns (the "
                             f"workbook has {', '.join(map(repr, names))}; choose another with "
                             "--sheet)")
        else:
            ws = _pick_sheet(wb, names, sheet, name)
        title = ws.title
        try:
            rows, numeric_cols, other_cols = _read_cells(ws, name, title)
        except ClaimsFileError:
            raise
        except Exception as exc:
            raise ClaimsFileError(
                f"claims file {name}, sheet {title!r}: cannot be read ({type(exc).__name__}: "
                f"{exc})") from exc
    finally:
        wb.close()
    while rows and not any(t.strip() for _, t in rows[-1]):
        rows.pop()
    header_at = next((i for i, r in enumerate(rows) if any(t.strip() for _, t in r)), None)
    if header_at is None:
        others = [n for n in names if n != title]
        hint = f"; the workbook's other sheets: {', '.join(others)} (use sheet=)" if others else ""
        raise ClaimsFileError(f"claims file {name}: sheet {title!r} is empty{hint}")
    header_cells = {j: t.strip() for j, t in rows[header_at]}
    body = rows[header_at + 1:]
    named = max((j + 1 for j, h in header_cells.items() if h), default=0)
    # the header's span, then only the columns beyond it that hold a value (a stray value far
    # to the right costs one column, not thousands of empty ones)
    beyond = sorted({j for r in body for j, t in r if j >= named and t.strip()})
    keep = list(range(max(named, 1))) + beyond
    position = {j: k for k, j in enumerate(keep)}
    duplicates: dict[str, list[str]] = {}
    header = unique_header([header_cells.get(j) or f"column_{j + 1}" for j in keep], duplicates)
    width = len(keep)
    fixed = []
    ragged: list[tuple[int, list[int], list[str]]] = []
    for i, r in enumerate(body):
        row = [""] * width
        extra_j, extra_v = [], []
        for j, t in r:
            k = position.get(j)
            if k is None:
                continue  # only blank text can be in a column that is not kept
            row[k] = t
            if j >= named and t.strip():
                extra_j.append(k)
                extra_v.append(t)
        if extra_j:
            ragged.append((i, extra_j, extra_v))
        fixed.append(row)
    numeric = frozenset(header[position[j]] for j in numeric_cols - other_cols if j in position)
    data_frame = pd.DataFrame(fixed, columns=header, dtype=object)
    if not fixed:
        data_frame = pd.DataFrame({h: pd.Series([], dtype=object) for h in header})
    table = RawTable(data_frame, name, digest, "xlsx", numeric_columns=numeric)
    for i, ks, values in ragged:
        cols = [header[k] for k in ks]
        table.note(i, "ragged-row", cols[0], _table.short_text(" | ".join(values), 200),
                   f"row {i + 1} (sheet row {header_at + i + 2}) has values beyond the header, "
                   f"in {', '.join(cols)}")
    note_duplicate_columns(table, duplicates)
    table.meta.update({"sheet": title, "sheets": names, "header_row": header_at + 1})
    if notes:
        table.meta["notes"] = notes
    return table


def _read_cells(ws, name: str, title: str):
    """The non-empty cells of a sheet, row by row: ``(rows, numeric, other)`` where each row is
    a list of ``(column index, text)`` and ``numeric``/``other`` are the column indexes holding
    a number / something else below the first row with a value.

    Nothing is padded: an empty row is an empty list. The used range (rows up to the last
    value times columns up to the farthest value) is capped at
    :data:`~geoverify.io.limits.MAX_XLSX_CELLS`, and so are the cells openpyxl hands over,
    so a stray value in ``XFD1048576`` is refused at once, naming the cell.
    """
    from openpyxl.utils import get_column_letter

    cap = limits.MAX_XLSX_CELLS
    ws.reset_dimensions()  # do not trust a stored (possibly wrong) dimension
    rows: list[list[tuple[int, str]]] = []
    numeric: set[int] = set()
    other: set[int] = set()
    seen_value = False
    handed = 0
    far_col = 0
    empty: list[tuple[int, str]] = []
    for r in ws.iter_rows():
        handed += len(r)  # openpyxl pads each row to its last cell, empty or not
        entries = empty
        for j, c in enumerate(r):
            v = getattr(c, "value", None)
            if v is None or v == "":
                continue
            if entries is empty:
                entries = []
            entries.append((j, xlsx_cell_text(v, getattr(c, "number_format", None))))
            if seen_value:
                (numeric if _kind(v) == "number" else other).add(j)
        if entries:
            seen_value = seen_value or any(t.strip() for _, t in entries)
            last = entries[-1][0]
            far_col = max(far_col, last + 1)
            if (len(rows) + 1) * far_col > cap:
                ref = f"{get_column_letter(last + 1)}{len(rows) + 1}"
                raise ClaimsFileError(
                    f"claims file {name}, sheet {title!r}: the used range reaches cell {ref} "
                    f"(holding {_table.short_text(entries[-1][1], 40)!r}): "
                    f"{len(rows) + 1:,} rows x {far_col:,} columns, more than the "
                    f"{cap:,} cells geoverify reads from a sheet; if {ref} is a stray value, "
                    "delete it and save again, else save the data as CSV")
        if handed > cap:
            ref = f"{get_column_letter(max(len(r), 1))}{len(rows) + 1}"
            raise ClaimsFileError(
                f"claims file {name}, sheet {title!r}: the rows up to {ref} span more than the "
                f"{cap:,} cells geoverify reads from a sheet (cells far to the right, even "
                "empty ones, count); delete the columns beyond the data and save again, or "
                "save the data as CSV")
        rows.append(entries)
    return rows, numeric, other


def _sheet_with_coordinates(wb, names: list[str], name: str, columns: dict[str, str] | None,
                            scan_rows: int = 100):
    """The first sheet whose header (first row with a value, among the first ``scan_rows``)
    has coordinate columns, or ``None``."""
    for n in names:
        ws = wb[n]
        try:
            ws.reset_dimensions()
            for k, r in enumerate(ws.iter_rows(values_only=True)):
                if k >= scan_rows:
                    break
                cells = [xlsx_cell_text(v).strip() for v in r]
                if any(cells):
                    if has_coordinate_columns([c for c in cells if c], columns):
                        return ws
                    break
        except Exception:  # a sheet that cannot be read is not the one with coordinates
            continue
    return None


def _pick_sheet(wb, names: list[str], sheet: str | int | None, name: str):
    if not names:
        raise ClaimsFileError(f"claims file {name}: the workbook has no sheets")
    if sheet is None:
        return wb[names[0]]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not -len(names) <= sheet < len(names):
            raise ClaimsFileError(
                f"claims file {name}: no sheet at index {sheet}; the workbook has {len(names)} "
                f"({', '.join(names)})")
        return wb[names[sheet]]
    if str(sheet) in names:
        return wb[str(sheet)]
    folded = {n.casefold(): n for n in names}
    if str(sheet).casefold() in folded:
        return wb[folded[str(sheet).casefold()]]
    raise ClaimsFileError(
        f"claims file {name}: no sheet named {sheet!r}; the workbook has {', '.join(names)}")


__all__ = ["read_xlsx", "xlsx_cell_text"]
