"""nbgrader configuration: this folder is the course root (source/, release/, submitted/, autograded/, feedback/)."""
import contextlib
import os
import pathlib

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

ROOT = pathlib.Path(__file__).resolve().parent

c.CourseDirectory.course_id = "cnn-ii"
c.CourseDirectory.root = str(ROOT)
# The gradebook: SQLite here by default; any SQLAlchemy URL nbgrader supports through NBGRADER_DB_URL.
c.CourseDirectory.db_url = os.environ.get("NBGRADER_DB_URL", f"sqlite:///{ROOT / 'gradebook.db'}")
# The exchange, where `nbgrader release_assignment` puts the release, students' `nbgrader fetch_assignment` and
# `nbgrader submit` find and hand in their copies, and `nbgrader collect` gathers them into submitted/: a folder
# of the course (created on first use, no root needed) instead of nbgrader's /usr/local/share/nbgrader/exchange.
# On a shared JupyterHub, point it (or NBGRADER_EXCHANGE) at a folder every student can reach.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", str(ROOT / "exchange"))
# Formgrader offers release and collect only once the folder exists (nbgrader makes the course's folders in it).
with contextlib.suppress(OSError):
    os.makedirs(c.Exchange.root, exist_ok=True)
# Formgrader's grading page loads MathJax from this server, not from the internet: the template that says so
# (formgrader_templates/formgrade/mathjax.html.j2) comes before nbgrader's own.
c.HTMLExporter.extra_template_basedirs.prepend([str(ROOT / "formgrader_templates")])
# Files that never ship with the assignment: caches, checkpoints, training leftovers, models trained in the notebook,
# and the instructor's own records (source/sec02/instructor/: the models' full provenance, which names what the
# students are asked to find).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.best.keras", "trained_here",
                            "instructor"]

# Autograde puts back the test cells a student deleted or unmarked (autograder/notebooks.py), before nbgrader's own
# OverwriteCells restores the hidden tests of every test cell; the rest of the sanitising steps are nbgrader's.
c.Autograde.sanitize_preprocessors = ["nbgrader.preprocessors.ClearOutput", "nbgrader.preprocessors.DeduplicateIds",
                                      "nbgrader.preprocessors.OverwriteKernelspec",
                                      "autograder.notebooks.RestoreTestCells", "nbgrader.preprocessors.OverwriteCells",
                                      "nbgrader.preprocessors.CheckCellMetadata"]

# `nbgrader export` (grades.csv) quotes its fields and starts no spreadsheet formula (autograder/export.py).
c.ExportApp.plugin_class = "autograder.export.CsvExport"

# Late work (autograder/late.py): each assignment's due date, and the points a late submission loses, applied by
# nbgrader's autograde and by the batch to the judge's score. A submission's lateness is its timestamp.txt (nbgrader's
# submit writes it) after the due date; one with no timestamp is never late. The batch writes the due dates into the
# gradebook; change one and grade again with --force.
c.AssignLatePenalties.plugin_class = "autograder.late.LateRule"
c.LateRule.due = {"conv_warmup": "2026-12-04 17:00:00 UTC", "sec02": "2026-12-18 17:00:00 UTC"}
c.LateRule.points_per_hour = 1.0
c.LateRule.max_points = 5.0

# Each cell's time limit. The batch (autograder/job.py) names a table of limits in GRADER_CELL_BUDGETS: each
# cell gets 10 times the reference notebook's time for it on the grading machine, at least 20 s, and a cell
# the student added the limit of the reference's slowest cell (autograder/budgets.py), so an endless loop is
# stopped in seconds. Without the table
# (plain nbgrader in this folder), one limit for every cell: the slowest correct cell (SmoothGrad of a batch
# of images, on a 2-core CPU) takes about 8 s. Either way the stopped cell is interrupted, and the rest of the
# notebook still runs and is graded.
c.Execute.timeout = 120
if os.environ.get("GRADER_CELL_BUDGETS"):
    from autograder import budgets  # the course's grading code, installed in nbgrader's environment

    c.Execute.timeout_func = budgets.timeout_func(os.environ["GRADER_CELL_BUDGETS"])
c.Execute.interrupt_on_timeout = True
# After a cell's reply, the kernel's last outputs may come late on a busy machine: wait for them (default 4 s).
c.Execute.iopub_timeout = 60

# nbgrader gives a test cell 0 points if it writes anything to stderr. TensorFlow and absl write their log
# lines and library warnings there; drop those outputs so that they never cost a student points.
c.IgnorePattern.pattern = (
    r"(?m)^(?:[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ |WARNING: All log messages before absl::InitializeLog"
    r"|.*/site-packages/(?:tensorflow|keras|tf_keras_vis|absl)/.*Warning: "
    r"|.*RuntimeWarning: More than \d+ figures have been opened)"
)
