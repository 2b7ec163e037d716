"""Support code for Section 2, "Convolutional Neural Networks II".

Import this package before TensorFlow or Keras. It sets the environment TensorFlow reads when it is
imported (a value already in the environment wins):
- ``TF_ENABLE_ONEDNN_OPTS=0``: with oneDNN on, an eager ``GradientTape`` through a 1x1 stride-2
  convolution can crash TensorFlow 2.21 on some CPUs;
- ``TF_CPP_MIN_LOG_LEVEL=3``: TensorFlow's C++ log lines go to stderr, which nbgrader counts against a
  test cell.
"""
import os
import warnings

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# tf-keras-vis 0.8.7 calls Keras 3 models with a list of inputs; Keras warns on every call that the
# structure differs from the model's single input, although the result is the same.
warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match", category=UserWarning)


def _import_tensorflow_quietly():
    """Import TensorFlow with file descriptor 2 muted.

    Its C++ start-up lines ("Could not find cuda drivers...") are written before any log setting
    applies. Errors still surface: a failed import raises as usual. Skipped where Keras runs on
    another backend (JAX on a GPU machine has no TensorFlow).
    """
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        pass
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()
