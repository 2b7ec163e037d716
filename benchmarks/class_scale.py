"""Benchmark: what grading a class costs, and a cost model that holds beyond it.

    python benchmarks/class_scale.py [--class-size 60]
    python benchmarks/class_scale.py --render     # class_scale.md and the README from class_scale.json again
    python benchmarks/class_scale.py --students ada,dan,eve --class-size 4 --out /tmp/trial   # a trial of itself

In one run, one configuration after the other, each in a fresh scratch course:
1. the sample class (``sample_class/``, every student once) with ``autograder.grade --workers 1``, then ``--workers 2``;
2. a class of ``--class-size`` submissions (the sample class repeated under numbered ids: ada01, ben01, ...,
   ada02, ...) with ``--workers 2``;
3. the same class on a Dask cluster of two worker processes on this machine, started by the commands the README
   gives a TA (``dask scheduler``, ``dask worker``), graded with ``--scheduler``;
4. the same class with ``--workers 2`` again: the Dask run is compared with the mean of the local runs just before
   and just after it, so that the machine's speed drifting over the hour does not count as Dask's cost, and the two
   local runs' difference shows how large that drift was.
Each run records its wall time, the time per submission, the grading jobs' own time (summed), the peak memory
of one grading job (nbgrader with its kernel, or the judge: the proportional set size of its processes, each shared
page split among those that map it, sampled every half second) and how many students got exactly the grade and
flag written beside them. It also times one bare execution of the reference notebook and a regrading after one
student handed in again.

The cost model T(n, W) = setup + n x per_submission / W is fitted by least squares to the three local runs; its
error is each run's distance from the fit, and the Dask run, not fitted, checks it on a cluster. From it come the
estimates for 200 students on this machine and on k such machines. Everything goes to
benchmarks/results/class_scale.{json,md} and the README's "How fast" paragraphs, all from the one JSON
(``tests/test_build.py`` fails when they drift). About 1.5 hours on 2 cores at the default size.
"""
import argparse
import contextlib
import datetime
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import sample_class
from autograder import ROOT, paths
from autograder.environment import environment
from benchmarks.grading import SEC02, bare_execution
from benchmarks.memory import PeakMemory


RESULTS = ROOT / "benchmarks" / "results"
CLASS_200 = 200  # a CS109B-sized class: what the README's estimate is for
MACHINES = (1, 2, 4, 8)  # the cluster sizes the estimate is given for, in machines like this one


# --- the classes --------------------------------------------------------------------------------

def make_classes(folder, class_size, students=None):
    """(sample class folder, its ids, large class folder, its ids), in nbgrader's submitted/ layout; ``students``
    (ids) keeps only those of the sample class."""
    sample = folder / "sample"
    ids = sample_class.write(sample, [s for s in sample_class.CLASS if students is None or s.id in students])
    large = folder / "large"
    large_ids = []
    for n in range(class_size):
        student = ids[n % len(ids)]
        new_id = f"{student}{n // len(ids) + 1:02d}"
        shutil.copytree(sample / "submitted" / student, large / new_id)
        large_ids.append(new_id)
    return sample / "submitted", ids, large, large_ids


def fresh_course(folder, name, submitted):
    course = sample_class.new_course(folder / name)
    shutil.copytree(submitted, course / "submitted")
    return course


def job_seconds(course, ids):
    """Every student's grading job (nbgrader's autograde and the judge, as the job timed them), summed: what the
    jobs themselves cost, without the batch's own steps or a worker waiting for the last one."""
    summaries = (json.loads(paths.summary(course, SEC02, student).read_text()) for student in ids)
    return sum(sum(summary.get("seconds", {}).values()) for summary in summaries)


def as_expected(course, ids):
    """How many students got exactly their expected points and flag: speed bought with wrong grades is no speed."""
    rows = sample_class.grades(course)
    return sum(sample_class.as_expected(rows.get(student, {}), sample_class.expected(course, student)) for student in ids)


# --- the runs ---------------------------------------------------------------------------------------

def timed(command, cwd):
    """(seconds, memory figures) of a command that must succeed."""
    start = time.perf_counter()
    with PeakMemory() as memory:
        result = subprocess.run(command, cwd=cwd, env=environment(), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return time.perf_counter() - start, memory.figures()


def grade_run(course, ids, name, workers, scheduler=None):
    """One configuration: grade every submission of ``course`` and record what it cost and whether it was right."""
    command = [sys.executable, "-m", "autograder.grade", "--course", str(course), "--submissions",
               str(course / "submitted")]
    command += ["--scheduler", scheduler] if scheduler else ["--workers", str(workers)]
    seconds, memory = timed(command, ROOT)
    return dict(name=name, submissions=len(ids), workers=workers, cluster="dask" if scheduler else "local",
                wall_s=seconds, jobs_s=job_seconds(course, ids), as_expected=as_expected(course, ids), **memory)


@contextlib.contextmanager
def dask_cluster(folder, workers):
    """A scheduler and ``workers`` single-threaded worker processes on this machine, each started by its command."""
    from distributed import Client

    scheduler_file = folder / "scheduler.json"
    bin_dir = pathlib.Path(sys.executable).parent
    env = environment()  # the workers import the grading code installed in this environment, as the README says
    commands = [[str(bin_dir / "dask"), "scheduler", "--scheduler-file", str(scheduler_file), "--no-dashboard",
                 "--host", "127.0.0.1"]]
    processes = [subprocess.Popen(commands[0], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait(scheduler_file.exists, "the Dask scheduler")
        address = json.loads(scheduler_file.read_text())["address"]
        processes.append(subprocess.Popen(
            [str(bin_dir / "dask"), "worker", address, "--nthreads", "1", "--nworkers", str(workers)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=60)


def _wait(ready, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start within {timeout} s")
        time.sleep(0.2)


def regrade_one(course, ids):
    """Seconds, end to end, for the main command to regrade a class in which one student handed in again."""
    student = next(s for s in ids if s.startswith("dan"))  # the blank notebook, now the reference's
    shutil.copy(course / "submitted" / ids[0] / "sec02" / "sec02.ipynb", course / "submitted" / student / "sec02")
    seconds, _ = timed([sys.executable, "-m", "autograder.grade", "--course", str(course), "--submissions",
                        str(course / "submitted"), "--workers", "1"], ROOT)
    return seconds


def measure(folder, class_size, students=None):
    sample, ids, large, large_ids = make_classes(folder, class_size, students)
    student_copy = folder / "student"
    shutil.copytree(ROOT / "release" / "sec02", student_copy)
    shutil.copy(sample / ids[0] / "sec02" / "sec02.ipynb", student_copy / "sec02.ipynb")  # ada: the reference
    figures = {"bare_execution_s": bare_execution(student_copy / "sec02.ipynb")[0], "runs": []}
    for workers in (1, 2):
        course = fresh_course(folder, f"sample-{workers}", sample)
        figures["runs"].append(grade_run(course, ids, "the sample class", workers))
    figures["regrade_one_student_s"] = regrade_one(course, ids)
    course = fresh_course(folder, "large-local", large)
    figures["runs"].append(grade_run(course, large_ids, f"a class of {class_size}", 2))
    course = fresh_course(folder, "large-dask", large)
    with dask_cluster(folder, 2) as address:
        figures["runs"].append(grade_run(course, large_ids, f"a class of {class_size}", 2, scheduler=address))
    course = fresh_course(folder, "large-local-again", large)
    figures["runs"].append(grade_run(course, large_ids, f"a class of {class_size}, again", 2))
    return figures


# --- the cost model -------------------------------------------------------------------------------

def fit(runs):
    """(setup s, seconds per submission on one worker) by least squares over T = setup + n x per / W."""
    import numpy as np

    x = np.array([[1.0, run["submissions"] / run["workers"]] for run in runs])
    t = np.array([run["wall_s"] for run in runs])
    (setup, per), *_ = np.linalg.lstsq(x, t, rcond=None)
    return float(setup), float(per)


def predicted(model, submissions, workers):
    return model["setup_s"] + submissions * model["per_submission_s"] / workers


def cost_model(result):
    """The fitted model, each run's relative error against it, and the 200-student estimates; None with too
    few local runs to fit two numbers and still measure an error: at least two loads (n / W) and three runs."""
    local = [run for run in result["runs"] if run["cluster"] == "local"]
    if len({run["submissions"] / run["workers"] for run in local}) < 2 or len(local) < 3:
        return None
    setup, per = fit(local)
    model = {"setup_s": setup, "per_submission_s": per}
    # In the order of the runs: predicted / measured - 1.
    model["errors"] = [predicted(model, run["submissions"], run["workers"]) / run["wall_s"] - 1 for run in result["runs"]]
    cores = result["cores"]
    model["class_200_s"] = {str(k): predicted(model, CLASS_200, k * cores) for k in MACHINES}  # str: as JSON keeps them
    return model


# --- reports ----------------------------------------------------------------------------------------

def summarise(figures):
    result = dict(figures, date=datetime.date.today().isoformat(), commit=_commit(),
                  machine=platform.processor() or platform.machine(), cores=os.cpu_count(),
                  python=platform.python_version())
    result["model"] = cost_model(result)
    return result


def _commit():
    """The commit measured, marked "+changes" when the working tree differs from it."""
    git = lambda *args: subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: E731
    return git("rev-parse", "--short", "HEAD") + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def _memory(run, key):
    return f"{run[key] / 1024:.2f} GB" if key in run else "not measured"


def _job_memory(run):
    """A job's PSS; runs measured before it was (their processes' resident sizes summed) say so."""
    if "peak_job_rss_sum_mb" in run:
        return f"{run['peak_job_rss_sum_mb'] / 1024:.2f} GB (resident sizes summed)"
    return _memory(run, "peak_job_mb")


def measured_table(result):
    bare = result["bare_execution_s"]
    lines = ["| class | how | wall time | per submission | per submission / bare run | peak memory of one job "
             "| machine's memory, peak rise | grades as expected |", "|---|---|---|---|---|---|---|---|"]
    for run in result["runs"]:
        n, t = run["submissions"], run["wall_s"]
        lines.append(f"| {run['name']} ({n}) | {_how(run)} | {t / 60:.1f} min | {t / n:.1f} s | {t / n / bare:.2f}x | "
                     f"{_job_memory(run)} | {_memory(run, 'peak_machine_rise_mb')} | {run['as_expected']} of {n} |")
    return lines


def _how(run):
    if run["cluster"] == "dask":
        return f"Dask cluster, {run['workers']} worker processes"
    return f"`--workers {run['workers']}`"


def facts_text(result):
    runs = result["runs"]
    one, two = runs[0], runs[1]
    text = (f"Bare execution of the reference notebook (nbclient, no grading): {result['bare_execution_s']:.1f} s. "
            f"On the sample class, 2 workers were {one['wall_s'] / two['wall_s']:.2f}x as fast as 1.")
    if one.get("jobs_s") and two.get("jobs_s"):  # runs measured before the jobs were timed have no such figure
        text += (f" Beside another, a grading job took {two['jobs_s'] / one['jobs_s']:.2f}x its time alone (every "
                 f"student's autograde and judge, summed: {two['jobs_s']:.0f} s on 2 workers, {one['jobs_s']:.0f} s "
                 "on 1); the rest of the distance from 2x is the batch's own steps and a worker waiting for the last "
                 "job.")
    dask = [run for run in runs if run["cluster"] == "dask"]
    twins = [run["wall_s"] for run in runs
             if run["cluster"] == "local" and dask and run["submissions"] == dask[0]["submissions"]]
    if twins:  # the same class graded by 2 local workers, just before and just after the Dask cluster
        text += (f" On {dask[0]['submissions']} submissions, the Dask cluster took "
                 f"{dask[0]['wall_s'] / (sum(twins) / len(twins)):.2f}x the mean time of 2 local workers graded "
                 f"just before and just after it; those two local runs differed by {max(twins) / min(twins) - 1:.0%}.")
    if "regrade_one_student_s" in result:
        text += (f" Regrading a class in which one student handed in again (the main command, end to end: release, "
                 f"grading, export, feedback) took {result['regrade_one_student_s']:.0f} s.")
    return text


WHERE_TIME_GOES = ("Each class's average includes its hostile notebooks (an endless loop, a Grad-CAM that never "
                   "ends, each stopped when its cell runs out of time); where one ordinary submission's time goes is "
                   "in `benchmarks/results/grading.md`.")


def model_text(result):
    model = result["model"]
    if model is None:
        return ["Not fitted: this run has fewer than three local configurations "
                "(`python benchmarks/class_scale.py --class-size 60` adds the large class)."]
    worst = max(abs(e) for e in model["errors"])
    lines = [f"T(n, W) = {model['setup_s']:.0f} s + n x {model['per_submission_s']:.1f} s / W, for n submissions on W "
             "workers (one core and one grading job each), fitted by least squares to the local runs above. "
             "Its error on each run (predicted / measured - 1): "
             + "; ".join(f"{_how(run)}, {run['submissions']} submissions: {error:+.1%}"
                         for run, error in zip(result["runs"], model["errors"]))
             + f" (at most {worst:.1%}). It assumes every worker has a core and the memory of one job, and that the "
             "one process writing the gradebook keeps up.", "",
             f"| {CLASS_200} students | " + " | ".join(f"{k} machine{'s' if k > 1 else ''}" for k in MACHINES) + " |",
             "|---|" + "---|" * len(MACHINES),
             f"| {result['cores']} workers per machine | "
             + " | ".join(f"{model['class_200_s'][str(k)] / 3600:.1f} h" for k in MACHINES) + " |"]
    return lines


def report(result):
    """benchmarks/results/class_scale.md."""
    lines = [f"# What grading a class costs ({result['date']}, {result['cores']} cores, {result['machine']}, "
             f"commit {result['commit']})", "",
             "Measured by `benchmarks/class_scale.py`, one run, one configuration after the other, in the "
             "order of the table.", ""]
    lines += measured_table(result)
    lines += ["", facts_text(result), "", WHERE_TIME_GOES, "", "## Cost model", ""]
    return "\n".join(lines + model_text(result)) + "\n"


README_START, README_END = "**How fast.**", "**Several machines (Dask).**"


def readme_section(result):
    """The README's "How fast" paragraphs, from the same figures."""
    lines = [f"{README_START} Measured by `benchmarks/class_scale.py` on this repository's {result['cores']}-core "
             f"machine (commit {result['commit']}, {result['date']}; `benchmarks/results/class_scale.md`):", ""]
    lines += measured_table(result)
    lines += ["", f"{facts_text(result)} {WHERE_TIME_GOES}", "", "Cost model, from those runs:", ""]
    return "\n".join(lines + model_text(result)) + "\n\n"


def with_readme_section(readme, result):
    start, end = readme.index(README_START), readme.index(README_END)
    return readme[:start] + readme_section(result) + readme[end:]


def write(figures, out=RESULTS):
    result = summarise(figures)
    out.mkdir(parents=True, exist_ok=True)
    (out / "class_scale.json").write_text(json.dumps(result, indent=2) + "\n")
    publish(result, out)


def publish(result, out=RESULTS):
    """class_scale.md in ``out``; and the README's section, when ``out`` is the repository's results."""
    text = report(result)
    (out / "class_scale.md").write_text(text)
    if out == RESULTS:
        readme = ROOT / "README.md"
        readme.write_text(with_readme_section(readme.read_text(), result))
    print(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class-size", type=int, default=60, help="submissions in the large class (default 60)")
    parser.add_argument("--students", help="only these students of the sample class (a,b,c): a trial of the "
                        "benchmark itself, best written elsewhere with --out")
    parser.add_argument("--out", type=pathlib.Path, default=RESULTS, help="where the figures go (default: "
                        "benchmarks/results, and the README)")
    parser.add_argument("--render", action="store_true", help="only write the .md and the README from the .json")
    args = parser.parse_args()
    if args.render:  # the model fitted again: how it is fitted may have changed since the run
        path = args.out / "class_scale.json"
        result = json.loads(path.read_text())
        result["model"] = cost_model(result)
        path.write_text(json.dumps(result, indent=2) + "\n")
        return publish(result, args.out)
    students = args.students.split(",") if args.students else None
    with tempfile.TemporaryDirectory() as tmp:
        write(measure(pathlib.Path(tmp), args.class_size, students), args.out.resolve())


if __name__ == "__main__":
    main()
