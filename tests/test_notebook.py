"""The instructor notebook passes nbgrader's own validation; the blank release fails every test cell.

``nbgrader validate`` executes the notebook in a real kernel and fails on any error, or any stderr
output, in a graded cell; ``--invert`` passes only if every test cell fails on the blank release. It runs
from the course root, as a TA runs it, so that it reads the course's nbgrader_config.py (the cell time
limit); its hidden test cells judge in the kernel, against the reference answers computed once beforehand.
"""
import os
import subprocess
import sys

from tests.conftest import ROOT


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
