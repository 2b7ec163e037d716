"""What a hidden test cell of the notebook runs: ``hidden.check("gradcam", gradcam)``.

With the grading code in the course root (a TA running plain ``nbgrader autograde``), the exercise is
checked there and then, in the student's kernel. In ``python -m autograder.grade``'s sandboxed kernel only
this file is there: the exercise is checked outside the kernel, by a process that never runs student code
(``autograder/verify.py``), and that verdict is the score.
"""
import pathlib


def check(name, answer):
    if not pathlib.Path(__file__).with_name("checks.py").is_file():
        return
    from autograder import checks

    checks.check(name, answer)
