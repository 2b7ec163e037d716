"""Benchmark: what one submission costs to run and to grade, on this machine.

    python benchmarks/grading.py [--repeat 2]

For the reference student's notebook (the release with every solution filled in), measures
1. its bare execution with nbclient, top to bottom (no grading): the time a student waits;
2. ``nbgrader autograde`` of it in a scratch course (execution plus the hidden checks);
3. the independent check outside the kernel: the probes of the student's answers (``autograder/probes.py``),
   then the judge (``autograder/verify.py``);
and writes the figures, their ratios and the machine to benchmarks/results/grading.{json,md}.
Timings on a shared machine are noisy: compare the ratios of one run, not absolute times across runs.
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

from autograder import sample_class  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def _env():
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]),
               TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("MPLBACKEND", None)
    return env


def bare_execution(notebook_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook_path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook_path.parent)}}).execute(env=_env())
    return time.perf_counter() - start


def _timed(args, cwd):
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=_env(), check=True, capture_output=True)
    return time.perf_counter() - start


def measure(workdir):
    course = sample_class.new_course(workdir / "course")
    for name in ("autograder", "solutions", "tools"):
        (course / name).symlink_to(ROOT / name)
    sample_class.write(course, [sample_class.CLASS[0]])
    submitted = course / "submitted" / "ada" / "sec02" / "sec02.ipynb"

    # the student's view: the release folder with the filled notebook
    student_copy = workdir / "student"
    shutil.copytree(ROOT / "release" / "sec02", student_copy)
    shutil.copy(submitted, student_copy / "sec02.ipynb")
    bare = bare_execution(student_copy / "sec02.ipynb")

    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run(nbgrader + ["generate_assignment", "sec02", "--force"], cwd=course, env=_env(), check=True,
                   capture_output=True)
    autograde = _timed(nbgrader + ["autograde", "sec02", "--student", "ada", "--force"], course)
    autograded = course / "autograded" / "ada" / "sec02" / "sec02.ipynb"
    records = workdir / "probes"
    records.mkdir()
    probes = _timed([sys.executable, "-m", "autograder.probes", str(autograded), "--out", str(records)], ROOT)
    judge = _timed([sys.executable, "-m", "autograder.verify", str(autograded), "--probes", str(records),
                    "--out", str(workdir / "v")], ROOT)
    return {"bare_execution_s": bare, "nbgrader_autograde_s": autograde, "probes_s": probes, "judge_s": judge,
            "independent_check_s": probes + judge}


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(measure(pathlib.Path(tmp)))
    best = {key: min(run[key] for run in runs) for key in runs[0]}
    per_submission = best["nbgrader_autograde_s"] + best["independent_check_s"]
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), "runs": runs, "best_s": best,
        "grading_per_submission_s": per_submission,
        "autograde_over_bare": best["nbgrader_autograde_s"] / best["bare_execution_s"],
        "grading_over_bare": per_submission / best["bare_execution_s"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "grading.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "grading.md").write_text(
        f"# Grading one submission\n\nMeasured {result['date']} on {result['machine']['cpu']} "
        f"({result['machine']['cores']} cores), best of {args.repeat} runs.\n\n"
        "| step | seconds |\n|---|---|\n"
        f"| the filled release notebook, executed bare with nbclient | {best['bare_execution_s']:.1f} |\n"
        f"| `nbgrader autograde` (execution + hidden checks in the kernel) | {best['nbgrader_autograde_s']:.1f} |\n"
        f"| independent check outside the kernel: the probes, then the judge | {best['probes_s']:.1f} + "
        f"{best['judge_s']:.1f} = {best['independent_check_s']:.1f} |\n"
        f"| grading per submission (the two above) | {per_submission:.1f} |\n\n"
        f"Ratios: autograde / bare = {result['autograde_over_bare']:.2f}; "
        f"grading / bare = {result['grading_over_bare']:.2f}.\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
