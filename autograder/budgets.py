"""Each cell's time limit, from the reference notebook's own time for that cell on the grading machine.

A single limit for every cell has to fit the slowest correct cell, so an endless loop or a stalled answer
runs that long before it is stopped. Instead, each cell gets ``max(FLOOR, FACTOR x the reference's time)``:
the reference notebook (the release with the reference solutions in) is graded once per release on each
grading machine (``autograder/job.py``), its cells timed, and the times kept beside the reference answers.

The floor and the factor are the safety for a student who is correct but slower (a Python loop where the
reference batches) and for a machine that was busy while the reference was timed, or while the student is.
A cell is known by its nbgrader ``grade_id`` (solution and test cells, which students' notebooks keep) or
else by its cell id (the release's other cells); a cell the student added, which the reference does not have,
gets the limit of the reference's slowest cell (``added_limit``).

The batch writes the table of limits to a file and names it in ``CELL_BUDGETS``; ``nbgrader_config.py``
then gives nbclient ``timeout_func``, which looks each cell up there.
"""
import datetime
import json
import pathlib

from autograder.catalogue import exercise_of, grade_id, source_text

FLOOR = 20  # seconds: no cell is stopped sooner, however quick the reference's
FACTOR = 10  # a correct cell may be this many times slower than the reference's
CELL_BUDGETS = "GRADER_CELL_BUDGETS"  # the environment variable that names the table of limits
TIMEOUT_ERROR = "CellTimeoutError"  # what nbclient writes as the output of a cell it stopped


def key(cell):
    """How a cell is known across the release and a student's notebook: its grade_id, else its cell id."""
    return grade_id(cell) or cell.get("id")


def budget(reference_seconds):
    return max(FLOOR, round(FACTOR * reference_seconds))


def added_limit(reference_times):
    """The limit of a cell the student added (notes, plots, helpers, experiments), from the reference's times.

    It has no reference cell of its own to scale, and it may redo any of the notebook's work (redraw its slowest
    figure, import its libraries, call an exercise again): it gets the limit of the reference's slowest cell, so
    that whatever the notebook does fits there too, as slowly as the same work may run in the notebook's own
    cells. The limit is the assignment's own, measured where it is graded: on a 2-core CPU, 45 s for Section 2
    (its six SmoothGrad figures, 4.5 s), the floor for a notebook whose cells all take under 2 s.
    """
    return budget(max(reference_times.values(), default=0))


def table(reference_times):
    """{"cells": {key: limit}, "reference": {key: seconds}} for the reference's times per cell."""
    return {"cells": {name: budget(seconds) for name, seconds in reference_times.items()},
            "reference": reference_times}


def limit(limits, cell):
    """A cell's limit in seconds, from a ``table``."""
    return limits["cells"].get(key(cell), added_limit(limits["reference"]))


def timeout_func(path):
    """nbclient's ``timeout_func``: each cell's limit, from the table in the file at ``path``."""
    limits = json.loads(pathlib.Path(path).read_text())
    return lambda cell: limit(limits, cell)


def cell_times(notebook):
    """{key: seconds} of each code cell of an executed notebook (a dict), from nbclient's timestamps."""
    times = {}
    for cell in notebook["cells"]:
        execution = cell.get("metadata", {}).get("execution", {})
        start, end = execution.get("iopub.execute_input"), execution.get("shell.execute_reply")
        if cell["cell_type"] == "code" and start and end and key(cell):
            times[key(cell)] = round((_when(end) - _when(start)).total_seconds(), 2)
    return times


def _when(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def stopped(notebook, limits):
    """What to tell the student and the TA of each cell nbclient stopped for time: [(exercise or None, text)]."""
    found = []
    for cell in notebook["cells"]:
        if not any(out.get("ename") == TIMEOUT_ERROR for out in cell.get("outputs", [])):
            continue
        found.append((exercise_of(grade_id(cell)), f"{cell_name(cell)} was stopped after {limit(limits, cell)} s, its "
                                                   f"time limit: {_why(limits, cell)}"))
    return found


def cell_name(cell):
    """A cell as the student and the TA find it: its grade_id, else its first line."""
    cell_id = grade_id(cell)
    if cell_id:
        return f"the cell {cell_id}"
    first = next((line.strip() for line in source_text(cell).splitlines() if line.strip()), "")
    return f"the cell that starts {first[:40]!r}"


def _why(limits, cell):
    reference = limits["reference"].get(key(cell))
    if reference is None:
        return (f"a cell the reference notebook does not have gets {added_limit(limits['reference'])} s, the limit "
                "of its slowest cell")
    return (f"the reference notebook's cell took {reference:.1f} s on the grading machine; a cell may take "
            f"{FACTOR} times that, and at least {FLOOR} s")
