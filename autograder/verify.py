"""The verdict on a submission, reached by a process that runs none of the student's code and holds no model.

    python -m autograder.verify NOTEBOOK --assignment NAME --records FOLDER --references FOLDER --out FOLDER
    # writes FOLDER/verdict.json and the feedback's map pictures

nbgrader runs the hidden tests inside the student's kernel, after the student's code: there they can be
patched, silenced or read. So in the batch's sandboxed kernel they only record what each answer returned
on the grading inputs (``autograder/hidden.py``), and this process judges those records against the
reference answers (``autograder/references.py``), which no student code ever sees. It also lists what in the
notebook looks like tampering, for a person to review. Plain numpy: judging one submission takes a second.
"""
import argparse
import ast
import dataclasses
import json
import pathlib
import re

import numpy as np

from autograder import catalogue, references
from autograder.exercises import judging
from autograder.hidden import RECORDS
from autograder.results import Kind, Note, Outcome, Verdict

GRADING_CODE = ("solutions", "autograder", "assignments", "tools", "nbgrader")
# Names whose attributes a student has no reason to reassign: doing so changes how checks behave.
PROTECTED = {"np", "numpy", "tf", "tensorflow", "keras", "math", "plt", "sys", "builtins", "hidden", "autograder"}
SUSPICIOUS_CALLS = {"set_custom_exc", "excepthook", "showtraceback", "get_objects", "_getframe"}
# A notebook has no reason to search the disk or to run code it reads: a hunt for the grading files.
HUNTING = {"walk": "walks the filesystem (os.walk)", "rglob": "searches folders recursively (rglob)",
           "parents": "looks through the folders above it (.parents)", "exec": "runs code it builds or reads (exec)",
           "eval": "runs code it builds or reads (eval)"}
NOT_RUN = "was not checked: its test cell stopped before the hidden tests"
NOT_JUDGED = "not judged yet: the grader failed on it (not the answer's fault); the next grading run judges it again"


# --- reading the student's notebook ------------------------------------------------------------

def student_cells(notebook_path):
    """The code cells the student wrote in: every code cell but nbgrader's test cells."""
    for kind, meta, source in catalogue.cells(notebook_path):
        if kind == "code" and not (meta.get("grade") and not meta.get("solution")):
            yield source


def test_cell_errors(notebook_path):
    """{exercise: the error its test cell ended with}, from the outputs of the graded notebook."""
    errors = {}
    for cell in json.loads(pathlib.Path(notebook_path).read_text())["cells"]:
        exercise = catalogue.exercise_of(catalogue.grade_id(cell))
        for output in cell.get("outputs", []):
            if exercise and output.get("output_type") == "error":
                evalue = output.get("evalue")
                errors[exercise] = (f"{output.get('ename')}: {evalue}" if evalue else f"{output.get('ename')}")[:300]
    return errors


def python(source):
    """Cell source as plain Python (IPython magics translated), or None if it does not parse."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except Exception:  # noqa: BLE001 (SyntaxError, or whatever else a malformed cell makes the parser raise)
        return None


def suspicious(cells):
    """What in the notebook's cells (``student_cells``) looks like an attempt to change how it is graded."""
    found = []
    for source in cells:
        tree = python(source)
        if tree is None:
            if re.search(r"solutions|autograder|excepthook|set_custom_exc", source):
                found.append("an unparsable cell mentions the grading machinery")
            continue
        for node in ast.walk(tree):
            found.extend(_suspicious_node(node))
    return sorted(set(found))


def _suspicious_node(node):
    if isinstance(node, ast.Import):
        return [f"imports {alias.name}" for alias in node.names if alias.name.split(".")[0] in GRADING_CODE]
    if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in GRADING_CODE:
        return [f"imports from {node.module}"]
    if isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_CALLS:
        return [f"uses {node.attr}"]
    if isinstance(node, ast.Attribute) and node.attr in HUNTING:
        return [HUNTING[node.attr]]
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") in HUNTING:
        return [HUNTING[node.func.id]]
    if isinstance(node, ast.Attribute) and node.attr == "modules" and getattr(node.value, "id", "") == "sys":
        return ["uses sys.modules"]
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [f"reassigns {t.value.id}.{t.attr}" for t in targets
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in PROTECTED]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"\b(solutions|autograder)\b", node.value):
        return ["names the grading code in a string"]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and RECORDS in node.value:
        return ["names the folder of the grader's records"]
    return []


# --- judging the records ------------------------------------------------------------------------

def judge(assignment, name, record, expected, reference_record, error=None):
    """The ``Outcome`` of the record of exercise ``name`` of ``assignment``, and a ``Note`` when the student's code
    wrote the record (else None).

    ``reference_record``: what the reference's answer recorded, by the same recorder: the keys, types and shapes a
    record can have. ``error``: what its test cell ended with, if anything. A wrong answer raises AssertionError in
    the judge (``judging.PartlyRight`` when it is right in some sub-checks); any other exception, on a record shaped
    like the reference's, is the grader's own failure (``Outcome.fault``): no points are taken for it, the submission
    is flagged and graded again by the next run. On a record shaped otherwise, the answer is what the judge could
    not take: it is wrong.
    """
    if record is None:
        why = f"{NOT_RUN} ({error})" if error else f"{NOT_RUN} (the answer is not defined?)"
        return _wrong(assignment, name, why), None
    why = judging.well_formed(record, reference_record)
    if why:
        return (_wrong(assignment, name, f"its record is not one the grader writes: {why}"),
                Note(Kind.TAMPERED, f"the notebook's own code wrote its record ({why})", name))
    return _judged(assignment, name, record, expected, reference_record, error), None


def _judged(assignment, name, record, expected, reference_record, error):
    """The ``Outcome`` of a well-formed record: what the exercise's judge makes of it."""
    try:
        assignment.exercise(name).judge(record, expected)
        return _scored(assignment, name, {}, "")
    except judging.PartlyRight as err:
        known = {check.name for check in assignment.rubric(name)}
        if not err.failed or not set(err.failed) <= known:  # a judge naming no sub-check, or one its rubric lacks
            return dataclasses.replace(_wrong(assignment, name, NOT_JUDGED),
                                       fault=f"PartlyRight({sorted(err.failed)}) against the rubric {sorted(known)}")
        if set(err.failed) == known:  # wrong in every part: wrong
            return _wrong(assignment, name, _ended(str(err), error))
        return _scored(assignment, name, err.failed, _ended(f"partly right: {err}", error))
    except AssertionError as err:
        return _wrong(assignment, name, _ended(str(err) or "wrong answer", error))
    except Exception as err:  # noqa: BLE001 (the judge's own failure, whatever it is)
        if not judging.shaped_like(record, reference_record):
            return _wrong(assignment, name, "the answer is not of the type or shape the exercise asks for "
                                            f"({type(err).__name__}: {err})"[:300])
        return dataclasses.replace(_wrong(assignment, name, NOT_JUDGED), fault=f"{type(err).__name__}: {err}"[:300])


def _ended(message, error):
    """The judge's ``message``, and what the answer's test cell ended with, if it ended in an error."""
    return f"{message} (its test cell ended with {error})" if error else message


def _scored(assignment, name, failed, message):
    """The outcome of an answer right but for the sub-checks ``failed`` ({sub-check: why}; {}: right throughout)."""
    rubric = assignment.rubric(name)
    full = assignment.exercises[name]
    points = sum(check.points for check in rubric if check.name not in failed) if failed else full
    return Outcome(passed=not failed, points=float(points), message=message, failed=failed if rubric else None)


def _wrong(assignment, name, message):
    """The outcome of an answer that gets nothing: every sub-check of its rubric failed, for the reason above."""
    rubric = assignment.rubric(name)
    return Outcome(passed=False, points=0.0, message=message,
                   failed={check.name: "" for check in rubric} if rubric else None)


def judge_notebook(assignment, notebook_path, records_dir, references_dir, out_dir):
    """The ``Verdict`` on the notebook at ``notebook_path`` from what its hidden tests recorded in ``records_dir``;
    its pictures are drawn into ``out_dir``."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        cells, errors = list(student_cells(notebook_path)), test_cell_errors(notebook_path)
    except Exception as err:  # noqa: BLE001 (not JSON, not a notebook: the student's file)
        message = f"the notebook could not be read ({type(err).__name__})"
        return Verdict({name: _wrong(assignment, name, message) for name in assignment.exercises})
    outcomes, records, expected, stopped, tampered = {}, {}, {}, [], []
    for name in assignment.exercises:
        expected[name] = judging.load(references_dir, name)
        reference_record = judging.load(references_dir, references.recorded(name))
        if expected[name] is None or reference_record is None:
            raise FileNotFoundError(f"no reference answers for {name} in {references_dir}")
        try:
            records[name] = judging.load(records_dir, name)
        except judging.Malformed as err:  # a file the student's code wrote
            records[name] = None
            outcomes[name] = _wrong(assignment, name, f"its record cannot be read: {err}")
            tampered.append(Note(Kind.TAMPERED, f"the notebook's own code wrote its record ({err})", name))
            continue
        if records[name] is not None and isinstance(records[name].get("stopped"), str):
            stopped.append((name, records[name]["stopped"]))
        outcomes[name], note = judge(assignment, name, records[name], expected[name], reference_record,
                                     errors.get(name))
        tampered += [note] if note else []
    float32 = [name for name, record in records.items() if record and record.get(judging.TF32) is False]
    return Verdict(outcomes, suspicious=suspicious(cells), tampered=tampered, stopped=stopped, float32=float32,
                   pictures=compare_maps(assignment, records, expected, out_dir))


# --- pictures for the feedback ---------------------------------------------------------------------

def compare_maps(assignment, records, expected, out_dir):
    """For each map exercise: the student's map of a grading image beside the expected one, and their difference."""
    from autograder import pictures

    drawn = {}
    for name in assignment.exercises:
        exercise = assignment.exercise(name)
        if not hasattr(exercise, "picture"):
            continue
        value, want = exercise.picture(records.get(name) or {}, expected[name])
        want = judging.rescaled(want)
        shown = value is not None and isinstance(value, np.ndarray) and value.shape == want.shape
        value = judging.rescaled(value) if shown else None
        panels = [(expected[name]["image"], "grading image"), (value, "your map"), (want, "expected map"),
                  (None if value is None else np.abs(value - want), "difference")]
        path = out_dir / f"{name}.png"
        pictures.row(panels, f"{name}, {exercise.PICTURED}").save(path)
        drawn[name] = path.name
    return drawn


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("--assignment", required=True, help="the assignment the notebook is of (its folder in source/)")
    parser.add_argument("--records", required=True, help="the folder the hidden test cells wrote their records in")
    parser.add_argument("--references", required=True, help="the reference answers (python -m autograder.references)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    result = judge_notebook(catalogue.get(args.assignment), pathlib.Path(args.notebook), args.records, args.references,
                            pathlib.Path(args.out))
    (pathlib.Path(args.out) / "verdict.json").write_text(result.to_json())


if __name__ == "__main__":
    main()
