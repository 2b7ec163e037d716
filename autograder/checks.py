"""The hidden tests: each ``judge_*`` takes the record of a student's answer and raises AssertionError if it is wrong.

A record (``probes.py``) is what the student's answer returned on the grading inputs: fresh synthetic
images, other layers and classes, a second model with three classes, random layer stacks and sizes. The
judges build those inputs again, compare the record with the reference solution (``solutions/sec02.py``)
and, where a reference alone could be fooled, with properties measured from real Keras models: output
sizes from real convolution layers, receptive fields from real gradients, and Adebayo et al.'s
model-randomisation sanity check for the maps. They run no student code, so they can share a process
with the reference; ``check(name, answer)`` (probe, then judge, in one process) is what a hidden test cell
runs when the grading code is in the course root. Messages say what is wrong with the answer, never how the
reference works.
"""
import functools
import json
import pathlib

import numpy as np

from autograder import probes
from autograder.probes import GRADING_SEED

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Map comparisons are made after min-max rescaling both maps, so that any correct way of scaling a
# map into [0, 1] is accepted. MAP_ATOL is the largest per-pixel difference allowed. Measured on
# these cases: correct answers by other routes (numpy or TensorFlow reductions, a Keras sub-model or
# a clone, tf.image.resize or skimage's bilinear resize) stay within 1e-6 of the reference, while
# each typical mistake (no ReLU, through the softmax, wrong layer, no absolute value, mean over
# channels) differs by 0.15 or more somewhere in at least one case.
MAP_ATOL = 0.05
SMOOTHGRAD_MIN_R = 0.9  # see judge_saliency_graphs


@functools.cache
def _reference():
    from solutions import sec02

    return sec02


def check(name, answer):
    """The hidden test of one exercise in one process: record the answer, then judge the record."""
    judge(name, probes.record(name, answer))


def judge(name, record):
    if record is None:
        raise AssertionError("it was not checked: the grading of your code stopped before this exercise")
    globals()[f"judge_{name}"](record)


def _got(record, key, what):
    """What the student's code gave for one call; raises if it raised, or never ran."""
    if f"{key}.error" in record:
        raise AssertionError(f"{what} raised {record[key + '.error']}")
    if key not in record:
        raise AssertionError(f"{what} {record.get('stopped', 'was not run')}")
    return record[key]


def _rescaled(a):
    a = np.asarray(a, dtype=np.float64)
    span = a.max() - a.min()
    return (a - a.min()) / span if span > 0 else np.zeros_like(a)


def _as_array(value, what):
    if isinstance(value, str):  # the probe found no numbers in it: this is the name of its type
        raise AssertionError(f"{what} should be an array of numbers, got {value}")
    return np.asarray(value, dtype=np.float64)


def _check_map(got, want, what, shape):
    got = _as_array(got, what)
    assert got.shape == shape, f"{what}: shape {got.shape}, expected {shape}"
    assert np.all(np.isfinite(got)), f"{what}: contains NaN or infinity"
    assert got.min() >= -1e-6 and got.max() <= 1 + 1e-6, f"{what}: values outside [0, 1]"
    diff = np.abs(_rescaled(got) - _rescaled(want))
    assert diff.max() <= MAP_ATOL, (
        f"{what}: does not match the expected map ({np.mean(diff > MAP_ATOL):.0%} of pixels differ by more "
        f"than {MAP_ATOL}; largest difference {diff.max():.2f})")


def _correlation(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _number(value, what):
    value = _as_array(value, what)
    assert value.shape == (), f"{what} returned an array of shape {value.shape}; it should return a number"
    return value.item()


# --- arithmetic --------------------------------------------------------------------------------

def _keras_output_size(n, kernel_size, stride, padding, dilation):
    """Output length of a real Keras convolution applied to a length-n input."""
    import keras

    layer = keras.layers.Conv1D(1, kernel_size, strides=stride, padding=padding, dilation_rate=dilation)
    return int(layer(np.zeros((1, n, 1), dtype="float32")).shape[1])


def judge_conv_output_size(record):
    reference = _reference().conv_output_size
    for i, (n, kernel, stride, padding, dilation) in enumerate(probes.output_size_cases()):
        call = f"conv_output_size({n}, {kernel}, stride={stride}, padding={padding!r}, dilation={dilation})"
        got = _got(record, str(i), call)
        assert not isinstance(got, str), f"{call} returned {got}; it should return an int"
        got = int(got)
        if stride == 1 or dilation == 1:  # Keras cannot stride and dilate at once
            want = _keras_output_size(n, kernel, stride, padding, dilation)
            assert got == want, f"{call} returned {got}, but a Keras Conv layer gives {want}"
        else:
            want = reference(n, kernel, stride=stride, padding=padding, dilation=dilation)
            assert got == want, f"{call} returned {got}, expected {want}"


def _measured_receptive_field(layers):
    """The receptive field of a real Keras stack, read off the gradient of one output neuron.

    Weights are all ones and there is no activation, so no gradient cancels inside the field.
    """
    import keras
    import tensorflow as tf

    size = 4 * _reference().receptive_field(layers) + 64
    inputs = keras.Input(shape=(size, 1))
    x = inputs
    for kernel, stride, dilation in layers:
        x = keras.layers.Conv1D(1, kernel, strides=stride, dilation_rate=dilation, use_bias=False,
                                kernel_initializer="ones")(x)
    model = keras.Model(inputs, x)
    image = tf.zeros((1, size, 1))
    with tf.GradientTape() as tape:
        tape.watch(image)
        out = model(image)
        neuron = out[0, out.shape[1] // 2, 0]
    touched = np.nonzero(tape.gradient(neuron, image).numpy()[0, :, 0])[0]
    return int(touched[-1] - touched[0] + 1)


def judge_receptive_field(record):
    keras_stacks, other_stacks = probes.receptive_field_stacks()
    for i, stack in enumerate(keras_stacks):
        call = f"receptive_field({stack})"
        got, want = _number(_got(record, str(i), call), call), _measured_receptive_field(stack)
        assert got == want, (f"{call} returned {got:g}, but the gradient of a real Keras "
                             f"model with these layers reaches {want} input pixels")
    reference = _reference().receptive_field
    for i, stack in enumerate(other_stacks, start=len(keras_stacks)):
        call = f"receptive_field({stack})"
        got, want = _number(_got(record, str(i), call), call), reference(stack)
        assert got == want, f"{call} returned {got:g}, expected {want}"
    call = "receptive_field([(3, 1, 1)] * 3)"
    assert _number(_got(record, "three_3x3", call), call) == 7, "three stacked 3x3 convolutions should see 7 pixels"
    call = "receptive_field(((3, 1, 1), (3, 1, 2), (3, 1, 4)))"
    got = _number(_got(record, "tuple", call), call)
    assert got == 15, f"receptive_field should accept any sequence of layers (a tuple gave {got:g})"


def judge_receptive_field_answer(record):
    answer = record.get("str")
    assert answer in ("i", "ii", "iii"), f'receptive_field_answer should be "i", "ii" or "iii", not {record["repr"]}'
    assert answer == "i", "that square is not the receptive field of the purple neuron"


def judge_filter_order(record):
    key = json.loads((ROOT / "autograder" / "answer_key.json").read_text())["filter_order"]
    order = record.get("str")
    assert order is not None and sorted(order.upper()) == ["A", "B", "C"], (
        f'filter_order should be the letters A, B, C in some order, e.g. "BCA", not {record["repr"]}')
    assert order.upper() == key, "the filter sets are not in shallow-to-deep order"


# --- feature maps --------------------------------------------------------------------------------

def judge_get_feature_maps(record):
    reference = _reference().get_feature_maps
    for i, ((model_name, layer), img) in enumerate(zip(probes.FEATURE_MAP_CASES, probes.images())):
        want = reference(probes.models()[model_name], layer, img)
        what = f"get_feature_maps({model_name}, {layer!r}, image)"
        got = _as_array(_got(record, str(i), what), "get_feature_maps")
        assert got.shape == want.shape, (f"{what}: shape {got.shape}, expected (height, width, channels) = "
                                          f"{want.shape}")
        scale = max(1.0, float(np.abs(want).max()))
        assert np.allclose(got, want, rtol=1e-4, atol=1e-4 * scale), (
            f"{what}: the values are not the activations of layer {layer!r} for this image")


# --- saliency and Grad-CAM -----------------------------------------------------------------------

def judge_vanilla_saliency(record):
    reference = _reference().vanilla_saliency
    for i, (model_name, model, img, c) in enumerate(probes.map_cases()):
        what = f"vanilla_saliency on {model_name}, class {c}"
        _check_map(_got(record, str(i), what), reference(model, img, c), what, img.shape[:2])
    _judge_randomisation(record, "vanilla_saliency")


def judge_gradcam(record):
    reference = _reference().gradcam
    checked = 0
    for i, (model_name, model, img, c, layer) in enumerate(probes.gradcam_cases()):
        want = reference(model, img, c, layer)
        if want.max() == 0:  # no positive evidence for this class: every map is flat, nothing to compare
            continue
        what = f"gradcam on {model_name}, class {c}, layer {layer!r}"
        _check_map(_got(record, str(i), what), want, what, img.shape[:2])
        checked += 1
    assert checked >= 4, "internal: too few Grad-CAM cases with positive evidence"
    _judge_randomisation(record, "gradcam")


def _judge_randomisation(record, name):
    """A faithful map depends on the weights: re-initialising them must change it (Adebayo et al.)."""
    trained = _as_array(_got(record, "trained", name), name)
    random = _as_array(_got(record, "random", f"{name} on a model with re-initialised weights"), name)
    assert _correlation(trained, random) < 0.9, (
        f"{name}: the map barely changes when the model's weights are re-initialised, so it does not "
        "explain the model")


def judge_prepare_image(record):
    for i, img in enumerate(probes.prepare_image_cases()):
        shape = img.shape
        got = _got(record, str(i), f"prepare_image of a {shape} image")
        assert not isinstance(got, str), f"prepare_image of a {shape} image returned a {got}, expected an array"
        assert got.shape == (1,) + shape, f"prepare_image of a {shape} image: shape {got.shape}, expected {(1,) + shape}"
        assert got.dtype == np.float32, f"prepare_image: dtype {got.dtype}, expected float32"
        assert np.allclose(got[0], img, atol=1e-6), "prepare_image should not change the pixel values"


def _logits(model, img):
    import keras

    last = model.layers[-1]
    hidden = keras.Model(model.inputs, last.input)(img[None], training=False)
    return np.asarray(hidden) @ np.asarray(last.kernel) + np.asarray(last.bias)


def judge_model_modifier(record):
    img = probes.images()[1]
    for i, model in enumerate(probes.model_modifier_cases()):
        want = _logits(model, img)
        got = _got(record, str(i), "model_modifier")
        assert not (isinstance(got, str) and got == "None"), "model_modifier should return the model"
        out = _as_array(got, "the returned model's output")
        assert out.shape == want.shape, f"model_modifier: the model's output has shape {out.shape}, expected {want.shape}"
        assert np.allclose(out, want, rtol=1e-4, atol=1e-4), (
            "model_modifier: the returned model's outputs are not the class scores before the softmax")


def _smoothgrad_reference(model, img, positive_gradients):
    """The reference SmoothGrad with 60 samples instead of 20: a steadier target for the statistics."""
    import matplotlib.pyplot as plt
    import tensorflow as tf

    maps = []
    for seed in range(3):
        tf.random.set_seed(GRADING_SEED + seed)
        fig, m = _reference().saliency_graphs(model, img, positive_gradients=positive_gradients)
        plt.close(fig)  # in the student's kernel an open figure would be drawn into the test cell
        maps.append(m)
    return np.mean(maps, axis=0)


def judge_saliency_graphs(record):
    """SmoothGrad is random: compare by correlation with a steadier reference, per class.

    Measured on these cases: a 20-sample run of the reference, or a hand-written SmoothGrad loop,
    correlates with the 60-sample reference at r >= 0.97; each typical mistake falls to r <= 0.85 in
    at least one class of one case (no absolute value: 0.33 on cnn2; softmax left in place: 0.06 on the
    regional model; the positive-gradient branch inverted: 0.10 on cnn2). SMOOTHGRAD_MIN_R sits between.
    """
    for i, (model, img, positive) in enumerate(probes.saliency_graphs_cases()):
        n_classes = model.output_shape[-1]
        what = f"saliency_graphs(positive_gradients={positive}) on a {n_classes}-class model"
        maps = _got(record, str(i), what)
        assert record.get(f"{i}.pair"), "saliency_graphs should return (fig, maps)"
        assert record.get(f"{i}.figure"), "saliency_graphs should return a matplotlib Figure first"
        maps = _as_array(maps, "saliency_graphs maps")
        assert maps.shape == (n_classes,) + img.shape[:2], (
            f"{what}: maps of shape {maps.shape}, expected (n_classes, height, width) = {(n_classes,) + img.shape[:2]}")
        assert np.all(np.isfinite(maps)) and maps.min() >= -1e-6 and maps.max() <= 1 + 1e-6, (
            f"{what}: values outside [0, 1]")
        want = _smoothgrad_reference(model, img, positive)
        for c in range(n_classes):
            r = _correlation(maps[c], want[c])
            assert r >= SMOOTHGRAD_MIN_R, f"{what}, class {c}: the map does not match the expected SmoothGrad map"
