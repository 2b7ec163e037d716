"""The authoritative verdict on a submission, reached by a process that runs none of the student's code.

    python -m autograder.verify NOTEBOOK --probes FOLDER --out FOLDER   # writes verdict.json and map pictures

nbgrader runs the hidden checks inside the student's kernel, where the student's code ran first: it can
patch numpy's comparisons, silence every exception, or read the grading code. Grading is therefore done
in two processes. ``autograder/probes.py`` runs the student's definitions, in a sandbox that holds nothing
secret, and records what the answers return on the grading inputs. This process judges those records
(``autograder/checks.py``) with the reference beside it and never a line of student code; it also lists
what in the notebook looks like tampering, for a person to review.
"""
import argparse
import ast
import json
import pathlib
import re
import sys

import numpy as np

from autograder import checks, probes
from autograder.probes import ASSIGNMENT, EXERCISES, ROOT, python, student_cells

GRADING_CODE = ("solutions", "autograder", "tools", "nbgrader")
# Names whose attributes a student has no reason to reassign: doing so changes how checks behave.
PROTECTED = {"np", "numpy", "tf", "tensorflow", "keras", "math", "plt", "sys", "builtins", "checks"}
SUSPICIOUS_CALLS = {"set_custom_exc", "excepthook", "showtraceback", "get_objects", "_getframe"}


# --- reading the student's notebook ------------------------------------------------------------

def suspicious(nb):
    """What in the notebook looks like an attempt to change how it is graded."""
    found = []
    for source in student_cells(nb):
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
    if isinstance(node, ast.Attribute) and node.attr == "modules" and getattr(node.value, "id", "") == "sys":
        return ["uses sys.modules"]
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [f"reassigns {t.value.id}.{t.attr}" for t in targets
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in PROTECTED]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"\b(solutions|autograder)\b", node.value):
        return ["names the grading code in a string"]
    return []


# --- judging the records ------------------------------------------------------------------------

def judge(name, record):
    """(passed, message) of one exercise's record."""
    try:
        checks.judge(name, record)
        return True, ""
    except AssertionError as err:
        return False, str(err) or "wrong answer"
    except Exception as err:  # noqa: BLE001 (a record the student's code wrote itself, in a shape no probe makes)
        return False, f"the record of this answer could not be judged ({type(err).__name__})"


def verify(notebook_path, probes_dir, out_dir):
    import nbformat

    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        nb = nbformat.read(notebook_path, as_version=4)
    except Exception as err:
        verdict = {name: {"passed": False, "message": f"the notebook could not be read ({type(err).__name__})"}
                   for name in EXERCISES}
        return {"exercises": verdict, "suspicious": [], "problems": [str(err)[:300]], "pictures": {}}
    problems_file = pathlib.Path(probes_dir) / "problems.json"
    problems = json.loads(problems_file.read_text()) if problems_file.is_file() else []
    verdict, records = {}, {}
    for name in EXERCISES:
        try:
            records[name] = probes.load(probes_dir, name)
        except Exception as err:  # noqa: BLE001 (a file the student's code may have written)
            records[name] = {"stopped": f"left a record that cannot be read ({type(err).__name__})"}
        if records[name] is not None and "missing" in records[name]:
            verdict[name] = {"passed": False, "message": f"{name} is not defined"}
            continue
        passed, message = judge(name, records[name])
        verdict[name] = {"passed": passed, "message": message}
    pictures = compare_maps(records, out_dir)
    return {"exercises": verdict, "suspicious": suspicious(nb), "problems": problems, "pictures": pictures}


# --- pictures for the feedback ---------------------------------------------------------------------

def _student_map(record, name):
    """The student's map of the picture case (cnn2, the first zebra, class 1), from the record."""
    key = {"vanilla_saliency": "trained", "gradcam": "trained", "saliency_graphs": "0"}[name]
    value = (record or {}).get(key)
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        return None
    return value[1] if name == "saliency_graphs" and value.ndim == 3 and len(value) > 1 else value


def _reference_map(name, img):
    import tensorflow as tf

    model, reference = probes.fresh_cnn2(), getattr(checks._reference(), name)
    if name == "vanilla_saliency":
        return reference(model, img, 1)
    if name == "gradcam":
        return reference(model, img, 1, "conv5")
    tf.random.set_seed(probes.GRADING_SEED + 7)  # as the student's maps were made
    return reference(model, img)[1][1]


def compare_maps(records, out_dir):
    """For each map exercise: the student's zebra map beside the reference's, and their difference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    img = probes.images()[1]
    pictures = {}
    for name in ("vanilla_saliency", "gradcam", "saliency_graphs"):
        want = checks._rescaled(_reference_map(name, img))
        plt.close("all")
        got = _student_map(records.get(name), name)
        got = checks._rescaled(got) if got is not None and got.shape == want.shape else None
        fig, ax = plt.subplots(1, 4, figsize=(12, 3.2))
        panels = [(img, "grading image"), (got, "your map"), (want, "expected map"),
                  (None if got is None else np.abs(got - want), "difference")]
        for axis, (picture, title) in zip(ax, panels):
            if picture is None:
                axis.text(0.5, 0.5, "no map", ha="center", va="center")
            else:
                axis.imshow(picture, cmap=None if picture.ndim == 3 else "jet", vmin=0, vmax=1)
            axis.set_title(title)
            axis.axis("off")
        fig.suptitle(f"{name}, class 1 (zebra)")
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=72, bbox_inches="tight")
        plt.close("all")
        pictures[name] = path.name
    return pictures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("--probes", required=True, help="the folder autograder/probes.py wrote its records in")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    sys.path[:0] = [str(ROOT), str(ASSIGNMENT)]  # the grader's copies of cnnlab and the reference
    result = verify(pathlib.Path(args.notebook), pathlib.Path(args.probes), pathlib.Path(args.out))
    (pathlib.Path(args.out) / "verdict.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
