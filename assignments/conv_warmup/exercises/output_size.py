"""Exercise 1: ``output_size(n, kernel_size, stride, padding)``, the side of a convolution's output."""
import numpy as np

from assignments.conv_warmup.exercises.inputs import keras_output_size, size_cases
from autograder.exercises.judging import got
from autograder.exercises.recording import call, recorded_int


def record(answer, out):
    for i, (n, kernel, stride, padding) in enumerate(size_cases()):
        call(out, str(i), lambda: recorded_int(answer(n, kernel, stride=stride, padding=padding)))


def expected(reference):
    """What a real Keras layer gives (the reference is not needed: Keras builds every case)."""
    return {"sizes": np.array([keras_output_size(*case) for case in size_cases()])}


def judge(record, expected):
    for i, (n, kernel, stride, padding) in enumerate(size_cases()):
        call_text = f"output_size({n}, {kernel}, stride={stride}, padding={padding!r})"
        value = got(record, str(i), call_text)
        assert not isinstance(value, str), f"{call_text} returned {value}; it should return an int"
        want = int(expected["sizes"][i])
        assert int(value) == want, f"{call_text} returned {int(value)}, but a Keras Conv layer gives {want}"
