"""Grade one submission: the unit of work of a grading worker, on this machine or on another one.

``grade_submission`` takes the student's files and an empty gradebook (bytes) and returns what the
grading gave (``results.Graded``: plain values and bytes). In a process of its own (``python -m autograder.job``), it
builds a private course folder, on memory file systems that no other process sees (``PRIVATE_MB``), where the
submission is graded under the job's own name for the student (``STUDENT``), runs nbgrader's ``autograde`` there
with the student's kernel in the sandbox
(``autograder/sandbox.py``), where the hidden test cells record what each answer returns on the grading
inputs (``autograder/hidden.py``), then the judge (``autograder/verify.py``), which runs no student code,
and reads the scores back from its private gradebook. Each cell runs under its own time limit, from the
reference notebook's time for it on this machine (``autograder/budgets.py``, timed once per release), and a
cell stopped at its limit is named in the notes, with the limit and the reference's time.
It writes nothing outside its temporary folder, so any number of them can run at once, and only the batch
(``autograder/grade.py``) writes the course's gradebook.

A failure of the machinery (the worker killed, the disk full) raises ``InfrastructureError``; everything a
student's notebook can do ends in the result, as scores and notes (``results.Note``).
"""
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import pathlib
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import nbformat

from autograder import ROOT, InfrastructureError, budgets, catalogue, gradebook, paths, sandbox
from autograder.environment import TENSORFLOW, environment, nbgrader_command
from autograder.hidden import RECORDS
from autograder.notebooks import HeadedBy, missing_test_cells, reference_notebook, transform, unreadable
from autograder.results import Graded, Kind, Note, Verdict

AUTOGRADE_TIMEOUT = 1800  # the whole notebook; each cell has its own limit (autograder/budgets.py)
VERIFY_TIMEOUT = 300  # the judge runs no student code: a second or two
# What the hidden test cells read in the student's kernel, where the installed package finds them: the recorders
# and the grading inputs, nothing that knows the answers (no reference, no answer key); and the release.
KERNEL_READ = ("autograder/__init__.py", "autograder/hidden.py", "autograder/exercises", "assignments/__init__.py",
               "assignments/{name}/__init__.py", "assignments/{name}/exercises", "release/{name}")
# What the judge reads: the grading code, the catalogue's notebook and the reference answers (below).
VERIFY_READ = ("autograder", "assignments", "source/{name}/{name}.ipynb")
# A grading job's kernel and judge run TensorFlow on the cores the job has (``grade_submission``'s ``threads``):
# one where jobs share the cores one each (``--workers auto`` runs one job per core, a Dask worker is started with
# ``--nthreads 1``). TensorFlow's default, a pool of one thread per core in every process, oversubscribes the cores
# as soon as two jobs run side by side. Measured on this repository's 2-core machine, 8 ordinary submissions: on 2
# workers, 153 s on one thread against 163 s with the default (means of two runs each); the reference student's job
# alone, 38.8 and 39.3 s on 2 threads against 41.7 and 41.8 s on one (alternating).
THREADS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
# The variables of the grader's environment that its sandboxed processes keep (beyond sandbox.ENVIRONMENT): the
# settings above and where the records go. Named one by one: nothing else of the grader's reaches a student's code.
SANDBOX_ENV = (*TENSORFLOW, *THREADS, RECORDS)
# The name a submission is graded under in its private course, whatever the student's id: nbgrader reads an id on
# its command line as an option when it starts with "-", strips its spaces, and globs it; this one it takes as is.
STUDENT = "student"
# <pid>-<random>/: one private course per job; one folder per grader, since /tmp is shared
SCRATCH = pathlib.Path(tempfile.gettempdir()) / f"autograder-{os.getuid()}"


_running = set()  # the process of every grading under way in this process
_stopping = False


def stop_all():
    """Kill every grading under way here (the batch is being stopped): they end as InfrastructureError."""
    global _stopping
    _stopping = True
    for proc in list(_running):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def digest(data):
    return hashlib.sha256(data).hexdigest()


def grade_submission(student, files, template, assignment, sandboxed=True, limits=None, timeout=AUTOGRADE_TIMEOUT,
                     threads=1):
    """Grade ``files`` ({name: bytes} of <student>/<assignment>/) of the assignment named ``assignment`` against
    ``template`` (an empty gradebook's bytes that knows it).

    ``limits`` go to the sandbox (see ``sandbox.wrap``); ``timeout`` bounds the whole notebook, in seconds;
    ``threads``: TensorFlow's, in the kernel and the judge (``workers.threads_per_job``).
    What the machine prepares once (the assignment's data, the reference answers, the cells' time limits) is
    done here; the grading itself runs in a process of its own (``grade_privately``).
    """
    limits, graded = limits or {}, catalogue.get(assignment)
    _remove_leftovers()
    references = _warm(graded)
    cell_limits = _cell_budgets(graded, references, template, sandboxed, limits)
    job = {"files": files, "template": template, "assignment": assignment, "sandboxed": sandboxed, "limits": limits,
           "timeout": timeout, "references": references, "cell_limits": cell_limits}
    with tempfile.TemporaryDirectory(prefix=f"{os.getpid()}-", dir=SCRATCH) as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "job.pickle").write_bytes(pickle.dumps(job))
        # Room for the notebook run three times over (autograde, then a second try and a page if the kernel dies)
        # The job's process passes TensorFlow's threads on to the kernel and the judge (``_threads``).
        code, output = _run([sys.executable, "-m", "autograder.job", str(tmp)], ROOT,
                            environment(**tensorflow_threads(threads)), 3 * timeout + VERIFY_TIMEOUT + 600)
        if code is None or code < 0:
            raise InfrastructureError(f"the grading job was {'killed' if code else 'out of time'}: {output[-500:]}")
        result = pickle.loads((tmp / "result.pickle").read_bytes()) if code == 0 else output[-500:]
    if not isinstance(result, Graded):
        raise InfrastructureError(f"the grading job failed: {result}")
    return dataclasses.replace(result, student=student, submission=digest(files.get(graded.notebook, b"")))


# Where a job grades, when its students' code runs in the sandbox: memory file systems that only its own processes
# see, so that whatever the kernel writes (its records, its runtime folder) is bounded and never reaches the disk.
# The course holds the submission, nbgrader's copy of it and the gradebook; a correct answer records a few MB.
PRIVATE_MB = {"course": 1024, "course/records": 256, "course/runtime": 64}


def main(folder):
    """The process of one job (``grade_submission``): ``folder``/job.pickle in, ``folder``/result.pickle out."""
    folder = pathlib.Path(folder)
    job = pickle.loads((folder / "job.pickle").read_bytes())
    if job["sandboxed"]:
        sandbox.private_scratch({str(folder / path): size for path, size in PRIVATE_MB.items()})
    try:
        result = grade_privately(folder / "course", **job)
    except InfrastructureError as err:
        result = str(err)
    (folder / "result.pickle").write_bytes(pickle.dumps(result))  # read once this process has ended


def grade_privately(course, files, template, assignment, sandboxed, limits, timeout, references, cell_limits):
    """What ``grade_submission`` returns but the student's id, from a private course in the folder ``course``,
    where the submission is ``STUDENT``'s. The steps, in order: the private course; the test cells the grader
    will put back; nbgrader's autograde (a second try if the kernel died; a stand-in for a file that is no
    notebook); the judge; the cells' times and those stopped for time; nbgrader's scores."""
    assignment = catalogue.get(assignment)
    notebook_name = assignment.notebook
    course = _private_course(course, assignment, STUDENT, files, template)
    submitted = paths.submitted(course, assignment, STUDENT)
    notes = restored(submitted / notebook_name, assignment)
    start = time.perf_counter()
    notes += run_notebook(course, assignment, STUDENT, sandboxed, limits, timeout, cell_limits)
    autograded = paths.autograded(course, assignment, STUDENT)
    if not (autograded / notebook_name).exists():
        notes += stand_in(course, assignment, STUDENT, sandboxed, limits, timeout)
    notebook = autograded / notebook_name if (autograded / notebook_name).exists() else submitted / notebook_name
    judged = time.perf_counter()
    verdict, pictures = run_judge(course, assignment, notebook, references, sandboxed, limits)
    seconds = {"autograde": judged - start, "judge": time.perf_counter() - judged}
    ran = executed(notebook)
    stopped = budgets.stopped(ran, json.loads(pathlib.Path(cell_limits).read_text())) if ran else []
    notes += [Note(Kind.STOPPED, text, exercise) for exercise, text in stopped]
    # A test cell stopped for time also left a record marked stopped: one note says it, with the limit.
    timed = {exercise for exercise, _ in stopped}
    notes += [Note(Kind.STOPPED, text, name) for name, text in verdict.stopped if name not in timed]
    kept = {name: (autograded / name).read_bytes() for name in (notebook_name, "timestamp.txt")
            if (autograded / name).exists()}
    if paths.SECRET in files:  # the key of a submission through nbgrader's exchange: its feedback is released under it
        kept[paths.SECRET] = files[paths.SECRET]
    return Graded(student=STUDENT, submission="", nbgrader=gradebook.scores(course, assignment, STUDENT),
                  verdict=verdict, notes=notes, seconds=seconds, stopped=[text for _, text in stopped],
                  cells=budgets.cell_times(ran) if ran else {}, pictures=pictures, files=kept)


def restored(path, assignment):
    """Notes on the test cells that nbgrader's autograde puts back in the notebook at ``path`` (``RestoreTestCells``,
    registered in nbgrader_config.py): the submission is flagged for review."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 (not a notebook: nbgrader and the judge say so)
        return []
    return [Note(Kind.RESTORED, "its test cell was missing (deleted, or its grading metadata removed); the grader "
                                "put it back", name) for name in missing_test_cells(nb, assignment)]


def _private_course(course, assignment, student, files, template):
    """A course folder of one's own in ``course``, with ``files`` as the student's submission."""
    course.mkdir(exist_ok=True)
    (course / "gradebook.db").write_bytes(template)
    (course / "source").symlink_to(ROOT / "source", target_is_directory=True)
    submitted = paths.submitted(course, assignment, student)
    submitted.mkdir(parents=True)
    for name, data in files.items():
        (submitted / name).write_bytes(data)
    return course


def executed(notebook):
    """The graded ``notebook`` (a dict), read once for its cells' times and the cells stopped for time; None where
    nothing ran (not a notebook)."""
    try:
        nb = json.loads(pathlib.Path(notebook).read_text())
        nb["cells"]
    except Exception:  # noqa: BLE001 (not a notebook: nothing ran)
        return None
    return nb


_warm_lock = threading.Lock()
_references = {}  # {assignment's name: the folder of its reference answers}
_cell_limits = {}  # {assignment's name: the file of its cells' time limits}


def _warm(assignment):
    """Once per worker and assignment: what the assignment prepares for its kernels (``assignments/<assignment>/``:
    data, which the sandboxed kernels may only read) and the reference answers
    (computed once per release, then reused by every job; see autograder/references.py). Returns the references'
    folder."""
    with _warm_lock:
        if assignment.name not in _references:
            code, output = _run([sys.executable, "-c", f"from {assignment.grading.__name__} import prepare; prepare()"],
                                ROOT, environment(), 600)
            if code != 0:
                raise InfrastructureError(f"could not prepare the assignment's grading: {output[-500:]}")
            code, output = _run([sys.executable, "-m", "autograder.references", assignment.name], ROOT,
                                environment(), 900)
            if code != 0:
                raise InfrastructureError(f"could not compute the reference answers: {output[-500:]}")
            _references[assignment.name] = pathlib.Path(output.strip().splitlines()[-1])
        return _references[assignment.name]


def _cell_budgets(assignment, references, template, sandboxed, limits):
    """Once per worker: the file of each cell's time limit (``autograder/budgets.py``).

    The reference notebook is graded and timed once per release on each machine, as a student's is (in the
    sandbox, with the same limits), and its times kept beside the reference answers. A file lock makes the
    other workers of the machine wait for that one measurement and reuse it; while it runs, nothing else of
    this batch grades, so it is timed on a machine no busier than the students will be.
    """
    with _warm_lock:
        if assignment.name not in _cell_limits:
            path = cell_budgets_file(assignment, references)
            with open(references / ".cell-budgets.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not path.exists():
                    times = time_reference(assignment, template, sandboxed, limits)
                    write_atomically(path, json.dumps(budgets.table(times), indent=2) + "\n")
            _cell_limits[assignment.name] = path
        return _cell_limits[assignment.name]


def cell_budgets_file(assignment, references):
    """Where the table of each cell's limit is kept: beside the reference answers (so keyed as they are), and named
    by the release, whose cells it times."""
    return references / f"cell-budgets-{digest(assignment.release_notebook.read_bytes())[:16]}.json"


def write_atomically(path, text):
    """Write ``text`` to ``path`` through a temporary file of this process, renamed over it: a reader sees the old
    file or the new one, never half of one."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def time_reference(assignment, template, sandboxed, limits):
    """{cell: seconds} of the reference notebook (the release, its solution cells filled with the reference
    solutions) graded here as a student's notebook is, on one thread (``_threads``), with one limit for every cell
    (nbgrader_config.py)."""
    with tempfile.TemporaryDirectory(prefix=f"{os.getpid()}-", dir=SCRATCH) as tmp:
        files = {assignment.notebook: reference_notebook(assignment)}
        course = _private_course(pathlib.Path(tmp), assignment, "reference", files, template)
        notes = autograde(course, assignment, "reference", sandboxed, limits, AUTOGRADE_TIMEOUT)
        graded = paths.autograded(course, assignment, "reference") / assignment.notebook
        if notes or not graded.exists():
            why = "; ".join(map(str, notes)) or "nothing graded"
            raise InfrastructureError(f"could not time the reference notebook: {why}")
        nb = json.loads(graded.read_text())
        failed = [budgets.key(cell) for cell in nb["cells"]
                  if any(out.get("output_type") == "error" for out in cell.get("outputs", []))]
        if failed:
            raise InfrastructureError(f"the reference notebook failed in its cells {', '.join(map(str, failed))}")
        return budgets.cell_times(nb)


def run_notebook(course, assignment, student, sandboxed, limits, timeout, cell_limits=None):
    """nbgrader's autograde of the submission, run once more if its kernel died; returns notes.

    A kernel killed from outside (the machine's OOM killer, an operator) says nothing about the notebook: the
    second run grades it in full. A kernel that dies again dies of the notebook itself: it is graded from what
    its hidden tests recorded before it died, and since nbgrader then keeps nothing, its page in formgrader is
    the student's own cells, not executed, headed by what happened.
    """
    notes = autograde(course, assignment, student, sandboxed, limits, timeout, cell_limits=cell_limits)
    if not _died(notes):
        return notes
    notes = autograde(course, assignment, student, sandboxed, limits, timeout, cell_limits=cell_limits)
    if not _died(notes):
        return notes
    notes = [Note(Kind.KERNEL_DIED, "Kernel died while the notebook ran, twice: graded from what its hidden tests "
                                    "recorded before")]
    path = paths.submitted(course, assignment, student) / assignment.notebook
    transform(path, HeadedBy("**Stand-in written by the grader.** The kernel died while this notebook ran, on a "
                             "second try too. These are the student's cells, not executed: the autograded scores come "
                             "from what the hidden tests recorded before the kernel died."))
    return notes + autograde(course, assignment, student, sandboxed, limits, timeout, execute=False)


def _died(notes):
    return any(note.kind is Kind.KERNEL_DIED for note in notes)


def stand_in(course, assignment, student, sandboxed, limits, timeout):
    """A file nbgrader cannot read still gets a page in formgrader, where the TA can comment and grade it:
    the release notebook, headed by what was wrong with the file, takes its place, unexecuted (nothing was
    recorded: every exercise scores 0). The file handed in stays as it was in the course's submitted/.
    Returns notes."""
    path = paths.submitted(course, assignment, student) / assignment.notebook
    why = unreadable(path)
    if why is None:  # a readable notebook that nbgrader still failed on: no stand-in would be fair to it
        return []
    note = HeadedBy(f"**Stand-in written by the grader.** The file handed in as `{assignment.notebook}` could not be "
                    f"read as a notebook ({why}). This is the release notebook in its place, so that its page can be "
                    "graded and commented: every exercise scores 0 unless a person decides otherwise.")
    transform(path, note, nb=nbformat.read(assignment.release_notebook, as_version=4))
    return [Note(Kind.NOT_RUN, "graded a stand-in (the release notebook) in place of the unreadable file"),
            *autograde(course, assignment, student, sandboxed, limits, timeout, execute=False)]


def _remove_leftovers():
    """The folders of gradings whose process was killed (a stopped batch or worker) go with the next grading."""
    SCRATCH.mkdir(exist_ok=True)
    for folder in SCRATCH.iterdir():
        pid = folder.name.split("-")[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(folder, ignore_errors=True)


def autograde(course, assignment, student, sandboxed, limits, timeout, execute=True, cell_limits=None):
    """Run ``nbgrader autograde`` on the private course; return notes (``Note``) on what went wrong, if anything.

    ``execute=False``: only nbgrader's page and gradebook entries, with no kernel, and the records of the last
    run kept for the judge. ``cell_limits``: the file of each cell's time limit (see ``_cell_budgets``); without
    it, nbgrader_config.py's one limit for every cell.
    """
    command = nbgrader_command("autograde", assignment.name, "--student", student, "--force",
                               f"--CourseDirectory.root={course}",
                               f"--CourseDirectory.db_url={paths.gradebook_url(course, private=True)}",
                               "--log-level=ERROR")
    command += [] if execute else ["--Execute.enabled=False"]
    records = course / "records"
    for folder in ((records,) if execute else ()) + (course / "runtime", course / "jupyter"):  # fresh for each run
        _fresh(folder)
    records.mkdir(exist_ok=True)
    env = environment(**_threads(), **{RECORDS: str(records)})
    if cell_limits:
        env[budgets.CELL_BUDGETS] = str(cell_limits)  # read by nbgrader_config.py
    if sandboxed:
        # The kernel has no network: it talks to nbgrader over Unix sockets in a folder both can see.
        runtime = course / "runtime"
        command += ["--KernelManager.transport=ipc", f"--KernelManager.ip={runtime / 'kernel'}"]
        env.update(JUPYTER_PATH=str(_sandboxed_kernel(course, assignment, limits)), JUPYTER_RUNTIME_DIR=str(runtime),
                   TMPDIR=str(runtime))  # where jupyter_client writes the connection file
    # cwd: nbgrader reads this repository's nbgrader_config.py (per-cell timeout, ignored log lines).
    code, output = _run(command, ROOT, env, timeout)
    if code is None:
        return [Note(Kind.NOT_RUN, f"nbgrader's autograde did not finish within {timeout} s")]
    if code < 0:
        raise InfrastructureError(f"nbgrader autograde was killed (signal {-code})")
    if code != 0 and "DeadKernelError" in output:
        return [Note(Kind.KERNEL_DIED, "Kernel died while the notebook ran")]
    return [] if code == 0 else [Note(Kind.NOT_RUN, f"nbgrader could not autograde it: "
                                                    f"{_why(course, assignment, student, output)}")]


def _fresh(folder):
    """``folder`` made anew, empty and the grader's (the last run's sandbox gave it to its own student): a new memory
    file system where the job's private course has one there (``PRIVATE_MB``), a new folder elsewhere."""
    size = PRIVATE_MB.get(f"course/{folder.name}")
    if size and os.path.ismount(folder):
        sandbox.fresh_scratch(str(folder), size)
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()


def _sandboxed_kernel(course, assignment, limits):
    """A 'python3' kernelspec, found before the real one, that starts the kernel inside the sandbox."""
    runtime = course / "runtime"
    data = {variable: str(folder) for variable, folder in assignment.grading.kernel_data().items()}
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    read = [str(ROOT / p.format(name=assignment.name)) for p in KERNEL_READ] + list(data.values())
    argv = sandbox.wrap(kernel, read=read, write=[str(runtime), str(course / "records")],
                        env=[*SANDBOX_ENV, *data], **limits)
    spec = course / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "Python 3 (sandboxed)", "language": "python",
        "env": {**data, RECORDS: str(course / "records")}}))
    return course / "jupyter"


def run_judge(course, assignment, notebook, references, sandboxed, limits):
    """The verdict on what the hidden test cells recorded, and its map pictures, from the judge: a process
    that runs no student code, with the reference answers beside it. Returns (verdict, pictures)."""
    out, empty = course / "verification", course / "judge"
    for folder in (out, empty):
        folder.mkdir()
    records = course / "records"
    command = [sys.executable, "-P", "-m", "autograder.verify", str(notebook), "--assignment", assignment.name,
               "--records", str(records), "--references", str(references), "--out", str(out)]
    if sandboxed:
        read = [str(ROOT / p.format(name=assignment.name)) for p in VERIFY_READ] + [str(references), str(notebook),
                                                                                  str(records)]
        command = sandbox.wrap(command, read=read, write=[str(out)], env=SANDBOX_ENV, **limits)
    # Not from `out`: the sandbox's working folder is a copy.
    code, output = _run(command, empty, environment(**_threads()), VERIFY_TIMEOUT)
    if code is not None and code < 0:
        raise InfrastructureError(f"the judge was killed (signal {-code})")
    path = out / "verdict.json"
    if code != 0 or not path.exists():
        raise InfrastructureError(f"the judge failed: {output[-500:]}")
    return Verdict.from_json(path.read_text()), {p.name: p.read_bytes() for p in out.glob("*.png")}


def tensorflow_threads(n):
    """The environment that gives TensorFlow ``n`` threads in a process and in those it starts."""
    return dict.fromkeys(THREADS, str(n))


def _threads():
    """TensorFlow's threads for a kernel or a judge: the job's share of the cores, which its process was given
    (``grade_submission``); where none was given, as for the reference notebook that the batch times itself, one
    (or what the grader's own environment sets)."""
    return {name: os.environ.get(name, "1") for name in THREADS}


def _run(command, cwd, env, timeout):
    """(exit code, output) of a command in its own process group; (None, output) when it ran out of time."""
    if _stopping:
        raise InfrastructureError("the batch is stopping")
    # No terminal of the grader's for a student's code: not its stdin, not its controlling terminal (a new session).
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            text=True, start_new_session=True, preexec_fn=_die_with_parent)
    _running.add(proc)
    try:
        output, _ = proc.communicate(timeout=timeout)
        return proc.returncode, output
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        return None, output
    finally:
        _running.discard(proc)


def _die_with_parent():
    """A worker that is killed takes its grading down with it (the next batch grades that student again)."""
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def _why(course, assignment, student, output):
    """Why nbgrader failed on a notebook, in a sentence."""
    broken = unreadable(paths.submitted(course, assignment, student) / assignment.notebook)
    if broken:
        return f"the file is not a valid notebook ({broken})"
    lines = [line for line in output.splitlines() if "Error" in line and "Please see" not in line]
    return (lines or ["see nbgrader's log"])[-1][:300]


if __name__ == "__main__":
    main(sys.argv[1])
