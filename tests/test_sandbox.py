"""The sandbox of students' code: what a command inside it can and cannot do (no TensorFlow, seconds)."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from autograder import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=f"no sandbox here: {sandbox.available()[1]}")

PROBE = textwrap.dedent("""
    import json, os, socket, sys
    port, secret, shown, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    seen = {"uid": os.getuid(), "secret": os.path.exists(secret), "shown": open(shown).read(),
            "token": os.environ.get("GRADER_API_TOKEN")}
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


def _run(tmp_path, command, **limits):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    env = dict(os.environ, GRADER_API_TOKEN="a secret of the grader's")
    return subprocess.run(sandbox.wrap(command, **limits), cwd=work, env=env, capture_output=True, text=True,
                          timeout=120)


def test_sees_only_what_it_is_shown_and_writes_only_its_own_folders(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    (tmp_path / "secret.txt").write_text("the answers")
    (tmp_path / "shown.txt").write_text("the checks")
    (tmp_path / "shown.txt").chmod(0o666)  # only the read-only mount can stop a write
    (tmp_path / "probe.py").write_text(PROBE)
    out = tmp_path / "out"
    out.mkdir()
    args = [str(listener.getsockname()[1]), str(tmp_path / "secret.txt"), str(tmp_path / "shown.txt"), str(out)]
    result = _run(tmp_path, [sys.executable, str(tmp_path / "probe.py"), *args],
                  read=[tmp_path / "probe.py", tmp_path / "shown.txt"], write=[out])
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["uid"] == sandbox.STUDENT
    assert seen["secret"] is False, "a file it was not shown is visible"
    assert seen["token"] is None, "the grader's environment leaked into the sandbox"
    assert seen["shown"] == "the checks" and seen["shown_writable"] == "Read-only file system"
    assert seen["network"] is not True, "it reached a port of the machine"
    assert (out / "result.txt").read_text() == "kept"
    assert not (tmp_path / "work" / "scratch.txt").exists(), "its working folder is a private copy"
    assert (tmp_path / "shown.txt").read_text() == "the checks"


def test_memory_over_the_cap_is_a_memory_error(tmp_path):
    code = "try:\n    b = bytearray(1 << 30)\nexcept MemoryError:\n    print('MemoryError')"
    result = _run(tmp_path, [sys.executable, "-c", code], memory_mb=256)
    assert result.stdout.strip() == "MemoryError", result.stderr


def test_a_full_disk_stops_the_writer_only(tmp_path):
    code = ("try:\n    f = open('big', 'wb')\n    [f.write(b'x' * (1 << 20)) for _ in range(64)]\n"
            "except OSError as err:\n    print(err.strerror)")
    result = _run(tmp_path, [sys.executable, "-c", code], disk_mb=16)
    assert result.stdout.strip() in ("No space left on device", "File too large"), result.stderr
    assert not (tmp_path / "work" / "big").exists()


def test_processes_are_capped_and_none_outlives_the_sandbox(tmp_path):
    code = ("import subprocess\nkids = []\ntry:\n    for _ in range(200):\n"
            "        kids.append(subprocess.Popen(['sleep', '300.25']))\nexcept OSError as err:\n"
            "    print(len(kids), err.strerror)")
    result = _run(tmp_path, [sys.executable, "-c", code], processes=40)
    started, why = result.stdout.split(" ", 1)
    assert int(started) < 40 and why.strip() == "Resource temporarily unavailable", result.stdout + result.stderr
    assert not _alive("sleep 300.25"), "processes started in the sandbox outlived it"


def test_killing_the_sandbox_kills_everything_in_it(tmp_path):
    (tmp_path / "work").mkdir()
    proc = subprocess.Popen(sandbox.wrap(["sh", "-c", "sleep 300.5 & sleep 300.5"]), cwd=tmp_path / "work")
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

    shown = [(ROOT / path).resolve() for path in job.KERNEL_READ]
    for secret in (ROOT / "solutions", ROOT / "autograder" / "answer_key.json", ROOT / "autograder" / "references.py",
                   references.CACHE, ROOT / "source"):
        assert not any(secret.resolve() == path or path in secret.resolve().parents or secret.resolve() in path.parents
                       for path in shown), secret
