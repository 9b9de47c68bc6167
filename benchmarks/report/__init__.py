"""Reports of a benchmark run, rebuilt from its rows alone: ``python -m benchmarks.report RUN``.

- ``load_run(run_dir) -> Run``: rows.csv, run.json, published.json, per_band.csv.
- ``table1(run, convention, reference) -> Table``, ``table1_markdown(run, convention,
  reference) -> str``, ``paired_table(run, convention, reference)``, ``metrics_table(run)``,
  ``cost_table(run)``, ``to_markdown(table)``, ``to_latex(table)``,
  ``write_tables(run, convention, reference) -> list[Path]``.
- ``paired_difference(values, reference, ...) -> PairedDifference``, ``paired_to_reference``,
  ``choose_reference(run, requested)``: paired comparison with a reference method.
- ``write_figures(run, scene, convention) -> FigureResult`` (PNG under ``<run>/figures/``).
"""

from benchmarks.report.figures import FigureResult, FigureSkipped, write_figures
from benchmarks.report.paired import (
    PairedDifference,
    choose_reference,
    paired_difference,
    paired_to_reference,
)
from benchmarks.report.render import Table, latex_escape, to_latex, to_markdown
from benchmarks.report.rundir import Run, RunDirError, load_run
from benchmarks.report.tables import (
    cost_table,
    metrics_table,
    paired_table,
    table1,
    table1_markdown,
    write_tables,
)

__all__ = [
    "FigureResult", "FigureSkipped", "PairedDifference", "Run", "RunDirError", "Table",
    "choose_reference", "cost_table", "latex_escape", "load_run", "metrics_table",
    "paired_difference", "paired_table", "paired_to_reference", "table1", "table1_markdown",
    "to_latex", "to_markdown", "write_figures", "write_tables",
]
