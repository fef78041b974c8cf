"""The resource caps of geoverify's readers, in one place.

A claims file comes from anywhere, so every reader works within fixed bounds: a file that is
larger or deeper than a cap is refused with :class:`~geoverify.errors.ClaimsFileError` (exit 3
on the command line) naming the file, and, where there is one, the row, the field or the cell;
a single cell that is too long only costs its row a finding (``cell-too-long``). Nothing
geoverify reads can make it run out of memory, recurse without bound or take quadratic time.

The caps are module attributes read when they are used (tests shrink them with
``monkeypatch``); :data:`MAX_INPUT_BYTES` can be changed with the environment variable
``GEOVERIFY_MAX_INPUT_BYTES`` (a number of bytes). They are listed in docs/FORMATS.md
("Limits").

=========================  =====================  ===============================================
cap                        value                  when it is exceeded
=========================  =====================  ===============================================
``MAX_INPUT_BYTES``        1 GiB                  file or stdin refused (use ``--stream`` for a
                                                  large CSV or Parquet file)
``MAX_UNZIPPED_BYTES``     200 MB                 XLSX/KMZ member refused (zip bombs; kept in
                                                  :mod:`geoverify.io.table`)
``MAX_CELL_CHARS``         1,048,576 characters   cell cut to this length, ``cell-too-long``
                                                  finding on its row
``MAX_JSON_DEPTH``         100 levels             JSON/GeoJSON/JSONL file refused
``MAX_XML_DEPTH``          256 levels             KML/KMZ file refused (e.g. Folders in Folders)
``MAX_XLSX_CELLS``         20,000,000 cells       sheet refused, naming its farthest cell
``MAX_CONFIG_BYTES``       1 MiB                  configuration file refused
``MAX_FETCH_BYTES``        1 GiB                  ``boundaries fetch`` download aborted
=========================  =====================  ===============================================
"""

from __future__ import annotations

import os

#: Largest claims file (or standard input) read into memory, in bytes.
MAX_INPUT_BYTES = 1 << 30
#: Longest cell kept whole, in characters; a longer one is cut and its row gets a finding.
MAX_CELL_CHARS = 1 << 20
#: Deepest nesting of JSON arrays and objects accepted.
MAX_JSON_DEPTH = 100
#: Deepest nesting of XML elements accepted in KML.
MAX_XML_DEPTH = 256
#: Most cells of an XLSX sheet's used range (rows x columns) read.
MAX_XLSX_CELLS = 20_000_000
#: Largest configuration file read.
MAX_CONFIG_BYTES = 1 << 20
#: Distances to boundary lines are measured up to this many metres (exact to 0.1 m); a line
#: farther away is reported as "more than" this (null in data formats).
DISTANCE_REACH_M = 25_000.0
#: Largest boundary layer ``geoverify boundaries fetch`` downloads.
MAX_FETCH_BYTES = 1 << 30


def max_input_bytes() -> int:
    """:data:`MAX_INPUT_BYTES`, or ``$GEOVERIFY_MAX_INPUT_BYTES`` when set to a number."""
    env = os.environ.get("GEOVERIFY_MAX_INPUT_BYTES", "").strip().replace("_", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return MAX_INPUT_BYTES


def size_text(n: int) -> str:
    """``1 GiB``, ``200 MB``, ``5,000 bytes``: a cap as people read it."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} bytes"


__all__ = ["MAX_CELL_CHARS", "MAX_CONFIG_BYTES", "MAX_FETCH_BYTES", "MAX_INPUT_BYTES",
           "MAX_JSON_DEPTH", "MAX_XLSX_CELLS", "MAX_XML_DEPTH",
           "max_input_bytes", "size_text"]
