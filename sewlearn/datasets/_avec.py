# License: BSD 3 clause
"""Loader of the AVEC 2016 RECOLA baseline features and gold-standard ratings.

The challenge distributes one file per recording and feature set, in ARFF
(sometimes converted to CSV); scipy's ARFF reader rejects the ``string``
attribute that holds the instance name of the gold-standard files, hence the
small reader here.
"""

import csv
import re
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._recola import (
    FRAME_STEP,
    MODALITY_DIMS,
    PARTITIONS,
    TARGETS,
    _check_names,
    _check_non_negative_float,
)

__all__ = ["load_avec2016"]

_MODALITY_FOLDERS = {
    "audio": "features_audio",
    "video_geometric": "features_video_geometric",
    "video_appearance": "features_video_appearance",
}
_RATINGS_FOLDER = "ratings_gold_standard"
_SUFFIXES = (".arff", ".csv")
_NUMERIC_TYPES = ("numeric", "real", "integer")
_ATTRIBUTE = re.compile(
    r"""@attribute\s+('[^']*'|"[^"]*"|\S+)\s+(.+)$""", flags=re.IGNORECASE
)
# names of a time column, lower case, recognised in the first numeric column
_TIME_NAMES = ("frametime", "frame_time", "time", "timestamp")
# time stamps of the files of a recording may differ by less than half a frame:
# rounding passes, a shift of one row (40 ms) does not
_TIME_TOLERANCE = FRAME_STEP / 2


def _read_arff(path):
    """Numeric columns of a dense ARFF file: ``(names, values)``.

    Attributes of type numeric, real or integer are kept, in file order;
    string, nominal and date attributes are dropped. ``?`` reads as NaN.
    """
    names, numeric = [], []
    with open(path, encoding="utf-8-sig", errors="replace") as file:
        for line in file:
            line = line.strip()
            if not line or line.startswith("%"):
                continue
            keyword = line.split(maxsplit=1)[0].lower()
            if keyword == "@relation":
                continue
            if keyword == "@attribute":
                match = _ATTRIBUTE.match(line)
                if match is None:
                    raise ValueError(f"{path}: cannot parse the attribute {line!r}.")
                names.append(match.group(1).strip("'\""))
                numeric.append(match.group(2).strip().lower() in _NUMERIC_TYPES)
            elif keyword == "@data":
                break
            else:
                raise ValueError(f"{path}: unexpected line before @data: {line!r}.")
        else:
            raise ValueError(f"{path}: no @data section.")
        rows = [
            line for line in file if line.strip() and not line.lstrip().startswith("%")
        ]
    columns = [j for j, keep in enumerate(numeric) if keep]
    if rows and rows[0].lstrip().startswith("{"):
        raise ValueError(f"{path}: sparse ARFF data is not supported.")
    values = _parse_rows(rows, columns, len(names), path, delimiter=",")
    return [names[j] for j in columns], values


def _read_csv(path):
    """Numeric columns of a CSV file with a header row: ``(names, values)``.

    The delimiter is ``;`` if the header has more of them than commas, else
    ``,``. A column is numeric if its value in the first data row parses as
    a float or is ``?``; the others (an instance name, say) are dropped. An
    empty cell is an error, in the first row as in any other.
    """
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as file:
        lines = [line for line in file if line.strip()]
    if not lines:
        raise ValueError(f"{path}: empty file, expected a header row.")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    names = [name.strip() for name in next(csv.reader(lines[:1], delimiter=delimiter))]
    columns = list(range(len(names)))
    if len(lines) > 1:
        first = next(csv.reader(lines[1:2], delimiter=delimiter))
        _check_fields(first, len(names), path, 1)
        for j, value in enumerate(first):
            _check_not_empty(value, path, 1, j)
        columns = [j for j, value in enumerate(first) if _is_number(value)]
    values = _parse_rows(lines[1:], columns, len(names), path, delimiter=delimiter)
    return [names[j] for j in columns], values


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return text.strip() == "?"
    return True


def _check_fields(fields, n_fields, path, row):
    if len(fields) != n_fields:
        raise ValueError(
            f"{path}: data row {row} has {len(fields)} fields, expected "
            f"{n_fields} (one per declared column)."
        )


def _check_not_empty(text, path, row, column):
    if not text.strip():
        raise ValueError(
            f"{path}: data row {row}, column {column + 1}: empty; write ? for a "
            "missing value."
        )


def _parse_rows(rows, columns, n_fields, path, *, delimiter):
    """Float64 array of shape (len(rows), len(columns)); ``?`` is NaN.

    Every row must have ``n_fields`` fields, whether or not they are read.
    """
    if not rows:
        return np.empty((0, len(columns)))
    quotechar = "'" if delimiter == "," else '"'
    # numpy's C parser is fast on the 7501 x 632 geometric features, but reads
    # only ``usecols`` and so does not see a row with more fields than
    # declared. Counting delimiters checks that cheaply; a quoted field holding
    # a delimiter miscounts, and goes the slow way, which parses quotes.
    if all(row.count(delimiter) == n_fields - 1 for row in rows):
        try:
            return np.loadtxt(
                rows,
                delimiter=delimiter,
                quotechar=quotechar,
                usecols=columns,
                dtype=np.float64,
                ndmin=2,
            )
        except ValueError:
            pass  # missing values or bad numbers: the slow path says which
    values = np.empty((len(rows), len(columns)))
    for i, fields in enumerate(
        csv.reader(rows, delimiter=delimiter, quotechar=quotechar)
    ):
        _check_fields(fields, n_fields, path, i + 1)
        for k, j in enumerate(columns):
            text = fields[j].strip()
            _check_not_empty(text, path, i + 1, j)
            try:
                values[i, k] = np.nan if text == "?" else float(text)
            except ValueError:
                raise ValueError(
                    f"{path}: data row {i + 1}, column {j + 1}: {text!r} is not "
                    "a number."
                ) from None
    return values


def _read_table(path):
    if path.suffix == ".arff":
        return _read_arff(path)
    return _read_csv(path)


def _find_file(folder, recording):
    """The ARFF or else CSV file of ``recording`` in ``folder``, or None."""
    for suffix in _SUFFIXES:
        path = folder / f"{recording}{suffix}"
        if path.is_file():
            return path
    return None


def _recordings(folder, partition):
    """Recording ids ``partition_<n>`` with a file in ``folder``, by ``n``.

    The ids are the file name stems as written (``train_01`` stays so): the
    files of the other folders are looked up under the same name.
    """
    pattern = re.compile(rf"^{partition}_(\d+)$")
    stems = {
        path.stem
        for path in folder.iterdir()
        if path.suffix in _SUFFIXES and pattern.match(path.stem)
    }
    return sorted(stems, key=lambda stem: (int(pattern.match(stem).group(1)), stem))


def _time_index(names, time_column):
    """Index of the time column among ``names``, or None.

    The column named ``time_column`` (in any case), else a first column named
    frameTime, frame_time, time or timestamp (in any case).
    """
    lowered = [name.lower() for name in names]
    if time_column in names:
        return names.index(time_column)
    if time_column.lower() in lowered:
        return lowered.index(time_column.lower())
    if lowered and lowered[0] in _TIME_NAMES:
        return 0
    return None


def _check_not_time(path, names, values):
    """Raise if the first column of a feature file rises in 40 ms steps.

    Such a column is a frame time under a name that was not recognised; as a
    feature, it would be a ramp (the silent failure this guards against).
    """
    if len(values) < 3 or not names:
        return
    steps = np.diff(values[:, 0])
    if np.allclose(steps, FRAME_STEP, rtol=0.0, atol=1e-6):
        raise ValueError(
            f"{path}: its first column {names[0]!r} rises in {FRAME_STEP:g} s "
            "steps: it holds the frame time, not a feature. Pass "
            f"time_column={names[0]!r}."
        )


def _check_n_features(path, modality, names):
    """Warn if a file has one feature column more than the AVEC 2016 set."""
    expected = MODALITY_DIMS[modality]
    if len(names) == expected + 1:
        warnings.warn(
            f"{path}: {len(names)} feature columns, one more than the "
            f"{expected} of the AVEC 2016 {modality} features; its first column "
            f"{names[0]!r} may be a time stamp (pass time_column={names[0]!r}) or "
            "an index, not a feature.",
            UserWarning,
            stacklevel=4,
        )


def _check_time_stamps(recording, stamps):
    """Check that the files of a recording have the same time stamps.

    ``stamps``: ``(path, time)`` of each file that has a time column, all of
    the same length; the first is the reference. Differences of less than
    half a frame (20 ms) are accepted; NaN time stamps are not compared.
    """
    if not stamps:
        return
    reference, expected = stamps[0]
    for path, time in stamps[1:]:
        wrong = np.flatnonzero(np.abs(time - expected) > _TIME_TOLERANCE)
        if wrong.size:
            i = wrong[0]
            raise ValueError(
                f"{path}: row {i + 1} is at {time[i]:g} s, but row {i + 1} of "
                f"{reference} is at {expected[i]:g} s. The files of recording "
                f"{recording} are paired row by row: their time stamps must "
                f"agree to less than half a frame ({_TIME_TOLERANCE:g} s)."
            )


def _check_folder(path):
    if not path.is_dir():
        raise FileNotFoundError(f"AVEC 2016 folder not found: {path}")
    return path


def load_avec2016(
    root,
    *,
    target="arousal",
    partitions=("train", "dev"),
    modalities=("audio", "video_geometric", "video_appearance"),
    annotation_delay=0.0,
    label_column="GoldStandard",
    time_column="frameTime",
    missing_ratings="raise",
):
    """Load the AVEC 2016 RECOLA baseline features and gold-standard ratings.

    Reads the folders of the AVEC 2016 emotion sub-challenge (the data are
    distributed by the RECOLA authors on request, not downloaded here)::

        root/
            features_audio/{arousal,valence}/train_1.arff ...
            features_video_appearance/{arousal,valence}/...
            features_video_geometric/{arousal,valence}/...
            ratings_gold_standard/{arousal,valence}/train_1.arff ...

    The challenge gives separate features for arousal and valence (computed
    over different windows); ``target`` chooses which. Both gold-standard
    traces are loaded. The physiological feature sets of the release
    (``features_ECG``, ``features_HRHRV``, ``features_EDA``, ``features_SCL``,
    ``features_SCR``) are not supported: they are not read.

    Parameters
    ----------
    root : str or path-like
        The folder that holds ``features_*`` and ``ratings_gold_standard``.

    target : {"arousal", "valence"}, default="arousal"
        Which features to load: those of the ``arousal`` or of the
        ``valence`` subfolders.

    partitions : tuple of str, default=("train", "dev")
        Partitions to load, among ``"train"``, ``"dev"`` and ``"test"``. The
        challenge does not distribute the test ratings, hence the default,
        which loads the release as shipped. To load the test features too,
        pass ``("train", "dev", "test")`` with ``missing_ratings="nan"``.

    modalities : tuple of str, \
            default=("audio", "video_geometric", "video_appearance")
        Feature sets to load.

    annotation_delay : float, default=0.0
        Compensation of the annotators' reaction lag, in seconds: with
        ``n = round(annotation_delay / 0.04)``, the features of frame ``i``
        are paired with the ratings of frame ``i + n``; the last ``n`` feature
        frames and the first ``n`` rating frames of each recording are
        dropped.

    label_column : str, default="GoldStandard"
        Column of the rating files that holds the gold standard.

    time_column : str, default="frameTime"
        Column holding the frame time in seconds; it is not a feature. Its
        name is matched in any case; a file without it whose first numeric
        column is named ``frameTime``, ``frame_time``, ``time`` or
        ``timestamp`` (in any case) has that column as its time. If no file
        of a recording has a time column, the time is the frame index times
        0.04 s.

    missing_ratings : {"raise", "nan"}, default="raise"
        What to do when a recording with features has no rating file (the
        test partition of the challenge): raise ``FileNotFoundError``, or
        fill its targets with NaN.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Same structure as :func:`make_recola_like`, one row per frame,
        recordings one after the other (``train_1, train_2, ..., dev_1,
        ...``):

        features : Bunch of float32 ndarray of shape (n_samples, n_features)
            One array per modality loaded.
        targets : Bunch of float32 ndarray of shape (n_samples,)
            ``arousal`` and ``valence`` gold-standard ratings.
        groups : ndarray of str of shape (n_samples,)
            Recording of each frame, the file name stem, e.g. ``"dev_3"``.
        partition : ndarray of str of shape (n_samples,)
            ``"train"``, ``"dev"`` or ``"test"``.
        time : float64 ndarray of shape (n_samples,)
            Time of the frame (of its features), in seconds.
        feature_names : dict of str to list of str
            Names of the feature columns per modality.
        DESCR : str
            Description of the data set.

    Raises
    ------
    FileNotFoundError
        If a folder, or a file of a recording found in the first modality's
        folder, is missing.
    ValueError
        If a file cannot be parsed (a data row with more or fewer fields than
        the declared columns, an empty cell, a text in a numeric column), has
        no data rows, lacks ``label_column``, has another number
        of rows than the other files of its recording, or has other feature
        columns than the other recordings; if the time stamps of the files of
        a recording differ by more than half a frame; if the first column of a
        feature file that has no recognised time column rises in 40 ms steps
        (a time column under another name: pass its name as ``time_column``).

    Warns
    -----
    UserWarning
        If a modality has one feature column more than in the release (89,
        633 or 169): its first column may be a time stamp or an index.

    See Also
    --------
    make_recola_like : Synthetic data with the same structure.

    Notes
    -----
    The release as shipped: per recording and target, one ARFF file per
    feature set, ``features_<modality>/<arousal|valence>/<partition>_<n>.arff``,
    with a time column first and then 88 (audio), 632 (video_geometric) or 168
    (video_appearance) numeric columns, no instance name; gold standards under
    ``ratings_gold_standard/<arousal|valence>/``, with ``@relation
    GOLDSTANDARD_AROUSAL`` (or ``_VALENCE``), attributes ``Instance_name
    string``, ``frameTime`` and ``GoldStandard``, unquoted instance names and
    blank lines after ``@data``; 7,501 frames per recording, from 0 s in 40 ms
    steps; no ratings for the test partition.

    What the reader accepts:

    * one file per recording, named ``<partition>_<n>.arff`` or
      ``<partition>_<n>.csv`` (``n`` = 1, 2, ..., zero-padded or not: the
      stem, as written, names the recording in ``groups``); the recordings of
      a partition are those with a file in the first modality's folder, and
      every other folder must have a file of the same name for each of them.
      If both exist, the ``.arff`` file is read. Files are read as UTF-8, with
      or without a byte order mark.
    * ARFF: dense, comma-separated ``@data`` rows after ``@relation`` and
      ``@attribute`` lines; ``%`` starts a comment; blank lines are skipped;
      ``?`` is a missing value (NaN); every data row has one field per
      ``@attribute`` line. Attributes of type ``numeric``,
      ``real`` or ``integer`` are read; ``string`` (an instance name, quoted
      or not), nominal and date attributes are dropped.
    * CSV: a header row of column names; delimiter ``;`` if the header has
      more semicolons than commas, else ``,``; every row has one field per
      column name. Columns whose first value is not a number (nor ``?``) are
      dropped.
    * features: every numeric column except the time column (see
      ``time_column``). Ratings: the ``label_column`` (an error if absent).
      A number of feature columns other than the release's is accepted (a
      custom feature set), with a warning if it is one more.
    * all the files of a recording (each modality, both ratings) have one row
      per 40 ms frame, in time order: rows are paired by position. Where the
      files have time stamps, they are compared, and must agree to less than
      half a frame (20 ms): enough for rounded time stamps, not for a shift
      of one frame.

    The video descriptors of the release are 0 on the frames where no face
    was detected; features are computed over a sliding centred window, and
    the first and last frames of each recording (half a window) hold copies
    of the first and last computed vectors.

    References
    ----------
    .. [1] M. Valstar et al., "AVEC 2016: Depression, mood, and emotion
       recognition workshop and challenge", AVEC 2016, pp. 3-10.
    .. [2] F. Ringeval et al., "Introducing the RECOLA multimodal corpus of
       remote collaborative and affective interactions", FG 2013.

    Examples
    --------
    A tiny folder in the AVEC 2016 format, with one training recording of
    three frames and two audio features:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sewlearn.datasets import load_avec2016
    >>> root = Path(tempfile.mkdtemp())
    >>> for target in ("arousal", "valence"):
    ...     folder = root / "ratings_gold_standard" / target
    ...     folder.mkdir(parents=True)
    ...     _ = (folder / "train_1.arff").write_text(
    ...         f"@relation GOLDSTANDARD_{target.upper()}\\n"
    ...         "@attribute Instance_name string\\n@attribute frameTime numeric\\n"
    ...         "@attribute GoldStandard numeric\\n@data\\n\\n"
    ...         "train_1,0.00,0.1\\ntrain_1,0.04,0.2\\ntrain_1,0.08,0.3\\n")
    ...     folder = root / "features_audio" / target
    ...     folder.mkdir(parents=True)
    ...     _ = (folder / "train_1.arff").write_text(
    ...         "@relation features\\n@attribute frameTime numeric\\n"
    ...         "@attribute F0 numeric\\n@attribute loudness numeric\\n@data\\n"
    ...         "0.00,1.0,5.0\\n0.04,2.0,6.0\\n0.08,3.0,7.0\\n")
    >>> data = load_avec2016(root, partitions=["train"], modalities=["audio"])
    >>> data.features.audio
    array([[1., 5.],
           [2., 6.],
           [3., 7.]], dtype=float32)
    >>> data.feature_names["audio"], data.groups
    (['F0', 'loudness'], array(['train_1', 'train_1', 'train_1'], dtype='<U7'))

    Pair the features with the ratings 40 ms later:

    >>> data = load_avec2016(root, partitions=["train"], modalities=["audio"],
    ...                      annotation_delay=0.04)
    >>> data.features.audio[:, 0], data.targets.arousal
    (array([1., 2.], dtype=float32), array([0.2, 0.3], dtype=float32))
    """
    root = _check_folder(Path(root))
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}.")
    partitions = _check_names(partitions, PARTITIONS, "partitions")
    modalities = _check_names(modalities, tuple(_MODALITY_FOLDERS), "modalities")
    annotation_delay = _check_non_negative_float(annotation_delay, "annotation_delay")
    delay = int(round(annotation_delay / FRAME_STEP))
    for name, value in (("label_column", label_column), ("time_column", time_column)):
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a str, got {value!r}.")
    if missing_ratings not in ("raise", "nan"):
        raise ValueError(
            f"missing_ratings must be 'raise' or 'nan', got {missing_ratings!r}."
        )
    feature_folders = {
        m: _check_folder(root / _MODALITY_FOLDERS[m] / target) for m in modalities
    }
    rating_folders = {t: _check_folder(root / _RATINGS_FOLDER / t) for t in TARGETS}

    features = {m: [] for m in modalities}
    feature_names = {}
    targets = {t: [] for t in TARGETS}
    groups, partition_of, times = [], [], []
    for partition in partitions:
        recordings = _recordings(feature_folders[modalities[0]], partition)
        if not recordings:
            raise FileNotFoundError(
                f"no {partition}_<n>.arff or .csv file in "
                f"{feature_folders[modalities[0]]}"
            )
        for recording in recordings:
            frames = _load_recording(
                recording,
                feature_folders,
                rating_folders,
                feature_names,
                label_column=label_column,
                time_column=time_column,
                missing_ratings=missing_ratings,
            )
            n_frames = len(frames.time)
            if delay >= n_frames:
                raise ValueError(
                    f"annotation_delay={annotation_delay} s ({delay} frames) leaves "
                    f"no frame of recording {recording} ({n_frames} frames)."
                )
            kept = n_frames - delay
            # float32 per recording: the float64 tables would double the memory
            for m in modalities:
                features[m].append(frames.features[m][:kept].astype(np.float32))
            for t in TARGETS:
                targets[t].append(frames.targets[t][delay:].astype(np.float32))
            times.append(frames.time[:kept])
            groups.append(np.full(kept, recording))
            partition_of.append(np.full(kept, partition))

    return Bunch(
        features=Bunch(**{m: np.concatenate(x) for m, x in features.items()}),
        targets=Bunch(**{t: np.concatenate(y) for t, y in targets.items()}),
        groups=np.concatenate(groups),
        partition=np.concatenate(partition_of),
        time=np.concatenate(times),
        feature_names={m: feature_names[m] for m in modalities},
        DESCR=_DESCR.format(target=target, root=root, delay=annotation_delay),
    )


def _load_recording(
    recording,
    feature_folders,
    rating_folders,
    feature_names,
    *,
    label_column,
    time_column,
    missing_ratings,
):
    """Read the feature and rating files of one recording.

    Fills ``feature_names`` on the first recording and checks the others
    against it.
    """
    tables = {}  # modality -> (path, names, values)
    for m, folder in feature_folders.items():
        path = _find_file(folder, recording)
        if path is None:
            raise FileNotFoundError(
                f"features of recording {recording} not found: "
                f"{folder / recording}.arff (or .csv)"
            )
        tables[m] = (path, *_read_table(path))
    ratings = {}
    for t, folder in rating_folders.items():
        path = _find_file(folder, recording)
        if path is None:
            if missing_ratings == "nan":
                continue
            raise FileNotFoundError(
                f"ratings of recording {recording} not found: "
                f"{folder / recording}.arff (or .csv); AVEC 2016 does not "
                "distribute the test ratings: leave 'test' out of partitions "
                "(the default is ('train', 'dev')) or pass missing_ratings='nan'."
            )
        names, values = _read_table(path)
        if label_column not in names:
            raise ValueError(
                f"{path}: no numeric column {label_column!r} (label_column); "
                f"numeric columns: {names}."
            )
        ratings[t] = (path, names, values)

    # one row per frame in every file of the recording
    lengths = {path: len(values) for path, _, values in tables.values()}
    lengths.update({path: len(values) for path, _, values in ratings.values()})
    reference = next(iter(lengths))
    for path, n in lengths.items():
        if n != lengths[reference]:
            raise ValueError(
                f"{path} has {n} rows but {reference} has {lengths[reference]}: "
                f"the files of recording {recording} must have one row per "
                "40 ms frame."
            )
    n_frames = lengths[reference]
    if n_frames == 0:
        raise ValueError(f"{reference}: no data rows after @data (or the header).")

    frames = Bunch(features={}, targets={}, time=None)
    stamps = []  # (path, time stamps) of the files that have them
    for m, (path, names, values) in tables.items():
        time = _time_index(names, time_column)
        if time is None:
            _check_not_time(path, names, values)
        else:
            stamps.append((path, values[:, time]))
        keep = [j for j in range(len(names)) if j != time]
        kept_names = [names[j] for j in keep]
        if m not in feature_names:
            _check_n_features(path, m, kept_names)
            feature_names[m] = kept_names
        elif kept_names != feature_names[m]:
            raise ValueError(
                f"{path}: its feature columns differ from those of the first "
                f"recording of {m} ({len(kept_names)} against "
                f"{len(feature_names[m])} columns, or other names)."
            )
        frames.features[m] = values[:, keep]
    for t in TARGETS:
        if t in ratings:
            path, names, values = ratings[t]
            label = names.index(label_column)
            frames.targets[t] = values[:, label]
            time = _time_index(names, time_column)
            if time is not None and time != label:
                stamps.append((path, values[:, time]))
        else:
            frames.targets[t] = np.full(n_frames, np.nan)
    _check_time_stamps(recording, stamps)
    if stamps:
        frames.time = stamps[0][1]
    else:
        frames.time = np.arange(n_frames) * FRAME_STEP
    return frames


_DESCR = """\
AVEC 2016 RECOLA
----------------

Baseline features and gold-standard ratings of the AVEC 2016 emotion
recognition sub-challenge (Valstar et al., 2016) on the RECOLA corpus
(Ringeval et al., 2013): spontaneous dyadic interactions in French, 9
recordings per partition (train / dev / test), the first 5 minutes of each:
7,501 frames from 0 s in 40 ms steps. Features: audio (eGeMAPS, 88),
video_geometric (facial landmarks, 632), video_appearance (LGBP-TOP, 168), in
their {target} versions, computed over a sliding centred window; the first and
last frames of a recording (half a window) are padded copies of the first and
last computed vectors. The video descriptors are 0 on the frames where no face
was detected. The physiological feature sets are not loaded. Targets: arousal
and valence gold standards in [-1, 1]; the test ratings are not distributed.

Loaded from {root}, with an annotation delay compensation of {delay} s.
"""
