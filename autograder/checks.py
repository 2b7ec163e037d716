"""The hidden tests: each ``check_*`` takes a student's answer and raises AssertionError if it is wrong.

The notebook's hidden test cells call these. They compare the answer with the reference solution
(``solutions/sec02.py``) on inputs the student never saw: fresh synthetic images, other layers and
classes, a second model with three classes, random layer stacks and sizes. Where a reference alone
could be fooled they also check properties measured from real Keras models: output sizes from real
convolution layers, receptive fields from real gradients, and Adebayo et al.'s model-randomisation
sanity check for the maps. Messages say what is wrong with the answer, never how the reference works.
"""
import contextlib
import functools
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "source" / "sec02"
GRADING_SEED = 2021  # the grading images and stacks; students never see them

# Map comparisons are made after min-max rescaling both maps, so that any correct way of scaling a
# map into [0, 1] is accepted. MAP_ATOL is the largest per-pixel difference allowed. Measured on
# these cases: correct answers by other routes (numpy or TensorFlow reductions, a Keras sub-model or
# a clone, tf.image.resize or skimage's bilinear resize) stay within 1e-6 of the reference, while
# each typical mistake (no ReLU, through the softmax, wrong layer, no absolute value, mean over
# channels) differs by 0.15 or more somewhere in at least one case.
MAP_ATOL = 0.05
SMOOTHGRAD_MIN_R = 0.9  # see check_saliency_graphs


@functools.cache
def _reference():
    from solutions import sec02

    return sec02


@functools.cache
def _models():
    import keras

    return {name: keras.models.load_model(ASSIGNMENT / "data" / f"{name}.keras") for name in ("cnn1", "cnn2")}


def _fresh_cnn2():
    """An independent copy, so that an answer that edits the model it is given cannot affect the next check."""
    import keras

    return keras.models.load_model(ASSIGNMENT / "data" / "cnn2.keras")


def _three_class_model():
    """A model the students never saw: other layer names, three softmax classes, seeded weights."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(GRADING_SEED)
    inputs = keras.Input(shape=(128, 128, 3))
    x = layers.Conv2D(8, 3, strides=2, activation="relu", name="block_a")(inputs)
    x = layers.Conv2D(12, 3, strides=2, activation="relu", name="block_b")(x)
    x = layers.Conv2D(16, 3, strides=2, activation="relu", name="block_c")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(12, activation="relu", name="hidden")(x)
    outputs = layers.Dense(3, activation="softmax", name="scores")(x)
    return keras.Model(inputs, outputs, name="grader_three_class")


def _regional_model():
    """Three classes, each scored from its own third of the image (left, middle, right).

    A class's score depends only on its region, while its softmax probability depends on all three:
    an answer that differentiates the probability instead of the score spreads the map over the
    other classes' regions, which no amount of SmoothGrad noise hides.
    """
    import keras
    from keras import layers

    keras.utils.set_random_seed(GRADING_SEED + 2)
    inputs = keras.Input(shape=(128, 128, 3))
    x = layers.Conv2D(6, 5, strides=2, activation="relu", name="regional_conv")(inputs)  # (62, 62, 6)
    x = layers.AveragePooling2D(pool_size=(62, 20), strides=(62, 21), name="thirds")(x)  # (1, 3, 6)
    x = layers.Flatten()(x)
    outputs = layers.Dense(3, activation="softmax", name="scores")(x)
    model = keras.Model(inputs, outputs, name="grader_regional")
    kernel = np.zeros((18, 3), dtype="float32")
    rng = np.random.default_rng(GRADING_SEED)
    for region in range(3):  # Flatten orders (row, column, channel): region r owns features 6r..6r+5
        kernel[6 * region:6 * region + 6, region] = rng.uniform(0.5, 1.5, 6) * rng.choice([-1, 1], 6)
    model.get_layer("scores").set_weights([kernel * 8, np.zeros(3, dtype="float32")])
    return model


def _randomised(model):
    """The same architecture with every weight re-initialised (Adebayo et al., 2018)."""
    import keras

    keras.utils.set_random_seed(GRADING_SEED + 1)
    clone = keras.models.clone_model(model)
    return clone


@functools.cache
def _images():
    from cnnlab.data import synthetic_sample

    horses = synthetic_sample(0, 2, seed=GRADING_SEED)
    zebras = synthetic_sample(1, 2, seed=GRADING_SEED)
    return [horses.images[0], zebras.images[0], horses.images[1], zebras.images[1]]


def _rescaled(a):
    a = np.asarray(a, dtype=np.float64)
    span = a.max() - a.min()
    return (a - a.min()) / span if span > 0 else np.zeros_like(a)


def _as_array(value, what):
    try:
        return np.asarray(value, dtype=np.float64)
    except Exception as err:
        raise AssertionError(f"{what} should be an array of numbers, got {type(value).__name__}") from err


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


# --- arithmetic --------------------------------------------------------------------------------

def _keras_output_size(n, kernel_size, stride, padding, dilation):
    """Output length of a real Keras convolution applied to a length-n input."""
    import keras

    layer = keras.layers.Conv1D(1, kernel_size, strides=stride, padding=padding, dilation_rate=dilation)
    return int(layer(np.zeros((1, n, 1), dtype="float32")).shape[1])


def _output_size_cases(rng, count):
    cases = []
    while len(cases) < count:
        kernel, stride, dilation = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        padding = str(rng.choice(["valid", "same"]))
        n = int(rng.integers(dilation * (kernel - 1) + 1, 80))
        cases.append((n, kernel, stride, padding, dilation))
    return cases


def check_conv_output_size(conv_output_size):
    rng = np.random.default_rng(GRADING_SEED)
    reference = _reference().conv_output_size
    for n, kernel, stride, padding, dilation in _output_size_cases(rng, 60):
        call = f"conv_output_size({n}, {kernel}, stride={stride}, padding={padding!r}, dilation={dilation})"
        got = conv_output_size(n, kernel, stride=stride, padding=padding, dilation=dilation)
        assert isinstance(got, (int, np.integer)) and not isinstance(got, bool), (
            f"{call} returned {got!r} ({type(got).__name__}); it should return an int")
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


def _stacks(rng, count, keras_compatible):
    stacks = []
    for _ in range(count):
        stack = []
        for _ in range(int(rng.integers(1, 6))):
            kernel, stride, dilation = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
            if keras_compatible and stride > 1:
                dilation = 1
            stack.append((kernel, stride, dilation))
        stacks.append(stack)
    return stacks


def check_receptive_field(receptive_field):
    rng = np.random.default_rng(GRADING_SEED)
    for stack in _stacks(rng, 12, keras_compatible=True):
        got, want = receptive_field(stack), _measured_receptive_field(stack)
        assert got == want, (f"receptive_field({stack}) returned {got}, but the gradient of a real Keras "
                             f"model with these layers reaches {want} input pixels")
    reference = _reference().receptive_field
    for stack in _stacks(rng, 30, keras_compatible=False):
        got, want = receptive_field(stack), reference(stack)
        assert got == want, f"receptive_field({stack}) returned {got}, expected {want}"
    assert receptive_field([(3, 1, 1)] * 3) == 7, "three stacked 3x3 convolutions should see 7 pixels"
    got = receptive_field(tuple((3, 1, d) for d in (1, 2, 4)))
    assert got == 15, f"receptive_field should accept any sequence of layers (a tuple gave {got})"


def check_receptive_field_answer(answer):
    assert answer in ("i", "ii", "iii"), f'receptive_field_answer should be "i", "ii" or "iii", not {answer!r}'
    assert answer == "i", "that square is not the receptive field of the purple neuron"


def check_filter_order(order):
    key = json.loads((ROOT / "autograder" / "answer_key.json").read_text())["filter_order"]
    assert isinstance(order, str) and sorted(order.upper()) == ["A", "B", "C"], (
        f'filter_order should be the letters A, B, C in some order, e.g. "BCA", not {order!r}')
    assert order.upper() == key, "the filter sets are not in shallow-to-deep order"


# --- feature maps --------------------------------------------------------------------------------

def check_get_feature_maps(get_feature_maps):
    reference = _reference().get_feature_maps
    cases = [("cnn1", "conv3"), ("cnn1", "conv5"), ("cnn2", "conv2"), ("cnn2", "conv4")]
    for (model_name, layer), img in zip(cases, _images()):
        model = _models()[model_name]
        want = reference(model, layer, img)
        got = _as_array(get_feature_maps(model, layer, img), "get_feature_maps")
        what = f"get_feature_maps({model_name}, {layer!r}, image)"
        assert got.shape == want.shape, (f"{what}: shape {got.shape}, expected (height, width, channels) = "
                                          f"{want.shape}")
        scale = max(1.0, float(np.abs(want).max()))
        assert np.allclose(got, want, rtol=1e-4, atol=1e-4 * scale), (
            f"{what}: the values are not the activations of layer {layer!r} for this image")


# --- saliency and Grad-CAM -----------------------------------------------------------------------

def _map_cases():
    """(model name, model, image, class): both classes of cnn2, and the three of the grader's models.

    Fresh models for every check: an answer that changes the model it is given (its last activation,
    say) must not change what the next check sees.
    """
    images = _images()
    cnn2, three, regional = _fresh_cnn2(), _three_class_model(), _regional_model()
    cases = [("cnn2", cnn2, images[i], c) for i, c in ((0, 0), (1, 1), (2, 1), (3, 0))]
    cases += [("a three-class model", three, images[i], c) for i, c in ((0, 0), (1, 2), (3, 1))]
    cases += [("a three-class model", regional, images[i], c) for i, c in ((0, 0), (2, 2))]
    return cases


def check_vanilla_saliency(vanilla_saliency):
    reference = _reference().vanilla_saliency
    for model_name, model, img, c in _map_cases():
        want = reference(model, img, c)
        got = vanilla_saliency(model, img, c)
        _check_map(got, want, f"vanilla_saliency on {model_name}, class {c}", img.shape[:2])
    _check_randomisation(lambda m, img: vanilla_saliency(m, img, 1), "vanilla_saliency")


def _gradcam_cases():
    layers = {"cnn2": ("conv3", "conv4", "conv5"), "grader_three_class": ("block_b", "block_c"),
              "grader_regional": ("regional_conv",)}
    for index, (model_name, model, img, c) in enumerate(_map_cases()):
        names = layers[model.name]
        yield model_name, model, img, c, names[index % len(names)]


def check_gradcam(gradcam):
    reference = _reference().gradcam
    checked = 0
    for model_name, model, img, c, layer in _gradcam_cases():
        want = reference(model, img, c, layer)
        if want.max() == 0:  # no positive evidence for this class: every map is flat, nothing to compare
            continue
        got = gradcam(model, img, c, layer)
        _check_map(got, want, f"gradcam on {model_name}, class {c}, layer {layer!r}", img.shape[:2])
        checked += 1
    assert checked >= 4, "internal: too few Grad-CAM cases with positive evidence"
    _check_randomisation(lambda m, img: gradcam(m, img, 1, "conv5"), "gradcam")


def _check_randomisation(make_map, name):
    """A faithful map depends on the weights: re-initialising them must change it (Adebayo et al.)."""
    model = _fresh_cnn2()
    img = _images()[1]
    trained = _as_array(make_map(model, img), name)
    random = _as_array(make_map(_randomised(model), img), name)
    assert _correlation(trained, random) < 0.9, (
        f"{name}: the map barely changes when the model's weights are re-initialised, so it does not "
        "explain the model")


def check_prepare_image(prepare_image):
    rng = np.random.default_rng(GRADING_SEED)
    for shape, dtype in (((128, 128, 3), np.float64), ((40, 56, 3), np.float32), ((7, 5, 3), np.float64)):
        img = rng.uniform(0, 1, shape).astype(dtype)
        got = prepare_image(img)
        arr = np.asarray(got)
        assert arr.shape == (1,) + shape, f"prepare_image of a {shape} image: shape {arr.shape}, expected {(1,) + shape}"
        assert arr.dtype == np.float32, f"prepare_image: dtype {arr.dtype}, expected float32"
        assert np.allclose(arr[0], img, atol=1e-6), "prepare_image should not change the pixel values"


def _logits(model, img):
    import keras

    last = model.layers[-1]
    hidden = keras.Model(model.inputs, last.input)(img[None], training=False)
    return np.asarray(hidden) @ np.asarray(last.kernel) + np.asarray(last.bias)


def check_model_modifier(model_modifier):
    for model in (_fresh_cnn2(), _randomised(_three_class_model())):
        img = _images()[1]
        want = _logits(model, img)
        got = model_modifier(model)
        assert got is not None, "model_modifier should return the model"
        out = np.asarray(got(img[None], training=False))
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


def check_saliency_graphs(saliency_graphs):
    """SmoothGrad is random: compare by correlation with a steadier reference, per class.

    Measured on these cases: a 20-sample run of the reference, or a hand-written SmoothGrad loop,
    correlates with the 60-sample reference at r >= 0.97; each typical mistake falls to r <= 0.85 in
    at least one class of one case (no absolute value: 0.33 on cnn2; softmax left in place: 0.06 on the
    regional model; the positive-gradient branch inverted: 0.10 on cnn2). SMOOTHGRAD_MIN_R sits between.
    """
    with _reference_helpers(saliency_graphs, ("prepare_image", "model_modifier")):
        _check_saliency_graphs(saliency_graphs)


@contextlib.contextmanager
def _reference_helpers(function, names):
    """Grade an exercise on its own: while it runs, the helpers it calls from other exercises are the
    reference's, so that a mistake in those loses their own points only."""
    namespace = getattr(function, "__globals__", {})
    saved = {name: namespace[name] for name in names if name in namespace}
    namespace.update({name: getattr(_reference(), name) for name in names})
    try:
        yield
    finally:
        for name in names:
            namespace.pop(name, None)
        namespace.update(saved)


def _check_saliency_graphs(saliency_graphs):
    import matplotlib.pyplot as plt
    import tensorflow as tf

    images = _images()
    cases = [(_fresh_cnn2(), images[1], False), (_fresh_cnn2(), images[2], True),
             (_regional_model(), images[3], False), (_regional_model(), images[0], True)]
    for model, img, positive in cases:
        n_classes = model.output_shape[-1]
        want = _smoothgrad_reference(model, img, positive)
        tf.random.set_seed(GRADING_SEED + 7)
        result = saliency_graphs(model, img, positive_gradients=positive)
        assert isinstance(result, tuple) and len(result) == 2, "saliency_graphs should return (fig, maps)"
        fig, maps = result
        assert isinstance(fig, plt.Figure), "saliency_graphs should return a matplotlib Figure first"
        plt.close(fig)
        maps = _as_array(maps, "saliency_graphs maps")
        what = f"saliency_graphs(positive_gradients={positive}) on a {n_classes}-class model"
        assert maps.shape == (n_classes,) + img.shape[:2], (
            f"{what}: maps of shape {maps.shape}, expected (n_classes, height, width) = {(n_classes,) + img.shape[:2]}")
        assert np.all(np.isfinite(maps)) and maps.min() >= -1e-6 and maps.max() <= 1 + 1e-6, (
            f"{what}: values outside [0, 1]")
        for c in range(n_classes):
            r = _correlation(maps[c], want[c])
            assert r >= SMOOTHGRAD_MIN_R, f"{what}, class {c}: the map does not match the expected SmoothGrad map"

