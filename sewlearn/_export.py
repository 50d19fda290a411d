# License: BSD 3 clause
"""Pickle-free export of a fitted sewlearn estimator.

The file is a NumPy ``.npz`` archive: one array per weight tensor (and, for
:class:`~sewlearn.DeepCCA`, per fitted array of its final linear CCA), plus a
JSON configuration stored as a plain string array. Loading uses
``np.load(allow_pickle=False)`` and rebuilds the network from the
configuration, so, unlike a pickle or joblib file, a model file cannot run
code when it is loaded.

Supported estimators: :class:`~sewlearn.SEWRegressor` (its deployed blocks
``W_E`` and ``R``), :class:`~sewlearn.SEWClassifier` (the same, with
``classes_``) and :class:`~sewlearn.DeepCCA` (both encoders, the
standardisation and the canonical rotations).

Format history: version 1 (``SEWRegressor`` only) is still read; version 2
adds the other estimators, the JSON-safe parameter rule and keeps each
weight's dtype (``DeepCCA`` runs in float64); version 3 stores the SEW head
parameters under their new names, ``head`` and ``head_hidden_layer_sizes``
(``regressor`` and ``regressor_hidden_layer_sizes`` before; files of versions
1 and 2 are read with the names mapped); version 4 adds the SEW estimators'
``sequence_length`` (their sequence model: the same deployed blocks, read over
windows at predict time), so a file of a sequence model is not mistaken for a
frame-wise one by an older sewlearn; files of versions 1 to 3 hold frame-wise
models and load with ``sequence_length=None``. Version 5 adds
``SEWRegressor``'s ``target_mean_`` and ``target_scale_`` (its
``standardize_target``); regressors of versions 1 to 4 were trained on targets
as given and load with ``standardize_target=False``. Version 6 adds
:class:`~sewlearn.DistilledRegressor` and :class:`~sewlearn.DistilledClassifier`
whose student is a SEW estimator: the student's configuration (as a version 5
file holds it) and weights, the meta-estimator's parameters and fitted scores,
no teacher. The other estimators are still written as version 5, so releases
that read up to version 5 load them.
"""

import json
import math
import os

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from ._base import check_layer_sizes
from ._compat import InvalidParameterError, validate_parameter_constraints
from ._deepcca import DeepCCA
from ._distill import DistilledClassifier, DistilledRegressor
from ._modules import DeepCCAModule, DeployedSEW, make_head, make_mlp
from ._sew import SEWClassifier, SEWRegressor

__all__ = ["export_model", "load_model"]

_FORMAT = "sewlearn-deployed"
_FORMAT_VERSION = 6
_READABLE_VERSIONS = (1, 2, 3, 4, 5, 6)
# The version written for SEWRegressor, SEWClassifier and DeepCCA: version 6
# only adds the distilled estimators, and a file is written with the oldest
# version that holds it.
_SEW_FORMAT_VERSION = 5
# Parameters renamed since an older format version: {version: {old: new}}, for
# the SEW estimators (the files of DeepCCA have no renamed parameter).
_RENAMED_SEW_PARAMS = {
    version: {
        "regressor": "head",
        "regressor_hidden_layer_sizes": "head_hidden_layer_sizes",
    }
    for version in (1, 2)
}
_CONFIG_KEY = "__config__"
# Prefix of the fitted arrays (not weights) in the archive; no module is named so.
_FITTED_PREFIX = "__fitted__."
_ESTIMATORS = {cls.__name__: cls for cls in (SEWRegressor, SEWClassifier, DeepCCA)}
# Meta-estimators written as their student (a SEW estimator) and their own
# parameters and fitted scores; {name: class}, from format version 6.
_DISTILLED = {cls.__name__: cls for cls in (DistilledRegressor, DistilledClassifier)}
_STUDENTS = (SEWRegressor, SEWClassifier)
# The distilled estimators' fitted attributes besides the student, stored in
# the config's "fitted" entry under the name without the trailing underscore.
_DISTILLED_FITTED = ("teacher_score", "weak_score", "fallback")
# DeepCCA's fitted arrays used by transform, in the archive as
# _FITTED_PREFIX + name.
_DEEPCCA_ARRAYS = (
    "_x_mean",
    "_x_std",
    "_y_mean",
    "_y_std",
    "x_code_mean_",
    "y_code_mean_",
    "x_code_rotations_",
    "y_code_rotations_",
    "canonical_correlations_",
)
# Integer fitted attributes, stored when the estimator has them.
_OPTIONAL_INTS = ("n_iter_", "n_labeled_", "n_unlabeled_")


class _Unsafe(Exception):
    """A value has no faithful JSON form."""


def _to_json(value):
    """``value`` as JSON-ready Python data; raises ``_Unsafe`` if it has none.

    NumPy scalars and arrays become Python scalars and lists, tuples become
    lists; a dict needs string keys.
    """
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Unsafe
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _to_json(v) for k, v in value.items()}
    raise _Unsafe


def _json_safe(value):
    """``value`` in JSON form, or None when it has none (e.g. a RandomState)."""
    try:
        return _to_json(value)
    except _Unsafe:
        return None


def _from_json(value):
    """Inverse of ``_to_json`` for parameters: lists become tuples again."""
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    if isinstance(value, dict):
        return {k: _from_json(v) for k, v in value.items()}
    return value


def _classes_to_json(classes):
    """``classes_`` as ``{"dtype": ..., "values": [...]}``; labels must be simple.

    Integer, unsigned, bool, float and str dtypes keep their exact dtype; an
    object array keeps dtype object and needs Python (or NumPy) str, int,
    bool or float labels.
    """
    classes = np.asarray(classes)
    if classes.ndim != 1 or classes.dtype.kind not in "biufUO":
        raise TypeError(
            f"classes_ of dtype {classes.dtype} cannot be exported: labels must "
            "be integers, strings, booleans or floats."
        )
    values = []
    for label in classes.tolist():
        if isinstance(label, np.generic):
            label = label.item()
        if not isinstance(label, (str, bool, int, float)) or (
            isinstance(label, float) and not math.isfinite(label)
        ):
            raise TypeError(
                f"class label {label!r} cannot be exported: labels must be "
                "integers, strings, booleans or finite floats."
            )
        values.append(label)
    return {"dtype": classes.dtype.str, "values": values}


def _classes_from_json(spec):
    dtype = np.dtype(spec["dtype"])
    if dtype.kind == "O":
        classes = np.empty(len(spec["values"]), dtype=object)
        classes[:] = spec["values"]
        return classes
    return np.asarray(spec["values"], dtype=dtype)


def export_model(estimator, path):
    """Write a fitted sewlearn estimator to ``path`` (.npz), without pickle.

    Supported: :class:`~sewlearn.SEWRegressor` (1-D or 2-D ``y``) and
    :class:`~sewlearn.SEWClassifier` (their deployed blocks ``W_E`` and ``R``;
    the classifier's ``classes_`` must be integer, bool, float or string
    labels), :class:`~sewlearn.DeepCCA` (both encoders and the fitted
    arrays its ``transform`` uses), and :class:`~sewlearn.DistilledRegressor`
    and :class:`~sewlearn.DistilledClassifier` whose student (``estimator_``)
    is a SEW estimator: the student, the meta-estimator's parameters and
    fitted scores, not the teacher, which only trains (as SEW's strong-side
    blocks). Weights keep their dtype, so the loaded estimator's outputs
    equal the exported one's bit for bit on the same device.

    The hyperparameters are stored as JSON: a value with no JSON form (a
    ``np.random.RandomState`` or ``Generator`` as ``random_state``, a
    callable, a cross-validation splitter, a non-finite float, ...) is stored
    as None, which ``load_model(...).get_params()`` then shows. NumPy scalars
    and arrays are stored as Python numbers and tuples. None of this changes
    predictions: these parameters only act in ``fit``.

    Parameters
    ----------
    estimator : SEWRegressor, SEWClassifier, DeepCCA, DistilledRegressor or \
            DistilledClassifier
        A fitted estimator (not a subclass).
    path : str or path-like
        Destination file; NumPy adds ``.npz`` if the name lacks it.

    Raises
    ------
    TypeError
        If ``estimator`` is not one of the supported sewlearn estimators, a
        distilled estimator's student is not a SEW estimator (a
        :class:`~sklearn.pipeline.Pipeline`, a scikit-learn model: save those
        with :mod:`joblib`), or a classifier's labels cannot be stored as
        JSON.
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.

    See Also
    --------
    load_model : Restore a working estimator from such a file.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from sewlearn import SEWClassifier, SEWRegressor, export_model, load_model
    >>> X = np.random.default_rng(0).normal(size=(64, 5))
    >>> sew = SEWRegressor(weak_hidden_layer_sizes=(8,), latent_dim=4,
    ...                    n_cca_components=2, max_epochs=2,
    ...                    random_state=0).fit(X, X[:, 0])
    >>> path = os.path.join(tempfile.mkdtemp(), "sew.npz")
    >>> export_model(sew, path)
    >>> np.array_equal(load_model(path).predict(X), sew.predict(X))
    True
    >>> clf = SEWClassifier(weak_hidden_layer_sizes=(8,), latent_dim=4,
    ...                     n_cca_components=2, max_epochs=2,
    ...                     random_state=np.random.RandomState(0))
    >>> clf = clf.fit(X, np.where(X[:, 0] > 0, "up", "down"))
    >>> export_model(clf, path)
    >>> loaded = load_model(path)
    >>> loaded.classes_
    array(['down', 'up'], dtype='<U4')
    >>> print(loaded.get_params()["random_state"])
    None

    A distilled estimator with a SEW student (the teacher stays behind):

    >>> from sklearn.linear_model import Ridge
    >>> from sewlearn import DistilledRegressor
    >>> X_strong = X[:, :2] + 0.1 * np.random.default_rng(1).normal(size=(64, 2))
    >>> student = SEWRegressor(weak_hidden_layer_sizes=(8,), latent_dim=4,
    ...                        n_cca_components=2, max_epochs=2, random_state=0)
    >>> distilled = DistilledRegressor(student, Ridge(), cv=2)
    >>> distilled = distilled.fit(X, X[:, 0], X_strong=X_strong)
    >>> export_model(distilled, path)
    >>> loaded = load_model(path)
    >>> type(loaded).__name__, type(loaded.estimator_).__name__, loaded.teacher
    ('DistilledRegressor', 'SEWRegressor', None)
    >>> np.array_equal(loaded.predict(X), distilled.predict(X))
    True
    """
    name = type(estimator).__name__
    if _ESTIMATORS.get(name) is type(estimator):
        check_is_fitted(estimator)
        config, arrays = _describe(estimator)
    elif _DISTILLED.get(name) is type(estimator):
        check_is_fitted(estimator)
        config, arrays = _describe_distilled(estimator)
    else:
        raise TypeError(
            "export_model supports SEWRegressor, SEWClassifier, DeepCCA, "
            "DistilledRegressor and DistilledClassifier, got "
            f"{type(estimator).__name__}."
        )
    if _CONFIG_KEY in arrays:  # pragma: no cover - no block is named so
        raise RuntimeError(f"a weight is named {_CONFIG_KEY}")
    arrays[_CONFIG_KEY] = np.array(json.dumps(config))
    np.savez(path, **arrays)


def _describe(estimator):
    """The config and the arrays of a fitted SEW estimator or DeepCCA."""
    params = {k: _json_safe(v) for k, v in estimator.get_params(deep=False).items()}
    config = {
        "format": _FORMAT,
        "format_version": _SEW_FORMAT_VERSION,
        "estimator": type(estimator).__name__,
        "params": params,
        "n_features_in": int(estimator.n_features_in_),
        "feature_names_in": _feature_names(estimator),
        # Fitted counts that some versions of the estimators have.
        "fitted_ints": {
            name: int(getattr(estimator, name))
            for name in _OPTIONAL_INTS
            if hasattr(estimator, name)
        },
    }
    fitted = {}
    if isinstance(estimator, SEWRegressor):
        config["n_outputs"] = int(estimator.n_outputs_)
        config["y_1d"] = bool(estimator._y_1d)
        config["target_mean"] = _to_json(estimator.target_mean_)
        config["target_scale"] = _to_json(estimator.target_scale_)
    elif isinstance(estimator, SEWClassifier):
        config["classes"] = _classes_to_json(estimator.classes_)
    if isinstance(estimator, DeepCCA):
        config["n_features_y"] = int(estimator.n_features_y_)
        config["latent_dim"] = int(estimator.x_code_mean_.shape[0])
        config["n_components_out"] = int(estimator.x_code_rotations_.shape[1])
        fitted = {
            _FITTED_PREFIX + name: np.asarray(getattr(estimator, name))
            for name in _DEEPCCA_ARRAYS
        }
    else:
        config["n_features_strong"] = _json_safe(
            getattr(estimator, "n_features_strong_", None)
        )
    arrays = {
        name: tensor.detach().cpu().numpy()
        for name, tensor in estimator.module_.state_dict().items()
    }
    arrays.update(fitted)
    return config, arrays


def _feature_names(estimator):
    if not hasattr(estimator, "feature_names_in_"):
        return None
    return [str(n) for n in estimator.feature_names_in_]


def _describe_distilled(estimator):
    """The config and the arrays of a fitted distilled estimator.

    The arrays are the student's weights; the config holds the student's
    config (as :func:`_describe` writes it) under "student", and the
    meta-estimator's own parameters (not ``estimator`` and ``teacher``) and
    fitted attributes.
    """
    name = type(estimator).__name__
    student = estimator.estimator_
    if type(student) not in _STUDENTS:
        raise TypeError(
            f"export_model writes a {name} whose student (estimator_) is a "
            f"SEWRegressor or SEWClassifier; this one's is a "
            f"{type(student).__name__}. Save it with joblib.dump instead "
            "(and load only files you trust: loading a joblib file runs code)."
        )
    student_config, arrays = _describe(student)
    params = {
        k: _json_safe(v)
        for k, v in estimator.get_params(deep=False).items()
        if k not in ("estimator", "teacher")
    }
    fitted = {k: _json_safe(getattr(estimator, k + "_")) for k in _DISTILLED_FITTED}
    config = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "estimator": name,
        "params": params,
        "n_features_in": int(estimator.n_features_in_),
        "feature_names_in": _feature_names(estimator),
        "fitted": fitted,
        "student": student_config,
    }
    if isinstance(estimator, DistilledClassifier):
        config["classes"] = _classes_to_json(estimator.classes_)
        # Set by fit, fallback or not, since the student's fit saw the targets.
        fitted["targets"] = estimator.targets_
    return config, arrays


def _build_module(config, params):
    """The untrained network that the config describes (on the CPU)."""
    if config["estimator"] == "DeepCCA":
        return DeepCCAModule(
            n_features_x=config["n_features_in"],
            n_features_y=config["n_features_y"],
            x_hidden=check_layer_sizes(
                params["x_hidden_layer_sizes"], "x_hidden_layer_sizes"
            ),
            y_hidden=check_layer_sizes(
                params["y_hidden_layer_sizes"], "y_hidden_layer_sizes"
            ),
            latent_dim=config["latent_dim"],
            activation=params["activation"],
        ).double()  # DeepCCA runs its encoders in float64 after fit
    if config["estimator"] == "SEWClassifier":
        n_outputs = len(config["classes"]["values"])
    else:
        n_outputs = config["n_outputs"]
    latent = params["latent_dim"]
    weak_hidden = check_layer_sizes(
        params["weak_hidden_layer_sizes"], "weak_hidden_layer_sizes"
    )
    return DeployedSEW(
        make_mlp([config["n_features_in"], *weak_hidden, latent], params["activation"]),
        make_head(
            params["head"],
            latent,
            check_layer_sizes(
                params["head_hidden_layer_sizes"], "head_hidden_layer_sizes"
            ),
            n_outputs,
            params["activation"],
        ),
    )


def _check_fitted_arrays(path, config, fitted):
    """The DeepCCA arrays are all there, with the shapes the config implies."""
    latent, k = config["latent_dim"], config["n_components_out"]
    n_x, n_y = config["n_features_in"], config["n_features_y"]
    expected = {
        "_x_mean": [(), (n_x,)],
        "_x_std": [(), (n_x,)],
        "_y_mean": [(), (n_y,)],
        "_y_std": [(), (n_y,)],
        "x_code_mean_": [(latent,)],
        "y_code_mean_": [(latent,)],
        "x_code_rotations_": [(latent, k)],
        "y_code_rotations_": [(latent, k)],
        "canonical_correlations_": [(k,)],
    }
    missing = sorted(set(expected) - set(fitted))
    unexpected = sorted(set(fitted) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"{path}: the fitted arrays do not match the config: missing "
            f"{missing}, unexpected {unexpected}."
        )
    for name, shapes in expected.items():
        if fitted[name].shape not in shapes:
            raise ValueError(
                f"{path}: fitted array {name!r} has shape {fitted[name].shape}, "
                f"the config implies {' or '.join(map(str, shapes))}."
            )


def load_model(path, *, device="cpu"):
    """Restore a fitted sewlearn estimator from a file written by :func:`export_model`.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file: the path given to :func:`export_model`, with or
        without the ``.npz`` that NumPy adds.
    device : str, default="cpu"
        Torch device the network is loaded on, e.g. "cuda". The estimator is
        built with it, so ``get_params()["device"]`` names where the weights
        are, whatever device the exported estimator used.

    Returns
    -------
    estimator : SEWRegressor, SEWClassifier, DeepCCA, DistilledRegressor or \
            DistilledClassifier
        A fitted estimator that predicts (or transforms) like the exported
        one. It has the network, the fitted arrays and shapes, not the
        training ``history_``. Hyperparameters that had no JSON form at
        export are None (see :func:`export_model`). A distilled estimator
        comes back as the same class, so that ``predict``,
        ``predict_proba`` and ``score`` are the exported one's: its fitted
        student as ``estimator_``, an unfitted clone of it as ``estimator``,
        ``classes_``, ``teacher_score_``, ``weak_score_`` and ``fallback_``;
        but ``teacher`` is None and ``teacher_`` absent, so refitting it
        needs ``set_params(teacher=...)``. ``.estimator_`` is the student
        alone, a SEW estimator.

    Raises
    ------
    ValueError
        If the file is not a sewlearn export (a ``.npy`` array, say), was
        written by a newer sewlearn (upgrade to load it), has an unsupported
        format version or estimator, a configuration that ``export_model``
        does not write (unknown, missing or invalid parameters or entries, as
        in an edited file), or a configuration and arrays that do not match
        (missing, unexpected or mis-shaped weights). The message names the
        file.

    See Also
    --------
    export_model : Write such a file.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from sewlearn import DeepCCA, SEWRegressor, export_model, load_model
    >>> X = np.random.default_rng(0).normal(size=(64, 3))
    >>> sew = SEWRegressor(weak_hidden_layer_sizes=(8,), latent_dim=4,
    ...                    n_cca_components=2, max_epochs=1,
    ...                    random_state=0).fit(X, X[:, 0])
    >>> path = os.path.join(tempfile.mkdtemp(), "sew.npz")
    >>> export_model(sew, path)
    >>> loaded = load_model(path, device="cpu")
    >>> loaded
    SEWRegressor(latent_dim=4, max_epochs=1, n_cca_components=2, random_state=0,
                 weak_hidden_layer_sizes=(8,))
    >>> loaded.get_params()["device"], next(loaded.module_.parameters()).device
    ('cpu', device(type='cpu'))
    >>> dcca = DeepCCA(x_hidden_layer_sizes=(8,), y_hidden_layer_sizes=(8,),
    ...                latent_dim=4, max_epochs=1, random_state=0)
    >>> dcca = dcca.fit(X[:, :2], X[:, 2])
    >>> export_model(dcca, path)
    >>> np.array_equal(load_model(path).transform(X[:, :2]), dcca.transform(X[:, :2]))
    True
    """
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".npz"):
        path += ".npz"  # np.savez added it in export_model
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as exc:  # not a NumPy file, or a pickle
        raise ValueError(f"{path} is not a sewlearn model export ({exc}).") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{path} is not a sewlearn model export: one NumPy array (.npy), "
            "not the .npz archive that export_model writes."
        )
    with archive:
        if _CONFIG_KEY not in archive.files:
            raise ValueError(f"{path} is not a sewlearn model export (no config).")
        try:
            config = json.loads(str(archive[_CONFIG_KEY]))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: the model config is not valid JSON.") from exc
        if not isinstance(config, dict):
            raise ValueError(f"{path} is not a sewlearn model export (bad config).")
        weights, fitted = {}, {}
        for key in archive.files:
            if key.startswith(_FITTED_PREFIX):
                fitted[key[len(_FITTED_PREFIX) :]] = archive[key]
            elif key != _CONFIG_KEY:
                weights[key] = archive[key]
    try:
        return _restore(path, config, weights, fitted, device)
    except Exception as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(path):
            raise  # already says what is wrong, and where
        what = f"no entry {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ValueError(
            f"{path}: the model config is not one that export_model writes "
            f"({type(exc).__name__}: {what}); was the file edited?"
        ) from exc


def _restore(path, config, weights, fitted, device):
    """The fitted estimator that the contents of the file ``path`` describe."""
    version = config.get("format_version")
    if (
        config.get("format") == _FORMAT
        and isinstance(version, int)
        and version > _FORMAT_VERSION
    ):
        raise ValueError(
            f"{path}: written by a newer sewlearn (format version {version}; this "
            f"one reads versions up to {_FORMAT_VERSION}): upgrade sewlearn to "
            "load it."
        )
    if config.get("format") != _FORMAT or version not in _READABLE_VERSIONS:
        raise ValueError(
            f"{path}: unsupported format {config.get('format')!r} version {version!r}."
        )
    name = config.get("estimator")
    # Version 1 files hold SEWRegressor only; version 6 adds the distilled ones.
    known = ("SEWRegressor",) if version == 1 else tuple(_ESTIMATORS)
    if version >= 6:
        known += tuple(_DISTILLED)
    if name not in known:
        raise ValueError(f"{path}: unknown estimator {name!r}.")
    if name in _DISTILLED:
        return _restore_distilled(path, config, weights, fitted, device)
    params = {k: _from_json(v) for k, v in config["params"].items()}
    if name != "DeepCCA":
        renamed = _RENAMED_SEW_PARAMS.get(version, {})
        params = {renamed.get(k, k): v for k, v in params.items()}
    # The estimator is built for the device the weights go to.
    params["device"] = device
    estimator = _ESTIMATORS[name](**params)
    try:
        estimator._validate_params()  # as fit would: an edited value fails here
    except InvalidParameterError as exc:
        raise ValueError(
            f"{path}: invalid parameter in the model config: {exc}"
        ) from exc

    module = _build_module(config, params)
    expected = module.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"{path}: the weights do not match the config: missing {missing}, "
            f"unexpected {unexpected}."
        )
    for key, tensor in expected.items():
        if tuple(weights[key].shape) != tuple(tensor.shape):
            raise ValueError(
                f"{path}: weight {key!r} has shape {tuple(weights[key].shape)}, "
                f"the config implies {tuple(tensor.shape)}."
            )
    if name == "DeepCCA":
        _check_fitted_arrays(path, config, fitted)
    elif fitted:
        raise ValueError(
            f"{path}: unexpected fitted arrays {sorted(fitted)} for {name}."
        )
    module.load_state_dict(
        {k: torch.from_numpy(np.array(v)) for k, v in weights.items()}
    )
    module = module.to(torch.device(device)).eval().requires_grad_(False)

    estimator.module_ = module
    estimator.n_features_in_ = config["n_features_in"]
    if config["feature_names_in"] is not None:
        estimator.feature_names_in_ = np.asarray(
            config["feature_names_in"], dtype=object
        )
    for attr, value in config.get("fitted_ints", {}).items():
        if attr in _OPTIONAL_INTS:
            setattr(estimator, attr, int(value))
    if name == "DeepCCA":
        for attr, value in fitted.items():
            # A 0-d mean or std is the float 0.0 or 1.0 of scale=False.
            setattr(estimator, attr, float(value) if value.ndim == 0 else value)
        estimator.n_features_y_ = config["n_features_y"]
        return estimator
    if config.get("n_features_strong") is not None:
        estimator.n_features_strong_ = config["n_features_strong"]
    if name == "SEWClassifier":
        estimator.classes_ = _classes_from_json(config["classes"])
        estimator._n_head = len(estimator.classes_)
    else:
        n_outputs = estimator.n_outputs_ = estimator._n_head = config["n_outputs"]
        estimator._y_1d = config["y_1d"]
        if version < 5:  # trained on the targets as given
            estimator.set_params(standardize_target=False)
            config = {k: v for k, v in config.items() if not k.startswith("target_")}
        estimator.target_mean_ = _target_stats(
            path, config, "target_mean", np.zeros(n_outputs)
        )
        estimator.target_scale_ = _target_stats(
            path, config, "target_scale", np.ones(n_outputs)
        )
    return estimator


def _restore_distilled(path, config, weights, fitted, device):
    """A distilled estimator: its student restored, its own attributes set.

    ``teacher`` is None and ``teacher_`` absent (not exported); ``estimator``
    is an unfitted clone of the student.
    """
    name = config["estimator"]
    student = _restore(path, config["student"], weights, fitted, device)
    if type(student) not in _STUDENTS:
        raise ValueError(
            f"{path}: the student of a {name} must be a SEWRegressor or "
            f"SEWClassifier, got {type(student).__name__}."
        )
    params = {k: _from_json(v) for k, v in config["params"].items()}
    estimator = _DISTILLED[name](clone(student), None, **params)
    # As fit would check them, but the teacher: an edited value fails here.
    constraints = dict(estimator._parameter_constraints)
    del constraints["teacher"]
    try:
        validate_parameter_constraints(
            constraints,
            {
                k: v
                for k, v in estimator.get_params(deep=False).items()
                if k != "teacher"
            },
            caller_name=name,
        )
    except InvalidParameterError as exc:
        raise ValueError(
            f"{path}: invalid parameter in the model config: {exc}"
        ) from exc
    estimator.estimator_ = student
    estimator.n_features_in_ = config["n_features_in"]
    if config["feature_names_in"] is not None:
        estimator.feature_names_in_ = np.asarray(
            config["feature_names_in"], dtype=object
        )
    stored = config["fitted"]
    estimator.teacher_score_ = _optional_float(stored["teacher_score"])
    estimator.weak_score_ = _optional_float(stored["weak_score"])
    estimator.fallback_ = bool(stored["fallback"])
    if name == "DistilledClassifier":
        estimator.classes_ = _classes_from_json(config["classes"])
        if stored["targets"] not in ("soft", "hard"):
            raise ValueError(
                f"{path}: targets must be 'soft' or 'hard', got {stored['targets']!r}."
            )
        estimator.targets_ = stored["targets"]
        # The student's classes are among the meta-estimator's (predict_proba
        # places its columns on them).
        if not np.isin(student.classes_, estimator.classes_).all():
            raise ValueError(
                f"{path}: the student's classes {student.classes_.tolist()} are "
                f"not all among the classes {estimator.classes_.tolist()}."
            )
    return estimator


def _optional_float(value):
    return None if value is None else float(value)


def _target_stats(path, config, key, default):
    """A regressor's per-target mean or scale from ``config``, checked."""
    if key not in config:
        return default
    values = np.asarray(config[key], dtype=np.float64)
    if values.shape != default.shape or not np.isfinite(values).all():
        raise ValueError(
            f"{path}: {key} must be {default.size} finite numbers, got {config[key]!r}."
        )
    return values
