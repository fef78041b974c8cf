"""Exceptions raised when geoverify cannot run.

A bad *row* never raises: it becomes a :class:`geoverify.core.findings.Finding`.
Exceptions are for jobs that cannot run at all (an unreadable file, an unknown
boundary layer, a bad option). Each subclass also inherits the matching builtin
so callers can catch either.
"""

from __future__ import annotations


class GeoverifyError(Exception):
    """Root of every exception geoverify raises on purpose."""


class ClaimsFileError(GeoverifyError, OSError):
    """A claims file cannot be read at all (missing, unreadable, wrong format)."""


class BoundaryLayerError(GeoverifyError, LookupError):
    """A boundary layer is unknown, missing or corrupt."""


class ConfigError(GeoverifyError, ValueError):
    """A configuration value or option is invalid."""


class CoordinateError(GeoverifyError, ValueError):
    """A coordinate string cannot be turned into a point.

    Parameters
    ----------
    code
        The finding code this becomes on a row: ``unparseable-coordinates``
        or ``out-of-range``.
    message
        What is wrong and what to do about it.
    value
        The original text.
    """

    def __init__(self, code: str, message: str, value: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.value = value
