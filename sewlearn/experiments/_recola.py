# License: BSD 3 clause
"""The paper's protocol on RECOLA-like data: cases, variants, models, scoring.

What ``sewlearn reproduce`` and the benchmarks share: the paper's five
weaker(+stronger) cases, Table 2's variants (loss weights, eq. 9), the
network of section 4.3 for each modality, the run sizes (:data:`PRESETS`),
the built-in data of a preset and the fit-on-train, score-on-dev protocol.
"""

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import PAPER_TRAINING, SEWRegressor, binary_accuracy_score, ccc_score
from sewlearn.datasets import load_avec2016, make_recola_like

from ._errors import UsageError

MODALITIES = ("audio", "video_geometric", "video_appearance")
TARGETS = ("arousal", "valence")
SHORT = {
    "audio": "audio",
    "video_geometric": "video-geo",
    "video_appearance": "video-app",
}

# The five weaker(+stronger) cases of the paper's section 4.2 / Table 2.
CASES = (
    ("arousal", "video_geometric", "audio"),
    ("arousal", "video_appearance", "audio"),
    ("valence", "audio", "video_geometric"),
    ("valence", "video_appearance", "audio"),
    ("valence", "video_appearance", "video_geometric"),
)

# Table 2's rows: the ablations are loss weights (eq. 9); None: no X_strong.
VARIANTS = {
    "SEW": {},
    "-SD2": {"beta": 0.0},
    "-CCA": {"gamma": 0.0},
    "-SD1": {"alpha": 0.0},
    "-(CCA & SD1)": {"alpha": 0.0, "gamma": 0.0},
    "uni-modal": None,
}

# The paper's Table 2 CCC, per variant, in the order of CASES.
PAPER_TABLE2_CCC = {
    "SEW": (0.565, 0.544, 0.552, 0.554, 0.549),
    "-SD2": (0.532, 0.519, 0.486, 0.539, 0.540),
    "-CCA": (0.512, 0.508, 0.496, 0.532, 0.546),
    "-SD1": (0.514, 0.523, 0.556, 0.514, 0.505),
    "-(CCA & SD1)": (0.484, 0.497, 0.545, 0.497, 0.491),
    "uni-modal": (0.482, 0.492, 0.543, 0.489, 0.489),
}

# Encoder hidden layers per modality (section 4.3): video-geometric
# [512, 256, latent], audio [108, latent], video-appearance one linear layer.
HIDDEN = {"audio": (108,), "video_geometric": (512, 256), "video_appearance": ()}

# Run sizes. "quick" fits the whole run in about 6 minutes on 2 CPU cores:
# fewer and shorter recordings, every 2nd frame, Adam and fewer epochs. The
# time study's sequence models read windows of ``window_seconds``, batches
# of ``windows_per_batch`` windows.
PRESETS = {
    "quick": dict(
        n_recordings=4,
        n_frames=1500,
        frame_step=2,
        seeds=2,
        max_epochs=6,
        optimizer="adam",
        lr=1e-3,
        batch_size=32,
        budgets=(1, 2),
        alignment="cca",
        window_seconds=2.0,
        windows_per_batch=4,
    ),
    "full": dict(
        n_recordings=9,
        n_frames=7501,
        frame_step=1,
        seeds=5,
        max_epochs=30,
        optimizer="sgd",
        lr=1e-3,
        batch_size=32,
        budgets=(1, 2, 4),
        alignment="cca",
        window_seconds=2.0,
        windows_per_batch=4,
    ),
}


def case_name(target, weak, strong=None):
    """A case as the tables name it: ``"arousal: video-geo(+audio)"``.

    Examples
    --------
    >>> from sewlearn.experiments import CASES, case_name
    >>> case_name(*CASES[0])
    'arousal: video-geo(+audio)'
    >>> case_name("valence", "audio")
    'valence: audio'
    """
    if strong is None:
        return f"{target}: {SHORT[weak]}"
    return f"{target}: {SHORT[weak]}(+{SHORT[strong]})"


def latent_dim(*modalities):
    """168 when video-appearance takes part (section 4.3), else 128."""
    return 168 if "video_appearance" in modalities else 128


def make_sew(weak, strong, variant, *, seed, settings, device="cpu", **params):
    """A :class:`~sewlearn.SEWRegressor` with the paper's network for a case.

    Parameters
    ----------
    weak, strong : str
        The weak and strong modalities (keys of ``features`` of
        :func:`built_in_data`); they set the encoders' layers and the latent
        width (section 4.3). ``strong=None``: a uni-modal network.
    variant : str
        A key of :data:`VARIANTS`: SEW or one of its ablations (loss weights).
    seed : int
        The estimator's ``random_state``.
    settings : dict
        Training settings of a preset (:data:`PRESETS`): ``optimizer``,
        ``lr``, ``batch_size``, ``max_epochs`` and ``alignment``.
    device : str, default="cpu"
        The torch device.
    **params
        Further :class:`~sewlearn.SEWRegressor` parameters; they override all
        of the above.

    Returns
    -------
    SEWRegressor
        Unfitted, with the paper's training recipe (:data:`sewlearn.PAPER_TRAINING`,
        targets as given) whatever the estimator's defaults.

    Examples
    --------
    >>> from sewlearn.experiments import PRESETS, make_sew
    >>> sew = make_sew("video_geometric", "audio", "-SD2", seed=0,
    ...                settings=PRESETS["quick"])
    >>> sew.weak_hidden_layer_sizes, sew.latent_dim, sew.beta
    ((512, 256), 128, 0.0)
    """
    # The paper's training recipe (momentum, weight decay) and its targets as
    # given, whatever the estimator's defaults; the presets choose the
    # optimiser, learning rate and batch size.
    recipe = {**PAPER_TRAINING, "standardize_target": False}
    network = dict(
        weak_hidden_layer_sizes=HIDDEN[weak],
        strong_hidden_layer_sizes=HIDDEN[strong] if strong else (108,),
        latent_dim=latent_dim(weak, strong) if strong else latent_dim(weak),
        alignment=settings.get("alignment", "cca"),
        optimizer=settings["optimizer"],
        lr=settings["lr"],
        batch_size=settings["batch_size"],
        max_epochs=settings["max_epochs"],
        device=device,
        random_state=seed,
    )
    return SEWRegressor(**{**recipe, **network, **(VARIANTS[variant] or {}), **params})


def make_model(weak, strong, variant, *, seed, settings, device="cpu", **params):
    """``make_pipeline(StandardScaler(), make_sew(...))``: a model of a case.

    The arguments are those of :func:`make_sew`. Fit it with
    ``sewregressor__X_strong`` (or through :func:`evaluate`).

    Examples
    --------
    >>> from sewlearn.experiments import PRESETS, make_model
    >>> model = make_model("audio", "video_geometric", "SEW", seed=0,
    ...                    settings=PRESETS["quick"])
    >>> [name for name, _ in model.steps]
    ['standardscaler', 'sewregressor']
    """
    sew = make_sew(
        weak, strong, variant, seed=seed, settings=settings, device=device, **params
    )
    return make_pipeline(StandardScaler(), sew)


def make_distilled(weak, strong, variant, *, seed, settings, device="cpu", **params):
    """The uni-modal network of a case, distilled from a linear teacher.

    A :class:`~sewlearn.DistilledRegressor` whose student is
    ``make_model(weak, None, "uni-modal", ...)`` and whose teacher is a
    standardised :class:`~sklearn.linear_model.RidgeCV` on both views (the
    teacher of ``SEWRegressor(teacher="linear")``); ``variant`` is ignored.
    The guard's ``cv`` network fits are skipped (``on_weak_teacher="ignore"``):
    they would cost five times the row's own fit. ``params`` are
    :class:`~sewlearn.DistilledRegressor` parameters (e.g. ``imitation``).

    Examples
    --------
    >>> from sewlearn.experiments import PRESETS, make_distilled
    >>> model = make_distilled("video_geometric", "audio", "SEW", seed=0,
    ...                        settings=PRESETS["quick"])
    >>> type(model).__name__, model.imitation
    ('DistilledRegressor', 0.5)
    """
    from sklearn.linear_model import RidgeCV

    from sewlearn import DistilledRegressor
    from sewlearn._sew import LINEAR_TEACHER_ALPHAS

    student = make_model(
        weak, None, "uni-modal", seed=seed, settings=settings, device=device
    )
    teacher = make_pipeline(StandardScaler(), RidgeCV(alphas=LINEAR_TEACHER_ALPHAS))
    return DistilledRegressor(
        student, teacher, **{"on_weak_teacher": "ignore", **params}
    )


def strong_fit_param(model):
    """The name under which ``model.fit`` takes the strong view.

    ``"X_strong"`` for an estimator, ``"<last step>__X_strong"`` for a
    :class:`~sklearn.pipeline.Pipeline`.
    """
    steps = getattr(model, "steps", None)
    return f"{steps[-1][0]}__X_strong" if steps else "X_strong"


def evaluate(model, data, weak, target, strong=None, train=None, y_train=None):
    """Fit ``model`` on the train partition (with the strong view), score on dev.

    Parameters
    ----------
    model : estimator
        E.g. :func:`make_model`'s pipeline; any estimator whose ``fit`` takes
        the strong view as ``X_strong`` (a pipeline's last step's).
    data : Bunch
        A data set of :func:`built_in_data` (or
        :func:`sewlearn.datasets.load_avec2016`).
    weak, target : str
        The weak modality and the target.
    strong : str, default=None
        The strong modality passed to ``fit``; None: none.
    train : ndarray of bool, default=None
        The training rows; by default the train partition.
    y_train : ndarray, default=None
        The targets of ``train``'s rows, NaN where unlabeled; by default the
        data's.

    Returns
    -------
    ccc : float
        :func:`~sewlearn.ccc_score` on the dev partition.
    acc : float
        :func:`~sewlearn.binary_accuracy_score` on the dev partition.
    y_pred : ndarray
        The predictions on the dev partition.

    Examples
    --------
    >>> from sewlearn.experiments import PRESETS, built_in_data, evaluate, make_model
    >>> settings = dict(PRESETS["quick"], n_recordings=2, n_frames=200,
    ...                 max_epochs=1, alignment="ey")
    >>> data = built_in_data(settings)
    >>> model = make_model("audio", "video_geometric", "SEW", seed=0,
    ...                    settings=settings)
    >>> ccc, acc, y_pred = evaluate(model, data, "audio", "valence",
    ...                             "video_geometric")
    >>> y_pred.shape
    (200,)
    """
    if train is None:
        train = data.partition == "train"
    if y_train is None:
        y_train = data.targets[target][train]
    dev = data.partition == "dev"
    fit_params = {}
    if strong is not None:
        fit_params[strong_fit_param(model)] = data.features[strong][train]
    model.fit(data.features[weak][train], y_train, **fit_params)
    y_true = data.targets[target][dev]
    y_pred = model.predict(data.features[weak][dev])
    return ccc_score(y_true, y_pred), binary_accuracy_score(y_true, y_pred), y_pred


def subsample(data, step):
    """Every ``step``-th frame: neighbouring 40 ms frames are nearly identical."""
    if step == 1:
        return data
    keep = np.zeros(len(data.partition), dtype=bool)
    keep[::step] = True
    out = type(data)(**data)
    out.features = type(data.features)(**{k: v[keep] for k, v in data.features.items()})
    out.targets = type(data.targets)(**{k: v[keep] for k, v in data.targets.items()})
    for key in ("groups", "partition", "time"):
        out[key] = data[key][keep]
    return out


def built_in_data(settings, random_state=0):
    """The built-in data of a preset: train and dev, every ``frame_step``-th frame.

    Parameters
    ----------
    settings : dict
        A preset (:data:`PRESETS`) or any dict with ``n_recordings``,
        ``n_frames`` and ``frame_step``.
    random_state : int, default=0
        The draw: :func:`~sewlearn.datasets.make_recola_like`'s
        ``random_state``.

    Returns
    -------
    Bunch
        :func:`~sewlearn.datasets.make_recola_like`'s data set, subsampled.

    Examples
    --------
    >>> from sewlearn.experiments import PRESETS, built_in_data
    >>> data = built_in_data(PRESETS["quick"])
    >>> data.features["audio"].shape, int((data.partition == "train").sum())
    ((6000, 88), 3000)
    """
    data = make_recola_like(
        n_recordings=settings["n_recordings"],
        n_frames=settings["n_frames"],
        partitions=("train", "dev"),
        random_state=random_state,
    )
    return subsample(data, settings["frame_step"])


def load_data(settings, avec_root=None, random_state=0):
    """The data of a run, a dict target -> data set, and its description.

    The AVEC 2016 features in ``avec_root`` (separate features for arousal
    and for valence), else :func:`built_in_data` (one data set for both
    targets). A folder or file that cannot be read is a :class:`UsageError`.
    """
    if avec_root is not None:
        from pathlib import Path

        if not Path(avec_root).is_dir():
            raise UsageError(f"--avec-root {avec_root} is not a folder")
        try:
            data = {
                t: subsample(
                    load_avec2016(avec_root, target=t, partitions=("train", "dev")),
                    settings["frame_step"],
                )
                for t in TARGETS
            }
        except (OSError, ValueError) as exc:
            raise UsageError(f"--avec-root {avec_root}: {exc}") from None
        return data, f"AVEC 2016 features from {avec_root}"
    try:
        data = dict.fromkeys(TARGETS, built_in_data(settings, random_state))
    except ValueError as exc:  # the generator's own checks
        raise UsageError(str(exc)) from None
    source = (
        f"make_recola_like(n_recordings={settings['n_recordings']}, "
        f"n_frames={settings['n_frames']}, random_state={random_state})"
    )
    return data, source
