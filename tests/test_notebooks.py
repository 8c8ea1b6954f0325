"""docs/notebooks run end to end (nbclient), small, so they cannot rot; committed ones carry their pictures."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

pytest.importorskip("nbclient", reason="the optional 'notebooks' extra is not installed")
pytest.importorskip("pygltflib", reason="the optional 'gltf' extra is not installed")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "docs" / "notebooks"


def _maker():
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ["lookdev.ipynb", "tryon_stages.ipynb"])
def test_committed_notebook_matches_its_source_and_keeps_pictures(name):
    nb = json.loads((NOTEBOOKS / name).read_text())
    maker = _maker()
    sources = [src for _, src in maker.NOTEBOOKS[name]]
    assert ["".join(c["source"]) for c in nb["cells"]] == sources   # regenerate with make_notebooks.py
    pngs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})]
    assert len(pngs) >= 3
    errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lookdev.ipynb", "tryon_stages.ipynb"])
def test_notebook_executes_small(name, data_dir, monkeypatch):
    import nbformat

    monkeypatch.setenv("JEWELRENDER_DATA", str(data_dir))
    monkeypatch.setenv("JEWELRENDER_NB_SIZE", "48")
    monkeypatch.setenv("JEWELRENDER_NB_SPP", "4")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    maker = _maker()
    maker.execute(nb, timeout=300)   # raises CellExecutionError with the failing cell's traceback
    pngs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 3
    assert os.environ["JEWELRENDER_NB_SIZE"] == "48"
