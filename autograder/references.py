"""What a correct answer gives on the grading inputs: computed once per release, then read by every judge.

    python -m autograder.references     # computes what is missing; prints the folder

The folder is named by a hash of everything the answers depend on: the reference solutions, the answer key,
the models and data code given to students, the grading code of the exercises, and the versions of the
libraries that compute them. Change any of these and the next grading computes them again; nothing else
ever invalidates them. They live in ``.references/`` in this repository, never where a student's code runs.
"""
import hashlib
import importlib
import importlib.metadata
import os
import pathlib

from autograder import catalogue, exercises
from autograder.environment import set_tensorflow_defaults
from autograder.exercises import judging, recording

ROOT = pathlib.Path(__file__).resolve().parents[1]
CACHE = pathlib.Path(os.environ.get("CNNLAB_REFERENCES", ROOT / ".references"))
LIBRARIES = ("numpy", "tensorflow", "keras", "tf-keras-vis", "scikit-image")


def _inputs():
    """Every file the reference answers depend on."""
    grading, release = ROOT / "assignments" / catalogue.ASSIGNMENT, ROOT / "release" / catalogue.ASSIGNMENT
    yield ROOT / "solutions" / f"{catalogue.ASSIGNMENT}.py"
    yield grading / "answer_key.json"
    yield from sorted((ROOT / "autograder" / "exercises").glob("*.py"))
    yield from sorted(grading.rglob("*.py"))
    yield from sorted(release.rglob("*.py"))  # the code given to students, and their models
    yield from sorted(release.rglob("*.keras"))


def key():
    digest = hashlib.sha256()
    for path in _inputs():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    for library in LIBRARIES:
        digest.update(f"{library}=={_version(library)}".encode())
    return digest.hexdigest()[:20]


def _version(library):
    try:
        return importlib.metadata.version(library)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def folder():
    return CACHE / key()


def load(name, where=None):
    """The expected values of exercise ``name``, computed first if they are not there yet."""
    where = pathlib.Path(where) if where else folder()
    values = judging.load(where, name)
    if values is None:
        values = compute(name)
        recording.save(where, name, values)
    return values


def compute(name):
    set_tensorflow_defaults()
    recording.full_float32()  # as the answers are recorded (see recording.full_float32)
    reference = importlib.import_module(f"solutions.{catalogue.ASSIGNMENT}")
    return exercises.get(catalogue.ASSIGNMENT, name).expected(reference)


def compute_all():
    where = folder()
    for name in catalogue.EXERCISES:
        load(name, where)
    return where


if __name__ == "__main__":
    print(compute_all())
