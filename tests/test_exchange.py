"""nbgrader's hand-out and hand-in flow on the course's own exchange, then the batch, as the README shows it.

The TA releases the assignments into the exchange that ``nbgrader_config.py`` names (a folder of the course:
no root, no /usr/local/share); four students of the sample class's warm-up fetch it, fill it in as the sample
class does and submit it; the TA collects them into submitted/ and grades them with the main command, importing the
roster on the way; the TA releases the feedback (``nbgrader release_feedback``) and each student fetches their own
(``nbgrader fetch_feedback``). A student who hands in again is regraded and fetches the new page beside the old one;
once a free answer is graded and commented in the gradebook, the main command and a second release bring the student
the update. The warm-up grades in seconds: the flow is nbgrader's and the batch's, the same for every assignment,
and Section 2's notebooks are graded by tests/test_grading.py.
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
# Four of the warm-up's students, whose pages differ: the reference, another style, blank, typical mistakes. The flow
# is the same for any notebook; every other student of the sample class is graded by tests/test_grading.py.
STUDENTS = [s for s in sample_class.WARMUP if s.id in ("ada", "ben", "dan", "fay")]

pytestmark = pytest.mark.slow


def nbgrader(folder, *args):
    result = run_nbgrader(*args, cwd=folder, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def test_release_fetch_submit_collect_grade_and_every_student_fetches_their_feedback(tmp_path):
    course = sample_class.new_course(tmp_path / "course")
    # This course's due date for the warm-up is tomorrow: everyone hands in on time (late work: tests/test_grading.py)
    tomorrow = f"{datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1):%Y-%m-%d %H:%M:%S} UTC"
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.LateRule.due = {{{WARMUP.name!r}: {tomorrow!r}}}\n")
    exchange = course / "exchange"  # nbgrader_config.py's default: no folder needs to exist beforehand
    for name in ("sec02", WARMUP.name):
        nbgrader(course, "release_assignment", name)
        assert (exchange / "cnn-ii" / "outbound" / name / f"{name}.ipynb").is_file()
    student = ["--course", "cnn-ii", f"--Exchange.root={exchange}"]
    nbgrader(_home(tmp_path, "ada"), "fetch_assignment", "sec02", *student)
    sec02 = tmp_path / "ada" / "sec02"
    assert (sec02 / "sec02.ipynb").is_file() and (sec02 / "data").is_dir(), "the release ships its models"

    # each student of the sample class's warm-up, in their own folder, the course's exchange as on a shared server
    for who in STUDENTS:
        _hand_in(tmp_path, who, sample_class.fill(who), student)
    nbgrader(course, "collect", WARMUP.name)
    fetched = tmp_path / "ada" / WARMUP.name / WARMUP.notebook
    assert (course / "submitted" / "ada" / WARMUP.name / WARMUP.notebook).read_bytes() == fetched.read_bytes()

    roster = tmp_path / "roster.csv"
    sample_class.write_roster(roster, STUDENTS)
    result = grade(course, "--submissions", str(course / "submitted"), "--roster", str(roster))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with (course / "grades.csv").open() as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert (rows["ada"]["assignment"], rows["ada"]["first_name"], rows["ada"]["last_name"]) == (
        WARMUP.name, "Ada", "Okafor")
    graded = sample_class.grades(course, WARMUP.name)
    for who in STUDENTS:  # handed in now, before the due date: no one is late here
        assert sample_class.as_expected(graded[who.id], dict(who.expected(), late_penalty=0)), who.id

    # the end of the grading day: the TA releases every student's feedback, each student fetches their own
    nbgrader(course, "release_feedback", WARMUP.name)
    for who in STUDENTS:
        (page,) = _fetched_feedback(tmp_path, who.id, student)
        total = float(graded[who.id]["autograded"])
        assert f"Feedback for {who.id}" in page and f"<b>{total:g} / {sum(WARMUP.exercises.values())}</b>" in page
        assert ("to be graded by the course staff" in page or who.blank) and "after the due date" not in page

    # dan hands in again, the reference this time: regraded, his new submission's feedback is the new page, and his
    # first one's is still the page of what he first handed in
    ada, dan = (next(s for s in sample_class.WARMUP if s.id == name) for name in ("ada", "dan"))
    _hand_in(tmp_path, dan, sample_class.fill(ada), student)
    nbgrader(course, "collect", WARMUP.name, "--update")
    again = grade(course, "--submissions", str(course / "submitted"))
    assert [line for line in again.stdout.splitlines() if line.startswith("graded:")] == ["graded: dan"]
    nbgrader(course, "release_feedback", WARMUP.name)
    first, second = _fetched_feedback(tmp_path, "dan", student)  # by submission time
    full = sum(WARMUP.exercises.values())
    assert f"<b>0 / {full}</b>" in first and f"<b>{full:g} / {full}</b>" in second

    # ada's free answer graded and commented in formgrader (here through nbgrader's API, as formgrader writes them):
    # the main command writes the pages again, a second release brings her the update
    from nbgrader.api import Gradebook

    (question,) = WARMUP.questions
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        marked = gb.find_grade(question, WARMUP.name, WARMUP.name, ada.id)
        marked.manual_score, marked.needs_manual_grade = 1, False  # as formgrader's grade API sets them
        gb.find_comment(question, WARMUP.name, WARMUP.name, ada.id).manual_comment = "Right: 126 x 126 x 9 <b>."
        gb.db.commit()
    third = grade(course, "--submissions", str(course / "submitted"))
    assert third.returncode == 0 and "graded:" not in third.stdout, third.stdout[-3000:] + third.stderr[-3000:]
    nbgrader(course, "release_feedback", WARMUP.name)
    (page,) = _fetched_feedback(tmp_path, ada.id, student)
    assert "to be graded by the course staff" not in page and "1 / 1" in page
    assert "Right: 126 x 126 x 9 &lt;b&gt;." in page, "the TA's comment, as text"


def _home(tmp_path, student_id):
    """A student's folder, as on a JupyterHub each has their own, with nbgrader's cache of what they submitted."""
    home = tmp_path / student_id
    home.mkdir(exist_ok=True)
    return home


def _own(home, student):
    """nbgrader's options for the student at ``home``: the course, its exchange, and their own cache (on a
    JupyterHub, in their own home; here, where every student is the same user, in their folder)."""
    return [*student, f"--Exchange.cache={home / 'nbgrader_cache'}"]


def _hand_in(tmp_path, who, notebook, student):
    """``who`` fetches the warm-up (once), writes ``notebook`` over it and submits it, as nbgrader's submit does."""
    home = _home(tmp_path, who.id)
    if not (home / WARMUP.name).exists():
        nbgrader(home, "fetch_assignment", WARMUP.name, *_own(home, student))
    nbformat.write(notebook, home / WARMUP.name / WARMUP.notebook)
    nbgrader(home, "submit", WARMUP.name, f"--student={who.id}", *_own(home, student))


def _fetched_feedback(tmp_path, student_id, student):
    """The feedback pages ``nbgrader fetch_feedback`` brings the student (into <assignment>/feedback/<timestamp>/),
    one per submission, by submission time."""
    home = tmp_path / student_id
    nbgrader(home, "fetch_feedback", WARMUP.name, f"--student={student_id}", *_own(home, student))
    pages = sorted((home / WARMUP.name / "feedback").glob(f"*/{WARMUP.notebook.removesuffix('.ipynb')}.html"))
    return [page.read_text() for page in pages]
