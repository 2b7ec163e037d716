"""Section 2, Convolutional Neural Networks II (``source/sec02/``): what grading it needs beyond its notebook."""
import os
import pathlib

# Its answers run TensorFlow models: each hidden check switches TF32 off before it records, and its record says so
# (``autograder/exercises/recording.full_float32``: TF32 moves a saliency map by up to 0.18 against a tolerance of 0.05).
ANSWERS_USE_TENSORFLOW = True
# The libraries its reference answers are computed with (their versions key them, ``autograder/references.py``):
# Keras models on TensorFlow, tf-keras-vis' SmoothGrad, scikit-image's pictures in the synthetic data.
REFERENCE_LIBRARIES = ("numpy", "tensorflow", "keras", "tf-keras-vis", "scikit-image")
# The memory one grading worker needs: the measured peak of one grading's kernel (TensorFlow, the two models, the
# grading inputs; 0.90 GiB on this repository's 2-core CPU with TensorFlow 2.21, benchmarks/results/notebook_cost.md)
# and nbgrader's own process beside it, with a margin. The one place to change when the notebook or the models
# change what it takes.
WORKER_MEMORY_GB = 1.4


def kernel_data():
    """{environment variable: folder} that the student's kernel reads beyond the release: the synthetic data's
    cache (``cnnlab.data``), which ``prepare`` fills, since the sandboxed kernel may not write it."""
    return {"CNNLAB_CACHE_DIR": pathlib.Path(os.environ.get("CNNLAB_CACHE_DIR", pathlib.Path.home() / ".cache" / "cnnlab"))}


def prepare():
    """Once per grading worker, outside the sandbox and before any kernel: the synthetic data's cache."""
    from cnnlab.data import synthetic_splits

    synthetic_splits()
