# License: BSD 3 clause
"""The private parts of scikit-learn and skorch that sewlearn relies on.

scikit-learn moves and renames its private helpers between releases without a
deprecation cycle. Every such name sewlearn uses is imported here, and the
other modules import it from ``sewlearn._compat``, so a release that moves one
breaks this file only.

:class:`~sewlearn._net.LossPartsNet` overrides methods of
``skorch.NeuralNet``, two of them private, and its ``run_single_epoch`` is a
copy of skorch's loop. :data:`SKORCH_OVERRIDES` records, for each overridden
method, skorch's signature and a digest of skorch's code
(:func:`code_digest`) as of :data:`SKORCH_OVERRIDES_VERSION`;
``tests/test_compat.py`` fails, naming the method, when the installed skorch
differs, so that the override is checked again against the new skorch.
"""

import ast
import hashlib
import inspect
import textwrap

from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)

# Public module, but not in scikit-learn's API reference: no deprecation cycle.
from sklearn.utils.validation import FLOAT_DTYPES

__all__ = [
    "FLOAT_DTYPES",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "_fit_context",
    "_safe_indexing",
    "SKORCH_OVERRIDES",
    "SKORCH_OVERRIDES_VERSION",
    "code_digest",
    "validate_parameter_constraints",
]

# The skorch release the overrides were written against. skorch 1.0.0, the
# lowest declared, has the same signatures and the same code.
SKORCH_OVERRIDES_VERSION = "1.4.0"

# ``skorch.NeuralNet`` method overridden by ``LossPartsNet`` -> skorch's
# signature and ``code_digest`` of skorch's method, in SKORCH_OVERRIDES_VERSION.
SKORCH_OVERRIDES = {
    "run_single_epoch": {
        "signature": "(self, iterator, training, prefix, step_fn, **fit_params)",
        "code_digest": "9b7c8f84aaa2f64c",
    },
    "_set_training": {
        "signature": "(self, training=True)",
        "code_digest": "4331eb53494a8da9",
    },
    "get_loss": {
        "signature": "(self, y_pred, y_true, X=None, training=False)",
        "code_digest": "84f78ff1740f4f7a",
    },
    "get_dataset": {
        "signature": "(self, X, y=None)",
        "code_digest": "d30d94c691e0b12c",
    },
    "notify": {
        "signature": "(self, method_name, **cb_kwargs)",
        "code_digest": "ec471a4d9d237925",
    },
}


def code_digest(function):
    """A digest of a function's code, without its docstring, comments or layout.

    The code is parsed and printed back (``ast.unparse``), so only a change of
    what the function does changes the digest: the first 16 hex digits of the
    SHA-256 of that text (the same from Python 3.10 to 3.13).
    """
    node = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    if ast.get_docstring(node) is not None:
        node.body = node.body[1:]
    return hashlib.sha256(ast.unparse(node).encode()).hexdigest()[:16]
