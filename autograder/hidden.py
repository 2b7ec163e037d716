"""What a hidden test cell of a notebook runs: ``hidden.check(assignment, "gradcam", gradcam)`` (the assignment's
name, as its folder in ``source/``, the exercise, the student's answer).

It calls the student's answer, the very object their notebook defined, on the exercise's grading inputs
(``assignments/<assignment>/exercises/``), then:

* in ``python -m autograder.grade``'s sandboxed kernel (``GRADER_RECORDS`` names a folder): writes what the
  answer returned there, as plain arrays, and judges nothing. The judge (``autograder/verify.py``) runs
  afterwards, in a process that runs no student code, and its verdict is the score. Nothing in this kernel
  knows what the answers should be;
* anywhere else (plain ``nbgrader autograde`` or ``validate``, where the course's code is installed):
  judges it there and then, against the reference answers (``autograder/references.py``).
"""
import os

RECORDS = "GRADER_RECORDS"


def check(assignment, name, answer):
    from autograder import exercises
    from autograder.exercises import recording

    exercise, out = exercises.get(assignment, name), {}
    folder = os.environ.get(RECORDS)
    try:
        recording.record(exercise, answer, out)
    finally:
        if folder:
            recording.save(folder, name, out)
    if not folder:
        from autograder import catalogue, references

        exercise.judge(out, references.load(catalogue.get(assignment), name))
