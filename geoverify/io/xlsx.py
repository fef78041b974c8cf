"""Excel workbooks (.xlsx/.xlsm), read with openpyxl in read-only mode.

The first sheet (in workbook order) is read unless ``sheet=`` names another (a name, or a
0-based index). The first row with any value is the header; every later row up to the last
one holding a value is a data row, empty ones in between included (so data row *n* is always
sheet row header + *n*).

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
from geoverify.io import table as _table
from geoverify.io._zip import open_zip
from geoverify.io.table import RawTable, format_duration, unique_header


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


def read_xlsx(data: bytes, name: str, digest: str, *, sheet: str | int | None = None) -> RawTable:
    """XLSX bytes -> :class:`RawTable` (one sheet)."""
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
    try:
        names = list(wb.sheetnames)
        ws = _pick_sheet(wb, names, sheet, name)
        title = ws.title
        try:
            ws.reset_dimensions()  # do not trust a stored (possibly wrong) dimension
            rows, kinds = [], []
            for r in ws.iter_rows():
                values = [getattr(c, "value", None) for c in r]
                rows.append([xlsx_cell_text(v, getattr(c, "number_format", None))
                             for v, c in zip(values, r, strict=True)])
                kinds.append([_kind(v) for v in values])
        except ClaimsFileError:
            raise
        except Exception as exc:
            raise ClaimsFileError(
                f"claims file {name}, sheet {title!r}: cannot be read ({type(exc).__name__}: "
                f"{exc})") from exc
    finally:
        wb.close()
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    header_at = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if header_at is None:
        others = [n for n in names if n != title]
        hint = f"; the workbook's other sheets: {', '.join(others)} (use sheet=)" if others else ""
        raise ClaimsFileError(f"claims file {name}: sheet {title!r} is empty{hint}")
    header_cells = [h.strip() for h in rows[header_at]]
    body = rows[header_at + 1:]

    def used(j: int) -> bool:
        return bool(j < len(header_cells) and header_cells[j]) or any(
            j < len(r) and r[j].strip() for r in body)

    width = max([len(header_cells)] + [len(r) for r in body])
    while width > 1 and not used(width - 1):  # formatted but empty columns on the right
        width -= 1
    named = max((j + 1 for j, h in enumerate(header_cells) if h), default=0)
    header = unique_header((header_cells + [""] * width)[:width])
    notes: dict[int, str] = {}
    fixed = []
    for i, r in enumerate(body):
        r = (r + [""] * width)[:width]
        extra = [header[j] for j in range(named, width) if r[j].strip()]
        if extra:
            notes[i] = f"row {i + 1} has values beyond the header, in {', '.join(extra)}"
        fixed.append(r)
    body_kinds = kinds[header_at + 1:header_at + 1 + len(body)]
    numeric = frozenset(
        header[j] for j in range(width)
        if any(len(k) > j and k[j] == "number" for k in body_kinds)
        and all(len(k) <= j or k[j] in ("number", "empty") for k in body_kinds))
    data_frame = pd.DataFrame(fixed, columns=header, dtype=object)
    if not fixed:
        data_frame = pd.DataFrame({h: pd.Series([], dtype=object) for h in header})
    table = RawTable(data_frame, name, digest, "xlsx", row_notes=notes, numeric_columns=numeric)
    table.meta.update({"sheet": title, "sheets": names, "header_row": header_at + 1})
    return table


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
