"""Grading a class under faults: killed workers, a killed batch, two batches at once, a stopped notebook, a Dask
cluster, the grader's own failure.

The killed workers, the killed batch and the second batch happen on the way to ``graded_course``
(tests/conftest.py, ``interrupted_batch``), which tests/test_grading.py holds to every expected grade, and the
endless loop is read there too; the others grade a student or two of the sample class (real nbgrader, sandboxed
kernels) in a scratch course of their own, a minute or two each on 2 cores, and check that every grade ends up
the expected one, whatever failed on the way, and that a grade already recorded is never lost.
"""
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

import sample_class
from autograder import budgets, catalogue, job, paths, references, sandbox, workers
from autograder.environment import environment
from autograder.results import Kind, Summary
from tests.conftest import INTERRUPTED, MARK, ROOT, grade, grade_command, processes, wait_for

WARMUP = catalogue.get("conv_warmup")  # the sample class's hostile notebooks are the warm-up's

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sandbox.available()[0], reason=f"no sandbox here: {sandbox.available()[1]}")]


@pytest.fixture
def course(tmp_path):
    return sample_class.new_course(tmp_path / "course")


def _assert_expected(course, students, assignment="sec02"):
    """Each of ``students`` has the grade written beside their submission, and the gradebook says the same."""
    rows = sample_class.grades(course, assignment)
    exercises = catalogue.get(assignment).exercises
    for student in students:
        want = sample_class.expected(course, student, assignment)
        assert sample_class.as_expected(rows[student], want), (student, rows[student])
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # the gradebook agrees with the CSV
        for student in students:
            notebook = gb.find_submission(assignment, student).notebooks[0]
            grades = {g.name: g.score for g in notebook.grades}
            assert {f"test_{n}": float(rows[student][n]) for n in exercises} == {
                f"test_{n}": grades[f"test_{n}"] for n in exercises}, student


def test_killed_worker_killed_batch_and_a_second_batch_lose_no_grade(graded_course):
    seen = json.loads((graded_course / "interrupted.json").read_text())
    # Two batches at once: the second stopped at once, naming the first, and changed nothing.
    assert seen["second"]["returncode"] == 2 and f"pid {seen['batch_pid']}" in seen["second"]["stderr"], seen["second"]
    # Meanwhile, each grading kernel, in its sandbox, had its share of the cores for TensorFlow's threads: the batch
    # ran two jobs at once.
    share = workers.threads_per_job(len(os.sched_getaffinity(0)), 2, len(INTERRUPTED[1]))
    assert seen["threads"] and set(seen["threads"]) == {str(share)}, seen["threads"]
    # A worker was killed mid-submission, then the batch, once a first student was recorded: the next run (the
    # whole class's) took exactly those students as done, and graded the rest of the four, every grade as expected.
    assert seen["killed_workers"] and seen["done_before"], seen
    assert seen["unchanged"] == seen["done_before"], "a student graded before the kill was graded again, or lost"
    assignment, students = INTERRUPTED
    _assert_expected(graded_course, students, assignment)


def test_an_endless_loop_is_stopped_at_its_cells_limit_and_the_ta_and_student_are_told(graded_course):
    course = graded_course  # mo, graded with the whole class: his endless loop is in the warm-up
    _assert_expected(course, ["mo"], WARMUP.name)  # every exercise graded, flagged for the stopped cell
    graded = json.loads((paths.autograded(course, WARMUP, "mo") / WARMUP.notebook).read_text())
    loop = next(cell for cell in graded["cells"]
                if cell["cell_type"] == "code" and "while True" in "".join(cell["source"]))
    (ran,) = budgets.cell_times({"cells": [loop]}).values()
    # His own cell has no reference time: it runs for the added cells' limit (the reference's slowest cell's, as
    # timed on this machine by the grading, or the floor), not the 120 s it once had
    limits = json.loads(job.cell_budgets_file(WARMUP, references.folder(WARMUP)).read_text())
    added = budgets.added_limit(limits["reference"])
    assert added <= ran < added + 15, ran
    said = f"the cell that starts 'while True:' was stopped after {added} s, its time limit"
    summary = Summary.load(paths.summary(course, WARMUP, "mo"))
    assert [flag for flag in summary.flags if flag.kind is Kind.STOPPED and said in flag.text], summary.flags
    top = "".join(graded["cells"][0]["source"])  # what formgrader shows above his notebook
    assert top.startswith("**Flagged for review by the grader.**") and said in top, top
    page = paths.feedback(course, WARMUP, "mo").read_text()
    assert "Cells stopped for time" in page and said.replace("'", "&#x27;") in page
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # formgrader's first comment box
        comments = {c.name: c.comment for c in gb.find_submission(WARMUP.name, "mo").notebooks[0].comments}
    assert said in comments[WARMUP.solution_cell["output_size"]], comments


def test_a_notebook_that_outlives_its_time_is_stopped_and_still_graded(course):
    # mo's endless loop comes after the first exercise, a second or two in; it may run to its cell's limit (20 s at
    # least, from its start), nbgrader's whole autograde only 15 s
    result = grade(course, "--assignment", WARMUP.name, "--students", "mo", "--notebook-timeout", "15", timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    row = sample_class.grades(course, WARMUP.name)["mo"]
    # What the notebook computed before it was stopped is graded, what it never reached scores 0, and a person looks
    assert [float(row[name]) for name in WARMUP.exercises] == [1, 0, 0]
    assert float(row["autograded"]) == 1 and row["flagged"] == "yes"
    assert "did not finish within 15 s" in result.stdout


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
    env = environment(CNNLAB_TEST_MARK=MARK)
    cluster = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file",
                                 str(scheduler_file), "--no-dashboard", "--host", "127.0.0.1"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        wait_for(scheduler_file.exists, timeout=60, what="the scheduler")
        address = json.loads(scheduler_file.read_text())["address"]
        for _ in range(2):
            cluster.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--host", "127.0.0.1"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        students = ["ada", "gil"]  # the warm-up's: the cluster's work is the same for every assignment
        batch = subprocess.Popen(grade_command(course, "--assignment", WARMUP.name, "--scheduler", address,
                                               "--students", ",".join(students)),
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Kill the worker that is running a grading mid-submission (a warm-up's autograde takes about 10 s): the
        # scheduler gives its task to the other.
        autograde = wait_for(lambda: processes("nbgrader", "autograde", "--student"), what="an autograde")
        dask_workers = {w.pid: w for w in cluster[1:]}
        owner = next(_ancestor_in(pid, dask_workers) for pid in autograde)  # found while the autograde runs
        time.sleep(2)
        dask_workers[owner].kill()
        out, err = batch.communicate(timeout=1800)
        assert batch.returncode == 0, out[-3000:] + err[-3000:]
        assert sorted(sample_class.grades(course, WARMUP.name)) == sorted(students)
        _assert_expected(course, students, WARMUP.name)
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
    broken (the warm-up's conv2d references lack the output of its first case, which its judge reads, as references
    left by an older grader could), so its judge raises. The submission is flagged with the cause, the command says so and
    exits 2, and once the references are mended the next run grades that student again, in full. The warm-up's
    notebook grades in seconds; how a judge's own error becomes a fault is the same for every assignment
    (autograder/verify.py), and Grad-CAM's own is tested in tests/test_exercises.py."""
    from autograder import verify
    from autograder.exercises import judging, recording

    # A copy of this checkout's reference answers (computed now if no test before did), with the reference notebook's
    # cell times the class's grading measured: the grading here is of ada alone
    subprocess.run([sys.executable, "-m", "autograder.references", WARMUP.name], cwd=ROOT, env=environment(),
                   capture_output=True, text=True, check=True)
    folder = shutil.copytree(references.folder(WARMUP), tmp_path / "references" / references.folder(WARMUP).name)
    env = dict(environment(CNNLAB_TEST_MARK=MARK), GRADER_REFERENCES=str(tmp_path / "references"))
    good = judging.load(folder, "conv2d")
    recording.save(folder, "conv2d", {key: value for key, value in good.items() if key != "0"})

    command = ["--assignment", WARMUP.name, "--students", "ada"]
    first = grade(course, *command, env=env, timeout=1800)
    assert first.returncode == 2 and "the grader itself failed" in first.stderr, first.stderr[-2000:]
    summary_path = paths.summary(course, WARMUP, "ada")
    summary = Summary.load(summary_path)
    assert summary.faults == ["conv2d"] and summary.exercises["conv2d"].message == verify.NOT_JUDGED
    assert any(str(flag).startswith("conv2d: the grader failed on it (KeyError") for flag in summary.flags), summary
    assert {n: r.points for n, r in summary.exercises.items() if n != "conv2d"} == {
        n: float(p) for n, p in WARMUP.exercises.items() if n != "conv2d"}, "the other exercises are graded as usual"

    recording.save(folder, "conv2d", good)
    second = grade(course, *command, env=env, timeout=1800)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "graded: ada" in second.stdout, "a submission the grader failed on is graded again by the next run"
    assert sorted(sample_class.grades(course, WARMUP.name)) == ["ada"]
    _assert_expected(course, ["ada"], WARMUP.name)
