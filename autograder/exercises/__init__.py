"""What every autograded exercise is (``Exercise``, below), and the code that all exercises share, by where it runs:

* ``recording.py``, the kernel's side: recording what an answer returns on the grading inputs;
* ``judging.py``, the judge's side: records on disk, and the numpy checks the judges share. It never imports
  TensorFlow or Keras;
* ``keyed.py``: exercises whose answer is a value, judged against the assignment's answer key.

Each assignment's exercises are its own: one module per exercise in ``assignments/<assignment>/exercises/``,
beside that assignment's grading inputs (``inputs.py`` there). Nothing there is secret: the grading inputs can
be read by the student's code; passing needs the reference's outputs on every one of them, and those are never
where the student's code runs.
"""
import dataclasses
import importlib
import inspect
import typing


class Exercise(typing.Protocol):
    """What every exercise module provides (``check`` tells whether one does); ``Pictured`` adds the feedback's map.

    An exercise may also list, in ``CALLS``, the other exercises whose functions its answer calls: its recorder
    substitutes correct ones, so that their mistakes cost only their own points (``autograder/gradebook.py`` reads it).

    An exercise where a mistake can be partly right declares its ``RUBRIC``: {sub-check: (share, what it asks)}.
    Its judge then raises ``judging.PartlyRight`` naming the sub-checks an answer fails, when the answer is right
    in the others; the answer gets their shares of the exercise's points (``rubric``).
    """

    def record(self, answer, out: dict) -> None:
        """Calls the student's answer on the grading inputs and puts what it returned into ``out`` (arrays of
        numbers and strings only). Runs in the student's kernel, from the hidden test cell (``recording.record``)."""

    def expected(self, reference) -> dict:
        """What a correct answer gives on the same inputs, from the reference solutions (``reference``) and real
        Keras models. Computed once per release (``autograder/references.py``)."""

    def judge(self, record: dict, expected: dict) -> None:
        """Raises AssertionError, with a message for the student, when the record is wrong. Plain numpy: it runs
        in a process that runs no student code and holds no model. Any other exception is the grader's own
        failure, never the student's zero (``autograder/verify.judge``)."""


class Pictured(Exercise, typing.Protocol):
    """A map exercise, whose feedback shows the student's map beside the expected one."""

    PICTURED: str  # what the picture shows, in its title: the model, image or class of the case

    def picture(self, record: dict, expected: dict) -> tuple:
        """(the student's map or None, the expected map) of one grading image, for the feedback."""


@dataclasses.dataclass(frozen=True)
class SubCheck:
    """One line of an exercise's rubric: what it asks and what it is worth."""
    name: str
    points: float
    asks: str


def rubric(exercise, points):
    """[SubCheck] of an exercise worth ``points`` (its notebook's): its ``RUBRIC``'s shares of them; [] for an
    exercise judged all or nothing."""
    shares = getattr(exercise, "RUBRIC", {})
    total = sum(share for share, _ in shares.values())
    return [SubCheck(name, round(points * share / total, 2), asks) for name, (share, asks) in shares.items()]


def marked(rubric, failed):
    """[(sub-check, the points it earned, why it failed or "")] of an answer that failed the sub-checks ``failed``
    ({name: why}) of ``rubric``."""
    return [(check, 0.0 if check.name in failed else check.points, failed.get(check.name, "")) for check in rubric]


def get(assignment, name) -> Exercise:
    """The module of exercise ``name`` of ``assignment`` (a name of its catalogue's ``EXERCISES``)."""
    return importlib.import_module(f"assignments.{assignment}.exercises.{name}")


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
    if protocol is Pictured and not isinstance(getattr(module, "PICTURED", None), str):
        problems.append("PICTURED is not a string")
    shares = getattr(module, "RUBRIC", {})
    if not (isinstance(shares, dict) and all(isinstance(line, tuple) and len(line) == 2 and isinstance(line[0], int)
                                             and line[0] > 0 and isinstance(line[1], str) for line in shares.values())):
        problems.append("RUBRIC is not {sub-check: (a positive whole share, what it asks)}")
    calls = getattr(module, "CALLS", ())
    if not (isinstance(calls, tuple) and all(isinstance(name, str) for name in calls)):
        problems.append("CALLS is not a tuple of exercise names")
    return problems
