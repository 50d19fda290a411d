import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn.datasets import load_avec2016, make_recola_like
from sewlearn.metrics import ccc_score

MODALITIES = ("audio", "video_geometric", "video_appearance")
DIMS = {"audio": 88, "video_geometric": 632, "video_appearance": 168}
BUNCH_KEYS = {
    "features",
    "targets",
    "groups",
    "partition",
    "time",
    "feature_names",
    "DESCR",
}


def _ridge():
    return make_pipeline(StandardScaler(), Ridge(alpha=1.0))


@pytest.fixture(scope="module")
def tiny():
    return make_recola_like(n_recordings=2, n_frames=300, random_state=0)


# --------------------------------------------------------------------------
# make_recola_like
# --------------------------------------------------------------------------


def test_recola_like_structure(tiny):
    n = 3 * 2 * 300
    assert set(tiny) == BUNCH_KEYS
    assert set(tiny.features) == set(MODALITIES)
    assert set(tiny.targets) == {"arousal", "valence"}
    for name, d in DIMS.items():
        X = tiny.features[name]
        assert X.shape == (n, d)
        assert X.dtype == np.float32
        assert np.all(np.isfinite(X))
        assert len(tiny.feature_names[name]) == d
        assert len(set(tiny.feature_names[name])) == d
    assert tiny.feature_names["audio"][0] == "audio_000"
    assert tiny.feature_names["video_geometric"][-1] == "geo_631"
    for y in tiny.targets.values():
        assert y.shape == (n,)
        assert y.dtype == np.float32
    assert tiny.groups.shape == tiny.partition.shape == tiny.time.shape == (n,)
    assert "RECOLA" in tiny.DESCR


def test_recola_like_groups_partition_time(tiny):
    expected_groups = ["train_1", "train_2", "dev_1", "dev_2", "test_1", "test_2"]
    assert_array_equal(tiny.groups, np.repeat(expected_groups, 300))
    assert_array_equal(
        tiny.partition, np.repeat(["train", "dev", "test"], 600).astype(str)
    )
    assert_allclose(tiny.time[:300], np.arange(300) * 0.04)
    assert_allclose(tiny.time[300:600], tiny.time[:300])
    assert tiny.time[299] == pytest.approx(11.96)
    # the documented way to select a partition
    train = tiny.partition == "train"
    assert train.sum() == 600
    assert set(tiny.groups[train]) == {"train_1", "train_2"}


def test_recola_like_partitions_argument():
    data = make_recola_like(
        n_recordings=3, n_frames=50, partitions=("dev",), random_state=1
    )
    assert data.features.audio.shape == (150, 88)
    assert_array_equal(np.unique(data.groups), ["dev_1", "dev_2", "dev_3"])
    assert set(data.partition) == {"dev"}
    data = make_recola_like(
        n_recordings=1, n_frames=10, partitions=["test", "train"], random_state=1
    )
    assert_array_equal(data.partition, ["test"] * 10 + ["train"] * 10)


def test_recola_like_default_size_is_recola():
    # the shape of RECOLA without generating it: 9 recordings of 7501 frames
    import inspect

    defaults = inspect.signature(make_recola_like).parameters
    assert defaults["n_recordings"].default == 9
    assert defaults["n_frames"].default == 7501
    assert defaults["partitions"].default == ("train", "dev", "test")
    assert 7500 * 0.04 == pytest.approx(300.0)  # five minutes


def test_recola_like_target_ranges(tiny):
    for y in tiny.targets.values():
        assert y.min() >= -1.0
        assert y.max() <= 1.0
        assert y.std() > 0.05  # not degenerate
    # like the real annotations, traces stay well inside [-1, 1] mostly
    assert np.mean(np.abs(tiny.targets.arousal) < 0.95) > 0.9


def test_recola_like_traces_smooth():
    data = make_recola_like(n_recordings=3, n_frames=1500, random_state=3)
    for y in data.targets.values():
        for group in np.unique(data.groups):
            trace = y[data.groups == group].astype(np.float64)
            lag1 = np.corrcoef(trace[:-1], trace[1:])[0, 1]
            assert lag1 > 0.99
            # slow: frame-to-frame steps are tiny compared with the range
            assert np.max(np.abs(np.diff(trace))) < 0.05


def test_recola_like_deterministic():
    kwargs = dict(n_recordings=2, n_frames=100, partitions=("train",))
    a = make_recola_like(random_state=42, **kwargs)
    b = make_recola_like(random_state=42, **kwargs)
    c = make_recola_like(random_state=43, **kwargs)
    for name in MODALITIES:
        assert_array_equal(a.features[name], b.features[name])
        assert not np.allclose(a.features[name], c.features[name])
    for t in ("arousal", "valence"):
        assert_array_equal(a.targets[t], b.targets[t])
    d = make_recola_like(random_state=None, **kwargs)
    e = make_recola_like(random_state=None, **kwargs)
    assert not np.array_equal(d.targets.arousal, e.targets.arousal)
    rs = np.random.RandomState(0)
    f = make_recola_like(random_state=rs, **kwargs)
    assert f.features.audio.shape == (200, 88)


def test_recola_like_noise_zero_is_cleaner():
    kwargs = dict(n_recordings=4, n_frames=600, partitions=("train",), random_state=5)
    clean = make_recola_like(noise=0.0, **kwargs)
    noisy = make_recola_like(noise=3.0, **kwargs)

    def fit_r2(data):
        X, y = data.features.video_appearance, data.targets.arousal
        return _ridge().fit(X, y).score(X, y)

    assert fit_r2(clean) > fit_r2(noisy) + 0.1


def _best_lag(data, lags):
    """The shift of the labels against the features that fits best."""
    scores = []
    for lag in lags:
        X, y = [], []
        for group in np.unique(data.groups):
            rows = data.groups == group
            X.append(data.features.audio[rows][: rows.sum() - lag])
            y.append(data.targets.arousal[rows][lag:])
        X, y = np.concatenate(X), np.concatenate(y)
        scores.append(_ridge().fit(X, y).score(X, y))
    return lags[int(np.argmax(scores))]


@pytest.mark.parametrize("delay, expected_lag", [(2.0, 50), (0.0, 0)])
def test_recola_like_annotation_delay(delay, expected_lag):
    data = make_recola_like(
        n_recordings=3,
        n_frames=1500,
        partitions=("train",),
        annotation_delay=delay,
        noise=0.0,
        random_state=0,
    )
    assert _best_lag(data, [0, 25, 50, 75]) == expected_lag


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_recordings=0), "n_recordings"),
        (dict(n_recordings=2.5), "n_recordings"),
        (dict(n_recordings=True), "n_recordings"),
        (dict(n_frames=0), "n_frames"),
        (dict(n_frames="10"), "n_frames"),
        (dict(partitions=("train", "val")), "partitions"),
        (dict(partitions=("train", "train")), "partitions"),
        (dict(partitions=()), "partitions"),
        (dict(annotation_delay=-1.0), "annotation_delay"),
        (dict(annotation_delay=np.nan), "annotation_delay"),
        (dict(noise=-0.1), "noise"),
        (dict(noise=np.inf), "noise"),
        (dict(noise="high"), "noise"),
        (dict(random_state="seed"), "seed"),
    ],
)
def test_recola_like_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_recola_like(**{"n_frames": 10, **kwargs})


def test_recola_like_table1_ordering():
    """Uni-modal ridge baselines reproduce the pattern of the paper's Table 1.

    Paper (CCC on dev): arousal audio .761 / geo .482 / app .492; valence
    audio .543 / geo .643 / app .489.
    """
    data = make_recola_like(
        n_recordings=9, n_frames=4000, partitions=("train", "dev"), random_state=0
    )
    train, dev = data.partition == "train", data.partition == "dev"
    ccc = {}
    for target in ("arousal", "valence"):
        y = data.targets[target]
        for name in MODALITIES:
            X = data.features[name]
            prediction = _ridge().fit(X[train], y[train]).predict(X[dev])
            ccc[target, name] = ccc_score(y[dev], prediction)

    # arousal: audio is clearly the strongest modality
    assert ccc["arousal", "audio"] > ccc["arousal", "video_geometric"] + 0.1
    assert ccc["arousal", "audio"] > ccc["arousal", "video_appearance"] + 0.1
    # valence: video-geometric beats audio and video-appearance
    assert ccc["valence", "video_geometric"] > ccc["valence", "audio"] + 0.05
    assert ccc["valence", "video_geometric"] > ccc["valence", "video_appearance"] + 0.05
    # every modality carries some of both dimensions, none is perfect
    for value in ccc.values():
        assert 0.2 < value < 0.9


# --------------------------------------------------------------------------
# load_avec2016
# --------------------------------------------------------------------------

SMALL_DIMS = {"audio": 3, "video_geometric": 4, "video_appearance": 2}


def _feature_values(recording, modality, target, n_frames):
    """Known feature values: recording, modality, target and frame encoded."""
    partition, number = recording.split("_")
    base = {"train": 0, "dev": 100, "test": 200}[partition] + int(number)
    offset = {"arousal": 0.0, "valence": 0.5}[target]
    d = SMALL_DIMS[modality]
    return (
        base * 1000
        + np.arange(n_frames)[:, None] * 10
        + np.arange(d)[None, :]
        + offset
        + MODALITIES.index(modality) * 0.1
    )


def _rating_values(recording, target, n_frames):
    sign = 1 if target == "arousal" else -1
    number = int(recording.split("_")[1])
    return sign * (np.arange(n_frames) / 100 + number / 10)


def _write_arff(path, names, types, rows, *, recording):
    lines = [f"@relation {recording}", "% a comment", ""]
    lines += [f"@attribute {name} {kind}" for name, kind in zip(names, types)]
    lines += ["", "@data"]
    for row in rows:
        lines.append(",".join([f"'{recording}'"] + [repr(float(v)) for v in row]))
    path.write_text("\n".join(lines) + "\n")


def _write_csv(path, names, rows, *, recording, delimiter):
    lines = [delimiter.join(names)]
    for row in rows:
        lines.append(delimiter.join([recording] + [repr(float(v)) for v in row]))
    path.write_text("\n".join(lines) + "\n")


def _write_file(folder, recording, names, values, fmt):
    folder.mkdir(parents=True, exist_ok=True)
    time = np.arange(len(values)) * 0.04
    rows = np.column_stack([time, values])
    if fmt == "arff":
        _write_arff(
            folder / f"{recording}.arff",
            ["Instance_name", "frameTime", *names],
            ["string"] + ["numeric"] * (len(names) + 1),
            rows,
            recording=recording,
        )
    else:
        _write_csv(
            folder / f"{recording}.csv",
            ["name", "frameTime", *names],
            rows,
            recording=recording,
            delimiter=";" if fmt == "csv;" else ",",
        )


def _write_avec(
    root,
    *,
    fmt="arff",
    recordings=("train_1", "train_2", "dev_1"),
    unrated=(),
    n_frames=6,
):
    """A tiny AVEC 2016 folder; ``unrated`` recordings have no ratings."""
    for recording in (*recordings, *unrated):
        for target in ("arousal", "valence"):
            for modality, d in SMALL_DIMS.items():
                _write_file(
                    root / f"features_{modality}" / target,
                    recording,
                    [f"{modality}_{target}_{j}" for j in range(d)],
                    _feature_values(recording, modality, target, n_frames),
                    fmt,
                )
            if recording in unrated:
                continue
            _write_file(
                root / "ratings_gold_standard" / target,
                recording,
                ["GoldStandard"],
                _rating_values(recording, target, n_frames)[:, None],
                fmt,
            )
    return root


@pytest.mark.parametrize("fmt", ["arff", "csv", "csv;"])
@pytest.mark.parametrize("target", ["arousal", "valence"])
def test_load_avec2016_values(tmp_path, fmt, target):
    root = _write_avec(tmp_path, fmt=fmt)
    data = load_avec2016(root, target=target, partitions=("train", "dev"))

    assert set(data) == BUNCH_KEYS
    recordings = ["train_1", "train_2", "dev_1"]
    assert_array_equal(data.groups, np.repeat(recordings, 6))
    assert_array_equal(data.partition, np.repeat(["train", "train", "dev"], 6))
    assert_allclose(data.time, np.tile(np.arange(6) * 0.04, 3))
    for modality, d in SMALL_DIMS.items():
        X = data.features[modality]
        assert X.dtype == np.float32
        assert X.shape == (18, d)
        expected = np.vstack(
            [_feature_values(r, modality, target, 6) for r in recordings]
        )
        assert_allclose(X, expected, rtol=1e-6)
        # the instance name and frameTime columns are not features
        assert data.feature_names[modality] == [
            f"{modality}_{target}_{j}" for j in range(d)
        ]
    for t in ("arousal", "valence"):
        assert data.targets[t].dtype == np.float32
        expected = np.concatenate([_rating_values(r, t, 6) for r in recordings])
        assert_allclose(data.targets[t], expected, rtol=1e-6)


def test_load_avec2016_same_structure_as_generator(tmp_path, tiny):
    data = load_avec2016(_write_avec(tmp_path), partitions=("train", "dev"))
    assert set(data) == set(tiny)
    assert set(data.features) == set(tiny.features)
    assert set(data.targets) == set(tiny.targets)
    assert data.groups.dtype.kind == tiny.groups.dtype.kind == "U"


def test_load_avec2016_annotation_delay(tmp_path):
    root = _write_avec(tmp_path, n_frames=10)
    data = load_avec2016(
        root,
        partitions=("train",),
        modalities=("audio",),
        annotation_delay=0.08,  # two frames
    )
    assert data.features.audio.shape == (16, 3)
    first = data.groups == "train_1"
    assert_allclose(
        data.features.audio[first],
        _feature_values("train_1", "audio", "arousal", 10)[:8],
    )
    assert_allclose(
        data.targets.arousal[first], _rating_values("train_1", "arousal", 10)[2:]
    )
    assert_allclose(data.time[first], np.arange(8) * 0.04)
    with pytest.raises(ValueError, match="train_1"):
        load_avec2016(root, partitions=("train",), annotation_delay=0.4)


def test_load_avec2016_modalities_and_partitions(tmp_path):
    root = _write_avec(tmp_path, recordings=("train_2", "train_10", "train_1", "dev_1"))
    data = load_avec2016(root, partitions=["train"], modalities=["video_geometric"])
    assert set(data.features) == {"video_geometric"}
    assert set(data.feature_names) == {"video_geometric"}
    # numerical, not lexicographic, order of the recordings
    assert_array_equal(data.groups, np.repeat(["train_1", "train_2", "train_10"], 6))


def test_load_avec2016_missing_test_ratings(tmp_path):
    root = _write_avec(tmp_path, recordings=("train_1", "dev_1"), unrated=("test_1",))
    # the default partitions are those with ratings in the release
    data = load_avec2016(root)
    assert_array_equal(np.unique(data.partition), ["dev", "train"])
    all_partitions = ("train", "dev", "test")
    with pytest.raises(FileNotFoundError, match="test_1") as error:
        load_avec2016(root, partitions=all_partitions)
    assert "ratings_gold_standard" in str(error.value)
    assert "missing_ratings='nan'" in str(error.value)
    data = load_avec2016(root, partitions=all_partitions, missing_ratings="nan")
    test = data.partition == "test"
    assert test.sum() == 6
    assert np.all(np.isnan(data.targets.arousal[test]))
    assert np.all(np.isnan(data.targets.valence[test]))
    assert not np.any(np.isnan(data.targets.arousal[~test]))
    assert_allclose(data.time[test], np.arange(6) * 0.04)


def test_load_avec2016_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does_not_exist"):
        load_avec2016(tmp_path / "does_not_exist")
    root = _write_avec(tmp_path)
    for path in (root / "features_video_appearance" / "valence").iterdir():
        path.unlink()
    (root / "features_video_appearance" / "valence").rmdir()
    load_avec2016(root, partitions=("train",))  # arousal features are there
    with pytest.raises(FileNotFoundError, match="features_video_appearance"):
        load_avec2016(root, target="valence", partitions=("train",))


def test_load_avec2016_missing_partition_or_file(tmp_path):
    root = _write_avec(tmp_path, recordings=("train_1", "train_2"))
    with pytest.raises(FileNotFoundError, match="dev_"):
        load_avec2016(root, partitions=("dev",))
    (root / "features_video_geometric" / "arousal" / "train_2.arff").unlink()
    with pytest.raises(FileNotFoundError, match="train_2"):
        load_avec2016(root, partitions=("train",))


def test_load_avec2016_wrong_number_of_rows(tmp_path):
    root = _write_avec(tmp_path)
    _write_file(
        root / "features_video_geometric" / "arousal",
        "train_2",
        [f"video_geometric_arousal_{j}" for j in range(4)],
        np.zeros((5, 4)),
        "arff",
    )
    with pytest.raises(ValueError, match=r"features_video_geometric.*train_2\.arff"):
        load_avec2016(root, partitions=("train",))
    # the valence features are fine
    load_avec2016(root, target="valence", partitions=("train",))


def test_load_avec2016_missing_label_column(tmp_path):
    root = _write_avec(tmp_path)
    with pytest.raises(ValueError, match=r"train_1\.arff.*Arousal"):
        load_avec2016(root, label_column="Arousal")


def test_load_avec2016_custom_columns(tmp_path):
    folder = tmp_path / "ratings_gold_standard"
    for target in ("arousal", "valence"):
        (folder / target).mkdir(parents=True)
        (folder / target / "train_1.csv").write_text("t,rating\n0.0,0.5\n0.1,0.6\n")
        features = tmp_path / "features_audio" / target
        features.mkdir(parents=True)
        (features / "train_1.csv").write_text("t,a,b\n0.0,1,2\n0.1,3,4\n")
    data = load_avec2016(
        tmp_path,
        partitions=("train",),
        modalities=("audio",),
        label_column="rating",
        time_column="t",
    )
    assert data.feature_names["audio"] == ["a", "b"]
    assert_allclose(data.time, [0.0, 0.1])
    assert_allclose(data.targets.valence, [0.5, 0.6])
    # without a time column: frame index times 40 ms, every numeric column kept
    data = load_avec2016(
        tmp_path,
        partitions=("train",),
        modalities=("audio",),
        label_column="rating",
        time_column="time",
    )
    assert data.feature_names["audio"] == ["t", "a", "b"]
    assert_allclose(data.time, [0.0, 0.04])


def test_load_avec2016_arff_details(tmp_path):
    text = """% AVEC-like file
@RELATION 'my relation'

@ATTRIBUTE 'instance name' STRING
@attribute frameTime numeric
@attribute 'F0 mean' REAL
@attribute voiced {yes,no}
@attribute count INTEGER

@DATA
'train_1',0.00,1.5,yes,3
% a comment in the data
'train_1',0.04,?,no,4
"""
    ratings = "@relation r\n@attribute GoldStandard numeric\n@data\n0.1\n0.2\n"
    for target in ("arousal", "valence"):
        folder = tmp_path / "features_audio" / target
        folder.mkdir(parents=True)
        (folder / "train_1.arff").write_text(text)
        folder = tmp_path / "ratings_gold_standard" / target
        folder.mkdir(parents=True)
        (folder / "train_1.arff").write_text(ratings)
    data = load_avec2016(tmp_path, partitions=("train",), modalities=("audio",))
    assert data.feature_names["audio"] == ["F0 mean", "count"]
    assert_allclose(data.features.audio, [[1.5, 3.0], [np.nan, 4.0]])
    assert_allclose(data.time, [0.0, 0.04])
    assert_allclose(data.targets.arousal, [0.1, 0.2], rtol=1e-6)


def test_load_avec2016_unparsable_files(tmp_path):
    root = _write_avec(tmp_path)
    path = root / "features_audio" / "arousal" / "train_1.arff"
    path.write_text(path.read_text().replace("@data", "@dat"))
    with pytest.raises(ValueError, match="train_1.arff"):
        load_avec2016(root, partitions=("train",))
    path.write_text(
        "@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n1,2\n3\n"
    )
    with pytest.raises(ValueError, match=r"train_1\.arff.*row 2"):
        load_avec2016(root, partitions=("train",))
    path.write_text(
        "@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n1,2\n3,x\n"
    )
    with pytest.raises(ValueError, match=r"train_1\.arff.*'x'"):
        load_avec2016(root, partitions=("train",))


def test_load_avec2016_feature_columns_differ(tmp_path):
    root = _write_avec(tmp_path)
    _write_file(
        root / "features_audio" / "arousal",
        "train_2",
        ["other_0", "other_1", "other_2"],
        np.zeros((6, 3)),
        "arff",
    )
    with pytest.raises(ValueError, match=r"train_2\.arff.*feature columns"):
        load_avec2016(root, partitions=("train",))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(target="dominance"), "target"),
        (dict(partitions=("validation",)), "partitions"),
        (dict(modalities=("text",)), "modalities"),
        (dict(modalities=()), "modalities"),
        (dict(annotation_delay=-0.04), "annotation_delay"),
        (dict(missing_ratings="zero"), "missing_ratings"),
        (dict(time_column=None), "time_column"),
        (dict(label_column=1), "label_column"),
    ],
)
def test_load_avec2016_invalid_arguments(tmp_path, kwargs, match):
    root = _write_avec(tmp_path)
    with pytest.raises(ValueError, match=match):
        load_avec2016(root, **kwargs)


# --------------------------------------------------------------------------
# load_avec2016 on the format of the release as shipped
# --------------------------------------------------------------------------

RELEASE_FRAMES = 5


def _release_values(recording, modality, target, n_frames=RELEASE_FRAMES):
    """Known features: recording, target, frame and column encoded."""
    partition, number = recording.split("_")
    base = {"train": 0, "dev": 100, "test": 200}[partition] + int(number)
    offset = 0.25 if target == "valence" else 0.0
    return (
        base
        + offset
        + np.arange(n_frames)[:, None] * 0.5
        + np.arange(DIMS[modality])[None, :] * 0.01
    )


def _release_feature_names(modality):
    return [f"{modality}_descriptor_{j}" for j in range(DIMS[modality])]


def _write_release_features(
    root, recording, modality, target, *, time=None, time_name="frameTime", bom=False
):
    """A feature file as released: a time column, then the features, no name."""
    values = _release_values(recording, modality, target)
    if time is None:
        time = np.arange(len(values)) * 0.04
    lines = [f"@relation AVEC2016_{modality}", ""]
    lines.append(f"@attribute {time_name} numeric")
    lines += [f"@attribute {name} numeric" for name in _release_feature_names(modality)]
    lines += ["", "@data", ""]
    for t, row in zip(time, values):
        lines.append(",".join([f"{t:.6f}"] + [f"{v:.6f}" for v in row]))
    folder = root / f"features_{modality}" / target
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    (folder / f"{recording}.arff").write_text(("\ufeff" if bom else "") + text)


def _write_release_ratings(root, recording, target, *, time=None):
    """A gold-standard file as released: unquoted names, blank lines."""
    values = _rating_values(recording, target, RELEASE_FRAMES)
    if time is None:
        time = np.arange(len(values)) * 0.04
    lines = [
        f"@relation GOLDSTANDARD_{target.upper()}",
        "",
        "@attribute Instance_name string",
        "@attribute frameTime numeric",
        "@attribute GoldStandard numeric",
        "",
        "",
        "@data",
        "",
        "",
    ]
    lines += [f"{recording},{t:g},{float(v)!r}" for t, v in zip(time, values)]
    folder = root / "ratings_gold_standard" / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{recording}.arff").write_text("\n".join(lines) + "\n")


@pytest.fixture
def avec_release(tmp_path):
    """A tiny AVEC 2016 folder in the release's format, test ratings left out.

    The audio arousal features of train_1 start with a byte order mark.
    """
    for recording in ("train_1", "dev_1", "test_1"):
        for target in ("arousal", "valence"):
            for modality in MODALITIES:
                bom = (recording, modality, target) == ("train_1", "audio", "arousal")
                _write_release_features(tmp_path, recording, modality, target, bom=bom)
            if recording != "test_1":
                _write_release_ratings(tmp_path, recording, target)
    return tmp_path


def test_avec_release_fixture_is_the_release_format(avec_release):
    path = avec_release / "features_audio" / "arousal" / "train_1.arff"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf@relation")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[2] == "@attribute frameTime numeric"
    assert sum(line.startswith("@attribute") for line in lines) == 89
    assert lines[lines.index("@data") + 1] == ""
    assert lines[-1].startswith("0.160000,")  # no instance name
    text = (
        avec_release / "ratings_gold_standard" / "valence" / "dev_1.arff"
    ).read_text()
    assert text.startswith("@relation GOLDSTANDARD_VALENCE\n")
    assert "@attribute Instance_name string\n" in text
    assert "\ndev_1,0.04," in text  # unquoted
    assert not (
        avec_release / "ratings_gold_standard" / "arousal" / "test_1.arff"
    ).exists()


@pytest.mark.parametrize("target", ["arousal", "valence"])
def test_load_avec2016_release_format(avec_release, target):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the defaults load the release as shipped (no test ratings)
        data = load_avec2016(avec_release, target=target)
    n = RELEASE_FRAMES
    assert_array_equal(data.groups, np.repeat(["train_1", "dev_1"], n))
    assert_array_equal(data.partition, np.repeat(["train", "dev"], n))
    assert_allclose(data.time, np.tile(np.arange(n) * 0.04, 2))
    for modality, d in DIMS.items():
        assert data.features[modality].shape == (2 * n, d)
        assert data.feature_names[modality] == _release_feature_names(modality)
        expected = np.vstack(
            [_release_values(r, modality, target) for r in ("train_1", "dev_1")]
        )
        assert_allclose(data.features[modality], expected, rtol=1e-6)
    for t in ("arousal", "valence"):
        expected = np.concatenate(
            [_rating_values(r, t, n) for r in ("train_1", "dev_1")]
        )
        assert_allclose(data.targets[t], expected, rtol=1e-6)
    assert "7,501 frames" in data.DESCR
    assert "no face" in data.DESCR


def test_load_avec2016_release_test_partition(avec_release):
    partitions = ("train", "dev", "test")
    with pytest.raises(FileNotFoundError, match="test_1"):
        load_avec2016(avec_release, partitions=partitions)
    data = load_avec2016(avec_release, partitions=partitions, missing_ratings="nan")
    test = data.partition == "test"
    assert test.sum() == RELEASE_FRAMES
    assert np.all(np.isnan(data.targets.arousal[test]))
    assert_allclose(
        data.features.video_appearance[test],
        _release_values("test_1", "video_appearance", "arousal"),
        rtol=1e-6,
    )
    assert_allclose(data.time[test], np.arange(RELEASE_FRAMES) * 0.04)


def test_load_avec2016_byte_order_mark(tmp_path):
    # a BOM before the header made "\ufeffframeTime" a feature column
    for target in ("arousal", "valence"):
        folder = tmp_path / "features_audio" / target
        folder.mkdir(parents=True)
        (folder / "train_1.csv").write_text("\ufeffframeTime;a;b\n0.0;1;2\n0.04;3;4\n")
        folder = tmp_path / "ratings_gold_standard" / target
        folder.mkdir(parents=True)
        (folder / "train_1.arff").write_text(
            "\ufeff@relation GOLDSTANDARD\n@attribute GoldStandard numeric\n"
            "@data\n0.5\n0.6\n"
        )
    data = load_avec2016(tmp_path, partitions=("train",), modalities=("audio",))
    assert data.feature_names["audio"] == ["a", "b"]
    assert_allclose(data.features.audio, [[1, 2], [3, 4]])
    assert_allclose(data.time, [0.0, 0.04])
    assert_allclose(data.targets.arousal, [0.5, 0.6], rtol=1e-6)


@pytest.mark.parametrize(
    "name", ["frametime", "FRAMETIME", "time", "Time", "timestamp", "frame_time"]
)
def test_load_avec2016_time_column_recognised(avec_release, name):
    # a time column not named exactly frameTime used to become a feature
    for recording in ("train_1", "dev_1"):
        _write_release_features(
            avec_release, recording, "audio", "arousal", time_name=name
        )
    data = load_avec2016(avec_release, modalities=("audio",))
    assert data.feature_names["audio"] == _release_feature_names("audio")
    assert data.features.audio.shape == (2 * RELEASE_FRAMES, 88)
    assert_allclose(
        data.features.audio[:RELEASE_FRAMES],
        _release_values("train_1", "audio", "arousal"),
        rtol=1e-6,
    )
    assert_allclose(data.time, np.tile(np.arange(RELEASE_FRAMES) * 0.04, 2))


def test_load_avec2016_unrecognised_time_column(avec_release):
    for recording in ("train_1", "dev_1"):
        _write_release_features(
            avec_release, recording, "audio", "arousal", time_name="t_sec"
        )
    path = avec_release / "features_audio" / "arousal" / "train_1.arff"
    message = (
        f"{path}: its first column 't_sec' rises in 0.04 s steps: it holds the "
        "frame time, not a feature. Pass time_column='t_sec'."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_avec2016(avec_release, modalities=("audio",))
    data = load_avec2016(avec_release, modalities=("audio",), time_column="t_sec")
    assert data.feature_names["audio"] == _release_feature_names("audio")
    assert_allclose(data.time[:RELEASE_FRAMES], np.arange(RELEASE_FRAMES) * 0.04)


def test_load_avec2016_one_feature_column_too_many(avec_release):
    # a first column that is not a 40 ms ramp (here an index): a warning
    for recording in ("train_1", "dev_1"):
        _write_release_features(
            avec_release,
            recording,
            "video_appearance",
            "arousal",
            time=np.arange(RELEASE_FRAMES),
            time_name="frameIndex",
        )
    path = avec_release / "features_video_appearance" / "arousal" / "train_1.arff"
    message = (
        f"{path}: 169 feature columns, one more than the 168 of the AVEC 2016 "
        "video_appearance features; its first column 'frameIndex' may be a time "
        "stamp (pass time_column='frameIndex') or an index, not a feature."
    )
    with pytest.warns(UserWarning, match=f"^{re.escape(message)}$") as record:
        data = load_avec2016(avec_release, modalities=("video_appearance",))
    assert len(record) == 1  # for the first recording only
    assert record[0].filename == __file__
    assert data.feature_names["video_appearance"][0] == "frameIndex"
    assert_allclose(data.features.video_appearance[:, 0], np.tile(np.arange(5), 2))


@pytest.mark.parametrize(
    "folder, recording",
    [
        ("ratings_gold_standard/valence", "dev_1"),
        ("features_video_geometric/arousal", "train_1"),
    ],
)
def test_load_avec2016_time_stamps_disagree(avec_release, folder, recording):
    # rows used to be paired by position even when their time stamps disagree
    shifted = (np.arange(RELEASE_FRAMES) + 1) * 0.04  # one frame late
    if folder.startswith("ratings"):
        _write_release_ratings(avec_release, recording, "valence", time=shifted)
    else:
        _write_release_features(
            avec_release, recording, "video_geometric", "arousal", time=shifted
        )
    path = avec_release / folder / f"{recording}.arff"
    reference = avec_release / "features_audio" / "arousal" / f"{recording}.arff"
    message = (
        f"{path}: row 1 is at 0.04 s, but row 1 of {reference} is at 0 s. The "
        f"files of recording {recording} are paired row by row: their time "
        "stamps must agree to less than half a frame (0.02 s)."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_avec2016(avec_release)


def test_load_avec2016_time_stamps_within_tolerance(avec_release):
    # rounded or slightly offset time stamps (less than half a frame) are fine
    time = np.arange(RELEASE_FRAMES) * 0.04 + 0.019
    _write_release_ratings(avec_release, "train_1", "arousal", time=time)
    data = load_avec2016(avec_release)
    # the time is that of the features
    assert_allclose(data.time[:RELEASE_FRAMES], np.arange(RELEASE_FRAMES) * 0.04)
    time[-1] += 0.002  # 21 ms off
    _write_release_ratings(avec_release, "train_1", "arousal", time=time)
    with pytest.raises(ValueError, match=r"train_1\.arff: row 5 is at 0\.181 s"):
        load_avec2016(avec_release)


def _replace_in(path, old, new):
    text = path.read_text(encoding="utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new))


def test_load_avec2016_rows_with_more_fields_than_declared(avec_release):
    # frameTime not declared: the rows' second field, the time, was read as
    # the gold standard ([0, 0.04, ...] instead of the ratings).
    path = avec_release / "ratings_gold_standard" / "arousal" / "train_1.arff"
    _replace_in(path, "@attribute frameTime numeric\n", "")
    with pytest.raises(ValueError, match=r"train_1\.arff: data row 1 has 3 fields"):
        load_avec2016(avec_release)


def test_load_avec2016_feature_row_with_one_value_too_many(avec_release):
    path = avec_release / "features_audio" / "arousal" / "dev_1.arff"
    lines = path.read_text().splitlines()
    lines[-2] += ",9.5"  # the fourth data row
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        ValueError, match=r"dev_1\.arff: data row 4 has 90 fields, expected 89"
    ):
        load_avec2016(avec_release)


def test_load_avec2016_missing_declaration_mid_file(avec_release):
    path = avec_release / "features_video_appearance" / "arousal" / "train_1.arff"
    _replace_in(path, "@attribute video_appearance_descriptor_7 numeric\n", "")
    with pytest.raises(ValueError, match=r"data row 1 has 169 fields, expected 168"):
        load_avec2016(avec_release)


def test_load_avec2016_csv_rows_with_more_fields_than_names(tmp_path):
    root = _write_avec(tmp_path, fmt="csv")
    path = root / "ratings_gold_standard" / "valence" / "dev_1.csv"
    _replace_in(path, "name,frameTime,GoldStandard", "frameTime,GoldStandard")
    with pytest.raises(ValueError, match=r"dev_1\.csv: data row 1 has 3 fields"):
        load_avec2016(root)


@pytest.mark.parametrize("row", [1, 2])
@pytest.mark.parametrize("fmt", ["arff", "csv"])
def test_load_avec2016_empty_cell_is_an_error_in_any_row(tmp_path, fmt, row):
    root = _write_avec(tmp_path, fmt=fmt)
    path = root / "features_audio" / "arousal" / f"train_2.{fmt}"
    lines = path.read_text().splitlines()
    i = len(lines) - 6 + row - 1  # data row ``row`` of 6
    fields = lines[i].split(",")
    fields[3] = ""  # the second feature
    lines[i] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        ValueError,
        match=rf"train_2\.{fmt}: data row {row}, column 4: empty; write \? for a "
        "missing value",
    ):
        load_avec2016(root)


def test_load_avec2016_no_data_rows_is_named(tmp_path):
    root = _write_avec(tmp_path, recordings=("train_1",), n_frames=0)
    with pytest.raises(ValueError, match=r"train_1\.arff: no data rows"):
        load_avec2016(root, partitions=("train",))


def test_load_avec2016_zero_padded_file_names(avec_release):
    for path in sorted(avec_release.glob("*/*/dev_1.arff")):
        path.rename(path.with_name("dev_01.arff"))
    data = load_avec2016(avec_release)
    assert_array_equal(np.unique(data.groups), ["dev_01", "train_1"])
    reference = load_avec2016(avec_release, partitions=("train",))
    assert len(data.groups) == 2 * len(reference.groups)
    assert_allclose(
        data.targets.arousal[data.groups == "dev_01"],
        _rating_values("dev_1", "arousal", RELEASE_FRAMES),
        rtol=1e-6,
    )
