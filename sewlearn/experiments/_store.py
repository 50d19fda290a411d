# License: BSD 3 clause
"""The task store: each finished task's result, kept as it completes."""

import os
import pickle
from pathlib import Path

import joblib

from sewlearn import __version__

# Everything sewlearn keeps in an output folder besides the result files.
STATE_FOLDER = ".sewlearn"


def fingerprint(data):
    """A hash of ``data`` (arrays, dicts, Bunches): part of every task key."""
    return joblib.hash(data)


class TaskStore:
    """Finished tasks' results in ``folder/.sewlearn/tasks``, one file each.

    A result is stored under a key (:meth:`key`) that hashes everything that
    determines it: the task (its spec and parameters), the fingerprint of its
    data (:func:`fingerprint`) and the sewlearn version. A rerun of the same
    command finds the results of the tasks that finished before and runs the
    others only; with ``fresh=True`` stored results are ignored (and
    replaced as the tasks finish again). Files are written atomically (a
    temporary file renamed into place), so a run killed while writing leaves
    the previous result or none, never half of one.

    Parameters
    ----------
    folder : path-like
        The run's output folder; created with the first stored result.
    fresh : bool, default=False
        Ignore the results stored by earlier runs.
    """

    def __init__(self, folder, *, fresh=False):
        self.path = Path(folder) / STATE_FOLDER / "tasks"
        self.fresh = fresh

    @staticmethod
    def key(*parts):
        """The key of a task: a hash of ``parts`` and the sewlearn version."""
        return joblib.hash((parts, __version__))

    def get(self, key):
        """The stored result of ``key``: ``(True, result)``, else ``(False, None)``.

        A file that cannot be read counts as not stored.
        """
        if self.fresh:
            return False, None
        try:
            with open(self.path / f"{key}.pkl", "rb") as f:
                return True, pickle.load(f)
        except FileNotFoundError:
            return False, None
        except (OSError, EOFError, pickle.UnpicklingError):  # unreadable: rerun it
            return False, None

    def put(self, key, result):
        """Store ``result`` under ``key`` (atomically)."""
        self.path.mkdir(parents=True, exist_ok=True)
        final = self.path / f"{key}.pkl"
        tmp = final.with_name(f".{key}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, final)
