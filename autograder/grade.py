"""Grade a class: the TA's main command.

    python -m autograder.grade                      # the embedded sample class
    python -m autograder.grade --submissions DIR    # a class in nbgrader's layout: DIR/<student>/sec02/sec02.ipynb
    python -m autograder.grade --zip FILE.zip       # a zip of <student>_sec02.ipynb files (nbgrader zip_collect)
    options: --workers N or auto (the default: one per core, as many as the free memory holds),
             --scheduler tcp://HOST:8786 (a Dask cluster), --students a,b,
             --roster FILE.csv (id, first_name, last_name, email: the names formgrader shows)

Steps, all on nbgrader's own commands and gradebook: build the release (which registers the assignment),
collect the submissions into ``submitted/``, grade each student whose submission is new or changed
(``autograder/job.py``: nbgrader's autograde with the kernel in a sandbox, where the hidden test cells record
the answers, then the judge outside the kernel), in parallel, and write each result into the gradebook as it
arrives (this process is its only writer), with the judge's verdict as the score; export the grades to ``grades.csv`` and
``grades_by_exercise.csv``, write each student's feedback to ``feedback/<student>/sec02/report.html``, and
print a table of the class.

A student is done once ``autograded/<student>/sec02/verification/summary.json`` records their graded
submission: a batch that is stopped, however, loses nothing done, and the next run grades the rest.
Exits non-zero only when the grading machinery itself fails (a submission it could not grade, after a
retry, is listed as an error; an exercise on which the judge itself failed is flagged and judged again by the
next run), never because of a student's notebook.
"""
import argparse
import contextlib
import csv
import datetime
import fcntl
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# nbgrader's Gradebook.update_or_create_submission builds a submission's notebooks, grades and comments before it
# adds them to its session, and SQLAlchemy warns at each step ("SAWarning: Object of type <SubmittedNotebook> not
# in session, add operation along 'Notebook.submissions' will not proceed"); the whole submission is added and
# committed right after. Harmless, and nothing the TA can act on: kept off the TA's console.
warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session, add operation along",
                        module=r"nbgrader\.api")

from autograder import feedback, sandbox, workers  # noqa: E402
from autograder.catalogue import ASSIGNMENT, EXERCISES, NOTEBOOK, QUESTIONS, SOLUTION_CELL, test_cell  # noqa: E402
from autograder.environment import environment, run_nbgrader  # noqa: E402
from autograder.job import AUTOGRADE_TIMEOUT, InfrastructureError, digest, write_atomically  # noqa: E402


def nbgrader(course, *args, timeout=600):
    return run_nbgrader(*args, "--log-level=ERROR", cwd=course, timeout=timeout)


def _must(result, what):
    if result.returncode != 0:
        raise InfrastructureError(f"{what} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


# --- collecting submissions ----------------------------------------------------------------------

def import_roster(course, path):
    """The students' names and e-mails, into the gradebook (nbgrader's own import; existing students are updated)."""
    if not pathlib.Path(path).is_file():
        raise SystemExit(f"no such roster file: {path}")
    _must(nbgrader(course, "db", "student", "import", str(pathlib.Path(path).resolve())), "nbgrader db student import")


def collect_sample(course):
    """The embedded sample class (``python -m sample_class``), written into the course's submitted/, with its
    roster (``roster.csv``)."""
    result = subprocess.run([sys.executable, "-m", "sample_class", str(course)], cwd=ROOT, env=environment(),
                            capture_output=True, text=True, timeout=600)
    _must(result, "writing the sample class")
    import_roster(course, course / "roster.csv")
    return sorted(p.parent.parent.name for p in (course / "submitted").glob(f"*/{ASSIGNMENT}/{NOTEBOOK}"))


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


# --- grading the class ------------------------------------------------------------------------------

@contextlib.contextmanager
def batch_lock(course):
    """One batch at a time per course: a second one stops at once, before it touches anything."""
    path = course / ".grading.lock"
    with path.open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            raise InfrastructureError(f"another batch is grading {course} ({f.read().strip() or 'pid unknown'}); "
                                      "wait for it to finish, or stop it, and run this again") from None
        f.truncate(0)
        f.write(f"pid {os.getpid()}, started {datetime.datetime.now():%Y-%m-%d %H:%M:%S}")
        f.flush()
        yield


def template_gradebook():
    """An empty gradebook that knows the assignment (nbgrader's own generate_assignment), as bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "source").symlink_to(ROOT / "source", target_is_directory=True)  # what the jobs grade against
        _must(nbgrader(ROOT, "generate_assignment", ASSIGNMENT, "--force", f"--CourseDirectory.root={tmp}",
                       f"--CourseDirectory.db_url=sqlite:///{tmp / 'gradebook.db'}"), "nbgrader generate_assignment")
        return (tmp / "gradebook.db").read_bytes()


def _summary_path(course, student):
    return course / "autograded" / student / ASSIGNMENT / "verification" / "summary.json"


def done_before(course, student):
    """The summary of this student's last grading, if it graded the submission that is there now."""
    path = _summary_path(course, student)
    submitted = course / "submitted" / student / ASSIGNMENT / NOTEBOOK
    if not path.exists() or not submitted.exists():
        return None
    summary = json.loads(path.read_text())
    return summary if summary.get("submission") == digest(submitted.read_bytes()) else None


def submission_job(course, student, template):
    """The arguments of one grading job (``job.grade_submission``): the student, the files they handed in, the
    empty gradebook."""
    folder = course / "submitted" / student / ASSIGNMENT
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.name != "expected.json"}
    return student, files, template


def write_graded(course, result):
    """Write one graded submission into the course: the gradebook first, the summary (the done mark) last."""
    student = result["student"]
    copy_scores(course, result)
    autograded = course / "autograded" / student / ASSIGNMENT
    checked = autograded / "verification"
    shutil.rmtree(autograded, ignore_errors=True)
    checked.mkdir(parents=True)
    for name, data in result["files"].items():
        (autograded / name).write_bytes(data)
    # The figures the notebook's cells show, so that formgrader's page of the submission displays them.
    shutil.copytree(ROOT / "release" / ASSIGNMENT / "fig", autograded / "fig")
    for name, data in result["pictures"].items():
        (checked / name).write_bytes(data)
    (checked / "verdict.json").write_text(json.dumps(result["verdict"], indent=2) + "\n")
    summary = reconcile(course, student, result["verdict"], result["notes"])
    review_notes(autograded / NOTEBOOK, summary["flags"])
    summary["stopped"] = result.get("stopped", [])  # the cells stopped for time, for the student's feedback
    summary["submission"] = result["submission"]
    write_atomically(_summary_path(course, student), json.dumps(summary, indent=2) + "\n")
    return summary


def copy_scores(course, result):
    """What nbgrader wrote in the job's private gradebook, into the course's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    student = result["student"]
    with Gradebook(_db_url(course)) as gb:
        gb.update_or_create_student(student)
        if not result["notebooks"]:  # nbgrader could not start on it: no stale scores may stay
            with contextlib.suppress(MissingEntry):
                gb.remove_submission(ASSIGNMENT, student)
            return
        when = {"timestamp": datetime.datetime.fromisoformat(result["timestamp"])} if result["timestamp"] else {}
        submission = gb.update_or_create_submission(ASSIGNMENT, student, **when)
        for nb in submission.notebooks:
            for name, value in result["notebooks"][nb.name].items():
                setattr(nb, name, value)
            for grade in nb.grades:
                for name, value in result["grades"][f"{nb.name}/{grade.name}"].items():
                    setattr(grade, name, value)
            for comment in nb.comments:
                comment.auto_comment = result["comments"][f"{nb.name}/{comment.name}"]
        gb.db.commit()


def write_not_graded(course, student, error):
    """A submission the machinery could not grade: listed, flagged, never counted as graded."""
    summary = {"student": student, "error": error, "flags": [f"not graded: {error}"],
               "exercises": {name: {"points": 0.0, "message": "not graded"} for name in EXERCISES}}
    checked = _summary_path(course, student).parent
    checked.mkdir(parents=True, exist_ok=True)
    write_atomically(checked / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def grade_class(course, students, force=False, workers_count=1, scheduler=None, **options):
    """Grade every student whose submission is new or changed; return everyone's summary, by name."""
    summaries = {}
    todo = []
    for student in students:
        before = None if force else done_before(course, student)
        if before is not None and "error" not in before and "faults" not in before:
            summaries[student] = before
            print(f"unchanged: {student}", flush=True)
        else:
            todo.append(student)
    if not todo:
        return summaries
    template = template_gradebook()
    jobs = [submission_job(course, student, template) for student in todo]
    runs = workers.dask(jobs, scheduler, **options) if scheduler else workers.local(jobs, workers_count, **options)
    progress = workers.Progress(len(jobs))
    for student, result, error in runs:
        summaries[student] = write_graded(course, result) if error is None else write_not_graded(course, student, error)
        print(f"{'graded' if error is None else 'error'}: {student}", flush=True)
        progress.update(failed=error is not None)
    return summaries


def reconcile(course, student, verdict, notes):
    """Make the verdict outside the kernel the score in the gradebook; flag what a person should look at.

    In the sandboxed kernel the hidden test cells only record the answers (``autograder/hidden.py``), so
    nbgrader's score is above the verdict whenever a hidden check catches a mistake: that is ordinary. A
    test cell that gave less than a correct answer earns means a missing or altered test cell, or a
    notebook that broke its own tests: flagged.
    """
    from nbgrader.api import Gradebook, MissingEntry

    flags = list(notes) + [f"notebook {item}" for item in verdict["suspicious"]]
    exercises = {}
    with Gradebook(_db_url(course)) as gb:
        grades = {}
        for name in EXERCISES:
            try:
                grades[name] = gb.find_grade(test_cell(name), NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student)
            except MissingEntry:
                grades[name] = None
        for name, grade in grades.items():
            in_kernel = (grade.auto_score or 0.0) if grade else 0.0
            outcome = verdict["exercises"][name]
            points = float(EXERCISES[name]) if outcome["passed"] else 0.0
            message = outcome["message"]
            upstream = [other for other in calls(name) if not verdict["exercises"][other]["passed"]]
            if "fault" in outcome:
                flags.append(f"{name}: the grader failed on it ({outcome['fault']}); the next run grades it again")
            elif points > in_kernel and upstream:  # its own test cell called the student's wrong helpers
                message = (f"correct; its visible test failed because of {' and '.join(upstream)}, which the grader "
                           "replaced with correct versions to judge it")
            elif points > in_kernel:
                flags.append(f"{name}: nbgrader's test cell gave {in_kernel:g}, the judge {points:g}")
            if grade is not None:  # set on every run: a regraded submission must not keep an old override
                grade.manual_score = points if points != in_kernel else None
            exercises[name] = {"points": points, "message": message}
        for grade in grades.values():  # formgrader lists a flagged submission's cells for a person's look
            if grade is not None:
                grade.needs_manual_grade = bool(flags)
        with contextlib.suppress(MissingEntry):
            gb.find_submission_notebook(NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student).flagged = bool(flags)
        for cell, text in comments(exercises, flags).items():
            with contextlib.suppress(MissingEntry):
                gb.find_comment(cell, NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student).auto_comment = text
        gb.db.commit()
    faults = [name for name, outcome in verdict["exercises"].items() if "fault" in outcome]
    return {"student": student, "exercises": exercises, "flags": flags, "pictures": verdict.get("pictures", {}),
            **({"faults": faults} if faults else {})}


def calls(name):
    """The other exercises whose functions exercise ``name`` calls (its judge records it with correct ones)."""
    from autograder import exercises

    return getattr(exercises.get(name), "CALLS", ())


def comments(exercises, flags):
    """{solution cell: text} for formgrader's grading page, which shows it in the cell's comment box until the TA
    writes their own: each exercise's points, what the judge said, and its reasons for review, on one line."""
    texts = {}
    # A reason that belongs to no exercise (a cell of the student's own stopped for time, a suspicious import)
    # goes with the first exercise, so that the first comment box lists every reason for review.
    general = [flag for flag in flags if not flag.startswith(tuple(f"{name}:" for name in exercises))]
    for number, (name, outcome) in enumerate(exercises.items()):
        line = f"Autograder, {name}: {outcome['points']:g}/{EXERCISES[name]:g} points. {outcome['message']}".strip()
        mine = [flag for flag in flags if flag.startswith(f"{name}:")] + (general if number == 0 else [])
        line = " ".join([line, *(f"Review: {flag}" for flag in mine)])
        texts.setdefault(SOLUTION_CELL[name], []).append(line)
    return {cell: " ".join(lines) for cell, lines in texts.items()}


def review_notes(notebook, flags):
    """Heads the graded notebook, which formgrader shows, with the reasons for review (if any)."""
    import nbformat

    if not flags or not notebook.exists():
        return
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        "**Flagged for review by the grader.**\n\n" + "\n".join(f"- {flag}" for flag in flags)))
    nbformat.write(nb, notebook)


def _db_url(course):
    return os.environ.get("NBGRADER_DB_URL", f"sqlite:///{course / 'gradebook.db'}")


# --- the class ---------------------------------------------------------------------------------------

def manual_scores(course, student):
    """{question: score or None} of the free-response answers (None: not graded yet)."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(_db_url(course)) as gb:
        for name in QUESTIONS:
            try:
                grade = gb.find_grade(name, NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student)
                scores[name] = grade.score if not grade.needs_manual_grade else None
            except MissingEntry:
                scores[name] = None
    return scores


def write_csv(course):
    """grades_by_exercise.csv, from every student's last summary: a run that graded some students (--students)
    keeps the others' rows."""
    everyone = sorted(course.glob(str(_summary_path(course, "*").relative_to(course))))
    summaries = [json.loads(path.read_text()) for path in everyone]
    with (course / "grades_by_exercise.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *EXERCISES, "autograded", "flagged"])
        for s in summaries:
            points = [s["exercises"][name]["points"] for name in EXERCISES]
            writer.writerow([s["student"], *(f"{p:g}" for p in points), f"{sum(points):g}", "yes" if s["flags"] else ""])


def print_table(summaries):
    short = {name: name.replace("receptive_field", "rf").replace("_answer", "?")[:9] for name in EXERCISES}
    header = f"{'student':8s} " + " ".join(f"{short[n]:>9s}" for n in EXERCISES) + f" {'total':>6s}  review"
    print(header)
    print("-" * len(header))
    for s in summaries:
        points = [s["exercises"][n]["points"] for n in EXERCISES]
        cells = " ".join(f"{p:>4g}/{EXERCISES[n]:<4d}" for p, n in zip(points, EXERCISES))
        print(f"{s['student']:8s} {cells} {sum(points):>3g}/{sum(EXERCISES.values())}  {'FLAG' if s['flags'] else ''}")
    manual = sum(points for points, _ in QUESTIONS.values())
    print(f"\n{len(summaries)} students; free-response answers ({len(QUESTIONS)} questions, {manual} points) are "
          "graded in formgrader.")
    for s in summaries:
        for flag in s["flags"]:
            print(f"  review {s['student']}: {flag}")


def _workers(text):
    """--workers: a positive number, or auto."""
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number or auto, not {text!r}")
    return int(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--submissions", help="a folder in nbgrader's layout: <student>/sec02/sec02.ipynb")
    source.add_argument("--zip", help="a zip of <student>_sec02.ipynb notebooks")
    parser.add_argument("--course", default=str(ROOT),
                        help="the nbgrader course root for submissions, gradebook and outputs (default: this "
                             "repository; the assignment and its checks are always this repository's)")
    parser.add_argument("--roster", help="a CSV of the class (id, first_name, last_name, email) to import first "
                                         "(nbgrader db student import): formgrader then shows names")
    parser.add_argument("--students", help="grade only these students (comma-separated ids)")
    parser.add_argument("--force", action="store_true", help="regrade every student, changed or not")
    parser.add_argument("--workers", type=_workers, default="auto",
                        help="submissions graded at once, or auto (the default): one per core, as many as the free "
                             "memory holds")
    parser.add_argument("--scheduler", help="a Dask scheduler's address (tcp://HOST:8786): grade on its workers")
    parser.add_argument("--memory-mb", type=int, default=sandbox.DEFAULTS["memory_mb"],
                        help="memory of each process of a student's kernel (MB)")
    parser.add_argument("--notebook-timeout", type=int, default=AUTOGRADE_TIMEOUT,
                        help="seconds for a whole notebook (each cell has its own limit: autograder/budgets.py)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run students' code without the sandbox (only where it cannot run: not Linux, or user namespaces switched off)")
    args = parser.parse_args(argv)
    course = pathlib.Path(args.course).resolve()
    if args.no_sandbox:
        print("sandbox: none (--no-sandbox): students' code runs with your rights, and can read and change "
              "whatever you can", flush=True)
    else:
        ok, which = sandbox.available()
        if not ok:
            print(f"the sandbox cannot run here ({which}); --no-sandbox grades without it, at your risk", file=sys.stderr)
            return 2
        print(f"sandbox: {which}", flush=True)
    if args.workers == "auto" and not args.scheduler:
        args.workers, why = workers.auto_workers(len(os.sched_getaffinity(0)), workers.available_memory_gb())
        print(f"workers: {args.workers} ({why})", flush=True)
    try:
        with batch_lock(course):
            _must(nbgrader(course, "generate_assignment", ASSIGNMENT, "--force"), "nbgrader generate_assignment")
            if args.roster:
                import_roster(course, args.roster)
            if args.submissions:
                students = collect_folder(course, args.submissions)
            elif args.zip:
                students = collect_zip(course, args.zip)
            else:
                students = collect_sample(course)
            if args.students:
                wanted = set(args.students.split(","))
                students = [s for s in students if s in wanted]
            summaries = grade_class(course, students, force=args.force, workers_count=args.workers,
                                    scheduler=args.scheduler, sandboxed=not args.no_sandbox,
                                    limits={"memory_mb": args.memory_mb}, timeout=args.notebook_timeout)
            summaries = [summaries[s] for s in sorted(summaries)]
            write_csv(course)
            _must(nbgrader(course, "export", "--to", str(course / "grades.csv")), "nbgrader export")
            for summary in summaries:
                if "error" not in summary:
                    feedback.write_report(course, summary, manual_scores(course, summary["student"]))
            print_table(summaries)
    except (InfrastructureError, OSError, subprocess.TimeoutExpired) as err:
        print(f"grading failed: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopped: every student graded so far is recorded; run the same command to grade the rest",
              file=sys.stderr)
        return 130
    errors = [s["student"] for s in summaries if "error" in s]
    faults = [f"{s['student']} ({', '.join(s['faults'])})" for s in summaries if "faults" in s]
    if errors:
        print(f"not graded, because the grading machinery failed: {', '.join(errors)}; run this again to retry them",
              file=sys.stderr)
    if faults:
        print(f"not judged, because the grader itself failed on these exercises: {'; '.join(faults)}; they are "
              "flagged, and the next run grades them again", file=sys.stderr)
    return 2 if errors or faults else 0


if __name__ == "__main__":
    sys.exit(main())
