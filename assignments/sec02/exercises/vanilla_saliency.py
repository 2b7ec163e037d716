"""Exercise 4: ``vanilla_saliency(model, img, class_index)``, Simonyan et al.'s map of one class for one image."""
import numpy as np

from assignments.sec02.exercises.inputs import MAP_CASES, SHOWN_AS, map_cases, randomisation_case
from autograder.exercises.recording import call, recorded
from autograder.exercises.judging import a_map, got, judge_randomisation, rescaled

# Compared after min-max rescaling both maps (any correct scaling into [0, 1] gives the same picture).
# Measured on the grading cases (tests/test_exercises.py checks these margins): correct answers by other
# routes (numpy, a cloned model, tf-keras-vis) stay within 1e-4 of the reference; each typical mistake
# differs by 0.38 or more on its worst case (no absolute value 1.00, mean over channels 0.39, the
# probability instead of the score 1.00).
MAP_ATOL = 0.05


def record(answer, out):
    for i, (model, img, c) in enumerate(map_cases()):
        call(out, str(i), lambda: recorded(answer(model, img, c)))
    model, random, img = randomisation_case()  # also the picture of the feedback
    call(out, "trained", lambda: recorded(answer(model, img, 1)))
    call(out, "random", lambda: recorded(answer(random, img, 1)))


def expected(reference):
    maps = {str(i): reference.vanilla_saliency(model, img, c) for i, (model, img, c) in enumerate(map_cases())}
    model, _, img = randomisation_case()
    return dict(maps, picture=reference.vanilla_saliency(model, img, 1), image=img)


def difference(value, want):
    return float(np.abs(rescaled(value) - rescaled(want)).max())


def judge(record, expected):
    for i, (model, _, c) in enumerate(MAP_CASES):
        what = f"vanilla_saliency on {SHOWN_AS[model]}, class {c}"
        want = expected[str(i)]
        value = a_map(got(record, str(i), what), what, want.shape)
        largest = difference(value, want)
        assert largest <= MAP_ATOL, f"{what}: does not match the expected map (largest difference {largest:.2f})"
    judge_randomisation(record, "vanilla_saliency")


PICTURED = "cnn2, class 1 (zebra)"  # the feedback's picture: a zebra of the grading images


def picture(record, expected):
    """(the student's map, the expected one) of the feedback's picture: cnn2, a zebra, class 1."""
    return record.get("trained"), expected["picture"]
