# License: BSD 3 clause
"""The experiment engine behind ``sewlearn reproduce`` and ``sewlearn compare``.

A study is a list of tasks. :func:`run_study` runs them one after the other
or as Dask tasks (:func:`connect`, :func:`execute`), keeping each finished
task's result in a :class:`TaskStore` in the output folder so that a rerun
of the same command resumes; the output folder is checked before the first
fit (:func:`check_output`) and the result files are written only at the end
(:func:`staging`, :func:`publish`). The paired report's pieces
(:func:`gain_columns`, :func:`format_gain`, :func:`interval_note`,
:func:`pooled_interval_note`, :func:`write_csv`) format both commands'
tables.

The paper's protocol on RECOLA-like data, for ``sewlearn reproduce`` and
the benchmarks: its cases and variants (:data:`CASES`, :data:`VARIANTS`),
the run sizes (:data:`PRESETS`), the data of a preset (:func:`built_in_data`),
the model of a case (:func:`make_sew`, :func:`make_model`), the protocol
(:func:`evaluate`); its studies as tasks (:func:`plan`, :class:`Task`,
:class:`Method`, :func:`run_task`) and their tables, per draw of the data
and pooled (:func:`assemble`, :func:`assemble_draws`, :func:`paper_report`).
"""

from ._errors import TaskFailedError, UsageError
from ._executor import connect, execute
from ._output import check_output, publish, staging
from ._paper_report import paper_report, write_paper_files
from ._recola import (
    CASES,
    MODALITIES,
    PAPER_TABLE2_CCC,
    PRESETS,
    TARGETS,
    VARIANTS,
    built_in_data,
    case_name,
    evaluate,
    load_data,
    make_distilled,
    make_model,
    make_sew,
)
from ._report import (
    format_gain,
    gain_columns,
    interval_note,
    pooled_interval_note,
    write_csv,
)
from ._store import STATE_FOLDER, TaskStore, fingerprint
from ._studies import (
    BUDGET_CASES,
    DISTILLATION_METHODS,
    LABEL_BUDGET_METHODS,
    TIME_CASES,
    TIME_METHODS,
    TIME_MODELS,
    Method,
    Task,
    plan,
    run_task,
)
from ._study import StudyRun, run_study
from ._tables import assemble, assemble_draws

__all__ = [
    "BUDGET_CASES",
    "CASES",
    "DISTILLATION_METHODS",
    "LABEL_BUDGET_METHODS",
    "MODALITIES",
    "PAPER_TABLE2_CCC",
    "PRESETS",
    "STATE_FOLDER",
    "TARGETS",
    "TIME_CASES",
    "TIME_METHODS",
    "TIME_MODELS",
    "VARIANTS",
    "Method",
    "StudyRun",
    "Task",
    "TaskFailedError",
    "TaskStore",
    "UsageError",
    "assemble",
    "assemble_draws",
    "built_in_data",
    "case_name",
    "check_output",
    "connect",
    "evaluate",
    "execute",
    "fingerprint",
    "format_gain",
    "gain_columns",
    "interval_note",
    "load_data",
    "make_distilled",
    "make_model",
    "make_sew",
    "paper_report",
    "plan",
    "pooled_interval_note",
    "publish",
    "run_study",
    "run_task",
    "staging",
    "write_csv",
    "write_paper_files",
]
