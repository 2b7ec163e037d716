"""The course's grading code (see the README's "How grading works")."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]  # this repository: the assignments' sources, the grading code


class InfrastructureError(RuntimeError):
    """The grading machinery failed (a worker killed, the disk full, an nbgrader command broken), not a student's
    notebook: nothing is recorded for what it stopped, and grading again is the remedy."""
