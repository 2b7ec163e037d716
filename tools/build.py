"""Regenerate everything derived from the instructor notebook ``source/sec02/sec02.ipynb``:

* ``solutions/sec02.py``: the reference solutions, i.e. the notebook's imports and its solution cells;
* ``release/sec02/``: the student copy, by ``nbgrader generate_assignment``.

    python tools/build.py

tests/test_build.py fails when either is out of date with the notebook.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = "sec02"
NOTEBOOK = ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
SOLUTIONS = ROOT / "solutions" / f"{ASSIGNMENT}.py"
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def solutions_text(notebook_path=NOTEBOOK):
    """The reference module: the first code cell's imports, then every solution code cell, markers removed."""
    nb = nbformat.read(notebook_path, as_version=4)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    imports = [line for line in code_cells[0].source.splitlines() if line.startswith(("import ", "from "))]
    parts = ['"""Reference solutions, generated from source/sec02/sec02.ipynb by tools/build.py: do not edit."""',
             "\n".join(imports)]
    for cell in code_cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            parts.append("\n".join(line for line in cell.source.splitlines() if not MARKER.match(line)))
    return "\n\n\n".join(parts) + "\n"


def generate_release(course_root=ROOT):
    """``nbgrader generate_assignment`` in ``course_root``; its alembic must come from this Python's bin."""
    env = dict(os.environ, PATH=os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ["PATH"]]))
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
                    "--log-level=WARN"], cwd=course_root, env=env, check=True)


def main():
    SOLUTIONS.write_text(solutions_text())
    shutil.rmtree(ROOT / "release" / ASSIGNMENT, ignore_errors=True)
    generate_release()
    print(f"wrote {SOLUTIONS.relative_to(ROOT)} and release/{ASSIGNMENT}/")


if __name__ == "__main__":
    main()
