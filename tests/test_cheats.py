"""Every cheat of the sample class attacks code that exists, and its attack really runs.

Each cheat's own cells (the ones the sample class adds to the release, or xia's answer) run in a real
kernel in a course root that holds everything a careless grader would leave there (the grading code, the
reference solutions), with no sandbox: nothing stops them but nothing else fails either, and a probe cell
shows that the attack did what it meant to. In the batch's sandbox the same cells are stopped by its guards
or come to nothing before the judge (tests/test_grading.py holds each cheat to its expected grade).
"""
import nbclient
import nbformat
import pytest

import sample_class
from autograder import catalogue
from tests.conftest import ROOT

RAN = "ATTACK RAN"
# What each cheat's attack must have done, as a cell that prints RAN only then.
PROBES = {
    "oli": f"if np.allclose(0, 1): print({RAN!r})",
    "pat": f"if get_ipython().custom_exceptions == (BaseException,): print({RAN!r})",
    "quin": f"if conv2d.__module__ == 'solutions.conv_warmup': print({RAN!r})",
    "sam": f"""\
import os
from autograder import hidden
hidden.check("conv_warmup", "conv2d", None)  # records nothing now
if not os.path.exists(os.path.join(os.environ["GRADER_RECORDS"], "conv2d.npz")): print({RAN!r})""",
    "fin": f"""\
import os
with np.load(os.path.join(os.environ["GRADER_RECORDS"], "conv2d.npz")) as forged:
    if forged["0"].min() == 1: print({RAN!r})""",
    "ivy": f"if conv2d.__module__ == 'helpers': print({RAN!r})",
    "xia": f"if conv2d(np.eye(3), np.ones((2, 2))).tolist() == [[2, 1], [1, 2]]: print({RAN!r})",
}


def _attack_cells(student):
    """The code the student added to the release, or wrote as an answer, to cheat."""
    nb = sample_class.fill(student)
    added = [cell.source for cell in nb.cells if cell.cell_type == "code" and cell.id.startswith(f"{student.id}-")]
    answers = {catalogue.get(student.assignment).solution_cell[name] for name in [*student.answers, *student.cells]}
    answer = [cell.source for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") in answers]
    return added or answer


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course root with the grading code and the reference in it, as plain nbgrader autograde would have."""
    course = tmp_path_factory.mktemp("course")
    for name in ("nbgrader_config.py", "autograder", "solutions", "release"):
        (course / name).symlink_to(ROOT / name)
    return course


@pytest.mark.parametrize("student", sorted(PROBES))
def test_each_cheat_runs_its_attack(student, course, tmp_path, monkeypatch):
    cheat = next(s for s in sample_class.CLASS + sample_class.WARMUP if s.id == student)
    folder = course / "submitted" / student / cheat.assignment  # where nbgrader runs a submission's kernel
    folder.mkdir(parents=True)
    for name, target in cheat.links.items():  # handed in beside the notebook
        (folder / name).symlink_to(target)
    monkeypatch.setenv("GRADER_RECORDS", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "release" / cheat.assignment))  # its modules, as beside the notebook
    cells = ["import numpy as np", *_attack_cells(cheat), PROBES[student]]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}},
                            allow_errors=True).execute()
    printed = "".join(output.get("text", "") for output in nb.cells[-1].outputs)
    errors = [f"{o.ename}: {o.evalue}" for cell in nb.cells for o in cell.outputs if o.output_type == "error"]
    assert RAN in printed, f"{cheat.about}: the attack did not run ({errors or 'no error'})"
    assert not errors, f"{cheat.about}: {errors}"
