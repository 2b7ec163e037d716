"""The repository's commands as a user types them."""
import subprocess

from tests.conftest import ROOT


def _collected(*args):
    """The test ids that ``bash scripts/test.sh ARGS --collect-only -q`` would run."""
    result = subprocess.run(["bash", "scripts/test.sh", *args, "--collect-only", "-q", "-p", "no:cacheprovider"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_a_test_file_runs_alone():
    ids = _collected("tests/test_grade_command.py", "-m", "not slow")
    assert ids and all(i.startswith("tests/test_grade_command.py::") for i in ids), ids
    assert _collected("tests/test_grade_command.py::test_a_run_on_some_students_keeps_the_others_rows") == [
        "tests/test_grade_command.py::test_a_run_on_some_students_keeps_the_others_rows"]
