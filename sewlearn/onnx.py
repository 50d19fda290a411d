# License: BSD 3 clause
"""Export fitted sewlearn networks to ONNX, for onnxruntime and skl2onnx.

The deployed part of a fitted estimator is a small network (for SEW, the
weak encoder ``W_E`` and the head ``R``; for :class:`~sewlearn.DeepCCA`, one
encoder per view and a linear map). This module writes it as an ONNX graph,
which `onnxruntime <https://onnxruntime.ai>`_ runs from Python, C, C++, C#,
Java, JavaScript or a phone, without Python, torch or sewlearn.

* :func:`to_onnx` converts one fitted estimator: ``predict`` of
  :class:`~sewlearn.SEWRegressor` (output ``"variable"``) and
  :class:`~sewlearn.SEWClassifier` (outputs ``"label"`` and
  ``"probabilities"``), their ``transform`` (the weak code), the
  ``transform`` of each view of :class:`~sewlearn.DeepCCA`,
  :class:`~sewlearn.postprocessing.PostProcessedRegressor` and the students
  of :class:`~sewlearn.DistilledRegressor` and
  :class:`~sewlearn.DistilledClassifier`.
* Importing this module registers a skl2onnx converter for each of these
  classes (``skl2onnx.update_registered_converter``), so that
  ``skl2onnx.to_onnx(pipeline, X[:1])`` converts a whole
  :class:`~sklearn.pipeline.Pipeline` that holds them.
* :func:`to_onnx_streaming` writes the streaming graph of a sequence model
  (``sequence_length`` set): a chunk of frames and the model's state in, the
  predictions and the next state out.

The graphs are written from the weights, operator by operator (``MatMul``,
``Add``, the activation, ONNX's ``GRU``), not traced through
``torch.onnx.export``: the same code then serves the skl2onnx converters
(which add nodes into skl2onnx's graph) and the standalone graphs, the
output does not depend on the version of torch's exporter, and the sequence
model's windows (see :func:`to_onnx_streaming`) need a graph that no traced
torch module gives. The graphs need opset 13 or later.

This module needs the ``onnx`` extra: ``pip install "sewlearn[onnx]"``
(onnx, onnxruntime and skl2onnx). The rest of sewlearn does not import it.
"""

import json

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import to_onnx as _skl2onnx_to_onnx
from skl2onnx import update_registered_converter
from skl2onnx._parse import _parse_sklearn_classifier
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from sklearn.utils.validation import check_array, check_is_fitted

from . import __version__
from ._deepcca import DeepCCA
from ._distill import DistilledClassifier, DistilledRegressor
from ._sew import SEWClassifier, SEWRegressor
from .postprocessing import PostProcessedRegressor

__all__ = ["MIN_OPSET", "to_onnx", "to_onnx_streaming"]

#: The lowest ONNX opset the graphs are written for (``Squeeze`` and
#: ``Unsqueeze`` take their axes as an input from opset 13 on).
MIN_OPSET = 13

_ACTIVATIONS = {
    "tanh": "Tanh",
    "relu": "Relu",
    "logistic": "Sigmoid",
    "identity": "Identity",
}
_INT64_MAX = np.iinfo(np.int64).max


# -- graph building -----------------------------------------------------------
class _Graph:
    """Nodes and initializers, added to skl2onnx's graph or to a plain one.

    With ``scope`` and ``container`` (inside a skl2onnx converter) the names
    are skl2onnx's unique names and everything goes to its container;
    without, the nodes and initializers are kept here for
    :func:`onnx.helper.make_graph`.
    """

    def __init__(self, scope=None, container=None):
        self.scope, self.container = scope, container
        self.nodes, self.initializers = [], []
        self._count = 0

    def name(self, prefix):
        if self.scope is not None:
            return self.scope.get_unique_variable_name(prefix)
        self._count += 1
        return f"{prefix}_{self._count}"

    def const(self, value, prefix="c"):
        """An initializer holding ``value`` (an array); its name."""
        name = self.name(prefix)
        value = np.asarray(value)
        if value.dtype == object:  # strings: no raw data in a string tensor
            tensor = helper.make_tensor(
                name,
                TensorProto.STRING,
                list(value.shape),
                [str(v).encode("utf-8") for v in value.ravel()],
            )
        else:
            tensor = numpy_helper.from_array(value, name)
        if self.container is not None:
            self.container.add_initializer(
                name,
                tensor.data_type,
                list(tensor.dims),
                list(tensor.string_data) if value.dtype == object else tensor,
            )
        else:
            self.initializers.append(tensor)
        return name

    def op(self, op_type, *inputs, outputs=1, domain="", **attrs):
        """Add a node; the name of its output (or the names, ``outputs > 1``).

        ``outputs`` may also be a list of the output names.
        """
        names = (
            [self.name(op_type.lower()) for _ in range(outputs)]
            if isinstance(outputs, int)
            else list(outputs)
        )
        inputs = list(inputs)
        if self.container is not None:
            self.container.add_node(
                op_type,
                inputs,
                names,
                op_domain=domain,
                name=self.scope.get_unique_operator_name(op_type),
                **attrs,
            )
        else:
            self.nodes.append(
                helper.make_node(
                    op_type,
                    inputs,
                    names,
                    name=f"{op_type}_{len(self.nodes)}",
                    domain=domain,
                    **attrs,
                )
            )
        return names[0] if len(names) == 1 else names


def _weights(module):
    """The float32 NumPy array of a parameter of a torch module."""
    return module.detach().cpu().numpy()


def _emit_mlp(g, x, sequential, dtype=np.float32):
    """A ``torch.nn.Sequential`` of ``Linear`` layers and activations, on ``x``.

    ``x`` may have any rank: ``MatMul`` and ``Add`` act on its last axis.
    """
    from torch import nn

    from ._modules import ACTIVATIONS

    onnx_names = {cls: _ACTIVATIONS[key] for key, cls in ACTIVATIONS.items()}
    for layer in sequential:
        if isinstance(layer, nn.Linear):
            x = g.op("MatMul", x, g.const(_weights(layer.weight).T.astype(dtype), "W"))
            x = g.op("Add", x, g.const(_weights(layer.bias).astype(dtype), "b"))
        elif type(layer) in onnx_names:
            x = g.op(onnx_names[type(layer)], x)
        elif isinstance(layer, nn.Sequential):
            x = _emit_mlp(g, x, layer, dtype)
        else:  # pragma: no cover - make_mlp and make_head build nothing else
            raise TypeError(f"Cannot export the layer {layer!r} to ONNX.")
    return x


def _gru_weights(g, gru):
    """ONNX ``GRU`` weights (``W``, ``R``, ``B``) of a one-layer torch GRU.

    torch stacks the gates as (reset, update, new), ONNX as (update, reset,
    hidden); torch's new gate applies the reset after the recurrent linear
    map, which is ONNX's ``linear_before_reset=1``.
    """

    def gates(w):
        r, z, n = np.split(w, 3)
        return np.concatenate([z, r, n])

    w = gates(_weights(gru.weight_ih_l0))[None]
    r = gates(_weights(gru.weight_hh_l0))[None]
    b = np.concatenate(
        [gates(_weights(gru.bias_ih_l0)), gates(_weights(gru.bias_hh_l0))]
    )
    return g.const(w, "W"), g.const(r, "R"), g.const(b[None], "B")


def _emit_gru(g, x, head, sequence_lens=None):
    """The GRU head (:class:`~sewlearn._modules.GRUHead`) over time-major ``x``.

    ``x`` is ``(time, batch, width)``; each sequence starts from a zero state
    and, with ``sequence_lens`` (int32, one per sequence), ends there. Returns
    the head's output at the last step of each sequence, ``(batch, n_out)``.
    """
    h = x
    last = None
    for gru in head.grus:
        w, r, b = _gru_weights(g, gru)
        inputs = [h, w, r, b] + ([sequence_lens] if sequence_lens is not None else [])
        y, y_h = g.op(
            "GRU",
            *inputs,
            outputs=2,
            hidden_size=gru.hidden_size,
            linear_before_reset=1,
        )
        h = g.op("Squeeze", y, g.const(np.array([1], dtype=np.int64), "axes"))
        last = y_h
    last = g.op("Squeeze", last, g.const(np.array([0], dtype=np.int64), "axes"))
    return _emit_mlp(g, last, [head.linear])


def _emit_head(g, code, head):
    """``R`` on frames ``(batch, width)``: the MLP, or the GRU one step from zero."""
    from ._modules import GRUHead

    if isinstance(head, GRUHead):
        x = g.op("Unsqueeze", code, g.const(np.array([0], dtype=np.int64), "axes"))
        return _emit_gru(g, x, head)
    return _emit_mlp(g, code, head)


def _shape_part(g, x, start, end):
    """``Shape(x)[start:end]``, an int64 vector."""
    shape = g.op("Shape", x)
    return g.op(
        "Slice",
        shape,
        g.const(np.array([start], dtype=np.int64), "start"),
        g.const(np.array([end], dtype=np.int64), "end"),
    )


def _emit_windows(g, codes, state, head, length):
    """``R`` over the causal windows of the frames ``codes``, after ``state``.

    ``codes`` is ``(streams, frames, width)``, the weak codes of new frames;
    ``state`` (or None, an empty one) the codes of up to ``length - 1`` frames
    before them, ``(streams, past, width)``. Frame ``i`` of the frames so
    joined is read from the window of frames ``max(0, i - length + 1)`` to
    ``i``, the GRU restarted from a zero state at its first frame: the rule
    of :func:`~sewlearn._sequence.stitched_outputs`, so that the frames of
    one recording fed in any chunks get the outputs of ``predict``. Returns
    the outputs ``(streams, frames, n_out)`` and the joined codes.
    """
    i64 = np.int64
    joined = codes if state is None else g.op("Concat", state, codes, axis=1)
    n_new = _shape_part(g, codes, 1, 2)  # frames of this call
    n_all = _shape_part(g, joined, 1, 2)
    past = g.op("Sub", n_all, n_new)
    scalar = g.const(np.array([], dtype=i64), "scalar")
    positions = g.op(
        "Range",
        g.op("Reshape", past, scalar),
        g.op("Reshape", n_all, scalar),
        g.const(np.array(1, dtype=i64), "one"),
    )  # (frames,)
    starts = g.op(
        "Max",
        g.op("Sub", positions, g.const(np.array(length - 1, dtype=i64), "back")),
        g.const(np.array(0, dtype=i64), "zero"),
    )
    lens = g.op(
        "Add",
        g.op("Sub", positions, starts),
        g.const(np.array(1, dtype=i64), "one"),
    )
    # (frames, length) indices of each window; the steps past a short
    # window's end are clipped in place, and the GRU stops before them.
    index = g.op(
        "Min",
        g.op(
            "Add",
            g.op("Unsqueeze", starts, g.const(np.array([1], dtype=i64), "axes")),
            g.const(np.arange(length, dtype=i64)[None], "offsets"),
        ),
        g.op("Sub", n_all, g.const(np.array(1, dtype=i64), "one")),
    )
    windows = g.op("Gather", joined, index, axis=1)  # (streams, frames, L, w)
    windows = g.op("Transpose", windows, perm=[2, 0, 1, 3])  # (L, s, f, w)
    width = head.grus[0].input_size
    windows = g.op(
        "Reshape", windows, g.const(np.array([length, -1, width], dtype=i64), "shape")
    )
    n_streams = _shape_part(g, codes, 0, 1)
    sequence_lens = g.op("Cast", g.op("Tile", lens, n_streams), to=TensorProto.INT32)
    out = _emit_gru(g, windows, head, sequence_lens)  # (streams * frames, n_out)
    n_out = head.linear.out_features
    shape = g.op(
        "Concat",
        _shape_part(g, codes, 0, 2),
        g.const(np.array([n_out], dtype=i64), "n_out"),
        axis=0,
    )
    return g.op("Reshape", out, shape), joined


# -- what each estimator deploys ------------------------------------------------
def _as_float(g, x, input_type):
    """``x`` cast to float32 unless it is float32 already."""
    if isinstance(input_type, FloatTensorType):
        return x
    return g.op("Cast", x, to=TensorProto.FLOAT)


def _target_unscaling(g, y, estimator):
    """``y * target_scale_ + target_mean_`` when the regressor standardised ``y``."""
    scale = getattr(estimator, "target_scale_", None)
    mean = getattr(estimator, "target_mean_", None)
    if scale is not None:
        y = g.op("Mul", y, g.const(np.asarray(scale, dtype=np.float32), "scale"))
    if mean is not None:
        y = g.op("Add", y, g.const(np.asarray(mean, dtype=np.float32), "mean"))
    return y


def _sew_outputs(g, x, estimator):
    """The head's output ``(n, n_head)`` of a SEW estimator on frames ``x``.

    A sequence model reads the rows of ``x`` as one recording, as ``predict``
    does without ``groups``.
    """
    module = estimator.module_
    code = _emit_mlp(g, x, module.weak_encoder)
    if estimator.sequence_length is None:
        return _emit_head(g, code, module.regressor)
    axes = g.const(np.array([0], dtype=np.int64), "axes")
    out, _ = _emit_windows(
        g,
        g.op("Unsqueeze", code, axes),
        None,
        module.regressor,
        estimator.sequence_length,
    )
    return g.op("Squeeze", out, axes)


def _class_labels(estimator):
    """``classes_`` as an ONNX-ready array: int64 or strings."""
    classes = np.asarray(estimator.classes_)
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        if np.all(classes == np.round(classes)):
            return classes.astype(np.int64)
        raise ValueError(
            f"Cannot export the class labels {classes!r} to ONNX: the labels "
            "must be integers or strings (skl2onnx's label types)."
        )
    return np.array([str(c) for c in classes], dtype=object)


def _emit_labels(g, logits, estimator, label_name, proba_name):
    """``label`` (argmax of the logits, as a class) and ``probabilities``."""
    g.op("Softmax", logits, outputs=[proba_name], axis=-1)
    index = g.op("ArgMax", logits, axis=-1, keepdims=0)
    g.op(
        "Gather",
        g.const(_class_labels(estimator), "classes"),
        index,
        outputs=[label_name],
        axis=0,
    )


def _check_opset(opset):
    if opset is not None and opset < MIN_OPSET:
        raise ValueError(
            f"sewlearn's ONNX graphs need opset {MIN_OPSET} or later, got "
            f"target_opset={opset}."
        )


# -- skl2onnx: parser, shape calculators, converters ---------------------------
def _method(scope, model):
    options = scope.get_options(model, dict(method="predict"), fail=False)
    method = options.get("method", "predict")
    if method not in ("predict", "transform"):
        raise ValueError(
            f"Option method={method!r} of {type(model).__name__}: use "
            "'predict' or 'transform'."
        )
    return method


def _parse_sew(scope, model, inputs, custom_parsers=None):
    """skl2onnx parser: ``predict``'s outputs, or ``transform``'s (option method)."""
    method = _method(scope, model)
    if isinstance(model, SEWClassifier) and method == "predict":
        # label and probabilities, and the zipmap option, as skl2onnx does.
        return _parse_sklearn_classifier(scope, model, inputs, custom_parsers)
    operator = scope.declare_local_operator(_ALIASES[type(model)], model)
    operator.inputs = inputs
    operator.sew_method = method
    variable = scope.declare_local_variable("variable", FloatTensorType())
    operator.outputs.append(variable)
    return operator.outputs


def _n_rows(operator):
    return operator.inputs[0].get_first_dimension()


def _check_input(operator, n_features):
    shape = operator.inputs[0].type.shape
    if len(shape) != 2 or (shape[1] is not None and shape[1] != n_features):
        raise ValueError(
            f"{type(operator.raw_operator).__name__} expects inputs of shape "
            f"(n_samples, {n_features}), got an input of shape {shape}."
        )
    if not isinstance(operator.inputs[0].type, (FloatTensorType, DoubleTensorType)):
        raise TypeError(
            f"{type(operator.raw_operator).__name__}: the input must be a float "
            f"tensor, got {operator.inputs[0].type}."
        )


def _sew_shape_calculator(operator):
    model = operator.raw_operator
    _check_input(operator, model.n_features_in_)
    n = _n_rows(operator)
    if len(operator.outputs) == 2:  # classifier: label, probabilities
        labels = _class_labels(model)
        label_type = StringTensorType if labels.dtype == object else Int64TensorType
        operator.outputs[0].type = label_type([n])
        operator.outputs[1].type = FloatTensorType([n, len(labels)])
        return
    if getattr(operator, "sew_method", "predict") == "transform":
        width = model.module_.weak_encoder[-1].out_features
    else:
        width = model.n_outputs_
    operator.outputs[0].type = FloatTensorType([n, width])


def _sew_converter(scope, operator, container):
    model = operator.raw_operator
    _check_opset(container.target_opset)
    g = _Graph(scope, container)
    x = _as_float(g, operator.inputs[0].full_name, operator.inputs[0].type)
    if len(operator.outputs) == 2:
        logits = _sew_outputs(g, x, model)
        _emit_labels(
            g,
            logits,
            model,
            operator.outputs[0].full_name,
            operator.outputs[1].full_name,
        )
        return
    if getattr(operator, "sew_method", "predict") == "transform":
        y = _emit_mlp(g, x, model.module_.weak_encoder)
    else:
        y = _target_unscaling(g, _sew_outputs(g, x, model), model)
    g.op("Identity", y, outputs=[operator.outputs[0].full_name])


def _deepcca_view(scope, model):
    options = scope.get_options(model, dict(view="x"), fail=False)
    view = options.get("view", "x")
    if view not in ("x", "y"):
        raise ValueError(f"Option view={view!r} of DeepCCA: use 'x' or 'y'.")
    return view


def _parse_deepcca(scope, model, inputs, custom_parsers=None):
    operator = scope.declare_local_operator(_ALIASES[DeepCCA], model)
    operator.inputs = inputs
    operator.view = _deepcca_view(scope, model)
    operator.outputs.append(scope.declare_local_variable("variable", FloatTensorType()))
    return operator.outputs


def _deepcca_shape_calculator(operator):
    model = operator.raw_operator
    view = getattr(operator, "view", "x")
    _check_input(operator, model.n_features_in_ if view == "x" else model.n_features_y_)
    operator.outputs[0].type = FloatTensorType(
        [_n_rows(operator), model.x_code_rotations_.shape[1]]
    )


def _deepcca_converter(scope, operator, container):
    """A view's canonical variates, computed in float64 as DeepCCA does."""
    model = operator.raw_operator
    _check_opset(container.target_opset)
    view = getattr(operator, "view", "x")
    g = _Graph(scope, container)
    x = g.op("Cast", operator.inputs[0].full_name, to=TensorProto.DOUBLE)
    if view == "x":
        encoder, mean, std = model.module_.x_encoder, model._x_mean, model._x_std
        code_mean, rotations = model.x_code_mean_, model.x_code_rotations_
    else:
        encoder, mean, std = model.module_.y_encoder, model._y_mean, model._y_std
        code_mean, rotations = model.y_code_mean_, model.y_code_rotations_
    f8 = np.float64
    x = g.op("Sub", x, g.const(np.asarray(mean, dtype=f8) * np.ones(1), "mean"))
    x = g.op("Div", x, g.const(np.asarray(std, dtype=f8) * np.ones(1), "std"))
    code = _emit_mlp(g, x, encoder, dtype=f8)
    code = g.op("Sub", code, g.const(np.asarray(code_mean, dtype=f8), "code_mean"))
    out = g.op("MatMul", code, g.const(np.asarray(rotations, dtype=f8), "rotations"))
    g.op("Cast", out, outputs=[operator.outputs[0].full_name], to=TensorProto.FLOAT)


def _postprocessed_shape_calculator(operator):
    model = operator.raw_operator
    _check_input(operator, model.n_features_in_)
    operator.outputs[0].type = FloatTensorType(
        [_n_rows(operator), np.atleast_1d(model.delay_).size]
    )


def _window_index(g, n, offsets):
    """``clip(arange(n)[:, None] + offsets, 0, n - 1)`` (int64, ``n`` a 1-vector)."""
    i64 = np.int64
    scalar = g.const(np.array([], dtype=i64), "scalar")
    rows = g.op(
        "Range",
        g.const(np.array(0, dtype=i64), "zero"),
        g.op("Reshape", n, scalar),
        g.const(np.array(1, dtype=i64), "one"),
    )
    index = g.op(
        "Add",
        g.op("Unsqueeze", rows, g.const(np.array([1], dtype=i64), "axes")),
        g.const(np.asarray(offsets, dtype=i64)[None], "offsets"),
    )
    index = g.op("Max", index, g.const(np.array(0, dtype=i64), "zero"))
    return g.op("Min", index, g.op("Sub", n, g.const(np.array(1, dtype=i64), "one")))


def _emit_postprocessing(g, raw, model):
    """Smoothing, shift, then ``scale_ * y + offset_``, per output column.

    The rows of ``raw`` (``(n, n_outputs)``) are one recording, as in
    ``predict`` without ``groups``.
    """
    delays = np.atleast_1d(model.delay_)
    windows = np.atleast_1d(model.window_)
    n = _shape_part(g, raw, 0, 1)
    columns = []
    for j, (delay, window) in enumerate(zip(delays, windows)):
        col = raw
        if len(delays) > 1:
            col = g.op("Gather", raw, g.const(np.array([j], dtype=np.int64)), axis=1)
        if window > 1:
            # scipy's centring: the window of frame t starts at t - window // 2;
            # beyond the recording, its first or last value (mode="nearest").
            index = _window_index(g, n, np.arange(window) - window // 2)
            values = g.op(
                "Squeeze",
                g.op("Gather", col, index, axis=0),  # (n, window, 1)
                g.const(np.array([2], dtype=np.int64), "axes"),
            )
            if model.smoothing == "mean":
                col = g.op(
                    "MatMul",
                    values,
                    g.const(np.full((window, 1), 1.0 / window, np.float32), "mean"),
                )
            else:
                # scipy's median of an even window is the upper middle value:
                # the ceil(window / 2)-th largest.
                k = g.const(np.array([window - window // 2], dtype=np.int64), "k")
                top, _ = g.op("TopK", values, k, outputs=2, axis=1)
                col = g.op(
                    "Gather",
                    top,
                    g.const(np.array([window - window // 2 - 1], dtype=np.int64)),
                    axis=1,
                )
        if delay != 0:
            index = _window_index(g, n, [-int(delay)])
            col = g.op(
                "Squeeze",
                g.op("Gather", col, index, axis=0),
                g.const(np.array([1], dtype=np.int64), "axes"),
            )
        columns.append(col)
    out = columns[0] if len(columns) == 1 else g.op("Concat", *columns, axis=1)
    out = g.op("Mul", out, g.const(np.atleast_1d(model.scale_).astype(np.float32)))
    return g.op("Add", out, g.const(np.atleast_1d(model.offset_).astype(np.float32)))


def _postprocessed_converter(scope, operator, container):
    from skl2onnx.algebra.onnx_operator import OnnxSubEstimator
    from skl2onnx.algebra.onnx_ops import OnnxIdentity

    model = operator.raw_operator
    opset = container.target_opset
    _check_opset(opset)
    g = _Graph(scope, container)
    raw = g.name("raw")
    inner = OnnxSubEstimator(model.estimator_, operator.inputs[0], op_version=opset)
    OnnxIdentity(inner, op_version=opset, output_names=[raw]).add_to(scope, container)
    n_outputs = np.atleast_1d(model.delay_).size
    raw = g.op(
        "Reshape",
        g.op("Cast", raw, to=TensorProto.FLOAT),
        g.const(np.array([-1, n_outputs], dtype=np.int64), "shape"),
    )
    out = _emit_postprocessing(g, raw, model)
    g.op("Identity", out, outputs=[operator.outputs[0].full_name])


def _distilled_shape_calculator(operator):
    model = operator.raw_operator
    _check_input(operator, model.n_features_in_)
    n = _n_rows(operator)
    if len(operator.outputs) == 2:  # classifier: label, probabilities
        labels = _class_labels(model)
        label_type = StringTensorType if labels.dtype == object else Int64TensorType
        operator.outputs[0].type = label_type([n])
        operator.outputs[1].type = FloatTensorType([n, len(labels)])
    else:
        operator.outputs[0].type = FloatTensorType([n, None])


def _distilled_converter(scope, operator, container):
    """The student's graph (skl2onnx converts it); the teacher is not deployed."""
    from skl2onnx.algebra.onnx_operator import OnnxSubEstimator
    from skl2onnx.algebra.onnx_ops import OnnxIdentity

    model = operator.raw_operator
    opset = container.target_opset
    _check_opset(opset)
    g = _Graph(scope, container)
    student = model.estimator_
    if len(operator.outputs) == 1:
        raw = g.name("student")
        inner = OnnxSubEstimator(student, operator.inputs[0], op_version=opset)
        OnnxIdentity(inner, op_version=opset, output_names=[raw]).add_to(
            scope, container
        )
        g.op(
            "Reshape",
            g.op("Cast", raw, to=TensorProto.FLOAT),
            g.const(np.array([0, -1], dtype=np.int64), "shape"),
            outputs=[operator.outputs[0].full_name],
        )
        return
    inner = OnnxSubEstimator(
        student, operator.inputs[0], op_version=opset, options={"zipmap": False}
    )
    label, proba = g.name("student_label"), g.name("student_proba")
    OnnxIdentity(inner[0], op_version=opset, output_names=[label]).add_to(
        scope, container
    )
    OnnxIdentity(inner[1], op_version=opset, output_names=[proba]).add_to(
        scope, container
    )
    g.op("Identity", label, outputs=[operator.outputs[0].full_name])
    proba = g.op("Cast", proba, to=TensorProto.FLOAT)
    # predict_proba's columns: the classes of classes_, zero for a class the
    # student never saw.
    columns = np.searchsorted(model.classes_, student.classes_)
    placement = np.zeros((len(student.classes_), len(model.classes_)), np.float32)
    placement[np.arange(len(columns)), columns] = 1.0
    g.op(
        "MatMul",
        proba,
        g.const(placement, "placement"),
        outputs=[operator.outputs[1].full_name],
    )


_ALIASES = {
    DistilledRegressor: "SewlearnDistilledRegressor",
    DistilledClassifier: "SewlearnDistilledClassifier",
    SEWRegressor: "SewlearnSEWRegressor",
    SEWClassifier: "SewlearnSEWClassifier",
    DeepCCA: "SewlearnDeepCCA",
    PostProcessedRegressor: "SewlearnPostProcessedRegressor",
}


def _register():
    """Register the skl2onnx converters of sewlearn's estimators (on import)."""
    update_registered_converter(
        SEWRegressor,
        _ALIASES[SEWRegressor],
        _sew_shape_calculator,
        _sew_converter,
        parser=_parse_sew,
        options={"method": ["predict", "transform"]},
    )
    update_registered_converter(
        SEWClassifier,
        _ALIASES[SEWClassifier],
        _sew_shape_calculator,
        _sew_converter,
        parser=_parse_sew,
        options={
            "method": ["predict", "transform"],
            "zipmap": [True, False, "columns"],
            "nocl": [False],
        },
    )
    update_registered_converter(
        DeepCCA,
        _ALIASES[DeepCCA],
        _deepcca_shape_calculator,
        _deepcca_converter,
        parser=_parse_deepcca,
        options={"view": ["x", "y"]},
    )
    update_registered_converter(
        DistilledRegressor,
        _ALIASES[DistilledRegressor],
        _distilled_shape_calculator,
        _distilled_converter,
    )
    update_registered_converter(
        DistilledClassifier,
        _ALIASES[DistilledClassifier],
        _distilled_shape_calculator,
        _distilled_converter,
        options={"zipmap": [True, False, "columns"], "nocl": [False]},
    )
    update_registered_converter(
        PostProcessedRegressor,
        _ALIASES[PostProcessedRegressor],
        _postprocessed_shape_calculator,
        _postprocessed_converter,
    )


_register()


# -- public functions ---------------------------------------------------------
def _metadata(model, estimator, extra=None):
    """Record the estimator, the features and the versions in the model."""
    props = {
        "producer": f"sewlearn {__version__}",
        "estimator": type(estimator).__name__,
        "n_features_in": str(estimator.n_features_in_),
    }
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        props["feature_names_in"] = json.dumps([str(n) for n in names])
    props.update(extra or {})
    helper.set_model_props(
        model, {**{p.key: p.value for p in model.metadata_props}, **props}
    )
    return model


def _n_features(estimator, X, view):
    if isinstance(estimator, DeepCCA) and view == "y":
        n_features = estimator.n_features_y_
    else:
        n_features = estimator.n_features_in_
    if X is not None:
        X = check_array(X, dtype=None, ensure_all_finite=False)
        if X.shape[1] != n_features:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(estimator).__name__} "
                f"is expecting {n_features} features as input."
            )
    return n_features


def to_onnx(
    estimator,
    X=None,
    *,
    method=None,
    view="x",
    target_opset=None,
    options=None,
    name=None,
):
    """Convert a fitted sewlearn estimator to an ONNX model.

    The graph takes ``"X"``, a float32 tensor of shape ``(n_samples,
    n_features_in_)`` (any number of rows; onnxruntime refuses another
    feature count), and gives what skl2onnx's converters give for the same
    kind of model:

    * ``predict`` of :class:`~sewlearn.SEWRegressor` and
      :class:`~sewlearn.postprocessing.PostProcessedRegressor`:
      ``"variable"``, float32 of shape ``(n_samples, n_outputs)`` (a column
      when ``y`` was 1-D);
    * ``predict`` of :class:`~sewlearn.DistilledRegressor`: its student's,
      as ``"variable"`` of shape ``(n_samples, n_outputs)``;
    * ``predict`` of :class:`~sewlearn.SEWClassifier` and
      :class:`~sewlearn.DistilledClassifier`: ``"label"`` (int64,
      or strings when the classes are strings) and ``"probabilities"``
      (float32, ``(n_samples, n_classes)``, the columns in the order of
      ``classes_``); ``options={"zipmap": True}`` gives skl2onnx's list of
      dictionaries instead, off by default here, as a tensor is what
      onnxruntime's C, C++ and Java users read;
    * ``transform``: ``"variable"``, the weak code of a SEW estimator
      (``latent_dim`` columns) or the canonical variates of one view of
      :class:`~sewlearn.DeepCCA` (``view``).

    A sequence model (``sequence_length`` set) and a
    :class:`~sewlearn.postprocessing.PostProcessedRegressor` read the rows of
    one call as one recording in time order, as their ``predict`` does
    without ``groups``; for frames that arrive one at a time, see
    :func:`to_onnx_streaming`. The model's metadata (``metadata_props``)
    records the estimator, ``n_features_in_`` and, where the estimator has
    them, ``feature_names_in_`` (a JSON list).

    Parameters
    ----------
    estimator : estimator object
        A fitted :class:`~sewlearn.SEWRegressor`,
        :class:`~sewlearn.SEWClassifier`, :class:`~sewlearn.DeepCCA`,
        :class:`~sewlearn.postprocessing.PostProcessedRegressor`,
        :class:`~sewlearn.DistilledRegressor` or
        :class:`~sewlearn.DistilledClassifier` (the last three: whose
        ``estimator_``, the wrapped model or the student, skl2onnx can
        convert; a distilled model deploys its student alone).
    X : array-like of shape (n_samples, n_features), default=None
        Optional sample input, as in :func:`skl2onnx.to_onnx`: only its
        number of columns is checked against the estimator's.
    method : {"predict", "transform"}, default=None
        What the graph computes. None: "predict", or "transform" for
        :class:`~sewlearn.DeepCCA`.
    view : {"x", "y"}, default="x"
        The view of :class:`~sewlearn.DeepCCA` whose ``transform`` is
        exported (``X``'s or ``y``'s canonical variates).
    target_opset : int, default=None
        The ONNX opset, at least ``MIN_OPSET`` (13). None: skl2onnx's
        default, its latest tested opset.
    options : dict, default=None
        Extra skl2onnx options of ``estimator`` (e.g. ``{"zipmap": True}``).
    name : str, default=None
        The graph's name.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The model; ``onnx_model.SerializeToString()`` is what
        ``onnxruntime.InferenceSession`` loads.

    See Also
    --------
    to_onnx_streaming : The streaming graph of a sequence model.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sewlearn import SEWRegressor
    >>> from sewlearn.onnx import to_onnx
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 5)).astype(np.float32)
    >>> y = X[:, 0] - X[:, 1]
    >>> sew = SEWRegressor(weak_hidden_layer_sizes=(16,), latent_dim=4,
    ...                    optimizer="adam", max_epochs=3, random_state=0)
    >>> sew = sew.fit(X, y)
    >>> onx = to_onnx(sew)
    >>> session = ort.InferenceSession(onx.SerializeToString(),
    ...                                providers=["CPUExecutionProvider"])
    >>> (y_onnx,) = session.run(None, {"X": X})
    >>> y_onnx.shape
    (100, 1)
    >>> bool(np.allclose(y_onnx.ravel(), sew.predict(X), rtol=1e-5, atol=1e-6))
    True
    """
    check_is_fitted(estimator)
    _check_opset(target_opset)
    if type(estimator) not in _ALIASES:
        raise TypeError(
            f"to_onnx converts SEWRegressor, SEWClassifier, DeepCCA, "
            "PostProcessedRegressor, DistilledRegressor and DistilledClassifier; "
            f"got {type(estimator).__name__}. For a "
            "Pipeline, call skl2onnx.to_onnx(pipeline, X[:1]) after importing "
            "sewlearn.onnx, which registers the converters."
        )
    if method is None:
        method = "transform" if isinstance(estimator, DeepCCA) else "predict"
    if method not in ("predict", "transform"):
        raise ValueError(f"method must be 'predict' or 'transform', got {method!r}.")
    if isinstance(estimator, DeepCCA) and method != "transform":
        raise ValueError("DeepCCA is a transformer: use method='transform'.")
    only_predict = (PostProcessedRegressor, DistilledRegressor, DistilledClassifier)
    if isinstance(estimator, only_predict) and method != "predict":
        raise ValueError(f"{type(estimator).__name__} exports predict only.")
    if view not in ("x", "y"):
        raise ValueError(f"view must be 'x' or 'y', got {view!r}.")
    n_features = _n_features(estimator, X, view)
    own = {}
    if isinstance(estimator, (SEWRegressor, SEWClassifier)):
        own["method"] = method
    if isinstance(estimator, (SEWClassifier, DistilledClassifier)):
        own["zipmap"] = False
    if isinstance(estimator, DeepCCA):
        own["view"] = view
    own.update(options or {})
    model = _skl2onnx_to_onnx(
        estimator,
        initial_types=[("X", FloatTensorType([None, n_features]))],
        target_opset=target_opset,
        options={id(estimator): own},
        name=name,
    )
    extra = {"method": method}
    if isinstance(estimator, DeepCCA):
        extra["view"] = view
    return _metadata(model, estimator, extra)


def to_onnx_streaming(estimator, *, target_opset=None, name=None):
    """The streaming graph of a fitted SEW sequence model.

    A sequence model (``sequence_length=L``, ``head="gru"``) reads each frame
    from the window of ``L`` frames that ends at it, the GRU restarted from a
    zero state at the window's first frame (see ``groups`` in
    :meth:`~sewlearn.SEWRegressor.predict`). A running GRU state is not
    that; the state this graph carries is the weak codes of the last
    ``L - 1`` frames (fewer at the start of a recording), over which it
    reruns the GRU for each new frame. Feeding a recording's frames through
    it in order, one at a time or in chunks of any size, gives the outputs of
    ``predict`` on that recording, to float32 rounding.

    Inputs:

    * ``"X"``: float32 ``(n_streams, n_frames, n_features_in_)``, the next
      frames of each stream (recording), in time order;
    * ``"state"``: float32 ``(n_streams, n_past, latent_dim)``, the state
      returned by the previous call. **A recording starts with an empty
      state**, ``np.zeros((n_streams, 0, latent_dim), np.float32)``.

    Outputs: the predictions of the new frames, ``"variable"`` (float32
    ``(n_streams, n_frames, n_outputs)``) for a regressor, or ``"label"``
    ``(n_streams, n_frames)`` and ``"probabilities"`` ``(n_streams,
    n_frames, n_classes)`` for a classifier; then ``"next_state"``, float32
    ``(n_streams, min(L - 1, n_past + n_frames), latent_dim)``, to pass as
    ``"state"`` with the stream's next frames. The streams of one call must
    have the same ``n_past`` (e.g. started together); a stream may as well
    have a call of its own.

    Parameters
    ----------
    estimator : SEWRegressor or SEWClassifier
        Fitted with ``sequence_length`` set.
    target_opset : int, default=None
        The ONNX opset, at least ``MIN_OPSET``. None: 17.
    name : str, default=None
        The graph's name.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The streaming model.

    See Also
    --------
    to_onnx : The graph of one whole recording, or of a frame-wise model.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sewlearn import SEWRegressor
    >>> from sewlearn.onnx import to_onnx_streaming
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 5)).astype(np.float32)
    >>> y, groups = X[:, 0], np.repeat([0, 1], 60)
    >>> seq = SEWRegressor(weak_hidden_layer_sizes=(16,), latent_dim=4,
    ...                    head="gru", head_hidden_layer_sizes=(8,),
    ...                    sequence_length=10, optimizer="adam", max_epochs=2,
    ...                    random_state=0).fit(X, y, groups=groups)
    >>> session = ort.InferenceSession(
    ...     to_onnx_streaming(seq).SerializeToString(),
    ...     providers=["CPUExecutionProvider"])
    >>> state = np.zeros((1, 0, 4), np.float32)  # a recording starts
    >>> outputs = []
    >>> for frame in X[:60]:  # recording 0, one frame at a time
    ...     y_t, state = session.run(None, {"X": frame[None, None], "state": state})
    ...     outputs.append(y_t[0, 0, 0])
    >>> state.shape
    (1, 9, 4)
    >>> expected = seq.predict(X, groups=groups)[:60]
    >>> bool(np.allclose(outputs, expected, rtol=1e-5, atol=1e-6))
    True
    """
    check_is_fitted(estimator)
    if not isinstance(estimator, (SEWRegressor, SEWClassifier)):
        raise TypeError(
            f"to_onnx_streaming exports SEW sequence models; got "
            f"{type(estimator).__name__}."
        )
    if estimator.sequence_length is None:
        raise ValueError(
            "to_onnx_streaming exports sequence models (sequence_length set). "
            "This frame-wise model reads each frame alone: its to_onnx graph "
            "is already a streaming one (one frame per row, no state)."
        )
    _check_opset(target_opset)
    opset = 17 if target_opset is None else target_opset
    module = estimator.module_
    length = estimator.sequence_length
    latent = module.weak_encoder[-1].out_features
    n_features = estimator.n_features_in_
    g = _Graph()
    code = _emit_mlp(g, "X", module.weak_encoder)
    out, joined = _emit_windows(g, code, "state", module.regressor, length)
    start = -(length - 1) if length > 1 else _INT64_MAX
    g.op(
        "Slice",
        joined,
        g.const(np.array([start], dtype=np.int64), "start"),
        g.const(np.array([_INT64_MAX], dtype=np.int64), "end"),
        g.const(np.array([1], dtype=np.int64), "axes"),
        outputs=["next_state"],
    )
    f4 = TensorProto.FLOAT
    if isinstance(estimator, SEWClassifier):
        _emit_labels(g, out, estimator, "label", "probabilities")
        labels = _class_labels(estimator)
        label_type = TensorProto.STRING if labels.dtype == object else TensorProto.INT64
        outputs = [
            helper.make_tensor_value_info("label", label_type, ["N", "T"]),
            helper.make_tensor_value_info("probabilities", f4, ["N", "T", len(labels)]),
        ]
    else:
        g.op("Identity", _target_unscaling(g, out, estimator), outputs=["variable"])
        outputs = [
            helper.make_tensor_value_info(
                "variable", f4, ["N", "T", estimator.n_outputs_]
            )
        ]
    outputs.append(
        helper.make_tensor_value_info("next_state", f4, ["N", "S_next", latent])
    )
    graph = helper.make_graph(
        g.nodes,
        name or f"{type(estimator).__name__}_streaming",
        [
            helper.make_tensor_value_info("X", f4, ["N", "T", n_features]),
            helper.make_tensor_value_info("state", f4, ["N", "S", latent]),
        ],
        outputs,
        initializer=g.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="sewlearn",
        producer_version=__version__,
        # the oldest IR version of the opset, for older runtimes
        ir_version=helper.find_min_ir_version_for(opsets),
    )
    return _metadata(
        model,
        estimator,
        {
            "method": "streaming",
            "sequence_length": str(length),
            "state_width": str(latent),
        },
    )
