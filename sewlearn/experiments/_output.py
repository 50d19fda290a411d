# License: BSD 3 clause
"""The output folder of a run: checked before the first fit, written at the end.

The rule, so that a folder never mixes two runs: sewlearn lists the result
files it writes in ``.sewlearn/manifest.json``. A rerun into the same folder
replaces them and removes those of the previous run that it does not write
again (e.g. ``label_budget.csv`` of a run with ``--label-budget``). A result
file sewlearn did not list (a ``results.md`` of someone else in ``--output
.``, or of a run older than the manifest) is never overwritten silently: the
run stops before its first fit unless ``--overwrite`` is given. Other files
in the folder are left alone.

Result files are written only when the run is complete, each into a staging
folder and then renamed into place, ``results.md`` last, so an interrupted
run leaves the previous results or none, never half of them.
"""

import json
import os
import shutil
from pathlib import Path

from ._errors import UsageError
from ._store import STATE_FOLDER

MANIFEST = "manifest.json"


def _manifest(output):
    try:
        with open(Path(output) / STATE_FOLDER / MANIFEST, encoding="utf-8") as f:
            return list(json.load(f)["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def check_output(output, names, *, overwrite=False, option="--output"):
    """Stop before any work if ``output`` cannot take the result files ``names``.

    Raises :class:`UsageError` when ``output`` is a file, when it or its
    nearest existing parent is not writable, or when it holds a file of one
    of ``names`` that no earlier sewlearn run listed (unless ``overwrite``).
    Nothing is created.
    """
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise UsageError(f"{option} {output} is a file, not a folder")
    existing = output
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {output}: {existing} is not a writable folder")
    if not output.is_dir():
        return
    ours = set(_manifest(output))
    foreign = sorted(n for n in names if (output / n).exists() and n not in ours)
    if foreign and not overwrite:
        raise UsageError(
            f"{option} {output} already holds {', '.join(foreign)}, not written by "
            "an earlier sewlearn run into this folder: choose another folder or "
            "pass --overwrite to replace them"
        )
    blocked = [
        n for n in names if (output / n).exists() and not os.access(output / n, os.W_OK)
    ]
    if blocked:
        raise UsageError(f"{option} {output}: cannot overwrite {', '.join(blocked)}")


def staging(output):
    """A fresh, empty folder inside ``output`` to write result files into."""
    path = Path(output) / STATE_FOLDER / f"staging-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def publish(output, staged, names, *, last="results.md"):
    """Move the files ``names`` from ``staged`` into ``output``; list them.

    ``last`` is moved after the others. Files of the previous run's manifest
    that are not among ``names`` are removed, the manifest is rewritten and
    the staging folder removed. Returns the paths in ``output``, in the
    order of ``names``.
    """
    output = Path(output)
    previous = _manifest(output)
    for name in sorted(names, key=lambda n: n == last):
        os.replace(staged / name, output / name)
    for name in previous:
        if name not in names:
            (output / name).unlink(missing_ok=True)
    manifest = output / STATE_FOLDER / MANIFEST
    tmp = manifest.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"files": list(names)}, indent=1), encoding="utf-8")
    os.replace(tmp, manifest)
    shutil.rmtree(staged, ignore_errors=True)
    return [output / name for name in names]
