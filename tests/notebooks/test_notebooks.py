"""The notebooks run top to bottom."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook__runs_top_to_bottom(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "4 in Sumy Oblast (UA), 2 in Belgorod Oblast (RU)" in text
    # the tutorial shows the map inline, the static figure, and an export read back
    rich = [o.get("data", {}) for o in outputs if o.get("output_type") in ("execute_result", "display_data")]
    assert any("text/html" in d and "GeoverifyEvidenceMap" in d["text/html"] for d in rich)
    assert any("image/svg+xml" in d for d in rich)
    assert (tmp_path / "evidence-map.html").exists() and (tmp_path / "figure.svg").exists()
    assert (tmp_path / "frames.kml").exists() and (tmp_path / "frames.gpkg").exists()
    assert any("text/html" in d and "mismatch" in d["text/html"] and "verdict" in d["text/html"] for d in rich)


def test_notebooks__import_only_the_public_api():
    import json
    import re

    for path in NOTEBOOKS:
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                         if c["cell_type"] == "code")
        assert not re.search(r"\bgeoverify\.[a-z_]+\.", code), "only geoverify.<name>, no submodules"
        assert not re.search(r"from geoverify\.", code)


def test_notebooks__exist():
    assert [p.name for p in NOTEBOOKS] == ["belgorod-2023.ipynb"]
