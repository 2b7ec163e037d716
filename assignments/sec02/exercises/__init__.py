"""Section 2's autograded exercises, one module each (an ``autograder.exercises.Exercise``), over their grading
inputs (``inputs.py``)."""
