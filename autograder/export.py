"""``nbgrader export``'s grades.csv for this course (``nbgrader_config.py`` names it): nbgrader's own columns and
rows, written as CSV should be. nbgrader's ``CsvExportPlugin`` joins the fields with commas as they are, so a
name with a comma shifts a row, and a student's id or name such as ``=2+3`` is a formula to a spreadsheet."""
import csv

from nbgrader.api import MissingEntry
from nbgrader.plugins import CsvExportPlugin

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
