"""The sandbox of students' code: what a command inside it can and cannot do (no TensorFlow, seconds)."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

from autograder import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=f"no sandbox here: {sandbox.available()[1]}")

PROBE = textwrap.dedent("""
    import json, os, socket, sys
    port, home, shown, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    seen = {"uid": os.getuid(), "shown": open(shown).read(), "environment": sorted(os.environ),
            "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
            "status": dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())}
    # what the grader's uid owns: its home, the gradebook, the reference, another student's notebook
    seen["found"] = [p for p in ("", "gradebook.db", "solutions/sec02.py", "submitted/bob/sec02/sec02.ipynb", ".ssh")
                     if os.path.exists(os.path.join(home, p))]
    try:
        open(shown, "a").write("changed")
        seen["shown_writable"] = True
    except OSError as err:
        seen["shown_writable"] = err.strerror
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2)
        seen["network"] = True
    except OSError as err:
        seen["network"] = err.strerror
    open("scratch.txt", "w").write("mine")
    open(os.path.join(out, "result.txt"), "w").write("kept")
    print(json.dumps(seen))
""")
NOBODY = 65534  # the ordinary user of these tests: every Linux has one, it owns nothing
# Secrets in the grader's environment, each named like a variable that a kernel does need (Jupyter's JPY_...,
# TensorFlow's TF_..., Python's PYTHON..., the locale's LANG..., the terminal's TERM...).
SECRETS = {name: "a secret of the grader's" for name in ("JPY_API_TOKEN", "TF_TOKEN_app_terraform_io", "LANGSMITH_API_KEY",
                                                           "PYTHON_KEYRING_TOKEN", "TERMINUS_TOKEN", "GRADER_API_TOKEN")}


@pytest.fixture(params=["root", "an ordinary user"])
def box(request):
    """A folder of the grader's, and how to run the sandbox as that grader: root, or an ordinary user (nobody,
    when the tests run as root; whoever runs them otherwise), through Debian's own Python, which any user can run."""
    root = os.geteuid() == 0
    if request.param == "root" and not root:
        pytest.skip("the tests do not run as root")
    folder = pathlib.Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    folder.chmod(0o755)
    prefix, python = [], sys.executable
    if request.param != "root" and root:
        prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
        python = "/usr/bin/python3.11"
        os.chown(folder, NOBODY, NOBODY)
    yield folder, prefix, python
    shutil.rmtree(folder)


def _run(box, command, **limits):
    folder, prefix, python = box
    work = folder / "work"
    work.mkdir(exist_ok=True)
    _give(box, work)
    env = dict(os.environ, **SECRETS, CNNLAB_SETTING="passed on by name")
    wrapped = sandbox.wrap([python if c == sys.executable else c for c in command], env=["CNNLAB_SETTING"], **limits)
    return subprocess.run([*prefix, python, *wrapped[1:]], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120)


def _give(box, *paths):
    """Make files the grader's own (when the grader is not root)."""
    if box[1]:
        for path in paths:
            os.chown(path, NOBODY, NOBODY)


def test_sees_only_what_it_is_shown_and_writes_only_its_own_folders(box):
    folder = box[0]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    home = folder / "home"  # the grader's home and course, all of it the grader's own
    for name in ("gradebook.db", "solutions/sec02.py", "submitted/bob/sec02/sec02.ipynb", ".ssh/id_ed25519"):
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text("private")
    (folder / "shown.txt").write_text("the checks")
    (folder / "shown.txt").chmod(0o666)  # only the read-only mount can stop a write
    (folder / "probe.py").write_text(PROBE)
    out = folder / "out"
    out.mkdir()
    _give(box, *home.rglob("*"), home, out, folder / "shown.txt")
    args = [str(listener.getsockname()[1]), str(home), str(folder / "shown.txt"), str(out)]
    result = _run(box, [sys.executable, str(folder / "probe.py"), *args],
                  read=[folder / "probe.py", folder / "shown.txt"], write=[out])
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["uid"] == sandbox.STUDENT
    assert seen["found"] == [], "it sees files of the grader's it was not shown"
    assert not set(SECRETS) & set(seen["environment"]), "the grader's secrets leaked into the sandbox"
    assert "CNNLAB_SETTING" in seen["environment"] and "PATH" in seen["environment"]
    assert seen["processes"] == [1, 2], "it sees processes other than the sandbox's init and itself"
    assert seen["status"]["CapEff"].strip() == "0" * 16 and seen["status"]["NoNewPrivs"].strip() == "1", seen["status"]
    assert seen["shown"] == "the checks" and seen["shown_writable"] == "Read-only file system"
    assert seen["network"] is not True, "it reached a port of the machine"
    assert (out / "result.txt").read_text() == "kept"
    assert not (folder / "work" / "scratch.txt").exists(), "its working folder is a private copy"
    assert (folder / "shown.txt").read_text() == "the checks"


def test_memory_over_the_cap_is_a_memory_error(box):
    code = "try:\n    b = bytearray(1 << 30)\nexcept MemoryError:\n    print('MemoryError')"
    result = _run(box, [sys.executable, "-c", code], memory_mb=256)
    assert result.stdout.strip() == "MemoryError", result.stderr


def test_a_full_disk_stops_the_writer_only(box):
    code = ("try:\n    f = open('big', 'wb')\n    [f.write(b'x' * (1 << 20)) for _ in range(64)]\n"
            "except OSError as err:\n    print(err.strerror)")
    result = _run(box, [sys.executable, "-c", code], disk_mb=16)
    assert result.stdout.strip() in ("No space left on device", "File too large"), result.stderr
    assert not (box[0] / "work" / "big").exists()


def test_processes_are_capped_and_none_outlives_the_sandbox(box):
    code = ("import subprocess\nkids = []\ntry:\n    for _ in range(200):\n"
            "        kids.append(subprocess.Popen(['sleep', '300.25']))\nexcept OSError as err:\n"
            "    print(len(kids), err.strerror)")
    result = _run(box, [sys.executable, "-c", code], processes=40)
    started, why = result.stdout.split(" ", 1)
    assert int(started) < 40 and why.strip() == "Resource temporarily unavailable", result.stdout + result.stderr
    assert not _alive("sleep 300.25"), "processes started in the sandbox outlived it"


def test_killing_the_sandbox_kills_everything_in_it(box):
    folder, prefix, python = box
    (folder / "work").mkdir()
    _give(box, folder / "work")
    proc = subprocess.Popen([*prefix, python, *sandbox.wrap(["sh", "-c", "sleep 300.5 & sleep 300.5"])[1:]],
                            cwd=folder / "work")
    deadline = time.monotonic() + 30
    while not _alive("sleep 300.5") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alive("sleep 300.5")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _alive("sleep 300.5") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive("sleep 300.5")


def _alive(command_line):
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read().replace(b"\0", b" ").strip() == command_line.encode():
                    return True
        except OSError:
            pass
    return False


def test_the_kernel_is_shown_nothing_that_knows_the_answers():
    """The student's kernel sees the recorders and the grading inputs; never the reference, its answers or the key."""
    from autograder import job, references
    from tests.conftest import ROOT

    shown = [(ROOT / path.format(name="sec02")).resolve() for path in job.KERNEL_READ]
    for secret in (ROOT / "solutions", ROOT / "assignments" / "sec02" / "answer_key.json",
                   ROOT / "autograder" / "references.py", references.CACHE, ROOT / "source"):
        assert not any(secret.resolve() == path or path in secret.resolve().parents or secret.resolve() in path.parents
                       for path in shown), secret


SCRATCH = textwrap.dedent("""
    import os, subprocess, sys
    sys.path.insert(0, os.path.dirname(sys.argv[1]))
    import sandbox
    course = sys.argv[2]
    sandbox.private_scratch({course: 8, course + "/records": 1})
    open(course + "/gradebook.db", "w").write("the job's own")
    # a student's code in the sandbox, inside, writes past its records folder's size
    fill = ("import sys\\ntry:\\n    open(sys.argv[1] + '/big', 'wb').write(b'x' * (2 << 20))\\n"
            "except OSError as err:\\n    print(err.strerror)")
    work = course + "/work"
    os.mkdir(work)
    done = subprocess.run(sandbox.wrap([sys.executable, "-c", fill, course + "/records"], write=[course + "/records"]),
                          cwd=work, capture_output=True, text=True)
    print(done.stdout.strip() or done.stderr[-300:], open(course + "/gradebook.db").read(), sep="|")
""")


def test_a_jobs_scratch_is_in_memory_bounded_and_its_own(box):
    """A grading job's private course (``sandbox.private_scratch``): what its sandboxed kernel writes there is held
    to each folder's size, and nothing of it is on the disk, or seen by any process but the job's."""
    folder, prefix, python = box
    course = folder / "course"
    course.mkdir()
    (folder / "probe.py").write_text(SCRATCH)
    _give(box, course)
    result = subprocess.run([*prefix, python, str(folder / "probe.py"), sandbox.__file__, str(course)],
                            cwd=folder, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "No space left on device|the job's own", result.stdout + result.stderr
    assert list(course.iterdir()) == [], "the job's scratch reached the disk"
