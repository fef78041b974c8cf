"""Settings of ``geoverify validate``: which checks run at which severity, thresholds, the
column mapping and the allow-list, built from a plain mapping (already read from a file).

Reading the files is :mod:`geoverify.io.config`'s job; this module only checks values and
turns them into a :class:`ValidateSettings`. Every bad value raises
:class:`~geoverify.errors.ConfigError` naming the setting, the value and the fix.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from geoverify.codes import ALL_CODES, LEVELS
from geoverify.errors import ConfigError
from geoverify.io.columns import column_mapping
from geoverify.io.config import config_bool, find_config_mapping, read_config_mapping

#: Column roles a ``columns`` mapping may name (the roles of :mod:`geoverify.core.table`).
ROLES = ("id", "clip", "frame", "lat", "lon", "coordinates", "claimed", "source", "date",
         "precision_m", "role")


@dataclass(frozen=True)
class AllowRule:
    """A known exception: ``code`` on the row whose identity is ``id`` is accepted for ``reason``.

    ``id`` is the value of the row's ``id`` column, or the ``sha256:...`` key ``validate``
    prints for rows without one. ``file`` (optional) is a glob matched against the dataset's
    path relative to the configuration file's directory. ``code = "*"`` allows every code.
    """

    id: str
    code: str
    reason: str
    file: str | None = None

    def matches(self, key: str, code: str, rel_path: str | None) -> bool:
        if self.code not in ("*", code):
            return False
        if key != self.id and key.split("#", 1)[0] != self.id:
            return False
        if self.file is not None:
            return rel_path is not None and fnmatch.fnmatchcase(rel_path, self.file)
        return True


@dataclass(frozen=True)
class ValidateSettings:
    """Everything that changes what ``validate`` reports.

    Attributes
    ----------
    columns
        Role -> column name in the file (e.g. ``{"lat": "Latitude"}``), applied by renaming the
        column before the claims are read.
    severity
        Code -> ``error``/``warning``/``info``/``off``, overriding :data:`ALL_CODES`.
    min_date, max_date
        Plausible date range; ``max_date`` ``None`` means "today" at validation time.
    low_precision_decimals
        Coordinates with at most this many decimals are ``low-precision`` ...
    precise_decimals
        ... when the median of the file's other rows has at least this many.
    conflict_tolerance_m
        Extra distance, on top of the rows' precision, that two placements of the same frame
        may differ by before they are a ``conflicting-location``.
    null_island_deg
        ``|lat|`` and ``|lon|`` below this are a ``null-island`` point.
    require_url
        A source must be an http(s) URL; ``False`` accepts plain-text citations (a value that
        looks like a URL must still be a valid one).
    exclude
        Glob patterns (relative to the configuration's directory) skipped when a directory is
        searched for claims files.
    boundaries
        Boundary set name.
    allow
        Known exceptions.
    cities_in_regions
        A point in a city with special status counts as in the region that encloses it when
        the claim names that region (Kyiv in Kyiv Oblast); see :func:`geoverify.check`.
    source
        The file the settings came from (``None``: defaults).
    """

    columns: dict[str, str] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    min_date: _dt.date = _dt.date(1990, 1, 1)
    max_date: _dt.date | None = None
    low_precision_decimals: int = 1
    precise_decimals: int = 3
    conflict_tolerance_m: float = 100.0
    null_island_deg: float = 0.01
    require_url: bool = True
    exclude: tuple[str, ...] = ()
    boundaries: str = "embedded"
    allow: tuple[AllowRule, ...] = ()
    cities_in_regions: bool = False
    source: str | None = None

    def severity_of(self, code: str) -> str:
        """Severity of ``code`` after the configuration (``off`` when disabled)."""
        return self.severity.get(code, ALL_CODES.get(code, "warning"))

    def is_off(self, code: str) -> bool:
        return self.severity_of(code) == "off"

    def with_source(self, source: str | None) -> ValidateSettings:
        return replace(self, source=source)


_KEYS = {
    "columns", "severity", "min_date", "max_date", "low_precision_decimals", "precise_decimals",
    "conflict_tolerance_m", "null_island_deg", "require_url", "exclude", "boundaries", "allow",
    "cities_in_regions",
}


def _where(source: str | None) -> str:
    return f"configuration {source}" if source else "configuration"


def settings_from_mapping(data: dict[str, Any], source: str | None = None) -> ValidateSettings:
    """Check a ``[tool.geoverify]``-style mapping and build :class:`ValidateSettings`.

    Keys may be written with ``_`` or ``-``. Unknown keys are refused (a typo would otherwise
    silently disable a setting).
    """
    where = _where(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table of settings, got {type(data).__name__}")
    norm: dict[str, Any] = {}
    for k, v in data.items():
        key = str(k).replace("-", "_")
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown setting {k!r}; known settings are "
                              + ", ".join(sorted(_KEYS)))
        norm[key] = v
    kw: dict[str, Any] = {"source": source}
    if "columns" in norm:
        kw["columns"] = _columns(norm["columns"], where)
    if "severity" in norm:
        kw["severity"] = _severity(norm["severity"], where)
    if "min_date" in norm:
        kw["min_date"] = _date(norm["min_date"], "min_date", where)
    if "max_date" in norm:
        v = norm["max_date"]
        kw["max_date"] = None if v in (None, "", "today") else _date(v, "max_date", where)
    for key in ("low_precision_decimals", "precise_decimals"):
        if key in norm:
            kw[key] = _int(norm[key], key, where, lo=0, hi=15)
    for key in ("conflict_tolerance_m", "null_island_deg"):
        if key in norm:
            kw[key] = _number(norm[key], key, where)
    for key in ("require_url", "cities_in_regions"):
        if key in norm:
            kw[key] = config_bool(norm[key], key, where)
    if "exclude" in norm:
        kw["exclude"] = tuple(_strings(norm["exclude"], "exclude", where))
    if "boundaries" in norm:
        if not isinstance(norm["boundaries"], str) or not norm["boundaries"].strip():
            raise ConfigError(f"{where}: boundaries must be a boundary set name such as 'embedded'")
        kw["boundaries"] = norm["boundaries"].strip()
    if "allow" in norm:
        kw["allow"] = tuple(_allow(norm["allow"], where))
    settings = ValidateSettings(**kw)
    if settings.low_precision_decimals >= settings.precise_decimals:
        raise ConfigError(
            f"{where}: low_precision_decimals ({settings.low_precision_decimals}) must be below "
            f"precise_decimals ({settings.precise_decimals})")
    if settings.max_date is not None and settings.max_date < settings.min_date:
        raise ConfigError(f"{where}: max_date {settings.max_date} is before min_date {settings.min_date}")
    return settings


def _columns(v: Any, where: str) -> dict[str, str]:
    return column_mapping(v, f"{where}: columns") if v else {}


def _severity(v: Any, where: str) -> dict[str, str]:
    if not isinstance(v, dict):
        raise ConfigError(f'{where}: severity must be a table such as {{near-border = "error"}}')
    out: dict[str, str] = {}
    for code, level in v.items():
        c = str(code).strip()
        if c not in ALL_CODES:
            raise ConfigError(f"{where}: severity: unknown finding code {code!r}; codes are "
                              + ", ".join(sorted(ALL_CODES)))
        lv = str(level).strip().lower()
        if lv not in (*LEVELS, "off"):
            raise ConfigError(f"{where}: severity: {code} = {level!r}; use error, warning, "
                              "info or off")
        out[c] = lv
    return out


def _date(v: Any, key: str, where: str) -> _dt.date:
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    try:
        return _dt.date.fromisoformat(str(v).strip())
    except ValueError:
        raise ConfigError(f"{where}: {key} = {v!r} is not a date; write it as YYYY-MM-DD") from None


def _int(v: Any, key: str, where: str, lo: int, hi: int) -> int:
    try:
        n = int(str(v).strip()) if not isinstance(v, bool) else None
    except ValueError:
        n = None
    if n is None or not lo <= n <= hi:
        raise ConfigError(f"{where}: {key} = {v!r} must be a whole number from {lo} to {hi}")
    return n


def _number(v: Any, key: str, where: str) -> float:
    try:
        x = float(str(v).strip()) if not isinstance(v, bool) else -1.0
    except ValueError:
        x = -1.0
    if not x >= 0 or x == float("inf"):
        raise ConfigError(f"{where}: {key} = {v!r} must be a non-negative number")
    return x


def _strings(v: Any, key: str, where: str) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
        return list(v)
    raise ConfigError(f"{where}: {key} must be a list of strings")


def _allow(v: Any, where: str) -> list[AllowRule]:
    if not isinstance(v, list):
        raise ConfigError(f"{where}: allow must be a list of tables "
                          '([[tool.geoverify.allow]] id = "r42" code = "..." reason = "...")')
    out = []
    for i, item in enumerate(v, start=1):
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: allow entry {i} must be a table with id, code and reason")
        unknown = set(item) - {"id", "code", "reason", "file"}
        if unknown:
            raise ConfigError(f"{where}: allow entry {i}: unknown key(s) {', '.join(sorted(unknown))}")
        rid, code, reason = item.get("id"), item.get("code"), item.get("reason")
        if rid is None or str(rid).strip() == "":
            raise ConfigError(f"{where}: allow entry {i} has no id (the row's id column value)")
        if not code or (str(code) != "*" and str(code) not in ALL_CODES):
            raise ConfigError(f"{where}: allow entry {i} (id {rid}): code {code!r} is not a "
                              "finding code; codes are " + ", ".join(sorted(ALL_CODES)))
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where}: allow entry {i} (id {rid}, {code}) needs a reason: "
                              "say why this row is a known exception")
        f = item.get("file")
        out.append(AllowRule(str(rid).strip(), str(code), reason.strip(),
                             str(f) if f is not None else None))
    return out


__all__ = ["AllowRule", "ROLES", "find_config", "read_config",
           "ValidateSettings", "settings_from_mapping"]


def read_config(path: str | Path) -> ValidateSettings:
    """Settings from one configuration file (``.toml`` or ``.cfg``/``.ini``)."""
    return settings_from_mapping(read_config_mapping(path), str(path))


def find_config(start: str | Path, cache: dict[Path, ValidateSettings] | None = None
                ) -> ValidateSettings:
    """Settings for a dataset in (or at) ``start``: the nearest configuration upward (see
    :mod:`geoverify.io.config`), or the defaults when there is none.

    ``cache`` (directory -> settings) avoids reading the same files again within one run.
    """
    d = Path(start).resolve()
    if not d.is_dir():
        d = d.parent
    if cache is not None and d in cache:
        return cache[d]
    hit = find_config_mapping(d)
    found = ValidateSettings() if hit is None else settings_from_mapping(hit[1], str(hit[0]))
    if cache is not None:
        cache[d] = found
    return found
