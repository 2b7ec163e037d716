"""Regenerate everything derived from the instructor notebook ``source/<assignment>/<assignment>.ipynb``:

* ``solutions/<assignment>.py``: the reference solutions, i.e. the notebook's imports and its solution cells;
* ``release/<assignment>/``: the student copy, by ``nbgrader generate_assignment``.

    .venv/bin/python -m tools.build [ASSIGNMENT...]    # every assignment of the course by default

tests/test_build.py fails when either is out of date with the notebook.
"""
import pathlib
import re
import shutil
import sys

import nbformat

from autograder import catalogue
from autograder.environment import run_nbgrader

ROOT = pathlib.Path(__file__).resolve().parents[1]
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


def generate_release(assignment, course_root=ROOT):
    """``nbgrader generate_assignment`` of ``assignment`` in ``course_root``."""
    result = run_nbgrader("generate_assignment", assignment.name, "--force", "--log-level=WARN", cwd=course_root)
    if result.returncode != 0:
        raise SystemExit(f"nbgrader generate_assignment failed:\n{result.stdout}{result.stderr}")


def main(names):
    for assignment in map(catalogue.get, names or catalogue.names()):
        solutions_path(assignment).write_text(solutions_text(assignment.source))
        shutil.rmtree(assignment.release, ignore_errors=True)
        generate_release(assignment)
        print(f"wrote {solutions_path(assignment).relative_to(ROOT)} and release/{assignment.name}/")


if __name__ == "__main__":
    main(sys.argv[1:])
