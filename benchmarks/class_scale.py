"""Benchmark: grading a whole class, serial nbgrader against ``autograder.grade`` with 1 and 2 workers.

    python benchmarks/class_scale.py [--submissions 40] [--no-serial]
    python benchmarks/class_scale.py --render     # class_scale.md and the README from class_scale.json again

The sample class (``sample_class/``), repeated until it has ``--submissions`` students
(ada01, ben01, ..., ada02, ...), is graded three times, each in a fresh scratch course, one after the
other in this one run:
1. plain ``nbgrader autograde sec02``: nbgrader's own serial loop, kernels unsandboxed, judged in the kernel
   (skipped with ``--no-serial``);
2. ``python -m autograder.grade --workers 1``: sandboxed kernels, the judge outside them, one writer;
3. the same with ``--workers 2``.
It also times one bare execution of the reference notebook (nbclient, no grading), and writes wall
times, per-submission costs, the speedup of 2 workers over 1, and a cost model for 300 and 3,000
submissions to benchmarks/results/class_scale.{json,md} and the README's "How fast" paragraphs, all three
from the one JSON (``tests/test_build.py`` fails when they drift). Compare ratios within one run: these
machines are shared and noisy.
"""
import argparse
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

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sample_class  # noqa: E402
from benchmarks.grading import _env, bare_execution  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def make_class(folder, submissions):
    """``submissions`` notebooks in nbgrader's layout: the sample class, repeated under numbered ids."""
    once = folder / "once"
    sample_class.write(once)
    students = sorted(p.name for p in (once / "submitted").iterdir())
    ids = []
    for n in range(submissions):
        student = students[n % len(students)]
        new_id = f"{student}{n // len(students) + 1:02d}"
        shutil.copytree(once / "submitted" / student, folder / "class" / new_id)
        ids.append(new_id)
    return folder / "class", ids


def fresh_course(folder, name, submissions, link_grading_code=False):
    course = sample_class.new_course(folder / name)
    if link_grading_code:  # plain nbgrader: the hidden test cells import the checks from the course root
        for part in ("autograder", "solutions"):
            (course / part).symlink_to(ROOT / part)
    shutil.copytree(submissions, course / "submitted")
    return course


def timed(command, cwd, may_fail=False):
    """Seconds a command took; nbgrader's own loop exits 1 when any notebook failed (the broken ones do)."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True)
    if result.returncode != 0 and not may_fail:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return time.perf_counter() - start


def measure(folder, submissions, serial=True):
    submitted, ids = make_class(folder, submissions)
    student_copy = folder / "student"
    shutil.copytree(ROOT / "release" / "sec02", student_copy)
    shutil.copy(submitted / ids[0] / "sec02" / "sec02.ipynb", student_copy / "sec02.ipynb")  # ada: the reference
    figures = {"submissions": len(ids), "bare_execution_s": bare_execution(student_copy / "sec02.ipynb")[0]}

    nbgrader = [sys.executable, "-m", "nbgrader"]
    if serial:
        course = fresh_course(folder, "serial", submitted, link_grading_code=True)
        timed(nbgrader + ["generate_assignment", "sec02", "--force"], course)
        figures["serial_nbgrader_s"] = timed(nbgrader + ["autograde", "sec02", "--force"], course, may_fail=True)
        figures["serial_nbgrader_autograded"] = len(list(course.glob("autograded/*/sec02/sec02.ipynb")))
    for workers in (1, 2):
        course = fresh_course(folder, f"workers{workers}", submitted)
        figures[f"grade_{workers}_workers_s"] = timed(
            [sys.executable, "-m", "autograder.grade", "--course", str(course), "--submissions",
             str(course / "submitted"), "--workers", str(workers)], ROOT)
        figures[f"grade_{workers}_workers_as_expected"] = as_expected(course, ids)
    figures["regrade_one_student_s"] = regrade_one(course, ids)
    return figures


def as_expected(course, ids):
    """How many students got exactly their expected points and flag: speed bought with wrong grades is no speed."""
    rows = sample_class.grades(course)
    return sum(sample_class.as_expected(rows.get(student, {}), sample_class.expected(course, student)) for student in ids)


def regrade_one(course, ids):
    """Seconds, end to end, for the main command to regrade a class in which one student handed in again."""
    student = next(s for s in ids if s.startswith("dan"))  # the blank notebook, now the reference's
    shutil.copy(course / "submitted" / ids[0] / "sec02" / "sec02.ipynb", course / "submitted" / student / "sec02")
    return timed([sys.executable, "-m", "autograder.grade", "--course", str(course), "--submissions",
                  str(course / "submitted"), "--workers", "1"], ROOT)


def cost_model(figures):
    """Wall time for N submissions on W workers: N * (seconds per submission on 1 worker) / (W * efficiency)."""
    n = figures["submissions"]
    per_submission = figures["grade_1_workers_s"] / n
    efficiency = figures["grade_1_workers_s"] / (2 * figures["grade_2_workers_s"])
    model = {}
    for total in (300, 3000):
        for workers in (1, 2, 16, 64):
            model[f"{total}_on_{workers}"] = total * per_submission / (workers * (efficiency if workers > 1 else 1))
    return per_submission, efficiency, model


def summarise(figures):
    """The measured figures, with the machine they came from, the speedup and the cost model."""
    per_submission, efficiency, model = cost_model(figures)
    return dict(figures, date=datetime.date.today().isoformat(), commit=_commit(),
                machine=platform.processor() or platform.machine(),
                cores=os.cpu_count(), python=platform.python_version(), seconds_per_submission_1_worker=per_submission,
                speedup_2_over_1=figures["grade_1_workers_s"] / figures["grade_2_workers_s"],
                parallel_efficiency=efficiency, model_s=model)


def _commit():
    """The commit measured, marked "+changes" when the working tree differs from it."""
    git = lambda *args: subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: E731
    return git("rev-parse", "--short", "HEAD") + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def _provenance(result):
    return f", commit {result['commit']}" if "commit" in result else ""


def measured_table(result):
    n, bare = result["submissions"], result["bare_execution_s"]
    rows = [("serial `nbgrader autograde` (no sandbox, judged in the kernel)", result["serial_nbgrader_s"])
            ] if "serial_nbgrader_s" in result else []
    rows += [("`autograder.grade --workers 1`", result["grade_1_workers_s"]),
            ("`autograder.grade --workers 2`", result["grade_2_workers_s"])]
    return (["| how | wall time | per submission | per submission / bare run |", "|---|---|---|---|"]
            + [f"| {how} | {t / 60:.1f} min | {t / n:.1f} s | {t / n / bare:.2f}x |" for how, t in rows])


def model_text(result):
    model = result["model_s"]
    lines = [f"T(N, W) = N x {result['seconds_per_submission_1_worker']:.1f} s / (W x {result['parallel_efficiency']:.2f}) "
             "for W > 1 workers (one core each), from the figures above; it assumes the efficiency measured at 2 "
             "workers holds at W, that each worker has a core and about 3 GB of memory, and that the one process "
             "writing the gradebook keeps up with the workers (not measured beyond 2).", "",
             "| submissions | 1 worker | 2 workers | 16 workers | 64 workers |", "|---|---|---|---|---|"]
    for total in (300, 3000):
        lines.append(f"| {total} | " + " | ".join(f"{model[f'{total}_on_{w}'] / 3600:.1f} h" for w in (1, 2, 16, 64)) + " |")
    return lines


def grades_text(result):
    n = result["submissions"]
    return (f"every student's points and flag equalled their `expected.json` for {result['grade_1_workers_as_expected']} "
            f"of {n} with 1 worker and {result['grade_2_workers_as_expected']} of {n} with 2")


WHERE_TIME_GOES = ("The class's average includes its hostile notebooks (an endless loop, a Grad-CAM that never ends: "
                   "each runs 120 s before its cell is stopped); where one ordinary submission's time goes is in "
                   "`benchmarks/results/grading.md`.")


def _serial_text(result):
    if "serial_nbgrader_s" not in result:
        return "Serial nbgrader was not run this time (`--no-serial`). "
    return (f"Serial nbgrader autograded {result['serial_nbgrader_autograded']} of the {result['submissions']} "
            "notebooks (it cannot read the broken ones); ")


def _regrade_text(result):
    if "regrade_one_student_s" not in result:
        return ""
    return (f" Regrading a class in which one student handed in again (the main command, end to end: release, "
            f"grading, export, feedback) took {result['regrade_one_student_s']:.0f} s.")


def report(result):
    """benchmarks/results/class_scale.md."""
    n = result["submissions"]
    lines = [f"# Grading a class of {n} submissions ({result['date']}, {result['cores']} cores, {result['machine']}"
             f"{_provenance(result)})", "",
             "Measured by `benchmarks/class_scale.py`, one run, one configuration after the other.", ""]
    lines += measured_table(result)
    lines += ["", f"Bare execution of the reference notebook (nbclient, no grading): {result['bare_execution_s']:.1f} s. "
              f"{_serial_text(result)}`autograder.grade` graded all of them, each judged outside its kernel; "
              f"{grades_text(result)}.",
              f"Speedup of 2 workers over 1: {result['speedup_2_over_1']:.2f}x (parallel efficiency "
              f"{result['parallel_efficiency']:.2f}).{_regrade_text(result)}", "",
              WHERE_TIME_GOES, "", "## Cost model", ""]
    return "\n".join(lines + model_text(result)) + "\n"


README_START, README_END = "**How fast.**", "**Several machines (Dask).**"


def readme_section(result):
    """The README's "How fast" paragraphs, from the same figures."""
    lines = [f"{README_START} Measured by `benchmarks/class_scale.py` on this repository's {result['cores']}-core "
             f"machine ({result['submissions']} submissions, the sample class{_provenance(result)}; "
             "`benchmarks/results/class_scale.md`):", ""]
    lines += measured_table(result)
    formula, *table = model_text(result)
    lines += ["", f"In the same run {grades_text(result)}; 2 workers were {result['speedup_2_over_1']:.2f}x faster "
              f"than 1. Bare execution of the reference notebook took {result['bare_execution_s']:.1f} s."
              f"{_regrade_text(result)} {WHERE_TIME_GOES}", "",
              "Cost model, from those figures: " + formula]
    return "\n".join(lines + table) + "\n\n"


def with_readme_section(readme, result):
    start, end = readme.index(README_START), readme.index(README_END)
    return readme[:start] + readme_section(result) + readme[end:]


def write(figures):
    result = summarise(figures)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "class_scale.json").write_text(json.dumps(result, indent=2) + "\n")
    publish(result)


def publish(result):
    text = report(result)
    (RESULTS / "class_scale.md").write_text(text)
    readme = ROOT / "README.md"
    readme.write_text(with_readme_section(readme.read_text(), result))
    print(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--no-serial", action="store_true", help="skip plain nbgrader's serial loop (the baseline)")
    parser.add_argument("--render", action="store_true", help="only write the .md and the README from the .json")
    args = parser.parse_args()
    if args.render:
        return publish(json.loads((RESULTS / "class_scale.json").read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        write(measure(pathlib.Path(tmp), args.submissions, serial=not args.no_serial))


if __name__ == "__main__":
    main()
