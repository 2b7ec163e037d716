"""Collecting an assignment's submissions into the course's ``submitted/<student>/<assignment>/``: from a folder in
nbgrader's layout, from a zip of ``<student>_<notebook>`` files (as nbgrader's zip_collect names them), or the
embedded sample class; and the class roster, into the gradebook.

What students hand in is untrusted, and the batch runs as whoever grades, root included. So nothing here follows
what a file points to, runs or unpacks what a student sent, or keeps its modes: only regular files are read
(``handed_in``), a zip gives only the notebooks it names, each within ``LARGEST_FILE``. Each collector returns
``{student: notes}`` (``results.Note``): what was wrong with the hand-in (a link skipped, a second notebook), which
flags that student's submission for review and costs no one else anything.
"""
import os
import pathlib
import re
import stat
import subprocess
import sys
import zipfile

from autograder import ROOT, InfrastructureError, paths
from autograder.environment import environment, nbgrader_step
from autograder.results import Kind, Note
LARGEST_FILE = 200 << 20  # bytes of one notebook taken from a zip; a notebook full of pictures is a few MB


def students_in(folder, assignment):
    """The students of a folder in nbgrader's layout: <student>/<assignment>/<notebook>."""
    return sorted(p.parent.parent.name for p in pathlib.Path(folder).glob(f"*/{assignment.name}/{assignment.notebook}"))


def id_problem(student):
    """Why ``student`` cannot be a student's folder in the course, or None. Any other id is graded as it is."""
    if student in ("", ".", "..") or student.startswith("."):
        return "it would be a hidden folder, or none"
    if any(c in student for c in "/\\\0") or any(ord(c) < 32 for c in student):
        return "it holds a slash or a control character"
    return None


def handed_in(folder):
    """({name: bytes} of the regular files in ``folder``, [a note on each other entry]).

    A symbolic link, a device or a pipe is never opened: as root, reading it would hand the student whatever it
    points to (the reference, the gradebook, /etc/shadow). A subfolder is not part of the submission.
    """
    files, notes = {}, []
    for item in sorted(pathlib.Path(folder).iterdir()):
        mode = os.lstat(item).st_mode
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):
            what = f"a symbolic link to {os.readlink(item)}" if stat.S_ISLNK(mode) else "not a regular file"
            notes.append(Note(Kind.COLLECTION, f"handed in {item.name!r}, {what}: not read, not graded"))
            continue
        fd = os.open(item, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            if stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # still the file looked at, not one put there since
                files[item.name] = f.read()
    return files, notes


def import_roster(course, path):
    """The students' names and e-mails, into the gradebook (nbgrader's own import; existing students are updated)."""
    if not pathlib.Path(path).is_file():
        raise SystemExit(f"no such roster file: {path}")
    nbgrader_step(course, "db", "student", "import", str(pathlib.Path(path).resolve()))


def write_sample_class(course):
    """The embedded sample class (``python -m sample_class``), every assignment's, written into the course's
    submitted/, and its roster (``roster.csv``) imported."""
    result = subprocess.run([sys.executable, "-m", "sample_class", str(course)], cwd=ROOT, env=environment(),
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise InfrastructureError(f"writing the sample class failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    import_roster(course, course / "roster.csv")


def from_folder(course, assignment, folder):
    folder = pathlib.Path(folder)
    students = students_in(folder, assignment)
    if not students:
        raise SystemExit(f"no submissions in {folder}: expected "
                         f"{folder}/<student>/{assignment.name}/{assignment.notebook}")
    if folder.resolve() == paths.submissions(course).resolve():
        return {student: [] for student in students}  # already in place: regrade what changed
    collected = {}
    for student in students:
        files, collected[student] = handed_in(folder / student / assignment.name)
        dest = paths.submitted(course, assignment, student)
        dest.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            _write(dest / name, data)
    return collected


def from_zip(course, assignment, archive):
    """The notebooks of a zip named ``<student>_<notebook>``, at any depth of its folders: each into its student's
    folder, the newest one where a student has several. Nothing else of the zip is unpacked, nested zips included."""
    archive, notebook = pathlib.Path(archive), assignment.notebook
    if not archive.is_file():
        raise SystemExit(f"no such zip file: {archive}")
    named = re.compile(rf"(?:.*/)?(?P<student>[^/]+)_{re.escape(notebook)}")
    found, skipped = {}, []
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            match = named.fullmatch(info.filename)
            if not match:
                skipped.append(info.filename)
                continue
            student = match["student"]
            if id_problem(student):
                print(f"zip: {info.filename} not collected: {student!r} cannot be a student's id "
                      f"({id_problem(student)})", flush=True)
                continue
            found.setdefault(student, []).append(info)
        if skipped:
            print(f"zip: {len(skipped)} entries are not <student>_{notebook} and were left in it "
                  f"({', '.join(skipped[:5])}{', ...' if len(skipped) > 5 else ''})", flush=True)
        if not found:
            raise SystemExit(f"{archive} holds no <student>_{notebook} file")
        collected = {}
        for student, entries in sorted(found.items()):
            newest = max(reversed(entries), key=lambda info: info.date_time)  # of equals, the last in the zip
            names = ", ".join(info.filename for info in entries)
            several = Note(Kind.COLLECTION, f"handed in {len(entries)} notebooks in the zip ({names}): graded the "
                                            f"newest, {newest.filename}")
            collected[student] = [several] if len(entries) > 1 else []
            data = _bounded(z, newest)
            if data is None:
                collected[student].append(Note(Kind.COLLECTION, f"handed in {newest.filename}, over "
                                                                f"{LARGEST_FILE >> 20} MB: not collected"))
                data = b""
            dest = paths.submitted(course, assignment, student)
            dest.mkdir(parents=True, exist_ok=True)
            _write(dest / notebook, data)
    return collected


def _bounded(z, info):
    """The entry's bytes, or None past ``LARGEST_FILE`` (its stated size, or what it inflates to, may lie)."""
    if info.file_size > LARGEST_FILE:
        return None
    with z.open(info) as f:
        data = f.read(LARGEST_FILE + 1)
    return data if len(data) <= LARGEST_FILE else None


def _write(path, data):
    """A file of the course's own, whatever was there (a link is replaced, never followed); modes of its own."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        path.unlink()
    tmp = path.with_name(f".{path.name}.collecting")
    tmp.write_bytes(data)
    tmp.chmod(0o644)
    os.replace(tmp, path)
