"""Where things are in a course folder (nbgrader's course root): one home for every path the grader reads or writes
there, and for the URL of its gradebook.

    submitted/<student>/<assignment>/       what the student handed in (collect.py puts it there)
    autograded/<student>/<assignment>/      the graded notebook, as formgrader shows it, and verification/ beside it:
        verification/                       the judge's verdict, its map pictures and the student's summary.json
    feedback/<student>/<assignment>/        the student's feedback page, <notebook>.html, with the graded submission's
                                            timestamp.txt and submission_secret.txt: nbgrader's release_feedback
                                            releases it, the student's fetch_feedback finds it
    <assignment>_grades_by_exercise.csv     every graded student's points, exercise by exercise
    <assignment>_class_report.html          the class at a glance

Every function takes the course folder and an assignment (``catalogue.Assignment``).
"""
import os
import pathlib

# What nbgrader's submit writes beside a notebook handed in through the exchange: the key its feedback is found by
SECRET = "submission_secret.txt"


def submissions(course):
    """Every student's hand-ins, in nbgrader's layout."""
    return pathlib.Path(course) / "submitted"


def submitted(course, assignment, student):
    return submissions(course) / student / assignment.name


def autograded(course, assignment, student):
    return pathlib.Path(course) / "autograded" / student / assignment.name


def verification(course, assignment, student):
    """What the batch kept of its check of a student's submission: the summary, the verdict and the maps."""
    return autograded(course, assignment, student) / "verification"


def summary(course, assignment, student):
    """The student's summary: written last, the mark that their submission is graded."""
    return verification(course, assignment, student) / "summary.json"


def feedback(course, assignment, student):
    """The student's feedback page, where and as nbgrader's generate_feedback would write it."""
    page = pathlib.PurePath(assignment.notebook).with_suffix(".html").name
    return pathlib.Path(course) / "feedback" / student / assignment.name / page


def grades_by_exercise(course, assignment):
    """One file per assignment, since each has its own exercises."""
    return pathlib.Path(course) / f"{assignment.name}_grades_by_exercise.csv"


def class_report(course, assignment):
    """The class at a glance (class_report.py): one page per assignment."""
    return pathlib.Path(course) / f"{assignment.name}_class_report.html"


def gradebook_url(course, private=False):
    """The course's gradebook: ``NBGRADER_DB_URL`` when set (any SQLAlchemy URL nbgrader supports), else
    ``gradebook.db`` in the course, as ``nbgrader_config.py`` says. A grading job's private course (``private``)
    always has its own file."""
    own = f"sqlite:///{pathlib.Path(course) / 'gradebook.db'}"
    return own if private else os.environ.get("NBGRADER_DB_URL", own)
