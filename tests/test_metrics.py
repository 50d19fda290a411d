import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, cross_val_score

from sewlearn.metrics import binary_accuracy_score, ccc_score, ccc_scorer


def _ccc_numpy(x, y):
    """Eq. 10 written out with population moments, one output."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    cov = np.mean((x - x.mean()) * (y - y.mean()))
    return 2 * cov / (x.var() + y.var() + (x.mean() - y.mean()) ** 2)


@pytest.fixture
def rng():
    return np.random.default_rng(42)


# --------------------------------------------------------------------------
# ccc_score: values
# --------------------------------------------------------------------------


def test_ccc_hand_computed_value():
    # var_t = 0.066875, cov = var_t, shift 0.1: 2 * 0.066875 / 0.14375
    y_true = [0.1, 0.3, -0.2, 0.5]
    y_pred = [0.2, 0.4, -0.1, 0.6]
    assert ccc_score(y_true, y_pred) == pytest.approx(0.13375 / 0.14375, abs=1e-12)
    assert ccc_score(y_true, y_true) == 1.0
    # Perfect negative agreement around a common zero mean.
    assert ccc_score([-1.0, 1.0], [1.0, -1.0]) == pytest.approx(-1.0)


@pytest.mark.parametrize("n_samples", [2, 10, 500])
def test_ccc_matches_numpy_formula(rng, n_samples):
    y_true = rng.normal(size=n_samples)
    y_pred = 0.7 * y_true + 0.3 + 0.5 * rng.normal(size=n_samples)
    assert ccc_score(y_true, y_pred) == pytest.approx(
        _ccc_numpy(y_true, y_pred), abs=1e-12
    )


def test_ccc_penalises_bias_and_scale_unlike_pearson(rng):
    y_true = rng.normal(size=200)
    r = np.corrcoef(y_true, 2 * y_true + 1)[0, 1]
    assert r == pytest.approx(1.0)
    # var_t = s2, var_p = 4 s2, cov = 2 s2, bias = (mu + 1)^2
    s2, mu = y_true.var(), y_true.mean()
    expected = 4 * s2 / (5 * s2 + (mu + 1) ** 2)
    assert ccc_score(y_true, 2 * y_true + 1) == pytest.approx(expected, abs=1e-12)
    assert ccc_score(y_true, 2 * y_true + 1) < 0.8


def test_ccc_accepts_lists_ints_and_float32(rng):
    y_true = rng.normal(size=30)
    y_pred = y_true + rng.normal(size=30)
    expected = _ccc_numpy(y_true, y_pred)
    assert ccc_score(
        y_true.astype(np.float32), y_pred.astype(np.float32)
    ) == pytest.approx(expected, abs=1e-6)
    assert ccc_score(list(y_true), list(y_pred)) == pytest.approx(expected, abs=1e-12)
    assert ccc_score([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(
        _ccc_numpy([1, 2, 3, 4], [1, 3, 2, 4])
    )
    assert isinstance(ccc_score(y_true, y_pred), float)


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
def test_ccc_extreme_magnitudes(rng, scale):
    # the CCC is invariant to a common rescaling; squares must not overflow
    y_true = rng.normal(size=50)
    y_pred = y_true + rng.normal(size=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score = ccc_score(scale * y_true, scale * y_pred)
    assert score == pytest.approx(_ccc_numpy(y_true, y_pred), abs=1e-9)


# --------------------------------------------------------------------------
# multioutput
# --------------------------------------------------------------------------


def test_ccc_multioutput(rng):
    y_true = rng.normal(size=(100, 3))
    y_pred = y_true + rng.normal(scale=[0.1, 1.0, 3.0], size=(100, 3))
    expected = np.array([_ccc_numpy(y_true[:, j], y_pred[:, j]) for j in range(3)])

    raw = ccc_score(y_true, y_pred, multioutput="raw_values")
    assert raw.shape == (3,)
    assert_allclose(raw, expected, atol=1e-12)
    assert raw[0] > raw[1] > raw[2]

    assert ccc_score(y_true, y_pred) == pytest.approx(expected.mean(), abs=1e-12)
    assert ccc_score(y_true, y_pred, multioutput="uniform_average") == pytest.approx(
        expected.mean(), abs=1e-12
    )
    weights = [0.5, 0.0, 1.5]
    assert ccc_score(y_true, y_pred, multioutput=weights) == pytest.approx(
        (0.5 * expected[0] + 1.5 * expected[2]) / 2.0, abs=1e-12
    )


def test_ccc_1d_and_single_column_agree(rng):
    y_true = rng.normal(size=40)
    y_pred = y_true + rng.normal(size=40)
    flat = ccc_score(y_true, y_pred)
    assert ccc_score(y_true[:, None], y_pred[:, None]) == pytest.approx(flat)
    assert ccc_score(y_true, y_pred[:, None]) == pytest.approx(flat)
    raw = ccc_score(y_true, y_pred, multioutput="raw_values")
    assert raw.shape == (1,)
    assert raw[0] == pytest.approx(flat)


# --------------------------------------------------------------------------
# sample weights
# --------------------------------------------------------------------------


@pytest.mark.parametrize("score", [ccc_score, binary_accuracy_score])
def test_integer_weights_equal_repeating_rows(rng, score):
    y_true = rng.uniform(-1, 1, size=(25, 2))
    y_pred = np.clip(y_true + rng.normal(scale=0.4, size=(25, 2)), -1, 1)
    weights = rng.integers(0, 4, size=25)
    weights[0] = 1
    repeated = np.repeat(np.arange(25), weights)
    weighted = score(y_true, y_pred, sample_weight=weights, multioutput="raw_values")
    repeated_score = score(y_true[repeated], y_pred[repeated], multioutput="raw_values")
    assert_allclose(weighted, repeated_score, atol=1e-12)


def test_ccc_uniform_weights_change_nothing(rng):
    y_true = rng.normal(size=50)
    y_pred = y_true + rng.normal(size=50)
    assert ccc_score(y_true, y_pred, sample_weight=np.full(50, 3.7)) == pytest.approx(
        ccc_score(y_true, y_pred), abs=1e-12
    )


def test_ccc_weighted_formula(rng):
    y_true = rng.normal(size=60)
    y_pred = 0.5 * y_true + rng.normal(size=60)
    w = rng.uniform(0.1, 2.0, size=60)
    mt, mp = np.average(y_true, weights=w), np.average(y_pred, weights=w)
    vt = np.average((y_true - mt) ** 2, weights=w)
    vp = np.average((y_pred - mp) ** 2, weights=w)
    cov = np.average((y_true - mt) * (y_pred - mp), weights=w)
    expected = 2 * cov / (vt + vp + (mt - mp) ** 2)
    assert ccc_score(y_true, y_pred, sample_weight=w) == pytest.approx(
        expected, abs=1e-12
    )


# --------------------------------------------------------------------------
# constant inputs: defined values, no warnings
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "y_true, y_pred, expected",
    [
        ([0.3, 0.3, 0.3], [0.3, 0.3, 0.3], 1.0),  # both constant and equal
        ([0.1, 0.1, 0.1], [0.1, 0.1, 0.1], 1.0),  # 0.1 is not exact in binary
        ([0.3, 0.3, 0.3], [0.5, 0.5, 0.5], 0.0),  # both constant, different
        ([0.3, 0.3, 0.3], [0.1, 0.5, 0.2], 0.0),  # y_true constant
        ([0.1, 0.5, 0.2], [0.0, 0.0, 0.0], 0.0),  # y_pred constant
        ([0.7], [0.7], 1.0),  # a single sample
        ([0.7], [0.2], 0.0),
    ],
)
def test_ccc_constant_inputs(y_true, y_pred, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score = ccc_score(y_true, y_pred)
    assert score == expected


def test_ccc_constant_columns_in_multioutput():
    y_true = np.array([[1.0, 0.2, 0.0], [1.0, 0.4, 1.0], [1.0, 0.9, 2.0]])
    y_pred = np.array([[1.0, 0.3, 0.0], [1.0, 0.3, 1.0], [1.0, 0.3, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        raw = ccc_score(y_true, y_pred, multioutput="raw_values")
    assert_allclose(raw, [1.0, 0.0, 1.0])


def test_ccc_constant_on_positive_weights_only():
    # The rows of weight 0 do not count: y_true is constant where it matters.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score = ccc_score(
            [0.2, 0.2, 5.0], [0.2, 0.2, -3.0], sample_weight=[1.0, 2.0, 0.0]
        )
    assert score == 1.0


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize("score", [ccc_score, binary_accuracy_score])
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y_true=[0.1, np.inf, 0.2], y_pred=[0.1, 0.2, 0.3]), "y_true"),
        # NaN marks an unlabeled entry; an output with no labeled entry is refused.
        (dict(y_true=[np.nan, np.nan], y_pred=[0.1, 0.2]), "y_true.*unlabeled"),
        (dict(y_true=[0.1, 0.2, 0.3], y_pred=[0.1, np.inf, 0.3]), "y_pred"),
        (dict(y_true=[0.1, 0.2, 0.3], y_pred=[0.1, 0.2]), "y_true and y_pred"),
        (
            dict(y_true=np.zeros((3, 2)), y_pred=np.zeros((3, 3))),
            "numbers of outputs",
        ),
        (dict(y_true=np.zeros((3, 2, 2)), y_pred=np.zeros((3, 2, 2))), "y_true"),
        (
            dict(y_true=[0.1, 0.2, 0.3], y_pred=[0.1, 0.2, 0.3], sample_weight=[1, 1]),
            "sample_weight",
        ),
        (
            dict(
                y_true=[0.1, 0.2, 0.3],
                y_pred=[0.1, 0.2, 0.3],
                sample_weight=[1, np.nan, 1],
            ),
            "sample_weight",
        ),
        (
            dict(
                y_true=[0.1, 0.2, 0.3], y_pred=[0.1, 0.2, 0.3], sample_weight=[1, -1, 1]
            ),
            "sample_weight",
        ),
        (
            dict(
                y_true=[0.1, 0.2, 0.3], y_pred=[0.1, 0.2, 0.3], sample_weight=[0, 0, 0]
            ),
            "sample_weight",
        ),
        (
            dict(y_true=[0.1, 0.2], y_pred=[0.1, 0.2], multioutput="variance_weighted"),
            "multioutput",
        ),
        (
            dict(y_true=np.zeros((3, 2)), y_pred=np.zeros((3, 2)), multioutput=[1.0]),
            "multioutput",
        ),
        (
            dict(y_true=[0.1, 0.2], y_pred=[0.1, 0.2], multioutput=[1.0]),
            "multioutput",
        ),
        (
            dict(y_true=np.zeros((3, 2)), y_pred=np.zeros((3, 2)), multioutput=[1, -1]),
            "multioutput",
        ),
        (
            dict(y_true=np.zeros((3, 2)), y_pred=np.zeros((3, 2)), multioutput=[0, 0]),
            "multioutput",
        ),
        (dict(y_true=[], y_pred=[]), "0 sample"),
    ],
)
def test_errors_name_the_argument(score, kwargs, match):
    with pytest.raises(ValueError, match=match):
        score(**kwargs)


# --------------------------------------------------------------------------
# scorer
# --------------------------------------------------------------------------


def test_ccc_scorer_in_cross_val_score(rng):
    X = rng.normal(size=(120, 4))
    y = X @ [0.5, -0.2, 0.0, 0.3] + 0.3 * rng.normal(size=120)
    cv = KFold(n_splits=4)
    scores = cross_val_score(LinearRegression(), X, y, cv=cv, scoring=ccc_scorer)
    expected = [
        ccc_score(y[test], LinearRegression().fit(X[train], y[train]).predict(X[test]))
        for train, test in cv.split(X)
    ]
    assert_allclose(scores, expected, atol=1e-12)
    assert np.all(scores > 0.7)


def test_ccc_scorer_greater_is_better(rng):
    X = rng.normal(size=(50, 2))
    y = X[:, 0]
    good = LinearRegression().fit(X, y)
    bad = LinearRegression().fit(X, -y)
    assert ccc_scorer(good, X, y) == pytest.approx(1.0)
    assert ccc_scorer(bad, X, y) == pytest.approx(ccc_score(y, -y))
    assert ccc_scorer(bad, X, y) < -0.9


# --------------------------------------------------------------------------
# binary_accuracy_score
# --------------------------------------------------------------------------


def test_binary_accuracy_values():
    # 0 belongs to the negative class [-1, 0]; positive is (0, 1].
    y_true = [-0.5, 0.0, 0.2, 0.7, 0.0]
    y_pred = [-0.1, 0.1, 0.3, -0.2, -0.3]
    assert binary_accuracy_score(y_true, y_pred) == pytest.approx(3 / 5)
    assert binary_accuracy_score(y_true, y_true) == 1.0
    assert binary_accuracy_score([0.0, 1e-9], [-1.0, 1.0]) == 1.0
    assert binary_accuracy_score([0.5, -0.5], [-0.5, 0.5]) == 0.0


def test_binary_accuracy_weights_and_multioutput():
    y_true = np.array([[0.5, -0.5], [0.2, 0.3], [-0.1, 0.4]])
    y_pred = np.array([[0.4, 0.1], [-0.2, 0.3], [-0.3, 0.9]])
    raw = binary_accuracy_score(y_true, y_pred, multioutput="raw_values")
    assert_allclose(raw, [2 / 3, 2 / 3])
    weighted = binary_accuracy_score(
        y_true, y_pred, sample_weight=[2.0, 1.0, 1.0], multioutput="raw_values"
    )
    assert_allclose(weighted, [3 / 4, 2 / 4])
    assert binary_accuracy_score(
        y_true, y_pred, sample_weight=[2.0, 1.0, 1.0], multioutput=[1.0, 3.0]
    ) == pytest.approx((3 / 4 + 3 * 2 / 4) / 4)


def test_binary_accuracy_is_a_fraction(rng):
    y_true = rng.uniform(-1, 1, size=1000)
    y_pred = rng.uniform(-1, 1, size=1000)
    acc = binary_accuracy_score(y_true, y_pred)
    assert 0.0 <= acc <= 1.0
    assert acc == pytest.approx(np.mean((y_true > 0) == (y_pred > 0)))
    assert 0.4 < acc < 0.6  # independent signs agree half the time


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------

_finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, width=64)


@st.composite
def _pairs(draw):
    n = draw(st.integers(min_value=2, max_value=50))
    x = draw(arrays(np.float64, n, elements=_finite))
    y = draw(arrays(np.float64, n, elements=_finite))
    return x, y


def _variable(x):
    return np.var(x) > 1e-3


@given(_pairs())
def test_property_ccc_bounded(pair):
    x, y = pair
    score = ccc_score(x, y)
    assert -1.0 <= score <= 1.0


@given(_pairs())
def test_property_ccc_one_on_identity(pair):
    x, _ = pair
    assume(np.ptp(x) > 0)
    assert ccc_score(x, x) == 1.0


@given(_pairs())
def test_property_ccc_symmetric(pair):
    x, y = pair
    assert ccc_score(x, y) == pytest.approx(ccc_score(y, x), abs=1e-12)


@given(_pairs())
def test_property_ccc_equals_pearson_when_moments_agree(pair):
    x, y = pair
    assume(_variable(x) and _variable(y))
    xs = (x - x.mean()) / x.std()
    ys = (y - y.mean()) / y.std()
    pearson = np.corrcoef(x, y)[0, 1]
    assert ccc_score(xs, ys) == pytest.approx(pearson, abs=1e-9)


@given(_pairs())
def test_property_ccc_agrees_with_numpy_formula(pair):
    x, y = pair
    assume(_variable(x) and _variable(y))
    assert ccc_score(x, y) == pytest.approx(_ccc_numpy(x, y), abs=1e-9)


@settings(max_examples=50)
@given(_pairs(), st.floats(min_value=-10, max_value=10, allow_nan=False))
def test_property_binary_accuracy_matches_signs(pair, shift):
    x, y = pair
    acc = binary_accuracy_score(x, y + shift)
    assert 0.0 <= acc <= 1.0
    assert acc == pytest.approx(np.mean((x > 0) == (y + shift > 0)))


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


# (name, arguments from a target y of 60 rows, message naming the argument)
BAD_METRIC = [
    ("inf in y_true", lambda y: dict(y_true=_with(y, 0, np.inf)), "y_true"),
    # NaN is an unlabeled entry (left out); all NaN leaves nothing to score.
    ("all nan y_true", lambda y: dict(y_true=np.full(60, np.nan)), "y_true"),
    ("inf in y_pred", lambda y: dict(y_pred=_with(y, 0, np.inf)), "y_pred"),
    ("rows", lambda y: dict(y_pred=y[:50]), "y_pred|y_true"),
    ("empty", lambda y: dict(y_true=y[:0], y_pred=y[:0]), "sample"),
    ("strings", lambda y: dict(y_true=np.array(["a"] * 60)), "y_true|convert"),
    ("bad sample_weight", lambda y: dict(sample_weight=-np.ones(60)), "sample_weight"),
    ("bad multioutput", lambda y: dict(multioutput="median"), "multioutput"),
]


@pytest.mark.parametrize(
    "metric", [ccc_score, binary_accuracy_score], ids=lambda f: f.__name__
)
@pytest.mark.parametrize(
    "name, override, match", BAD_METRIC, ids=[b[0] for b in BAD_METRIC]
)
def test_bad_metric_input(small_data, metric, name, override, match):
    y = small_data[2]
    args = dict(y_true=y, y_pred=y + 0.1)
    args.update(override(y))
    with pytest.raises(ValueError, match=match):
        metric(**args)


@pytest.mark.parametrize("score", [ccc_score, binary_accuracy_score])
def test_zero_weight_on_every_labeled_entry_is_a_clear_error(score):
    # The only weighted row is unlabeled: a ZeroDivisionError before.
    with pytest.raises(ValueError, match=r"sample_weight is 0 on every labeled"):
        score([np.nan, 0.2, 0.4], [0.1, 0.2, 0.3], sample_weight=[1, 0, 0])
    y_true = np.array([[np.nan, 0.1], [0.2, 0.2], [0.4, 0.5]])
    with pytest.raises(ValueError, match=r"output\(s\) \[0\]"):
        score(y_true, np.nan_to_num(y_true), sample_weight=[1, 0, 0])
    assert score([np.nan, 0.2, 0.4], [0.1, 0.2, 0.4], sample_weight=[1, 1, 0]) == 1.0
