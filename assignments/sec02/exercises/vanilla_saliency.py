"""Exercise 4: ``vanilla_saliency(model, img, class_index)``, Simonyan et al.'s map of one class for one image."""
import numpy as np

from assignments.sec02.exercises.inputs import MAP_CASES, SHOWN_AS, map_cases, randomisation_case
from autograder.exercises.recording import call, recorded
from autograder.exercises.judging import Matches, as_array, got, judge_randomisation, rescaled, unless_right

# Compared after min-max rescaling both maps (any correct scaling into [0, 1] gives the same picture).
# Measured on the grading cases (tests/test_exercises.py checks these margins): correct answers by other
# routes (numpy, a cloned model, tf-keras-vis) stay within 1e-4 of the reference; each typical mistake
# differs by 0.38 or more on its worst case (no absolute value 1.00, mean over channels 0.39, the
# probability instead of the score 1.00).
MAP_ATOL = 0.05
RUBRIC = {
    "score": (2, "the gradient of the class score, before the softmax"),
    "absolute": (2, "the gradient's absolute value"),
    "channels": (1, "the maximum over the colour channels"),
    "scaling": (1, "the map scaled into [0, 1]"),
}
WHY = {  # what a partly right answer is told of each sub-check it failed
    "score": "the gradient is not the class score's (the probability's, after the softmax?)",
    "absolute": "the gradient's sign is kept: its absolute value is what matters",
    "channels": "the colour channels are not reduced by their maximum",
    "scaling": "the map's values are not scaled into [0, 1]",
}
# The channel reductions the judge recognises: {the sub-checks it fails: how it reduces a gradient (H, W, 3)}
REDUCTIONS = {frozenset(): lambda g: np.abs(g).max(axis=-1), frozenset({"absolute"}): lambda g: g.max(axis=-1),
              frozenset({"channels"}): lambda g: np.abs(g).mean(axis=-1),
              frozenset({"absolute", "channels"}): lambda g: g.mean(axis=-1)}


def record(answer, out):
    for i, (model, img, c) in enumerate(map_cases()):
        call(out, str(i), lambda: recorded(answer(model, img, c)))
    model, random, img = randomisation_case()  # also the picture of the feedback
    call(out, "trained", lambda: recorded(answer(model, img, 1)))
    call(out, "random", lambda: recorded(answer(random, img, 1)))


def gradient(model, img, class_index, score=True):
    """The gradient (H, W, 3) of the class score (or, ``score=False``, of its probability) with respect to the image."""
    import keras
    import tensorflow as tf

    last = model.layers[-1]
    image = tf.constant(img[np.newaxis], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(image)
        scores = keras.Model(model.inputs, last.input)(image, training=False) @ last.kernel + last.bias
        target = (scores if score else tf.nn.softmax(scores))[0, class_index]
    return tape.gradient(target, image)[0].numpy()


def expected(reference):
    """The reference's maps, and the gradients from which the judge rebuilds the partial mistakes' maps."""
    out = {}
    for i, (model, img, c) in enumerate(map_cases()):
        out[str(i)] = reference.vanilla_saliency(model, img, c)
        out[f"{i}.score"], out[f"{i}.probability"] = gradient(model, img, c), gradient(model, img, c, score=False)
        if difference(REDUCTIONS[frozenset()](out[f"{i}.score"]), out[str(i)]) > 1e-3:
            raise RuntimeError("the reference saliency no longer matches vanilla_saliency.gradient: update the grader")
    model, _, img = randomisation_case()
    return dict(out, picture=reference.vanilla_saliency(model, img, 1), image=img)


def difference(value, want):
    return float(np.abs(rescaled(value) - rescaled(want)).max())


def _fits(value, expected, i):
    """The mistakes (sets of failed sub-checks) whose map ``value`` matches on case ``i``, and those whose map is
    flat there."""
    fits, flat = set(), set()
    for source, gradients in (("", expected[f"{i}.score"]), ("score", expected[f"{i}.probability"])):
        for failed, reduce in REDUCTIONS.items():
            mistake, want = failed | ({source} if source else set()), reduce(gradients)
            if difference(value, want) <= MAP_ATOL:
                fits.add(mistake)
                flat |= {mistake} if want.max() <= want.min() else set()
    return fits, flat


def judge(record, expected):
    matches = Matches()
    for i, (model, _, c) in enumerate(MAP_CASES):
        what = f"vanilla_saliency on {SHOWN_AS[model]}, class {c}"
        want = expected[str(i)]
        value = as_array(got(record, str(i), what), what)
        assert value.shape == want.shape, f"{what}: shape {value.shape}, expected {want.shape}"
        assert np.all(np.isfinite(value)), f"{what}: contains NaN or infinity"
        fits, flat = _fits(value, expected, i)
        matches.add(value, fits, flat, f"{what}: does not match the expected map (largest difference "
                                f"{difference(value, want):.2f})")
    failed = matches.failed(RUBRIC)
    judge_randomisation(record, "vanilla_saliency")  # a partly right map too must depend on the weights
    unless_right({name: why for name, why in WHY.items() if name in failed})


PICTURED = "cnn2, class 1 (zebra)"  # the feedback's picture: a zebra of the grading images


def picture(record, expected):
    """(the student's map, the expected one) of the feedback's picture: cnn2, a zebra, class 1."""
    return record.get("trained"), expected["picture"]
