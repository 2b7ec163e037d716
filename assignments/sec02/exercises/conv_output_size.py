"""Exercise 1: ``conv_output_size(n, kernel_size, stride, padding, dilation)``, the side of a convolution's output."""
import numpy as np

from assignments.sec02.exercises.inputs import GRADING_SEED
from autograder.exercises.recording import call, recorded_int
from autograder.exercises.judging import got, unless_right, wrong_cases


RUBRIC = {
    "valid": (2, "'valid' padding: the kernel's span and the stride"),
    "dilation": (1, "'valid' padding with a dilated kernel"),
    "same": (1, "'same' padding: only the stride counts"),
}


def cases():
    """(n, kernel_size, stride, padding, dilation) of every call."""
    rng = np.random.default_rng(GRADING_SEED)
    found = []
    while len(found) < 60:
        kernel, stride, dilation = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        padding = str(rng.choice(["valid", "same"]))
        n = int(rng.integers(dilation * (kernel - 1) + 1, 80))
        found.append((n, kernel, stride, padding, dilation))
    return found


def record(answer, out):
    for i, (n, kernel, stride, padding, dilation) in enumerate(cases()):
        call(out, str(i), lambda: recorded_int(answer(n, kernel, stride=stride, padding=padding, dilation=dilation)))


def _keras_output_size(n, kernel_size, stride, padding, dilation):
    """Output length of a real Keras convolution applied to a length-n input."""
    import keras

    layer = keras.layers.Conv1D(1, kernel_size, strides=stride, padding=padding, dilation_rate=dilation)
    return int(layer(np.zeros((1, n, 1), dtype="float32")).shape[1])


def expected(reference):
    """What a real Keras layer gives; the reference where Keras cannot build the layer (stride and dilation)."""
    sizes, measured = [], []
    for n, kernel, stride, padding, dilation in cases():
        keras_can = stride == 1 or dilation == 1
        sizes.append(_keras_output_size(n, kernel, stride, padding, dilation) if keras_can else
                     reference.conv_output_size(n, kernel, stride=stride, padding=padding, dilation=dilation))
        measured.append(keras_can)
    return {"sizes": np.array(sizes), "measured": np.array(measured)}


def _group(padding, dilation):
    """The sub-check a call tests."""
    return "same" if padding == "same" else "dilation" if dilation > 1 else "valid"


def _check(record, i, call_text, want, measured):
    def check():
        value = got(record, str(i), call_text)
        assert not isinstance(value, str), f"{call_text} returned {value}; it should return an int"
        said = f"but a Keras Conv layer gives {want}" if measured else f"expected {want}"
        assert int(value) == want, f"{call_text} returned {int(value)}, {said}"
    return check


def judge(record, expected):
    checks = []
    for i, (n, kernel, stride, padding, dilation) in enumerate(cases()):
        call_text = f"conv_output_size({n}, {kernel}, stride={stride}, padding={padding!r}, dilation={dilation})"
        checks.append((_group(padding, dilation),
                       _check(record, i, call_text, int(expected["sizes"][i]), expected["measured"][i])))
    unless_right(wrong_cases(checks))
