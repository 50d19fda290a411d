# License: BSD 3 clause
"""Pickle-free export of a fitted SEW model's deployed blocks (W_E and R).

The file is a NumPy ``.npz`` archive: one float32 array per weight tensor and a
JSON configuration stored as a plain string array. Loading uses
``np.load(allow_pickle=False)`` and rebuilds the network from the
configuration, so, unlike a pickle or joblib file, a model file cannot run
code when it is loaded.
"""

import json

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._modules import DeployedSEW, make_mlp, make_regressor
from ._sew import SEWRegressor

__all__ = ["export_model", "load_model"]

_FORMAT = "sewlearn-deployed"
_FORMAT_VERSION = 1
_CONFIG_KEY = "__config__"


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def export_model(estimator, path):
    """Write the deployed part of a fitted SEW estimator to ``path`` (.npz).

    Parameters
    ----------
    estimator : SEWRegressor
        A fitted estimator.
    path : str or path-like
        Destination file; NumPy adds ``.npz`` if the name lacks it.

    See Also
    --------
    load_model : Restore a working estimator from such a file.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from sewlearn import SEWRegressor, export_model, load_model
    >>> X = np.random.default_rng(0).normal(size=(64, 5))
    >>> sew = SEWRegressor(weak_hidden_layer_sizes=(8,), latent_dim=4,
    ...                    max_epochs=2, random_state=0).fit(X, X[:, 0])
    >>> path = os.path.join(tempfile.mkdtemp(), "sew.npz")
    >>> export_model(sew, path)
    >>> np.array_equal(load_model(path).predict(X), sew.predict(X))
    True
    """
    check_is_fitted(estimator)
    params = {k: _jsonable(v) for k, v in estimator.get_params().items()}
    config = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "estimator": type(estimator).__name__,
        "params": params,
        "n_features_in": int(estimator.n_features_in_),
        "n_outputs": int(estimator.n_outputs_),
        "y_1d": bool(estimator._y_1d),
        "feature_names_in": (
            [str(n) for n in estimator.feature_names_in_]
            if hasattr(estimator, "feature_names_in_")
            else None
        ),
    }
    arrays = {
        name: tensor.detach().cpu().numpy().astype(np.float32)
        for name, tensor in estimator.module_.state_dict().items()
    }
    if _CONFIG_KEY in arrays:  # pragma: no cover - no block is named so
        raise RuntimeError(f"a weight is named {_CONFIG_KEY}")
    arrays[_CONFIG_KEY] = np.array(json.dumps(config))
    np.savez(path, **arrays)


def load_model(path):
    """Restore a fitted SEW estimator from a file written by :func:`export_model`.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.

    Returns
    -------
    estimator : SEWRegressor
        A fitted estimator that predicts like the exported one (on the CPU).
        It has the deployed network and the fitted shapes, not the training
        ``history_``.

    Raises
    ------
    ValueError
        If the file is not a sewlearn export, or its configuration and weights
        do not match (missing, unexpected or mis-shaped weights).

    See Also
    --------
    export_model : Write such a file.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from sewlearn import SEWRegressor, export_model, load_model
    >>> X = np.random.default_rng(0).normal(size=(64, 3))
    >>> sew = SEWRegressor(weak_hidden_layer_sizes=(8,), latent_dim=4,
    ...                    max_epochs=1, random_state=0).fit(X, X[:, 0])
    >>> path = os.path.join(tempfile.mkdtemp(), "sew.npz")
    >>> export_model(sew, path)
    >>> load_model(path)
    SEWRegressor(latent_dim=4, max_epochs=1, random_state=0,
                 weak_hidden_layer_sizes=(8,))
    """
    estimators = {"SEWRegressor": SEWRegressor}
    with np.load(path, allow_pickle=False) as archive:
        if _CONFIG_KEY not in archive.files:
            raise ValueError(f"{path} is not a sewlearn model export (no config).")
        try:
            config = json.loads(str(archive[_CONFIG_KEY]))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: the model config is not valid JSON.") from exc
        weights = {k: archive[k] for k in archive.files if k != _CONFIG_KEY}

    if config.get("format") != _FORMAT or config.get("format_version") != (
        _FORMAT_VERSION
    ):
        raise ValueError(
            f"{path}: unsupported format {config.get('format')!r} version "
            f"{config.get('format_version')!r}."
        )
    if config.get("estimator") not in estimators:
        raise ValueError(f"{path}: unknown estimator {config.get('estimator')!r}.")
    params = config["params"]
    for key, value in params.items():
        if isinstance(value, list):
            params[key] = tuple(value)
    estimator = estimators[config["estimator"]](**params)

    latent = params["latent_dim"]
    module = DeployedSEW(
        make_mlp(
            [config["n_features_in"], *params["weak_hidden_layer_sizes"], latent],
            params["activation"],
        ),
        make_regressor(
            params["regressor"],
            latent,
            params["regressor_hidden_layer_sizes"],
            config["n_outputs"],
            params["activation"],
        ),
    )
    expected = module.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"{path}: the weights do not match the config: missing {missing}, "
            f"unexpected {unexpected}."
        )
    for name, tensor in expected.items():
        if tuple(weights[name].shape) != tuple(tensor.shape):
            raise ValueError(
                f"{path}: weight {name!r} has shape {tuple(weights[name].shape)}, "
                f"the config implies {tuple(tensor.shape)}."
            )
    module.load_state_dict(
        {k: torch.from_numpy(np.array(v)) for k, v in weights.items()}
    )
    module.eval().requires_grad_(False)

    estimator.module_ = module
    estimator.device = "cpu"
    estimator.n_features_in_ = config["n_features_in"]
    estimator.n_outputs_ = config["n_outputs"]
    estimator._y_1d = config["y_1d"]
    if config["feature_names_in"] is not None:
        estimator.feature_names_in_ = np.asarray(
            config["feature_names_in"], dtype=object
        )
    return estimator
