"""Run the analysts' notebooks against a warehouse: `python -m pipeline.notebooks`.

Each notebook in notebooks/ is committed without outputs and has one cell tagged `parameters`
(papermill's convention). Running one copies it, adds a cell tagged `injected-parameters` after
that cell with the values given, executes it top to bottom with nbclient on this interpreter
(the project's venv: ipykernel must be installed there; no kernel is registered anywhere), and
writes the executed copy, and an HTML rendering, to the output folder. A failing cell stops the
run: the copy is still written, so the error can be read in place, and NotebookFailed is raised.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import paths

NOTEBOOKS = ("touchpoints", "retention")
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class NotebookFailed(Exception):
    """A cell raised; the message names the notebook and the error, the copy holds the rest."""


@dataclass(frozen=True)
class Executed:
    name: str
    notebook: Path
    html: Path | None
    images: int  # image outputs (plots) in the executed copy


def with_parameters(nb: Any, parameters: Mapping[str, Any]) -> Any:
    """A copy of the notebook with a cell setting `parameters` after the one tagged parameters
    (at the top when there is none)."""
    import nbformat

    nb = nbformat.from_dict(nb)  # a deep copy: the source notebook is left as it was
    lines = ["# Parameters (injected by pipeline.notebooks)"]
    lines += [f"{k} = {v!r}" for k, v in parameters.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": [INJECTED_TAG]})
    at = next(
        (
            i + 1
            for i, c in enumerate(nb.cells)
            if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])
        ),
        0,
    )
    nb.cells.insert(at, cell)
    return nb


def count_images(nb: Any) -> int:
    return sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
    )


def execute_notebook(
    source: Path,
    out_dir: Path,
    parameters: Mapping[str, Any],
    timeout: int = 600,
    html: bool = True,
) -> Executed:
    """Execute `source` with `parameters`; write <out_dir>/<name>.ipynb (and .html)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    source = Path(source)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nb = with_parameters(nbformat.read(source, as_version=4), parameters)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        kernel_manager_class=_this_python_kernel(),
        resources={"metadata": {"path": str(source.parent)}},  # cwd: the notebook's folder
    )
    failure: Exception | None = None
    try:
        client.execute()
    except CellExecutionError as e:
        failure = e
    out = out_dir / f"{source.stem}.ipynb"
    nbformat.write(nb, out)
    page = None
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        page = out.with_suffix(".html")
        page.write_text(body, encoding="utf-8")
    if failure is not None:
        text = _ANSI.sub("", str(failure)).strip()  # the kernel colours its tracebacks
        last = text.splitlines()[-1] if text else repr(failure)
        raise NotebookFailed(f"{source.name}: a cell failed ({last}); see {out}") from failure
    return Executed(source.stem, out, page, count_images(nb))


def _this_python_kernel() -> type:
    """A kernel manager whose `python3` kernel is this interpreter, so a kernel registered
    elsewhere on the machine (for another Python) is never picked up."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    class ThisPythonSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python {sys.version_info.major}.{sys.version_info.minor}",
                language="python",
                resource_dir="",
            )

    class ThisPythonKernel(AsyncKernelManager):
        def __init__(self, **kw: Any) -> None:
            kw.setdefault("kernel_spec_manager", ThisPythonSpecs())
            super().__init__(**kw)

    return ThisPythonKernel


def run_all(
    warehouse: Path,
    out_dir: Path,
    names: Sequence[str] = NOTEBOOKS,
    notebooks_dir: Path = paths.NOTEBOOKS,
    html: bool = True,
    timeout: int = 600,
) -> list[Executed]:
    """Execute the named notebooks against `warehouse` (made absolute: the kernel runs in the
    notebooks' folder)."""
    warehouse = Path(warehouse).resolve()
    return [
        execute_notebook(
            notebooks_dir / f"{n}.ipynb", out_dir, {"warehouse": str(warehouse)}, timeout, html
        )
        for n in names
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.notebooks",
        description="Execute the notebooks against a warehouse; write executed copies and HTML.",
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=paths.WAREHOUSE,
        help="the DuckDB warehouse to read (default data/warehouse.duckdb)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=paths.REPORTS / "notebooks",
        help="folder for the executed notebooks (default reports/notebooks)",
    )
    parser.add_argument(
        "--only", choices=NOTEBOOKS, action="append", help="run only this notebook (repeatable)"
    )
    parser.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    args = parser.parse_args(argv)
    if not args.warehouse.is_file():
        print(f"no warehouse at {args.warehouse}: run `make report` first", file=sys.stderr)
        return 2
    try:
        done = run_all(
            args.warehouse, args.out, tuple(args.only or NOTEBOOKS), html=not args.no_html
        )
    except NotebookFailed as e:
        print(e, file=sys.stderr)
        return 1
    for d in done:
        extra = f" and {d.html}" if d.html else ""
        print(f"{d.name}: {d.images} plot(s), wrote {d.notebook}{extra}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
