# License: BSD 3 clause
"""A synthetic stand-in for the AVEC 2016 RECOLA emotion data (paper section 4.1).

The generative model, per recording (one speaker):

* an emotion state ``u = (u_arousal, u_valence)``: smooth, slow Gaussian
  processes plus a per-recording offset; the gold-standard traces are
  ``tanh(u)``, so they lie in ``(-1, 1)``, and they lag the features by
  the annotation delay (annotators react late);
* shared non-emotion factors ``c`` (think speaking activity, head motion),
  seen by every modality but unrelated to the targets;
* per modality, a low-dimensional source ``s = drive(u) + c C + nuisance``
  where ``drive`` is modality-specific: nearly linear and strong for the
  affect dimension the modality is good at, weaker and warped (soft steps at
  random thresholds) for the others; ``nuisance`` holds modality-specific
  fast fluctuations, slow drifts and a recording (speaker) offset;
* features ``x = mu + scale * tanh(s B + b) + measurement noise``, with the
  paper's dimensions (audio 88, video-geometric 632, video-appearance 168).

A strong modality's source is thus a cleaner view of the same emotion state
that a weak modality carries with more nuisance and nonlinearly: the setting
where SEW's weak-to-strong translation and CCA alignment should help.
"""

import numbers

import numpy as np
import scipy.fft
from sklearn.utils import Bunch, check_random_state

__all__ = ["make_recola_like"]

FRAME_STEP = 0.04  # seconds; AVEC 2016 frames and labels come every 40 ms
MODALITY_DIMS = {"audio": 88, "video_geometric": 632, "video_appearance": 168}
PARTITIONS = ("train", "dev", "test")
TARGETS = ("arousal", "valence")
_NAME_PREFIX = {"audio": "audio", "video_geometric": "geo", "video_appearance": "app"}

# Time scales, as the standard deviation (in seconds) of the Gaussian kernel
# that smooths white noise.
_AROUSAL_SCALE = 4.0
_VALENCE_SCALE = 6.0
_SHARED_SCALE = 1.0
_FAST_SCALE = 0.3
_DRIFT_SCALE = 30.0

_N_SHARED = 3  # shared non-emotion factors

# Standard deviations of the non-emotion parts of each modality's source: the
# shared factors, the modality's own fast fluctuations, slow drifts and
# recording (speaker) offsets; the scale of the tanh input; the measurement
# noise of the features. The same for all modalities.
_NUISANCE = dict(
    shared=0.5, fast=0.6, drift=0.3, recording=0.4, input_scale=0.8, measurement=0.5
)

# Per modality: number of source channels and, per affect dimension, the gain
# of the drive and its warp (0: linear, 1: soft steps only). Tuned so that a
# linear model per modality reproduces the pattern of the paper's Table 1:
# audio best for arousal, video-geometric best for valence, video-appearance
# weaker than the best for both; each modality weak for the other dimension
# (lower gain, more warp).
_MODALITIES = {
    "audio": dict(
        _NUISANCE,
        n_channels=10,
        gain=dict(arousal=0.85, valence=0.42),
        warp=dict(arousal=0.1, valence=0.5),
    ),
    "video_geometric": dict(
        _NUISANCE,
        n_channels=16,
        gain=dict(arousal=0.32, valence=0.5),
        warp=dict(arousal=0.6, valence=0.1),
    ),
    "video_appearance": dict(
        _NUISANCE,
        n_channels=12,
        gain=dict(arousal=0.35, valence=0.37),
        warp=dict(arousal=0.6, valence=0.6),
    ),
}


def _smooth_noise(rng, n_frames, n_series, scale):
    """Stationary Gaussian processes of unit variance, smoothed over ``scale`` s.

    White noise convolved (circularly, by FFT) with a Gaussian kernel of unit
    L2 norm; the padding of 4 kernel widths on each side is cut off, so that
    the wrap-around never reaches the returned frames. Slow processes are
    drawn on a coarser grid (at least 8 points per kernel width) and linearly
    interpolated, which is much faster and indistinguishable at that rate.
    """
    width = scale / FRAME_STEP
    step = max(1, int(width // 8))
    width /= step
    n_coarse = (n_frames - 1) // step + 2
    pad = int(np.ceil(4 * width))
    n_fft = scipy.fft.next_fast_len(n_coarse + 2 * pad, real=True)
    lags = np.minimum(np.arange(n_fft), n_fft - np.arange(n_fft))
    kernel = np.exp(-0.5 * (lags / width) ** 2)
    kernel /= np.sqrt(np.sum(kernel**2))
    spectrum = scipy.fft.rfft(rng.standard_normal((n_fft, n_series)), axis=0)
    spectrum *= scipy.fft.rfft(kernel)[:, None]
    coarse = scipy.fft.irfft(spectrum, n=n_fft, axis=0)[pad : pad + n_coarse]
    if step == 1:
        return coarse[:n_frames]
    position = np.arange(n_frames) / step
    left = position.astype(np.intp)
    right_weight = (position - left)[:, None]
    return (1.0 - right_weight) * coarse[left] + right_weight * coarse[left + 1]


def _modality_model(rng, name, spec):
    """Draw the fixed (recording-independent) parameters of one modality."""
    k, d = spec["n_channels"], MODALITY_DIMS[name]
    # Orthonormal arousal and valence directions: how well a modality shows
    # each dimension then depends on its gains, not on a chance alignment.
    directions = np.linalg.qr(rng.standard_normal((k, 2)))[0].T
    gains = np.array([spec["gain"][t] for t in TARGETS])
    return Bunch(
        # rows: arousal, valence; a drive of variance ~ gain**2 per channel
        loadings=(gains[:, None] * np.sqrt(k) * directions).astype(np.float32),
        warps=np.array([spec["warp"][t] for t in TARGETS], dtype=np.float32),
        # thresholds of the soft steps that warp the drive
        thresholds=rng.uniform(-1.0, 1.0, size=(2, k)).astype(np.float32),
        shared=spec["shared"] * rng.standard_normal((_N_SHARED, k)),
        # source -> features weights, with the bias of the tanh as last row
        mixing=np.vstack(
            [
                spec["input_scale"] * rng.standard_normal((k, d)) / np.sqrt(2.0 * k),
                rng.uniform(-0.5, 0.5, size=(1, d)),
            ]
        ).astype(np.float32),
        mean=rng.normal(0.0, 2.0, size=d).astype(np.float32),
        scale=np.exp(rng.normal(0.0, 0.7, size=d)).astype(np.float32),
    )


def _drive(state, model):
    """Emotion drive of one modality on its source channels.

    Per affect dimension ``f`` and channel ``j``, ``(1 - w_f) u_f + w_f
    tanh(2 (u_f - b_fj))`` times the loading: linear for ``w_f = 0``; for
    ``w_f = 1`` a bank of soft steps at thresholds ``b_fj``, which a nonlinear
    model can invert but a linear one only approximates.
    """
    # float32: numpy's float64 tanh is several times slower
    u = state.astype(np.float32)[:, :, None]  # (n_frames, 2, 1)
    warps = model.warps[:, None]
    steps = np.tanh(2.0 * (u - model.thresholds))
    drive = ((1.0 - warps) * u + warps * steps) * model.loadings
    return drive.sum(axis=1)


def _check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def _check_non_negative_float(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}.")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value}.")
    return float(value)


def _check_names(values, allowed, name):
    """A non-empty tuple of distinct names among ``allowed`` (a str is one)."""
    if isinstance(values, str):
        values = (values,)
    values = tuple(values)
    if not values or len(set(values)) < len(values) or set(values) - set(allowed):
        raise ValueError(
            f"{name} must be distinct names among {allowed}, got {values}."
        )
    return values


def make_recola_like(
    *,
    n_recordings=9,
    n_frames=7501,
    partitions=("train", "dev", "test"),
    annotation_delay=2.0,
    noise=1.0,
    random_state=None,
):
    """Generate synthetic continuous-emotion data shaped like AVEC 2016 RECOLA.

    Each partition holds ``n_recordings`` recordings of ``n_frames`` frames of
    40 ms (the defaults match RECOLA: 9 recordings of 5 minutes per
    partition). Every frame has the three feature sets of the AVEC 2016
    baseline, with their dimensions (audio 88, video-geometric 632,
    video-appearance 168), and the two gold-standard traces, arousal and
    valence, which are smooth, slow and within ``[-1, 1]``.

    The modalities differ in strength as in Table 1 of the SEW paper: audio
    is the strongest modality for arousal, video-geometric for valence, and
    video-appearance is weaker than the best modality for both.

    Parameters
    ----------
    n_recordings : int, default=9
        Number of recordings (speakers) per partition.

    n_frames : int, default=7501
        Number of 40 ms frames per recording (7501 frames: 5 minutes).

    partitions : tuple of str, default=("train", "dev", "test")
        Partitions to generate, among ``"train"``, ``"dev"`` and ``"test"``.

    annotation_delay : float, default=2.0
        Reaction lag of the annotators, in seconds: the label of frame ``i``
        describes the emotion that the features showed
        ``round(annotation_delay / 0.04)`` frames earlier. 0 aligns them.

    noise : float, default=1.0
        Multiplies the standard deviations of all modality-specific noise
        (fast fluctuations, slow drifts, recording offsets, measurement
        noise). 0 leaves only the emotion and the shared factors; larger
        values make every modality weaker.

    random_state : int, RandomState instance or None, default=None
        Seed of the generator. An int gives the same data on every call.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``n_samples = len(partitions) * n_recordings * n_frames`` rows,
        recordings one after the other, partitions in the order given:

        features : Bunch of float32 ndarray of shape (n_samples, n_features)
            ``audio`` (88 columns), ``video_geometric`` (632) and
            ``video_appearance`` (168).
        targets : Bunch of float32 ndarray of shape (n_samples,)
            ``arousal`` and ``valence`` gold-standard traces in ``[-1, 1]``.
        groups : ndarray of str of shape (n_samples,)
            Recording of each frame, e.g. ``"train_1"`` or ``"dev_9"`` (the
            AVEC file names); use it with ``GroupKFold``.
        partition : ndarray of str of shape (n_samples,)
            ``"train"``, ``"dev"`` or ``"test"``.
        time : float64 ndarray of shape (n_samples,)
            Time of the frame within its recording, in seconds.
        feature_names : dict of str to list of str
            Column names per modality, e.g. ``"audio_000"``, ``"geo_000"``
            and ``"app_000"``.
        DESCR : str
            Description of the data set.

    See Also
    --------
    load_avec2016 : Load the real AVEC 2016 RECOLA features and ratings.

    Notes
    -----
    Per recording, the emotion state is ``u(t) = a z(t) + o`` for a
    smooth unit-variance Gaussian process ``z`` (kernel widths of 4 s for
    arousal and 6 s for valence, arousal and valence mildly correlated) and a
    per-recording offset ``o``; the targets are ``tanh(u)``. Each modality
    has a low-dimensional source

    .. math::

        s(t) = \\sum_{f} g_f \\odot [(1 - w_f) u_f(t + \\delta)
               + w_f \\tanh(2 (u_f(t + \\delta) - b_f))]
               + c(t) C + \\nu (n_{fast}(t) + n_{drift}(t) + n_{rec})

    with ``f`` in {arousal, valence}, gains ``g_f`` and warps ``w_f`` that
    make the modality strong or weak for ``f``, annotation delay
    :math:`\\delta`, shared non-emotion factors ``c``, and ``nu = noise``.
    The features are ``mu + scale * tanh(s B + b) + nu * eps`` with fixed
    random ``B, b, mu, scale`` per modality and uniform measurement noise
    ``eps``. The same modality parameters serve every recording and
    partition; speakers differ by their offsets.

    At the default sizes, a ridge regression per modality
    (``make_pipeline(StandardScaler(), Ridge())``, fitted on train, CCC over
    the concatenated dev frames) reaches on average over seeds a CCC of about
    0.79 (audio), 0.53 (geometric), 0.49 (appearance) for arousal and 0.46,
    0.70, 0.48 for valence: the pattern of Table 1 of the paper (0.761,
    0.482, 0.492 and 0.543, 0.643, 0.489). With 9 recordings per partition
    the values vary with ``random_state`` by about 0.05 (0.1 for the weak
    valence modalities).

    The full-size data (3 x 9 x 7501 frames, 888 features) take about 0.7 GB
    and a few seconds to generate.

    References
    ----------
    .. [1] M. Valstar et al., "AVEC 2016: Depression, mood, and emotion
       recognition workshop and challenge", AVEC 2016, pp. 3-10.
    .. [2] F. Ringeval et al., "Introducing the RECOLA multimodal corpus of
       remote collaborative and affective interactions", FG 2013.

    Examples
    --------
    >>> from sewlearn.datasets import make_recola_like
    >>> data = make_recola_like(n_recordings=2, n_frames=300, random_state=0)
    >>> data.features.audio.shape, data.features.video_geometric.shape
    ((1800, 88), (1800, 632))
    >>> data.targets.arousal.dtype
    dtype('float32')
    >>> data.groups[[0, 300, 600]], data.partition[[0, 600]]
    (array(['train_1', 'train_2', 'dev_1'], dtype='<U7'),
     array(['train', 'dev'], dtype='<U5'))

    Select a partition with a boolean mask:

    >>> train = data.partition == "train"
    >>> X_train, y_train = data.features.audio[train], data.targets.arousal[train]
    >>> X_train.shape
    (600, 88)
    """
    n_recordings = _check_positive_int(n_recordings, "n_recordings")
    n_frames = _check_positive_int(n_frames, "n_frames")
    partitions = _check_names(partitions, PARTITIONS, "partitions")
    annotation_delay = _check_non_negative_float(annotation_delay, "annotation_delay")
    noise = _check_non_negative_float(noise, "noise")
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    rng = np.random.default_rng(seed)

    delay = int(round(annotation_delay / FRAME_STEP))
    models = {
        name: _modality_model(rng, name, spec) for name, spec in _MODALITIES.items()
    }
    n_total = len(partitions) * n_recordings * n_frames
    features = {
        name: np.empty((n_total, d), dtype=np.float32)
        for name, d in MODALITY_DIMS.items()
    }
    targets = {t: np.empty(n_total, dtype=np.float32) for t in TARGETS}

    buffers = {
        name: np.empty((n_frames, d), dtype=np.float32)
        for name, d in MODALITY_DIMS.items()
    }
    for i in range(len(partitions) * n_recordings):
        rows = slice(i * n_frames, (i + 1) * n_frames)
        out = {name: x[rows] for name, x in {**features, **targets}.items()}
        _generate_recording(rng, models, n_frames, delay, noise, out, buffers)

    groups = np.array(
        [f"{p}_{r + 1}" for p in partitions for r in range(n_recordings)]
    ).repeat(n_frames)
    return Bunch(
        features=Bunch(**features),
        targets=Bunch(**targets),
        groups=groups,
        partition=np.array(partitions).repeat(n_recordings * n_frames),
        time=np.tile(np.arange(n_frames) * FRAME_STEP, len(partitions) * n_recordings),
        feature_names={
            name: [f"{_NAME_PREFIX[name]}_{j:03d}" for j in range(d)]
            for name, d in MODALITY_DIMS.items()
        },
        DESCR=_DESCR,
    )


def _generate_recording(rng, models, n_frames, delay, noise, out, buffers):
    """Fill the feature and target rows of one recording in place.

    ``out`` maps each target and modality name to the rows of the recording;
    ``buffers`` holds one float32 scratch array of shape ``(n_frames, d)`` per
    modality, reused across recordings (fresh large arrays cost page faults).
    """
    n_ext = n_frames + delay
    z_a = _smooth_noise(rng, n_ext, 1, _AROUSAL_SCALE)[:, 0]
    z_v = _smooth_noise(rng, n_ext, 1, _VALENCE_SCALE)[:, 0]
    # Arousal and valence are mildly correlated in RECOLA; the offsets are the
    # speaker's mean mood over the recording.
    state = np.column_stack(
        [
            0.6 * z_a + rng.normal(0.0, 0.3),
            0.5 * (0.25 * z_a + np.sqrt(1 - 0.25**2) * z_v) + rng.normal(0.1, 0.3),
        ]
    )
    # The label of frame i is the emotion that the features showed at frame
    # i - delay: the annotators react late.
    for j, target in enumerate(TARGETS):
        out[target][:] = np.tanh(state[:n_frames, j])
    shown = state[delay:]

    shared = _smooth_noise(rng, n_frames, _N_SHARED, _SHARED_SCALE)
    bounds = np.cumsum([0] + [spec["n_channels"] for spec in _MODALITIES.values()])
    if noise > 0:
        fast = _smooth_noise(rng, n_frames, bounds[-1], _FAST_SCALE)
        drift = _smooth_noise(rng, n_frames, bounds[-1], _DRIFT_SCALE)
        offset = rng.standard_normal(bounds[-1])

    for (name, spec), lo, hi in zip(_MODALITIES.items(), bounds[:-1], bounds[1:]):
        model = models[name]
        # the source, with a column of ones for the bias row of the mixing
        source = np.ones((n_frames, hi - lo + 1), dtype=np.float32)
        source[:, :-1] = _drive(shown, model) + shared @ model.shared
        if noise > 0:
            source[:, :-1] += noise * (
                spec["fast"] * fast[:, lo:hi]
                + spec["drift"] * drift[:, lo:hi]
                + spec["recording"] * offset[lo:hi]
            )
        hidden = np.matmul(source, model.mixing, out=buffers[name])
        np.tanh(hidden, out=hidden)
        hidden *= model.scale
        # x = mean + scale * tanh(...) + uniform measurement noise of standard
        # deviation noise * measurement (uniform: faster to draw than normal)
        x = out[name]
        rng.random(dtype=np.float32, out=x)
        width = np.float32(noise * spec["measurement"] * np.sqrt(12.0))
        x *= width
        x += hidden
        x += model.mean - width / 2


_DESCR = """\
RECOLA-like synthetic data
--------------------------

A synthetic stand-in for the AVEC 2016 RECOLA continuous emotion recognition
data (Valstar et al., 2016), with its shape: partitions train / dev / test of
9 recordings each, 7501 frames of 40 ms (5 minutes) per recording, arousal
and valence gold-standard traces in [-1, 1], and three feature sets with the
dimensions of the challenge baseline: audio (eGeMAPS, 88), video_geometric
(facial landmarks, 632) and video_appearance (LGBP-TOP, 168).

The traces are slow, smooth processes with per-recording offsets and lag the
features by an annotation delay (2 s by default). Each modality is a fixed
nonlinear function of the emotion state, of non-emotion factors shared by all
modalities, and of its own nuisance (fast fluctuations, slow drifts, speaker
offsets) and measurement noise. Audio is the strongest modality for arousal,
video_geometric for valence, video_appearance weaker than the best for both,
as in Table 1 of the SEW paper (Rajan, Brutti and Cavallaro, ICASSP 2021).
"""
