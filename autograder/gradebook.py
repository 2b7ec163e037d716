"""The gradebooks, through nbgrader's own API: the empty one every job starts from, the scores a job's private
gradebook holds, and the course's, where the batch copies them and makes the judge's verdict the score.

Every function takes the course folder and the assignment (a ``catalogue.Assignment``); where the course's gradebook
is, ``paths.gradebook_url`` says.
"""
import contextlib
import datetime
import pathlib
import tempfile
import warnings

from autograder import ROOT, paths
from autograder.catalogue import test_cell
from autograder.environment import nbgrader_step
from autograder.exercises import marked

# nbgrader's Gradebook.update_or_create_submission builds a submission's notebooks, grades and comments before it
# adds them to its session, and SQLAlchemy warns at each step ("SAWarning: Object of type <SubmittedNotebook> not
# in session, add operation along 'Notebook.submissions' will not proceed"); the whole submission is added and
# committed right after. Harmless, and nothing the TA can act on: kept off the TA's console.
warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session, add operation along",
                        module=r"nbgrader\.api")


def template_gradebook(assignment):
    """An empty gradebook that knows ``assignment`` (nbgrader's own generate_assignment), as bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "source").symlink_to(ROOT / "source", target_is_directory=True)  # what the jobs grade against
        nbgrader_step(ROOT, "generate_assignment", assignment.name, "--force", f"--CourseDirectory.root={tmp}",
                      f"--CourseDirectory.db_url=sqlite:///{tmp / 'gradebook.db'}")
        return (tmp / "gradebook.db").read_bytes()


def copy_scores(course, assignment, result):
    """What nbgrader wrote in the job's private gradebook, into the course's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    student = result["student"]
    with Gradebook(paths.gradebook_url(course)) as gb:
        gb.update_or_create_student(student)
        if not result["notebooks"]:  # nbgrader could not start on it: no stale scores may stay
            with contextlib.suppress(MissingEntry):
                gb.remove_submission(assignment.name, student)
            return
        when = {"timestamp": datetime.datetime.fromisoformat(result["timestamp"])} if result["timestamp"] else {}
        submission = gb.update_or_create_submission(assignment.name, student, **when)
        for nb in submission.notebooks:
            for name, value in result["notebooks"][nb.name].items():
                setattr(nb, name, value)
            for grade in nb.grades:
                for name, value in result["grades"][f"{nb.name}/{grade.name}"].items():
                    setattr(grade, name, value)
            for comment in nb.comments:
                comment.auto_comment = result["comments"][f"{nb.name}/{comment.name}"]
        gb.db.commit()


def reconcile(course, assignment, student, verdict, notes):
    """Make the verdict outside the kernel the score in the gradebook; flag what a person should look at.

    In the sandboxed kernel the hidden test cells only record the answers (``autograder/hidden.py``), so
    nbgrader's score is above the verdict whenever a hidden check catches a mistake: that is ordinary; so is one
    below a partly right answer's points, whose visible tests may fail. A test cell that gave less than a correct
    answer earns means a missing or altered test cell, or a notebook that broke its own tests: flagged.
    """
    from nbgrader.api import Gradebook, MissingEntry

    flags = list(notes) + [f"notebook {item}" for item in verdict["suspicious"]] + verdict["tampered"]
    exercises, notebook = {}, assignment.name  # nbgrader names a notebook by its file's stem
    with Gradebook(paths.gradebook_url(course)) as gb:
        grades = {}
        for name in assignment.exercises:
            try:
                grades[name] = gb.find_grade(test_cell(name), notebook, assignment.name, student)
            except MissingEntry:
                grades[name] = None
        for name, grade in grades.items():
            in_kernel = (grade.auto_score or 0.0) if grade else 0.0
            outcome = verdict["exercises"][name]
            points = outcome["points"]
            message = outcome["message"]
            upstream = [other for other in getattr(assignment.exercise(name), "CALLS", ())
                        if not verdict["exercises"][other]["passed"]]
            if "fault" in outcome:
                flags.append(f"{name}: the grader failed on it ({outcome['fault']}); the next run grades it again")
            elif points > in_kernel and upstream:  # its own test cell called the student's wrong helpers
                message = (f"{message or 'correct'}; its visible test failed because of {' and '.join(upstream)}, "
                           "which the grader replaced with correct versions to judge it")
            elif outcome["passed"] and points > in_kernel:  # a right answer whose own test cell failed it
                flags.append(f"{name}: nbgrader's test cell gave {in_kernel:g}, the judge {points:g}")
            if grade is not None:  # set on every run: a regraded submission must not keep an old override
                grade.manual_score = points if points != in_kernel else None
            exercises[name] = {"points": points, "message": message, **({"failed": outcome["failed"]}
                                                                         if "failed" in outcome else {})}
        for grade in grades.values():  # formgrader lists a flagged submission's cells for a person's look
            if grade is not None:
                grade.needs_manual_grade = bool(flags)
        with contextlib.suppress(MissingEntry):
            gb.find_submission_notebook(notebook, assignment.name, student).flagged = bool(flags)
        for cell, text in comments(assignment, exercises, flags).items():
            with contextlib.suppress(MissingEntry):
                gb.find_comment(cell, notebook, assignment.name, student).auto_comment = text
        gb.db.commit()
    faults = [name for name, outcome in verdict["exercises"].items() if "fault" in outcome]
    return {"student": student, "exercises": exercises, "flags": flags, "pictures": verdict.get("pictures", {}),
            **({"faults": faults} if faults else {})}


def comments(assignment, exercises, flags):
    """{solution cell: text} for formgrader's grading page, which shows it in the cell's comment box until the TA
    writes their own: each exercise's points, what the judge said, and its reasons for review, on one line."""
    texts = {}
    # A reason that belongs to no exercise (a cell of the student's own stopped for time, a suspicious import)
    # goes with the first exercise, so that the first comment box lists every reason for review.
    general = [flag for flag in flags if not flag.startswith(tuple(f"{name}:" for name in exercises))]
    for number, (name, outcome) in enumerate(exercises.items()):
        full = assignment.exercises[name]
        line = f"Autograder, {name}: {outcome['points']:g}/{full:g} points. {outcome['message']}".strip()
        if "failed" in outcome:
            line += " Rubric: " + "; ".join(f"{check.asks}, {earned:g}/{check.points:g}" for check, earned, _ in
                                          marked(assignment.rubric(name), outcome["failed"])) + "."
        mine = [flag for flag in flags if flag.startswith(f"{name}:")] + (general if number == 0 else [])
        line = " ".join([line, *(f"Review: {flag}" for flag in mine)])
        texts.setdefault(assignment.solution_cell[name], []).append(line)
    return {cell: " ".join(lines) for cell, lines in texts.items()}


def manual_scores(course, assignment, student):
    """{question: score or None} of the free-response answers (None: not graded yet)."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(paths.gradebook_url(course)) as gb:
        for name in assignment.questions:
            try:
                grade = gb.find_grade(name, assignment.name, assignment.name, student)
                scores[name] = grade.score if not grade.needs_manual_grade else None
            except MissingEntry:
                scores[name] = None
    return scores


def scores(course, assignment, student):
    """What nbgrader wrote in the private gradebook: {"timestamp", "notebooks", "grades", "comments"}."""
    from nbgrader.api import Gradebook, MissingEntry

    result = {"timestamp": None, "notebooks": {}, "grades": {}, "comments": {}}
    with Gradebook(paths.gradebook_url(course, private=True)) as gb:
        try:
            submission = gb.find_submission(assignment.name, student)
        except MissingEntry:  # nbgrader could not even start on it
            return result
        result["timestamp"] = submission.timestamp.isoformat() if submission.timestamp else None
        for nb in submission.notebooks:
            result["notebooks"][nb.name] = {"flagged": nb.flagged, "late_submission_penalty": nb.late_submission_penalty}
            for grade in nb.grades:
                result["grades"][f"{nb.name}/{grade.name}"] = {
                    "auto_score": grade.auto_score, "needs_manual_grade": grade.needs_manual_grade,
                    "extra_credit": grade.extra_credit}
            for comment in nb.comments:
                result["comments"][f"{nb.name}/{comment.name}"] = comment.auto_comment
    return result
