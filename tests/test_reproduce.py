"""The ``sewlearn reproduce`` command on tiny data."""

import csv
import subprocess
import sys

import numpy as np
import pytest

from sewlearn._reproduce import CASES, VARIANTS, main

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
    assert main(["reproduce", "--output", str(out), *TINY, "--label-budget"]) == 0
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
    # Two cases x budgets (1 and all = 2 recordings) x three methods.
    assert len(rows) == 2 * 2 * 3
    assert {r["labeled_recordings"] for r in rows} == {"1", "2"}
    by = {(r["case"], r["labeled_recordings"], r["method"]): r for r in rows}
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


@pytest.mark.slow
def test_scheduler_local_writes_the_same_files(tiny_run, tmp_path_factory, capsys):
    """Every fit as a task on two Dask worker processes: the same tables."""
    pytest.importorskip("distributed")
    out = tmp_path_factory.mktemp("reproduce-dask")
    args = ["reproduce", "--output", str(out), *TINY, "--label-budget"]
    assert main([*args, "--scheduler", "local:2"]) == 0
    printed = capsys.readouterr().out
    assert "as Dask tasks on 2 worker(s)" in printed
    for name in ["table1_unimodal.csv", "table2_ablation.csv", "label_budget.csv"]:
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

    def broken(weak, strong, variant, **kwargs):
        if (weak, variant) == ("video_geometric", "uni-modal"):
            raise ValueError("this fit is broken")
        return make_model(weak, strong, variant, **kwargs)

    make_model = reproduce.make_model
    monkeypatch.setattr(reproduce, "make_model", broken)
    args = ["reproduce", "--output", str(tmp_path), *TINY, "--no-plots"]
    with pytest.raises(reproduce.RunFailedError) as info:
        main(args)
    assert str(info.value) == (
        "sewlearn reproduce: the run 'Table 1, arousal: video-geo, uni-modal, "
        "seed 0' failed: ValueError: this fit is broken"
    )
    assert not (tmp_path / "table1_unimodal.csv").exists()


@pytest.mark.parametrize("scheduler", ["local:0", "local:two"])
def test_scheduler_local_needs_a_number_of_workers(tmp_path, scheduler):
    pytest.importorskip("distributed")
    with pytest.raises(ValueError, match="N >= 1"):
        main(["reproduce", "--output", str(tmp_path), *TINY, "--scheduler", scheduler])
