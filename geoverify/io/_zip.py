"""Zip archives (KMZ, XLSX) read defensively: broken archives and zip bombs are refused."""

from __future__ import annotations

import io
import zipfile

from geoverify.errors import ClaimsFileError
from geoverify.io import table as _table


def open_zip(data: bytes, name: str, what: str) -> zipfile.ZipFile:
    """Open zip bytes, or raise :class:`ClaimsFileError` saying the archive is broken."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ClaimsFileError(
            f"claims file {name}: not a readable {what} (broken or truncated zip archive: "
            f"{exc})") from exc


def read_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str,
                    limit: int | None = None) -> bytes:
    """One member's bytes, refusing more than ``limit`` bytes once decompressed (default
    :data:`geoverify.io.table.MAX_UNZIPPED_BYTES`). The size in the archive's directory is
    checked first, and the stream is cut at ``limit + 1`` bytes in case the directory lies.
    """
    if limit is None:
        limit = _table.MAX_UNZIPPED_BYTES
    if info.file_size > limit:
        raise ClaimsFileError(
            f"claims file {name}: {info.filename} would decompress to {info.file_size} bytes, "
            f"more than the {limit} allowed")
    try:
        with zf.open(info) as fh:
            out = fh.read(limit + 1)
    except Exception as exc:  # BadZipFile, zlib.error, EOFError... from a corrupt archive
        raise ClaimsFileError(
            f"claims file {name}: {info.filename} cannot be unpacked ({exc})") from exc
    if len(out) > limit:
        raise ClaimsFileError(
            f"claims file {name}: {info.filename} decompresses to more than {limit} bytes")
    return out


__all__ = ["open_zip", "read_zip_member"]
