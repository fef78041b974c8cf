"""Fixtures for the claims-reader tests: the embedded Belgorod example written in every
format geoverify reads (see tests/io/belgorod_variants.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.io.belgorod_variants import build_variants, example_rows


@pytest.fixture(scope="session")
def belgorod_variants(tmp_path_factory) -> dict[str, tuple[Path, float]]:
    return build_variants(tmp_path_factory.mktemp("belgorod"))


@pytest.fixture(scope="session")
def belgorod_rows() -> list[dict[str, str]]:
    return example_rows()
