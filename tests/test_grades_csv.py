"""grades_by_exercise.csv lists every student graded so far, whichever students the last run graded."""
import csv
import json

from autograder import grade
from autograder.catalogue import ASSIGNMENT, EXERCISES


def _summary(course, student, points, flags=()):
    path = course / "autograded" / student / ASSIGNMENT / "verification" / "summary.json"
    path.parent.mkdir(parents=True)
    exercises = {name: {"points": points, "message": ""} for name in EXERCISES}
    path.write_text(json.dumps({"student": student, "exercises": exercises, "flags": list(flags)}))


def test_a_run_on_some_students_keeps_the_others_rows(tmp_path):
    # ada was graded by an earlier run; this run (--students bob) graded bob only, whose summary it has just written
    _summary(tmp_path, "ada", 1.0, ["gradcam: its test cell was missing"])
    _summary(tmp_path, "bob", 0.0)
    grade.write_csv(tmp_path)
    with (tmp_path / "grades_by_exercise.csv").open() as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert sorted(rows) == ["ada", "bob"]
    assert rows["ada"]["autograded"] == f"{len(EXERCISES):g}" and rows["ada"]["flagged"] == "yes"
    assert rows["bob"]["autograded"] == "0" and rows["bob"]["flagged"] == ""
