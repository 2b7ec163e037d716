"""The judge's verdict made the score in nbgrader's gradebook (``gradebook.reconcile``), on a gradebook made by
nbgrader itself, with scores set as nbgrader's autograde would have set them in the kernel."""
import pytest

import datetime

from autograder import catalogue, gradebook
from autograder.late import LateRule
from autograder.results import Kind, Note, Outcome, Verdict

SEC02 = catalogue.get("sec02")
# nbgrader's API warns as it builds a submission, harmlessly (see autograder/gradebook.py, which keeps it off the TA's
# console): here too.
pytestmark = pytest.mark.filterwarnings(r"ignore:Object of type <\w+> not in session, add operation along")


@pytest.fixture(scope="module")
def template():
    return gradebook.template_gradebook(SEC02)


def _course(tmp_path, template, **in_kernel):
    """A course whose gradebook holds fay's submission, each test cell scored by nbgrader as ``in_kernel`` says
    ({exercise: share of its points}; all of them for the others)."""
    from nbgrader.api import Gradebook

    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "gradebook.db").write_bytes(template)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.update_or_create_student("fay")
        submission = gb.update_or_create_submission(SEC02.name, "fay")
        for grade in submission.notebooks[0].grades:
            if grade.name.startswith("test_"):
                grade.auto_score = in_kernel.get(grade.name.removeprefix("test_"), 1) * grade.max_score
        gb.db.commit()
    return tmp_path


def _verdict(**outcomes):
    exercises = {name: Outcome(True, float(points), "") for name, points in SEC02.exercises.items()}
    exercises.update(outcomes)
    return Verdict(exercises)


def _reconcile(course, verdict, notes, rule=None):
    """``gradebook.reconcile`` of fay's submission, in a session of the course's gradebook of its own."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gradebook.reconcile(gb, SEC02, "fay", verdict, notes, rule)


def _score(course, name):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_grade(f"test_{name}", SEC02.name, SEC02.name, "fay").score


def test_a_partly_right_answer_scores_its_points_unflagged_whatever_its_visible_test_gave(tmp_path, template):
    partly = Outcome(False, 1.0, "partly right: ...", failed={"dilation": "..."})
    for in_kernel in (0, 1):  # its visible test failed, or passed
        course = _course(tmp_path / str(in_kernel), template, receptive_field=in_kernel)
        summary = _reconcile(course, _verdict(receptive_field=partly), [])
        assert summary.flags == [] and summary.exercises["receptive_field"].points == 1.0
        assert _score(course, "receptive_field") == 1.0 and _score(course, "gradcam") == 3.0


def test_a_right_answer_whose_test_cell_gave_less_is_flagged(tmp_path, template):
    course = _course(tmp_path, template, gradcam=0)
    summary = _reconcile(course, _verdict(), [])
    assert summary.flags == [Note(Kind.TEST_CELL, "nbgrader's test cell gave 0, the judge 3", "gradcam")]
    assert _score(course, "gradcam") == 3.0


def test_a_fault_of_the_grader_is_flagged_and_named(tmp_path, template):
    course = _course(tmp_path, template)
    fault = Outcome(False, 0.0, "not judged yet", fault="RuntimeError: ...")
    summary = _reconcile(course, _verdict(gradcam=fault), [])
    assert summary.faults == ["gradcam"]
    assert [(flag.kind, flag.exercise) for flag in summary.flags] == [(Kind.FAULT, "gradcam")]


def test_a_jobs_template_is_the_courses_assignment_without_its_students(tmp_path, template):
    """``gradebook.template``: what the course's generate_assignment recorded, copied; no student, no grade."""
    from nbgrader.api import Gradebook

    course = _course(tmp_path / "course", template)
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "gradebook.db").write_bytes(gradebook.template(course, SEC02))
    cells = {}
    for folder in (course, tmp_path / "job"):
        with Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gb:
            notebook = gb.find_notebook(SEC02.name, SEC02.name)
            cells[folder.name] = ([(c.name, c.max_score) for c in notebook.grade_cells],
                                  sorted((c.name, c.checksum) for c in notebook.source_cells),
                                  len(gb.students), len(gb.find_assignment(SEC02.name).submissions))
    assert cells["job"][:2] == cells["course"][:2] and len(cells["job"][0]) > len(SEC02.exercises)
    assert cells["course"][2:] == (1, 1) and cells["job"][2:] == (0, 0)


def test_late_rule_takes_a_point_an_hour_begun_up_to_its_cap_never_more_than_the_score():
    rule = LateRule(points_per_hour=1, max_points=5)
    hour = 3600
    assert [rule.late_submission_penalty("fay", 10, late) for late in (0, 1, hour, hour + 1, 10 * hour)] == [
        0, 1, 1, 2, 5]
    assert rule.late_submission_penalty("fay", 2.0, 3 * hour) == 2.0


def test_a_late_submission_loses_the_rules_points_from_the_judges_score(tmp_path, template):
    """nbgrader's autograde took its penalty off the score in the kernel; the batch takes it off the judge's."""
    from nbgrader.api import Gradebook

    course = _course(tmp_path, template)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.find_assignment(SEC02.name).duedate = datetime.datetime(2026, 12, 1, 9)
        gb.find_submission(SEC02.name, "fay").timestamp = datetime.datetime(2026, 12, 1, 11, 30)  # 2 h 30 min late
        gb.db.commit()
    verdict = _verdict(gradcam=Outcome(False, 0.0, "wrong"))  # the judge: 16 of 19
    summary = _reconcile(course, verdict, [], LateRule(points_per_hour=1, max_points=5))
    assert (summary.seconds_late, summary.late_penalty) == (2.5 * 3600, 3)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(SEC02.name, SEC02.name, "fay")
        assert notebook.late_submission_penalty == 3 and notebook.score == 16  # formgrader's columns
