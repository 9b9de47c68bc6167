"""Reports of a benchmark run, rebuilt from its rows alone: ``python -m benchmarks.report RUN``.

- ``load_run(run_dir) -> Run``: rows.csv, run.json, published.json, per_band.csv.
- ``table1(run, convention) -> Table``, ``table1_markdown(run, convention) -> str``,
  ``metrics_table(run)``, ``cost_table(run)``, ``to_markdown(table)``, ``to_latex(table)``,
  ``write_tables(run, convention) -> list[Path]``.
- ``write_figures(run, scene, convention) -> FigureResult`` (PNG under ``<run>/figures/``).
"""

from benchmarks.report.figures import FigureResult, FigureSkipped, write_figures
from benchmarks.report.render import Table, latex_escape, to_latex, to_markdown
from benchmarks.report.rundir import Run, RunDirError, load_run
from benchmarks.report.tables import (
    cost_table,
    metrics_table,
    table1,
    table1_markdown,
    write_tables,
)

__all__ = [
    "FigureResult", "FigureSkipped", "Run", "RunDirError", "Table", "cost_table", "latex_escape",
    "load_run", "metrics_table", "table1", "table1_markdown", "to_latex", "to_markdown",
    "write_figures", "write_tables",
]
