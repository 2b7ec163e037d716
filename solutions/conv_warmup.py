"""Reference solutions, generated from source/conv_warmup/conv_warmup.ipynb by tools/build.py: do not edit."""


import numpy as np


def output_size(n, kernel_size, stride=1, padding="valid"):
    """Side of a convolution's (or pooling's) output for an input of side n. padding: "valid" or "same"."""
    if padding == "same":
        return -(-n // stride)  # ceil(n / stride)
    return (n - kernel_size) // stride + 1


def conv2d(image, kernel, stride=1, padding="valid"):
    """The cross-correlation of a 2D image with a 2D kernel, as keras.layers.Conv2D computes it (no bias)."""
    image, kernel = np.asarray(image, dtype="float64"), np.asarray(kernel, dtype="float64")
    kh, kw = kernel.shape
    if padding == "same":
        pads = []
        for n, k in zip(image.shape, kernel.shape):
            total = max((-(-n // stride) - 1) * stride + k - n, 0)
            pads.append((total // 2, total - total // 2))
        image = np.pad(image, pads)
    rows = (image.shape[0] - kh) // stride + 1
    cols = (image.shape[1] - kw) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = np.sum(image[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel)
    return out


def max_pool2d(image, size=2, stride=None):
    """The max-pooling of a 2D image, as keras.layers.MaxPooling2D computes it ("valid" padding)."""
    image = np.asarray(image, dtype="float64")
    stride = stride or size
    rows = (image.shape[0] - size) // stride + 1
    cols = (image.shape[1] - size) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = image[i * stride:i * stride + size, j * stride:j * stride + size].max()
    return out
