"""Warm-up: convolution and pooling by hand (``source/conv_warmup/``): what grading it needs beyond its notebook."""

# Its answers are numpy: its hidden checks never import TensorFlow (the student's kernel loads it only where the
# notebook itself imports Keras). Its reference answers still come from Keras layers, in full float32, outside the
# kernel (``autograder/references.py``).
ANSWERS_USE_TENSORFLOW = False


def kernel_data():
    """Nothing beyond the release: the grading inputs are drawn from a seed."""
    return {}


def prepare():
    """Nothing to prepare: no data, no models."""
