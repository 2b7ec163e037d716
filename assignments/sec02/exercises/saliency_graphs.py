"""Breakout 2: ``saliency_graphs(model, img, positive_gradients)``, SmoothGrad maps of every class with tf-keras-vis."""
import contextlib

import numpy as np

from assignments.sec02.exercises.inputs import GRADING_SEED, fresh_cnn2, images, regional_model
from autograder.exercises.recording import call, recorded
from autograder.exercises.judging import a_map, correlation, got, unless_right, wrong_cases

# SmoothGrad is random: a map is compared by its correlation with a steadier reference (60 samples), per
# class. Measured on the grading cases (tests/test_exercises.py checks these margins): a 20-sample run of the
# reference, or a hand-written SmoothGrad, correlates at r >= 0.94 in every class of every case (the lowest,
# 0.947, on cnn2's positive gradients); each typical mistake falls below 0.45 in at least one class of one case
# (no absolute value: 0.28 on cnn2; softmax left in place: 0.20 on the regional model; the positive-gradient
# branch inverted: 0.40 on cnn2).
MIN_R = 0.9
# The exercises whose functions saliency_graphs calls: it is recorded with correct ones (``_correct_helpers``),
# so that a mistake in those costs their own points only.
CALLS = ("prepare_image", "model_modifier")
# (model, image, positive_gradients). Each mistake above is caught on one of them by a wide margin; a fourth
# case (the regional model's positive gradients) caught none of them alone, for 0.4 s of every grading.
CASES = [("cnn2", 1, False), ("cnn2", 2, True), ("regional", 3, False)]
# Each case tests one sub-check: the absolute gradients, the positive ones, and every class of a three-class model.
RUBRIC = {
    "absolute": (1, "positive_gradients=False: the gradients' absolute values"),
    "positive": (1, "positive_gradients=True: the positive gradients only"),
    "classes": (1, "a map for every class of a model with three, from its scores before the softmax"),
}
SUB_CHECK = ("absolute", "positive", "classes")  # of each case of CASES


def cases():
    build = {"cnn2": fresh_cnn2, "regional": regional_model}
    return [(build[model](), images()[i], positive) for model, i, positive in CASES]


def record(answer, out):
    with _correct_helpers(answer):
        for i, (model, img, positive) in enumerate(cases()):
            call(out, str(i), lambda: _maps(answer, model, img, positive, out, i))


def _maps(answer, model, img, positive, out, i):
    import matplotlib.pyplot as plt
    import tensorflow as tf

    tf.random.set_seed(GRADING_SEED + 7)
    result = answer(model, img, positive_gradients=positive)
    out[f"{i}.pair"] = isinstance(result, tuple) and len(result) == 2
    if not out[f"{i}.pair"]:
        return "no maps"
    out[f"{i}.figure"] = isinstance(result[0], plt.Figure)
    plt.close("all")  # in the student's kernel an open figure would be drawn into the test cell
    return recorded(result[1])


def _float32_batch(img):
    return np.asarray(img, dtype=np.float32)[np.newaxis]


def _linear_scores(model):
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    ReplaceToLinear()(model)
    return model


@contextlib.contextmanager
def _correct_helpers(function):
    """While saliency_graphs is recorded, the helpers it calls from the two exercises before it are correct
    ones (a plain float32 batch, tf-keras-vis' ReplaceToLinear): a mistake in those loses their own points only."""
    namespace = getattr(function, "__globals__", {})
    helpers = dict(zip(CALLS, (_float32_batch, _linear_scores)))
    saved = {name: namespace[name] for name in helpers if name in namespace}
    namespace.update(helpers)
    try:
        yield
    finally:
        for name in helpers:
            namespace.pop(name, None)
        namespace.update(saved)


def _steady_reference(reference, model, img, positive_gradients):
    """The reference SmoothGrad with 60 samples instead of 20: three seeded runs, averaged."""
    import matplotlib.pyplot as plt
    import tensorflow as tf

    maps = []
    for seed in range(3):
        tf.random.set_seed(GRADING_SEED + seed)
        fig, m = reference.saliency_graphs(model, img, positive_gradients=positive_gradients)
        plt.close(fig)
        maps.append(m)
    return np.mean(maps, axis=0)


def expected(reference):
    out = {str(i): _steady_reference(reference, model, img, positive) for i, (model, img, positive) in enumerate(cases())}
    return dict(out, picture=out["0"][1], image=images()[1])


def _check(record, expected, i, positive):
    def check():
        want = expected[str(i)]
        n_classes = len(want)
        what = f"saliency_graphs(positive_gradients={positive}) on a {n_classes}-class model"
        maps = got(record, str(i), what)
        assert record.get(f"{i}.pair"), "saliency_graphs should return (fig, maps)"
        assert record.get(f"{i}.figure"), "saliency_graphs should return a matplotlib Figure first"
        maps = a_map(maps, f"{what}: maps", want.shape)
        for c in range(n_classes):
            r = correlation(maps[c], want[c])
            assert r >= MIN_R, f"{what}, class {c}: the map does not match the expected SmoothGrad map"
    return check


def judge(record, expected):
    unless_right(wrong_cases([(SUB_CHECK[i], _check(record, expected, i, positive))
                              for i, (_, _, positive) in enumerate(CASES)]))


PICTURED = "cnn2, class 1 (zebra)"  # the feedback's picture: a zebra of the grading images


def picture(record, expected):
    """(the student's map, the expected one) of the feedback's picture: cnn2, a zebra, class 1."""
    maps = record.get("0")
    return (maps[1] if isinstance(maps, np.ndarray) and maps.ndim == 3 and len(maps) > 1 else None), expected["picture"]
