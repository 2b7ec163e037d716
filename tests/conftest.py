"""Shared set-up for the repository's own tests."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "source" / "sec02"

# Before anything imports TensorFlow (see source/sec02/cnnlab/__init__.py for why).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")
for path in (ROOT, ASSIGNMENT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


# Known-harmless warnings of the libraries, kept out of pytest's summary. pytest resets the warning filters for each
# test, so the filters that the code under test sets when it is imported do not hold here and are repeated:
# * Keras's "The structure of `inputs` doesn't match the expected structure" (cnnlab/__init__.py filters it too):
#   tf-keras-vis 0.8.7 calls a single-input model with a list, and a model built on `model.inputs` (a list), as the
#   reference's get_feature_maps does, is called with one tensor; Keras flattens either and computes the same.
# * numpy's "__array__ implementation doesn't accept a copy keyword" (DeprecationWarning, about 130 in
#   test_training.py): Keras 3.15's convert_to_numpy calls np.array on TensorFlow 2.21 variables during fit, whose
#   __array__ predates numpy 2's copy argument; numpy then copies, as asked.
HARMLESS_WARNINGS = ["ignore:The structure of `inputs` doesn't match the expected structure:UserWarning",
                     "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"]


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: grades whole notebooks end to end, minutes each (-m 'not slow' skips them)")
    for line in HARMLESS_WARNINGS:
        config.addinivalue_line("filterwarnings", line)


def grade(course, *args):
    """The TA's main command (``python -m autograder.grade``) on ``course``."""
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]))
    env.pop("MPLBACKEND", None)
    return subprocess.run([sys.executable, "-m", "autograder.grade", "--course", str(course), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=5400)


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory):
    """A scratch course with the whole sample class graded by the main command (about a quarter of an hour)."""
    import sample_class

    course = sample_class.new_course(tmp_path_factory.mktemp("course"))
    result = grade(course)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    course.joinpath("first_run.txt").write_text(result.stdout)
    return course
