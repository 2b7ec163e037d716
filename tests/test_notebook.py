"""The instructor notebook passes nbgrader's own validation; the blank release fails every test cell; the
numbers its model answers quote are the ones it computes.

``nbgrader validate`` executes the notebook in a real kernel and fails on any error, or any stderr
output, in a graded cell; ``--invert`` passes only if every test cell fails on the blank release. It runs
from the course root, as a TA runs it, so that it reads the course's nbgrader_config.py (the cell time
limit); its hidden test cells judge in the kernel, against the reference answers computed once beforehand.
"""
import json
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SOURCE = ROOT / "source" / "sec02" / "sec02.ipynb"


def _validate(notebook, *flags):
    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=os.pathsep.join([bin_dir, os.environ["PATH"]]))
    env.pop("MPLBACKEND", None)  # the kernel uses the notebook's inline backend
    return subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(notebook), *flags],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


def test_source_notebook_validates():
    from autograder import references

    references.compute_all()
    result = _validate(ROOT / "source" / "sec02" / "sec02.ipynb")
    assert result.returncode == 0 and "Success! Your notebook passes all the tests." in result.stdout, (
        result.stdout[-3000:] + result.stderr[-3000:])


def test_blank_release_fails_every_test():
    result = _validate(ROOT / "release" / "sec02" / "sec02.ipynb", "--invert")
    assert result.returncode == 0 and "Success! The notebook does not pass any tests." in result.stdout, (
        result.stdout[-3000:] + result.stderr[-3000:])


@pytest.fixture(scope="module")
def executed():
    """The instructor notebook run top to bottom by a real kernel, with its outputs."""
    import nbformat
    from autograder import references
    from nbclient import NotebookClient

    references.compute_all()
    nb = nbformat.read(SOURCE, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(SOURCE.parent)}}).execute()
    return nb


def _printed(nb, marker):
    """What the code cells whose source holds ``marker`` printed."""
    return "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code" and marker in cell.source
                   for output in cell.outputs if output.output_type == "stream")


def test_the_model_answer_quotes_the_numbers_the_notebook_computes(executed):
    computed = _printed(executed, "accuracy(model, split)") + _printed(executed, "pointing.pointing_table(")
    answer = next(cell.source for cell in executed.cells
                  if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer_saliency")
    quoted = re.findall(r"\b\d\.\d{2,3}\b", answer)
    assert len(quoted) >= 8, f"the model answer quotes too few numbers: {quoted}"
    missing = [number for number in quoted if not re.search(rf"\b{re.escape(number)}\b", computed)]
    assert not missing, f"quoted but not computed: {missing}\ncomputed:\n{computed}"


def test_the_notebook_shows_the_accuracies_its_models_record(executed):
    printed = _printed(executed, "accuracy(model, split)")
    for model in ("cnn1", "cnn2"):
        record = json.loads((SOURCE.parent / "data" / f"{model}.provenance.json").read_text())
        assert (f"{model}: accuracy {record['test_accuracy']:.3f} on test, "
                f"accuracy {record['shifted_accuracy']:.3f} on shifted") in printed, printed
