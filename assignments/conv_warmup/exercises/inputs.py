"""The warm-up's grading inputs: images, kernels, strides and paddings the students never saw, drawn from a seed,
and the real Keras layers that say what a correct answer gives on them.

Only numpy at module level: Keras is imported inside the functions that run a layer, so that a judge may read
the cases here without loading it.
"""
import numpy as np

GRADING_SEED = 1998  # LeNet's year


def conv_cases():
    """(image, kernel, stride, padding) of every convolution: square and oblong images and kernels, 1x1 to 5x5,
    strides 1 to 3, both paddings, odd and even padding totals."""
    rng = np.random.default_rng(GRADING_SEED)
    cases = []
    for kernel_shape in [(1, 1), (2, 2), (3, 3), (3, 5), (5, 2), (4, 4)]:
        for stride in (1, 2, 3):
            for padding in ("valid", "same"):
                shape = (int(rng.integers(kernel_shape[0], 12)), int(rng.integers(kernel_shape[1], 12)))
                cases.append((rng.normal(size=shape).astype("float32"),
                              rng.normal(size=kernel_shape).astype("float32"), stride, padding))
    return cases


def pool_cases():
    """(image, size, stride) of every max-pooling: the default stride (None) and overlapping windows."""
    rng = np.random.default_rng(GRADING_SEED + 1)
    cases = []
    for size, stride in [(2, None), (3, None), (2, 1), (3, 2), (4, 3), (1, None)]:
        for _ in range(2):
            shape = (int(rng.integers(size, 13)), int(rng.integers(size, 13)))
            cases.append((rng.normal(size=shape).astype("float32"), size, stride))
    return cases


def size_cases():
    """(n, kernel_size, stride, padding) of every output size."""
    rng = np.random.default_rng(GRADING_SEED + 2)
    cases = []
    while len(cases) < 40:
        kernel, stride = int(rng.integers(1, 8)), int(rng.integers(1, 5))
        cases.append((int(rng.integers(kernel, 60)), kernel, stride, str(rng.choice(["valid", "same"]))))
    return cases


def keras_conv2d(image, kernel, stride, padding):
    """What one filter of keras.layers.Conv2D, without bias, whose weights are ``kernel``, gives on ``image``."""
    import keras

    layer = keras.layers.Conv2D(1, kernel.shape, strides=stride, padding=padding, use_bias=False)
    layer.build((None, *image.shape, 1))
    layer.set_weights([kernel[:, :, None, None]])
    return np.asarray(layer(image[None, :, :, None]))[0, :, :, 0]


def keras_max_pool2d(image, size, stride):
    import keras

    return np.asarray(keras.layers.MaxPooling2D(size, strides=stride)(image[None, :, :, None]))[0, :, :, 0]


def keras_output_size(n, kernel_size, stride, padding):
    """The output length of a real Keras convolution on a length-n input."""
    import keras

    layer = keras.layers.Conv1D(1, kernel_size, strides=stride, padding=padding)
    return int(layer(np.zeros((1, n, 1), dtype="float32")).shape[1])
