# License: BSD 3 clause
"""The experiment engine behind ``sewlearn reproduce`` and ``sewlearn compare``.

A run is a list of tasks; :func:`execute` runs them one after the other or
as Dask tasks (:func:`connect`), keeping each finished task's result in a
:class:`TaskStore` in the output folder so that a rerun of the same command
resumes; the output folder is checked before the first fit
(:func:`check_output`) and the result files are written only at the end
(:func:`staging`, :func:`publish`); the paired report's pieces
(:func:`gain_columns`, :func:`format_gain`, :func:`interval_note`,
:func:`write_csv`) format both commands' tables.
"""

from ._errors import TaskFailedError, UsageError
from ._executor import connect, execute
from ._output import check_output, publish, staging
from ._report import format_gain, gain_columns, interval_note, write_csv
from ._store import STATE_FOLDER, TaskStore, fingerprint

__all__ = [
    "STATE_FOLDER",
    "TaskFailedError",
    "TaskStore",
    "UsageError",
    "check_output",
    "connect",
    "execute",
    "fingerprint",
    "format_gain",
    "gain_columns",
    "interval_note",
    "publish",
    "staging",
    "write_csv",
]
