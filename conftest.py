"""Fixtures for the tests and the doctests alike (tests/conftest.py has the rest)."""

import importlib.util

import pytest

# sewlearn/onnx.py needs the onnx extra (pip install "sewlearn[onnx]"); without
# it, its doctests are not collected (tests/test_onnx.py skips with a reason).
collect_ignore = (
    []
    if all(importlib.util.find_spec(m) for m in ("onnx", "onnxruntime", "skl2onnx"))
    else ["sewlearn/onnx.py"]
)


@pytest.fixture(autouse=True)
def _fresh_warnings():
    """Each test sees the warnings that sewlearn gives once per process."""
    from sewlearn._base import _WARNED

    _WARNED.clear()
