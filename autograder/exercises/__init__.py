"""One module per autograded exercise, over one shared base (``base.py``). Each module ``x`` has:

* ``record(answer, out)``: calls the student's answer on the grading inputs and puts what it returned into
  ``out`` (arrays of numbers and strings only). It runs in the student's kernel, from the hidden test cell.
* ``expected(reference)``: what a correct answer gives on the same inputs, from the reference solutions
  and from real Keras models; computed once per release (``autograder/references.py``).
* ``judge(record, expected)``: raises AssertionError, with a message for the student, when the record is
  wrong. Plain numpy: it runs in a process that runs no student code and holds no model. Any other
  exception is the grader's own failure, never the student's zero (``verify.judge``).
* optionally ``CALLS``: the other exercises whose functions the answer calls. Its recorder substitutes correct
  ones, so that their mistakes cost only their own points.

Nothing here is secret: the grading inputs can be read by the student's code; passing needs the
reference's outputs on every one of them, and those are never where the student's code runs.
"""
import importlib


def get(name):
    """The module of exercise ``name`` (a name of ``autograder.catalogue.EXERCISES``)."""
    return importlib.import_module(f"{__name__}.{name}")
