"""The grading side of each assignment of the course, one package per assignment, named as its folder in ``source/``.

``assignments/<name>/`` holds what the grader needs to know of that assignment and of no other:

* ``exercises/``: one module per autograded exercise (an ``autograder.exercises.Exercise``), and ``inputs.py``, the
  grading inputs they share. The student's kernel reads these, so nothing in them may give an answer away;
* ``answer_key.json``: the answers that are values, not code (the kernel never reads it);
* ``__init__.py``: what a grading worker prepares once, before any kernel (``prepare``), the folders beyond
  the release that the student's kernel may read (``kernel_data``), and whether its answers run TensorFlow
  (``ANSWERS_USE_TENSORFLOW``: if so, its hidden checks record them with TF32 off; if not, they never import it).

The grading code in ``autograder/`` reads the rest from the assignment's notebook (``autograder/catalogue.py``).
"""
