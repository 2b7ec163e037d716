"""Collecting an assignment's submissions into the course's ``submitted/<student>/<assignment>/``: from a folder in
nbgrader's layout, from a zip of ``<student>_<notebook>`` files (nbgrader's zip_collect), or the embedded sample
class; and the class roster, into the gradebook. Each returns the students it found."""
import pathlib
import shutil
import subprocess
import sys
import zipfile

from autograder import InfrastructureError
from autograder.environment import environment, nbgrader_step

ROOT = pathlib.Path(__file__).resolve().parents[1]


def students_in(folder, assignment):
    """The students of a folder in nbgrader's layout: <student>/<assignment>/<notebook>."""
    return sorted(p.parent.parent.name for p in pathlib.Path(folder).glob(f"*/{assignment.name}/{assignment.notebook}"))


def import_roster(course, path):
    """The students' names and e-mails, into the gradebook (nbgrader's own import; existing students are updated)."""
    if not pathlib.Path(path).is_file():
        raise SystemExit(f"no such roster file: {path}")
    nbgrader_step(course, "db", "student", "import", str(pathlib.Path(path).resolve()))


def from_sample_class(course, assignment):
    """The embedded sample class (``python -m sample_class``), written into the course's submitted/, with its
    roster (``roster.csv``)."""
    result = subprocess.run([sys.executable, "-m", "sample_class", str(course)], cwd=ROOT, env=environment(),
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise InfrastructureError(f"writing the sample class failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    import_roster(course, course / "roster.csv")
    return students_in(course / "submitted", assignment)


def from_folder(course, assignment, folder):
    folder = pathlib.Path(folder)
    students = students_in(folder, assignment)
    if not students:
        raise SystemExit(f"no submissions in {folder}: expected "
                         f"{folder}/<student>/{assignment.name}/{assignment.notebook}")
    if folder.resolve() == (course / "submitted").resolve():
        return students  # already in place: regrade what changed
    for student in students:
        dest = course / "submitted" / student / assignment.name
        dest.mkdir(parents=True, exist_ok=True)
        for item in (folder / student / assignment.name).iterdir():
            if item.is_file():
                shutil.copy2(item, dest / item.name)
    return students


def from_zip(course, assignment, archive):
    archive, notebook = pathlib.Path(archive), assignment.notebook
    if not archive.is_file():
        raise SystemExit(f"no such zip file: {archive}")
    with zipfile.ZipFile(archive) as z:
        if not any(name.endswith(f"_{notebook}") for name in z.namelist()):
            raise SystemExit(f"{archive} holds no <student>_{notebook} file "
                             "(nbgrader_config.py's FileNameCollectorPlugin)")
    folder = course / "downloaded" / assignment.name / "archive"
    shutil.rmtree(course / "downloaded" / assignment.name, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy2(archive, folder / archive.name)
    nbgrader_step(course, "zip_collect", assignment.name, "--force")
    return students_in(course / "submitted", assignment)
