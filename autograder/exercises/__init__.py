"""One module per autograded exercise, each an ``Exercise`` (below), over two shared modules by where they run:

* ``inputs.py``, the kernel's side: the grading inputs (images, models, cases) and recording what an answer
  returns on them;
* ``judging.py``, the judge's side: records on disk, and the numpy checks the judges share. It never imports
  TensorFlow or Keras.

Nothing here is secret: the grading inputs can be read by the student's code; passing needs the
reference's outputs on every one of them, and those are never where the student's code runs.
"""
import importlib
import inspect
import typing


class Exercise(typing.Protocol):
    """What every exercise module provides (``check`` tells whether one does); ``Pictured`` adds the feedback's map.

    An exercise may also list, in ``CALLS``, the other exercises whose functions its answer calls: its recorder
    substitutes correct ones, so that their mistakes cost only their own points (``autograder/grade.py`` reads it).
    """

    def record(self, answer, out: dict) -> None:
        """Calls the student's answer on the grading inputs and puts what it returned into ``out`` (arrays of
        numbers and strings only). Runs in the student's kernel, from the hidden test cell (``inputs.record``)."""

    def expected(self, reference) -> dict:
        """What a correct answer gives on the same inputs, from the reference solutions (``reference``) and real
        Keras models. Computed once per release (``autograder/references.py``)."""

    def judge(self, record: dict, expected: dict) -> None:
        """Raises AssertionError, with a message for the student, when the record is wrong. Plain numpy: it runs
        in a process that runs no student code and holds no model. Any other exception is the grader's own
        failure, never the student's zero (``autograder/verify.judge``)."""


class Pictured(Exercise, typing.Protocol):
    """A map exercise, whose feedback shows the student's map beside the expected one."""

    def picture(self, record: dict, expected: dict) -> tuple:
        """(the student's map or None, the expected map) of one grading image, for the feedback."""


def get(name) -> Exercise:
    """The module of exercise ``name`` (a name of ``autograder.catalogue.EXERCISES``)."""
    return importlib.import_module(f"{__name__}.{name}")


def check(module):
    """What ``module`` lacks to be an ``Exercise`` (and a ``Pictured`` one, if it has ``picture``): [] when nothing.

    Each member must be a function called with the protocol's arguments, so that a renamed or extra argument is
    caught here, not in the middle of a class's grading.
    """
    protocol = Pictured if hasattr(module, "picture") else Exercise
    problems = []
    for member in ("record", "expected", "judge", "picture"):
        if not hasattr(protocol, member):
            continue
        function = getattr(module, member, None)
        wanted = list(inspect.signature(getattr(protocol, member)).parameters)[1:]  # without self
        if not inspect.isfunction(function):
            problems.append(f"{member} is not a function")
        elif list(inspect.signature(function).parameters) != wanted:
            problems.append(f"{member} takes {inspect.signature(function)}, not ({', '.join(wanted)})")
    calls = getattr(module, "CALLS", ())
    if not (isinstance(calls, tuple) and all(isinstance(name, str) for name in calls)):
        problems.append("CALLS is not a tuple of exercise names")
    return problems
