"""The gradebooks, through nbgrader's own API: the empty one every job starts from (copied from the course's), the
scores a job's private gradebook holds, and the course's, where the batch copies them and makes the judge's verdict
the score.

Every function takes the course folder and the assignment (a ``catalogue.Assignment``); where the course's gradebook
is, ``paths.gradebook_url`` says.
"""
import collections
import contextlib
import dataclasses
import datetime
import pathlib
import tempfile
import warnings

from autograder import ROOT, InfrastructureError, paths
from autograder.catalogue import test_cell
from autograder.environment import nbgrader_step
from autograder.exercises import marked
from autograder.results import Kind, NbgraderScores, Note, StaffMarks, Summary

# nbgrader's Gradebook.update_or_create_submission builds a submission's notebooks, grades and comments before it
# adds them to its session, and SQLAlchemy warns at each step ("SAWarning: Object of type <SubmittedNotebook> not
# in session, add operation along 'Notebook.submissions' will not proceed"); the whole submission is added and
# committed right after. Harmless, and nothing the TA can act on: kept off the TA's console.
warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session, add operation along",
                        module=r"nbgrader\.api")


# nbgrader's tables that describe an assignment (what generate_assignment records) and its course, parents first; the
# others hold the students and their grades.
ASSIGNMENT_TABLES = ("course", "assignment", "notebook", "base_cell", "source_cell", "grade_cells", "solution_cells",
                     "task_cells")


def template(course, assignment):
    """An empty gradebook that knows ``assignment`` as the course's gradebook does (after its generate_assignment),
    and no student: the gradebook each grading job starts from, as bytes.

    Its rows are copied from the course's gradebook, so nbgrader's generate_assignment runs once per batch."""
    return _copied(paths.gradebook_url(course), assignment)


def template_gradebook(assignment):
    """``template`` for a job graded outside a course (the tests, the benchmarks): the assignment registered by
    nbgrader's generate_assignment in a scratch course."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "source").symlink_to(ROOT / "source", target_is_directory=True)  # what the jobs grade against
        url = paths.gradebook_url(tmp, private=True)
        nbgrader_step(ROOT, "generate_assignment", assignment.name, "--force", f"--CourseDirectory.root={tmp}",
                      f"--CourseDirectory.db_url={url}")
        return _copied(url, assignment)


def _copied(url, assignment):
    """A new gradebook with the rows of the gradebook at ``url`` that describe ``assignment``, as bytes: nbgrader's
    tables, made as nbgrader makes them, at the version the course's gradebook is at."""
    import sqlalchemy
    from nbgrader.api import Base

    tables = {table.name: table for table in Base.metadata.sorted_tables}
    course = sqlalchemy.create_engine(url)
    with course.connect() as db:
        rows = _assignment_rows(db, tables, assignment.name)
        version = db.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar_one()
    course.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "gradebook.db"
        engine = sqlalchemy.create_engine(f"sqlite:///{path}")
        Base.metadata.create_all(engine)
        with engine.begin() as db:
            db.execute(sqlalchemy.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            db.execute(sqlalchemy.text("INSERT INTO alembic_version (version_num) VALUES (:version)"),
                       {"version": version})
            for name in ASSIGNMENT_TABLES:
                if rows[name]:
                    db.execute(tables[name].insert(), rows[name])
        engine.dispose()
        return path.read_bytes()


def _assignment_rows(db, tables, name):
    """{table: [row as a dict]} of the assignment ``name`` in the gradebook ``db``, in ``ASSIGNMENT_TABLES``."""
    def select(table, where):
        return [dict(row._mapping) for row in db.execute(tables[table].select().where(where))]

    rows = {"assignment": select("assignment", tables["assignment"].c.name == name)}
    if not rows["assignment"]:
        raise InfrastructureError(f"the course's gradebook does not know {name}: its generate_assignment failed?")
    rows["course"] = select("course", tables["course"].c.id == rows["assignment"][0]["course_id"])
    rows["notebook"] = select("notebook", tables["notebook"].c.assignment_id == rows["assignment"][0]["id"])
    notebooks = [row["id"] for row in rows["notebook"]]
    for table in ("base_cell", "source_cell"):
        rows[table] = select(table, tables[table].c.notebook_id.in_(notebooks))
    cells = [row["id"] for row in rows["base_cell"]]
    for table in ("grade_cells", "solution_cells", "task_cells"):
        rows[table] = select(table, tables[table].c.id.in_(cells))
    return rows


def record(course, assignment, student, scores, verdict, notes, rule=None):
    """One graded submission into the course's gradebook, in one session: nbgrader's ``scores`` (``copy_scores``),
    then the judge's ``verdict`` made the score (``reconcile``). Returns the student's ``Summary``."""
    from nbgrader.api import Gradebook

    with Gradebook(paths.gradebook_url(course)) as gb:
        copy_scores(gb, assignment, student, scores)
        return reconcile(gb, assignment, student, verdict, notes, rule)


def copy_scores(gb, assignment, student, scores):
    """What nbgrader wrote in the job's private gradebook (``NbgraderScores``), into the gradebook ``gb``."""
    from nbgrader.api import MissingEntry

    gb.update_or_create_student(student)
    if not scores.notebooks:  # nbgrader could not start on it: no stale scores may stay
        with contextlib.suppress(MissingEntry):
            gb.remove_submission(assignment.name, student)
        return
    when = {"timestamp": datetime.datetime.fromisoformat(scores.timestamp)} if scores.timestamp else {}
    submission = gb.update_or_create_submission(assignment.name, student, **when)
    for nb in submission.notebooks:
        for name, value in scores.notebooks[nb.name].items():
            setattr(nb, name, value)
        for grade in nb.grades:
            for name, value in scores.grades[f"{nb.name}/{grade.name}"].items():
                setattr(grade, name, value)
        for comment in nb.comments:
            comment.auto_comment = scores.comments[f"{nb.name}/{comment.name}"]
    gb.db.commit()


def set_due_date(course, assignment, rule):
    """The assignment's due date, as the course's late rule (``late.LateRule``) states it, into the gradebook; an
    assignment it does not name keeps the one it has (set in formgrader, or none)."""
    from nbgrader.api import Gradebook

    if assignment.name in rule.due:
        with Gradebook(paths.gradebook_url(course)) as gb:
            gb.update_or_create_assignment(assignment.name, duedate=rule.due[assignment.name])


def reconcile(gb, assignment, student, verdict, notes, rule=None):
    """Make the ``Verdict`` outside the kernel the score in the gradebook ``gb``, less the late penalty of the course's
    ``rule`` (``late.LateRule``); flag what a person should look at (the ``notes`` of the grading, and the verdict's
    own). Returns the student's ``Summary``.

    In the sandboxed kernel the hidden test cells only record the answers (``autograder/hidden.py``), so
    nbgrader's score is above the verdict whenever a hidden check catches a mistake: that is ordinary; so is one
    below a partly right answer's points, whose visible tests may fail. A test cell that gave less than a correct
    answer earns means a missing or altered test cell, or a notebook that broke its own tests: flagged.
    """
    from nbgrader.api import MissingEntry

    flags = [*notes, *(Note(Kind.SUSPICIOUS, f"notebook {item}") for item in verdict.suspicious), *verdict.tampered]
    exercises, notebook = {}, assignment.name  # nbgrader names a notebook by its file's stem
    grades = {}
    for name in assignment.exercises:
        try:
            grades[name] = gb.find_grade(test_cell(name), notebook, assignment.name, student)
        except MissingEntry:
            grades[name] = None
    for name, grade in grades.items():
        in_kernel = (grade.auto_score or 0.0) if grade else 0.0
        outcome = verdict.exercises[name]
        upstream = [other for other in getattr(assignment.exercise(name), "CALLS", ())
                    if not verdict.exercises[other].passed]
        if outcome.fault:
            flags.append(Note(Kind.FAULT, f"the grader failed on it ({outcome.fault}); the next run grades it "
                                          "again", name))
        elif outcome.points > in_kernel and upstream:  # its own test cell called the student's wrong helpers
            outcome = dataclasses.replace(outcome, message=(
                f"{outcome.message or 'correct'}; its visible test failed because of {' and '.join(upstream)}, "
                "which the grader replaced with correct versions to judge it"))
        elif outcome.passed and outcome.points > in_kernel:  # a right answer whose own test cell failed it
            flags.append(Note(Kind.TEST_CELL, f"nbgrader's test cell gave {in_kernel:g}, the judge "
                                              f"{outcome.points:g}", name))
        if grade is not None:  # set on every run: a regraded submission must not keep an old override
            grade.manual_score = outcome.points if outcome.points != in_kernel else None
        exercises[name] = outcome
    for grade in grades.values():  # formgrader lists a flagged submission's cells for a person's look
        if grade is not None:
            grade.needs_manual_grade = bool(flags)
    with contextlib.suppress(MissingEntry):
        gb.find_submission_notebook(notebook, assignment.name, student).flagged = bool(flags)
    for cell, text in comments(assignment, exercises, flags).items():
        with contextlib.suppress(MissingEntry):
            gb.find_comment(cell, notebook, assignment.name, student).auto_comment = text
    gb.db.commit()
    late, penalty = _late_penalty(gb, assignment, student, rule)
    return Summary(student, exercises, flags, pictures=verdict.pictures, seconds_late=late, late_penalty=penalty)


def _late_penalty(gb, assignment, student, rule):
    """(seconds late, points off) of the submission, its penalty set on its notebook, from the scores now in the
    gradebook (the judge's): nbgrader's autograde set it from the scores in the kernel."""
    from nbgrader.api import MissingEntry

    try:
        submission = gb.find_submission(assignment.name, student)
        notebook = gb.find_submission_notebook(assignment.name, assignment.name, student)
    except MissingEntry:
        return 0.0, 0.0
    late = submission.total_seconds_late
    penalty = rule.late_submission_penalty(student, notebook.score, late) if rule and late > 0 else 0.0
    notebook.late_submission_penalty = penalty or None
    gb.db.commit()
    return late, penalty


def comments(assignment, exercises, flags):
    """{solution cell: text} for formgrader's grading page, which shows it in the cell's comment box until the TA
    writes their own: each exercise's points (``Outcome``), what the judge said, and its reasons for review
    (``Note``), on one line."""
    texts = {}
    # A reason that belongs to no exercise (a cell of the student's own stopped for time, a suspicious import)
    # goes with the first exercise, so that the first comment box lists every reason for review.
    first = next(iter(exercises))
    for name, outcome in exercises.items():
        full = assignment.exercises[name]
        line = f"Autograder, {name}: {outcome.points:g}/{full:g} points. {outcome.message}".strip()
        if outcome.failed is not None:
            line += " Rubric: " + "; ".join(f"{check.asks}, {earned:g}/{check.points:g}" for check, earned, _ in
                                          marked(assignment.rubric(name), outcome.failed)) + "."
        mine = [flag for flag in flags if flag.exercise == name or (flag.exercise is None and name == first)]
        line = " ".join([line, *(f"Review: {flag}" for flag in mine)])
        texts.setdefault(assignment.solution_cell[name], []).append(line)
    return {cell: " ".join(lines) for cell, lines in texts.items()}


ALIKE = " Alike: "  # where the note on submissions too alike starts in the first comment box


def note_alike(course, assignment, students, pairs):
    """On formgrader's page of each of ``students``, in the first comment box: the submissions too alike to theirs
    (``similarity.Alike``), or nothing; set anew on every run. It flags nothing and changes no score."""
    from nbgrader.api import Gradebook, MissingEntry

    said = collections.defaultdict(list)
    for pair in pairs:
        for me, other, share in zip(pair.students, reversed(pair.students), pair.shares):
            said[me].append(f"{share:.0%} in {other}'s")
    first = assignment.solution_cell[next(iter(assignment.exercises))]
    with Gradebook(paths.gradebook_url(course)) as gb:
        for student in students:
            with contextlib.suppress(MissingEntry):
                comment = gb.find_comment(first, assignment.name, assignment.name, student)
                kept = (comment.auto_comment or "").split(ALIKE)[0]
                alike = f"{ALIKE}this notebook's own code is found {', '.join(said[student])} (see the class report)."
                comment.auto_comment = kept + (alike if said[student] else "")
        gb.db.commit()


def staff_marks(course, assignment, students):
    """{student: ``StaffMarks``}: each of ``students``' free-response answers' scores (None: not graded yet) and the
    staff's comments."""
    from nbgrader.api import Gradebook, MissingEntry

    marks = {student: StaffMarks() for student in students}
    with Gradebook(paths.gradebook_url(course)) as gb:
        for student, theirs in marks.items():
            for name in assignment.questions:
                try:
                    grade = gb.find_grade(name, assignment.name, assignment.name, student)
                    theirs.scores[name] = grade.score if not grade.needs_manual_grade else None
                except MissingEntry:
                    theirs.scores[name] = None
            with contextlib.suppress(MissingEntry):
                for comment in gb.find_submission_notebook(assignment.name, assignment.name, student).comments:
                    if comment.manual_comment:
                        theirs.comments[comment.name] = comment.manual_comment
    return marks


def scores(course, assignment, student):
    """What nbgrader wrote in the private gradebook (``NbgraderScores``)."""
    from nbgrader.api import Gradebook, MissingEntry

    result = NbgraderScores()
    with Gradebook(paths.gradebook_url(course, private=True)) as gb:
        try:
            submission = gb.find_submission(assignment.name, student)
        except MissingEntry:  # nbgrader could not even start on it
            return result
        result.timestamp = submission.timestamp.isoformat() if submission.timestamp else None
        for nb in submission.notebooks:
            result.notebooks[nb.name] = {"flagged": nb.flagged, "late_submission_penalty": nb.late_submission_penalty}
            for grade in nb.grades:
                result.grades[f"{nb.name}/{grade.name}"] = {
                    "auto_score": grade.auto_score, "needs_manual_grade": grade.needs_manual_grade,
                    "extra_credit": grade.extra_credit}
            for comment in nb.comments:
                result.comments[f"{nb.name}/{comment.name}"] = comment.auto_comment
    return result
