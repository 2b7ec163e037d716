"""Benchmark: where one submission's grading time goes, on this machine.

    python -m benchmarks.grading [--repeat 3]

For the reference student's notebook (the release with every solution filled in), measures
1. its bare execution with nbclient, top to bottom (no grading): the time a student waits;
2. one grading job, as the batch grades a submission alone (``autograder/job.py``, sandboxed where the sandbox can
   run, TensorFlow on every core): nbgrader's ``autograde``,
   whose hidden test cells record the answers on the grading inputs, then the judge (``autograder/verify.py``);
   the recording is read off the cells' own timings (test cells graded, minus the same cells run bare);
3. writing the result into the course's gradebook (``grade.write_graded``);
4. the peak memory of the grading job (nbgrader, the kernel, the judge: their proportional set sizes summed,
   ``benchmarks/memory.py``);
and, once per worker, computing or finding the reference answers and the data cache. Writes the figures,
their ratios and the machine to benchmarks/results/grading.{json,md}. Timings on a shared machine are noisy:
compare the ratios of one run, not absolute times across runs.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import shutil
import subprocess
import tempfile
import time

import sample_class
from autograder import catalogue, grade, gradebook, job, sandbox, workers
from autograder.environment import environment, run_nbgrader
from benchmarks.memory import PeakMemory

ROOT = pathlib.Path(__file__).resolve().parents[1]

RESULTS = ROOT / "benchmarks" / "results"
SEC02 = catalogue.get("sec02")  # the assignment measured: the sample class's


def bare_execution(notebook_path):
    """(seconds, the executed notebook) of one plain nbclient run, kernel start included."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook_path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook_path.parent)}}).execute(env=environment())
    return time.perf_counter() - start, nb


def test_cell_seconds(nb):
    """Seconds spent in nbgrader's test cells, from the timings nbclient writes into each cell."""
    total = 0.0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        timing = cell.metadata.get("execution", {})
        if meta.get("grade") and cell.cell_type == "code" and "shell.execute_reply" in timing:
            start, end = (datetime.datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                          for k in ("iopub.status.busy", "shell.execute_reply"))
            total += (end - start).total_seconds()
    return total


def measure(workdir):
    import nbformat

    course = sample_class.new_course(workdir / "course")
    sample_class.write(workdir / "class", [sample_class.CLASS[0]])
    submitted = workdir / "class" / "submitted" / "ada" / SEC02.name / SEC02.notebook

    student_copy = workdir / "student"  # the student's view: the release folder with the filled notebook
    shutil.copytree(SEC02.release, student_copy)
    shutil.copy(submitted, student_copy / SEC02.notebook)
    bare, bare_nb = bare_execution(student_copy / SEC02.notebook)

    start = time.perf_counter()
    job._warm(SEC02)  # once per worker; a no-op afterwards
    warm = time.perf_counter() - start
    run_nbgrader("generate_assignment", SEC02.name, "--force", cwd=course, check=True)
    template = gradebook.template(course, SEC02)
    with PeakMemory() as memory:
        # as the batch grades a submission alone: TensorFlow on every core of the machine, as in the bare run
        result = job.grade_submission("ada", {SEC02.notebook: submitted.read_bytes()}, template, SEC02.name,
                                      sandboxed=sandbox.available()[0],
                                      threads=workers.threads_per_job(len(os.sched_getaffinity(0)), 1, 1))
    graded_nb = nbformat.reads(result.files[SEC02.notebook].decode(), as_version=4)
    start = time.perf_counter()
    summary = grade.write_graded(course, SEC02, result, [])
    gradebook_s = time.perf_counter() - start
    return {"bare_execution_s": bare, "autograde_s": result.seconds["autograde"],
            "recording_s": test_cell_seconds(graded_nb) - test_cell_seconds(bare_nb),
            "judge_s": result.seconds["judge"], "gradebook_s": gradebook_s, "once_per_worker_s": warm,
            "peak_job_mb": memory.figures()["peak_job_mb"], "points": summary.total}


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(measure(pathlib.Path(tmp)))
    best = {key: min(run[key] for run in runs) for key in runs[0]}
    best["once_per_worker_s"] = runs[0]["once_per_worker_s"]  # later runs in this process find it done
    best["peak_job_mb"] = max(run["peak_job_mb"] for run in runs)  # memory: the largest, not the best
    per_submission = best["autograde_s"] + best["judge_s"] + best["gradebook_s"]
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                 text=True).stdout.strip(),
        "machine": machine(), "sandboxed": sandbox.available()[0], "runs": runs, "best_s": best,
        "grading_per_submission_s": per_submission,
        "grading_over_bare": per_submission / best["bare_execution_s"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "grading.json").write_text(json.dumps(result, indent=2) + "\n")
    execution = best["autograde_s"] - best["recording_s"]
    (RESULTS / "grading.md").write_text(
        f"# Where one submission's grading time goes\n\nMeasured {result['date']} (commit {result['commit']}) on "
        f"{result['machine']['cpu']} ({result['machine']['cores']} cores), the reference student, best of "
        f"{args.repeat} runs{', sandboxed' if result['sandboxed'] else ''}.\n\n"
        "| step | seconds |\n|---|---|\n"
        f"| the filled release notebook, executed bare with nbclient (what the student waits) | {best['bare_execution_s']:.1f} |\n"
        f"| nbgrader `autograde` less the recording: the notebook's own cells, nbgrader, the sandbox | {execution:.1f} |\n"
        f"| the hidden test cells, recording the answers on the grading inputs | {best['recording_s']:.1f} |\n"
        f"| the judge, outside the kernel (reference answers read from the cache) | {best['judge_s']:.1f} |\n"
        f"| writing the gradebook (the batch) | {best['gradebook_s']:.2f} |\n"
        f"| grading per submission (autograde + judge + gradebook) | {per_submission:.1f} |\n"
        f"| once per worker: finding (or making) the data cache and the reference answers | {best['once_per_worker_s']:.1f} |\n\n"
        f"Peak memory of the grading job (nbgrader, the sandboxed kernel, the judge; proportional set sizes "
        f"summed): {best['peak_job_mb'] / 1024:.2f} GB.\n\n"
        f"Grading / bare execution = {result['grading_over_bare']:.2f}. The reference student scored "
        f"{best['points']:g} / {sum(SEC02.exercises.values())}.\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
