"""The README's Quick start and the docs' first examples run as written.

The code blocks are read from the files themselves, so that an edit that
breaks them (an undefined array, a renamed argument) fails here.
"""

import contextlib
import io
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def _markdown_block(path, heading):
    """The first ```python block after ``heading`` in a markdown file."""
    text = path.read_text()
    section = text[text.index(heading) :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def _rst_blocks(path):
    """The ``.. code-block:: python`` blocks of an rst file, dedented."""
    blocks, lines = [], path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() != ".. code-block:: python":
            continue
        body = []
        for following in lines[i + 1 :]:
            if following.strip() and not following.startswith("   "):
                break
            body.append(following[3:])
        blocks.append("\n".join(body).strip() + "\n")
    return blocks


def _run(code, name):
    """Execute ``code`` as a script; return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        # The Quick start says that it warns once about saturation.
        warnings.simplefilter("ignore", UserWarning)
        exec(compile(code, name, "exec"), {"__name__": "__main__"})
    return out.getvalue()


def test_readme_quick_start_runs_and_prints_its_score():
    code = _markdown_block(ROOT / "README.md", "## Quick start")
    printed = _run(code, "README.md")
    match = re.fullmatch(r"CCC on dev, video alone: (-?\d\.\d{3})\n", printed)
    assert match, printed
    # The README quotes the figure it prints (to rounding: other versions of
    # the dependencies may move the last bits of the training).
    readme = (ROOT / "README.md").read_text()
    quoted = re.search(r"`CCC on dev, video alone: (-?\d\.\d{3})`", readme)
    assert abs(float(quoted.group(1)) - float(match.group(1))) < 0.02
    assert float(match.group(1)) > 0.1


def test_docs_index_example_runs():
    (code,) = _rst_blocks(ROOT / "docs" / "index.rst")
    printed = _run(code, "index.rst")
    assert 0.1 < float(printed) <= 1.0


def test_user_guide_first_example_runs():
    code = _rst_blocks(ROOT / "docs" / "user_guide.rst")[0]
    printed = _run(code, "user_guide.rst")
    # R^2 of the weak view alone on 100 held-out rows; targets of scale 10.
    assert 0.5 < float(printed) <= 1.0


@pytest.mark.parametrize("path", ["README.md", "docs/index.rst"])
def test_first_steps_need_no_undefined_arrays(path):
    text = (ROOT / path).read_text()
    for name in ("X_weak_train", "X_video_train", "X_strong_train", "y_dev"):
        assert name not in text
