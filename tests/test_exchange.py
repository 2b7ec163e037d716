"""nbgrader's hand-out and hand-in flow on the course's own exchange, then the batch, as the README shows it.

The TA releases the assignment into the exchange that ``nbgrader_config.py`` names (a folder of the course:
no root, no /usr/local/share); a student fetches it, fills it in and submits it; the TA collects it into
submitted/ and grades it with the main command, importing the roster on the way.
"""
import csv

import nbformat
import pytest

import sample_class
from autograder import catalogue
from autograder.environment import run_nbgrader
from tests.conftest import grade

SEC02 = catalogue.get("sec02")  # the sample class's assignment
EXERCISES = SEC02.exercises

pytestmark = pytest.mark.slow


def nbgrader(folder, *args):
    result = run_nbgrader(*args, cwd=folder, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def test_release_fetch_submit_collect_grade(tmp_path):
    course = sample_class.new_course(tmp_path / "course")
    exchange = course / "exchange"  # nbgrader_config.py's default: no folder needs to exist beforehand
    nbgrader(course, "release_assignment", "sec02")
    assert (exchange / "cnn-ii" / "outbound" / "sec02" / "sec02.ipynb").is_file()

    # the student's side: their own folder, the course's exchange as on a shared server
    home = tmp_path / "ada"
    home.mkdir()
    student = ["--course", "cnn-ii", f"--Exchange.root={exchange}"]
    nbgrader(home, "fetch_assignment", "sec02", *student)
    fetched = home / "sec02" / "sec02.ipynb"
    assert fetched.is_file() and (home / "sec02" / "data").is_dir(), "the release ships its models"
    nbformat.write(sample_class.fill(sample_class.CLASS[0]), fetched)  # the reference solutions
    nbgrader(home, "submit", "sec02", "--student=ada", *student)

    nbgrader(course, "collect", "sec02")
    assert (course / "submitted" / "ada" / "sec02" / "sec02.ipynb").read_bytes() == fetched.read_bytes()

    roster = tmp_path / "roster.csv"
    sample_class.write_roster(roster, [sample_class.CLASS[0]])
    result = grade(course, "--submissions", str(course / "submitted"), "--roster", str(roster))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with (course / "grades.csv").open() as f:
        (row,) = list(csv.DictReader(f))
    assert row["student_id"] == "ada" and (row["first_name"], row["last_name"]) == ("Ada", "Okafor")
    assert float(sample_class.grades(course)["ada"]["autograded"]) == sum(EXERCISES.values())
