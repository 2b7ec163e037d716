"""The warm-up's autograded exercises, one module each (an ``autograder.exercises.Exercise``), over their grading
inputs (``inputs.py``)."""
