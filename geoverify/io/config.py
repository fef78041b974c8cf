"""Finding and reading ``validate``'s configuration files.

Looked for from a dataset's directory upward (stopping after the directory that holds
``.git``), first hit wins; in each directory, in this order:

``.geoverify.toml``  settings at the top level (or under ``[tool.geoverify]``)
``pyproject.toml``   the ``[tool.geoverify]`` table (a pyproject without one is skipped)
``setup.cfg``        the ``[tool:geoverify]`` or ``[geoverify]`` section

In ``setup.cfg`` values are text: ``columns`` and ``severity`` are ``key = value`` pairs
separated by commas or new lines, ``exclude`` a list separated by commas or new lines, and
``allow`` one known exception a line: ``ID CODE REASON...``.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path
from typing import Any

from geoverify.errors import ConfigError
from geoverify.io import limits

CONFIG_NAMES = (".geoverify.toml", "pyproject.toml", "setup.cfg")
INI_SECTIONS = ("tool:geoverify", "geoverify")


def read_config_mapping(path: str | Path) -> dict[str, Any]:
    """The geoverify settings mapping in one file (``.toml`` or ``.cfg``/``.ini``)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"configuration file {path}: no such file")
    return _mapping(p, explicit=True) or {}


def find_config_mapping(start: str | Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest configuration upward from ``start``: ``(file, mapping)``, or ``None``.

    The search stops after the directory that holds ``.git``.
    """
    d = Path(start).resolve()
    if not d.is_dir():
        d = d.parent
    for directory in (d, *d.parents):
        for name in CONFIG_NAMES:
            p = directory / name
            if p.is_file():
                mapping = _mapping(p, explicit=False)
                if mapping is not None:
                    return p, mapping
        if (directory / ".git").exists():
            break
    return None


def config_near(source: str | Path | None) -> tuple[Path, dict[str, Any]] | None:
    """The configuration that applies to a claims file: the nearest one upward from its
    directory (from the working directory for standard input, ``None`` or ``"-"``); ``None``
    when there is none or the file does not exist."""
    start = Path.cwd() if source in (None, "-") else Path(source)
    if not start.exists():
        return None
    return find_config_mapping(start)


def config_bool(value: Any, key: str, where: str) -> bool:
    """A yes/no setting: a TOML boolean, or (``setup.cfg`` values are text) ``true``/``yes``/
    ``on``/``1`` and ``false``/``no``/``off``/``0``."""
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("true", "yes", "on", "1"):
        return True
    if s in ("false", "no", "off", "0"):
        return False
    raise ConfigError(f"{where}: {key} = {value!r} must be true or false")


def _read_text(p: Path) -> str:
    """The text of a configuration file, refusing one over
    :data:`~geoverify.io.limits.MAX_CONFIG_BYTES`."""
    cap = limits.MAX_CONFIG_BYTES
    try:
        with open(p, "rb") as fh:
            data = fh.read(cap + 1)
        if len(data) > cap:
            raise ConfigError(f"configuration {p}: larger than {limits.size_text(cap)}, more "
                              "than a configuration file needs")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"configuration {p}: cannot be read ({exc})") from exc


def _mapping(p: Path, *, explicit: bool) -> dict[str, Any] | None:
    """The settings mapping in ``p``, or ``None`` when it holds no geoverify settings."""
    if p.suffix.lower() == ".toml":
        text = _read_text(p)
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration {p}: not valid TOML ({exc})") from exc
        except RecursionError as exc:  # tomllib recurses once per level of nesting
            raise ConfigError(
                f"configuration {p}: arrays or tables nested too deeply to read; a geoverify "
                "configuration needs two or three levels") from exc
        tool = doc.get("tool", {}).get("geoverify") if isinstance(doc.get("tool"), dict) else None
        if tool is not None:
            return tool
        if p.name == "pyproject.toml":
            return {} if explicit else None
        return doc
    return _ini_mapping(p, explicit=explicit)


def _ini_mapping(p: Path, *, explicit: bool) -> dict[str, Any] | None:
    parser = configparser.ConfigParser(interpolation=None)
    text = _read_text(p)
    try:
        parser.read_string(text, source=str(p))
    except configparser.Error as exc:
        raise ConfigError(f"configuration {p}: cannot be read ({exc})") from exc
    section = next((s for s in INI_SECTIONS if parser.has_section(s)), None)
    if section is None:
        if explicit:
            raise ConfigError(f"configuration {p}: no [tool:geoverify] or [geoverify] section")
        return None
    out: dict[str, Any] = {}
    for key, value in parser.items(section):
        k = key.replace("-", "_")
        if k in ("columns", "severity"):
            out[key] = _pairs(value, key, p)
        elif k == "exclude":
            out[key] = [s for s in re.split(r"[,\n]", value) if s.strip()]
            out[key] = [s.strip() for s in out[key]]
        elif k == "allow":
            out[key] = _allow_lines(value, p)
        else:
            out[key] = value.strip()
    return out


def _pairs(value: str, key: str, p: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in re.split(r"[,\n]", value):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"([^=:]+?)\s*[=:]\s*(.+)$", part)
        if not m:
            raise ConfigError(f"configuration {p}: {key}: {part!r} is not a key = value pair")
        out[m.group(1).strip()] = m.group(2).strip().strip("'\"")
    return out


def _allow_lines(value: str, p: Path) -> list[dict[str, str]]:
    out = []
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            raise ConfigError(f"configuration {p}: allow: {line!r} must be 'ID CODE REASON'")
        out.append({"id": parts[0], "code": parts[1], "reason": parts[2]})
    return out


__all__ = ["CONFIG_NAMES", "find_config_mapping", "read_config_mapping"]
