"""The course's rule for late work, stated in its ``nbgrader_config.py`` and read by nbgrader and by the batch:

    c.AssignLatePenalties.plugin_class = "autograder.late.LateRule"   # nbgrader's late-penalty plugin
    c.LateRule.due = {"conv_warmup": "2026-12-04 17:00:00 UTC"}        # each assignment's due date
    c.LateRule.points_per_hour = 1.0                                   # off for each hour begun after it
    c.LateRule.max_points = 5.0                                        # at most, and never more than the score

The batch writes each due date into the gradebook (nbgrader's own ``duedate``, which formgrader shows and uses for
its late column), nbgrader's autograde measures how late each submission is from its ``timestamp.txt``, and the
batch applies the rule to the score the judge gave (``gradebook.reconcile``). A submission with no timestamp
(nbgrader's submit writes one; a zip or a folder of notebooks has none) is never late.
"""
import math
import pathlib

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Dict, Float
from traitlets.config.loader import PyFileConfigLoader


class LateRule(LateSubmissionPlugin):
    due = Dict(help="{assignment: its due date, as nbgrader reads one ('2026-12-04 17:00:00 UTC')}").tag(config=True)
    points_per_hour = Float(1.0, help="points off for each hour begun after the due date").tag(config=True)
    max_points = Float(5.0, help="the most a late submission loses").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        """The points a notebook scoring ``score`` loses, handed in ``total_seconds_late`` after its due date."""
        if not total_seconds_late or total_seconds_late <= 0:
            return 0.0
        return min(self.points_per_hour * math.ceil(total_seconds_late / 3600), self.max_points, score)

    def __str__(self):
        return f"{self.points_per_hour:g} point off for each hour begun after the due date, at most {self.max_points:g}"


def rule(course):
    """The late rule of the course in the folder ``course``, as its ``nbgrader_config.py`` states it (a course
    without one has no due dates)."""
    if not (pathlib.Path(course) / "nbgrader_config.py").is_file():
        return LateRule()
    return LateRule(config=PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config())


def hours_and_minutes(seconds):
    """How late, as a person says it: "3 h 10 min"."""
    minutes = math.ceil(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
