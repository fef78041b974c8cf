"""Reading and writing ``validate`` baselines (JSON, written atomically)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geoverify.errors import ConfigError
from geoverify.io.writers import write_text_atomic


def read_baseline(path: str | Path) -> dict[str, Any]:
    """Read a baseline file as parsed JSON (its contents are checked by
    :func:`geoverify.validation.validation.check_baseline`).

    Raises
    ------
    ConfigError
        The file is missing or not JSON.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"baseline {path}: no such file; write one with --write-baseline") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"baseline {path}: cannot be read ({exc})") from exc
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"baseline {path}: not valid JSON ({exc})") from exc
    return doc


def baseline_text(doc: dict[str, Any]) -> str:
    """A baseline as stable, diff-friendly JSON text."""
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_baseline(path: str | Path, doc: dict[str, Any], *, overwrite: bool = False) -> None:
    """Write a baseline atomically (refusing to replace a file unless ``overwrite``)."""
    write_text_atomic(path, baseline_text(doc), overwrite=overwrite)


__all__ = ["baseline_text", "read_baseline", "write_baseline"]
