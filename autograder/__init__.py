"""The course's grading code (see the README's "How grading works")."""


class InfrastructureError(RuntimeError):
    """The grading machinery failed (a worker killed, the disk full, an nbgrader command broken), not a student's
    notebook: nothing is recorded for what it stopped, and grading again is the remedy."""
