"""Findings: what is wrong (or noteworthy) about one row, as data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

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
