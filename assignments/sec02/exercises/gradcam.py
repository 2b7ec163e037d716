"""Exercise 5: ``gradcam(model, img, class_index, layer_name)``, Selvaraju et al.'s map, upsampled to the image.

The exercise asks for a bilinear upsampling, not for one library's pixel grid: the judge upsamples the
reference's coarse map under each of the three conventions libraries use and takes the closest.
"""
import numpy as np

from assignments.sec02.exercises.inputs import MAP_CASES, SHOWN_AS, map_cases, randomisation_case
from autograder.exercises.recording import call, recorded
from autograder.exercises.judging import Matches, as_array, got, judge_randomisation, rescaled, unless_right

LAYERS = {"cnn2": ("conv3", "conv4", "conv5"), "three_class": ("block_b", "block_c"), "regional": ("regional_conv",)}
# Where each output pixel samples the coarse map:
# half_pixel: tf.image.resize, keras.ops.image.resize, skimage, OpenCV, PIL, jax.image.resize;
# align_corners: scipy.ndimage.zoom(order=1) (tf-keras-vis' own Grad-CAM), torch's align_corners=True;
# asymmetric: TensorFlow 1's resize_bilinear and tf.compat.v1.image.resize.
CONVENTIONS = ("half_pixel", "align_corners", "asymmetric")
# Nearest-neighbour upsampling (a blocky map: the upsampling sub-check fails), with or without the half-pixel offset:
# tf.image.resize(method="nearest"), and TensorFlow 1's resize_nearest_neighbor or np.repeat on an exact multiple.
NEAREST = ("nearest_half_pixel", "nearest_asymmetric")
# Compared after min-max rescaling both maps. Measured on the grading cases (tests/test_exercises.py checks
# these margins): a correct answer under any of the three conventions stays within 1e-4 of the closest one,
# while the conventions differ from one another by 0.25 to 0.68, so no single grid can be the reference;
# each typical mistake differs by 0.85 or more on its worst case (no ReLU 0.85, the probability instead of
# the score 1.00, the layer below 0.92).
MAP_ATOL = 0.05
RUBRIC = {
    "weights": (2, "channel weights: the gradient of the class score (before the softmax), averaged over the map"),
    "relu": (2, "the ReLU of the weighted sum of the channels"),
    "upsampling": (1, "bilinear upsampling to the image's size"),
    "scaling": (1, "the map scaled into [0, 1]"),
}
WHY = {  # what a partly right answer is told of each sub-check it failed
    "weights": "the channel weights are not the class score's gradient (the probability's, after the softmax?)",
    "relu": "the weighted sum of the channels is not passed through a ReLU: negative evidence shows",
    "upsampling": "the map is not upsampled bilinearly to the image's size",
    "scaling": "the map's values are not scaled into [0, 1]",
}


def layer_of(index):
    model = MAP_CASES[index][0]
    return LAYERS[model][index % len(LAYERS[model])]


def record(answer, out):
    for i, (model, img, c) in enumerate(map_cases()):
        call(out, str(i), lambda: recorded(answer(model, img, c, layer_of(i))))
    model, random, img = randomisation_case()  # also the picture of the feedback
    call(out, "trained", lambda: recorded(answer(model, img, 1, "conv5")))
    call(out, "random", lambda: recorded(answer(random, img, 1, "conv5")))


def coarse_cam(model, img, class_index, layer_name, relu=True, score=True):
    """The Grad-CAM map at the layer's own resolution: ReLU of the gradient-weighted sum of its channels.
    ``relu=False`` leaves out the ReLU; ``score=False`` weighs the channels by the gradient of the probability
    (after the softmax) instead of the score: the two mistakes the judge gives partial credit for."""
    import keras
    import tensorflow as tf

    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    with tf.GradientTape() as tape:
        maps, features = probe(tf.constant(img[np.newaxis], dtype=tf.float32), training=False)
        scores = features @ last.kernel + last.bias
        target = (scores if score else tf.nn.softmax(scores))[0, class_index]
    weights = tf.reduce_mean(tape.gradient(target, maps), axis=(1, 2))
    cam = tf.reduce_sum(maps * weights[:, tf.newaxis, tf.newaxis, :], axis=-1)[0]
    return (tf.nn.relu(cam) if relu else cam).numpy()


def _bilinear_weights(n_in, n_out, convention):
    """(n_out, n_in): each output pixel as a mix of its two nearest input pixels (or, for a NEAREST convention, as
    the one input pixel it falls in)."""
    dst = np.arange(n_out, dtype=np.float64)
    if convention in ("half_pixel", "nearest_half_pixel"):
        src = (dst + 0.5) * n_in / n_out - (0.5 if convention == "half_pixel" else 0)
    elif convention == "align_corners":
        src = dst * (n_in - 1) / max(n_out - 1, 1)
    else:
        src = dst * n_in / n_out
    src = np.clip(src, 0, n_in - 1)
    low = np.floor(src).astype(int)
    high, frac = np.minimum(low + 1, n_in - 1), src - low
    if convention in NEAREST:
        high, frac = low, np.zeros_like(frac)
    weights = np.zeros((n_out, n_in))
    np.add.at(weights, (np.arange(n_out), low), 1 - frac)
    np.add.at(weights, (np.arange(n_out), high), frac)
    return weights


def upsample(cam, shape, convention):
    rows, cols = (_bilinear_weights(n_in, n_out, convention) for n_in, n_out in zip(cam.shape, shape))
    return rows @ cam @ cols.T


def expected(reference):
    """The coarse maps (the judge upsamples them), checked against the reference's own upsampled maps; and the
    coarse maps of the partial mistakes, before any ReLU: from the score (``.raw``) and from the probability."""
    out = {}
    for i, (model, img, c) in enumerate(map_cases()):
        coarse, full = coarse_cam(model, img, c, layer_of(i)), reference.gradcam(model, img, c, layer_of(i))
        if coarse.max() > 0 and np.abs(rescaled(upsample(coarse, full.shape, "half_pixel")) - rescaled(full)).max() > 1e-3:
            raise RuntimeError("the reference Grad-CAM no longer matches gradcam.coarse_cam: update the grader")
        out[str(i)] = coarse
        out[f"{i}.raw"] = coarse_cam(model, img, c, layer_of(i), relu=False)
        out[f"{i}.probability"] = coarse_cam(model, img, c, layer_of(i), relu=False, score=False)
    model, _, img = randomisation_case()
    return dict(out, picture=reference.gradcam(model, img, 1, "conv5"), image=img, shape=np.array(img.shape[:2]))


def difference(value, coarse, shape, conventions=CONVENTIONS):
    """The largest pixel difference from the reference, under the closest of the upsampling ``conventions``."""
    value = rescaled(value)
    return min(float(np.abs(value - rescaled(upsample(coarse, shape, convention))).max()) for convention in conventions)


def _mistakes(expected, i):
    """{the sub-checks a mistake fails: the coarse map it gives} of case ``i``, the right answer included
    (frozenset())."""
    raw, probability = expected[f"{i}.raw"], expected[f"{i}.probability"]
    return {frozenset(): expected[str(i)], frozenset({"relu"}): raw,
            frozenset({"weights"}): np.maximum(probability, 0), frozenset({"weights", "relu"}): probability}


def _fits(value, expected, i, shape):
    """The mistakes whose map ``value`` matches on case ``i``, those whose map is flat there, and the answer's
    difference from the right map (None if it is not of the image's shape)."""
    fits, flat, right = set(), set(), None
    for failed, cam in _mistakes(expected, i).items():
        if value.shape == cam.shape:  # the layer's own map, not upsampled
            found = {failed | {"upsampling"}} if np.abs(rescaled(value) - rescaled(cam)).max() <= MAP_ATOL else set()
        else:
            bilinear = difference(value, cam, shape)
            found = {failed} if bilinear <= MAP_ATOL else set()
            found |= {failed | {"upsampling"}} if difference(value, cam, shape, NEAREST) <= MAP_ATOL else set()
            if not failed:
                right = bilinear
        fits |= found
        flat |= found if cam.max() <= cam.min() else set()
    return fits, flat, right


def judge(record, expected):
    shape = tuple(int(n) for n in expected["shape"])
    # A class with no positive evidence has a flat map under every answer: nothing to compare there.
    cases = [i for i in range(len(MAP_CASES)) if expected[str(i)].max() > 0]
    if len(cases) < 4:  # the grading inputs' fault, not the answer's: never a student's zero
        raise RuntimeError(f"only {len(cases)} Grad-CAM cases with positive evidence to judge by")
    matches = Matches()
    for i in cases:
        model, _, c = MAP_CASES[i]
        what = f"gradcam on {SHOWN_AS[model]}, class {c}, layer {layer_of(i)!r}"
        value = as_array(got(record, str(i), what), what)
        assert value.shape in (shape, expected[str(i)].shape), f"{what}: shape {value.shape}, expected {shape}"
        assert np.all(np.isfinite(value)), f"{what}: contains NaN or infinity"
        fits, flat, right = _fits(value, expected, i, shape)
        matches.add(value, fits, flat, f"{what}: does not match the expected map (largest difference {right:.2f})"
                    if right is not None else f"{what}: shape {value.shape}, expected {shape}")
    failed = matches.failed(RUBRIC)
    judge_randomisation(record, "gradcam")  # a partly right map too must depend on the weights
    unless_right({name: why for name, why in WHY.items() if name in failed})


PICTURED = "cnn2, class 1 (zebra), conv5"  # the feedback's picture: a zebra of the grading images


def picture(record, expected):
    """(the student's map, the expected one) of the feedback's picture: cnn2, a zebra, class 1, conv5."""
    return record.get("trained"), expected["picture"]
