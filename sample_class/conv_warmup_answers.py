"""Students' answers to the warm-up (``source/conv_warmup/``), right and wrong, for its sample class.

Each answer uses only what the notebook's set-up cell imports (np) and imports anything else itself, so that its
source can be pasted into a student's notebook under the exercise's name (see ``sample_class/__init__.py``).
"""
import numpy as np


# --- correct, in other styles ---------------------------------------------------------------------

def output_size_ceil(n, kernel_size, stride=1, padding="valid"):
    import math

    return math.ceil(n / stride) if padding == "same" else math.floor((n - kernel_size) / stride) + 1


def conv2d_windows(image, kernel, stride=1, padding="valid"):
    # every window at once, then one einsum
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if padding == "same":
        totals = [max((-(-n // stride) - 1) * stride + k - n, 0) for n, k in zip(image.shape, kernel.shape)]
        image = np.pad(image, [(t // 2, t - t // 2) for t in totals])
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)[::stride, ::stride]
    return np.einsum("ijab,ab->ij", windows, kernel)


def conv2d_scipy(image, kernel, stride=1, padding="valid"):
    # scipy's correlate2d is the same cross-correlation; the stride keeps every stride-th output
    from scipy.signal import correlate2d

    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if padding == "same":
        totals = [max((-(-n // stride) - 1) * stride + k - n, 0) for n, k in zip(image.shape, kernel.shape)]
        image = np.pad(image, [(t // 2, t - t // 2) for t in totals])
    return correlate2d(image, kernel, mode="valid")[::stride, ::stride]


def max_pool2d_windows(image, size=2, stride=None):
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(image), (size, size))
    return windows[::stride or size, ::stride or size].max(axis=(2, 3))


# --- typical mistakes -------------------------------------------------------------------------------

def output_size_off_by_one(n, kernel_size, stride=1, padding="valid"):
    return -(-n // stride) if padding == "same" else (n - kernel_size) // stride  # forgets the +1


def conv2d_flipped(image, kernel, stride=1, padding="valid"):
    # the textbook convolution, kernel flipped: not what Conv2D computes
    from scipy.signal import convolve2d

    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if padding == "same":
        totals = [max((-(-n // stride) - 1) * stride + k - n, 0) for n, k in zip(image.shape, kernel.shape)]
        image = np.pad(image, [(t // 2, t - t // 2) for t in totals])
    return convolve2d(image, kernel, mode="valid")[::stride, ::stride]


def conv2d_padding_top_left(image, kernel, stride=1, padding="valid"):
    # pads the odd pixel at the top and left, where Keras puts it at the bottom and right
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if padding == "same":
        totals = [max((-(-n // stride) - 1) * stride + k - n, 0) for n, k in zip(image.shape, kernel.shape)]
        image = np.pad(image, [(t - t // 2, t // 2) for t in totals])
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)[::stride, ::stride]
    return np.einsum("ijab,ab->ij", windows, kernel)


def max_pool2d_stride_one(image, size=2, stride=None):
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(image), (size, size))
    return windows[::stride or 1, ::stride or 1].max(axis=(2, 3))  # overlapping windows by default


CORRECT = {"output_size": [output_size_ceil], "conv2d": [conv2d_windows, conv2d_scipy],
           "max_pool2d": [max_pool2d_windows]}
MISTAKES = {"output_size": [output_size_off_by_one], "conv2d": [conv2d_flipped, conv2d_padding_top_left],
            "max_pool2d": [max_pool2d_stride_one]}
# The sub-checks each partly right mistake fails (as ``answers.PARTLY``).
PARTLY = {output_size_off_by_one: {"valid"}, conv2d_flipped: {"orientation"}}
