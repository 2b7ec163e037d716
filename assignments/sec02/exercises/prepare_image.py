"""Breakout 2: ``prepare_image(img)``, one image as a float32 batch of one."""
import numpy as np

from assignments.sec02.exercises.inputs import GRADING_SEED
from autograder.exercises.recording import call, recorded
from autograder.exercises.judging import got


def cases():
    rng = np.random.default_rng(GRADING_SEED)
    return [rng.uniform(0, 1, shape).astype(dtype)
            for shape, dtype in (((128, 128, 3), np.float64), ((40, 56, 3), np.float32), ((7, 5, 3), np.float64))]


def record(answer, out):
    for i, img in enumerate(cases()):
        call(out, str(i), lambda: recorded(answer(img.copy())))


def expected(reference):
    return {}  # the inputs themselves: the pixels must come back unchanged


def judge(record, expected):
    for i, img in enumerate(cases()):
        shape = img.shape
        value = got(record, str(i), f"prepare_image of a {shape} image")
        assert not isinstance(value, str), f"prepare_image of a {shape} image returned a {value}, expected an array"
        assert value.shape == (1,) + shape, f"prepare_image of a {shape} image: shape {value.shape}, expected {(1,) + shape}"
        assert value.dtype == np.float32, f"prepare_image: dtype {value.dtype}, expected float32"
        assert np.allclose(value[0], img, atol=1e-6), "prepare_image should not change the pixel values"
