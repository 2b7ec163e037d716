"""Regenerate everything derived from the instructor notebook ``source/<assignment>/<assignment>.ipynb``:

* ``solutions/<assignment>.py``: the reference solutions, i.e. the notebook's imports and its solution cells;
* ``release/<assignment>/``: the student copy, by ``nbgrader generate_assignment``;

and what is derived from the exercise modules' rubrics (``RUBRIC``, ``autograder/exercises/__init__.py``):

* each rubric as a comment in its exercise's hidden tests, in the instructor notebook (the release never has it);
* the README's table of every rubric.

    .venv/bin/python -m tools.build [ASSIGNMENT...]    # every assignment of the course by default

tests/test_build.py fails when any of them is out of date.
"""
import json
import pathlib
import re
import shutil
import sys

import nbformat

from autograder import ROOT, catalogue
from autograder.environment import run_nbgrader

MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def solutions_path(assignment):
    return ROOT / "solutions" / f"{assignment.name}.py"


def solution_cells(notebook_path):
    """{grade_id: source} of the notebook's solution code cells, with the solution markers removed."""
    nb = nbformat.read(notebook_path, as_version=4)
    return {cell.metadata.nbgrader.grade_id: "\n".join(line for line in cell.source.splitlines() if not MARKER.match(line))
            for cell in nb.cells if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")}


def setup_imports(notebook_path):
    """The import lines of the notebook's first code cell (the set-up cell)."""
    nb = nbformat.read(notebook_path, as_version=4)
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    return [line for line in first.source.splitlines() if line.startswith(("import ", "from "))]


def solutions_text(notebook_path):
    """The reference module: the set-up cell's imports, then every solution code cell."""
    source = pathlib.Path(notebook_path).relative_to(ROOT).as_posix()
    parts = [f'"""Reference solutions, generated from {source} by tools/build.py: do not edit."""',
             "\n".join(setup_imports(notebook_path)), *solution_cells(notebook_path).values()]
    return "\n\n\n".join(parts) + "\n"


RUBRIC_HEAD = "# Rubric"  # the first line of a rubric's comment in a hidden test; its other lines start with "#   "
HIDDEN = "### BEGIN HIDDEN TESTS"
README_RUBRICS = ("<!-- rubrics: written by python -m tools.build -->", "<!-- end of rubrics -->")


def rubric_comment(assignment, name):
    """The lines stating exercise ``name``'s rubric, for its hidden tests ([] for an exercise judged all or nothing)."""
    checks = assignment.rubric(name)
    if not checks:
        return []
    module = f"assignments/{assignment.name}/exercises/{name}.py"
    return [f"{RUBRIC_HEAD}, partial credit by sub-check ({module}; python -m tools.build writes this):",
            *(f"#   {check.points:g} of {assignment.exercises[name]:g}: {check.asks}" for check in checks)]


def with_rubrics(assignment, nb):
    """The instructor notebook (its JSON, as a dict) with each exercise's rubric comment written in its hidden
    tests, in place of the one there."""
    for cell in nb["cells"]:
        name = catalogue.exercise_of(catalogue.grade_id(cell))
        if name is None or cell["cell_type"] != "code":
            continue
        lines = catalogue.source_text(cell).splitlines()
        at = lines.index(HIDDEN) + 1 if HIDDEN in lines else 0
        end = at + 1 if at < len(lines) and lines[at].startswith(RUBRIC_HEAD) else at  # the comment there now
        while at < end < len(lines) and lines[end].startswith("#   "):
            end += 1
        lines[at:end] = rubric_comment(assignment, name)
        cell["source"] = "\n".join(lines).splitlines(keepends=True)
    return nb


def notebook_text(nb):
    """A notebook's JSON as Jupyter writes it."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def rubrics_table():
    """The README's table of every exercise's rubric, for every assignment of the course."""
    rows = ["| assignment | exercise | points | sub-check | its points |", "|---|---|---|---|---|"]
    for assignment in map(catalogue.get, catalogue.names()):
        for name, points in assignment.exercises.items():
            for check in assignment.rubric(name):
                rows.append(f"| `{assignment.name}` | `{name}` | {points:g} | {check.asks} | {check.points:g} |")
    return "\n".join(rows)


def readme_with_rubrics(text):
    start, end = README_RUBRICS
    before, rest = text.split(start, 1)
    return f"{before}{start}\n{rubrics_table()}\n{end}{rest.split(end, 1)[1]}"


def generate_release(assignment, course_root=ROOT):
    """``nbgrader generate_assignment`` of ``assignment`` in ``course_root``."""
    result = run_nbgrader("generate_assignment", assignment.name, "--force", "--log-level=WARN", cwd=course_root)
    if result.returncode != 0:
        raise SystemExit(f"nbgrader generate_assignment failed:\n{result.stdout}{result.stderr}")


def main(names):
    for assignment in map(catalogue.get, names or catalogue.names()):
        text = assignment.source.read_text()
        written = notebook_text(with_rubrics(assignment, json.loads(text)))
        if written != text:
            assignment.source.write_text(written)
        solutions_path(assignment).write_text(solutions_text(assignment.source))
        shutil.rmtree(assignment.release, ignore_errors=True)
        generate_release(assignment)
        print(f"wrote {solutions_path(assignment).relative_to(ROOT)} and release/{assignment.name}/")
    readme = ROOT / "README.md"
    readme.write_text(readme_with_rubrics(readme.read_text()))


if __name__ == "__main__":
    main(sys.argv[1:])
