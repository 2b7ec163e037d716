"""The course's assignments and what each one grades, read from its instructor notebook: nothing else lists it.

An assignment is a folder ``source/<name>/`` holding ``<name>.ipynb`` (nbgrader's layout); its grading side (the
exercise modules, their grading inputs, the answer key) is the package ``assignments/<name>/``. ``get(name)``
gives its ``Assignment``:

* ``exercises``: {name: points} of the autograded exercises, in the notebook's order. An exercise ``x`` is
  the test cell ``test_x`` (its points are nbgrader's); its answer is the name ``x`` that the nearest solution
  cell above it defines, and its hidden test calls ``hidden.check("<assignment>", "x", x)``;
* ``questions``: {grade_id: (points, question)} of the free-response answers, graded by hand in formgrader;
* ``solution_cell``: {name: grade_id} of the solution cell that holds each exercise's answer;
* ``title``: the notebook's first heading;
* ``answer_key``: the answers that are values rather than code (``assignments/<name>/answer_key.json``).
"""
import dataclasses
import functools
import importlib
import json
import pathlib
import re

from autograder import ROOT


def names(root=ROOT):
    """The course's assignments: the folders ``source/<name>/`` that hold a notebook ``<name>.ipynb``."""
    return sorted(path.parent.name for path in (root / "source").glob("*/*.ipynb") if path.stem == path.parent.name)


@dataclasses.dataclass(frozen=True, eq=False)  # one object per assignment (get): compared and hashed as itself
class Assignment:
    name: str
    title: str
    exercises: dict
    questions: dict
    solution_cell: dict

    @property
    def notebook(self):
        """The notebook's file name, the same in source/, release/, submitted/ and autograded/."""
        return f"{self.name}.ipynb"

    @property
    def source(self):
        return ROOT / "source" / self.name / self.notebook

    @property
    def release(self):
        """The student copy's folder."""
        return ROOT / "release" / self.name

    @property
    def release_notebook(self):
        """The student copy's notebook: what every student starts from."""
        return self.release / self.notebook

    @functools.cached_property
    def answer_key(self):
        path = ROOT / "assignments" / self.name / "answer_key.json"
        return json.loads(path.read_text()) if path.exists() else {}

    @property
    def grading(self):
        """The package of its grading side: ``prepare()``, ``kernel_data()`` and what it declares
        (``assignments/__init__.py``)."""
        return importlib.import_module(f"assignments.{self.name}")

    def exercise(self, name):
        """The module of exercise ``name``, an ``autograder.exercises.Exercise``."""
        from autograder import exercises

        return exercises.get(self.name, name)

    def rubric(self, name):
        """[exercises.SubCheck] of exercise ``name``, with their points; [] when it is judged all or nothing."""
        from autograder import exercises

        return exercises.rubric(self.exercise(name), self.exercises[name])


@functools.cache
def get(name=None):
    """The assignment ``name``; without a name, the course's only one."""
    known = names()
    if name is None and len(known) == 1:
        name = known[0]
    if name not in known:
        raise ValueError(f"no assignment {name!r} in the course: it has {', '.join(known) or 'none'}"
                         if name else f"name one of the course's assignments: {', '.join(known)}")
    source = ROOT / "source" / name / f"{name}.ipynb"
    return Assignment(name, _title(source), *_read(source))


def grade_id(cell):
    """A cell's nbgrader grade_id, or None (a cell as plain JSON or as nbformat reads it)."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def source_text(cell):
    """A cell's source as one string: a notebook's JSON keeps it as a string or as a list of lines."""
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def test_cell(exercise):
    """The grade_id of the test cell that grades ``exercise``."""
    return f"test_{exercise}"


def exercise_of(cell_id):
    """The exercise that the test cell ``cell_id`` grades; None for any other cell."""
    return cell_id.removeprefix("test_") if cell_id and cell_id.startswith("test_") else None


def cells(path):
    """(cell type, nbgrader metadata, source) of each cell of a notebook: plain JSON, quicker than nbformat."""
    for cell in json.loads(pathlib.Path(path).read_text())["cells"]:
        yield cell["cell_type"], cell["metadata"].get("nbgrader", {}), source_text(cell)


def _read(path):
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


def _title(path):
    """The notebook's first markdown heading."""
    for kind, _, source in cells(path):
        heading = re.search(r"^#+ +(.+)$", source, re.M) if kind == "markdown" else None
        if heading:
            return heading.group(1).strip()
    raise ValueError(f"{path} has no heading")
