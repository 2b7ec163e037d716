"""Benchmark: what the warm-up's grading kernel costs, in memory and time, today against a base commit.

    python benchmarks/warmup_kernel.py [--base b415b9a] [--repeat 3] [--no-grading]

The warm-up (``conv_warmup``) is numpy: its hidden checks need no TensorFlow, though its notebook imports Keras
for its visible checks after the first exercise. Each measurement runs the grading code of the base (its tree from
``git archive``) and of today's tree, each first on the Python path, alternating, ``--repeat`` times:

1. the three hidden checks alone, on the reference answers, in a fresh Python, as the grading kernel runs them
   (the records' folder set, so they record and judge nothing): wall time, peak resident memory (wait4's
   maxrss) and whether TensorFlow was imported;
2. the instructor notebook (the reference answers and the hidden checks in: what a correct student's kernel
   runs when graded), executed bare with nbclient, the records' folder set: wall time, the kernel's peak
   resident memory (VmHWM), and its resident memory after each cell (VmRSS).

Then, for today only, two grading jobs of the warm-up's reference notebook (``autograder/job.py``: nbgrader's
autograde in the sandbox, then the judge), one after the other, the first also computing the release's reference
answers and cell budgets where this machine has none: the peak memory of the job's processes (proportional set
sizes summed, ``benchmarks/memory.py``), which ``WORKER_MEMORY_GB`` in ``assignments/conv_warmup/__init__.py``
is drawn from. Writes benchmarks/results/warmup_kernel.{json,md}.
"""
import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

from autograder.environment import environment
from autograder.hidden import RECORDS
from autograder.job import tensorflow_threads
from benchmarks import host
from benchmarks.notebook_cost import _cell_seconds, _kib, checkout

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ASSIGNMENT = "conv_warmup"
NOTEBOOK = ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"  # the same notebook for both trees
HIDDEN_CHECKS = f"""\
import json, sys, autograder
from autograder import hidden
from solutions import {ASSIGNMENT} as ref
for name in ("output_size", "conv2d", "max_pool2d"):
    hidden.check("{ASSIGNMENT}", name, getattr(ref, name))
print(json.dumps({{"grader": autograder.__file__, "tensorflow": "tensorflow" in sys.modules}}))
"""


def kernel_env(tree, records):
    """What the grading kernel is given (one core, the records' folder), with ``tree``'s grading code first."""
    return environment(**tensorflow_threads(1), **{RECORDS: str(records)}, PYTHONPATH=str(tree))


def hidden_checks(tree, records):
    """The three hidden checks in a fresh Python: seconds, peak RSS (MB), whether TensorFlow was imported."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", HIDDEN_CHECKS], cwd=tree, env=kernel_env(tree, records),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wait4 before reading: the child's own rusage, whose maxrss is its peak resident set.
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    out, err = child.stdout.read(), child.stderr.read()
    if status or err:
        raise RuntimeError(f"the hidden checks failed or wrote to stderr:\n{err[-3000:]}")
    seen = json.loads(out)
    if not seen["grader"].startswith(str(tree)):
        raise RuntimeError(f"the grading code came from {seen['grader']}, not from {tree}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "tensorflow": seen["tensorflow"]}


def notebook_run(tree, records):
    """One nbclient run of the instructor notebook: seconds, the kernel's peak RSS (MB), and per cell its grade_id,
    seconds and RSS after it."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells, peak = [], [0]

    def after_cell(cell, cell_index, execute_reply):
        pid = client.km.provisioner.process.pid
        peak[0] = max(peak[0], _kib(pid, "VmHWM"))
        cells.append({"index": cell_index, "cell": cell.metadata.get("nbgrader", {}).get("grade_id") or
                      cell.source.split("\n")[0][:40], "seconds": _cell_seconds(cell),
                      "rss_mb": _kib(pid, "VmRSS") / 1024})

    client = NotebookClient(nb, timeout=600, kernel_name="python3", on_cell_executed=after_cell,
                            resources={"metadata": {"path": str(records)}})
    start = time.perf_counter()
    client.execute(env=kernel_env(tree, records))
    return {"seconds": time.perf_counter() - start, "peak_rss_mb": peak[0] / 1024, "cells": cells}


def grading_job_peak():
    """Seconds and peak memory (MB, proportional set sizes summed) of one grading job of the warm-up's reference
    notebook, today's code."""
    from autograder import catalogue, gradebook, job, notebooks, sandbox
    from benchmarks.memory import PeakMemory

    warmup = catalogue.get(ASSIGNMENT)
    start = time.perf_counter()
    job._warm(warmup)
    with PeakMemory(interval=0.2) as memory:
        result = job.grade_submission("reference", {warmup.notebook: notebooks.reference_notebook(warmup)},
                                      gradebook.template_gradebook(warmup), ASSIGNMENT,
                                      sandboxed=sandbox.available()[0])
    points = sum(1 for outcome in result.verdict.exercises.values() if outcome.passed)
    return {"seconds": time.perf_counter() - start, "peak_job_mb": memory.figures()["peak_job_mb"],
            "exercises_passed": points}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="b415b9a")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-grading", action="store_true")
    args = parser.parse_args()
    checks, notebooks = {"base": [], "today": []}, {"base": [], "today": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        trees = {"base": checkout(args.base, tmp / "base"), "today": ROOT}
        for i in range(args.repeat):
            for name, tree in trees.items():
                for kind, measure, runs in (("checks", hidden_checks, checks), ("notebook", notebook_run, notebooks)):
                    records = tmp / f"{name}-{kind}-{i}"
                    records.mkdir()
                    runs[name].append(measure(tree, records))
                print(f"{name}: checks {checks[name][-1]['seconds']:.1f} s, {checks[name][-1]['peak_rss_mb']:.0f} MB; "
                      f"notebook {notebooks[name][-1]['seconds']:.1f} s, kernel peak "
                      f"{notebooks[name][-1]['peak_rss_mb']:.0f} MB", file=sys.stderr)
    jobs = None if args.no_grading else [grading_job_peak() for _ in range(2)]
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                 text=True).stdout.strip(),
        "base": args.base, "machine": host.describe(), "repeat": args.repeat,
        "hidden_checks": checks, "notebook": notebooks, "grading_jobs": jobs,
    }
    host.save(result, RESULTS / "warmup_kernel.json", markdown)


def _best(runs):
    return min(runs, key=lambda run: run["seconds"])


def _first_check(run):
    """The kernel's RSS after the first exercise's test cell: its hidden check has run, Keras not yet imported."""
    return next(cell["rss_mb"] for cell in run["cells"] if cell["cell"] == "test_output_size")


def markdown(r):
    checks, notebooks = r["hidden_checks"], r["notebook"]

    def row(what, figure, unit="{:.1f}"):
        return f"| {what} | {unit.format(figure(r_base))} | {unit.format(figure(r_today))} |\n"

    rows = ""
    for r_base, r_today, what, figure, unit in (
            (checks["base"], checks["today"], "the three hidden checks alone: best wall time (s)",
             lambda runs: _best(runs)["seconds"], "{:.2f}"),
            (checks["base"], checks["today"], "the three hidden checks alone: peak resident memory (MB)",
             lambda runs: max(run["peak_rss_mb"] for run in runs), "{:.0f}"),
            (checks["base"], checks["today"], "the hidden checks imported TensorFlow",
             lambda runs: "yes" if any(run["tensorflow"] for run in runs) else "no", "{}"),
            (notebooks["base"], notebooks["today"], "the instructor notebook: best wall time, kernel start included (s)",
             lambda runs: _best(runs)["seconds"], "{:.1f}"),
            (notebooks["base"], notebooks["today"], "every run (s)",
             lambda runs: ", ".join(f"{run['seconds']:.1f}" for run in runs), "{}"),
            (notebooks["base"], notebooks["today"], "the kernel's resident memory after `test_output_size` (MB)",
             lambda runs: max(_first_check(run) for run in runs), "{:.0f}"),
            (notebooks["base"], notebooks["today"], "the kernel's peak resident memory (MB)",
             lambda runs: max(run["peak_rss_mb"] for run in runs), "{:.0f}")):
        rows += row(what, figure, unit)
    cells = "".join(f"| `{b['cell']}` | {b['seconds']:.2f} | {t['seconds']:.2f} | {b['rss_mb']:.0f} | {t['rss_mb']:.0f} |\n"
                    for b, t in zip(_best(notebooks["base"])["cells"], _best(notebooks["today"])["cells"]))
    jobs = r["grading_jobs"]
    job_line = ("" if jobs is None else
                "\nTwo grading jobs of today's warm-up reference notebook, one after the other (autograde in the "
                f"sandbox, then the judge): {jobs[0]['seconds']:.1f} s, the first (with the release's references and "
                f"cell budgets, if this machine had not computed them yet), then {jobs[1]['seconds']:.1f} s. Peak memory "
                "of a job's processes (nbgrader, the kernel, the judge; proportional set sizes summed): "
                f"{jobs[0]['peak_job_mb']} MB, then {jobs[1]['peak_job_mb']} MB; exercises passed: "
                f"{jobs[1]['exercises_passed']} of 3.\n")
    m = r["machine"]
    return (f"# What the warm-up's grading kernel costs: {r['base']} against today\n\n"
            f"Measured {r['date']} (commit {r['commit']}) on {m['cpu_model']} ({m['usable_cpus']} usable cores, "
            f"{m['memory_gib']} GiB, no GPU), in one run: each tree's grading code first on the kernel's Python path, "
            f"{r['repeat']} times each, alternating.\n\n"
            f"| | {r['base']} | today |\n|---|---|---|\n{rows}{job_line}\n"
            "## The instructor notebook's cells (best run of each)\n\n"
            f"| cell | {r['base']} (s) | today (s) | {r['base']}: RSS after (MB) | today: RSS after (MB) |\n"
            f"|---|---|---|---|---|\n{cells}")


if __name__ == "__main__":
    main()
