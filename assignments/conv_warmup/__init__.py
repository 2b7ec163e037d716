"""Warm-up: convolution and pooling by hand (``source/conv_warmup/``): what grading it needs beyond its notebook."""

# Its answers are numpy: its hidden checks never import TensorFlow (the student's kernel loads it only where the
# notebook itself imports Keras). Its reference answers still come from Keras layers, in full float32, outside the
# kernel (``autograder/references.py``).
ANSWERS_USE_TENSORFLOW = False
# The libraries its reference answers are computed with (their versions key them, ``autograder/references.py``):
# numpy's cases, Keras's layers on TensorFlow.
REFERENCE_LIBRARIES = ("numpy", "tensorflow", "keras")
# The memory one grading worker needs: the measured peak of one grading job of its reference notebook (nbgrader, the
# kernel, which holds Keras once the notebook imports it, 0.72 GB at its peak, and the judge: 0.88 GB, proportional
# set sizes summed, on this repository's 2-core CPU with TensorFlow 2.21, benchmarks/results/warmup_kernel.md), with
# a margin.
WORKER_MEMORY_GB = 1.2


def kernel_data():
    """Nothing beyond the release: the grading inputs are drawn from a seed."""
    return {}


def prepare():
    """Nothing to prepare: no data, no models."""
