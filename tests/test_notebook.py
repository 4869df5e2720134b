"""docs/tour.ipynb runs top to bottom in a fresh kernel (nbclient), and shows what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_tour_notebook_runs_and_shows_the_html_result():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(DOCS / "tour.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(DOCS)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("Vendor shares of served compute" in page for page in html)  # Result._repr_html_
    text = "\n".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "procurement $785.59B" in text and "evpi_usd" in text and "max_vendor_share" in text
