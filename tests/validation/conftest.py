"""Fixtures for the ``validate`` tests: the official SARIF 2.1.0 schema, from a registry package.

The schema is the one Microsoft's ``@microsoft/jest-sarif`` npm package bundles
(``package/lib/schemas/sarif-2.1.0-rtm.5.json``; no PyPI package ships it). It is fetched once
with ``npm pack`` into ``tests/.cache/`` and reused. Without npm or the network the SARIF
schema test is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

SARIF_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SARIF_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "sarif"


def _unavailable(why: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"the SARIF 2.1.0 schema is needed under CI=true: {why}")
    pytest.skip(f"SARIF 2.1.0 schema unavailable: {why}")


@pytest.fixture(scope="session")
def sarif_schema() -> dict:
    """The official SARIF 2.1.0 JSON schema (draft-04) as a dict."""
    target = CACHE / "sarif-2.1.0-rtm.5.json"
    if not target.exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is not installed")
        CACHE.mkdir(parents=True, exist_ok=True)
        try:
            out = subprocess.run([npm, "pack", SARIF_PACKAGE, "--pack-destination", str(CACHE),
                                  "--silent"], capture_output=True, text=True, timeout=180,
                                 check=False)
        except subprocess.TimeoutExpired:
            _unavailable(f"npm pack {SARIF_PACKAGE} timed out")
        if out.returncode != 0:
            _unavailable(f"npm pack {SARIF_PACKAGE} failed: {out.stderr.strip()[-500:]}")
        tgz = CACHE / out.stdout.strip().splitlines()[-1]
        with tarfile.open(tgz) as tf:
            member = tf.extractfile(SARIF_MEMBER)
            if member is None:
                pytest.fail(f"{tgz} has no {SARIF_MEMBER}")
            data = member.read()
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    schema = json.loads(target.read_text(encoding="utf-8"))
    assert "2.1.0" in schema["title"]
    return schema
