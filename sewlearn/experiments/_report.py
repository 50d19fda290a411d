# License: BSD 3 clause
"""The paired report: gains over a baseline, their cells, notes and CSV files."""

import csv

from scipy import stats

from sewlearn import paired_gain


def gain_columns(scores, baseline, names=("gain", "low", "high", "wins")):
    """The paired gain of ``scores`` over ``baseline`` as a dict of columns.

    ``scores`` and ``baseline`` hold one score per seed, in the same order
    (the same split and seed with and without the ingredient); the columns
    are :func:`sewlearn.paired_gain`'s mean, interval and seeds won, under
    ``names``.
    """
    gain = paired_gain(scores, baseline)
    return dict(zip(names, (gain.mean, gain.low, gain.high, gain.wins)))


def format_gain(mean, low, high, wins, n_seeds):
    """A paired gain as ``+0.012 [-0.003, +0.027] 4/5``."""
    return f"{mean:+.3f} [{low:+.3f}, {high:+.3f}] {wins}/{n_seeds}"


def interval_note(n_seeds):
    """What the paired intervals of ``n_seeds`` seeds can say."""
    if n_seeds < 2:
        return (
            "With 1 seed there is no interval ([+nan, +nan]): the gain is one "
            "difference, with nothing to tell it from noise. Use --seeds 3 or more."
        )
    quantile = stats.t.ppf(0.975, n_seeds - 1)
    return (
        f"Each interval is Student's t over {n_seeds} paired differences "
        f"({n_seeds - 1} degree(s) of freedom, t = {quantile:.1f}): "
        "an interval that contains 0 says the gain is not shown at this number "
        "of seeds, not that there is none"
        + (
            "; with 2 seeds only a very large, consistent gain can exclude 0."
            if n_seeds == 2
            else "."
        )
    )


def pooled_interval_note(n_draws, n_seeds):
    """How the pooled interval over ``n_draws`` draws of ``n_seeds`` seeds is made.

    Examples
    --------
    >>> from sewlearn.experiments import pooled_interval_note
    >>> pooled_interval_note(3, 2)[:71]
    "Pooled rows: Student's t over all 3 × 2 = 6 paired differences, one per"
    """
    n = n_draws * n_seeds
    quantile = stats.t.ppf(0.975, n - 1)
    return (
        f"Pooled rows: Student's t over all {n_draws} × {n_seeds} = {n} paired "
        f"differences, one per (draw, seed) pair ({n - 1} degree(s) of freedom, "
        f"t = {quantile:.1f}), as if they were independent. The spread between "
        "draws and between seeds is taken together: when the gain changes with "
        "the draw (per-draw rows that disagree), the pooled interval is too "
        f"narrow for the mean over draws of the data, of which this run saw "
        f"{n_draws}, not {n}; read the per-draw rows first."
    )


def write_csv(path, rows):
    """``rows`` (dicts with the same keys) as a CSV file with a header; ``path``."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
