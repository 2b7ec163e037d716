"""Grading a class under faults: killed workers, a killed batch, two batches at once, a Dask cluster.

Each test grades a few students of the sample class (real nbgrader, sandboxed kernels) in a scratch
course and checks that every grade ends up the expected one, whatever was killed on the way, and that
a grade already recorded is never lost. A few minutes each on 2 cores.
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import sample_class
from autograder import budgets, catalogue, job, references, sandbox
from autograder.environment import environment
from tests.conftest import ROOT

SEC02 = catalogue.get("sec02")  # the sample class's assignment
EXERCISES = SEC02.exercises
SOLUTION_CELL = SEC02.solution_cell

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sandbox.available()[0], reason=f"no sandbox here: {sandbox.available()[1]}")]


MARK = f"batch-test-{os.getpid()}"  # in the environment of every process these tests start


def _env():
    return environment(CNNLAB_TEST_MARK=MARK)


def _grade_command(course, *args):
    """The main command on Section 2's sample students (the warm-up's are graded in tests/test_grading.py)."""
    return [sys.executable, "-m", "autograder.grade", "--course", str(course), "--assignment", "sec02", *args]


def _grade(course, *args, timeout=1800):
    return subprocess.run(_grade_command(course, *args), cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def course(tmp_path):
    return sample_class.new_course(tmp_path / "course")


def _assert_expected(course, students):
    rows = sample_class.grades(course)
    assert sorted(rows) == sorted(students)
    for student in students:
        assert sample_class.as_expected(rows[student], sample_class.expected(course, student)), (student, rows[student])
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # the gradebook agrees with the CSV
        for student in students:
            grades = {g.name: g.score for g in gb.find_submission("sec02", student).notebooks[0].grades}
            assert {f"test_{n}": float(rows[student][n]) for n in EXERCISES} == {
                f"test_{n}": grades[f"test_{n}"] for n in EXERCISES}, student


def _processes(*words):
    """{pid: command line} of this test's processes whose command line holds every word."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                line = f.read().replace(b"\0", b" ").decode(errors="replace")
            # a sandboxed kernel keeps none of the grader's variables (MARK included): its parent, the sandbox, does
            ours = any(_environment(p).get("CNNLAB_TEST_MARK") == MARK for p in (pid, _parent(pid)))
        except OSError:
            continue
        if ours and all(word in line for word in words):
            found[int(pid)] = line
    return found


def _parent(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rpartition(")")[2].split()[1])


def _environment(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        return dict(item.decode(errors="replace").partition("=")[::2] for item in f.read().split(b"\0") if item)


def _wait_for(condition, timeout=600, what="a condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_worker_killed_batch_and_a_second_batch_lose_no_grade(course):
    students = ["ada", "fay", "ian", "uma"]
    batch = subprocess.Popen(_grade_command(course, "--workers", "2", "--students", ",".join(students)), cwd=ROOT,
                             env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    lock = course / ".grading.lock"
    _wait_for(lambda: lock.exists() and f"pid {batch.pid}" in lock.read_text(), what="the batch's lock")

    # Two batches at once: the second stops at once, naming the first, and changes nothing.
    second = _grade(course, "--students", "ada", timeout=300)
    assert second.returncode == 2 and f"pid {batch.pid}" in second.stderr, second.stderr[-2000:]

    # A worker killed mid-submission: its nbgrader dies; the job is run again.
    victim = _wait_for(lambda: _processes("nbgrader", "autograde", "--student"), what="an autograde")
    # Meanwhile, each grading kernel, in its sandbox, runs TensorFlow on one thread (ONE_CORE, autograder/job.py)
    kernels = _wait_for(lambda: _processes("ipykernel_launcher"), what="a grading kernel")
    assert all(_environment(pid).get("TF_NUM_INTRAOP_THREADS") == "1" for pid in kernels), kernels
    time.sleep(5)
    for pid in victim:
        os.kill(pid, signal.SIGKILL)

    # The batch killed once a first student is recorded: nothing recorded may be lost.
    summaries = course / "autograded"
    _wait_for(lambda: list(summaries.glob("*/sec02/verification/summary.json")), what="a first graded student")
    os.killpg(batch.pid, signal.SIGKILL)
    batch.communicate()
    done_before = sorted(p.parts[-4] for p in summaries.glob("*/sec02/verification/summary.json")
                         if "error" not in json.loads(p.read_text()))
    _wait_for(lambda: not _processes("nbgrader", "autograde") and not _processes("sandbox.py"),
              timeout=60, what="the killed batch's processes to end")

    rerun = _grade(course, "--workers", "2", "--students", ",".join(students))
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    unchanged = sorted(line.split(": ")[1] for line in rerun.stdout.splitlines() if line.startswith("unchanged: "))
    assert unchanged == done_before, "a student graded before the kill was graded again, or lost"
    _assert_expected(course, students)


def test_an_endless_loop_is_stopped_at_its_cells_limit_and_the_ta_and_student_are_told(course):
    result = _grade(course, "--students", "mo")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _assert_expected(course, ["mo"])  # every exercise graded, flagged for the stopped cell
    graded = json.loads((course / "autograded" / "mo" / "sec02" / "sec02.ipynb").read_text())
    loop = next(cell for cell in graded["cells"]
                if cell["cell_type"] == "code" and "while True" in "".join(cell["source"]))
    (ran,) = budgets.cell_times({"cells": [loop]}).values()
    # His own cell has no reference time: it runs for the added cells' limit (the reference's slowest cell's, as
    # timed on this machine by the grading), not the 120 s it once had
    limits = json.loads(job.cell_budgets_file(SEC02, references.folder(SEC02)).read_text())
    added = budgets.added_limit(limits["reference"])
    assert added <= ran < added + 15, ran
    said = f"the cell that starts 'while True:' was stopped after {added} s, its time limit"
    summary = json.loads((course / "autograded" / "mo" / "sec02" / "verification" / "summary.json").read_text())
    assert [flag for flag in summary["flags"] if said in flag], summary["flags"]
    top = "".join(graded["cells"][0]["source"])  # what formgrader shows above his notebook
    assert top.startswith("**Flagged for review by the grader.**") and said in top, top
    page = (course / "feedback" / "mo" / "sec02" / "report.html").read_text()
    assert "Cells stopped for time" in page and said.replace("'", "&#x27;") in page
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # formgrader's first comment box
        comments = {c.name: c.comment for c in gb.find_submission("sec02", "mo").notebooks[0].comments}
    assert said in comments[SOLUTION_CELL["conv_output_size"]], comments


def test_a_notebook_that_outlives_its_time_is_stopped_and_still_graded(course):
    # mo's endless loop comes after the first two exercises, some 10 s in; it may run 45 s, the notebook only 30
    result = _grade(course, "--students", "mo", "--notebook-timeout", "30")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    row = sample_class.grades(course)["mo"]
    # What the notebook computed before it was stopped is graded, what it never reached scores 0, and a person looks
    assert [float(row[name]) for name in ("conv_output_size", "receptive_field_answer")] == [2, 1]
    assert float(row["autograded"]) == 3 and row["flagged"] == "yes"
    assert "did not finish within 30 s" in result.stdout


def test_every_dask_command_from_the_venv_reads_the_courses_dask_settings():
    """scripts/env.sh copies autograder/dask.yaml where a dask process started from .venv finds it."""
    import yaml

    def settings(tree, prefix=""):  # {"distributed.admin.tick.interval": "1s", ...}
        for name, value in tree.items():
            yield from settings(value, f"{prefix}{name}.") if isinstance(value, dict) else [(prefix + name, value)]

    keys = dict(settings(yaml.safe_load((ROOT / "autograder" / "dask.yaml").read_text())))
    assert len(keys) == 3, keys
    read = subprocess.run([sys.executable, "-c", "import sys, dask.config, distributed; "
                           "print(*(dask.config.get(key) for key in sys.argv[1:]))", *keys],
                          capture_output=True, text=True, check=True, cwd="/")
    assert read.stdout.split() == list(keys.values()), "Dask's defaults, not the course's (see scripts/env.sh)"


def test_a_dask_cluster_grades_the_class_and_survives_a_lost_worker(course, tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    env = _env()
    cluster = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file",
                                 str(scheduler_file), "--no-dashboard", "--host", "127.0.0.1"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait_for(scheduler_file.exists, timeout=60, what="the scheduler")
        address = json.loads(scheduler_file.read_text())["address"]
        for _ in range(2):
            cluster.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--host", "127.0.0.1"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        students = ["ada", "gil"]
        batch = subprocess.Popen(_grade_command(course, "--scheduler", address, "--students", ",".join(students)),
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Kill the worker that is running a grading mid-submission: the scheduler gives its task to the other.
        autograde = _wait_for(lambda: _processes("nbgrader", "autograde", "--student"), what="an autograde")
        time.sleep(5)
        workers = {w.pid: w for w in cluster[1:]}
        owner = next(_ancestor_in(pid, workers) for pid in autograde)
        workers[owner].kill()
        out, err = batch.communicate(timeout=1800)
        assert batch.returncode == 0, out[-3000:] + err[-3000:]
        _assert_expected(course, students)
    finally:
        for proc in cluster:
            proc.kill()
            proc.wait()


def _ancestor_in(pid, pids):
    while pid > 1:
        if pid in pids:
            return pid
        with open(f"/proc/{pid}/stat") as f:
            pid = int(f.read().rsplit(")", 1)[1].split()[1])
    raise AssertionError("the autograde runs in no worker of the cluster")


def test_a_judge_that_fails_for_its_own_reason_flags_the_submission_and_the_next_run_grades_it(course, tmp_path):
    """The grader's own failure is never the student's zero: here the reference answers of one exercise are
    broken (Grad-CAM maps with no positive evidence left to judge by), so its judge raises. The submission is
    flagged with the cause, the command says so and exits 2, and once the references are mended the next run
    grades that student again, in full."""
    import numpy as np

    from autograder import verify
    from assignments.sec02.exercises.inputs import MAP_CASES
    from autograder.exercises import judging, recording

    env = dict(_env(), GRADER_REFERENCES=str(tmp_path / "references"))
    computed = subprocess.run([sys.executable, "-m", "autograder.references", "sec02"], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=True)
    folder = computed.stdout.strip().splitlines()[-1]
    good = judging.load(folder, "gradcam")
    recording.save(folder, "gradcam", dict(good, **{str(i): np.zeros((8, 8)) for i in range(len(MAP_CASES))}))

    first = subprocess.run(_grade_command(course, "--students", "ada"), cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=1800)
    assert first.returncode == 2 and "the grader itself failed" in first.stderr, first.stderr[-2000:]
    summary = json.loads((course / "autograded" / "ada" / "sec02" / "verification" / "summary.json").read_text())
    assert summary["faults"] == ["gradcam"] and summary["exercises"]["gradcam"]["message"] == verify.NOT_JUDGED
    assert any(flag.startswith("gradcam: the grader failed on it (RuntimeError") for flag in summary["flags"])
    assert {n: r["points"] for n, r in summary["exercises"].items() if n != "gradcam"} == {
        n: float(p) for n, p in EXERCISES.items() if n != "gradcam"}, "the other exercises are graded as usual"

    recording.save(folder, "gradcam", good)
    second = subprocess.run(_grade_command(course, "--students", "ada"), cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=1800)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "graded: ada" in second.stdout, "a submission the grader failed on is graded again by the next run"
    _assert_expected(course, ["ada"])
