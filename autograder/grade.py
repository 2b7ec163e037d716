"""Grade a class: the TA's main command.

    python -m autograder.grade                      # the embedded sample class
    python -m autograder.grade --submissions DIR    # a class in nbgrader's layout: DIR/<student>/sec02/sec02.ipynb
    python -m autograder.grade --zip FILE.zip       # a zip of <student>_sec02.ipynb files (nbgrader zip_collect)

Steps, all on nbgrader's own commands and gradebook: build the release (which registers the assignment),
collect the submissions into ``submitted/``, autograde each student whose submission is new or changed,
check each one again outside the student's kernel (``autograder/verify.py``) and write the authoritative
verdict into the gradebook, export the grades to ``grades.csv`` and ``grades_by_exercise.csv``, write
each student's feedback to ``feedback/<student>/sec02/report.html``, and print a table of the class.

Exits non-zero only when the grading machinery itself fails, never because of a student's notebook.
"""
import argparse
import csv
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The sample class imports TensorFlow; these must be set before it is (see source/sec02/cnnlab/__init__.py).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from autograder import feedback  # noqa: E402
from autograder.sample_class import POINTS  # noqa: E402
from autograder.verify import EXERCISES  # noqa: E402

ASSIGNMENT = "sec02"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
MANUAL = ("answer_fmaps", "answer_rotation", "answer_saliency", "answer_tape")
AUTOGRADE_TIMEOUT = 1800  # whole notebook; nbgrader_config.py also limits each cell
VERIFY_TIMEOUT = 1800


class InfrastructureError(RuntimeError):
    """The grading machinery failed (not a student's notebook)."""


def _env():
    """nbgrader must find this Python's alembic, and kernels must get TensorFlow's settings."""
    bin_dir = str(pathlib.Path(sys.executable).parent)
    return dict(os.environ, PATH=os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
                TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="3")


def _link_grading_code(course):
    """The hidden test cells import the grading code from the course root: link it into another root."""
    for name in ("autograder", "solutions", "tools"):
        if not (course / name).exists():
            (course / name).symlink_to(ROOT / name, target_is_directory=True)


def nbgrader(course, *args, timeout=600):
    return subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=ERROR"], cwd=course, env=_env(),
                          capture_output=True, text=True, timeout=timeout)


def _must(result, what):
    if result.returncode != 0:
        raise InfrastructureError(f"{what} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


# --- collecting submissions ----------------------------------------------------------------------

def collect_sample(course):
    from autograder import sample_class

    return sample_class.write(course)


def collect_folder(course, folder):
    folder = pathlib.Path(folder)
    students = sorted(p.parent.parent.name for p in folder.glob(f"*/{ASSIGNMENT}/{NOTEBOOK}"))
    if not students:
        raise SystemExit(f"no submissions in {folder}: expected {folder}/<student>/{ASSIGNMENT}/{NOTEBOOK}")
    if folder.resolve() == (course / "submitted").resolve():
        return students  # already in place: regrade what changed
    for student in students:
        dest = course / "submitted" / student / ASSIGNMENT
        dest.mkdir(parents=True, exist_ok=True)
        for item in (folder / student / ASSIGNMENT).iterdir():
            if item.is_file():
                shutil.copy2(item, dest / item.name)
    return students


def collect_zip(course, archive):
    archive = pathlib.Path(archive)
    if not archive.is_file():
        raise SystemExit(f"no such zip file: {archive}")
    with zipfile.ZipFile(archive) as z:
        if not any(name.endswith(f"_{NOTEBOOK}") for name in z.namelist()):
            raise SystemExit(f"{archive} holds no <student>_{NOTEBOOK} file (nbgrader_config.py's FileNameCollectorPlugin)")
    folder = course / "downloaded" / ASSIGNMENT / "archive"
    shutil.rmtree(course / "downloaded" / ASSIGNMENT, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy2(archive, folder / archive.name)
    _must(nbgrader(course, "zip_collect", ASSIGNMENT, "--force"), "nbgrader zip_collect")
    return sorted(p.parent.parent.name for p in (course / "submitted").glob(f"*/{ASSIGNMENT}/{NOTEBOOK}"))


# --- grading one student -------------------------------------------------------------------------

def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def grade_student(course, student, force=False):
    """Autograde and verify one student unless their submission is unchanged since the last time."""
    submitted = course / "submitted" / student / ASSIGNMENT / NOTEBOOK
    checked = course / "autograded" / student / ASSIGNMENT / "verification"
    summary_path = checked / "summary.json"
    digest = _digest(submitted)
    if not force and summary_path.exists() and json.loads(summary_path.read_text()).get("submission") == digest:
        return json.loads(summary_path.read_text()), False
    try:
        result = nbgrader(course, "autograde", ASSIGNMENT, "--student", student, "--force", timeout=AUTOGRADE_TIMEOUT)
        notes = [] if result.returncode == 0 else [f"nbgrader could not autograde it: {_unreadable(submitted, result)}"]
    except subprocess.TimeoutExpired:
        notes = [f"nbgrader's autograde did not finish within {AUTOGRADE_TIMEOUT} s"]
    checked.mkdir(parents=True, exist_ok=True)
    autograded = course / "autograded" / student / ASSIGNMENT / NOTEBOOK
    verdict = verify(autograded if autograded.exists() else submitted, checked)
    summary = reconcile(course, student, verdict, notes)
    summary["submission"] = digest
    summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    return summary, True


def _unreadable(notebook, result):
    """Why nbgrader failed on a notebook, in a sentence."""
    import nbformat

    try:
        nbformat.validate(nbformat.read(notebook, as_version=4))
    except Exception as err:
        return f"the file is not a valid notebook ({type(err).__name__}: {str(err).splitlines()[0][:200]})"
    lines = [line for line in (result.stdout + result.stderr).splitlines() if "Error" in line and "Please see" not in line]
    return (lines or ["see nbgrader's log"])[-1][:300]


def verify(notebook, out_dir):
    """The verdict of autograder/verify.py, run in its own process; a crash there is the notebook's doing."""
    (out_dir / "verdict.json").unlink(missing_ok=True)
    try:
        result = subprocess.run([sys.executable, "-m", "autograder.verify", str(notebook), "--out", str(out_dir)],
                                cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=VERIFY_TIMEOUT)
        crashed = result.returncode != 0
    except subprocess.TimeoutExpired:
        crashed = True
    verdict_path = out_dir / "verdict.json"
    if crashed or not verdict_path.exists():
        return None
    return json.loads(verdict_path.read_text())


def reconcile(course, student, verdict, notes):
    """Make the verdict outside the kernel the score in the gradebook; flag every disagreement for review."""
    from nbgrader.api import Gradebook, MissingEntry

    flags = list(notes)
    exercises = {}
    with Gradebook(_db_url(course)) as gb:
        grades = {}
        for name in EXERCISES:
            try:
                grades[name] = gb.find_grade(f"test_{name}", NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student)
            except MissingEntry:
                grades[name] = None
        for name, grade in grades.items():
            in_kernel = (grade.auto_score or 0.0) if grade else 0.0
            if verdict is None:  # verification itself died: keep nbgrader's score, a person decides
                exercises[name] = {"points": in_kernel, "message": ""}
                continue
            outcome = verdict["exercises"][name]
            points = float(POINTS[name]) if outcome["passed"] else 0.0
            if points != in_kernel:
                flags.append(f"{name}: nbgrader's test cell gave {in_kernel:g}, the independent check {points:g}")
            if grade is not None:  # set on every run: a regraded submission must not keep an old override
                grade.manual_score = points if points != in_kernel else None
            exercises[name] = {"points": points, "message": outcome["message"]}
        if verdict is None:
            flags.append("the independent check did not finish: nbgrader's scores are kept")
        else:
            flags += [f"notebook {item}" for item in verdict["suspicious"]]
        for grade in grades.values():  # formgrader lists a flagged submission's cells for a person's look
            if grade is not None:
                grade.needs_manual_grade = bool(flags)
        gb.db.commit()
    return {"student": student, "exercises": exercises, "flags": flags,
            "pictures": (verdict or {}).get("pictures", {})}


def _db_url(course):
    return os.environ.get("NBGRADER_DB_URL", f"sqlite:///{course / 'gradebook.db'}")


# --- the class ---------------------------------------------------------------------------------------

def manual_scores(course, student):
    """{question: score or None} of the free-response answers (None: not graded yet)."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(_db_url(course)) as gb:
        for name in MANUAL:
            try:
                grade = gb.find_grade(name, NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student)
                scores[name] = grade.score if not grade.needs_manual_grade else None
            except MissingEntry:
                scores[name] = None
    return scores


def write_csv(course, summaries):
    path = course / "grades_by_exercise.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *EXERCISES, "autograded", "flagged"])
        for s in summaries:
            points = [s["exercises"][name]["points"] for name in EXERCISES]
            writer.writerow([s["student"], *(f"{p:g}" for p in points), f"{sum(points):g}", "yes" if s["flags"] else ""])
    _must(nbgrader(course, "export", "--to", str(course / "grades.csv")), "nbgrader export")


def print_table(summaries):
    short = {name: name.replace("receptive_field", "rf").replace("_answer", "?")[:9] for name in EXERCISES}
    header = f"{'student':8s} " + " ".join(f"{short[n]:>9s}" for n in EXERCISES) + f" {'total':>6s}  review"
    print(header)
    print("-" * len(header))
    for s in summaries:
        points = [s["exercises"][n]["points"] for n in EXERCISES]
        cells = " ".join(f"{p:>4g}/{POINTS[n]:<4d}" for p, n in zip(points, EXERCISES))
        print(f"{s['student']:8s} {cells} {sum(points):>3g}/{sum(POINTS.values())}  {'FLAG' if s['flags'] else ''}")
    print(f"\n{len(summaries)} students; free-response answers ({len(MANUAL)} questions, 8 points) are graded in formgrader.")
    for s in summaries:
        for flag in s["flags"]:
            print(f"  review {s['student']}: {flag}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--submissions", help="a folder in nbgrader's layout: <student>/sec02/sec02.ipynb")
    source.add_argument("--zip", help="a zip of <student>_sec02.ipynb notebooks")
    parser.add_argument("--course", default=str(ROOT), help="the nbgrader course root (default: this repository)")
    parser.add_argument("--force", action="store_true", help="regrade every student, changed or not")
    args = parser.parse_args(argv)
    course = pathlib.Path(args.course).resolve()
    try:
        _link_grading_code(course)
        _must(nbgrader(course, "generate_assignment", ASSIGNMENT, "--force"), "nbgrader generate_assignment")
        if args.submissions:
            students = collect_folder(course, args.submissions)
        elif args.zip:
            students = collect_zip(course, args.zip)
        else:
            students = collect_sample(course)
        summaries = []
        for student in sorted(students):
            summary, graded = grade_student(course, student, force=args.force)
            print(f"{'graded' if graded else 'unchanged'}: {student}", flush=True)
            summaries.append(summary)
        write_csv(course, summaries)
        for summary in summaries:
            feedback.write_report(course, summary, manual_scores(course, summary["student"]))
        print_table(summaries)
    except (InfrastructureError, OSError, subprocess.TimeoutExpired) as err:
        print(f"grading failed: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
