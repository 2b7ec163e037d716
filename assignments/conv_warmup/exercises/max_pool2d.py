"""Exercise 3: ``max_pool2d(image, size, stride)``, one channel's max-pooling as Keras's ``MaxPooling2D`` computes it."""
import numpy as np

from assignments.conv_warmup.exercises.inputs import keras_max_pool2d, pool_cases
from autograder.exercises.judging import as_array, got
from autograder.exercises.recording import call, recorded


def record(answer, out):
    for i, (image, size, stride) in enumerate(pool_cases()):
        call(out, str(i), lambda: recorded(answer(image.copy(), size=size, stride=stride)))


def expected(reference):
    """What keras.layers.MaxPooling2D gives on every case."""
    return {str(i): keras_max_pool2d(*case) for i, case in enumerate(pool_cases())}


def judge(record, expected):
    for i, (image, size, stride) in enumerate(pool_cases()):
        call_text = f"max_pool2d(an image of shape {image.shape}, size={size}, stride={stride})"
        value, want = as_array(got(record, str(i), call_text), call_text), expected[str(i)]
        assert value.shape == want.shape, (
            f"{call_text} has shape {value.shape}; Keras's MaxPooling2D gives {want.shape}")
        assert np.array_equal(value, want), f"{call_text} differs from Keras's MaxPooling2D"
