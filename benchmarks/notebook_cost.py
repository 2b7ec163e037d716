"""Benchmark: what the filled release notebook costs, in time and in memory, today against a base commit.

    python benchmarks/notebook_cost.py [--base 4f1a284] [--repeat 2] [--no-grading]

The filled release is the student copy with every solution filled in (the reference student of the
sample class), each from its own commit: the base's from ``git archive <base>`` (its release folder and
sample class), today's from this tree. Both are executed bare with nbclient, alternating, ``--repeat``
times each; each run records its wall time, every cell's time and the kernel's resident memory after every
cell, and its peak (the kernel's VmHWM). Then two grading jobs of today's reference student
(``autograder/job.py``: nbgrader's autograde in the sandbox, then the judge), one after the other, each in a
child process whose peak resident memory is the largest of any process it started (the kernel, nbgrader, the
judge): the first also computes the release's references and cell budgets where this machine has none yet.
Writes benchmarks/results/notebook_cost.{json,md}.
"""
import argparse
import datetime
import io
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

from autograder.environment import environment
from benchmarks import host

ROOT = pathlib.Path(__file__).resolve().parents[1]

RESULTS = ROOT / "benchmarks" / "results"
NOTEBOOK = "sec02.ipynb"
# Cells named in the summary: the expensive ones, found by a line of their source.
LANDMARKS = {"data": "DATA_SOURCE = ", "accuracy": "test_sets = {", "rotations": "test_images, test_labels",
             "SmoothGrad figures": "for i in range(3):\n    saliency_graphs", "pointing table": "pointing.pointing_table(",
             "DeepDream": "start = data[", "sanity check": "copies = maps.randomised_copies"}


def filled_release(tree, out):
    """The release folder of ``tree`` with the reference student's notebook in it: ``out / NOTEBOOK``."""
    shutil.copytree(tree / "release" / "sec02", out)
    script = ("import pathlib, sys, sample_class; "
              "sample_class.write(pathlib.Path(sys.argv[1]), [sample_class.CLASS[0]])")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-c", script, tmp], cwd=tree, env=environment(), check=True, capture_output=True)
        shutil.copy(pathlib.Path(tmp) / "submitted" / "ada" / "sec02" / NOTEBOOK, out / NOTEBOOK)
    return out / NOTEBOOK


def checkout(commit, folder):
    """The tree of ``commit`` written into ``folder`` (git archive: no worktree to register or clean up)."""
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def _kib(pid, field):
    """A VmRSS or VmHWM line of /proc/<pid>/status, in KiB (0 when the process is gone)."""
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def bare_run(notebook_path):
    """One nbclient run: wall seconds, the kernel's peak RSS (MB), and per cell its seconds and RSS after it."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook_path, as_version=4)
    cells, peak = [], [0]

    def after_cell(cell, cell_index, execute_reply):
        pid = client.km.provisioner.process.pid
        peak[0] = max(peak[0], _kib(pid, "VmHWM"))
        cells.append({"index": cell_index, "first_line": cell.source.split("\n")[0][:60],
                      "seconds": _cell_seconds(cell), "rss_mb": _kib(pid, "VmRSS") / 1024,
                      "peak_so_far_mb": peak[0] / 1024,
                      "landmark": next((name for name, marker in LANDMARKS.items()
                                        if marker in cell.source), None)})

    client = NotebookClient(nb, timeout=600, kernel_name="python3", on_cell_executed=after_cell,
                            resources={"metadata": {"path": str(notebook_path.parent)}})
    start = time.perf_counter()
    client.execute(env=environment())
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "in_cells_s": sum(c["seconds"] for c in cells), "peak_rss_mb": peak[0] / 1024,
            "cells": cells}


def _cell_seconds(cell):
    timing = cell.metadata.get("execution", {})
    if "shell.execute_reply" not in timing:
        return 0.0
    start, end = (datetime.datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                  for k in ("iopub.status.busy", "shell.execute_reply"))
    return (end - start).total_seconds()


def grading_job_peak(workdir):
    """Seconds and peak RSS (MB) of one grading job of today's reference student, in a child process: the
    largest resident set of any process of the job (the kernel, nbgrader, the judge), from wait4."""
    import sample_class

    sample_class.write(workdir / "class", [sample_class.CLASS[0]])
    submitted = workdir / "class" / "submitted" / "ada" / "sec02" / NOTEBOOK
    script = ("import pathlib, sys; "
              "from autograder import catalogue, gradebook, job, sandbox; sec02 = catalogue.get('sec02'); "
              "job._warm(sec02); "
              "r = job.grade_submission('ada', {sec02.notebook: pathlib.Path(sys.argv[1]).read_bytes()}, "
              "gradebook.template_gradebook(sec02), 'sec02', sandboxed=sandbox.available()[0])")
    log = workdir / "job.log"
    start = time.perf_counter()
    with open(log, "w") as out:
        child = subprocess.Popen([sys.executable, "-c", script, str(submitted)], cwd=ROOT, env=environment(),
                                 stdout=out, stderr=subprocess.STDOUT)
        # wait4: the child's own rusage, whose maxrss is the largest of it and its waited-for descendants.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if status:
        raise RuntimeError(f"the grading job failed:\n{log.read_text()[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024}


def landmark_seconds(run):
    return {c["landmark"]: c["seconds"] for c in run["cells"] if c["landmark"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="4f1a284")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-grading", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        base_tree = checkout(args.base, tmp / "base-tree")
        notebooks = {"base": filled_release(base_tree, tmp / "base"), "today": filled_release(ROOT, tmp / "today")}
        runs = {"base": [], "today": []}
        for _ in range(args.repeat):
            for name, path in notebooks.items():
                runs[name].append(bare_run(path))
                print(f"{name}: {runs[name][-1]['seconds']:.1f} s, kernel peak {runs[name][-1]['peak_rss_mb']:.0f} MB",
                      file=sys.stderr)
        # Twice: the first grading of a release on this machine also computes its references and cell budgets,
        # the second finds them cached, as every later job of a class does.
        job = None if args.no_grading else [grading_job_peak(tmp / f"grading-{i}") for i in (1, 2)]
    best = {name: min(r, key=lambda run: run["seconds"]) for name, r in runs.items()}
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                 text=True).stdout.strip(),
        "base": args.base, "machine": host.describe(), "repeat": args.repeat,
        "bare_s": {name: [r["seconds"] for r in rs] for name, rs in runs.items()},
        "best_bare_s": {name: b["seconds"] for name, b in best.items()},
        "ratio_today_over_base": best["today"]["seconds"] / best["base"]["seconds"],
        "kernel_peak_rss_mb": {name: max(r["peak_rss_mb"] for r in rs) for name, rs in runs.items()},
        "landmark_s": {name: landmark_seconds(b) for name, b in best.items()},
        "grading_jobs": job, "runs": runs,
    }
    host.save(result, RESULTS / "notebook_cost.json", markdown)


def _seconds(landmarks, name):
    return f"{landmarks[name]:.1f}" if name in landmarks else "(no such cell)"


def markdown(r):
    base, today = r["landmark_s"]["base"], r["landmark_s"]["today"]
    rows = "".join(f"| {name} | {_seconds(base, name)} | {_seconds(today, name)} |\n" for name in LANDMARKS)
    memory = "".join(f"| {c['index']} | `{c['first_line']}` | {c['rss_mb']:.0f} |\n"
                     for c in min(r["runs"]["today"], key=lambda run: run["seconds"])["cells"]
                     if c["landmark"] or c["index"] in (2,))
    jobs = r["grading_jobs"]
    job_line = ("" if jobs is None else
                "\nTwo grading jobs of today's reference student, one after the other (autograde in the sandbox, then "
                f"the judge; the worker's start-up included): {jobs[0]['seconds']:.1f} s, the first (with the release's "
                f"references and cell budgets, if this machine had not computed them yet), then {jobs[1]['seconds']:.1f} s "
                "(cached). Peak resident memory of a job's largest process (the kernel, nbgrader, the judge or the "
                f"worker itself; wait4's maxrss): {jobs[0]['peak_rss_mb']:.0f} MB, then {jobs[1]['peak_rss_mb']:.0f} MB.\n")
    m = r["machine"]
    return (f"# What the filled release notebook costs: {r['base']} against today\n\n"
            f"Measured {r['date']} (commit {r['commit']}) on {m['cpu_model']} ({m['usable_cpus']} usable cores, "
            f"{m['memory_gib']} GiB), in one run: each notebook executed bare with nbclient {r['repeat']} times, "
            "alternating; best run of each.\n\n"
            f"| | {r['base']} | today |\n|---|---|---|\n"
            f"| bare run, best (s) | {r['best_bare_s']['base']:.1f} | {r['best_bare_s']['today']:.1f} |\n"
            f"| every run (s) | {', '.join(f'{s:.1f}' for s in r['bare_s']['base'])} | "
            f"{', '.join(f'{s:.1f}' for s in r['bare_s']['today'])} |\n"
            f"| kernel peak resident memory (MB) | {r['kernel_peak_rss_mb']['base']:.0f} | "
            f"{r['kernel_peak_rss_mb']['today']:.0f} |\n\n"
            f"Today / {r['base']}: **{r['ratio_today_over_base']:.2f}x** the bare run.\n{job_line}\n"
            f"## The expensive cells (seconds, best run)\n\n| cell | {r['base']} | today |\n|---|---|---|\n{rows}\n"
            "## The kernel's resident memory after some of today's cells (MB)\n\n"
            f"| cell | first line | RSS after |\n|---|---|---|\n{memory}")


if __name__ == "__main__":
    main()
