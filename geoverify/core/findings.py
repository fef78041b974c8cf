"""Findings: what is wrong (or noteworthy) about one row, as data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from geoverify.codes import CODES


@dataclass(frozen=True)
class Finding:
    """One observation about one input row.

    Attributes
    ----------
    code
        Stable kebab-case slug, e.g. ``unparseable-coordinates``.
    severity
        ``info``, ``warning`` or ``error``.
    row
        1-based data row (header excluded), or ``None`` for file-level findings.
    field
        The input column the finding is about, or ``None``.
    value
        The offending value as text, or ``None``.
    message
        A sentence saying what is wrong and what to do.
    """

    code: str
    severity: str
    row: int | None
    field: str | None
    value: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FindingList(list):
    """The findings of one row, with a helper that fills in the row and default severity."""

    def __init__(self, row: int | None, initial=()) -> None:
        super().__init__(initial)
        self.row = row

    def add(self, code: str, field: str | None, value: Any, message: str) -> None:
        self.append(Finding(code, severity_of(code), self.row, field,
                            None if value is None else str(value), message))


def severity_of(code: str) -> str:
    """Default severity of a finding code (``warning`` for codes not in :data:`CODES`)."""
    return CODES.get(code, "warning")


#: Columns of a findings table (one row per finding, many per frame possible).
FINDING_COLUMNS = ("pos", "seq", "code", "severity", "field", "value", "message")


class FindingsBuilder:
    """Findings of a batch collected column-wise: ``add`` arrays of positions (0-based rows of
    the batch) with one code and field, and their values and messages.

    ``seq`` orders the findings of one row (lower first); findings with the same ``seq`` keep
    the order they were added in.
    """

    def __init__(self) -> None:
        self._parts: list[tuple] = []

    def add(self, pos, code: str, field: str | None, values, messages, seq: int) -> None:
        pos = np.atleast_1d(np.asarray(pos, dtype=np.int64))
        if len(pos) == 0:
            return
        n = len(pos)
        values = [None] * n if values is None else list(values)
        messages = list(messages)
        self._parts.append((pos, seq, code, field, values, messages))

    def extend(self, table) -> None:
        """Add the rows of another findings table (as :meth:`frame` returns)."""
        if table is None or len(table) == 0:
            return
        self._parts.append((None, table))

    def frame(self):
        """All findings as a DataFrame with :data:`FINDING_COLUMNS`, sorted by row, then
        ``seq``, then order of addition."""
        frames = []
        k = 0
        for part in self._parts:
            if part[0] is None:
                t = part[1].copy()
                t["_k"] = np.arange(k, k + len(t))
                k += len(t)
                frames.append(t)
                continue
            pos, seq, code, field, values, messages = part
            n = len(pos)
            frames.append(pd.DataFrame({
                "pos": pos, "seq": np.full(n, seq, dtype=np.int64),
                "code": np.full(n, code, dtype=object),
                "severity": np.full(n, severity_of(code), dtype=object),
                "field": np.full(n, field, dtype=object),
                "value": np.asarray([None if v is None else str(v) for v in values],
                                    dtype=object),
                "message": np.asarray(messages, dtype=object),
                "_k": np.arange(k, k + n)}))
            k += n
        if not frames:
            return empty_findings()
        out = pd.concat(frames, ignore_index=True)
        out = out.sort_values(["pos", "seq", "_k"], kind="stable").drop(columns="_k")
        return out.reset_index(drop=True)


def empty_findings():
    """A findings table with no rows."""
    return pd.DataFrame({"pos": np.zeros(0, np.int64), "seq": np.zeros(0, np.int64),
                         **{c: np.zeros(0, dtype=object) for c in FINDING_COLUMNS[2:]}})
