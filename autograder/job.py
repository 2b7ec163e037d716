"""Grade one submission: the unit of work of a grading worker, on this machine or on another one.

``grade_submission`` takes the student's files and an empty gradebook (bytes) and returns what the
grading gave (a dict of plain values and bytes): it builds a private course folder in a temporary
directory, runs nbgrader's ``autograde`` there with the student's kernel in the sandbox
(``autograder/sandbox.py``), runs the independent check (the probes of ``autograder/probes.py`` in the
sandbox, then the judge of ``autograder/verify.py``), and reads the scores back from its private gradebook.
It writes nothing outside its temporary folder, so any number of them can run at once, and only the batch
(``autograder/grade.py``) writes the course's gradebook.

A failure of the machinery (the worker killed, the disk full) raises ``WorkerFailed``; everything a
student's notebook can do ends in the result, as scores and notes.
"""
import contextlib
import hashlib
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

from autograder import sandbox

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = "sec02"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
AUTOGRADE_TIMEOUT = 1800  # the whole notebook; nbgrader_config.py also limits each cell
VERIFY_TIMEOUT = 1800
# What the hidden test cells read in the student's kernel: their entry point, which finds no checks there.
HIDDEN_TESTS_READ = ("nbgrader_config.py", "autograder/__init__.py", "autograder/hidden.py")
# What the probes of the student's answers read: what students were given, and the probes' own code.
PROBES_READ = ("autograder/__init__.py", "autograder/probes.py", "tools/__init__.py", "tools/build.py", "release/sec02")
# What the judge reads; it runs no student code, but is sandboxed all the same.
VERIFY_READ = ("autograder", "solutions", "tools", "release/sec02")
SCRATCH = pathlib.Path(tempfile.gettempdir()) / "cnnlab-grading"  # <pid>-<random>/: one private course per job


class WorkerFailed(RuntimeError):
    """The grading machinery failed on this submission (not the student's notebook): grade it again."""


_running = set()  # the process of every grading under way in this process
_stopping = False


def stop_all():
    """Kill every grading under way here (the batch is being stopped): they end as WorkerFailed."""
    global _stopping
    _stopping = True
    for proc in list(_running):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def environment():
    """nbgrader must find this Python's alembic, and kernels must get TensorFlow's settings."""
    bin_dir = str(pathlib.Path(sys.executable).parent)
    return dict(os.environ, PATH=os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
                TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="3")


def digest(data):
    return hashlib.sha256(data).hexdigest()


def grade_submission(student, files, template, sandboxed=True, limits=None, timeout=AUTOGRADE_TIMEOUT):
    """Grade ``files`` ({name: bytes} of <student>/sec02/) against ``template`` (an empty gradebook's bytes).

    ``limits`` go to the sandbox (see ``sandbox.wrap``); ``timeout`` bounds the whole notebook, in seconds.
    """
    limits = limits or {}
    _remove_leftovers()
    if sandboxed:
        _warm_data_cache()
    with tempfile.TemporaryDirectory(prefix=f"{os.getpid()}-", dir=SCRATCH) as tmp:
        course = pathlib.Path(tmp)
        (course / "gradebook.db").write_bytes(template)
        (course / "source").symlink_to(ROOT / "source", target_is_directory=True)
        for name in HIDDEN_TESTS_READ:  # the hidden test cells find the checks in their course root
            (course / name).parent.mkdir(exist_ok=True)
            (course / name).symlink_to(ROOT / name)
        submitted = course / "submitted" / student / ASSIGNMENT
        submitted.mkdir(parents=True)
        for name, data in files.items():
            (submitted / name).write_bytes(data)
        notes = autograde(course, student, sandboxed, limits, timeout)
        autograded = course / "autograded" / student / ASSIGNMENT
        notebook = autograded / NOTEBOOK if (autograded / NOTEBOOK).exists() else submitted / NOTEBOOK
        verdict, pictures, stopped = verify(course, notebook, sandboxed, limits)
        notes += stopped
        result = scores(course, student)
        result.update(student=student, submission=digest(files.get(NOTEBOOK, b"")), notes=notes, verdict=verdict,
                      pictures=pictures, files={name: (autograded / name).read_bytes() for name in (NOTEBOOK, "timestamp.txt")
                                                if (autograded / name).exists()})
        return result


_cache_lock = threading.Lock()
_cache_warm = False


def _warm_data_cache():
    """Generate the synthetic data's cache once per worker: the sandboxed kernels may only read it."""
    global _cache_warm
    with _cache_lock:
        if not _cache_warm:
            code, output = _run([sys.executable, "-c", "from cnnlab.data import synthetic_splits; synthetic_splits()"],
                                ROOT / "source" / ASSIGNMENT, environment(), 600)
            if code != 0:
                raise WorkerFailed(f"could not generate the synthetic data: {output[-500:]}")
            _cache_warm = True


def _data_cache():
    """Where cnnlab.data caches the synthetic data (see source/sec02/cnnlab/data.py)."""
    return pathlib.Path(os.environ.get("CNNLAB_CACHE_DIR", pathlib.Path.home() / ".cache" / "cnnlab"))


def _remove_leftovers():
    """The folders of gradings whose process was killed (a stopped batch or worker) go with the next grading."""
    SCRATCH.mkdir(exist_ok=True)
    for folder in SCRATCH.iterdir():
        pid = folder.name.split("-")[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(folder, ignore_errors=True)


def autograde(course, student, sandboxed, limits, timeout):
    """Run ``nbgrader autograde`` on the private course; return notes on what went wrong, if anything."""
    command = [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--student", student, "--force",
               f"--CourseDirectory.root={course}", f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}",
               "--log-level=ERROR"]
    env = environment()
    if sandboxed:
        # The kernel has no network: it talks to nbgrader over Unix sockets in a folder both can see.
        runtime = course / "runtime"
        command += ["--KernelManager.transport=ipc", f"--KernelManager.ip={runtime / 'kernel'}"]
        env.update(JUPYTER_PATH=str(_sandboxed_kernel(course, limits)), JUPYTER_RUNTIME_DIR=str(runtime),
                   TMPDIR=str(runtime))  # where jupyter_client writes the connection file
    # cwd: nbgrader reads this repository's nbgrader_config.py (per-cell timeout, ignored log lines).
    code, output = _run(command, ROOT, env, timeout)
    if code is None:
        return [f"nbgrader's autograde did not finish within {timeout} s"]
    if code < 0:
        raise WorkerFailed(f"nbgrader autograde was killed (signal {-code})")
    return [] if code == 0 else [f"nbgrader could not autograde it: {_why(course, student, output)}"]


def _sandboxed_kernel(course, limits):
    """A 'python3' kernelspec, found before the real one, that starts the kernel inside the sandbox."""
    runtime = course / "runtime"
    runtime.mkdir()
    cache = _data_cache()
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    read = [str(course / p) for p in HIDDEN_TESTS_READ] + [str(cache)]  # and the synthetic data's cache
    argv = sandbox.wrap(kernel, read=read, write=[str(runtime)], **limits)
    spec = course / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "Python 3 (sandboxed)", "language": "python",
        "env": {"CNNLAB_CACHE_DIR": str(cache)}}))
    return course / "jupyter"


def verify(course, notebook, sandboxed, limits):
    """The independent verdict and its map pictures: the probes run the student's answers, in the sandbox,
    with nothing secret in sight; then the judge, which runs no student code, compares their records with
    the reference. Returns (verdict, pictures, notes): notes say why the probes stopped early, if they did."""
    records, out, empty = course / "probes", course / "verification", course / "judge"
    for folder in (records, out, empty):
        folder.mkdir()
    env = dict(environment(), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "autograder.probes", str(notebook), "--out", str(records)]
    if sandboxed:
        read = [str(ROOT / p) for p in PROBES_READ] + [str(_data_cache())]
        command = sandbox.wrap(command, read=read, write=[str(records)], **limits)
    code, output = _run(command, notebook.parent, env, VERIFY_TIMEOUT)
    stopped = [] if code == 0 else [_probes_stopped(code, output)]
    command = [sys.executable, "-P", "-m", "autograder.verify", str(notebook), "--probes", str(records), "--out", str(out)]
    if sandboxed:
        read = [str(ROOT / p) for p in VERIFY_READ] + [str(_data_cache()), str(notebook), str(records)]
        command = sandbox.wrap(command, read=read, write=[str(out)], **limits)
    code, output = _run(command, empty, env, VERIFY_TIMEOUT)  # not from `out`: the sandbox's working folder is a copy
    if code is not None and code < 0:
        raise WorkerFailed(f"the independent check was killed (signal {-code})")
    path = out / "verdict.json"
    if code != 0 or not path.exists():
        raise WorkerFailed(f"the independent check failed: {output[-500:]}")
    # When the probes stopped early, what they recorded is judged, the rest scores 0, and a person looks.
    return json.loads(path.read_text()), {p.name: p.read_bytes() for p in out.glob("*.png")}, stopped


def _probes_stopped(code, output):
    if code is None:
        return f"the check of the student's code did not finish within {VERIFY_TIMEOUT} s"
    if code < 0 and _stopping:
        raise WorkerFailed("the batch is stopping")
    return f"the check of the student's code stopped early (exit code {code}): {output.strip()[-200:]}"


def _run(command, cwd, env, timeout):
    """(exit code, output) of a command in its own process group; (None, output) when it ran out of time."""
    if _stopping:
        raise WorkerFailed("the batch is stopping")
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
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


def _why(course, student, output):
    """Why nbgrader failed on a notebook, in a sentence."""
    import nbformat

    try:
        nbformat.validate(nbformat.read(course / "submitted" / student / ASSIGNMENT / NOTEBOOK, as_version=4))
    except Exception as err:
        return f"the file is not a valid notebook ({type(err).__name__}: {str(err).splitlines()[0][:200]})"
    lines = [line for line in output.splitlines() if "Error" in line and "Please see" not in line]
    return (lines or ["see nbgrader's log"])[-1][:300]


def scores(course, student):
    """What nbgrader wrote in the private gradebook: {"timestamp", "notebooks", "grades", "comments"}."""
    from nbgrader.api import Gradebook, MissingEntry

    result = {"timestamp": None, "notebooks": {}, "grades": {}, "comments": {}}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            submission = gb.find_submission(ASSIGNMENT, student)
        except MissingEntry:  # nbgrader could not even start on it
            return result
        result["timestamp"] = submission.timestamp.isoformat() if submission.timestamp else None
        for nb in submission.notebooks:
            result["notebooks"][nb.name] = {"flagged": nb.flagged, "late_submission_penalty": nb.late_submission_penalty}
            for grade in nb.grades:
                result["grades"][f"{nb.name}/{grade.name}"] = {
                    "auto_score": grade.auto_score, "needs_manual_grade": grade.needs_manual_grade,
                    "extra_credit": grade.extra_credit}
            for comment in nb.comments:
                result["comments"][f"{nb.name}/{comment.name}"] = comment.auto_comment
    return result
