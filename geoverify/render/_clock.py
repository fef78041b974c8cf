"""The time a map or figure says it was built: ``SOURCE_DATE_EPOCH`` when set (reproducible
builds), else now."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from geoverify.errors import ConfigError


def map_build_time() -> datetime:
    """The time to stamp on a map: ``SOURCE_DATE_EPOCH`` (UTC) when set, else now.

    Raises :class:`geoverify.errors.ConfigError` when ``SOURCE_DATE_EPOCH`` is
    set but is not a non-negative integer number of seconds.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw.strip() == "":
        return datetime.now(UTC).replace(microsecond=0)
    try:
        seconds = int(raw.strip())
    except ValueError:
        raise ConfigError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC, got {raw!r}"
        ) from None
    if seconds < 0:
        raise ConfigError(f"SOURCE_DATE_EPOCH must not be negative, got {raw!r}")
    return datetime.fromtimestamp(seconds, tz=UTC)
