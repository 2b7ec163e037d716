"""Grade a class: the TA's main command.

    python -m autograder.grade                      # the embedded sample class
    python -m autograder.grade --submissions DIR    # a class in nbgrader's layout: DIR/<student>/<assignment>/<notebook>
    python -m autograder.grade --zip FILE.zip       # a zip of <student>_<notebook> files (autograder/collect.py)
    options: --assignment NAME (default: every assignment of the course that has submissions),
             --workers N or auto (the default: one per core, as many as the free memory holds),
             --scheduler tcp://HOST:8786 (a Dask cluster), --students a,b,
             --roster FILE.csv (id, first_name, last_name, email: the names formgrader shows)

Steps, all on nbgrader's own commands and gradebook: build the release (which registers the assignment),
collect the submissions into ``submitted/`` (``collect.py``), grade each student whose submission is new or
changed (``job.py``: nbgrader's autograde with the kernel in a sandbox, where the hidden test cells record
the answers, then the judge outside the kernel), in parallel (``workers.py``), the fullest notebooks first,
and write each result into the gradebook as it arrives (``gradebook.py``; this process is its only writer),
with the judge's verdict as the score; export the grades to ``grades.csv`` and
``<assignment>_grades_by_exercise.csv`` (``reports.py``), write each student's feedback where nbgrader's
``release_feedback`` finds it (``feedback.py``), and print a table of the class. With no
``--assignment``, each assignment of the course in turn.

A student is done once ``autograded/<student>/<assignment>/verification/summary.json`` records their graded
submission: a batch that is stopped, however, loses nothing done, and the next run grades the rest.
Exits non-zero only when the grading machinery itself fails (a submission it could not grade, after a
retry, is listed as an error; an exercise on which the judge itself failed is flagged and judged again by the
next run), never because of a student's notebook.
"""
import argparse
import contextlib
import dataclasses
import datetime
import fcntl
import json
import os
import pathlib
import shutil
import subprocess
import sys

from autograder import (ROOT, InfrastructureError, catalogue, class_report, collect, feedback, gradebook, late, paths,
                        reports, sandbox, similarity, workers)
from autograder.environment import nbgrader_step
from autograder.job import AUTOGRADE_TIMEOUT, digest, write_atomically
from autograder.notebooks import HeadedBy, SafeForBrowser, review_note, transform
from autograder.results import Kind, Note, Outcome, Summary

PICTURES = {".png", ".jpg", ".jpeg", ".gif", ".svg"}  # of the release, copied beside each graded notebook


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


def done_before(course, assignment, student):
    """The ``Summary`` of this student's last grading, if it graded the submission that is there now."""
    path = paths.summary(course, assignment, student)
    submitted = paths.submitted(course, assignment, student) / assignment.notebook
    if not path.exists() or not submitted.exists():
        return None
    try:
        summary = Summary.load(path)
    except (ValueError, KeyError, TypeError):  # written by an older grader, or not by this one: graded again
        return None
    return summary if summary.submission == digest(submitted.read_bytes()) else None


def submission_job(course, assignment, student, template):
    """The arguments of one grading job (``job.grade_submission``): the student, the files they handed in, the
    empty gradebook; and notes on what in their folder is not a file of theirs (``collect.handed_in``)."""
    files, notes = collect.handed_in(paths.submitted(course, assignment, student))
    files.pop("expected.json", None)  # the sample class's expected grade, beside its notebook
    return (student, files, template), notes


def fullest_first(jobs, assignment):
    """The jobs, those whose notebook answers the most solution cells first, in their order otherwise.

    Jobs are not all alike: a blank, unfinished or unreadable notebook grades quicker (on 2 workers on 2 cores,
    the blank release took 19 s, a finished notebook about 30 s, a file that is not a notebook 3 s). Graded last,
    they fill the end of the batch, where one worker would otherwise wait alone for the other's last notebook.
    """
    blank = {meta["grade_id"]: source for kind, meta, source in catalogue.cells(assignment.release_notebook)
             if meta.get("solution")}

    def answered(job):
        try:
            cells = json.loads(job[1][assignment.notebook])["cells"]
            sources = {catalogue.grade_id(cell): catalogue.source_text(cell) for cell in cells
                       if catalogue.grade_id(cell) in blank}
        except Exception:  # noqa: BLE001 (no notebook, or not one: nothing to run)
            return 0
        return sum(source != blank[name] for name, source in sources.items())

    return sorted(jobs, key=answered, reverse=True)  # stable: equals keep their order


def write_graded(course, assignment, graded, notes, late_rule=None):
    """Write one ``Graded`` submission into the course, with the ``notes`` of its collection; return its ``Summary``.

    In order: the graded notebook and the judge's files; the gradebook in one session (``gradebook.record``:
    nbgrader's scores, then the verdict made the score, less the ``late_rule``'s penalty); formgrader's page of the
    notebook; the summary, the done mark, last.
    """
    write_files(course, assignment, graded)
    summary = gradebook.record(course, assignment, graded.student, graded.nbgrader, graded.verdict,
                               notes + graded.notes, late_rule)
    notebook = paths.autograded(course, assignment, graded.student) / assignment.notebook
    if notebook.exists():  # what formgrader shows the TA
        flagged = [HeadedBy(review_note(summary.flags))] if summary.flags else []
        transform(notebook, SafeForBrowser(), *flagged)
    summary = dataclasses.replace(summary, stopped=graded.stopped, submission=graded.submission,
                                  seconds=graded.seconds, cells=graded.cells)  # what the grading cost, cell by cell
    write_atomically(paths.summary(course, assignment, graded.student), summary.to_json())
    return summary


def write_files(course, assignment, graded):
    """The graded notebook as formgrader shows it, with the release's pictures its cells show; and the judge's
    verdict and map pictures in its verification folder."""
    checked = paths.verification(course, assignment, graded.student)
    autograded = checked.parent
    shutil.rmtree(autograded, ignore_errors=True)
    checked.mkdir(parents=True)
    for name, data in graded.files.items():
        (autograded / name).write_bytes(data)
    release = assignment.release
    for picture in (p for p in release.rglob("*") if p.suffix.lower() in PICTURES):
        (autograded / picture.relative_to(release)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(picture, autograded / picture.relative_to(release))
    for name, data in graded.pictures.items():
        (checked / name).write_bytes(data)
    (checked / "verdict.json").write_text(graded.verdict.to_json())


def write_not_graded(course, assignment, student, error):
    """A submission the machinery could not grade: listed, flagged, never counted as graded."""
    summary = Summary(student, {name: Outcome(False, 0.0, "not graded") for name in assignment.exercises},
                      flags=[Note(Kind.NOT_GRADED, f"not graded: {error}")], error=error)
    checked = paths.verification(course, assignment, student)
    checked.mkdir(parents=True, exist_ok=True)
    write_atomically(checked / "summary.json", summary.to_json())
    return summary


def grade_class(course, assignment, students, force=False, workers_count=1, scheduler=None, late_rule=None,
                **options):
    """Grade every student whose submission of ``assignment`` is new or changed; return everyone's summary, by name.

    ``students``: {student: notes of the collection} (``collect.py``), which flag that student's submission;
    ``late_rule``: the course's (``late.LateRule``).
    """
    summaries = {}
    todo = []
    for student in students:
        before = None if force else done_before(course, assignment, student)
        # Graded before, as it is now: unless the grader failed on it, or its collection has something new to say
        if (before is not None and before.error is None and not before.faults
                and set(students[student]) <= set(before.flags)):
            summaries[student] = before
            print(f"unchanged: {student}", flush=True)
        else:
            todo.append(student)
    if not todo:
        return summaries
    template = gradebook.template(course, assignment)
    jobs, notes = [], {}
    for student in todo:
        job, skipped = submission_job(course, assignment, student, template)
        jobs.append(job)
        notes[student] = students[student] + skipped
    jobs = fullest_first(jobs, assignment)
    options["assignment"] = assignment.name  # a name: the job may run on another machine
    if scheduler:  # each Dask worker grades one job at a time on one core (tests/test_batch.py starts them so)
        runs = workers.dask(jobs, scheduler, **options)
    else:
        threads = workers.threads_per_job(len(os.sched_getaffinity(0)), workers_count, len(jobs))
        runs = workers.local(jobs, workers_count, threads=threads, **options)
    progress = workers.Progress(len(jobs))
    for student, graded, error in runs:
        summaries[student] = (write_graded(course, assignment, graded, notes[student], late_rule) if error is None
                              else write_not_graded(course, assignment, student, error))
        print(f"{'graded' if error is None else 'error'}: {student}", flush=True)
        progress.update(failed=error is not None)
    return summaries


def report_on_class(course, assignment):
    """The class report, and formgrader's notes on the submissions too alike, from every student's last summary
    (graded in this run or an earlier one) and the gradebook as it is now; returns the pairs too alike."""
    everyone = reports.everyone(course, assignment)
    alike = similarity.in_course(course, assignment, [s.student for s in everyone if s.error is None])
    gradebook.note_alike(course, assignment, [s.student for s in everyone], alike)
    class_report.write(course, assignment, everyone, alike)
    return alike


def assignments(args):
    """The assignments to grade: the one named, else every assignment of the course with submissions to grade."""
    if args.assignment:
        return [catalogue.get(args.assignment)]
    every = [catalogue.get(name) for name in catalogue.names()]
    if args.zip and len(every) > 1:
        raise SystemExit("a zip holds one assignment's notebooks: name it with --assignment")
    if args.submissions:
        return [a for a in every if collect.students_in(args.submissions, a)] or every  # none: from_folder says why
    return every


def collect_students(course, assignment, args):
    """The students of ``assignment`` to grade, collected into the course's submitted/ (``collect.py``), with the
    notes of their collection: {student: notes}."""
    if args.zip:
        students = collect.from_zip(course, assignment, args.zip)
    else:  # a folder, or the course's submitted/, where main wrote the sample class
        students = collect.from_folder(course, assignment, args.submissions or paths.submissions(course))
    if args.students:
        wanted = set(args.students.split(","))
        students = {s: notes for s, notes in students.items() if s in wanted}
    return students


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
    source.add_argument("--submissions", help="a folder in nbgrader's layout: <student>/<assignment>/<notebook>")
    source.add_argument("--zip", help="a zip of <student>_<assignment>.ipynb notebooks, of one assignment")
    parser.add_argument("--assignment", choices=catalogue.names(),
                        help="grade this assignment only (default: every assignment of the course that has "
                             "submissions)")
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
    try:
        to_grade = assignments(args)
        if args.workers == "auto" and not args.scheduler:  # as many as the most demanding assignment allows
            args.workers, why = workers.auto_workers(len(os.sched_getaffinity(0)), workers.available_memory_gb(),
                                                     workers.worker_memory_gb(to_grade))
            print(f"workers: {args.workers} ({why})", flush=True)
        with batch_lock(course):
            if args.roster:
                collect.import_roster(course, args.roster)
            if not (args.submissions or args.zip):
                collect.write_sample_class(course)  # once, for every assignment it hands in
            graded, late_rule = {}, late.rule(course)
            for assignment in to_grade:
                nbgrader_step(course, "generate_assignment", assignment.name, "--force")
                gradebook.set_due_date(course, assignment, late_rule)
                students = collect_students(course, assignment, args)
                print(f"{assignment.name}: {len(students)} submissions", flush=True)
                summaries = grade_class(course, assignment, students, force=args.force, workers_count=args.workers,
                                        scheduler=args.scheduler, late_rule=late_rule, sandboxed=not args.no_sandbox,
                                        limits={"memory_mb": args.memory_mb}, timeout=args.notebook_timeout)
                graded[assignment] = [summaries[s] for s in sorted(summaries)]
                reports.write_csv(course, assignment)
            nbgrader_step(course, "export", "--to", str(course / "grades.csv"))
            for assignment, summaries in graded.items():
                done = [summary for summary in summaries if summary.error is None]
                staff = gradebook.staff_marks(course, assignment, [summary.student for summary in done])
                for summary in done:
                    feedback.write_report(course, assignment, summary, staff[summary.student], late_rule)
                alike = report_on_class(course, assignment)
                reports.print_table(assignment, summaries, alike)
    except (InfrastructureError, OSError, subprocess.TimeoutExpired) as err:
        print(f"grading failed: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopped: every student graded so far is recorded; run the same command to grade the rest",
              file=sys.stderr)
        return 130
    summaries = [summary for each in graded.values() for summary in each]
    errors = [s.student for s in summaries if s.error is not None]
    faults = [f"{s.student} ({', '.join(s.faults)})" for s in summaries if s.faults]
    if errors:
        print(f"not graded, because the grading machinery failed: {', '.join(errors)}; run this again to retry them",
              file=sys.stderr)
    if faults:
        print(f"not judged, because the grader itself failed on these exercises: {'; '.join(faults)}; they are "
              "flagged, and the next run grades them again", file=sys.stderr)
    return 2 if errors or faults else 0


if __name__ == "__main__":
    sys.exit(main())
