"""Fixtures for the ``validate`` tests: the schemas of the real consumers, from registry packages.

- SARIF 2.1.0: the official schema as Microsoft's ``@microsoft/jest-sarif`` npm package bundles
  it (``package/lib/schemas/sarif-2.1.0-rtm.5.json``; no PyPI package ships it), fetched once
  with ``npm pack``.
- JUnit: Jenkins' ``junit-10.xsd`` (the xUnit plugin's schema, MIT licence, Gregory Boissinot),
  as pytest's source distribution on PyPI ships it for its own tests
  (``testing/example_scripts/junit-10.xsd``), fetched once with ``pip download``. pytest's copy
  adds an optional ``version`` attribute to ``testsuite`` and is stricter on ``time``; the JUnit
  test checks that geoverify writes neither.

Both are cached in ``tests/.cache/`` and checked by sha256. Without the client or the network
their tests are skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

SARIF_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SARIF_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "sarif"


JUNIT_PACKAGE = "pytest==9.2.0"
JUNIT_MEMBER = "pytest-9.2.0/testing/example_scripts/junit-10.xsd"
JUNIT_SHA256 = "a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6"
JUNIT_CACHE = Path(__file__).resolve().parents[1] / ".cache" / "junit"


def _unavailable(why: str, what: str = "the SARIF 2.1.0 schema"):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is needed under CI=true: {why}")
    pytest.skip(f"{what} unavailable: {why}")


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


@pytest.fixture(scope="session")
def junit_xsd() -> Path:
    """Jenkins' ``junit-10.xsd``, from pytest's source distribution on PyPI."""
    what = "Jenkins' junit-10.xsd"
    target = JUNIT_CACHE / "junit-10.xsd"
    if not target.exists():
        JUNIT_CACHE.mkdir(parents=True, exist_ok=True)
        try:
            out = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                                  "--no-binary", ":all:", "--dest", str(JUNIT_CACHE),
                                  JUNIT_PACKAGE], capture_output=True, text=True, timeout=300,
                                 check=False)
        except subprocess.TimeoutExpired:
            _unavailable(f"pip download {JUNIT_PACKAGE} timed out", what)
        sdists = sorted(JUNIT_CACHE.glob("pytest-*.tar.gz"))
        if out.returncode != 0 or not sdists:
            _unavailable(f"pip download {JUNIT_PACKAGE} failed: {out.stderr.strip()[-500:]}",
                         what)
        with tarfile.open(sdists[-1]) as tf:
            member = tf.extractfile(JUNIT_MEMBER)
            if member is None:
                pytest.fail(f"{sdists[-1]} has no {JUNIT_MEMBER}")
            data = member.read()
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert digest == JUNIT_SHA256, f"{target}: unexpected content (sha256 {digest})"
    return target
