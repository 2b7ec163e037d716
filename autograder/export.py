"""``nbgrader export``'s files: grades.csv for this course (``nbgrader_config.py`` names it), and the files an
instructor uploads to the course's LMS (``CanvasExport``, ``MoodleExport``).

grades.csv has nbgrader's own columns and rows, written as CSV should be. nbgrader's ``CsvExportPlugin`` joins the
fields with commas as they are, so a name with a comma shifts a row, and a student's id or name such as ``=2+3`` is
a formula to a spreadsheet."""
import csv

from nbgrader.api import MissingEntry
from nbgrader.plugins import CsvExportPlugin, ExportPlugin

from autograder.reports import spreadsheet_safe

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email", "raw_score",
           "late_submission_penalty", "score", "max_score"]


class CsvExport(CsvExportPlugin):
    def export(self, gradebook):
        students, assignments = set(map(str, self.student)), set(map(str, self.assignment))
        with open(self.to or "grades.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            for assignment in gradebook.assignments:
                if assignments and assignment.name not in assignments:
                    continue
                for student in gradebook.students:
                    if not students or student.id in students:
                        row = self.row(gradebook, assignment, student)
                        writer.writerow([spreadsheet_safe("" if row[key] is None else row[key]) for key in COLUMNS])

    @staticmethod
    def row(gradebook, assignment, student):
        """nbgrader's row: a student with no submission scores 0."""
        row = {"assignment": assignment.name, "duedate": assignment.duedate, "student_id": student.id,
               "last_name": student.last_name, "first_name": student.first_name, "email": student.email,
               "max_score": assignment.max_score, "timestamp": "", "raw_score": 0.0, "late_submission_penalty": 0.0,
               "score": 0.0}
        try:
            submission = gradebook.find_submission(assignment.name, student.id)
        except MissingEntry:
            return row
        penalty = submission.late_submission_penalty
        return dict(row, timestamp=submission.timestamp, raw_score=submission.score, late_submission_penalty=penalty,
                    score=max(0.0, submission.score - (penalty or 0.0)))


# --- grades for the course's LMS ----------------------------------------------------------------

class LmsExport(ExportPlugin):
    """One row per student of the gradebook (the roster, and whoever handed in without being on it), one column per
    assignment: its score, manual points included once graded, late penalty taken off (``CsvExport.row``); a student
    with no submission scores 0, as in nbgrader's own export. The student is named by the roster's ``lms_user_id``
    (imported with it: ``nbgrader db student import``), which is how the LMS knows them. What the file cannot say
    yet is logged as warnings: students with no LMS id (not on the roster), free answers not graded yet."""

    def export(self, gradebook):
        assignments = [a for a in gradebook.assignments if not self.assignment or a.name in map(str, self.assignment)]
        students = [s for s in gradebook.students if not self.student or s.id in map(str, self.student)]
        scores = {(a.name, s.id): CsvExport.row(gradebook, a, s)["score"] for a in assignments for s in students}
        with open(self.to or self.DEFAULT, "w", newline="") as f:
            writer = csv.writer(f)
            for row in self.rows(assignments, students, scores):
                writer.writerow([spreadsheet_safe(value) for value in row])
        for warning in missing(gradebook, assignments, students):
            self.log.warning(warning)

    def rows(self, assignments, students, scores):
        raise NotImplementedError


class CanvasExport(LmsExport):
    """Canvas's gradebook import (Grades > Import): Canvas's identity columns, then one column per assignment, and a
    "Points Possible" row under the header. Canvas matches a student by ``SIS User ID`` (the roster's
    ``lms_user_id``), and creates an assignment whose column it does not know.

        nbgrader export --exporter autograder.export.CanvasExport --to canvas.csv
    """
    DEFAULT = "canvas.csv"
    IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]

    def rows(self, assignments, students, scores):
        yield [*self.IDENTITY, *(a.name for a in assignments)]
        yield ["Points Possible", "", "", "", "", *(f"{a.max_score:g}" for a in assignments)]
        for s in students:
            name = f"{s.last_name or ''}, {s.first_name or ''}".strip(", ") or s.id
            yield [name, "", s.lms_user_id or "", s.id, "", *(f"{scores[a.name, s.id]:g}" for a in assignments)]


class MoodleExport(LmsExport):
    """Moodle's grade import from a CSV file (Grades > Import > CSV file): an identity column that Moodle maps to
    its users' "ID number" (the roster's ``lms_user_id``), their e-mail, and one column per assignment, each mapped
    to its grade item on import (Moodle's grade items hold the maximum points).

        nbgrader export --exporter autograder.export.MoodleExport --to moodle.csv
    """
    DEFAULT = "moodle.csv"

    def rows(self, assignments, students, scores):
        yield ["ID number", "Email address", *(a.name for a in assignments)]
        for s in students:
            yield [s.lms_user_id or "", s.email or "", *(f"{scores[a.name, s.id]:g}" for a in assignments)]


def missing(gradebook, assignments, students):
    """What an LMS file of these students' grades cannot say yet, in sentences."""
    unknown = sorted(s.id for s in students if not s.lms_user_id)
    if unknown:
        yield (f"{len(unknown)} students have no LMS id (lms_user_id in the roster; not on it?), and the LMS cannot "
               f"match their rows: {', '.join(unknown)}")
    for assignment in assignments:
        waiting = {}
        for submission in assignment.submissions:
            if submission.student.id in {s.id for s in students}:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        if grade.needs_manual_grade and grade.cell_type == "markdown":
                            waiting.setdefault(submission.student.id, []).append(grade.name)
        if waiting:
            yield (f"{assignment.name}: free answers not graded yet, counted as 0 until they are: "
                   + "; ".join(f"{student} ({', '.join(names)})" for student, names in sorted(waiting.items())))
