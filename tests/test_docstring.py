"""sewlearn._docstring: shared entries filled into the estimators' docstrings."""

import inspect
import re

import pytest

from sewlearn import (
    DeepCCA,
    DistilledClassifier,
    DistilledRegressor,
    SEWClassifier,
    SEWRegressor,
)
from sewlearn._docstring import Substitution


def _section(doc, title):
    """The lines of a numpydoc section, without its title and underline."""
    lines = inspect.cleandoc(doc).splitlines()
    start = lines.index(title) + 2
    end = next(
        (i for i in range(start, len(lines) - 1) if set(lines[i + 1]) == {"-"}),
        len(lines),
    )
    return lines[start:end]


@pytest.mark.parametrize(
    "estimator",
    [SEWRegressor, SEWClassifier, DeepCCA, DistilledRegressor, DistilledClassifier],
)
def test_every_parameter_is_documented_once_in_signature_order(estimator):
    doc = estimator.__doc__
    assert "%(" not in doc
    entries = [line for line in _section(doc, "Parameters") if line and line[0] != " "]
    documented = [
        name.strip() for entry in entries for name in entry.split(" : ")[0].split(",")
    ]
    assert documented == list(inspect.signature(estimator).parameters)
    # Entries at one indentation, their text four spaces further in.
    for line in _section(doc, "Parameters") + _section(doc, "Attributes"):
        assert not line or re.match(r"^(\S|    \S)", line), line


def test_the_mapping_between_sew_and_deepcca_names_is_documented():
    for name in ("n_components", "objective", "``r1`` is the ridge of ``X``"):
        assert name in SEWRegressor.__doc__ and name in SEWClassifier.__doc__
    for name in ("n_cca_components", "``alignment``", "``r1`` is the strong"):
        assert name in DeepCCA.__doc__


def test_substitution_reindents_blocks_to_the_field():
    @Substitution(a="x : int\n    An x.", b=("  y : int\n      A y.", "z : int"))
    class Documented:
        """Title.

        Parameters
        ----------
        %(a)s
        %(b)s
        """

    assert inspect.cleandoc(Documented.__doc__).splitlines()[4:] == [
        "x : int",
        "    An x.",
        "y : int",
        "    A y.",
        "z : int",
    ]


def test_substitution_refuses_unknown_and_unused_fields():
    def documented():
        """%(missing)s"""

    with pytest.raises(KeyError, match="missing"):
        Substitution()(documented)

    def undocumented():
        """No field."""

    with pytest.raises(KeyError, match="no field for \\['a'\\]"):
        Substitution(a="x")(undocumented)
