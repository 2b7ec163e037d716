"""The kernel's side of grading, for every assignment: recording what a student's answer returns on an exercise's
grading inputs, as plain arrays and strings, and writing the records.

It runs in the student's kernel, from the hidden test cells (``autograder/hidden.py``), and where the reference
answers are computed. Only numpy at module level. The judge's side is ``judging.py``.
"""
import os
import pathlib
import sys

import numpy as np

from autograder.exercises.judging import TF32

LARGEST = 500_000  # numbers in one recorded value (4 MB: judging.RECORD_BYTES holds 16); a correct answer's, 200,000


# --- recording what an answer returns -----------------------------------------------------------------

def record(exercise, answer, out):
    """Put into ``out`` what ``answer`` gives on ``exercise``'s grading inputs: {key: array or string}.

    Where the exercise's assignment declares that its answers run TensorFlow (``ANSWERS_USE_TENSORFLOW``,
    ``assignments/__init__.py``), TF32 is switched off first and the record says whether it is off; elsewhere
    TensorFlow is never imported here, so that a numpy assignment's kernel grades without it.
    A cell that runs out of time is interrupted (KeyboardInterrupt): what was recorded so far stays in
    ``out``, marked as stopped, and the interruption goes on, so that the notebook's time limit bounds the cost.
    """
    if assignment_of(exercise).ANSWERS_USE_TENSORFLOW:
        out[TF32] = not full_float32()
    try:
        exercise.record(answer, out)
    except KeyboardInterrupt:
        out["stopped"] = "was stopped: its test cell ran out of time"
        raise


def assignment_of(exercise):
    """The package ``assignments/<assignment>/`` that holds ``exercise`` (a module of its ``exercises/``): what
    that assignment declares."""
    return sys.modules[exercise.__package__.rpartition(".")[0]]


def full_float32():
    """Switch TensorFlow's TF32 off; True when it is off.

    On an NVIDIA GPU TensorFlow multiplies in TF32 by default, which moves a saliency map by up to 0.18 and a
    Grad-CAM map by 0.025 (measured on an H200), against map tolerances of 0.05: the answers and the
    references must both be computed in full float32, whatever machine grades. (``NVIDIA_TF32_OVERRIDE=0``
    in the kernel's environment, ``autograder/environment.py``, does the same for the GPU libraries.)
    """
    tf = _tensorflow()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    return not tf.config.experimental.tensor_float_32_execution_enabled()


def _tensorflow():
    """TensorFlow, imported with file descriptor 2 muted if the notebook has not imported it yet: its C++ start-up
    lines go to stderr before any log setting applies, and nbgrader scores 0 a test cell that writes there."""
    if "tensorflow" not in sys.modules:
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
    return sys.modules["tensorflow"]


def recorded(value):
    """A student's value as the judge may see it: an array of numbers, or the name of its type."""
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 (anything a student returns)
        return type(value).__name__
    if array.dtype.kind not in "biuf":
        return type(value).__name__
    return array if array.size <= LARGEST else f"an array of shape {array.shape}"


def recorded_int(value):
    return np.int64(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else \
        f"{value!r} ({type(value).__name__})"[:120]


def call(out, key, make):
    """out[key] = what the student's code gives, or out[key + ".error"] = what it raised."""
    try:
        out[key] = make()
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: B902 (a student's code may raise anything, SystemExit included)
        out[f"{key}.error"] = f"{type(err).__name__}: {err}"[:300]


# --- records on disk: plain arrays and strings, never pickles (read by ``judging.load``) ------------------

def save(folder, name, values):
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.{os.getpid()}.npz"  # then renamed: a reader never sees half a file
    np.savez(tmp, **{key: np.asarray(value) for key, value in values.items()})
    tmp.replace(folder / f"{name}.npz")
