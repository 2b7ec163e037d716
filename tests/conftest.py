"""Shared set-up for the repository's own tests."""
import contextlib
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "source" / "sec02"

from autograder.environment import environment, set_tensorflow_defaults  # the course's code: pip install -e .

set_tensorflow_defaults()  # before anything imports TensorFlow
os.environ.setdefault("MPLBACKEND", "Agg")  # this process draws off screen; its children get the notebook's inline


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
    return subprocess.run([sys.executable, "-m", "autograder.grade", "--course", str(course), *args],
                          cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=5400)


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory):
    """A scratch course with the whole sample class graded by the main command (about 20 minutes), during
    which sample student kim's kernel is killed once from outside."""
    import sample_class

    course = sample_class.new_course(tmp_path_factory.mktemp("course"))
    killer = KernelKiller("kim")
    killer.start()
    try:
        result = grade(course)
    finally:
        killer.stop()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert killer.killed, "kim's kernel was never killed: the test of a kernel killed from outside did not happen"
    course.joinpath("first_run.txt").write_text(result.stdout)
    return course


class KernelKiller(threading.Thread):
    """Kills one student's grading kernel once, with SIGKILL, as the machine's OOM killer would: as soon as
    its hidden tests have recorded something, so that the death comes in the middle of the notebook."""

    def __init__(self, student):
        super().__init__(daemon=True)
        self.student, self.killed, self.done = student, None, threading.Event()

    def run(self):
        while not self.done.is_set() and self.killed is None:
            for pid, course in _kernels():
                # Seen as the kernel sees them: its notebook (graded under the job's own name for the student, so
                # known by the student's words in it) and the records it has written, in its own mounts
                with contextlib.suppress(OSError):
                    theirs = any(f"{self.student}'s answer" in notebook.read_text()
                                 for notebook in pathlib.Path(f"/proc/{pid}/cwd").glob("*.ipynb"))
                    if theirs and any(pathlib.Path(f"/proc/{pid}/root{course}/records").glob("*.npz")):
                        os.kill(pid, signal.SIGKILL)
                        self.killed = pid
            time.sleep(0.2)

    def stop(self):
        self.done.set()
        self.join()


def _kernels():
    """(pid, private course folder) of every grading kernel running on this machine (see autograder/job.py)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "ipykernel_launcher" in argv and "-f" in argv and not any(a.endswith("sandbox.py") for a in argv):
            yield int(pid), pathlib.Path(argv[argv.index("-f") + 1]).parent.parent  # <course>/runtime/kernel-*.json
