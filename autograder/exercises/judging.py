"""The judge's side of grading: records on disk, and the numpy checks the exercises' judges share.

Plain numpy: the judge's process (``autograder/verify.py``) runs no student code, holds no model and never
imports TensorFlow or Keras (``tests/test_exercises.py`` checks it). The kernel's side is ``recording.py``.
"""
import os
import pathlib
import stat
import struct
import zipfile

import numpy as np

TF32 = "tf32"  # the record's key that says whether TensorFlow could multiply in TF32 while it was made
# The bounds of a record file, which the student's code can write: a correct answer records under 1 MB (the largest,
# vanilla_saliency's, 0.85 MB), a wrong one at most recording.LARGEST numbers a value. Past them it is not read.
RECORD_BYTES = 64 << 20  # on disk, and once inflated
RECORD_KEYS = 1000


class PartlyRight(AssertionError):
    """What a judge raises for an answer that is right but for some sub-checks of its exercise's ``RUBRIC``:
    ``failed`` is {sub-check: why it failed}. Raised only when the answer matched, on every grading input, what a
    known partial mistake gives: anything else is plainly wrong (an AssertionError), and gets nothing."""

    def __init__(self, failed):
        super().__init__("; ".join(failed.values()))
        self.failed = failed


class Malformed(ValueError):
    """A record file that no recorder writes: the student's code wrote it (or broke it)."""


# --- records on disk: plain arrays and strings, never pickles (written by ``recording.save``) --------------

def load(folder, name):
    """The values saved under ``name``, or None when there are none. Strings and flags come back as str and bool.
    Raises ``Malformed`` on a file past the bounds above, or one that is not an archive of arrays."""
    path = pathlib.Path(folder) / f"{name}.npz"
    if not os.path.lexists(path):
        return None
    status = os.lstat(path)
    if not stat.S_ISREG(status.st_mode):  # a link to another file, a pipe that never ends
        raise Malformed(f"{path.name} is not a plain file")
    if status.st_size > RECORD_BYTES:
        raise Malformed(f"{path.name} is over {RECORD_BYTES >> 20} MB")
    with open(path, "rb") as f:
        f.seek(max(0, status.st_size - 22))  # its number of values, from the archive's end, before its directory
        end = f.read(22)
        if len(end) < 22 or end[:4] != b"PK\x05\x06" or struct.unpack("<H", end[10:12])[0] > RECORD_KEYS:
            raise Malformed(f"{path.name} is not an archive of at most {RECORD_KEYS} values, as the recorder writes")
        try:
            with zipfile.ZipFile(f) as z:  # what np.load would inflate, counted before it does
                members, inflated = len(z.infolist()), sum(m.file_size for m in z.infolist())
        except (zipfile.BadZipFile, OSError) as err:
            raise Malformed(f"{path.name} is not a record ({err})") from None
        if members > RECORD_KEYS or inflated > RECORD_BYTES:
            raise Malformed(f"{path.name} holds {members} values, {inflated >> 20} MB inflated: over {RECORD_KEYS} "
                            f"values or {RECORD_BYTES >> 20} MB")
        try:
            f.seek(0)
            with np.load(f, allow_pickle=False) as npz:  # the student's code could have written this file
                return {key: _plain(npz[key]) for key in npz.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
            raise Malformed(f"{path.name} cannot be read as arrays ({type(err).__name__}: {str(err)[:100]})") from None


def well_formed(values, reference):
    """Why a record is not one the recorders could have written, or None when it is: its keys are those the
    reference's own record (``reference``, recorded by the same recorder) has, or that a raising answer leaves
    (``key.error``, ``stopped``); flags where they put flags, text where they put text, and elsewhere numbers, a
    string or a flag (what a student's answer returned). Anything else was written by the student's own code,
    and is judged wrong rather than taken for a fault of the grader."""
    for key, value in values.items():
        if key not in reference and key.removesuffix(".error") not in reference and key != "stopped":
            return f"a value the grader never records ({key[:40]!r})"
        if key == TF32 or key.endswith((".pair", ".figure")):
            ok = isinstance(value, bool)
        elif key in ("stopped", "str", "repr") or key.endswith(".error"):
            ok = isinstance(value, str)
        else:
            ok = isinstance(value, (bool, str)) or value.dtype.kind in "biuf"
        if not ok:
            return f"{key[:40]!r} is not what the grader records there"
    if values.get(TF32):  # the recorder switches TF32 off before it records (recording.full_float32)
        return "it says TF32 was on, which the grader switches off before it records"
    return None


def shaped_like(values, reference):
    """Whether a record has every value the reference's has (or what its answer raised instead), each of the same
    type and shape: then a judge that fails on it fails for its own reason."""
    def kind(value):
        return type(value) if isinstance(value, (bool, str)) else (value.dtype.kind in "biuf", value.shape)

    return (all(key in values or f"{key}.error" in values for key in reference)
            and all(kind(value) == kind(reference[key]) for key, value in values.items() if key in reference))


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


class Matches:
    """The partial mistakes that an answer's maps match on every grading case, gathered case by case.

    A mistake is the set of sub-checks it fails (frozenset(): none, the right answer). A mistake's map that is flat
    on a case is matched there by any constant answer: to count, a mistake must show a map that is not flat on at
    least ``SHOWN`` of the cases it matched (the right answer always counts). The maps are matched after rescaling:
    one with values outside [0, 1] fails the rubric's "scaling" sub-check, and that one only.
    """
    SHOWN = 4

    def __init__(self):
        self.possible, self.shown, self.wrong, self.unscaled = None, {}, None, False

    def add(self, value, fits, flat, wrong):
        """One case: ``value`` the answer's map there, ``fits`` the mistakes whose map it matches, ``flat`` those whose
        map is flat there, ``wrong`` what to tell the student if the answer is not right there."""
        self.unscaled = self.unscaled or value.min() < -1e-6 or value.max() > 1 + 1e-6
        self.possible = set(fits) if self.possible is None else self.possible & set(fits)
        for mistake in set(fits) - set(flat):
            self.shown[mistake] = self.shown.get(mistake, 0) + 1
        if frozenset() not in fits and self.wrong is None:
            self.wrong = wrong

    def failed(self, rubric):
        """The sub-checks of ``rubric`` the answer fails: those of the mistake, of the ones that count, that costs it
        least (none: it is right), and "scaling" if a map left [0, 1]. None counts: the answer is wrong, and
        AssertionError says where first."""
        counted = [m for m in self.possible or () if not m or self.shown.get(m, 0) >= self.SHOWN]
        if not counted:
            raise AssertionError(self.wrong)
        cheapest = min(counted, key=lambda mistake: (sum(rubric[name][0] for name in mistake), sorted(mistake)))
        return cheapest | ({"scaling"} if self.unscaled else set())


def unless_right(failed):
    """Raise ``PartlyRight`` for the sub-checks ``failed`` ({sub-check: why}); nothing when none failed."""
    if failed:
        raise PartlyRight(failed)


def wrong_cases(cases):
    """{group: what its first wrong case says} of an answer checked case by case: ``cases`` is [(group, check)],
    each ``check()`` raising AssertionError where the answer is wrong."""
    wrong = {}
    for group, check in cases:
        try:
            check()
        except AssertionError as err:
            wrong.setdefault(group, str(err))
    return wrong


def judge_randomisation(record, name):
    """A faithful map depends on the weights: re-initialising them must change it (Adebayo et al.)."""
    trained = as_array(got(record, "trained", name), name)
    random = as_array(got(record, "random", f"{name} on a model with re-initialised weights"), name)
    assert correlation(trained, random) < 0.9, (
        f"{name}: the map barely changes when the model's weights are re-initialised, so it does not "
        "explain the model")
