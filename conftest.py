"""Fixtures for the tests and the doctests alike (tests/conftest.py has the rest)."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_warnings():
    """Each test sees the warnings that sewlearn gives once per process."""
    from sewlearn._base import _WARNED

    _WARNED.clear()
