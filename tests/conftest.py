"""Shared set-up for the repository's own tests."""
import contextlib
import json
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


@pytest.fixture(scope="session")
def fresh_synthetic(tmp_path_factory):
    """The default synthetic set (128 px, seed 0), generated now into a cache of its own (a stale cache must not hide
    a changed generator), once for the tests that read it (tests/test_data.py, tests/test_training.py)."""
    from cnnlab.data import load_horse2zebra

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNLAB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        return load_horse2zebra("synthetic")


# In the environment of every grading the tests start (and so of its nbgrader and sandbox processes): the tests
# find their own processes by it, never another grading that runs on the machine.
MARK = f"suite-{os.getpid()}"


def grade_command(course, *args):
    """The TA's main command (``python -m autograder.grade``) on ``course``."""
    return [sys.executable, "-m", "autograder.grade", "--course", str(course), *args]


def grade(course, *args, env=None, timeout=5400):
    """The main command on ``course``, run to its end, its output captured."""
    return subprocess.run(grade_command(course, *args), cwd=ROOT, env=env or environment(CNNLAB_TEST_MARK=MARK),
                          capture_output=True, text=True, timeout=timeout)


# The students of the batch that ``graded_course`` starts and kills before it grades the class: the warm-up's, which
# grade in seconds (a batch is stopped the same way whatever it grades)
INTERRUPTED = ("conv_warmup", ["ada", "ben", "fay", "gil"])


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory):
    """A scratch course with the whole sample class graded by the main command (about 15 minutes on 2 cores).

    On the way, as a TA's day may go: a first batch of four students (``interrupted_batch``: a second batch started
    beside it, one of its workers killed, then the batch itself killed), whose record ``interrupted.json``
    tests/test_batch.py reads; then the whole class, during which sample student kim's kernel is killed once from
    outside. Every grade is then checked by tests/test_grading.py."""
    import sample_class

    course = sample_class.new_course(tmp_path_factory.mktemp("course"))
    seen = interrupted_batch(course, *INTERRUPTED)
    killer = KernelKiller("kim")
    killer.start()
    try:
        result = grade(course)
    finally:
        killer.stop()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert killer.killed, "kim's kernel was never killed: the test of a kernel killed from outside did not happen"
    seen["unchanged"] = sorted(line.split(": ", 1)[1] for line in result.stdout.splitlines()
                               if line.startswith("unchanged: "))
    course.joinpath("interrupted.json").write_text(json.dumps(seen, indent=2))
    course.joinpath("class_run.txt").write_text(result.stdout)  # the class run's output, to look into a failure
    return course


def interrupted_batch(course, assignment, students):
    """A batch of ``assignment``'s ``students`` on 2 workers, started and then killed; returns what was seen on the
    way:

    * ``second``: the exit code and error output of a second batch started while the first held the course;
    * ``threads``: TF_NUM_INTRAOP_THREADS of each grading kernel running then (each in its sandbox);
    * ``killed_workers``: the nbgrader autograde processes killed mid-submission (their jobs are run again);
    * ``done_before``: the students recorded when the batch itself was killed, once a first one was.
    """
    batch = subprocess.Popen(grade_command(course, "--assignment", assignment, "--workers", "2",
                                           "--students", ",".join(students)),
                             cwd=ROOT, env=environment(CNNLAB_TEST_MARK=MARK), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        lock = course / ".grading.lock"
        wait_for(lambda: lock.exists() and f"pid {batch.pid}" in lock.read_text(), what="the batch's lock")
        second = grade(course, "--assignment", assignment, "--students", students[0], timeout=300)
        victims = wait_for(lambda: processes("nbgrader", "autograde", "--student"), what="an autograde")
        kernels = wait_for(lambda: processes("ipykernel_launcher"), what="a grading kernel")
        threads = [environ_of(pid).get("TF_NUM_INTRAOP_THREADS") for pid in kernels]
        time.sleep(1)  # into the notebook: the warm-up's kernel runs for some 6 s
        killed = []
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):  # one that ended meanwhile is not counted
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        summaries = course / "autograded"
        wait_for(lambda: list(summaries.glob(f"*/{assignment}/verification/summary.json")),
                 what="a first graded student")
    finally:
        os.killpg(batch.pid, signal.SIGKILL)
        batch.communicate()
    done_before = sorted(p.parts[-4] for p in summaries.glob(f"*/{assignment}/verification/summary.json")
                         if "error" not in json.loads(p.read_text()))
    wait_for(lambda: not processes("nbgrader", "autograde") and not processes("sandbox.py"),
             timeout=60, what="the killed batch's processes to end")
    return {"batch_pid": batch.pid, "second": {"returncode": second.returncode, "stderr": second.stderr[-2000:]},
            "threads": threads, "killed_workers": sorted(killed), "done_before": done_before}


def processes(*words):
    """{pid: command line} of the tests' grading processes (``MARK``) whose command line holds every word."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                line = f.read().replace(b"\0", b" ").decode(errors="replace")
            # a sandboxed kernel keeps none of the grader's variables (MARK included): its parent, the sandbox, does
            ours = any(environ_of(p).get("CNNLAB_TEST_MARK") == MARK for p in (pid, parent(pid)))
        except OSError:
            continue
        if ours and all(word in line for word in words):
            found[int(pid)] = line
    return found


def parent(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rpartition(")")[2].split()[1])


def environ_of(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        return dict(item.decode(errors="replace").partition("=")[::2] for item in f.read().split(b"\0") if item)


def wait_for(condition, timeout=600, what="a condition"):
    """What ``condition()`` returns once it is true, asked every half second; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


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
    """(pid, private course folder) of every grading kernel of the tests' gradings (``MARK``), never another test
    session's on the same machine (see autograder/job.py)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
            ours = environ_of(parent(int(pid))).get("CNNLAB_TEST_MARK") == MARK  # the sandbox's: see processes()
        except OSError:
            continue
        if ours and "ipykernel_launcher" in argv and "-f" in argv and not any(a.endswith("sandbox.py") for a in argv):
            yield int(pid), pathlib.Path(argv[argv.index("-f") + 1]).parent.parent  # <course>/runtime/kernel-*.json
