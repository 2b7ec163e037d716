"""Support code for Section 2, "Convolutional Neural Networks II".

Import this package before TensorFlow or Keras. It sets the environment TensorFlow reads when it is
imported (a value already in the environment wins):
- ``TF_ENABLE_ONEDNN_OPTS=0``: with oneDNN on, an eager ``GradientTape`` through a 1x1 stride-2
  convolution can crash TensorFlow 2.21 on some CPUs;
- ``TF_CPP_MIN_LOG_LEVEL=3``: TensorFlow's C++ log lines go to stderr, which nbgrader counts against a
  test cell.

It also has the C library hand large freed blocks back to the system (``_return_freed_memory``).
"""
import ctypes
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


def _return_freed_memory(threshold=1 << 20):
    """Blocks of ``threshold`` bytes or more straight from the system and back to it when freed (glibc only).

    By default glibc raises this threshold each time such a block is freed, up to 32 MiB, after which a
    batch's activations and a split's float copy are carved from the heap and stay in the process when
    freed: the kernel's resident memory only grew, cell after cell. A fixed threshold keeps it to what
    is in use."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, threshold)  # M_MMAP_THRESHOLD; setting it turns glibc's own adjustment off
    except (OSError, AttributeError):
        pass  # not glibc: its allocator has its own policy


_return_freed_memory()
_import_tensorflow_quietly()
