"""The notebooks run top to bottom against a small warehouse, and their plots render.

Each notebook is executed on this interpreter's kernel (pipeline.notebooks) with the warehouse
injected as a parameter; a cell that raises fails the test. The committed notebooks carry no
outputs, so a diff shows only code and text.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from _samples import sample_warehouse as build_sample_warehouse

from pipeline import paths
from pipeline.notebooks import (
    INJECTED_TAG,
    NOTEBOOKS,
    PARAMETERS_TAG,
    NotebookFailed,
    execute_notebook,
    with_parameters,
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return build_sample_warehouse(tmp_path_factory.mktemp("notebooks"), 3_000, 300)


# the touchpoints notebook also quotes its examples' notes (masked), so that path runs too
EXTRA = {"touchpoints": {"show_text": True}, "retention": {}}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_plots(name, warehouse, tmp_path):
    params = {"warehouse": str(warehouse), **EXTRA[name]}
    done = execute_notebook(paths.NOTEBOOKS / f"{name}.ipynb", tmp_path, params, timeout=120)
    nb = nbformat.read(done.notebook, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    assert done.images >= 3
    assert done.html is not None and "<img" in done.html.read_text(encoding="utf-8")
    # the injected warehouse was the one read
    injected = [c for c in nb.cells if INJECTED_TAG in c.metadata.get("tags", [])]
    assert len(injected) == 1 and str(warehouse) in injected[0].source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_committed_clean(name):
    raw = json.loads((paths.NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    code = [c for c in raw["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    params = [c for c in code if PARAMETERS_TAG in c["metadata"].get("tags", [])]
    assert len(params) == 1
    assert 'warehouse = "data/warehouse.duckdb"' in "".join(params[0]["source"])


def test_a_failing_cell_fails_the_run_and_keeps_the_copy(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1", metadata={"tags": [PARAMETERS_TAG]}),
            nbformat.v4.new_code_cell("assert x == 2, 'x is not 2'"),
        ]
    )
    source = tmp_path / "broken.ipynb"
    nbformat.write(nb, source)
    with pytest.raises(NotebookFailed, match="broken.ipynb: a cell failed"):
        execute_notebook(source, tmp_path / "out", {"x": 1}, timeout=60, html=False)
    assert (tmp_path / "out" / "broken.ipynb").is_file()
    # the same notebook passes with the parameter it needs
    done = execute_notebook(source, tmp_path / "out", {"x": 2}, timeout=60, html=False)
    assert done.html is None


def test_parameters_go_after_the_parameters_cell():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# title"),
            nbformat.v4.new_code_cell("a = 1", metadata={"tags": [PARAMETERS_TAG]}),
            nbformat.v4.new_code_cell("print(a)"),
        ]
    )
    out = with_parameters(nb, {"a": 2, "path": "x/y"})
    assert [c.source for c in out.cells][1:3] == [
        "a = 1",
        "# Parameters (injected by pipeline.notebooks)\na = 2\npath = 'x/y'",
    ]
    assert len(nb.cells) == 3  # the source notebook is left as it was


def test_plots_still_render_after_masking_text(tmp_path):
    """explore.masked_text imports pipeline.report (which selects Agg for the report's charts);
    a plot drawn after it must still show in the notebook."""
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("", metadata={"tags": [PARAMETERS_TAG]}),
            nbformat.v4.new_code_cell(
                "import matplotlib.pyplot as plt\n"
                "import pandas as pd\n"
                "from pipeline import explore\n"
                "notes = pd.Series(['ring +60 12-345 6789 or a@b.co', None])\n"
                "masked = explore.masked_text(notes)\n"
                "assert masked[0] == 'ring [phone] or [e-mail]', masked[0]\n"
                "fig, ax = plt.subplots()\n"
                "ax.plot([1, 2])\n"
                "plt.show()"
            ),
        ]
    )
    source = tmp_path / "mask.ipynb"
    nbformat.write(nb, source)
    done = execute_notebook(source, tmp_path / "out", {}, timeout=60, html=False)
    assert done.images == 1
