"""The SEW sequence model: windows over recordings (``sequence_length``, ``groups``)."""

import json

import joblib
import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import (
    SEWClassifier,
    SEWRegressor,
    ccc_score,
    export_model,
    load_model,
    paired_gain,
)
from sewlearn._data import WindowDataset
from sewlearn._losses import SEWLoss
from sewlearn._modules import GRUHead, SEWModule
from sewlearn._sequence import recording_bounds, stitched_outputs, training_windows

# The tiny network of conftest with a recurrent head, as sequence_length needs.
SEQ = dict(head="gru", head_hidden_layer_sizes=(16,), batch_size=8)


def _past_mean_problem(rng, n_recordings, n_frames, k=10):
    """``y_t``: the mean of ``x_0`` over the frames ``t - k + 1 .. t`` of its
    recording; the other inputs are noise. Only the past of the input tells
    ``y_t``: ``x_t`` alone explains a tenth of its variance."""
    X, y, groups = [], [], []
    for r in range(n_recordings):
        x = rng.normal(size=(n_frames, 4))
        csum = np.concatenate([[0.0], np.cumsum(x[:, 0])])
        t = np.arange(n_frames)
        lo = np.maximum(0, t - k + 1)
        X.append(x)
        y.append((csum[t + 1] - csum[lo]) / (t + 1 - lo))
        groups.append(np.full(n_frames, 100 + r))
    return np.vstack(X), np.concatenate(y), np.concatenate(groups)


@pytest.fixture(scope="module")
def past_data():
    """Training (8 recordings) and test (3) data of :func:`_past_mean_problem`."""
    rng = np.random.default_rng(0)
    return _past_mean_problem(rng, 8, 100), _past_mean_problem(rng, 3, 100)


@pytest.fixture(scope="module")
def fitted(past_data, tiny):
    """A fitted sequence regressor (windows of 10) on ``past_data``."""
    (X, y, g), _ = past_data
    return tiny(SEWRegressor, sequence_length=10, max_epochs=10, **SEQ).fit(
        X, y, groups=g
    )


# -- windows -------------------------------------------------------------------
def test_training_windows_tile_each_recording_within_its_bounds():
    groups = np.repeat(["b", "a", "c"], [25, 10, 13])
    bounds, labels = recording_bounds(groups, len(groups))
    np.testing.assert_array_equal(bounds, [[0, 25], [25, 35], [35, 48]])
    assert labels == ["b", "a", "c"]
    starts = training_windows(bounds, labels, 10)
    # No overlap, from each recording's first frame; the last window of a
    # recording that 10 does not divide ends at its last frame.
    np.testing.assert_array_equal(starts, [0, 10, 15, 25, 35, 38])
    rows = starts[:, None] + np.arange(10)
    assert all(len(set(groups[w])) == 1 for w in rows)  # never across
    assert set(rows.ravel()) == set(range(len(groups)))  # every frame

    dataset = WindowDataset(
        {"weak": torch.arange(48.0)[:, None]}, torch.arange(48.0), starts, 10
    )
    X, y = dataset.take(torch.tensor([2, 4]))
    assert X["weak"].shape == (2, 10, 1)
    np.testing.assert_array_equal(y[0].numpy(), np.arange(15, 25))
    assert len(dataset.subset(torch.tensor([0, 5]))) == 2


def test_stitching_reads_each_frame_with_its_most_past_context():
    # A causal head whose output at a position is the sum of the window up
    # to it: frame t of a recording starting at a gets the sum of the frames
    # max(a, t - L + 1) .. t, of its own recording only.
    def head(windows):
        return windows.cumsum(dim=1)

    sizes, length = [7, 3, 12], 4  # the 3-frame recording is shorter than L
    codes = torch.arange(1.0, sum(sizes) + 1)[:, None] ** 2
    bounds, _ = recording_bounds(np.repeat([5, 1, 9], sizes), sum(sizes))
    out = stitched_outputs(head, codes, bounds, length, chunk=8).ravel()
    expected = []
    for a, b in bounds:
        for t in range(a, b):
            expected.append(codes[max(a, t - length + 1) : t + 1].sum())
    np.testing.assert_array_equal(out.numpy(), torch.stack(expected).numpy())
    # Across recordings, the first frames of the second and third would read
    # the end of the recording before them: a different result.
    crossing = stitched_outputs(
        head, codes, np.array([[0, sum(sizes)]]), length, chunk=8
    ).ravel()
    assert out[7] != crossing[7] and out[10] != crossing[10]
    np.testing.assert_array_equal(out[:7].numpy(), crossing[:7].numpy())


def test_predictions_per_recording_in_row_order_whatever_the_recording_order(
    fitted, past_data
):
    _, (X, _, g) = past_data
    # Recordings in another order, with unequal lengths and one shorter than
    # the window (predict reads it whole).
    pieces = [(X[g == 101], 101), (X[g == 100][:70], 100), (X[g == 102][:6], "x")]
    X_mixed = np.vstack([p for p, _ in pieces])
    g_mixed = np.concatenate([np.full(len(p), str(r)) for p, r in pieces])
    pred = fitted.predict(X_mixed, groups=g_mixed)
    assert pred.shape == (len(X_mixed),)
    each = np.concatenate([fitted.predict(p) for p, _ in pieces])
    np.testing.assert_allclose(pred, each, rtol=1e-6, atol=1e-6)
    # Read as one recording, the first frames of the later recordings see
    # the end of the earlier one: windows across recordings change the result.
    one = fitted.predict(X_mixed)
    starts = [0, len(pieces[0][0]), len(pieces[0][0]) + len(pieces[1][0])]
    assert not np.allclose(
        one[starts[1] : starts[1] + 9], pred[starts[1] : starts[1] + 9]
    )
    np.testing.assert_allclose(one[: starts[1]], pred[: starts[1]], rtol=1e-6)
    # A frame's prediction depends on its past only: cutting the future off
    # leaves it as it was.
    np.testing.assert_allclose(
        fitted.predict(X_mixed[:50], groups=g_mixed[:50]), pred[:50], rtol=1e-6
    )


def test_predicting_without_groups_reads_one_recording(fitted, past_data):
    _, (X, _, g) = past_data
    np.testing.assert_array_equal(
        fitted.predict(X), fitted.predict(X, groups=np.zeros(len(X)))
    )


def test_interleaved_recordings_are_refused(fitted, past_data):
    (X, y, g), _ = past_data
    order = np.r_[0:50, 100:150, 50:100, 150 : len(X)]  # recording 100 split
    with pytest.raises(ValueError, match="rows of recording 100 are not contiguous"):
        fitted.predict(X[order], groups=g[order])
    with pytest.raises(ValueError, match="not contiguous.*GroupKFold"):
        clone(fitted).fit(X[order], y[order], groups=g[order])
    # The frame-wise model reads no order: interleaved groups are fine there.
    framewise = clone(fitted).set_params(sequence_length=None, max_epochs=1)
    framewise.fit(X[order], y[order], groups=g[order])


# -- the model -----------------------------------------------------------------
def test_gru_head_runs_over_time_and_flattens_to_frames():
    head = GRUHead(3, (5, 4), 2)
    windows = torch.randn(6, 7, 3)
    out = head(windows)
    assert out.shape == (6, 7, 2)
    # Causal: the output at position t depends on positions <= t only.
    torch.testing.assert_close(head(windows[:, :4]), out[:, :4])
    # A window of one frame is the paper's single-time-step head.
    torch.testing.assert_close(head(windows[:, 0]), out[:, 0])

    module = SEWModule(
        n_weak=3,
        n_strong={"strong": 2},
        n_outputs=2,
        weak_hidden=(8,),
        strong_hidden={"strong": (4,)},
        latent_dim=5,
        activation="tanh",
        head="gru",
        head_hidden=(4,),
        build_translator=True,
        build_strong_encoder=True,
        build_strong_decoder=True,
    )
    out = module(windows, strong=torch.randn(6, 7, 2))
    assert out["y_pred"].shape == (42, 2) and out["weak_code"].shape == (42, 5)
    assert out["strong"]["strong"]["translation"].shape == (42, 2)
    # The chance level of the alignment pairs frames of different windows.
    loss = SEWLoss(n_components=2, frames_per_window=7)
    expected = loss._alignment(
        out["strong"]["strong"]["strong_code"].roll(7, dims=0), out["weak_code"]
    )
    torch.testing.assert_close(loss.alignment_chance(out), expected)


def test_sequence_model_beats_the_framewise_one_on_a_past_dependent_target(
    past_data, tiny
):
    # y_t is the mean of x over the 10 frames up to t: x_t alone explains a
    # tenth of its variance (CCC about 0.3 at best), the window all of it.
    # Paired over 3 seeds, same head, same epochs; measured CCC on the test
    # recordings: frame-wise 0.21-0.24, sequence 0.89-0.91, paired gain
    # +0.68 [+0.62, +0.73], 3/3 won. Asserted: a gain above 0.4 on each seed.
    (X, y, g), (X_test, y_test, g_test) = past_data
    framewise, sequence = [], []
    for seed in range(3):
        params = dict(SEQ, max_epochs=15, random_state=seed)
        flat = tiny(SEWRegressor, **params).fit(X, y, groups=g)
        seq = tiny(SEWRegressor, sequence_length=10, **params).fit(X, y, groups=g)
        framewise.append(ccc_score(y_test, flat.predict(X_test, groups=g_test)))
        sequence.append(ccc_score(y_test, seq.predict(X_test, groups=g_test)))
    gain = paired_gain(sequence, framewise)
    assert gain.wins == 3
    assert min(np.subtract(sequence, framewise)) > 0.4, gain
    assert max(framewise) < 0.35 < 0.8 < min(sequence), (framewise, sequence)


def test_unlabeled_frames_are_context_and_masked_in_the_loss(past_data, tiny):
    (X, y, g), (X_test, y_test, g_test) = past_data
    # Half the frames unlabeled, in runs: with windows they stay as the past
    # of the labeled frames, even without X_strong.
    y_part = y.copy()
    y_part[(np.arange(len(y)) // 5) % 2 == 1] = np.nan
    seq = tiny(SEWRegressor, sequence_length=10, max_epochs=15, **SEQ)
    seq.fit(X, y_part, groups=g)
    assert (seq.n_labeled_, seq.n_unlabeled_) == (400, 400)
    assert np.isfinite(seq.history_[:, "train_prediction_loss"]).all()
    assert ccc_score(y_test, seq.predict(X_test, groups=g_test)) > 0.8
    # NaN targets still score on the labeled rows only.
    assert np.isfinite(seq.score(X, y_part, groups=g))
    # Frame-wise and uni-modal, unlabeled rows are refused as before.
    with pytest.raises(ValueError, match="unlabeled row"):
        tiny(SEWRegressor).fit(X, y_part)

    # With X_strong and early stopping: windows without a label are never
    # held out (the validation loss needs labels).
    XS = np.c_[y, np.sin(3 * y)] + 0.1 * np.random.default_rng(0).normal(size=(800, 2))
    y_sparse = np.full_like(y, np.nan)
    y_sparse[::40] = y[::40]
    sew = tiny(
        SEWRegressor,
        sequence_length=10,
        early_stopping=True,
        validation_fraction=0.2,
        **SEQ,
    ).fit(X, y_sparse, X_strong=XS, groups=g)
    assert np.isfinite(sew.history_[:, "valid_prediction_loss"]).all()
    assert np.isfinite(sew.history_[:, "train_alignment_loss"]).all()


def test_classifier_with_windows_and_unlabeled_rows(past_data, tiny):
    (X, y, g), (X_test, y_test, g_test) = past_data
    labels = np.where(y > 0, "up", "down").astype(object)
    labels[::3] = "-1"
    clf = tiny(SEWClassifier, sequence_length=10, max_epochs=10, **SEQ)
    clf.fit(X, labels, groups=g)
    assert clf.n_unlabeled_ == int((labels == "-1").sum())
    proba = clf.predict_proba(X_test, groups=g_test)
    assert proba.shape == (len(X_test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    y_test_labels = np.where(y_test > 0, "up", "down")
    assert clf.score(X_test, y_test_labels, groups=g_test) > 0.75
    # Unlabeled rows stay in predict (the past of the labeled ones), then
    # are left out of the score.
    masked = y_test_labels.astype(object)
    masked[::2] = "-1"
    expected = np.mean(clf.predict(X_test, groups=g_test)[1::2] == y_test_labels[1::2])
    assert clf.score(X_test, masked, groups=g_test) == pytest.approx(expected)


def test_transform_stays_per_frame(fitted, past_data):
    _, (X, _, _) = past_data
    codes = fitted.transform(X)
    assert codes.shape == (len(X), 4)
    np.testing.assert_allclose(codes[:10], fitted.transform(X[:10]), rtol=1e-6)


# -- errors --------------------------------------------------------------------
def test_input_errors(past_data, tiny):
    (X, y, g), _ = past_data
    seq = tiny(SEWRegressor, sequence_length=10, **SEQ)
    with pytest.raises(ValueError, match="sequence_length=10 needs groups"):
        seq.fit(X, y)
    with pytest.raises(ValueError, match="groups has 799 entries but X has 800"):
        seq.fit(X, y, groups=g[:-1])
    with pytest.raises(ValueError, match="groups must be 1-D"):
        seq.fit(X, y, groups=g[:, None])
    short = g.copy()
    short[:4] = 7  # a recording of 4 frames
    with pytest.raises(ValueError, match=r"1 recording\(s\) are shorter: 7 \(4 "):
        seq.fit(X, y, groups=short)
    with pytest.raises(ValueError, match="needs a recurrent head, head='gru'"):
        clone(seq).set_params(head="mlp").fit(X, y, groups=g)
    with pytest.raises(ValueError, match="sequence_length"):
        clone(seq).set_params(sequence_length=0).fit(X, y, groups=g)
    assert not hasattr(seq, "n_features_in_")  # a failed fit leaves nothing
    seq.set_params(max_epochs=1).fit(X, y, groups=g)
    with pytest.raises(ValueError, match="groups has 3 entries but X has 800"):
        seq.predict(X, groups=g[:3])
    # The frame-wise model ignores groups, but checks its length.
    flat = tiny(SEWRegressor, max_epochs=1).fit(X, y, groups=g)
    with pytest.raises(ValueError, match="groups has 3 entries"):
        flat.predict(X, groups=g[:3])
    with pytest.raises(ValueError, match="groups has 3 entries"):
        tiny(SEWRegressor).fit(X, y, groups=g[:3])


def test_the_saturation_warning_counts_the_frames_of_the_windows(past_data, tiny):
    (X, y, g), _ = past_data
    XS = X[:, :2] + 1.0
    params = dict(SEQ, alignment="cca", latent_dim=16, max_epochs=1)
    with pytest.warns(
        UserWarning, match=r"batches of 10 rows \(windows of 10 frames\)"
    ):
        tiny(SEWRegressor, sequence_length=10, **{**params, "batch_size": 1}).fit(
            X, y, X_strong=XS, groups=g
        )
    # 2 windows of 10 frames: 20 rows a batch, more than latent_dim + 1.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        tiny(SEWRegressor, sequence_length=10, **{**params, "batch_size": 2}).fit(
            X, y, X_strong=XS, groups=g
        )


# -- scikit-learn --------------------------------------------------------------
def test_groupkfold_with_routing_sends_groups_to_splitter_fit_and_score(
    past_data, tiny
):
    (X, y, g), _ = past_data
    XS = np.c_[y, y**2]
    seq = tiny(SEWRegressor, sequence_length=10, max_epochs=3, **SEQ)
    cv = GroupKFold(n_splits=4)
    expected = [
        clone(seq)
        .fit(X[tr], y[tr], X_strong=XS[tr], groups=g[tr])
        .score(X[te], y[te], groups=g[te])
        for tr, te in cv.split(X, y, g)
    ]
    with sklearn.config_context(enable_metadata_routing=True):
        routed = (
            clone(seq)
            .set_fit_request(groups=True, X_strong=True)
            .set_score_request(groups=True)
        )
        scores = cross_validate(
            routed, X, y, cv=cv, params={"groups": g, "X_strong": XS}
        )["test_score"]
        np.testing.assert_array_equal(scores, expected)

        # In a Pipeline, groups reach fit and predict through the routing too.
        pipe = make_pipeline(
            StandardScaler(),
            clone(seq).set_fit_request(groups=True).set_predict_request(groups=True),
        )
        pipe.fit(X, y, groups=g)
        direct = clone(seq).fit(StandardScaler().fit_transform(X), y, groups=g)
        np.testing.assert_array_equal(
            pipe.predict(X, groups=g),
            direct.predict(StandardScaler().fit_transform(X), groups=g),
        )


def test_groups_without_routing(past_data, tiny):
    (X, y, g), _ = past_data
    seq = tiny(SEWRegressor, sequence_length=10, max_epochs=2, **SEQ)
    # cross_validate: groups to the splitter, params to fit; the scorer
    # calls predict without groups, so each test fold is read as one
    # recording (documented).
    cv = cross_validate(
        seq, X, y, cv=GroupKFold(n_splits=2), groups=g, params={"groups": g}
    )
    assert np.isfinite(cv["test_score"]).all()
    # A Pipeline passes <step>__groups to fit and groups to predict.
    pipe = make_pipeline(StandardScaler(), seq)
    pipe.fit(X, y, sewregressor__groups=g)
    assert pipe.predict(X, groups=g).shape == (len(X),)
    with pytest.raises(ValueError, match="needs groups"):
        make_pipeline(StandardScaler(), clone(seq)).fit(X, y)


def test_grid_search_over_sequence_length(past_data, tiny):
    (X, y, g), _ = past_data
    base = tiny(SEWRegressor, max_epochs=8, **SEQ)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            base.set_fit_request(groups=True).set_score_request(groups=True),
            {"sequence_length": [None, 10]},
            cv=GroupKFold(n_splits=2),
        ).fit(X, y, groups=g)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_ == {"sequence_length": 10}
    assert scores[1] > scores[0] + 0.3, scores
    assert search.best_estimator_.sequence_length == 10

    # With routing off, a Pipeline carries groups to the step.
    pipe = make_pipeline(StandardScaler(), tiny(SEWRegressor, max_epochs=2, **SEQ))
    search = GridSearchCV(
        pipe, {"sewregressor__sequence_length": [None, 5]}, cv=GroupKFold(n_splits=2)
    ).fit(X, y, groups=g, sewregressor__groups=g)
    assert len(search.cv_results_["mean_test_score"]) == 2


def test_joblib_and_export_round_trips(fitted, past_data, tmp_path):
    _, (X, _, g) = past_data
    expected = fitted.predict(X, groups=g)
    joblib.dump(fitted, tmp_path / "seq.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "seq.joblib").predict(X, groups=g), expected
    )
    export_model(fitted, tmp_path / "seq.npz")
    loaded = load_model(tmp_path / "seq.npz")
    assert loaded.get_params() == fitted.get_params()
    assert loaded.sequence_length == 10
    np.testing.assert_array_equal(loaded.predict(X, groups=g), expected)

    # A file of format 3 (before sequence_length) loads as frame-wise.
    with np.load(tmp_path / "seq.npz", allow_pickle=False) as archive:
        arrays = dict(archive)
    config = json.loads(str(arrays["__config__"]))
    assert config["format_version"] == 5
    for key in ("sequence_length", "standardize_target"):
        del config["params"][key]
    del config["target_mean"], config["target_scale"]
    config["format_version"] = 3
    arrays["__config__"] = np.array(json.dumps(config))
    np.savez(tmp_path / "v3.npz", **arrays)
    old = load_model(tmp_path / "v3.npz")
    assert old.sequence_length is None and not old.standardize_target
    # The same weights read frame by frame: windows of one frame (the old file
    # knew no target scaling: its outputs are the network's).
    one_frame = load_model(tmp_path / "seq.npz").set_params(sequence_length=1)
    np.testing.assert_allclose(
        old.predict(X) * fitted.target_scale_ + fitted.target_mean_,
        one_frame.predict(X, groups=g),
        rtol=1e-5,
        atol=1e-6,
    )


def test_a_scorer_that_requests_groups_scores_per_recording(past_data, tiny):
    # Scorers call predict(X) without metadata; one that requests groups (as
    # the user guide shows) gets each test fold's, and predicts per recording.
    from sklearn.utils.metadata_routing import MetadataRequest

    class RecordingCCC:
        def __call__(self, estimator, X, y, groups=None):
            assert groups is not None and len(groups) == len(X)
            return ccc_score(y, estimator.predict(X, groups=groups))

        def get_metadata_routing(self):
            request = MetadataRequest(owner="RecordingCCC")
            request.score.add_request(param="groups", alias=True)
            return request

    (X, y, g), _ = past_data
    seq = tiny(SEWRegressor, sequence_length=10, max_epochs=2, **SEQ)
    cv = GroupKFold(n_splits=2)
    expected = [
        ccc_score(
            y[te],
            clone(seq).fit(X[tr], y[tr], groups=g[tr]).predict(X[te], groups=g[te]),
        )
        for tr, te in cv.split(X, y, g)
    ]
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_validate(
            clone(seq).set_fit_request(groups=True),
            X,
            y,
            cv=cv,
            params={"groups": g},
            scoring=RecordingCCC(),
        )["test_score"]
    np.testing.assert_array_equal(scores, expected)


def test_groups_reach_the_estimator_only_when_requested(past_data, tiny):
    # With routing on, groups are the splitter's unless the estimator asks
    # for them: code written before SEW took groups runs unchanged.
    (X, y, g), _ = past_data
    XS = np.c_[y, y**2]
    assert SEWRegressor().get_metadata_routing().fit.requests["groups"] is False
    with sklearn.config_context(enable_metadata_routing=True):
        flat = tiny(SEWRegressor, max_epochs=1).set_fit_request(X_strong=True)
        cv = cross_validate(
            flat, X, y, cv=GroupKFold(2), params={"groups": g, "X_strong": XS}
        )
        assert np.isfinite(cv["test_score"]).all()
        seq = tiny(SEWRegressor, sequence_length=10, max_epochs=1, **SEQ)
        with pytest.raises(ValueError, match="needs groups.*set_fit_request"):
            cross_validate(
                seq, X, y, cv=GroupKFold(2), params={"groups": g}, error_score="raise"
            )
