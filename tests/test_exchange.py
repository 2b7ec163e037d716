"""nbgrader's hand-out and hand-in flow on the course's own exchange, then the batch, as the README shows it.

The TA releases the assignments into the exchange that ``nbgrader_config.py`` names (a folder of the course:
no root, no /usr/local/share); a student fetches them, fills one in and submits it; the TA collects it into
submitted/ and grades it with the main command, importing the roster on the way; the TA releases the feedback
(``nbgrader release_feedback``) and the student fetches it (``nbgrader fetch_feedback``); once the free answer is
graded and commented in the gradebook, the main command and a second release bring the student the update. The one
handed in is the warm-up, which grades in seconds: the flow is nbgrader's and the batch's, the same for every
assignment, and Section 2's notebooks are graded by tests/test_grading.py.
"""
import csv
import datetime

import nbformat
import pytest

import sample_class
from autograder import catalogue
from autograder.environment import run_nbgrader
from tests.conftest import grade

WARMUP = catalogue.get("conv_warmup")  # the assignment handed in here

pytestmark = pytest.mark.slow


def nbgrader(folder, *args):
    result = run_nbgrader(*args, cwd=folder, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def test_release_fetch_submit_collect_grade(tmp_path):
    course = sample_class.new_course(tmp_path / "course")
    # This course's due date for the warm-up is tomorrow: ada hands in on time (late work: tests/test_grading.py)
    tomorrow = f"{datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1):%Y-%m-%d %H:%M:%S} UTC"
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.LateRule.due = {{{WARMUP.name!r}: {tomorrow!r}}}\n")
    exchange = course / "exchange"  # nbgrader_config.py's default: no folder needs to exist beforehand
    for name in ("sec02", WARMUP.name):
        nbgrader(course, "release_assignment", name)
        assert (exchange / "cnn-ii" / "outbound" / name / f"{name}.ipynb").is_file()

    # the student's side: their own folder, the course's exchange as on a shared server
    home = tmp_path / "ada"
    home.mkdir()
    student = ["--course", "cnn-ii", f"--Exchange.root={exchange}"]
    for name in ("sec02", WARMUP.name):
        nbgrader(home, "fetch_assignment", name, *student)
    sec02 = home / "sec02"
    assert (sec02 / "sec02.ipynb").is_file() and (sec02 / "data").is_dir(), "the release ships its models"
    fetched = home / WARMUP.name / WARMUP.notebook
    ada = next(s for s in sample_class.WARMUP if s.id == "ada")
    nbformat.write(sample_class.fill(ada), fetched)  # the reference solutions
    nbgrader(home, "submit", WARMUP.name, "--student=ada", *student)

    nbgrader(course, "collect", WARMUP.name)
    assert (course / "submitted" / "ada" / WARMUP.name / WARMUP.notebook).read_bytes() == fetched.read_bytes()

    roster = tmp_path / "roster.csv"
    sample_class.write_roster(roster, [ada])
    result = grade(course, "--submissions", str(course / "submitted"), "--roster", str(roster))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with (course / "grades.csv").open() as f:
        (row,) = list(csv.DictReader(f))
    assert (row["student_id"], row["assignment"]) == ("ada", WARMUP.name)
    assert (row["first_name"], row["last_name"]) == ("Ada", "Okafor")
    full = sum(WARMUP.exercises.values())
    assert float(sample_class.grades(course, WARMUP.name)["ada"]["autograded"]) == full

    # the end of the grading day: the TA releases every student's feedback, the student fetches hers
    nbgrader(course, "release_feedback", WARMUP.name)
    page = _fetched_feedback(home, student)
    assert "Feedback for ada" in page and f"<b>{full:g} / {full}</b>" in page and "after the due date" not in page
    assert "to be graded by the course staff" in page

    # the free answer graded and commented in formgrader (here through nbgrader's API, as formgrader writes them);
    # the main command writes the pages again, a second release brings the update
    from nbgrader.api import Gradebook

    (question,) = WARMUP.questions
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        graded = gb.find_grade(question, WARMUP.name, WARMUP.name, "ada")
        graded.manual_score, graded.needs_manual_grade = 1, False  # as formgrader's grade API sets them
        gb.find_comment(question, WARMUP.name, WARMUP.name, "ada").manual_comment = "Right: 126 x 126 x 9 <b>."
        gb.db.commit()
    again = grade(course, "--submissions", str(course / "submitted"))
    assert again.returncode == 0 and "graded:" not in again.stdout, again.stdout[-3000:] + again.stderr[-3000:]
    nbgrader(course, "release_feedback", WARMUP.name)
    page = _fetched_feedback(home, student)
    assert "to be graded by the course staff" not in page and "1 / 1" in page
    assert "Right: 126 x 126 x 9 &lt;b&gt;." in page, "the TA's comment, as text"


def _fetched_feedback(home, student):
    """The feedback page ``nbgrader fetch_feedback`` brings the student (into <assignment>/feedback/<timestamp>/)."""
    nbgrader(home, "fetch_feedback", WARMUP.name, "--student=ada", *student)
    (page,) = (home / WARMUP.name / "feedback").glob(f"*/{WARMUP.notebook.removesuffix('.ipynb')}.html")
    return page.read_text()
