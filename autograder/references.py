"""What a correct answer gives on the grading inputs: computed once per release, then read by every judge.

    python -m autograder.references [ASSIGNMENT]    # computes what is missing; prints the folder

The folder is named by a hash of everything the answers depend on: the reference solutions, the answer key,
the models and data code given to students, the grading code of the exercises, and the versions of the
libraries that compute them (``REFERENCE_LIBRARIES``, which each assignment declares in its package). Change any
of these and the next grading computes them again; nothing else ever invalidates them. They live in
``.references/`` in this repository, never where a student's code runs.
"""
import hashlib
import importlib
import importlib.metadata
import os
import pathlib
import sys

from autograder import ROOT, catalogue
from autograder.environment import set_tensorflow_defaults
from autograder.exercises import judging, recording

CACHE = pathlib.Path(os.environ.get("GRADER_REFERENCES", ROOT / ".references"))


def _inputs(assignment):
    """Every file the reference answers of ``assignment`` depend on."""
    grading = ROOT / "assignments" / assignment.name
    yield ROOT / "solutions" / f"{assignment.name}.py"
    yield from sorted(grading.glob("answer_key.json"))
    yield from sorted((ROOT / "autograder" / "exercises").glob("*.py"))
    yield from sorted(grading.rglob("*.py"))
    yield from sorted(assignment.release.rglob("*.py"))  # the code given to students, and their models
    yield from sorted(assignment.release.rglob("*.keras"))


def key(assignment):
    digest = hashlib.sha256()
    for path in _inputs(assignment):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    for library in assignment.grading.REFERENCE_LIBRARIES:
        digest.update(f"{library}=={_version(library)}".encode())
    return digest.hexdigest()[:20]


def _version(library):
    try:
        return importlib.metadata.version(library)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def folder(assignment):
    """Where the reference answers of ``assignment`` are (named by the assignment and ``key``)."""
    return CACHE / f"{assignment.name}-{key(assignment)}"


def load(assignment, name, where=None):
    """The expected values of exercise ``name`` of ``assignment``, computed first if they are not there yet."""
    return _kept(where or folder(assignment), name, lambda: compute(assignment, name))


def load_recorded(assignment, name, where=None):
    """The reference's answer to ``name`` as its hidden test records it (``recorded``), recorded first if need be."""
    return _kept(where or folder(assignment), recorded(name), lambda: record_reference(assignment, name))


def _kept(where, name, make):
    values = judging.load(where, name)
    if values is None:
        values = make()
        recording.save(where, name, values)
    return values


def compute(assignment, name):
    set_tensorflow_defaults()
    # Every exercise's expected answer comes from real Keras layers or models: in full float32 on any machine, whether
    # or not the assignment's own answers run TensorFlow (see recording.full_float32)
    recording.full_float32()
    reference = importlib.import_module(f"solutions.{assignment.name}")
    return assignment.exercise(name).expected(reference)


def recorded(name):
    """The name under which the reference's own answer to ``name`` is kept as its hidden test records it: the keys,
    types and shapes that a record of the exercise can have (``judging.well_formed``)."""
    return f"{name}.recorded"


def record_reference(assignment, name):
    set_tensorflow_defaults()
    reference, out = importlib.import_module(f"solutions.{assignment.name}"), {}
    recording.record(assignment.exercise(name), getattr(reference, name), out)
    return out


def compute_all(assignment):
    where = folder(assignment)
    for name in assignment.exercises:
        load(assignment, name, where)
        load_recorded(assignment, name, where)
    return where


if __name__ == "__main__":
    print(compute_all(catalogue.get(sys.argv[1] if len(sys.argv) > 1 else None)))
