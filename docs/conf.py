"""Sphinx configuration of the sewlearn documentation."""

import os
import sys
from pathlib import Path

import sewlearn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

project = "sewlearn"
author = "sewlearn developers"
copyright = "2026, sewlearn developers"
version = release = sewlearn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
autosummary_generate = True
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Link types in docstrings; names sphinx cannot resolve stay plain text.
numpydoc_xref_param_type = False

intersphinx_mapping = {}  # no network at build time

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "run_stale_examples": True,
    "matplotlib_animations": False,
    "plot_gallery": os.environ.get("SEWLEARN_DOCS_PLOT_GALLERY", "True"),
}

html_theme = "pydata_sphinx_theme"
html_title = f"sewlearn {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []
