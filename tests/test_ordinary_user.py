"""A TA who is not root: ``scripts/grade.sh`` picks its sandbox by itself and says which in its first line, and an
ordinary user grades a few hostile students of the sample class's warm-up inside the unprivileged sandbox.

The ordinary user (``cnnlab-ta``), its virtual environment and its copy of this repository are made, as root, by
``tests/ordinary_user.sh`` (the first time: about 2 minutes for the environment, then reused), with the reference
answers and the reference notebook's cell times that this checkout's tests already computed (``.references/``: the
copy reuses them where it would compute the same), so that the ordinary user's run grades only the students, whose
notebooks are the warm-up's (the sandbox's work is the same for every assignment).
"""
import hashlib
import os
import pathlib
import signal
import subprocess

import pytest

import sample_class
from tests.conftest import ROOT

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="makes an ordinary user: run the tests as root")]
TA = "cnnlab-ta"
# The warm-up's memory hog, filesystem hunt, disk filler and link to the reference handed in. (The process cap, which
# vic's fork bomb meets in Section 2's class, is met by an ordinary user's sandbox in tests/test_sandbox.py.)
HOSTILE = ("uma", "xia", "wes", "ivy")
ASSIGNMENT = "conv_warmup"


@pytest.fixture(scope="module")
def ta_repo():
    """The ordinary user's copy of this repository, with its own environment."""
    made = subprocess.run(["bash", str(ROOT / "tests" / "ordinary_user.sh")], capture_output=True, text=True,
                          timeout=1800)
    assert made.returncode == 0, made.stderr[-3000:]
    return pathlib.Path(made.stdout.strip().splitlines()[-1])


def as_ta(repo, *command):
    """``command`` as the ordinary user, in its copy, with a login's plain environment."""
    home = repo.parent
    return ["runuser", "-u", TA, "--", "env", "-i", f"HOME={home}", "PATH=/usr/local/bin:/usr/bin:/bin",
            "LANG=C.UTF-8", "bash", "-c", f'cd "{repo}" && "$@"', "bash", *command]


def first_line(command, cwd):
    """The first line ``command`` prints, on stdout or stderr; it is stopped there."""
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    line = proc.stdout.readline().strip()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    code = proc.wait()
    return line, code


def test_grade_sh_says_which_sandbox_it_uses(ta_repo, tmp_path):
    course = sample_class.new_course(tmp_path / "course")
    grade = ["bash", "scripts/grade.sh", "--course", str(course)]
    line, _ = first_line(grade, ROOT)
    assert line == "sandbox: Linux namespaces, the student's code under a uid of its own", line
    line, _ = first_line([*grade, "--no-sandbox"], ROOT)
    assert line.startswith("sandbox: none (--no-sandbox): students' code runs with your rights"), line
    # a machine whose kernel has user namespaces switched off: root in a namespace where it may make no other
    off = ["unshare", "--map-root-user", "sh", "-c", 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', "sh"]
    refused = subprocess.run([*off, *grade], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=300)
    line, code = refused.stdout.splitlines()[0], refused.returncode
    assert code == 2 and line.startswith("the sandbox cannot run here (") and "--no-sandbox grades without it" in line
    assert "user namespaces switched off" in line, line
    uid = subprocess.run(["id", "-u", TA], capture_output=True, text=True, check=True).stdout.strip()
    line, _ = first_line(as_ta(ta_repo, "bash", "scripts/grade.sh", "--students", "none"), ta_repo)
    assert line == f"sandbox: unprivileged Linux namespaces, the student's code under your own uid ({uid}) outside", line


def test_an_ordinary_user_grades_hostile_students_in_the_sandbox(ta_repo):
    before = _tracked(ta_repo)
    result = subprocess.run(as_ta(ta_repo, "bash", "scripts/grade.sh", "--students", ",".join(HOSTILE)),
                            capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.startswith("sandbox: unprivileged Linux namespaces"), result.stdout[:300]
    rows = sample_class.grades(ta_repo, ASSIGNMENT)
    assert sorted(rows) == sorted(HOSTILE)
    for student in HOSTILE:
        want = sample_class.expected(ta_repo, student, ASSIGNMENT)
        assert sample_class.as_expected(rows[student], want), f"{student} ({want['about']}): {rows[student]}"
    assert _tracked(ta_repo) == before, "grading changed a file of the repository"


def _tracked(repo):
    """{path: sha256} of the repository's tracked files in the copy (the copy holds exactly those, and outputs)."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    paths = [repo / name.decode() for name in names if name]
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths if path.is_file()}
