"""The ``sewlearn compare`` command on tiny files."""

import csv

import numpy as np
import pytest
from sklearn.datasets import load_digits

from sewlearn import paired_gain
from sewlearn._reproduce import main
from sewlearn.datasets import make_recola_like
from sewlearn.experiments._compare import (
    CompareTask,
    load_array,
    load_inputs,
    parse_params,
    run_compare_task,
)

pd = pytest.importorskip("pandas")

TINY = [
    "--param",
    "max_epochs=1",
    "--param",
    "latent_dim=4",
    "--param",
    "weak_hidden_layer_sizes=(8,)",
    "--param",
    "strong_hidden_layer_sizes=(8,)",
    "--param",
    "head_hidden_layer_sizes=(8,)",
    "--param",
    "n_cca_components=2",
    "--no-progress",
    "--no-plots",
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Digits halves (classification) and the built-in generator (regression)."""
    root = tmp_path_factory.mktemp("compare-data")
    X, y = load_digits(return_X_y=True)
    X, y = X[:200], y[:200]
    np.save(root / "left.npy", X[:, :32])
    columns = [f"p{i}" for i in range(32)]
    pd.DataFrame(X[:, 32:], columns=columns).to_csv(root / "right.csv", index=False)
    pd.DataFrame({"digit": y}).to_csv(root / "digit.csv", index=False)
    data = make_recola_like(
        n_recordings=2, n_frames=60, partitions=("train", "dev"), random_state=0
    )
    np.savez(root / "video.npz", video=data.features["video_geometric"])
    np.save(root / "audio.npy", data.features["audio"])
    np.save(root / "arousal.npy", data.targets["arousal"])
    pd.DataFrame({"recording": data.groups}).to_csv(root / "groups.csv", index=False)
    return root


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_classification_on_digit_halves(files, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["compare", "--weak", str(files / "left.npy")]
    args += ["--strong", str(files / "right.csv"), "--target", str(files / "digit.csv")]
    args += ["--seeds", "2", "--methods", "sew", "no-cca", "distilled", "sew-kd"]
    args += ["--output", str(out), *TINY]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith(
        "sewlearn compare: classification (accuracy), 200 rows, weak 32 features, "
        "strong 32; held out: a stratified random split"
    )
    views = _rows(out / "views.csv")
    assert [r["view"] for r in views] == ["weak (left.npy)", "strong 1 (right.csv)"]
    gains = _rows(out / "gains.csv")
    methods = ["uni-modal", "sew", "no-cca", "distilled", "sew-kd"]
    assert [r["method"] for r in gains] == methods
    # The weak view alone is the uni-modal method: the same fits.
    assert views[0]["score_mean"] == gains[0]["score_mean"]
    assert float(gains[0]["gain"]) == 0 and gains[0]["wins"] == "0"
    for r in gains:
        assert 0 <= float(r["score_mean"]) <= 1
        assert float(r["gain_low"]) <= float(r["gain"]) <= float(r["gain_high"])
    report = (out / "results.md").read_text()
    assert "## Each view alone" in report and "## Gain over uni-modal" in report
    assert str(out / "results.md") in captured.out


def test_gains_are_paired_over_the_same_splits(files):
    """A task's score is reproducible, and the gain is paired_gain of the seeds."""
    data = load_inputs(
        files / "video.npz",
        [files / "audio.npy"],
        files / "arousal.npy",
        files / "groups.csv",
    )
    assert data["task"] == "regression" and data["X_strong"].shape[1] == 88
    params = tuple(sorted(parse_params(TINY[1:12:2]).items()))
    scores = {}
    for method in ("uni-modal", "sew"):
        for seed in (0, 1):
            folds = [
                run_compare_task(
                    CompareTask(method, seed, f, 2, params, "regression"), data
                )["score"]
                for f in range(2)
            ]
            scores[method, seed] = np.mean(folds)
    again = run_compare_task(CompareTask("sew", 1, 0, 2, params, "regression"), data)
    assert (
        again["score"]
        == run_compare_task(CompareTask("sew", 1, 0, 2, params, "regression"), data)[
            "score"
        ]
    )
    gain = paired_gain(
        [scores["sew", s] for s in (0, 1)], [scores["uni-modal", s] for s in (0, 1)]
    )
    assert gain.n == 2 and gain.low <= gain.mean <= gain.high


def test_regression_with_groups_resumes(files, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["compare", "--weak", str(files / "video.npz")]
    args += [
        "--strong",
        str(files / "audio.npy"),
        "--target",
        str(files / "arousal.npy"),
    ]
    args += ["--groups", str(files / "groups.csv"), "--folds", "2", "--seeds", "2"]
    args += ["--output", str(out), *TINY]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "held out: GroupKFold over 4 groups, 2 folds" in err
    first = {n: (out / n).read_bytes() for n in ["views.csv", "gains.csv"]}
    gains = _rows(out / "gains.csv")
    assert [r["method"] for r in gains] == ["uni-modal", "sew"]
    assert int(gains[1]["n_seeds"]) == 2
    # (strong view + sew + uni-modal) x 2 seeds x 2 folds, all reused.
    assert main(args) == 0
    assert "Reused 12 of 12 fits" in capsys.readouterr().err
    assert {n: (out / n).read_bytes() for n in first} == first


def _bad(tmp_path, files, name, value):
    path = tmp_path / name
    if name.endswith(".csv"):
        value.to_csv(path, index=False)
    else:
        np.save(path, value)
    return path


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing", "--weak {root}/nothere.npy: no such file"),
        ("rows", "the files have different numbers of rows: weak"),
        ("nan", "NaN or infinite value(s) in the features (first in row 3)"),
        ("one_class", "the target has 1 distinct labeled value(s)"),
        ("text", "column(s) name are not numbers"),
        ("method", "--methods: unknown magic; choose from uni-modal, sew"),
        ("param", "--param: "),
        ("suffix", "unknown file type '.txt'"),
        ("seed", "--param random_state: each seed is a random_state"),
    ],
)
def test_bad_input_is_one_line(files, tmp_path, capsys, case, message):
    weak, strong = files / "left.npy", files / "right.csv"
    target = files / "digit.csv"
    extra = []
    X = np.load(weak)
    if case == "missing":
        weak = tmp_path / "nothere.npy"
    elif case == "rows":
        weak = _bad(tmp_path, files, "short.npy", X[:-1])
    elif case == "nan":
        X = X.copy()
        X[3, 2] = np.nan
        weak = _bad(tmp_path, files, "nan.npy", X)
    elif case == "one_class":
        target = _bad(tmp_path, files, "y.csv", pd.DataFrame({"y": [1] * len(X)}))
    elif case == "text":
        frame = pd.read_csv(strong)
        frame["name"] = "a"
        strong = _bad(tmp_path, files, "text.csv", frame)
    elif case == "method":
        extra = ["--methods", "magic"]
    elif case == "param":
        extra = ["--param", "max_epochs=-3"]
    elif case == "seed":
        extra = ["--param", "random_state=3"]
    elif case == "suffix":
        weak = tmp_path / "x.txt"
        weak.write_text("1")
    out = tmp_path / "out"
    args = ["compare", "--weak", str(weak), "--strong", str(strong)]
    args += ["--target", str(target), "--output", str(out), *TINY, *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("sewlearn compare: error: ")
    assert message.format(root=tmp_path) in err
    assert err.count("\n") == 1
    assert not out.exists()


@pytest.mark.slow
def test_scheduler_local_gives_the_same_tables(files, tmp_path, capsys):
    pytest.importorskip("distributed")
    args = ["compare", "--weak", str(files / "video.npz")]
    args += [
        "--strong",
        str(files / "audio.npy"),
        "--target",
        str(files / "arousal.npy"),
    ]
    args += ["--seeds", "2", *TINY]
    assert main([*args, "--output", str(tmp_path / "serial")]) == 0
    dask = ["--output", str(tmp_path / "dask"), "--scheduler", "local:2"]
    assert main([*args, *dask]) == 0
    for name in ["views.csv", "gains.csv"]:
        serial = (tmp_path / "serial" / name).read_bytes()
        assert (tmp_path / "dask" / name).read_bytes() == serial, name


def test_a_single_seed_says_why_there_is_no_interval(files, tmp_path):
    frame = pd.DataFrame(np.load(files / "audio.npy")).add_prefix("a")
    frame.to_csv(tmp_path / "audio.csv", index=False)
    out = tmp_path / "out"
    args = ["compare", "--weak", str(files / "video.npz")]
    args += ["--strong", str(tmp_path / "audio.csv")]
    args += ["--target", str(files / "arousal.npy"), "--seeds", "1"]
    args += ["--task", "regression", "--output", str(out), *TINY]
    assert main(args) == 0
    gains = _rows(out / "gains.csv")
    assert gains[1]["gain_low"] == "nan" and gains[1]["n_seeds"] == "1"
    report = (out / "results.md").read_text()
    assert "With 1 seed there is no interval ([+nan, +nan])" in report
    assert "| strong 1 (audio.csv) |" in report


def test_parquet_tables_are_read_through_pandas(files, tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame(np.load(files / "audio.npy")).add_prefix("a")
    frame.to_parquet(tmp_path / "audio.parquet")
    array = load_array(tmp_path / "audio.parquet", "--strong")
    np.testing.assert_array_equal(array, np.load(files / "audio.npy"))
