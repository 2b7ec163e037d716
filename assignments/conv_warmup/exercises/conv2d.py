"""Exercise 2: ``conv2d(image, kernel, stride, padding)``, one channel's convolution as Keras's ``Conv2D`` computes it."""
import numpy as np

from assignments.conv_warmup.exercises.inputs import conv_cases, keras_conv2d
from autograder.exercises.judging import as_array, got, unless_right
from autograder.exercises.recording import call, recorded

ATOL = 1e-4  # float32 sums of at most 25 products of numbers near 1: Keras and numpy agree to about 1e-6
RUBRIC = {
    "window": (1, "the window slid with the stride and the padding as Conv2D slides it"),
    "orientation": (1, "the kernel applied as Conv2D holds it, not flipped"),
}


def _text(image, kernel, stride, padding):
    return f"conv2d(an image of shape {image.shape}, a kernel of shape {kernel.shape}, stride={stride}, padding={padding!r})"


def record(answer, out):
    for i, (image, kernel, stride, padding) in enumerate(conv_cases()):
        call(out, str(i), lambda: recorded(answer(image.copy(), kernel.copy(), stride=stride, padding=padding)))


def expected(reference):
    """What keras.layers.Conv2D gives on every case, and with the kernel flipped (a true convolution: the
    judge names that mistake)."""
    out = {}
    for i, (image, kernel, stride, padding) in enumerate(conv_cases()):
        out[str(i)] = keras_conv2d(image, kernel, stride, padding)
        out[f"{i}.flipped"] = keras_conv2d(image, np.ascontiguousarray(kernel[::-1, ::-1]), stride, padding)
    return out


def judge(record, expected):
    flipped = []  # whether each case, wrong, is what the kernel flipped gives
    for i, case in enumerate(conv_cases()):
        call_text = _text(*case)
        value, want = as_array(got(record, str(i), call_text), call_text), expected[str(i)]
        assert value.shape == want.shape, f"{call_text} has shape {value.shape}; Keras's Conv2D gives {want.shape}"
        if np.allclose(value, want, atol=ATOL):
            continue
        flipped.append(np.allclose(value, expected[f"{i}.flipped"], atol=ATOL))
        if not flipped[-1]:
            raise AssertionError(f"{call_text} differs from Keras's Conv2D by up to {np.abs(value - want).max():.3g}")
    # Wrong only where a flipped kernel gives another result: a true convolution, where Conv2D does not flip
    unless_right({"orientation": "a convolution with the kernel flipped: Conv2D does not flip it"} if flipped else {})
