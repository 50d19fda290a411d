"""The ``sewlearn reproduce`` command on tiny data."""

import csv
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sewlearn import ccc_score
from sewlearn._reproduce import main
from sewlearn.datasets import make_recola_like
from sewlearn.experiments import (
    CASES,
    DISTILLATION_METHODS,
    LABEL_BUDGET_METHODS,
    PRESETS,
    TARGETS,
    TIME_CASES,
    TIME_MODELS,
    VARIANTS,
    make_sew,
    plan,
    run_task,
)
from sewlearn.experiments._studies import equal_step_epochs

TINY = [
    "--n-recordings",
    "2",
    "--n-frames",
    "200",
    "--seeds",
    "2",
    "--max-epochs",
    "1",
    "--no-progress",
]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    args = ["reproduce", "--output", str(out), *TINY, "--label-budget", "--time"]
    assert main(args) == 0
    return out


def test_writes_tables_that_parse(tiny_run):
    with open(tiny_run / "table1_unimodal.csv", newline="") as f:
        table1 = list(csv.DictReader(f))
    assert len(table1) == 6  # 3 modalities x 2 targets
    assert {r["modality"] for r in table1} == {
        "audio",
        "video_geometric",
        "video_appearance",
    }
    for r in table1:
        assert -1 <= float(r["ccc"]) <= 1 and 0 <= float(r["acc"]) <= 1

    with open(tiny_run / "table2_ablation.csv", newline="") as f:
        table2 = list(csv.DictReader(f))
    assert len(table2) == len(CASES) * len(VARIANTS)
    assert {r["variant"] for r in table2} == set(VARIANTS)
    for r in table2:
        assert int(r["n_seeds"]) == 2
        assert float(r["ccc_std"]) >= 0
    # Without the strong side both rows are the same network and training.
    by = {(r["case"], r["variant"]): r for r in table2}
    for case in {r["case"] for r in table2}:
        assert by[case, "uni-modal"]["ccc_mean"] == by[case, "-(CCA & SD1)"]["ccc_mean"]

    report = (tiny_run / "results.md").read_text()
    assert "## Table 1" in report and "## Table 2" in report
    assert report.count("| SEW |") == 2  # Table 2 and the gain table


def test_gains_are_paired_over_seeds(tiny_run):
    with open(tiny_run / "table2_ablation.csv", newline="") as f:
        table2 = list(csv.DictReader(f))
    for r in table2:
        low, gain, high = (
            float(r[k]) for k in ("ccc_gain_low", "ccc_gain", "ccc_gain_high")
        )
        assert low <= gain <= high
        assert 0 <= int(r["ccc_wins"]) <= 2
        # The paper's own figures travel with ours.
        assert 0.4 < float(r["paper_ccc"]) < 0.6
    by = {(r["case"], r["variant"]): r for r in table2}
    for case in {r["case"] for r in table2}:
        # Same network as uni-modal: a gain of exactly 0, never a win.
        same = by[case, "-(CCA & SD1)"]
        assert float(same["ccc_gain"]) == 0 and int(same["ccc_wins"]) == 0
        sew = by[case, "SEW"]
        expected = float(sew["ccc_mean"]) - float(by[case, "uni-modal"]["ccc_mean"])
        assert float(sew["ccc_gain"]) == pytest.approx(expected)
    assert "paired over seeds" in (tiny_run / "results.md").read_text()


def test_label_budget_study(tiny_run):
    with open(tiny_run / "label_budget.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    # Two cases x budgets (1 and all = 2 recordings) x the paper's three
    # methods and the two of output-level transfer.
    methods = [m.name for m in LABEL_BUDGET_METHODS + DISTILLATION_METHODS]
    assert methods[3:] == ["SEW + unlabeled + L_kd", "distilled network"]
    assert len(rows) == 2 * 2 * 5
    assert {r["labeled_recordings"] for r in rows} == {"1", "2"}
    by = {(r["case"], r["labeled_recordings"], r["method"]): r for r in rows}
    for (case, budget, method), row in by.items():
        assert method in methods
        assert -1 <= float(row["ccc_mean"]) <= 1, (case, budget, method)
        if method in methods[3:]:
            # Paired with the uni-modal network of the same seeds.
            base = float(by[case, budget, "uni-modal"]["ccc_mean"])
            gain = float(row["ccc_mean"]) - base
            assert float(row["ccc_gain"]) == pytest.approx(gain, abs=2e-3)
    for case in {r["case"] for r in rows}:
        # With every recording labeled there is nothing unlabeled: SEW itself.
        assert (
            by[case, "2", "SEW + unlabeled"]["ccc_mean"]
            == (by[case, "2", "SEW"]["ccc_mean"])
        )
        assert float(by[case, "1", "uni-modal"]["ccc_gain"]) == 0
    report = (tiny_run / "results.md").read_text()
    assert "## Label budget" in report


def test_writes_valid_png_figures(tiny_run):
    image = pytest.importorskip("matplotlib.image")
    for name in ["table2_ccc.png", "traces.png", "label_budget.png"]:
        path = tiny_run / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        pixels = image.imread(path)
        assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
        assert np.ptp(pixels) > 0  # not a blank image
    # With --time, traces.png has a second panel: the smoothed predictions.
    assert image.imread(tiny_run / "traces.png").shape[0] > 700


def test_time_study(tiny_run):
    with open(tiny_run / "time_models.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(tiny_run / "table2_ablation.csv", newline="") as f:
        table2 = {(r["case"], r["variant"]): r for r in csv.DictReader(f)}
    # Two cases x (uni-modal, SEW) x four models, each over the 2 seeds.
    assert len(rows) == len(TIME_CASES) * 2 * len(TIME_MODELS)
    assert {r["n_seeds"] for r in rows} == {"2"}
    by = {(r["case"], r["method"], r["model"]): r for r in rows}
    for case in {r["case"] for r in rows}:
        for method in ("uni-modal", "SEW"):
            mlp, frame, seq, post = (by[case, method, m] for m in TIME_MODELS)
            # The first row is Table 2's model of the same case and seeds.
            assert mlp["ccc_mean"] == table2[case, method]["ccc_mean"]
            # Nothing before it; each step paired with the one before, so its
            # mean gain is the difference of the means.
            assert mlp["step_gain"] == ""
            assert mlp["total_gain"] == ""
            for row, before in ((frame, mlp), (seq, frame), (post, seq)):
                expected = float(row["ccc_mean"]) - float(before["ccc_mean"])
                assert float(row["step_gain"]) == pytest.approx(expected)
                assert float(row["step_low"]) <= float(row["step_gain"])
                assert float(row["step_gain"]) <= float(row["step_high"])
                # And over Table 2's model: the steps so far, added up.
                expected = float(row["ccc_mean"]) - float(mlp["ccc_mean"])
                assert float(row["total_gain"]) == pytest.approx(expected)
            # The post-processing's choices, in seconds, from its grids.
            assert mlp["delay_s_mean"] == frame["delay_s_mean"] == ""
            assert seq["delay_s_mean"] == ""
            assert 0 <= float(post["delay_s_mean"]) <= 4.0
            assert 0.04 <= float(post["window_s_mean"]) <= 8.1
        for model in TIME_MODELS:
            sew, uni = by[case, "SEW", model], by[case, "uni-modal", model]
            assert float(uni["sew_gain"]) == 0 and uni["sew_wins"] == "0"
            expected = float(sew["ccc_mean"]) - float(uni["ccc_mean"])
            assert float(sew["sew_gain"]) == pytest.approx(expected)
    report = (tiny_run / "results.md").read_text()
    assert "## Time: frame-wise, sequence and post-processed models" in report
    assert report.count("| sequence + post-processing |") == len(TIME_CASES)


def test_alignment_ey_changes_the_sew_fits_only(tiny_run, tmp_path):
    args = ["reproduce", "--output", str(tmp_path), *TINY, "--no-plots"]
    assert main([*args, "--alignment", "ey"]) == 0
    report = (tmp_path / "results.md").read_text()
    assert "alignment='ey'" in report.splitlines()[0]
    assert "AlignmentSaturationWarning" not in report  # no saturation note
    assert "alignment='cca'" in (tiny_run / "results.md").read_text()

    def table2(folder):
        with open(folder / "table2_ablation.csv", newline="") as f:
            return {(r["case"], r["variant"]): r["ccc_mean"] for r in csv.DictReader(f)}

    ey, cca = table2(tmp_path), table2(tiny_run)
    for (case, variant), value in ey.items():
        if variant in ("uni-modal", "-CCA", "-(CCA & SD1)"):  # no alignment term
            assert value == cca[case, variant]
        else:
            assert value != cca[case, variant], (case, variant)


def test_time_study_trains_sequence_models_for_equal_steps():
    """The sequence model takes as many optimiser steps as the frame-wise one."""
    from sewlearn import SEWRegressor

    rng = np.random.default_rng(0)
    groups = np.repeat(["a", "b", "c"], [130, 97, 160])
    X, y = rng.normal(size=(len(groups), 3)), rng.normal(size=len(groups))
    settings = dict(batch_size=32, windows_per_batch=4, max_epochs=3)
    length = 10
    epochs = equal_step_epochs(groups, length, settings)
    # 387 frames: 13 batches of frames an epoch; 13 + 10 + 16 = 39 windows:
    # 10 batches of windows an epoch. 3 * 13 / 10 = 3.9 epochs, rounded.
    assert epochs == 4

    def steps(**params):
        model = SEWRegressor(
            weak_hidden_layer_sizes=(),
            latent_dim=2,
            head="gru",
            head_hidden_layer_sizes=(4,),
            random_state=0,
            **params,
        ).fit(X, y, groups=groups)
        return sum(model.history_[:, "train_batch_count"])

    frame = steps(batch_size=32, max_epochs=3)
    sequence = steps(sequence_length=length, batch_size=4, max_epochs=epochs)
    assert frame == 3 * 13
    assert sequence == 4 * 10  # within half an epoch of windows of 39 steps


@pytest.mark.filterwarnings("ignore::sewlearn.exceptions.AlignmentSaturationWarning")
def test_time_sequence_task_scores_the_model_a_plain_fit_gives():
    """A sequence task's raw score is that of the sequence model fitted alone."""
    from sklearn.preprocessing import StandardScaler

    data = make_recola_like(
        n_recordings=2, n_frames=120, partitions=("train", "dev"), random_state=0
    )
    settings = dict(PRESETS["quick"], max_epochs=1, window_seconds=0.4)
    tasks = plan(dict.fromkeys(TARGETS, data), settings, [3], time_models=True)
    task = next(
        t
        for t in tasks
        if t.study == "time" and t.model == TIME_MODELS[2] and t.variant == "SEW"
    )
    result = run_task(task, dict.fromkeys(TARGETS, data))
    assert task.settings["sequence_length"] == 10  # 0.4 s at 40 ms a frame

    train, dev = data.partition == "train", data.partition == "dev"
    scaler = StandardScaler().fit(data.features[task.weak][train])
    alone = make_sew(
        task.weak,
        task.strong,
        task.variant,
        seed=3,
        settings=task.settings,
        device="cpu",
        head="gru",
        sequence_length=10,
    ).fit(
        scaler.transform(data.features[task.weak][train]),
        data.targets[task.target][train],
        groups=data.groups[train],
        X_strong=data.features[task.strong][train],
    )
    y_pred = alone.predict(
        scaler.transform(data.features[task.weak][dev]), groups=data.groups[dev]
    )
    np.testing.assert_array_equal(result["y_pred"], y_pred)
    assert result["ccc"] == ccc_score(data.targets[task.target][dev], y_pred)
    # Post-processed predictions are smoother than the raw ones.
    first = data.groups[dev] == data.groups[dev][0]
    assert (
        np.abs(np.diff(result["y_post"][first])).mean()
        < np.abs(np.diff(y_pred[first])).mean()
    )


@pytest.mark.slow
def test_scheduler_local_writes_the_same_files(tiny_run, tmp_path_factory, capsys):
    """Every fit as a task on two Dask worker processes: the same tables."""
    pytest.importorskip("distributed")
    out = tmp_path_factory.mktemp("reproduce-dask")
    args = ["reproduce", "--output", str(out), *TINY, "--label-budget", "--time"]
    assert main([*args, "--scheduler", "local:2"]) == 0
    printed = capsys.readouterr().out
    assert "as Dask tasks on 2 worker(s)" in printed
    tables = ["table1_unimodal.csv", "table2_ablation.csv", "label_budget.csv"]
    for name in [*tables, "time_models.csv"]:
        assert (out / name).read_bytes() == (tiny_run / name).read_bytes(), name
        assert str(out / name) in printed  # listed among the files written
    # results.md too, but for the first line (wall time, where it ran).
    ours = (out / "results.md").read_text().split("\n", 1)
    serial = (tiny_run / "results.md").read_text().split("\n", 1)
    assert ours[1] == serial[1]
    if (tiny_run / "traces.png").exists():  # matplotlib installed
        for name in ["table2_ccc.png", "traces.png", "label_budget.png"]:
            assert (out / name).read_bytes() == (tiny_run / name).read_bytes(), name


def test_python_dash_m_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "sewlearn", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "reproduce" in result.stdout


def test_reproduce_on_avec_folder(tmp_path):
    # A tiny folder in the AVEC 2016 layout (written by the loader's tests).
    from test_datasets import _write_avec

    root = _write_avec(tmp_path / "avec", n_frames=40)
    out = tmp_path / "out"
    args = ["reproduce", "--avec-root", str(root), "--output", str(out)]
    args += ["--seeds", "1", "--max-epochs", "1", "--no-progress", "--no-plots"]
    assert main(args) == 0
    report = (out / "results.md").read_text()
    assert "AVEC 2016 features from" in report
    with open(out / "table2_ablation.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == len(CASES) * len(VARIANTS)


def test_a_failing_fit_names_the_run(tmp_path, monkeypatch):
    import sewlearn._reproduce as reproduce
    import sewlearn.experiments._studies as studies

    def broken(weak, strong, variant, **kwargs):
        if (weak, variant) == ("video_geometric", "uni-modal"):
            raise ValueError("this fit is broken")
        return make_model(weak, strong, variant, **kwargs)

    make_model = studies.make_model
    monkeypatch.setattr(studies, "make_model", broken)
    args = ["reproduce", "--output", str(tmp_path), *TINY, "--no-plots"]
    with pytest.raises(reproduce.RunFailedError) as info:
        main(args)
    assert str(info.value) == (
        "sewlearn reproduce: the run 'Table 1, arousal: video-geo, uni-modal, "
        "seed 0' failed: ValueError: this fit is broken"
    )
    assert not (tmp_path / "table1_unimodal.csv").exists()


@pytest.mark.parametrize("scheduler", ["local:0", "local:two"])
def test_scheduler_local_needs_a_number_of_workers(tmp_path, scheduler, capsys):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    assert (
        main(["reproduce", "--output", str(out), *TINY, "--scheduler", scheduler]) == 2
    )
    assert capsys.readouterr().err == (
        "sewlearn reproduce: error: --scheduler local:N needs a number of workers "
        f"N >= 1, got {scheduler!r}.\n"
    )
    assert not out.exists()


# Issue 25, items 7, 10, 11 and 1 (Ctrl-C); issue 23, item 3 (resume).

PLAIN = [*TINY, "--no-plots"]


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory):
    """An uninterrupted run without plots, label budget or time study."""
    out = tmp_path_factory.mktemp("plain")
    assert main(["reproduce", "--output", str(out), *PLAIN]) == 0
    return out


def _tables(folder):
    names = ["table1_unimodal.csv", "table2_ablation.csv"]
    tables = {name: (folder / name).read_bytes() for name in names}
    # results.md but for its first line (wall time, fits reused).
    tables["results.md"] = (folder / "results.md").read_text().split("\n", 1)[1]
    return tables


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--seeds", "0"], "--seeds must be an integer >= 1, got 0"),
        (["--max-epochs", "0"], "--max-epochs must be an integer >= 1, got 0"),
        (["--n-recordings", "0"], "--n-recordings must be an integer >= 1, got 0"),
        (["--n-frames", "0"], "--n-frames must be an integer >= 1, got 0"),
        (["--device", "nonsense"], "--device 'nonsense' is not a torch device"),
        (
            ["--time", "--n-frames", "40"],
            "--time needs recordings of at least one window (2 s = 25 frames at "
            "frame step 2); the shortest has 20: raise --n-frames",
        ),
        (["--avec-root", "/nonexistent/avec"], "--avec-root /nonexistent/avec is not"),
        (["--worker-timeout", "0"], "--worker-timeout must be > 0, got 0.0"),
        (["--random-state", "1", "1"], "--random-state: each draw once, got [1, 1]"),
        (
            ["--avec-root", "/nonexistent", "--random-state", "0", "1"],
            "--random-state with several values draws the built-in data several "
            "times; the AVEC 2016 features are one data set: use --seeds",
        ),
    ],
)
def test_bad_arguments_stop_before_any_fit(
    tmp_path, monkeypatch, capsys, extra, message
):
    import sewlearn._reproduce as reproduce

    def no_fit(task, data):
        raise AssertionError("a fit ran")

    monkeypatch.setattr(reproduce, "run_task", no_fit)
    out = tmp_path / "new" / "out"
    args = ["reproduce", "--output", str(out), *PLAIN]
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sewlearn reproduce: error: {message}")
    assert err.count("\n") == 1  # one line, no traceback
    assert not (tmp_path / "new").exists()  # no empty folder left behind


def test_output_that_is_a_file_or_unwritable(tmp_path, capsys):
    path = tmp_path / "results.md"
    path.write_text("mine")
    assert main(["reproduce", "--output", str(path), *PLAIN]) == 2
    assert capsys.readouterr().err == (
        f"sewlearn reproduce: error: --output {path} is a file, not a folder\n"
    )
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os

        if os.access(locked, os.W_OK):  # root ignores permissions
            pytest.skip("running as root: every folder is writable")
        assert main(["reproduce", "--output", str(locked / "out"), *PLAIN]) == 2
        assert "is not a writable folder" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_scheduler_without_workers_times_out(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=0, processes=False, dashboard_address=":0"
    ) as cluster:
        out = tmp_path / "out"
        args = ["reproduce", "--output", str(out), *PLAIN]
        args += ["--scheduler", cluster.scheduler_address, "--worker-timeout", "1"]
        assert main(args) == 2
    assert capsys.readouterr().err == (
        f"sewlearn reproduce: error: --scheduler {cluster.scheduler_address}: no "
        "Dask worker joined within 1 s (start workers with 'dask worker "
        "ADDRESS', or use local:N)\n"
    )
    assert not out.exists()


def test_ctrl_c_exits_130_and_a_rerun_resumes_to_the_same_tables(
    plain_run, tmp_path, monkeypatch, capsys
):
    """Killed after 9 fits (a KeyboardInterrupt at the 10th), then rerun."""
    import sewlearn._reproduce as reproduce

    real = reproduce.run_task
    calls = []

    def interrupted(task, data):
        calls.append(task)
        if len(calls) == 10:
            raise KeyboardInterrupt
        return real(task, data)

    out = tmp_path / "out"
    args = ["reproduce", "--output", str(out), *PLAIN]
    monkeypatch.setattr(reproduce, "run_task", interrupted)
    assert main(args) == 130
    err = capsys.readouterr().err
    assert "sewlearn reproduce: interrupted; no result files were written" in err
    # Nothing presented as results; the 9 finished fits are stored.
    assert sorted(p.name for p in out.iterdir()) == [".sewlearn"]
    assert len(list((out / ".sewlearn" / "tasks").glob("*.pkl"))) == 9

    monkeypatch.setattr(reproduce, "run_task", real)
    assert main(args) == 0
    n_fits = 6 + len(CASES) * len(VARIANTS) * 2
    assert f"Reused 9 of {n_fits} fits stored in" in capsys.readouterr().err
    assert _tables(out) == _tables(plain_run)
    # And once more: everything reused, the same tables again.
    assert main(args) == 0
    assert f"Reused {n_fits} of {n_fits} fits" in capsys.readouterr().err
    assert _tables(out) == _tables(plain_run)
    # --fresh runs every fit again (and gives the same tables).
    monkeypatch.setattr(reproduce, "run_task", interrupted)
    calls.clear()
    assert main([*args, "--fresh"]) == 130
    assert len(calls) == 10  # the stored fits were not used


def test_a_changed_setting_does_not_reuse_stored_fits(plain_run, tmp_path, capsys):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(plain_run, out)
    assert main(["reproduce", "--output", str(out), *PLAIN, "--seeds", "1"]) == 0
    # Seed 0 of every cell is the same fit; seed 1 is no longer asked for.
    n_fits = 6 + len(CASES) * len(VARIANTS)
    assert f"Reused {n_fits} of {n_fits} fits" in capsys.readouterr().err
    args = ["reproduce", "--output", str(out), *PLAIN, "--random-state", "1"]
    args[args.index("--seeds") + 1] = "1"
    assert main(args) == 0
    assert "Reused" not in capsys.readouterr().err  # other data, other fits


def test_rerun_into_the_same_folder_does_not_mix_runs(plain_run, tmp_path, capsys):
    import json
    import shutil

    out = tmp_path / "out"
    shutil.copytree(plain_run, out)
    # As if the earlier run had had --label-budget and plots.
    manifest = out / ".sewlearn" / "manifest.json"
    listed = json.loads(manifest.read_text())["files"]
    manifest.write_text(json.dumps({"files": [*listed, "label_budget.csv"]}))
    (out / "label_budget.csv").write_text("stale")
    (out / "notes.txt").write_text("the user's own file")
    assert main(["reproduce", "--output", str(out), *PLAIN]) == 0
    printed = capsys.readouterr().out
    assert not (out / "label_budget.csv").exists()  # the earlier run's, removed
    assert (out / "notes.txt").read_text() == "the user's own file"
    assert sorted(p.name for p in out.iterdir()) == [
        ".sewlearn",
        "notes.txt",
        "results.md",
        "table1_unimodal.csv",
        "table2_ablation.csv",
    ]
    assert printed.split("Files written:\n")[1] == "".join(
        f"  {out / name}\n"
        for name in ["results.md", "table1_unimodal.csv", "table2_ablation.csv"]
    )
    assert json.loads(manifest.read_text())["files"] == listed


def test_output_dot_does_not_overwrite_a_foreign_results_md(
    plain_run, tmp_path, monkeypatch, capsys
):
    import shutil

    shutil.copytree(plain_run / ".sewlearn" / "tasks", tmp_path / ".sewlearn" / "tasks")
    (tmp_path / "results.md").write_text("someone else's results")
    monkeypatch.chdir(tmp_path)
    assert main(["reproduce", "--output", ".", *PLAIN]) == 2
    assert capsys.readouterr().err == (
        "sewlearn reproduce: error: --output . already holds results.md, not "
        "written by an earlier sewlearn run into this folder: choose another "
        "folder or pass --overwrite to replace them\n"
    )
    assert (tmp_path / "results.md").read_text() == "someone else's results"
    assert main(["reproduce", "--output", ".", *PLAIN, "--overwrite"]) == 0
    assert _tables(tmp_path) == _tables(plain_run)


@pytest.mark.slow
@pytest.mark.parametrize("scheduler", [None, "local:2"])
def test_sigint_exits_130_and_writes_no_results(tmp_path, scheduler):
    """A real Ctrl-C (SIGINT) in the middle of a fit of the command line."""
    import signal
    import time

    if scheduler is not None:
        pytest.importorskip("distributed")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sewlearn", "reproduce", "--output", str(out)]
    command += [*PLAIN, "--max-epochs", "200"]  # the last one wins: long fits
    if scheduler is not None:
        command += ["--scheduler", scheduler]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    tasks = out / ".sewlearn" / "tasks"
    deadline = time.monotonic() + 120
    while not (tasks.is_dir() and any(tasks.glob("*.pkl"))):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert err.strip().splitlines()[-1] == (
        "sewlearn reproduce: interrupted; no result files were written. The fits "
        f"that finished are kept in {tasks}: rerun the same command to resume."
    )
    assert sorted(p.name for p in out.iterdir()) == [".sewlearn"]


# Issue 23: the restructured engine writes the files of the old _reproduce.py,
# several draws, faults under Dask.

GOLDEN = Path(__file__).parent / "data" / "reproduce_golden"


def _scores_from_name(task, data):
    """A task's "scores" from a hash of its name: no fit, the same everywhere.

    tests/data/reproduce_golden holds what _reproduce.py as of commit 30dbef5
    (before the engine took its planning, assembly and report) wrote with
    this function in place of its run_task.
    """
    digest = hashlib.sha256(task.name.encode()).digest()
    u, v, w = (int.from_bytes(digest[i : i + 4], "big") / 2**32 for i in (0, 4, 8))
    result = dict(
        ccc=round(0.3 + 0.3 * u, 6),
        acc=round(0.5 + 0.4 * v, 6),
        y_pred=None,
        seconds=0.0,
    )
    if task.model == "sequence, GRU head":
        result.update(
            ccc_post=round(result["ccc"] + 0.1 * w, 6),
            acc_post=round(result["acc"] + 0.05 * w, 6),
            y_post=None,
            delay_s=round(4 * w, 3),
            window_s=round(0.04 + 8 * w, 3),
        )
    return result


FAKE = ["--n-recordings", "2", "--n-frames", "200", "--seeds", "3"]
FAKE += ["--max-epochs", "1", "--no-progress", "--no-plots", "--label-budget", "--time"]


def test_report_equals_that_of_the_old_reproduce(tmp_path, monkeypatch):
    """Every table and results.md of every study, byte for byte as before."""
    import sewlearn._reproduce as reproduce

    monkeypatch.setattr(reproduce, "run_task", _scores_from_name)
    # The rows of 30dbef5; the distillation rows came after (tested below).
    monkeypatch.setattr(reproduce, "BUDGET_METHODS", LABEL_BUDGET_METHODS)
    assert main(["reproduce", "--output", str(tmp_path), *FAKE]) == 0
    names = sorted(p.name for p in GOLDEN.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    for name in names:
        ours, golden = (tmp_path / name).read_bytes(), (GOLDEN / name).read_bytes()
        if name == "results.md":  # the first line has the wall time
            number = re.compile(rb"partition; \d+ s ")
            ours, golden = (number.sub(b"", text) for text in (ours, golden))
        assert _same_up_to_rounding(ours, golden), name


_NUMBER = re.compile(rb"-?\d+\.\d+(?:e[-+]\d+)?")


def _same_up_to_rounding(ours, golden):
    """Byte-equal, or equal but for the last digits of printed numbers.

    The golden files were written with the newest NumPy; the lowest versions
    that pyproject.toml allows (NumPy 1.24, SciPy 1.10) sum in another order
    and compute Student's t quantiles to about 1e-10, which changes the last
    digits of a CSV's full-precision numbers (or, rarely, the last printed
    digit of a rounded one). Text and every other number must match.
    """
    if ours == golden:
        return True
    if _NUMBER.split(ours) != _NUMBER.split(golden):
        return False
    a, b = _NUMBER.findall(ours), _NUMBER.findall(golden)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        decimals = len(min(x, y, key=len).split(b".")[1].split(b"e")[0])
        tolerance = max(1.01 * 10.0**-decimals, 1e-9 * abs(float(x)))
        if abs(float(x) - float(y)) > tolerance:
            return False
    return True


def _known_gains(task, data):
    """SEW gains 0.03, -0.01 and 0.01 in draws 0, 1 and 2, plus 0.004 a seed.

    Every other variant scores as the uni-modal network; the scores of a
    seed differ from case to case and seed to seed (the base), not the gains.
    """
    draw = task.draw
    index = task.seed - draw  # the seeds of draw d are d, d + 1, ...
    base = 0.40 + 0.01 * index + 0.002 * draw + 0.001 * len(task.weak)
    gain = 0.0
    if task.variant == "SEW":
        gain = {0: 0.03, 1: -0.01, 2: 0.01}[draw] + 0.004 * index
    # Predictions for the traces figure: a constant, as long as dev.
    n_dev = np.sum(data[draw][task.target].partition == "dev")
    y_pred = np.full(n_dev, base + gain) if task.keep_prediction else None
    result = dict(ccc=base + gain, acc=0.7, y_pred=y_pred, seconds=0.0)
    if task.model == TIME_MODELS[2]:
        result.update(
            ccc_post=base + gain,
            acc_post=0.7,
            y_post=y_pred,
            delay_s=0.0,
            window_s=0.04,
        )
    return result


def test_several_draws_report_per_draw_and_pooled_gains(tmp_path, monkeypatch):
    import sewlearn._reproduce as reproduce

    monkeypatch.setattr(reproduce, "run_task", _known_gains)
    args = ["reproduce", "--output", str(tmp_path), *FAKE, "--random-state"]
    args[args.index("--seeds") + 1] = "2"
    args.remove("--no-plots")
    assert main([*args, "0", "1", "2"]) == 0

    def rows(name):
        with open(tmp_path / name, newline="") as f:
            return list(csv.DictReader(f))

    # The gains the function above gives: per draw over 2 seeds, pooled
    # over the 6 (draw, seed) pairs, a t interval with 5 degrees of freedom.
    per_draw = {"0": [0.030, 0.034], "1": [-0.010, -0.006], "2": [0.010, 0.014]}
    pooled = [g for gains in per_draw.values() for g in gains]
    half = stats.t.ppf(0.975, 5) * np.std(pooled, ddof=1) / np.sqrt(6)
    expected = {
        **{d: (np.mean(g), sum(x > 0 for x in g), 2) for d, g in per_draw.items()},
        "pooled": (np.mean(pooled), 4, 6),
    }
    table2 = rows("table2_ablation.csv")
    assert len(table2) == 4 * len(CASES) * len(VARIANTS)
    for r in table2:
        gain, wins, n = expected[r["draw"]] if r["variant"] == "SEW" else (0, 0, 0)
        assert float(r["ccc_gain"]) == pytest.approx(gain, abs=1e-12), r
        assert int(r["ccc_wins"]) == wins
        if r["variant"] == "SEW":
            assert int(r["n_seeds"]) == n
        if r["variant"] == "SEW" and r["draw"] == "pooled":
            assert float(r["ccc_gain_low"]) == pytest.approx(np.mean(pooled) - half)
            assert float(r["ccc_gain_high"]) == pytest.approx(np.mean(pooled) + half)
    assert np.mean(pooled) == pytest.approx(0.012)
    # The label budget's SEW rows (both labeled and with unlabeled rows) too.
    budget = rows("label_budget.csv")
    for r in budget:
        if r["method"] != "uni-modal":
            gain, wins, n = expected[r["draw"]]
            assert float(r["ccc_gain"]) == pytest.approx(gain, abs=1e-12)
            assert (int(r["ccc_wins"]), int(r["n_seeds"])) == (wins, n)
    time_rows = rows("time_models.csv")
    assert {r["draw"] for r in time_rows} == {"0", "1", "2", "pooled"}
    for r in time_rows:
        if r["method"] == "SEW":
            assert float(r["sew_gain"]) == pytest.approx(expected[r["draw"]][0])
    # Table 1: each draw's own, with its own "stronger" modality.
    assert [r["draw"] for r in rows("table1_unimodal.csv")] == [
        d for d in "012" for _ in range(6)
    ]

    if (tmp_path / "traces.png").exists():  # matplotlib installed
        # The pooled Table 2 and label budget; the first draw's traces.
        assert (tmp_path / "table2_ccc.png").exists()
        assert (tmp_path / "label_budget.png").exists()
    report = (tmp_path / "results.md").read_text()
    assert "random_state=0, 1, 2: 3 draws" in report.splitlines()[0]
    assert "| SEW | 1 | -0.008 [-0.033, +0.017] 0/2" in report
    low, high = np.mean(pooled) - half, np.mean(pooled) + half
    assert f"| SEW | pooled | +0.012 [{low:+.3f}, {high:+.3f}] 4/6 (+0.083) |" in (
        report
    )
    assert (
        "Pooled rows: Student's t over all 3 × 2 = 6 paired differences, one per "
        "(draw, seed) pair (5 degree(s) of freedom, t = 2.6)"
    ) in report


def test_a_draw_of_several_is_the_run_of_that_draw_alone(plain_run, tmp_path, capsys):
    """--random-state 0 1 reuses the fits of a run of draw 0 and adds draw 1."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(plain_run, out)
    result = main(
        ["reproduce", "--output", str(out), *PLAIN, "--random-state", "0", "1"]
    )
    assert result == 0
    n_fits = 6 + len(CASES) * len(VARIANTS) * 2
    assert f"Reused {n_fits} of {2 * n_fits} fits" in capsys.readouterr().err
    with open(out / "table2_ablation.csv", newline="") as f:
        several = list(csv.DictReader(f))
    with open(plain_run / "table2_ablation.csv", newline="") as f:
        alone = list(csv.DictReader(f))
    assert [{k: v for k, v in r.items() if k != "draw"} for r in several[:30]] == alone
    assert {r["draw"] for r in several} == {"0", "1", "pooled"}
    # Pooled over the (draw, seed) pairs: its mean is the mean of the draws'.
    by = {(r["draw"], r["case"], r["variant"]): float(r["ccc_gain"]) for r in several}
    for (draw, case, variant), gain in by.items():
        if draw == "pooled":
            mean = (by["0", case, variant] + by["1", case, variant]) / 2
            assert gain == pytest.approx(mean)


def _kill_a_worker_mid_run(command, env, out, after_fits):
    """Run ``command``; once ``after_fits`` fits are stored, SIGKILL a Dask worker.

    Returns the finished process, its standard error and the number of fits
    stored when the worker was killed.
    """
    import os
    import signal
    import time

    psutil = pytest.importorskip("psutil")
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    tasks = out / ".sewlearn" / "tasks"
    deadline = time.monotonic() + 240
    while not (tasks.is_dir() and len(list(tasks.glob("*.pkl"))) >= after_fits):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    # The worker processes: children of the command started by spawn (the
    # nannies run in the command's own process).
    workers = [
        child
        for child in psutil.Process(process.pid).children(recursive=True)
        if "spawn_main" in " ".join(child.cmdline())
    ]
    assert len(workers) == 2, [w.cmdline() for w in workers]
    stored = len(list(tasks.glob("*.pkl")))
    os.kill(workers[0].pid, signal.SIGKILL)
    _, err = process.communicate(timeout=300)
    return process, err, stored


@pytest.mark.slow
def test_a_dask_worker_killed_mid_run(plain_run, tmp_path):
    """SIGKILL to a worker process of a --scheduler local:2 run, in a fit.

    With Dask's defaults the fit it was running goes to another worker (a
    new one started by its nanny, or the other) and the run writes the same
    tables. When a task may not outlive a worker (allowed-failures 0), the run
    stops naming the fit that could not finish; the rerun resumes from the
    fits stored, to the same tables.
    """
    import os

    pytest.importorskip("distributed")
    n_fits = 6 + len(CASES) * len(VARIANTS) * 2
    for allowed, out in ((3, tmp_path / "survives"), (0, tmp_path / "fails")):
        command = [sys.executable, "-m", "sewlearn", "reproduce", "--output", str(out)]
        command += [*PLAIN, "--scheduler", "local:2"]
        env = dict(
            os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=str(allowed)
        )
        process, err, stored = _kill_a_worker_mid_run(command, env, out, 10)
        assert 10 <= stored < n_fits
        if allowed:
            assert process.returncode == 0, err
            assert _tables(out) == _tables(plain_run)
            continue
        assert process.returncode == 1
        last = err.strip().splitlines()[-1]
        assert last.startswith(
            "sewlearn._reproduce.RunFailedError: sewlearn reproduce: the run '"
        )
        assert "' failed: KilledWorker: " in last
        assert not (out / "results.md").exists()  # no partial tables
        kept = len(list((out / ".sewlearn" / "tasks").glob("*.pkl")))
        assert stored <= kept < n_fits
        rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        assert f"Reused {kept} of {n_fits} fits stored in" in rerun.stderr
        assert _tables(out) == _tables(plain_run)
