"""What the assignment grades, read from the instructor notebook's nbgrader metadata: nothing else lists it.

* ``ASSIGNMENT``: the course's assignment, in nbgrader's layout: the folder ``source/<name>/`` that holds
  ``<name>.ipynb``. Its grading side (exercise modules, grading inputs, answer key) is the package
  ``assignments/<name>/``;
* ``TITLE``: the notebook's first heading;
* ``EXERCISES``: {name: points} of the autograded exercises, in the notebook's order. An exercise ``x`` is
  the test cell ``test_x`` (its points are nbgrader's); its answer is the name ``x`` that the nearest solution
  cell above it defines, and its hidden test calls ``hidden.check("x", x)``.
* ``QUESTIONS``: {grade_id: (points, question)} of the free-response answers, graded by hand in formgrader.
* ``SOLUTION_CELL``: {name: grade_id} of the solution cell that holds each exercise's answer.
* ``ANSWER_KEY``: the answers that are values rather than code (``assignments/<name>/answer_key.json``).
"""
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def assignments(root=ROOT):
    """The course's assignments: the folders ``source/<name>/`` that hold a notebook ``<name>.ipynb``."""
    return sorted(path.parent.name for path in (root / "source").glob("*/*.ipynb") if path.stem == path.parent.name)


def _the_assignment():
    found = assignments()
    if len(found) != 1:
        raise RuntimeError(f"the grader serves one assignment, the course's source/ holds {found or 'none'}")
    return found[0]


ASSIGNMENT = _the_assignment()
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SOURCE = ROOT / "source" / ASSIGNMENT / NOTEBOOK


def grade_id(cell):
    """A cell's nbgrader grade_id, or None (a cell as plain JSON or as nbformat reads it)."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def test_cell(exercise):
    """The grade_id of the test cell that grades ``exercise``."""
    return f"test_{exercise}"


def exercise_of(cell_id):
    """The exercise that the test cell ``cell_id`` grades; None for any other cell."""
    return cell_id.removeprefix("test_") if cell_id and cell_id.startswith("test_") else None


def cells(path=SOURCE):
    """(cell type, nbgrader metadata, source) of each cell of a notebook: plain JSON, quicker than nbformat."""
    for cell in json.loads(pathlib.Path(path).read_text())["cells"]:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        yield cell["cell_type"], cell["metadata"].get("nbgrader", {}), source


def _read(path=SOURCE):
    exercises, questions, solution_cell = {}, {}, {}
    last_solution, last_markdown = None, ""
    for kind, meta, source in cells(path):
        if kind == "code" and meta.get("solution"):
            last_solution = meta["grade_id"]
        elif kind == "code" and meta.get("grade"):
            name = exercise_of(meta["grade_id"])
            if name is None:
                raise ValueError(f"{path}: the graded code cell {meta['grade_id']!r} must be named test_<exercise>")
            exercises[name] = meta["points"]
            solution_cell[name] = last_solution
        elif kind == "markdown" and meta.get("grade") and meta.get("solution"):
            text = " ".join(re.sub(r"^\*\*Answer \(\d+ points?\)\.\*\*", "", last_markdown.strip()).split())
            questions[meta["grade_id"]] = (meta["points"], re.match(r"[^?]*\?|.*", text).group(0))  # its first question
        if kind == "markdown":
            last_markdown = source
    return exercises, questions, solution_cell


def _title(path=SOURCE):
    """The notebook's first markdown heading."""
    for kind, _, source in cells(path):
        heading = re.search(r"^#+ +(.+)$", source, re.M) if kind == "markdown" else None
        if heading:
            return heading.group(1).strip()
    raise ValueError(f"{path} has no heading")


EXERCISES, QUESTIONS, SOLUTION_CELL = _read()
TITLE = _title()
ANSWER_KEY = json.loads((ROOT / "assignments" / ASSIGNMENT / "answer_key.json").read_text())

