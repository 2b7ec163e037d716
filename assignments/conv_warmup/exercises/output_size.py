"""Exercise 1: ``output_size(n, kernel_size, stride, padding)``, the side of a convolution's output."""
import numpy as np

from assignments.conv_warmup.exercises.inputs import keras_output_size, size_cases
from autograder.exercises.judging import got, unless_right, wrong_cases
from autograder.exercises.recording import call, recorded_int


RUBRIC = {
    "valid": (1, "'valid' padding: the kernel's span and the stride"),
    "same": (1, "'same' padding: only the stride counts"),
}


def record(answer, out):
    for i, (n, kernel, stride, padding) in enumerate(size_cases()):
        call(out, str(i), lambda: recorded_int(answer(n, kernel, stride=stride, padding=padding)))


def expected(reference):
    """What a real Keras layer gives (the reference is not needed: Keras builds every case)."""
    return {"sizes": np.array([keras_output_size(*case) for case in size_cases()])}


def _check(record, i, call_text, want):
    def check():
        value = got(record, str(i), call_text)
        assert not isinstance(value, str), f"{call_text} returned {value}; it should return an int"
        assert int(value) == want, f"{call_text} returned {int(value)}, but a Keras Conv layer gives {want}"
    return check


def judge(record, expected):
    checks = [(padding, _check(record, i, f"output_size({n}, {kernel}, stride={stride}, padding={padding!r})",
                               int(expected["sizes"][i])))
              for i, (n, kernel, stride, padding) in enumerate(size_cases())]
    unless_right(wrong_cases(checks))
