"""Exercise 5: ``gradcam(model, img, class_index, layer_name)``, Selvaraju et al.'s map, upsampled to the image.

The exercise asks for a bilinear upsampling, not for one library's pixel grid: the judge upsamples the
reference's coarse map under each of the three conventions libraries use and takes the closest.
"""
import numpy as np

from assignments.sec02.exercises.inputs import MAP_CASES, SHOWN_AS, map_cases, randomisation_case
from autograder.exercises.recording import call, recorded
from autograder.exercises.judging import a_map, got, judge_randomisation, rescaled

LAYERS = {"cnn2": ("conv3", "conv4", "conv5"), "three_class": ("block_b", "block_c"), "regional": ("regional_conv",)}
# Where each output pixel samples the coarse map:
# half_pixel: tf.image.resize, keras.ops.image.resize, skimage, OpenCV, PIL, jax.image.resize;
# align_corners: scipy.ndimage.zoom(order=1) (tf-keras-vis' own Grad-CAM), torch's align_corners=True;
# asymmetric: TensorFlow 1's resize_bilinear and tf.compat.v1.image.resize.
CONVENTIONS = ("half_pixel", "align_corners", "asymmetric")
# Compared after min-max rescaling both maps. Measured on the grading cases (tests/test_exercises.py checks
# these margins): a correct answer under any of the three conventions stays within 1e-4 of the closest one,
# while the conventions differ from one another by 0.25 to 0.68, so no single grid can be the reference;
# each typical mistake differs by 0.85 or more on its worst case (no ReLU 0.85, the probability instead of
# the score 1.00, the layer below 0.92).
MAP_ATOL = 0.05


def layer_of(index):
    model = MAP_CASES[index][0]
    return LAYERS[model][index % len(LAYERS[model])]


def record(answer, out):
    for i, (model, img, c) in enumerate(map_cases()):
        call(out, str(i), lambda: recorded(answer(model, img, c, layer_of(i))))
    model, random, img = randomisation_case()  # also the picture of the feedback
    call(out, "trained", lambda: recorded(answer(model, img, 1, "conv5")))
    call(out, "random", lambda: recorded(answer(random, img, 1, "conv5")))


def coarse_cam(model, img, class_index, layer_name):
    """The Grad-CAM map at the layer's own resolution: ReLU of the gradient-weighted sum of its channels."""
    import keras
    import tensorflow as tf

    last = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, last.input])
    with tf.GradientTape() as tape:
        maps, features = probe(tf.constant(img[np.newaxis], dtype=tf.float32), training=False)
        score = (features @ last.kernel + last.bias)[0, class_index]
    weights = tf.reduce_mean(tape.gradient(score, maps), axis=(1, 2))
    return tf.nn.relu(tf.reduce_sum(maps * weights[:, tf.newaxis, tf.newaxis, :], axis=-1))[0].numpy()


def _bilinear_weights(n_in, n_out, convention):
    """(n_out, n_in): each output pixel as a mix of its two nearest input pixels."""
    dst = np.arange(n_out, dtype=np.float64)
    if convention == "half_pixel":
        src = (dst + 0.5) * n_in / n_out - 0.5
    elif convention == "align_corners":
        src = dst * (n_in - 1) / max(n_out - 1, 1)
    else:
        src = dst * n_in / n_out
    src = np.clip(src, 0, n_in - 1)
    low = np.floor(src).astype(int)
    high, frac = np.minimum(low + 1, n_in - 1), src - low
    weights = np.zeros((n_out, n_in))
    np.add.at(weights, (np.arange(n_out), low), 1 - frac)
    np.add.at(weights, (np.arange(n_out), high), frac)
    return weights


def upsample(cam, shape, convention):
    rows, cols = (_bilinear_weights(n_in, n_out, convention) for n_in, n_out in zip(cam.shape, shape))
    return rows @ cam @ cols.T


def expected(reference):
    """The coarse maps (the judge upsamples them); checked against the reference's own upsampled maps."""
    out = {}
    for i, (model, img, c) in enumerate(map_cases()):
        coarse, full = coarse_cam(model, img, c, layer_of(i)), reference.gradcam(model, img, c, layer_of(i))
        if coarse.max() > 0 and np.abs(rescaled(upsample(coarse, full.shape, "half_pixel")) - rescaled(full)).max() > 1e-3:
            raise RuntimeError("the reference Grad-CAM no longer matches gradcam.coarse_cam: update the grader")
        out[str(i)] = coarse
    model, _, img = randomisation_case()
    return dict(out, picture=reference.gradcam(model, img, 1, "conv5"), image=img, shape=np.array(img.shape[:2]))


def difference(value, coarse, shape):
    """The largest pixel difference from the reference, under the closest bilinear convention."""
    value = rescaled(value)
    return min(float(np.abs(value - rescaled(upsample(coarse, shape, convention))).max()) for convention in CONVENTIONS)


def judge(record, expected):
    shape = tuple(int(n) for n in expected["shape"])
    # A class with no positive evidence has a flat map under every answer: nothing to compare there.
    cases = [i for i in range(len(MAP_CASES)) if expected[str(i)].max() > 0]
    if len(cases) < 4:  # the grading inputs' fault, not the answer's: never a student's zero
        raise RuntimeError(f"only {len(cases)} Grad-CAM cases with positive evidence to judge by")
    for i in cases:
        model, _, c = MAP_CASES[i]
        what = f"gradcam on {SHOWN_AS[model]}, class {c}, layer {layer_of(i)!r}"
        largest = difference(a_map(got(record, str(i), what), what, shape), expected[str(i)], shape)
        assert largest <= MAP_ATOL, f"{what}: does not match the expected map (largest difference {largest:.2f})"
    judge_randomisation(record, "gradcam")


PICTURED = "cnn2, class 1 (zebra), conv5"  # the feedback's picture: a zebra of the grading images


def picture(record, expected):
    """(the student's map, the expected one) of the feedback's picture: cnn2, a zebra, class 1, conv5."""
    return record.get("trained"), expected["picture"]
