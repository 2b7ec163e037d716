"""The grading side of each assignment of the course, one package per assignment, named as its folder in ``source/``.

``assignments/<name>/`` holds what the grader needs to know of that assignment and of no other:

* ``exercises/``: one module per autograded exercise (an ``autograder.exercises.Exercise``), and ``inputs.py``, the
  grading inputs they share. The student's kernel reads these, so nothing in them may give an answer away;
* ``answer_key.json``: the answers that are values, not code (the kernel never reads it);
* ``__init__.py``: what the grader needs to know of the assignment beyond its notebook:

  - ``prepare()``: what a grading worker prepares once, before any kernel (it may do nothing);
  - ``kernel_data()``: {environment variable: folder} that the student's kernel may read beyond the release;
  - ``ANSWERS_USE_TENSORFLOW``: whether its answers run TensorFlow. If so, its hidden checks switch TF32 off
    before they record and each record says so; if not, they never import it;
  - ``REFERENCE_LIBRARIES``: the libraries (distribution names) its reference answers are computed with, whose
    versions key them;
  - ``WORKER_MEMORY_GB``: the memory one grading worker needs for it, measured, with where it was measured.

The grading code in ``autograder/`` reads the rest from the assignment's notebook (``autograder/catalogue.py``).
"""
