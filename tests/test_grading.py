"""End to end: the main command grades the whole sample class, and every grade is the expected one.

One run of ``python -m autograder.grade`` over the sample class (real nbgrader, real kernels, the real
gradebook) in a scratch course, then: every student's points, exercise by exercise, equal the points
written beside their submission; the flagged submissions are exactly the expected ones; the gradebook
holds the same scores, the students' names, the flags and their reasons where formgrader shows them; the feedback shows no hidden test; a second run changes nothing, and a new
submission from one student, delivered as a zip, regrades that student only. On the way to the graded class, a
first batch of four warm-up students is interrupted (tests/test_batch.py checks what it left). This is the slow test
of the suite (about 15 minutes on 2 cores, two students at a time).
"""
import collections
import csv
import json
import re
import zipfile

import nbformat
import pytest

import sample_class
from autograder import catalogue, paths, reports
from autograder.environment import run_nbgrader
from autograder.results import Kind, Summary
from tests.conftest import ROOT, grade
from tests.test_class_report import _table

SEC02 = catalogue.get("sec02")  # the sample class's assignment
EXERCISES = SEC02.exercises
SOLUTION_CELL = SEC02.solution_cell

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("student", [s.id for s in sample_class.CLASS])
def test_grade_is_the_expected_one(graded_course, student):
    course = graded_course
    row, expected = sample_class.grades(course)[student], sample_class.expected(course, student)
    got = {name: float(row[name]) for name in EXERCISES}
    assert sample_class.as_expected(row, expected), f"{expected['about']}: {got}, flagged: {row['flagged']!r}"


@pytest.mark.parametrize("student", [s.id for s in sample_class.WARMUP])
def test_the_second_assignment_is_graded_by_the_same_command(graded_course, student):
    course = graded_course
    row = sample_class.grades(course, "conv_warmup")[student]
    expected = sample_class.expected(course, student, "conv_warmup")
    assert sample_class.as_expected(row, expected), f"{expected['about']}: {row}"
    page = (course / "feedback" / student / "conv_warmup" / "conv_warmup.html").read_text()
    assert "Warm-up: convolution and pooling by hand" in page and "Your maps" not in page


def test_late_work_loses_the_rules_points_in_every_place_it_shows(graded_course):
    """zed handed in the warm-up 2 h 15 min after its due date (nbgrader_config.py), cleo a minute before: the
    rule's 3 points off, in the class's CSV (checked with every student's expected grade, above), nbgrader's
    grades.csv and the LMS's files (its score), the class table and zed's feedback; nothing for cleo."""
    course = graded_course
    with (course / "grades.csv").open() as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == "conv_warmup"}
    assert (float(rows["zed"]["late_submission_penalty"]), float(rows["zed"]["score"])) == (3, 1)
    assert (float(rows["cleo"]["late_submission_penalty"]), float(rows["cleo"]["score"])) == (0, 4)
    assert "late zed: 2 h 15 min after the due date, -3" in (course / "class_run.txt").read_text()
    page = (course / "feedback" / "zed" / "conv_warmup" / "conv_warmup.html").read_text()
    assert "Handed in 2 h 15 min after the due date: 3 points off (1 point off for each hour begun" in page
    assert "after the due date" not in (course / "feedback" / "cleo" / "conv_warmup" / "conv_warmup.html").read_text()


@pytest.mark.parametrize("name", ["sec02", "conv_warmup"])
def test_the_class_report_counts_what_the_gradebook_holds(graded_course, name):
    """The report as the main command's end writes it, from the gradebook as it is now (the TA may have graded free
    answers in formgrader since the class was graded: tests/test_browser.py does)."""
    from nbgrader.api import Gradebook

    from autograder.grade import report_on_class

    assignment = catalogue.get(name)
    report_on_class(graded_course, assignment)
    page = paths.class_report(graded_course, assignment).read_text()
    scores = {row[0]: row[1:] for row in _table(page, "Scores")}
    review = page[page.index(">Reasons for review<"):page.index(">Submissions too alike<")]
    flagged, full, zero, questions = set(), collections.Counter(), collections.Counter(), collections.defaultdict(list)
    with Gradebook(f"sqlite:///{graded_course / 'gradebook.db'}") as gb:
        for submission in gb.find_assignment(name).submissions:
            notebook = submission.notebooks[0]
            flagged |= {submission.student.id} if notebook.flagged else set()
            for cell in notebook.grades:
                exercise = cell.name.removeprefix("test_")
                if cell.name.startswith("test_") and exercise in assignment.exercises:
                    full[exercise] += cell.score == cell.max_score
                    zero[exercise] += cell.score == 0
                elif cell.name in assignment.questions:
                    questions[cell.name].append(cell.needs_manual_grade)
            page_link = f'<a href="/formgrader/submissions/{notebook.id}/">'
            assert (page_link in review) == notebook.flagged, submission.student.id  # linked where it is to review
    for exercise in assignment.exercises:
        assert scores[f"<code>{exercise}</code>"][2:] == [str(full[exercise]), str(zero[exercise])], exercise
    assert [row[1:] for row in _table(page, "Free answers")] == [  # graded, to grade
        [str(questions[q].count(False)), str(questions[q].count(True))] for q in assignment.questions]
    assert flagged == {s for s, row in sample_class.grades(graded_course, name).items() if row["flagged"] == "yes"}


def test_submissions_too_alike_are_shown_to_a_person_and_change_no_grade(graded_course):
    """nat and pia copied from ben (sample_class, disguised): the class report pairs them, formgrader's first comment
    box says so on each of their pages; their grades (above) and flags are those of their answers alone."""
    from nbgrader.api import Gradebook

    page = paths.class_report(graded_course, SEC02).read_text()
    section = page[page.index(">Submissions too alike<"):page.index(">Free answers<")]
    pairs = re.findall(r'<tr><td><a [^>]*>([^<]+)</a>: \d+%</td><td><a [^>]*>([^<]+)</a>: \d+%</td></tr>', section)
    assert sorted(pairs) == [("ben", "nat"), ("ben", "pia"), ("nat", "pia")]
    with Gradebook(f"sqlite:///{graded_course / 'gradebook.db'}") as gb:
        first = {s: gb.find_comment(SOLUTION_CELL["conv_output_size"], "sec02", "sec02", s).comment
                 for s in ("nat", "pia", "ben", "ada")}
    assert "Alike: this notebook's own code is found" in first["nat"] and "in ben's" in first["nat"]
    assert "in pia's" in first["nat"] and "in ben's" in first["pia"] and "in nat's" in first["ben"]
    assert "Alike" not in first["ada"]


def test_gradebook_holds_the_same_scores(graded_course):
    from nbgrader.api import Gradebook

    course = graded_course
    rows = sample_class.grades(course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, row in rows.items():
            submission = gb.find_submission("sec02", student)
            scores = {g.name: g.score for g in submission.notebooks[0].grades if g.name.startswith("test_")}
            assert {name: float(row[name]) for name in EXERCISES} == {
                name: scores[f"test_{name}"] for name in EXERCISES}, student
    with (course / "grades.csv").open() as f:  # nbgrader's export: every student of the roster, handed in or not
        exported = {reports.as_given(r["student_id"]): r for r in csv.DictReader(f) if r["assignment"] == "sec02"}
    assert {student: f"{r['first_name']} {r['last_name']}" for student, r in exported.items()} == sample_class.NAMES
    assert [float(exported[s]["raw_score"]) for s in sample_class.NAMES if s not in rows] == [0.0] * (
        len(sample_class.NAMES) - len(rows)), "a student of the roster who handed in nothing scores 0"


@pytest.mark.parametrize("lms", ["Canvas", "Moodle"])
def test_the_lms_file_holds_each_students_score_as_the_gradebook_does(graded_course, tmp_path, lms):
    """``nbgrader export --exporter autograder.export.CanvasExport`` (or ``MoodleExport``), read back as that LMS
    documents its import file: every student of the roster, named by their LMS id, with each assignment's score."""
    from nbgrader.api import Gradebook, MissingEntry

    course, path = graded_course, tmp_path / f"{lms}.csv"
    done = run_nbgrader("export", f"--exporter=autograder.export.{lms}Export", "--to", str(path), cwd=course,
                        timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sec02: free answers not graded yet, counted as 0 until they are: ada (" in done.stderr
    assert "; ben (answer_fmaps, answer_rotation" in done.stderr
    assert "no LMS id" not in done.stderr, "everyone is on the roster"
    want, possible = {}, {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for assignment in gb.assignments:
            possible[assignment.name] = assignment.max_score
            for student in gb.students:
                try:
                    submission = gb.find_submission(assignment.name, student.id)
                    score = submission.score - (submission.late_submission_penalty or 0)  # zed's is late
                except MissingEntry:
                    score = 0.0  # the stated rule: no submission, 0
                want[student.lms_user_id, assignment.name] = score
    with path.open(newline="") as f:
        rows = [[reports.as_given(value) for value in row] for row in csv.reader(f)]
    header = rows.pop(0)
    if lms == "Canvas":  # identity columns, then assignments; a "Points Possible" row under the header
        assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        points = rows.pop(0)
        assert points[0] == "Points Possible" and dict(zip(header[5:], map(float, points[5:]))) == possible
        identity, first = header.index("SIS User ID"), 5
    else:  # an identity column mapped to the users' ID number, their e-mail, then one column per grade item
        assert header[:2] == ["ID number", "Email address"]
        identity, first = 0, 2
    got = {(row[identity], name): float(value) for row in rows for name, value in zip(header[first:], row[first:])}
    assert got == want and len(rows) == len(sample_class.NAMES)


@pytest.mark.parametrize("name", ["sec02", "conv_warmup"])
def test_formgrader_sees_flags_reasons_and_every_page(graded_course, name):
    """What the TA sees in formgrader comes from the gradebook and the autograded notebooks."""
    from nbgrader.api import Gradebook

    course, assignment = graded_course, catalogue.get(name)
    pictures = [p.relative_to(assignment.release) for p in assignment.release.rglob("*.png")]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in sample_class.grades(course, name):
            notebook = gb.find_submission(name, student).notebooks[0]
            expected = sample_class.expected(course, student, name)
            assert notebook.flagged == expected["flagged"], student
            comments = {c.name: c.comment or "" for c in notebook.comments}
            for exercise, points in expected["points"].items():
                assert (f"Autograder, {exercise}: {points:g}/{assignment.exercises[exercise]:g} points."
                        in comments[assignment.solution_cell[exercise]]), student
            folder = paths.autograded(course, assignment, student)
            assert all((folder / picture).is_file() for picture in pictures), student  # the pictures its cells show
            top = nbformat.read(folder / assignment.notebook, as_version=4).cells[0].source
            assert top.startswith("**Flagged for review by the grader.**") == expected["flagged"], student


def test_a_deleted_test_cell_is_put_back_and_a_file_that_is_no_notebook_gets_a_page(graded_course):
    from nbgrader.api import Gradebook

    course, warmup = graded_course, catalogue.get("conv_warmup")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        kai = {c.name: c.comment for c in gb.find_submission(warmup.name, "kai").notebooks[0].comments}
    assert "conv2d: its test cell was missing" in kai[warmup.solution_cell["conv2d"]]
    # kai's deleted test cell is back, as a grade cell nbgrader scored: the TA sees and can change its points
    graded = nbformat.read(paths.autograded(course, warmup, "kai") / warmup.notebook, as_version=4)
    assert [c.metadata.nbgrader["grade_id"] for c in graded.cells if c.metadata.get("nbgrader", {}).get(
        "grade_id") == "test_conv2d"] == ["test_conv2d"]
    # jo's file is not a notebook: formgrader shows a stand-in that says so
    stand_in = nbformat.read(paths.autograded(course, warmup, "jo") / warmup.notebook, as_version=4)
    assert "could not be read as a notebook" in stand_in.cells[1].source  # under the reasons for review


def _summary(course, student, name="sec02"):
    return Summary.load(paths.summary(course, catalogue.get(name), student))


def test_a_mistake_costs_its_own_points_and_a_dead_kernel_still_has_a_page(graded_course):
    course = graded_course
    # tia's only mistake is upstream: saliency_graphs is judged with correct helpers, and needs no one's look
    assert "because of prepare_image" in _summary(course, "tia").exercises["saliency_graphs"].message
    # vic's kernel died twice: graded from his records, flagged, his page in formgrader is his cells, unexecuted
    assert Kind.KERNEL_DIED in [flag.kind for flag in _summary(course, "vic").flags]
    page = nbformat.read(course / "autograded" / "vic" / "sec02" / "sec02.ipynb", as_version=4)
    assert "The kernel died while this notebook ran" in page.cells[1].source  # under the reasons for review
    assert any("sleepers" in cell.source for cell in page.cells), "his own cells"
    assert not [cell for cell in page.cells if cell.cell_type == "code" and cell.outputs]
    # kim's kernel was killed once from outside (tests/conftest.py): the second try graded her, nothing to review
    assert _summary(course, "kim", "conv_warmup").flags == []


def test_answers_are_recorded_in_full_float32_in_the_graded_kernel(graded_course):
    for student in ("ada", "ben"):
        verdict = json.loads((graded_course / "autograded" / student / "sec02" / "verification" / "verdict.json").read_text())
        assert sorted(verdict["float32"]) == sorted(EXERCISES), student


def test_each_cheat_and_hunt_is_flagged_for_what_it_did(graded_course):
    flags = {student: [str(flag) for flag in _summary(graded_course, student, "conv_warmup").flags]
             for student in ("sam", "fin", "xia")}
    assert "notebook imports from autograder" in flags["sam"]
    assert "notebook names the folder of the grader's records" in flags["fin"]
    assert "notebook looks through the folders above it (.parents)" in flags["xia"]
    assert "notebook runs code it builds or reads (exec)" in flags["xia"]


def test_feedback_shows_maps_and_no_hidden_test(graded_course):
    course = graded_course
    grading_code = [*(ROOT / "autograder" / "exercises").glob("*.py"), *(ROOT / "assignments").rglob("*.py"),
                    *(ROOT / "solutions").glob("*.py")]
    hidden = [line.strip() for path in grading_code for line in path.read_text().splitlines() if len(line.strip()) > 30]
    for name in ("sec02", "conv_warmup"):
        for student in sample_class.grades(course, name):
            page = paths.feedback(course, catalogue.get(name), student).read_text()
            assert "BEGIN HIDDEN TESTS" not in page and "hidden.check" not in page and "solutions" not in page
            assert not [line for line in hidden if line in page], f"{student}'s feedback quotes the grading code"
    fay = (course / "feedback" / "fay" / "sec02" / "sec02.html").read_text()
    assert "data:image/png;base64," in fay and "values outside [0, 1]" not in fay
    # her transposed maps fail the judge and her visible test: the page says what each said
    assert "get_feature_maps" in fay and "expected (63, 63, 16), got (16, 63, 63)" in fay


def test_rerun_is_idempotent_and_a_new_submission_regrades_one_student(graded_course, tmp_path):
    course = graded_course
    before = {name: (course / f"{name}_grades_by_exercise.csv").read_text() for name in ("sec02", "conv_warmup")}
    again = grade(course)  # the main command again: the sample class is written anew, byte for byte the same
    assert again.returncode == 0, again.stderr[-3000:]
    assert "graded:" not in again.stdout, "an unchanged class must not be regraded"
    assert (course / "sec02_grades_by_exercise.csv").read_text() == before["sec02"]
    assert "Warning" not in again.stdout + again.stderr, "the TA's console shows no library warnings"

    # dan, who handed in a blank warm-up, hands in its reference solutions, through a zip (the warm-up grades in
    # seconds; delivery and regrading are the same for every assignment)
    fixed = sample_class.fill(next(s for s in sample_class.WARMUP if s.id == "ada"))
    archive = tmp_path / "resubmission.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("dan_conv_warmup.ipynb", nbformat.writes(fixed))
    third = grade(course, "--zip", str(archive), "--assignment", "conv_warmup")
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
    assert [line for line in third.stdout.splitlines() if line.startswith("graded:")] == ["graded: dan"]
    rows = sample_class.grades(course, "conv_warmup")
    assert float(rows["dan"]["autograded"]) == sum(catalogue.get("conv_warmup").exercises.values())
    assert {s: r for s, r in rows.items() if s != "dan"} == {
        s: r for s, r in _rows_from_text(before["conv_warmup"]).items() if s != "dan"}
    assert (course / "sec02_grades_by_exercise.csv").read_text() == before["sec02"], "the other assignment untouched"


def _rows_from_text(text):
    return {reports.as_given(row["student"]): row for row in csv.DictReader(text.splitlines())}
