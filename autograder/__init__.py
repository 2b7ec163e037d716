"""The course's grading code (see the README's "How grading works")."""
import pathlib
import sys

# jsonschema's optional IRI format checker, which nbformat would load: importing ``rfc3987_syntax`` builds its grammar,
# 1.6 s of every grader process that reads a notebook (the batch, each submission's job) on 2 cores, for a format that
# no notebook schema uses. Blocked, as for nbgrader's own processes (``environment.NBGRADER``); jsonschema then
# registers the other formats and goes on.
sys.modules.setdefault("rfc3987_syntax", None)

ROOT = pathlib.Path(__file__).resolve().parents[1]  # this repository: the assignments' sources, the grading code


class InfrastructureError(RuntimeError):
    """The grading machinery failed (a worker killed, the disk full, an nbgrader command broken), not a student's
    notebook: nothing is recorded for what it stopped, and grading again is the remedy."""
