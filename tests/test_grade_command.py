"""The TA's main command (autograder/grade.py), piece by piece, without grading a notebook: seconds."""
import csv
import json
import subprocess
import sys

from autograder import catalogue, reports
from autograder.environment import environment
from autograder.results import Kind, Note, Outcome, Summary
from tests.conftest import ROOT

SEC02 = catalogue.get("sec02")
ASSIGNMENT, EXERCISES = SEC02.name, SEC02.exercises


def _summary(course, student, points, flags=()):
    path = course / "autograded" / student / ASSIGNMENT / "verification" / "summary.json"
    path.parent.mkdir(parents=True)
    path.write_text(Summary(student, {name: Outcome(points > 0, points, "") for name in EXERCISES},
                            flags=list(flags)).to_json())


def test_a_run_on_some_students_keeps_the_others_rows(tmp_path):
    # ada was graded by an earlier run; this run (--students bob) graded bob only, whose summary it has just written
    _summary(tmp_path, "ada", 1.0, [Note(Kind.RESTORED, "its test cell was missing", "gradcam")])
    _summary(tmp_path, "bob", 0.0)
    reports.write_csv(tmp_path, SEC02)
    with (tmp_path / "sec02_grades_by_exercise.csv").open() as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert sorted(rows) == ["ada", "bob"]
    assert rows["ada"]["autograded"] == f"{len(EXERCISES):g}" and rows["ada"]["flagged"] == "yes"
    assert rows["bob"]["autograded"] == "0" and rows["bob"]["flagged"] == ""


def test_writing_a_submission_into_the_gradebook_puts_no_warning_on_the_console(tmp_path):
    # in a process of its own, as the TA's command: pytest would show and reset the warnings filters itself
    script = f"""
import autograder.gradebook
from nbgrader.api import Gradebook
with Gradebook("sqlite:///{tmp_path / 'gradebook.db'}") as gb:
    gb.add_assignment("{ASSIGNMENT}")
    gb.add_notebook("sec02", "{ASSIGNMENT}")
    gb.add_grade_cell("test_gradcam", "sec02", "{ASSIGNMENT}", max_score=3, cell_type="code")
    gb.add_solution_cell("gradcam", "sec02", "{ASSIGNMENT}")
    gb.add_student("ada")
    gb.update_or_create_submission("{ASSIGNMENT}", "ada")  # as gradebook.copy_scores does
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=environment())  # nbgrader's alembic
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""


def test_the_class_table_gives_every_exercise_its_own_short_heading():
    for name in catalogue.names():
        assignment = catalogue.get(name)
        headings = [reports.heading(exercise) for exercise in assignment.exercises]
        assert all(0 < len(h) <= 9 for h in headings) and len(set(headings)) == len(headings), headings
    assert reports.heading("receptive_field_answer") == "r_field?" and reports.heading("gradcam") == "gradcam"


def test_the_fullest_notebooks_are_graded_first_so_the_quick_ones_fill_the_end_of_the_batch():
    from autograder.grade import fullest_first
    from autograder.notebooks import reference_notebook

    blank, filled = SEC02.release_notebook.read_bytes(), reference_notebook(SEC02)
    nb, release = json.loads(filled), json.loads(blank)
    first = next(n for n, cell in enumerate(nb["cells"]) if cell["metadata"].get("nbgrader", {}).get("solution"))
    nb["cells"][first]["source"] = release["cells"][first]["source"]  # one answer left as the release's stub
    handed_in = {"dan": blank, "jo": b'{"cells": [{"cell_', "eve": json.dumps(nb).encode(), "ada": filled,
                 "abe": None, "kim": filled}  # jo's file is not a notebook; abe handed in no notebook at all
    jobs = [(name, {} if data is None else {SEC02.notebook: data}, b"") for name, data in handed_in.items()]
    assert [job[0] for job in fullest_first(jobs, SEC02)] == ["ada", "kim", "eve", "dan", "jo", "abe"]
