"""The judge's side of grading: records on disk, and the numpy checks the exercises' judges share.

Plain numpy: the judge's process (``autograder/verify.py``) runs no student code, holds no model and never
imports TensorFlow or Keras (``tests/test_exercises.py`` checks it). The kernel's side is ``recording.py``.
"""
import os
import pathlib
import stat

import numpy as np

TF32 = "tf32"  # the record's key that says whether TensorFlow could multiply in TF32 while it was made


# --- records on disk: plain arrays and strings, never pickles (written by ``recording.save``) --------------

def load(folder, name):
    """The values saved under ``name``, or None when there are none. Strings and flags come back as str and bool."""
    path = pathlib.Path(folder) / f"{name}.npz"
    if not os.path.lexists(path):
        return None
    if not stat.S_ISREG(os.lstat(path).st_mode):  # a link to another file, a pipe that never ends
        raise ValueError(f"{path.name} is not a plain file")
    with np.load(path, allow_pickle=False) as npz:  # the student's code could have written this file
        return {key: _plain(npz[key]) for key in npz.files}


def well_formed(values):
    """Whether a record is one the recorders could have written: flags where they put flags, text where they put
    text, and elsewhere numbers, a string or a flag (what a student's answer returned). Anything else was
    written by the student's own code, and is judged wrong rather than taken for a fault of the grader."""
    for key, value in values.items():
        if key == TF32 or key.endswith((".pair", ".figure")):
            ok = isinstance(value, bool)
        elif key in ("stopped", "str", "repr") or key.endswith(".error"):
            ok = isinstance(value, str)
        else:
            ok = isinstance(value, (bool, str)) or value.dtype.kind in "biuf"
        if not ok:
            return False
    return True


def _plain(array):
    if array.ndim == 0 and array.dtype.kind == "U":
        return str(array)
    if array.ndim == 0 and array.dtype.kind == "b":
        return bool(array)
    return array


# --- judging ---------------------------------------------------------------------------------------

def got(record, key, what):
    """What the student's code gave for one call; raises if it raised, or never ran."""
    if f"{key}.error" in record:
        raise AssertionError(f"{what} raised {record[key + '.error']}")
    if key not in record:
        raise AssertionError(f"{what} {record.get('stopped', 'was not run')}")
    return record[key]


def as_array(value, what):
    if isinstance(value, str):  # the recorder found no numbers in it: this is the name of its type
        raise AssertionError(f"{what} should be an array of numbers, got {value}")
    return np.asarray(value, dtype=np.float64)


def number(value, what):
    value = as_array(value, what)
    assert value.shape == (), f"{what} returned an array of shape {value.shape}; it should return a number"
    return value.item()


def rescaled(a):
    """Min-max rescaled to [0, 1]: any correct way of scaling a map gives the same picture."""
    a = np.asarray(a, dtype=np.float64)
    span = a.max() - a.min()
    return (a - a.min()) / span if span > 0 else np.zeros_like(a)


def correlation(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def a_map(value, what, shape):
    """The student's map as an array, after the checks every map must pass."""
    value = as_array(value, what)
    assert value.shape == shape, f"{what}: shape {value.shape}, expected {shape}"
    assert np.all(np.isfinite(value)), f"{what}: contains NaN or infinity"
    assert value.min() >= -1e-6 and value.max() <= 1 + 1e-6, f"{what}: values outside [0, 1]"
    return value


def judge_randomisation(record, name):
    """A faithful map depends on the weights: re-initialising them must change it (Adebayo et al.)."""
    trained = as_array(got(record, "trained", name), name)
    random = as_array(got(record, "random", f"{name} on a model with re-initialised weights"), name)
    assert correlation(trained, random) < 0.9, (
        f"{name}: the map barely changes when the model's weights are re-initialised, so it does not "
        "explain the model")
