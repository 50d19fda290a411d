# License: BSD 3 clause
"""Windows over recordings: the data side of the SEW sequence model.

With ``sequence_length=L``, the SEW estimators learn over windows of ``L``
consecutive frames of one recording (``groups`` names the recording of each
row). This module holds what that needs besides the network:

* :func:`check_groups` and :func:`recording_bounds`: the recordings as runs
  of contiguous rows, with the errors for ``groups`` of the wrong length and
  for rows of a recording that are not contiguous;
* :func:`training_windows`: the windows trained on, tiling each recording;
* :func:`stitched_outputs`: one output per frame, in the order of the rows,
  from the head run over windows that never cross a recording.
"""

import numpy as np
import torch

__all__ = [
    "check_groups",
    "recording_bounds",
    "stitched_outputs",
    "training_windows",
]

# Recordings named in an error message, at most.
_SHOWN = 5


def check_groups(groups, n_samples):
    """``groups`` as a 1-D array of one entry per row (None stays None).

    Raises
    ------
    ValueError
        If ``groups`` is not 1-D or has not one entry per row.
    """
    if groups is None:
        return None
    groups = np.asarray(groups)
    if groups.ndim != 1:
        raise ValueError(
            f"groups must be 1-D (the recording of each row), got an array of "
            f"shape {groups.shape}."
        )
    if len(groups) != n_samples:
        raise ValueError(
            f"groups has {len(groups)} entries but X has {n_samples} rows: give "
            "the recording of every row."
        )
    return groups


def recording_bounds(groups, n_samples):
    """The recordings as ``(bounds, labels)``: row ranges and their ids.

    ``bounds`` is an int array of shape (n_recordings, 2), the ``start`` and
    ``stop`` rows of each recording, in the order of the rows; ``labels`` the
    list of their recording ids. ``groups=None`` is one recording of all rows.

    Raises
    ------
    ValueError
        If ``groups`` is not 1-D with one entry per row (:func:`check_groups`),
        or if the rows of one recording are not contiguous (a recording id
        reappears after another recording's rows): a sequence model reads
        consecutive rows as consecutive frames, so interleaved or shuffled
        rows are refused.
    """
    groups = check_groups(groups, n_samples)
    if groups is None:
        return np.array([[0, n_samples]]), [None]
    change = np.flatnonzero(groups[1:] != groups[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [n_samples]])
    labels = groups[starts].tolist()  # Python scalars, for messages
    seen = {}
    for start, label in zip(starts, labels):
        if label in seen:
            raise ValueError(
                f"The rows of recording {label!r} are not contiguous: they start "
                f"at row {seen[label]} and again at row {start}, after rows of "
                "another recording. A sequence model reads the rows of a "
                "recording as its frames in time order: keep each recording's "
                "rows together and in time order (do not shuffle the rows; "
                "split with GroupKFold rather than ShuffleSplit)."
            )
        seen[label] = start
    return np.column_stack([starts, stops]), labels


def training_windows(bounds, labels, length):
    """Start rows of the training windows of ``length`` frames.

    The windows tile each recording: consecutive and non-overlapping, from
    its first frame; when ``length`` does not divide the recording, one more
    window ends at its last frame (overlapping the one before), so every
    frame is in a window and no window crosses a recording boundary or needs
    padding.

    Raises
    ------
    ValueError
        If a recording has fewer than ``length`` frames.
    """
    sizes = bounds[:, 1] - bounds[:, 0]
    short = np.flatnonzero(sizes < length)
    if len(short):
        named = ", ".join(
            f"{labels[i]!r} ({sizes[i]} frames)" for i in short[:_SHOWN]
        ) + (", ..." if len(short) > _SHOWN else "")
        raise ValueError(
            f"sequence_length={length}, but {len(short)} recording(s) are shorter: "
            f"{named}. A training window lies within one recording; drop the "
            "short recordings or lower sequence_length. (predict accepts them.)"
        )
    starts = []
    for start, stop in bounds:
        tiles = np.arange(start, stop - length + 1, length)
        if (stop - start) % length:
            tiles = np.append(tiles, stop - length)
        starts.append(tiles)
    return np.concatenate(starts) if starts else np.zeros(0, dtype=np.intp)


def stitched_outputs(head, codes, bounds, length, chunk):
    """``head`` run over windows of ``codes``: one output row per frame.

    Each frame takes the output of the window position where it has the most
    past context, at most ``length - 1`` frames of its own recording: frame
    ``t`` of a recording is read at the last position of the window that ends
    at ``t``; the first ``length - 1`` frames, which have no such window, at
    their own positions in the recording's first window (their whole past).
    A recording shorter than ``length`` is one window of its own length. So
    a frame's output is that of a causal model with a context of
    ``length`` frames, and no window crosses a recording boundary.

    Parameters
    ----------
    head : callable
        Maps windows ``(n_windows, time, width)`` to ``(n_windows, time,
        n_out)``; it must be causal (a GRU is) for the rule above to mean
        past context.
    codes : torch.Tensor of shape (n_frames, width)
        The per-frame inputs of ``head`` (the weak codes).
    bounds : ndarray of shape (n_recordings, 2)
        Row ranges of the recordings (:func:`recording_bounds`).
    length : int
        The window length, ``sequence_length``.
    chunk : int
        Frames per call of ``head``, about (bounds memory).

    Returns
    -------
    outputs : torch.Tensor of shape (n_frames, n_out)
    """
    out = None
    offsets = torch.arange(length, device=codes.device)
    full = [(a, b) for a, b in bounds if b - a >= length]
    if full:
        # Every window of full length: frame start + length - 1 reads its last
        # position; the first window of a recording gives all its positions.
        starts = np.concatenate([np.arange(a, b - length + 1) for a, b in full])
        first = np.isin(starts, [a for a, _ in full])
        per_call = max(1, chunk // length)
        for i in range(0, len(starts), per_call):
            s = torch.as_tensor(starts[i : i + per_call], device=codes.device)
            y = head(codes[s.unsqueeze(1) + offsets])  # (k, length, n_out)
            if out is None:
                out = y.new_empty((len(codes), y.shape[-1]))
            out[s + length - 1] = y[:, -1]
            is_first = torch.as_tensor(first[i : i + per_call], device=codes.device)
            if is_first.any():
                rows = s[is_first].unsqueeze(1) + offsets
                out[rows.reshape(-1)] = y[is_first].reshape(-1, y.shape[-1])
    for a, b in bounds:
        if b - a < length:
            y = head(codes[a:b].unsqueeze(0))[0]
            if out is None:
                out = y.new_empty((len(codes), y.shape[-1]))
            out[a:b] = y
    return out
